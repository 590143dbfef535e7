"""General trade: bulk import by a VAT-registered importer, duty and import VAT paid at entry,
stock held duty-paid at an ordinary (non-bonded) warehouse, sold domestically.

Tax rule (Customs Law 54/2014/QH13; Circular 39/2015/TT-BTC, transaction value; VAT Law
48/2024/QH15, input VAT deduction): duty = base x FTA rate (a bulk consignment carries its
certificate of origin); import VAT = (base + duty) x VAT, paid at entry and credited against
output VAT at the next return, ``finance.vat_credit_days`` later; the VAT the state keeps is
output VAT = sale price x VAT. Duty is recovered only through the sale: it is financed over the
days in stock and the haul to the site.

Market access (:mod:`model.regimes.access`): general trade pays all of it, the per-SKU
notification / registration / conformity costs, the per-shipment inspection and the per-order
label and, for a seller without a Vietnamese entity, the importer-of-record margin (Decree
09/2018/ND-CP: the importer of record is an enterprise registered in Vietnam).
"""
from __future__ import annotations

import pandas as pd

from model.economics import costs
from model.regimes.base import Goods, Regime, Taxes


def taxes(g: Goods, p) -> Taxes:
    duty = costs.import_duty(g.base, g.fta)
    import_vat = costs.import_vat(g.base, g.fta, g.vat)
    return Taxes(duty=duty, vat=costs.output_vat(g.value, g.vat), held_to_sale=duty, held_to_credit=import_vat,
                 credit_days=float(p("finance.vat_credit_days")))


REGIME = Regime(
    name="general_trade",
    label="general trade",
    description="bulk import, duty and VAT paid at entry (VAT credited), stock held duty-paid",
    stocked=True,
    colour="#0072B2",
    levers=("modes.general_trade",),
    site_rule="modes.general_trade",
    taxes=taxes,
    dispatch_hours=lambda p: p("service.processing_hours"),
    clearance_hours=lambda p: 0.0,  # cleared at entry, before the order is placed
    enabled=lambda p: bool(p("modes.general_trade")),
    site_ok=lambda sites, scenario: (pd.Series(True, index=sites.index), pd.Series("", index=sites.index)),
    handling=lambda p, site_handling: site_handling,
    market_access=lambda access, p: access.total,
)
