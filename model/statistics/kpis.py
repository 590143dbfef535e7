"""Key figures of a solved scenario, from the tidy tables alone (pure pandas, no Pyomo).

Units: orders, hours, USD per planning year. Lead times are weighted by orders and cover the
orders that are delivered (unmet orders count as not within target).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from model.inputs.classes import NO_CLASS, item_of  # noqa: F401 (item_of: also model.statistics.kpis.item_of)
from model.io.terms import TRANSFERS

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
    """Taxes paid, what was paid before the sale, and the working capital tied up in stock.

    - ``duties_and_vat_paid_usd``: duty + VAT the state keeps (import VAT net of credits).
    - ``duties_deferred_usd``: taxes on stocked orders paid at the sale rather than at entry.
    - ``duty_financing_saved_usd``: what those deferred taxes would have cost to finance from entry
      to sale (amount x r x days in stock / 365).
    - ``working_capital_usd``: average capital tied up in stock in Vietnam over the year:
      orders x value x days in stock / 365 + the taxes paid at entry held to the sale.
    """
    out = flows[flows["leg"] == "outbound"]
    prod = products.set_index("product")
    value = out["product"].map(prod["order_value_usd"]).to_numpy(float)
    days = out["product"].map(prod["days_in_stock"]).to_numpy(float)
    orders = out["orders"].to_numpy(float)
    taxes = out["duty_tax_cost"].to_numpy(float)  # USD on the whole flow
    at_entry = out["tax_at_entry_usd"].to_numpy(float)
    deferred = np.where(at_entry > 0, 0.0, taxes)
    return {
        "duties_and_vat_paid_usd": float(flows["duty_tax_cost"].sum()),
        "duties_deferred_usd": float(deferred.sum()),
        "duty_financing_saved_usd": float((deferred * cost_of_capital * days / DAYS_PER_YEAR).sum()),
        "working_capital_usd": float(((orders * value + at_entry) * days / DAYS_PER_YEAR).sum()),
    }


def tax_kpis(flows: pd.DataFrame, products: pd.DataFrame, modes) -> dict:
    """What a policy maker reads: tax revenue by regime and when it is collected, effective tax rates.

    - ``tax_revenue_usd``: {total, duty, vat, by_regime: {mode: USD}, at_entry, at_sale}; duty and
      VAT the state keeps (import VAT net of credits); ``at_entry`` is collected before the sale
      (gross import VAT of general trade included: it is credited later), ``at_sale`` the rest
      (net of those credits, so the two add up to the total).
    - ``effective_tax_rate``: {overall, by_regime: {mode: share}}: taxes / sale value of the goods
      (USD of duty + VAT per USD of sale price ex VAT); None where a regime carries nothing.
    Duties and VAT are transfers to the state, not resource costs: see ``network_cost_usd``.
    """
    sold = flows[flows["leg"].isin(["outbound", "parcel"])]
    value = sold["orders"].to_numpy(float) * sold["product"].map(
        products.set_index("product")["order_value_usd"]
    ).to_numpy(float)
    by = sold.assign(_value=value).groupby("mode")[["duty_tax_cost", "_value"]].sum()
    total_tax, total_value = float(sold["duty_tax_cost"].sum()), float(value.sum())
    at_entry = float(sold["tax_at_entry_usd"].sum())
    return {
        "tax_revenue_usd": {
            "total": total_tax, "duty": float(sold["duty_usd"].sum()), "vat": float(sold["vat_usd"].sum()),
            "by_regime": {md: float(by["duty_tax_cost"].get(md, 0.0)) for md in modes},
            "at_entry": at_entry, "at_sale": total_tax - at_entry,
        },
        "effective_tax_rate": {
            "overall": total_tax / total_value if total_value > 0 else None,
            "by_regime": {md: (float(by.at[md, "duty_tax_cost"] / by.at[md, "_value"])
                               if md in by.index and by.at[md, "_value"] > 0 else None) for md in modes},
        },
    }


def network_cost_kpis(cost_breakdown: dict) -> dict:
    """``network_cost_usd``: the objective without duties, VAT and the unmet penalty (the resource
    cost of the network: logistics, handling, stock, financing, facilities), USD per year."""
    return {"network_cost_usd": float(sum(v for k, v in cost_breakdown.items() if k not in TRANSFERS))}


def regime_costs(paths: pd.DataFrame | None, demand: pd.DataFrame, modes) -> list[dict]:
    """Per (origin, product): each regime's cost per order on its cheapest route (demand-weighted over
    the zones; fixed and compliance costs left out), USD per order, None where it has no route:
    [{origin, product, orders, <mode>: USD or None, cheapest: mode}]. Why a regime wins, in numbers."""
    if paths is None or not len(paths):
        return []
    r = paths.merge(demand, on=["zone", "origin", "product"])
    r = r.assign(_w=r["usd_per_order"] * r["orders"])
    g = r.groupby(["origin", "product", "mode"])[["_w", "orders"]].sum()
    total = demand.groupby(["origin", "product"])["orders"].sum()
    rows = []
    for (o, p), n in total.items():
        row = {"origin": o, "product": p, "orders": float(n)}
        for md in modes:
            row[md] = float(g.at[(o, p, md), "_w"] / g.at[(o, p, md), "orders"]) if (o, p, md) in g.index else None
        known = {md: row[md] for md in modes if row[md] is not None}
        row["cheapest"] = min(known, key=known.get) if known else None
        rows.append(row)
    return rows


def lead_time_by_mode(flows: pd.DataFrame, paths: pd.DataFrame | None, demand: pd.DataFrame, modes) -> dict:
    """Per regime: lead time (days) of the orders it carries, and of its best route for every demand
    row whether or not it carries them (the counterfactual), each as mean, p5, p95 weighted by orders.

    ``{mode: {"carried": {mean, p5, p95, orders} | None, "best_route": {mean, p5, p95, coverage}}}``;
    ``coverage``: share of demand with a route of this regime (None where it has none at all).
    """
    def stats(lead_h, w):
        if len(lead_h) == 0 or w.sum() <= 0:
            return None
        d = np.asarray(lead_h, float) / 24.0
        return {"mean": float(np.average(d, weights=w)), "p5": weighted_quantile(d, w, 0.05),
                "p95": weighted_quantile(d, w, 0.95)}

    delivered = flows[flows["leg"].isin(["outbound", "parcel"])]
    total = float(demand["orders"].sum())
    out = {}
    for md in modes:
        f = delivered[delivered["mode"] == md]
        carried = stats(f["lead_hours"].to_numpy(float), f["orders"].to_numpy(float))
        if carried is not None:
            carried["orders"] = float(f["orders"].sum())
        best = None
        if paths is not None and len(paths):
            r = paths[paths["mode"] == md].merge(demand, on=["zone", "origin", "product"])
            best = stats(r["lead_hours"].to_numpy(float), r["orders"].to_numpy(float))
            if best is not None:
                best["coverage"] = float(r["orders"].sum() / total) if total > 0 else None
        out[md] = {"carried": carried, "best_route": best}
    return out


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
        "co2_t_by_mode": {m: float(by_mode.get(m, 0.0)) for m in by_mode.index if m != "unmet"},
        "co2_kg_per_order": total * 1000.0 / delivered if delivered > 0 else None,
    }


def mode_share_by(flows: pd.DataFrame, key: pd.Series, modes, order=None) -> dict:
    """{group: {mode: share of the group's orders}} for each group of ``key`` (a Series aligned with
    ``flows``): delivered orders of each regime (every regime of ``modes``, in order) and ``unmet``
    over the group's orders (delivered + unmet), so each group's shares add up to 1. Groups in
    ``order`` first (those with orders), then the rest sorted."""
    legs = flows["leg"].isin(["outbound", "parcel", "unmet"])
    f = pd.DataFrame({"group": key[legs].astype(str), "mode": flows.loc[legs, "mode"],
                      "orders": flows.loc[legs, "orders"].astype(float)})
    by = f.groupby(["group", "mode"])["orders"].sum()
    total = f.groupby("group")["orders"].sum()
    first = [g for g in dict.fromkeys(map(str, order or [])) if g in total.index]
    total = total.reindex(first + [g for g in total.index if g not in first])
    return {g: {md: float(by.get((g, md), 0.0) / n) if n > 0 else 0.0 for md in (*modes, "unmet")}
            for g, n in total.items()}


def mode_share_by_class(flows: pd.DataFrame, modes, order=None) -> dict:
    """``mode_share_by_class``: {sku_class: {mode: share of that class's orders}}, the class's items
    of every product together (head, torso, tail; ``all`` without SKU classes), unmet included."""
    cls = flows["sku_class"] if "sku_class" in flows else pd.Series(NO_CLASS, index=flows.index)
    return mode_share_by(flows, cls.fillna(NO_CLASS), modes, order)


def mode_share_by_item(flows: pd.DataFrame, modes, order=None) -> dict:
    """``mode_share_by_item``: {item: {mode: share of that item's orders}}, item = ``<product>:<class>``
    (the product without SKU classes), unmet included."""
    return mode_share_by(flows, item_of(flows), modes, order)


def stock_pool_kpis(flows: pd.DataFrame, class_stocks: dict | None) -> dict:
    """``stock_pools``: each held SKU-class pool (the ``stock`` legs of flows.csv): its throughput
    (orders/yr) and stock cost as the model prices it (its piecewise-linear form) and exactly
    (:class:`model.economics.assortment.ClassStock`), USD/yr; both totals and their relative difference.
    Empty without SKU classes."""
    if not class_stocks:
        return {}
    legs = flows[flows["leg"] == "stock"]
    items = item_of(legs)
    exact = [float(class_stocks[i].cost(x)) if x > 0 else class_stocks[i].fixed_charge()
             for i, x in zip(items, legs["orders"])]
    pwl = legs["stock_cost"].astype(float).tolist()
    total_pwl, total_exact = float(sum(pwl)), float(sum(exact))
    return {"stock_pools": {
        "pools": [{"mode": md, "site": k, "item": i, "throughput_orders": float(x), "stock_cost_pwl_usd": c,
                   "stock_cost_exact_usd": e}
                  for md, k, i, x, c, e in zip(legs["mode"], legs["site"], items, legs["orders"], pwl, exact)],
        "stock_cost_pwl_usd": total_pwl, "stock_cost_exact_usd": total_exact,
        "pwl_error_share": (total_pwl - total_exact) / total_exact if total_exact else 0.0}}


def path_orders(paths: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """``paths`` (mode, zone, origin, product, ...) with the ``orders`` of its demand row. A path
    whose (zone, origin, product) has no demand row (origins merged, e.g. origin ``*`` on one side
    only) gets its (zone, product)'s orders, split equally among that mode's paths there."""
    key = ["zone", "origin", "product"]
    d = demand.groupby(key, as_index=False)["orders"].sum()
    r = paths.merge(d, on=key, how="left")
    miss = r["orders"].isna()
    if miss.any():
        zp = demand.groupby(["zone", "product"])["orders"].sum()
        m = r[miss]
        n = m.groupby(["mode", "zone", "product"])["origin"].transform("size")
        r.loc[miss, "orders"] = zp.reindex(pd.MultiIndex.from_frame(m[["zone", "product"]])).to_numpy(float) / n
    r["orders"] = r["orders"].fillna(0.0)
    return r


def regime_costs_by_item(paths: pd.DataFrame | None, demand: pd.DataFrame) -> pd.DataFrame:
    """mode, product (item), usd_per_order, orders: each regime's cost per order on its cheapest route,
    weighted by demand over the item's zones and origins (the orders it has a route for)."""
    if paths is None or not len(paths):
        return pd.DataFrame(columns=["mode", "product", "usd_per_order", "orders"])
    r = path_orders(paths, demand)
    r = r.assign(_w=r["usd_per_order"] * r["orders"])
    g = r.groupby(["mode", "product"], as_index=False)[["_w", "orders"]].sum()
    g = g[g["orders"] > 0]
    return g.assign(usd_per_order=g["_w"] / g["orders"])[["mode", "product", "usd_per_order", "orders"]]


def regime_costs_by_class(
    paths: pd.DataFrame | None, demand: pd.DataFrame, items: pd.DataFrame | None, modes
) -> list[dict]:
    """Per SKU class (every product's items of it together): each regime's cost per order on its
    cheapest route, weighted by demand (fixed and compliance costs left out; a pooled class's stock at
    its cost per order when one hub holds all of it, see ``ModelInputs.regime_paths``), USD per order,
    None where it has no route: [{sku_class, orders, <mode>: USD or None, cheapest: mode}], classes in
    the items' order. [] without SKU classes."""
    if items is None or not len(items) or set(items["sku_class"]) == {NO_CLASS}:
        return []
    by_item = regime_costs_by_item(paths, demand)
    cls_of = items["sku_class"]
    by_item = by_item.assign(sku_class=by_item["product"].map(cls_of))
    by_item = by_item.assign(_w=by_item["usd_per_order"] * by_item["orders"])
    g = by_item.groupby(["sku_class", "mode"])[["_w", "orders"]].sum()
    total = demand.assign(sku_class=demand["product"].map(cls_of)).groupby("sku_class")["orders"].sum()
    rows = []
    for c in dict.fromkeys(cls_of):
        if c not in total.index:
            continue
        row = {"sku_class": c, "orders": float(total[c])}
        for md in modes:
            row[md] = float(g.at[(c, md), "_w"] / g.at[(c, md), "orders"]) if (c, md) in g.index else None
        known = {md: row[md] for md in modes if row[md] is not None}
        row["cheapest"] = min(known, key=known.get) if known else None
        rows.append(row)
    return rows


def flat_kpis(kpis: dict | None) -> dict:
    """KPIs with nested dicts flattened to one column each, ``<key>_<sub>_<subsub>`` (e.g.
    ``mode_share_by_class_tail_direct_mail``), as the sweep and compare tables want them. A list
    (e.g. ``stock_pools.pools``, one row per pool) is a table, not a cell: it becomes its length,
    ``<key>_count``, so no cell of those tables holds a Python list."""
    if not kpis:
        return {}
    flat = pd.json_normalize(kpis, sep="_").iloc[0].to_dict()
    return {(f"{k}_count" if isinstance(v, (list, tuple)) else k): (len(v) if isinstance(v, (list, tuple)) else v)
            for k, v in flat.items()}

