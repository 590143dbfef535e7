"""What every fulfilment regime declares (one module per regime reads its rules from here).

A regime turns per-order arrays (values, rates, weights) and the scenario's typed policy into
per-order charges. Units: USD per order, hours, days. Pure functions of arrays, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.economics import costs


@dataclass(frozen=True)
class Goods:
    """Per-order arrays of the arcs a regime prices (all the same length).

    ``value``: sale price ex VAT (USD per order); ``base``: the value duty is assessed on
    (the sale price, or the declared customs value = value x policy.declared_value_share,
    per ``policy.dutiable_basis``);
    ``fta`` / ``mfn``: duty rates; ``vat``: VAT rate; ``days``: days in stock before the sale.
    """

    value: np.ndarray
    base: np.ndarray
    fta: np.ndarray
    mfn: np.ndarray
    vat: np.ndarray
    days: np.ndarray


@dataclass(frozen=True)
class Taxes:
    """Per-order taxes of one regime (USD per order, arrays).

    ``duty`` and ``vat``: what the state finally collects on the order (the VAT net of any
    input credit). ``held_to_sale``: paid at entry and recovered only when the order is sold
    (financed over the days in stock and the haul to the site); ``held_to_credit``: paid at
    entry and credited against output VAT ``credit_days`` later.
    """

    duty: np.ndarray
    vat: np.ndarray
    held_to_sale: np.ndarray
    held_to_credit: np.ndarray
    credit_days: float = 0.0

    @property
    def total(self) -> np.ndarray:
        return self.duty + self.vat

    @property
    def paid_at_entry(self) -> np.ndarray:
        """USD per order paid before the sale (gross of later credits)."""
        return self.held_to_sale + self.held_to_credit

    def financing(self, cost_of_capital: float, days_in_stock) -> np.ndarray:
        """Cost of capital on taxes paid before the sale or the credit (USD per order)."""
        return (costs.duty_financing_cost(self.held_to_sale, cost_of_capital, days_in_stock)
                + costs.duty_financing_cost(self.held_to_credit, cost_of_capital, self.credit_days))


def single_window(p, which: str) -> float:
    """The single-window factor on clearance ``which`` = 'time' or 'fee' (1 without a single window)."""
    return p(f"policy.single_window_{which}_factor") if p("policy.single_window") else 1.0


@dataclass(frozen=True)
class Regime:
    """One way an order reaches the customer, with its own costs and rules.

    - ``stocked``: goods wait in stock at a site in Vietnam (arcs origin -> gateway -> site ->
      zone); otherwise one parcel per order after the sale (origin -> gateway -> zone).
    - ``enabled(policy)``: whether the regime exists under the scenario's policy.
    - ``site_ok(sites, scenario)``: (bool Series, reason Series) of where a stocked regime may be
      held (rows of sites.csv; forced-closed sites are excluded by the caller); its column in the
      site status table is ``site_eligible`` = ``<name>_ok``.
    - ``positive_list_only``: only products on ``policy.positive_list`` may use it.
    - ``handling(policy, site_handling)``: handling USD per order at the site (stocked).
    - ``compliance_column``: site_levels.csv column with the yearly compliance cost of holding
      this regime at a site (None = no cost of its own; the site's fixed cost covers it).
    - ``taxes(goods, policy)``: the tax rule, :class:`Taxes`.
    - ``clearance_hours(policy)``: customs time on the order's clock.
    - ``dispatch_hours(policy)``: time from the order to the first leg (pick and pack at the
      site, or at the origin for a parcel).
    - ``eligible(goods, policy)``: per-order mask of the arcs the regime may carry (e.g. an
      order-value cap); None = all.
    - ``parcel_fee(policy)``: customs clearance charge per parcel (parcel regimes), USD.
    - ``market_access(access, policy)``: USD per order the seller pays to put the goods on sale in
      Vietnam under this regime (:class:`model.regimes.access.Access`: per-SKU, per-shipment and
      per-order costs); None = none (a parcel to an individual is a personal import).
    - ``channels``: the seller channels (:data:`model.regimes.access.CHANNELS`, ``demand.local_import``)
      that may use the regime.
    - ``exempt(policy)``: whether the regime's orders are supervised as personal-use goods
      (``policy.cbec_regulatory_exemption``), so only the eligible share of each class's demand
      (within the per-order and per-buyer limits) may use it.

    - ``lane_service``: the lanes.csv service of its lanes (default: :attr:`service`).
    - ``levers``: the parameter keys that shape it, listed in report.md's "levers" table.
    - ``site_rule``: where a stocked regime may be held, in words (the inputs that decide it), for
      the messages that say why a site cannot open or why an order has no stocked path.
    - ``colour``: its colour in every map and chart.

    The basis of duty (sale price or customs value) is ``policy.dutiable_basis``.
    """

    name: str
    label: str
    description: str
    stocked: bool
    colour: str
    taxes: callable
    clearance_hours: callable
    dispatch_hours: callable = lambda policy: 0.0
    enabled: callable = lambda policy: True
    site_ok: callable | None = None
    positive_list_only: bool = False
    handling: callable | None = None
    compliance_column: str | None = None
    eligible: callable | None = None
    parcel_fee: callable | None = None
    market_access: callable | None = None
    channels: tuple = ("cross_border", "local_import")
    exempt: callable = lambda policy: False
    lane_service: str | None = None
    levers: tuple = ()
    site_rule: str = ""

    @property
    def service(self) -> str:
        """The lanes.csv ``service`` whose lanes carry this regime's goods: ``lane_service``, else
        ``bulk`` for a stocked regime (line-haul to a site) and ``parcel`` for a parcel regime."""
        return self.lane_service or ("bulk" if self.stocked else "parcel")

    @property
    def site_eligible(self) -> str:
        """Column of the site status table that says where the regime may be held."""
        return f"{self.name}_ok"
