"""Cross-border parcel (direct mail, express or postal): one parcel per order after the sale,
cleared at the gateway; the buyer pays duty and VAT at clearance.

Tax rule: duty = base x rate, none at or below ``policy.duty_de_minimis_usd`` (express goods of
a customs value of VND 1 M or less are duty-free, Decree 134/2016/ND-CP Art. 29(2) as amended
by Decree 18/2021/ND-CP); VAT = (base + duty) x VAT, none at or below ``policy.de_minimis_usd``
(Decision 78/2010/QD-TTg exempted consignments of "VND 1 M or less"; repealed by Decision
01/2025/QD-TTg from 18 Feb 2025, so 0 today). The rate is the FTA rate when
``policy.parcel_fta`` and the declared value is at or below ``policy.origin_waiver_usd`` (the
waiver of proof of origin for low-value consignments: ACFTA, Circular 12/2019/TT-BCT; RCEP
Art. 3.22(3), Circular 05/2022/TT-BCT Art. 25; data/SOURCES.md), else MFN.
"""
from __future__ import annotations

import numpy as np

from model.economics import costs
from model.regimes.base import Goods, Regime, Taxes, single_window


def duty_rate(g: Goods, p) -> np.ndarray:
    """FTA rate under the origin-proof waiver (value at or below the threshold), else MFN."""
    waived = bool(p("policy.parcel_fta")) & (g.base <= p("policy.origin_waiver_usd"))
    return np.where(waived, g.fta, g.mfn)


def taxes(g: Goods, p) -> Taxes:
    rate = np.where(costs.de_minimis_exempt(g.base, p("policy.duty_de_minimis_usd")), 0.0, duty_rate(g, p))
    taxed = ~costs.de_minimis_exempt(g.base, p("policy.de_minimis_usd"))
    z = np.zeros(len(g.value))
    return Taxes(duty=np.where(taxed, costs.import_duty(g.base, rate), 0.0),
                 vat=np.where(taxed, costs.import_vat(g.base, rate, g.vat), 0.0), held_to_sale=z, held_to_credit=z)


def clearance_hours(p) -> float:
    return p("policy.direct_clearance_hours") * single_window(p, "time")


def parcel_fee(p) -> float:
    return p("costs.parcel_clearance_usd_per_order") * single_window(p, "fee")


REGIME = Regime(
    name="direct_mail",
    label="cross-border parcel",
    description="one parcel per order from abroad after the sale, taxed at clearance",
    stocked=False,
    colour="#009E73",
    levers=("policy.de_minimis_usd", "policy.parcel_fta", "policy.origin_waiver_usd", "policy.direct_clearance_hours"),
    taxes=taxes,
    dispatch_hours=lambda p: p("service.origin_processing_hours"),
    clearance_hours=clearance_hours,
    channels=("cross_border",),  # a parcel from abroad after the sale: a foreign seller's route
    parcel_fee=parcel_fee,
)
