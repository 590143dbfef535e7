"""Key figures of a solved scenario, from the tidy tables alone (pure pandas, no Pyomo).

Units: orders, hours, USD per planning year. Lead times are weighted by orders and cover the
orders that are delivered (unmet orders count as not within target).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.0


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Smallest value v with share >= q of the weight at or below v."""
    if len(values) == 0 or weights.sum() <= 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(cum, q - 1e-12)])


def lead_time_kpis(flows: pd.DataFrame, total_demand: float, target_hours: float) -> dict:
    """Mean and 95th-percentile lead time (hours) of delivered orders, and the share within target."""
    delivered = flows[flows["leg"].isin(["outbound", "parcel"])]
    lead = delivered["lead_hours"].to_numpy(float)
    w = delivered["orders"].to_numpy(float)
    return {
        "lead_time_mean_hours": float(np.average(lead, weights=w)) if w.sum() > 0 else None,
        "lead_time_p95_hours": weighted_quantile(lead, w, 0.95) if w.sum() > 0 else None,
        "share_within_target": float(w[lead <= target_hours + 1e-9].sum() / total_demand) if total_demand > 0 else None,
        "service_target_hours": target_hours,
    }


def money_kpis(flows: pd.DataFrame, products: pd.DataFrame, cost_of_capital: float) -> dict:
    """Duties and VAT paid, duties deferred to the sale, financing saved by deferral, working capital.

    - ``duties_deferred_usd``: taxes on stocked orders paid at the sale rather than at entry.
    - ``duty_financing_saved_usd``: what those taxes would have cost to finance from entry to sale
      (amount x r x days in stock / 365).
    - ``working_capital_usd``: average capital tied up in stock in Vietnam over the year:
      orders x (value + taxes prepaid at entry) x days in stock / 365.
    """
    out = flows[flows["leg"] == "outbound"].copy()
    prod = products.set_index("product")
    value = out["product"].map(prod["order_value_usd"]).to_numpy(float)
    days = out["product"].map(prod["days_in_stock"]).to_numpy(float)
    orders = out["orders"].to_numpy(float)
    at_entry = out["taxes_paid_at_entry"].to_numpy(bool)
    taxes = out["duty_tax_cost"].to_numpy(float)  # USD on the whole flow
    deferred = float(taxes[~at_entry].sum())
    saved = float((taxes * cost_of_capital * days / DAYS_PER_YEAR)[~at_entry].sum())
    prepaid_taxes = np.where(at_entry, taxes, 0.0)
    working = float(((orders * value + prepaid_taxes) * days / DAYS_PER_YEAR).sum())
    return {
        "duties_and_vat_paid_usd": float(flows["duty_tax_cost"].sum()),
        "duties_deferred_usd": deferred,
        "duty_financing_saved_usd": saved,
        "working_capital_usd": working,
    }


def emissions_kpis(flows: pd.DataFrame, total_demand: float) -> dict:
    """Transport CO2e (tonnes per year): in all, by mode, and kg per delivered order.

    Counted: the international leg (great-circle km x the lane mode's factor) and the road legs
    gateway -> site -> zone or gateway -> zone (docs/policy.md, ``co2.*`` keys); not the last mile
    inside the zone, nor warehouses.
    """
    by_mode = flows.groupby("mode")["co2_t"].sum()
    delivered = flows.loc[flows["leg"].isin(["outbound", "parcel"]), "orders"].sum()
    total = float(flows["co2_t"].sum())
    return {
        "co2_t": total,
        "co2_t_by_mode": {m: float(by_mode.get(m, 0.0)) for m in ("bonded", "general_trade", "direct_mail")},
        "co2_kg_per_order": total * 1000.0 / delivered if delivered > 0 else None,
    }
