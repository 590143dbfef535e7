"""Diagnostics of a scenario and its solution: is there capacity for the demand, is the unmet-demand
penalty above every serving cost, and why is a demand row left unmet."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from model import regimes
from model.inputs.classes import item_of
from model.io import terms

# --- Unmet demand: how much, where, and why ---------------------------------------------------

# every per-order term of each arc family, from the term table (a copy here once left out returns
# and pipeline stock, and blamed the fixed cost for demand that those terms priced out)
_OUT_TERMS = terms.columns("outbound")
_IN_TERMS = terms.columns("inbound")
_DIRECT_TERMS = terms.columns("direct")
_KEY = ["zone", "origin", "product"]


def _row_sum(df: pd.DataFrame, cols) -> pd.Series:
    return df[[c for c in cols if c in df.columns]].sum(axis=1)


def cheapest_serving_costs(inputs) -> pd.DataFrame:
    """Per (zone, origin, product): the cheapest per-order cost of a stocked arc (bonded or
    general trade: outbound + its cheapest inbound, fixed costs left out) and of direct mail,
    USD per order (NaN where that mode has no arc). In the monthly model the stock holding and
    financing costs of ``cover_months`` of stock are added to the stocked arcs."""
    # only the key columns beside the cost: a copy of the whole arc table costs gigabytes at 10^7 arcs
    arcs = inputs.outbound_arcs
    out = arcs[["mode", "origin", "site", "product", "zone"]].assign(_cost=_row_sum(arcs, _OUT_TERMS).to_numpy())
    inb = inputs.inbound_arcs.assign(_in=_row_sum(inputs.inbound_arcs, _IN_TERMS))
    inb = inb.groupby(["mode", "origin", "site", "product"], as_index=False)["_in"].min()
    out = out.merge(inb, on=["mode", "origin", "site", "product"], how="inner")
    out["_cost"] += out["_in"]
    if inputs.stock_keys is not None and len(inputs.stock_keys):
        sk = inputs.stock_keys.assign(_stock=lambda d: (d["holding_cost"] + d["financing_cost"]) * d["cover_months"])
        out = out.merge(sk[["mode", "site", "origin", "product", "_stock"]], how="left",
                        on=["mode", "site", "origin", "product"])
        out["_cost"] += out["_stock"].fillna(0.0)
    stocked = out.groupby(_KEY)["_cost"].min().rename("stocked_usd_per_order")
    dm = inputs.direct_arcs
    direct = dm.assign(_cost=_row_sum(dm, _DIRECT_TERMS)).groupby(_KEY)["_cost"].min().rename("direct_usd_per_order")
    return inputs.demand[_KEY].drop_duplicates().merge(stocked.reset_index(), on=_KEY, how="left") \
        .merge(direct.reset_index(), on=_KEY, how="left")


def capacity_check(inputs) -> dict:
    """Capacity of every site that may open, at its largest level, against demand (orders per year).

    - ``capacity_orders``: sum over sites that may open of their largest level's capacity;
      ``usable_capacity_orders``: the same over the ``policy.max_sites`` largest when that binds.
    - ``stock_eligible_orders`` / ``direct_eligible_orders``: demand with a stocked (bonded or
      general-trade) arc / a direct-mail arc; ``stock_only_orders``: with a stocked arc only;
      ``no_mode_orders``: with no arc at all.
    - ``unmet_lower_bound_orders``: orders no network can serve: no_mode + stock_only above
      the usable capacity. ``capacity_covers_demand``: usable capacity >= all demand.

    The monthly model also limits monthly receiving and storage; this annual check ignores them.
    """
    per_site = inputs.site_levels.groupby("site")["capacity"].max().sort_values(ascending=False)
    capacity = float(per_site.sum())
    max_sites = inputs.max_sites
    limited = math.isfinite(max_sites) and max_sites < len(per_site)
    usable = float(per_site.iloc[:int(max_sites)].sum()) if limited else capacity
    d = inputs.demand
    keys = list(map(tuple, d[_KEY].to_numpy()))
    stock_keys = set(map(tuple, inputs.outbound_arcs[_KEY].to_numpy()))
    direct_keys = set(map(tuple, inputs.direct_arcs[_KEY].to_numpy()))
    stock_ok = np.array([k in stock_keys for k in keys], dtype=bool)
    direct_ok = np.array([k in direct_keys for k in keys], dtype=bool)
    orders = d["orders"].to_numpy(float)
    stock_only = float(orders[stock_ok & ~direct_ok].sum())
    no_mode = float(orders[~stock_ok & ~direct_ok].sum())
    demand = float(orders.sum())
    return {
        "sites_that_may_open": int(len(per_site)),
        "max_sites": int(max_sites) if math.isfinite(max_sites) else None,
        "capacity_orders": capacity,
        "usable_capacity_orders": usable,
        "demand_orders": demand,
        "stock_eligible_orders": float(orders[stock_ok].sum()),
        "direct_eligible_orders": float(orders[direct_ok].sum()),
        "stock_only_orders": stock_only,
        "no_mode_orders": no_mode,
        "unmet_lower_bound_orders": no_mode + max(0.0, stock_only - usable),
        "capacity_covers_demand": bool(usable >= demand),
    }


def penalty_check(inputs) -> dict | None:
    """Does ``costs.unmet_penalty_usd_per_order`` exceed the cheapest way to serve every demand row?

    Per (zone, origin, product) with at least one arc, the cheapest per-order cost of serving it
    (:func:`cheapest_serving_costs`, fixed costs left out). None when the penalty exceeds the dearest
    of these; else the rows that may be cheaper left unserved: ``rows``, ``orders`` (per year), of
    ``served_rows`` rows with an arc, and the dearest one (``zone``, ``origin``, ``product``,
    ``cheapest_usd_per_order``) with ``penalty_usd_per_order``.
    """
    costs = cheapest_serving_costs(inputs)
    cheapest = costs[["stocked_usd_per_order", "direct_usd_per_order"]].min(axis=1)  # NaN: no arc at all
    penalty = float(inputs.unmet_penalty)
    below = cheapest.notna() & (cheapest >= penalty)
    if not below.any():
        return None
    orders = inputs.demand.groupby(_KEY)["orders"].sum()
    worst = cheapest[below].idxmax()
    keys = costs.loc[below, _KEY]
    return {"penalty_usd_per_order": penalty, "rows": int(below.sum()), "served_rows": int(cheapest.notna().sum()),
            "orders": float(orders.reindex(pd.MultiIndex.from_frame(keys)).sum()),
            **{k: costs.at[worst, k] for k in _KEY}, "cheapest_usd_per_order": float(cheapest[worst])}


def penalty_warning(check: dict | None) -> str | None:
    """:func:`penalty_check`'s finding in one sentence (None when the penalty exceeds every cost)."""
    if check is None:
        return None
    c = check
    return (f"costs.unmet_penalty_usd_per_order = {c['penalty_usd_per_order']:,.4g} USD/order does not exceed the "
            f"cheapest way to serve {c['rows']} of {c['served_rows']} (zone, origin, product) demand rows "
            f"({c['orders']:,.0f} orders/year; dearest: zone {c['zone']}, {c['origin']}, {c['product']} at "
            f"{c['cheapest_usd_per_order']:,.4g} USD/order): unserved demand may be cheaper than serving it; "
            f"a penalty above {c['cheapest_usd_per_order']:,.4g} serves all demand that has a route")


