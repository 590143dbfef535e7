"""CBEC direct purchase (China's customs code 9610): a parcel per order, declared through a CBEC
platform that transmits the order, payment and waybill, taxed as a CBEC retail import.

Enabled by ``policy.cbec_direct_purchase``; only orders within ``policy.order_value_cap_usd``.
Tax rule: duty = base x (the parcel's rate, :func:`model.regimes.parcel.duty_rate`) x
``policy.cbec_duty_factor``, VAT = (base + duty) x VAT x ``policy.cbec_tax_factor``; no
de-minimis exemption (China's CBEC rule taxes from the first yuan: Caiguanshui [2016] No. 18
covers both 1210 bonded and 9610 direct-purchase imports).
"""
from __future__ import annotations

import numpy as np

from model.economics import costs
from model.regimes import parcel
from model.regimes.base import Goods, Regime, Taxes


def taxes(g: Goods, p) -> Taxes:
    n = len(g.value)
    duty, vat = costs.cbec_taxes(g.base, parcel.duty_rate(g, p), g.vat,
                                 np.full(n, p("policy.cbec_duty_factor")), np.full(n, p("policy.cbec_tax_factor")))
    return Taxes(duty=duty, vat=vat, held_to_sale=np.zeros(n), held_to_credit=np.zeros(n))


REGIME = Regime(
    name="cbec_direct",
    label="CBEC direct-purchase parcel",
    description="a parcel per order declared through a CBEC platform, taxed at the CBEC rates",
    stocked=False,
    colour="#CC79A7",
    levers=("policy.cbec_direct_purchase", "policy.order_value_cap_usd"),
    taxes=taxes,
    dispatch_hours=lambda p: p("service.origin_processing_hours"),
    clearance_hours=parcel.clearance_hours,
    enabled=lambda p: bool(p("policy.cbec_direct_purchase")),
    exempt=lambda p: bool(p("policy.cbec_regulatory_exemption")),
    eligible=lambda g, p: g.value <= p("policy.order_value_cap_usd"),
    channels=("cross_border",),  # a parcel from abroad after the sale: a foreign seller's route
    parcel_fee=parcel.parcel_fee,
)
