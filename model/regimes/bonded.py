"""Bonded CBEC stock (China's customs code 1210): goods wait in a bonded warehouse under customs
supervision, duty- and VAT-suspended, and each order is released to the buyer as a retail import.

Tax rule (a CBEC retail import: the buyer is the taxpayer, so the VAT is not credited):
duty = base x FTA rate x ``policy.cbec_duty_factor``, VAT = (base + duty) x VAT x
``policy.cbec_tax_factor`` (both factors only within ``policy.order_value_cap_usd``; 1 = no
preference, Vietnam today); paid at release (``policy.bonded_duty_at_sale``), else at entry and
financed until the sale (Customs Law 54/2014/QH13 Art. 61-62; Decree 68/2016/ND-CP as amended by
Decree 67/2020/ND-CP; China: Caiguanshui [2016] No. 18, [2018] No. 49).
Handling adds ``costs.bonded_release_usd_per_order`` (per-order release, seals, supervision) to the
site's fulfilment fee; each site that holds bonded stock pays its level's
``bonded_compliance_usd_per_year`` (site_levels.csv).

Market access: a release from bonded stock is an ordinary import today, so it pays what general
trade pays (:mod:`model.regimes.access`), unless ``policy.cbec_regulatory_exemption`` supervises
CBEC retail imports as personal-use goods (China: GACC Announcement 194/2018, Shangcaifa [2018]
No. 486; Vietnam's draft e-commerce customs decrees 2021-2025): then only the consignment's
customs declaration, for the share of each
class's orders within ``policy.cbec_order_limit_usd`` and ``policy.cbec_buyer_annual_limit_usd``.
Sites: a bonded CBEC facility only at a site whose ``site_type`` is in
``policy.cbec_bonded_site_types`` (China: 1210 only in special customs supervision zones and
type-B bonded logistics centres, not in ordinary bonded warehouses).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from model.economics import costs
from model.regimes.base import Goods, Regime, Taxes, single_window

#: site_type values policy.cbec_bonded_site_types may name: special zones (ez_ftz: free-trade and
#: economic zones with a non-tariff area; border_ez: border-gate economic zones), logistics centres
#: (air, air_planned, airport_area: airport cargo and logistics zones; logistics_centre), and
#: ordinary bonded-warehouse locations (icd, industrial_park, bonded_warehouse).
SITE_TYPES = ("ez_ftz", "border_ez", "air", "air_planned", "airport_area", "logistics_centre", "icd",
              "industrial_park", "bonded_warehouse")


def cbec_factors(g: Goods, p) -> tuple[np.ndarray, np.ndarray]:
    """(duty factor, VAT factor) per order: the CBEC preference within the order-value cap, else 1."""
    within = g.value <= p("policy.order_value_cap_usd")
    return (np.where(within, p("policy.cbec_duty_factor"), 1.0), np.where(within, p("policy.cbec_tax_factor"), 1.0))


def taxes(g: Goods, p) -> Taxes:
    duty_factor, vat_factor = cbec_factors(g, p)
    duty, vat = costs.cbec_taxes(g.base, g.fta, g.vat, duty_factor, vat_factor)
    at_entry = not p("policy.bonded_duty_at_sale")
    held = (duty + vat) if at_entry else np.zeros_like(duty)
    return Taxes(duty=duty, vat=vat, held_to_sale=held, held_to_credit=np.zeros_like(duty))


REGIME = Regime(
    name="bonded",
    label="bonded CBEC stock",
    description="stock first in a bonded warehouse, duty and VAT paid when each order is released",
    stocked=True,
    colour="#D55E00",
    levers=("policy.cbec_tax_factor", "policy.cbec_duty_factor", "policy.bonded_duty_at_sale",
            "policy.bonded_clearance_hours", "policy.eligible_zones", "policy.positive_list",
            "policy.cbec_regulatory_exemption", "policy.cbec_order_limit_usd", "policy.cbec_buyer_annual_limit_usd",
            "policy.cbec_bonded_site_types"),
    site_rule="sites.csv bonded_allowed, policy.eligible_zones, policy.cbec_bonded_site_types",
    taxes=taxes,
    dispatch_hours=lambda p: p("service.processing_hours"),
    clearance_hours=lambda p: p("policy.bonded_clearance_hours") * single_window(p, "time"),
    site_ok=lambda sites, scenario: _site_ok(sites, scenario),
    positive_list_only=True,
    handling=lambda p, site_handling: site_handling + p("costs.bonded_release_usd_per_order"),
    compliance_column="bonded_compliance_usd_per_year",
    market_access=lambda access, p: access.declaration if p("policy.cbec_regulatory_exemption") else access.total,
    exempt=lambda p: bool(p("policy.cbec_regulatory_exemption")),
)


def _site_ok(sites, scenario):
    """A bonded facility may open where sites.csv allows it, its zone is in policy.eligible_zones
    and its site_type is in policy.cbec_bonded_site_types."""
    eligible = sites["province"].isin(set(scenario.selected("policy.eligible_zones",
                                                             scenario.tables["provinces"]["code"])))
    kinds = sites["site_type"].fillna("") if "site_type" in sites else pd.Series("", index=sites.index)
    typed = kinds.isin(set(scenario.selected("policy.cbec_bonded_site_types", SITE_TYPES))) \
        if scenario.parameters["policy.cbec_bonded_site_types"] != "*" else pd.Series(True, index=sites.index)
    ok = sites["bonded_allowed"] & eligible & typed
    why = np.select([~sites["bonded_allowed"], ~eligible, ~typed],
                    ["not allowed to host a bonded facility (sites.csv)", "zone not in policy.eligible_zones",
                     "site_type not in policy.cbec_bonded_site_types"], "")
    return ok, pd.Series(why, index=sites.index)