def _no_mode_detail(scenario, origin: str, product: str) -> str:
    """Why (origin, product) has no arc of any regime, in words: per regime the policy enables, the
    first rule that shuts it (no lane of its service, the positive list, no site that may hold it),
    and the regimes the policy switches off."""
    why = []
    try:
        p = scenario.param
        lanes = scenario.tables["lanes"]
        lanes = lanes[lanes["origin"] == origin]
        products = scenario.tables["products"].set_index("product")
        positive = p("policy.positive_list")
        on_list = bool(products.at[product, "cbec_positive_list"]) if positive == "*" else product in positive
        on = regimes.enabled(p)
        for x in on:
            if not (lanes["service"] == x.service).any():
                why.append(f"{x.label}: no {x.service} lane from {origin} in lanes.csv")
            elif x.positive_list_only and not on_list:
                why.append(f"{x.label}: product {product} is not on the positive list (policy.positive_list)")
            elif x.stocked:
                why.append(f"{x.label}: no site may hold it (force_closed"
                           + (f", {x.site_rule})" if x.site_rule else ")"))
        off = [x.label for x in regimes.REGISTRY.values() if x not in on]
        if off:
            why.append("switched off by the policy: " + ", ".join(off))
    except (KeyError, AttributeError, TypeError):  # a hand-made result without a full scenario
        pass
    return "; ".join(why) or "no arc of any regime exists"


