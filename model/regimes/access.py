"""Market access: what a seller pays to put imported goods on sale in Vietnam, beyond duty, VAT
and logistics (issue 27; sources and assumptions in data/SOURCES.md, "Market access").

A general-trade import needs a Vietnamese importer of record and, per product, the steps before
the goods may be sold: cosmetics notification (Circular 06/2011/TT-BYT), supplement registration
(Decree 15/2018/ND-CP), type approval and a quality registration per shipment for radio and
lithium electronics (Circular 02/2022/TT-BTTTT), textile conformity (QCVN 01:2017/BCT),
Vietnamese supplementary labels (Decree 43/2017/ND-CP as amended by Decree 111/2021/ND-CP). A
parcel to an individual is a personal import and needs none of it. Three kinds of cost, each
turned into USD per order of an item (a product, or a product's SKU class):

- per SKU, one-off (notification, registration, conformity, type approval, label design): paid
  once for each SKU listed and spread over its listed life, so per order it is
  ``sku_usd x sku_count x 365 / sku_life_days / national orders``: large for a slow class
  (few orders per SKU), small for a head class. Charged per order at the class's national
  velocity: exact when the class is served wholly by the regime (a pooled class usually is);
- per shipment: the specialised inspection and quality registration, ``shipment_usd /
  orders_per_shipment``, and the customs declaration and broker,
  ``market_access.declaration_usd_per_shipment / orders_per_shipment`` (``declaration``: paid by
  every stocked consignment, exempt or not);
- per order: the Vietnamese label and, for a seller without a Vietnamese entity (channel
  ``cross_border``), the importer-of-record / distributor margin, a share of the order value.

Pure functions of arrays, no I/O; the regime modules say who pays (``Regime.market_access``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

DAYS_PER_YEAR = 365.0
#: Seller channels: ``cross_border`` = foreign sellers without a Vietnamese entity (Metric's
#: "international sellers", the shipped demand); ``local_import`` = Vietnamese sellers of imported
#: goods (their own importer of record), chosen by ``demand.local_import``.
CHANNELS = ("cross_border", "local_import")


def channel(p) -> str:
    """The demand's seller channel under the parameter getter ``p``."""
    return CHANNELS[1] if p("demand.local_import") else CHANNELS[0]


@dataclass(frozen=True)
class Access:
    """Per-order market-access costs of the arcs a regime prices (USD per order, arrays)."""

    per_sku: np.ndarray
    per_shipment: np.ndarray
    per_order: np.ndarray
    declaration: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.per_sku + self.per_shipment + self.per_order + self.declaration

    def subset(self, mask: np.ndarray) -> "Access":
        return Access(self.per_sku[mask], self.per_shipment[mask], self.per_order[mask], self.declaration[mask])


def per_sku_usd_per_order(sku_usd, sku_count, life_days, national_orders) -> np.ndarray:
    """One-off per-SKU cost spread over each SKU's listed life and its orders (USD per order):
    sku_usd x sku_count x (365 / life_days) / national orders a year (0 where there are no orders)."""
    orders = np.asarray(national_orders, float)
    yearly = np.asarray(sku_usd, float) * np.asarray(sku_count, float) * DAYS_PER_YEAR / np.asarray(life_days, float)
    return np.divide(yearly, orders, out=np.zeros_like(yearly), where=orders > 0)


def lognormal_cdf(limit, mean, sigma) -> np.ndarray:
    """P(X <= limit) for X lognormal with the given mean and log-standard deviation ``sigma``
    (a step at the mean when sigma = 0; 1 for an infinite limit)."""
    limit, mean = np.broadcast_arrays(np.asarray(limit, float), np.asarray(mean, float))
    if sigma <= 0:
        return (mean <= limit).astype(float)
    mu = np.log(mean) - sigma ** 2 / 2
    with np.errstate(divide="ignore"):
        z = (np.log(limit) - mu) / sigma
    return ndtr(z)


def eligible_share(order_value, order_limit: float, annual_limit: float, value_sigma: float,
                   orders_per_buyer: float, spend_sigma: float) -> np.ndarray:
    """Share of an item's orders within a per-order value limit and a per-buyer annual limit.

    Order values of the item are lognormal around its mean order value (log-sd ``value_sigma``);
    a buyer's yearly spend is lognormal around ``orders_per_buyer`` x the mean order value (log-sd
    ``spend_sigma``). Eligible share = P(order value <= order_limit) x P(yearly spend <=
    annual_limit), the two taken as independent (an approximation: a buyer over the annual limit
    loses only the orders beyond it, so the second factor is a lower bound).
    """
    v = np.asarray(order_value, float)
    return lognormal_cdf(order_limit, v, value_sigma) * lognormal_cdf(annual_limit, orders_per_buyer * v, spend_sigma)