def explain_unmet(result) -> list[dict]:
    """Every (zone, origin, product) with unmet demand: orders per year and why.

    ``reason`` is one of
    - ``no_eligible_mode``: no outbound (stocked) and no direct-mail arc exists for it;
    - ``penalty_cheaper``: ``costs.unmet_penalty_usd_per_order`` is below the cheapest
      per-order cost of every arc that could serve it (fixed costs left out);
    - ``capacity_short``: the sites that could serve it, each at its largest level, are full:
      their throughput plus these orders exceeds that capacity;
    - ``max_sites``: ``policy.max_sites`` sites are open and an unopened site could serve it;
    - ``fixed_cost``: serving it is cheaper per order than the penalty, but only from more
      capacity (a site or a larger level) whose fixed cost exceeds the penalty saved (or a
      service or single-sourcing constraint keeps it unserved);
    - ``not_optimal``: a direct-mail arc cheaper than the penalty exists, which an optimal
      solution would use: the result is not proven optimal (time limit) or within its gap.

    Each dict: zone, origin, product, orders, reason, detail (one sentence with the numbers),
    penalty_usd_per_order, cheapest_usd_per_order (None where no arc). Pure: reads
    ``result.flows``, ``result.inputs``, ``result.scenario``, ``result.status``.
    """
    flows = result.flows
    if flows is None or len(flows) == 0 or "leg" not in flows:
        return []
    un = flows[flows["leg"] == "unmet"]
    if not len(un):
        return []
    un = un.assign(product=item_of(un)).groupby(_KEY, as_index=False)["orders"].sum()  # keyed as the model
    inputs = result.inputs
    penalty = float(inputs.unmet_penalty)
    costs = cheapest_serving_costs(inputs).set_index(_KEY)
    out = inputs.outbound_arcs
    sites_of = out.groupby(_KEY)["site"].agg(lambda s: sorted(set(s)))
    max_cap = inputs.site_levels.groupby("site")["capacity"].max()
    stocked = flows[flows["leg"] == "outbound"]
    through = stocked.groupby("site")["orders"].sum()
    opened = set(result.sites.loc[result.sites["opened"], "site"]) if len(getattr(result, "sites", [])) else \
        set(through.index)
    optimal = getattr(result, "status", "optimal") == "optimal"
    tol = 1e-6
    rows = []
    for r in un.itertuples(index=False):
        key = (r.zone, r.origin, r.product)
        c = costs.loc[key] if key in costs.index else None
        s_cost = None if c is None or pd.isna(c["stocked_usd_per_order"]) else float(c["stocked_usd_per_order"])
        d_cost = None if c is None or pd.isna(c["direct_usd_per_order"]) else float(c["direct_usd_per_order"])
        known = [x for x in (s_cost, d_cost) if x is not None]
        cheapest = min(known) if known else None
        if cheapest is None:
            reason, detail = "no_eligible_mode", _no_mode_detail(result.scenario, r.origin, r.product)
        elif penalty < cheapest - tol * max(1.0, abs(cheapest)):
            reason = "penalty_cheaper"
            detail = (f"the unmet penalty {penalty:,.4g} USD/order is below the cheapest way to serve it, "
                      f"{cheapest:,.4g} USD/order ({'stocked' if cheapest == s_cost else 'direct mail'}, "
                      "fixed costs left out)")
        elif d_cost is not None and d_cost <= penalty + tol * max(1.0, penalty):
            reason = "not_optimal"
            detail = (f"direct mail at {d_cost:,.4g} USD/order costs no more than the penalty {penalty:,.4g}: "
                      f"an optimal solution would use it (status {getattr(result, 'status', '?')}, "
                      "unproven or within the MIP gap)")
        else:
            sites = sites_of.get(key, [])
            cap = float(max_cap.reindex(sites).fillna(0.0).sum())
            used = float(through.reindex(sites).fillna(0.0).sum())
            if used + r.orders > cap + tol * max(1.0, cap):
                reason = "capacity_short"
                detail = (f"the {len(sites)} site(s) that could stock it ({', '.join(sites[:8])}"
                          f"{', ...' if len(sites) > 8 else ''}) hold at most {cap:,.0f} orders/year at their "
                          f"largest level; they ship {used:,.0f} and {r.orders:,.0f} more are unmet"
                          + ("" if d_cost is None else
                             f"; direct mail ({d_cost:,.4g} USD/order) costs more than the penalty {penalty:,.4g}"))
            elif math.isfinite(inputs.max_sites) and len(opened) >= inputs.max_sites and set(sites) - opened:
                reason = "max_sites"
                detail = (f"policy.max_sites = {inputs.max_sites:g} sites are open; unopened site(s) "
                          f"{', '.join(sorted(set(sites) - opened)[:8])} could stock it at {s_cost:,.4g} USD/order")
            else:
                reason = "fixed_cost"
                detail = (f"stocked at {s_cost:,.4g} USD/order it is cheaper than the penalty {penalty:,.4g}, but "
                          "the extra capacity it needs (a site or a larger level) costs more in fixed cost than "
                          "the penalty it saves")
        if not optimal and reason != "not_optimal":
            detail += f" (result not proven optimal: {result.status})"
        rows.append({"zone": r.zone, "origin": r.origin, "product": r.product, "orders": float(r.orders),
                     "reason": reason, "detail": detail, "penalty_usd_per_order": penalty,
                     "cheapest_usd_per_order": cheapest})
    rows.sort(key=lambda x: (-x["orders"], x["zone"], x["origin"], x["product"]))
    return rows
