"""Solution -> tidy tables, KPIs, summary.json; results written atomically.

Tables: ``sites`` (every candidate), ``flows`` (every non-zero flow with its mode and cost).
``cost_breakdown`` holds one entry per objective term (:data:`model.formulation.TERMS`) and
sums to the objective.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from . import regimes
from .formulation import TERMS
from .formulation.classes import item_of, split_item
from .formulation.sets import TAX_COLUMNS

FLOW_TOL = 1e-6  # orders; smaller values are solver noise


def _var_frame(var, names: list[str]) -> pd.DataFrame:
    """A Pyomo variable's values as a table: one column per index position (``names``, plus
    ``month`` when the model is monthly) and ``orders``."""
    items = [(idx if isinstance(idx, tuple) else (idx,), v.value or 0.0) for idx, v in var.items()]
    width = len(items[0][0]) if items else len(names)
    cols = names + (["month"] if width == len(names) + 1 else [])
    df = pd.DataFrame([i for i, _ in items], columns=cols)
    df["orders"] = np.array([x for _, x in items], dtype=float)
    return df


def site_table(m, inputs, scenario) -> pd.DataFrame:
    """One row per candidate site: opened, level, capacity, throughput, utilisation, fixed cost."""
    lv = inputs.site_levels
    opened = {(k, l) for k, l in zip(lv["site"], lv["level"]) if round(m.open[k, l].value or 0.0) == 1}
    held = {(md, k) for md, k, l in getattr(m, "HOLDINGS", []) if round(m.hold[md, k, l].value or 0.0) == 1}
    ob = _var_frame(m.outbound, ["mode", "site", "zone", "origin", "product"])
    return sites_of_plan(inputs, scenario, opened, held, ob, stocked_classes(m))


def sites_of_plan(inputs, scenario, opened: set, held: set, outbound: pd.DataFrame,
                  held_classes: dict | None = None) -> pd.DataFrame:
    """:func:`site_table` from a plan given as plain values (the exact path reads them from the solved
    Pyomo model, ``model.lagrangian_run`` from the Lagrangian plan's arrays).

    ``opened``: the (site, level) pairs open; ``held``: the (mode, site) pairs holding a regime
    with a compliance cost (the ``hold`` binaries); ``outbound``: mode, site, orders of the
    outbound flows; ``held_classes``: :func:`stocked_classes`' site -> [(mode, item)] ({} without
    SKU classes)."""
    s = scenario.tables["sites"][["site", "name", "province", "lat", "lon", "site_type"]].merge(inputs.sites, on="site")
    lv = inputs.site_levels
    chosen = lv[[(k, l) in opened for k, l in zip(lv["site"], lv["level"])]] if len(lv) else lv
    s = s.merge(chosen, on="site", how="left")
    s["opened"] = s["level"].notna()
    chosen_pairs = set(zip(chosen["site"], chosen["level"]))
    comp = {(md, k): c for md, k, l, c in (inputs.regime_sites.itertuples(index=False, name=None)
                                           if inputs.regime_sites is not None else [])
            if (md, k) in held and (k, l) in chosen_pairs}
    through = outbound.groupby("site")["orders"].sum()
    s["throughput_orders"] = s["site"].map(through).fillna(0.0)
    s["capacity_orders"] = s.pop("capacity")
    s["utilisation"] = np.where(s["opened"], s["throughput_orders"] / s["capacity_orders"], np.nan)
    s["fixed_cost_usd"] = s.pop("fixed_cost").fillna(0.0)
    s["compliance_cost_usd"] = [sum(c for (md, k), c in comp.items() if k == site) for site in s["site"]]
    by_mode = outbound.groupby(["site", "mode"])["orders"].sum()
    s["regimes_held"] = [" ".join(md for md in regimes.STOCKED if by_mode.get((site, md), 0.0) > FLOW_TOL)
                         for site in s["site"]]
    held_classes = held_classes or {}
    s["stocked_classes"] = ["; ".join(f"{i} ({regimes.label(md)})" for md, i in held_classes.get(site, []))
                            if opened else "" for site, opened in zip(s["site"], s["opened"])]
    return s[["site", "name", "province", "lat", "lon", "site_type", "may_open",
              *[f"{md}_ok" for md in regimes.STOCKED], "reason", "force_open",
              "opened", "level", "capacity_orders", "throughput_orders", "utilisation", "regimes_held",
              "stocked_classes", "fixed_cost_usd", "compliance_cost_usd"]]


def stocked_classes(m) -> dict[str, list[tuple[str, str]]]:
    """site -> [(mode, item), ...]: the SKU classes each site holds under each regime in a solved
    model (``stock_class`` = 1), in the model's pool order; {} without SKU classes."""
    out: dict[str, list] = {}
    for md, k, i in getattr(m, "POOLS", []):
        if (m.stock_class[md, k, i].value or 0.0) > 0.5:
            out.setdefault(k, []).append((md, i))
    return out



def flow_table(m, inputs, scenario) -> pd.DataFrame:
    """Every non-zero flow: mode, leg, origin, gateway, site, zone, product (the category),
    sku_class (``all`` without SKU classes), (month), orders, kg, km, lead time, cost per term
    (a pooled class's rows may carry origin ``*``: every origin of the class in its national mix). In the monthly model, stock held at the end of each month is a
    ``stock`` leg carrying its holding and financing cost, so the rows re-price the objective."""
    parts = []

    def add(arcs, var, keycols, leg, coefficients=None):
        df = _var_frame(var, keycols)
        df = df[df["orders"] > FLOW_TOL].merge(arcs, on=keycols, how="left", validate="many_to_one")
        parts.append(priced_leg(df, leg, coefficients))

    add(inputs.inbound_arcs, m.inbound, ["mode", "origin", "gateway", "site", "product"], "inbound")
    add(inputs.outbound_arcs, m.outbound, ["mode", "site", "zone", "origin", "product"], "outbound")
    add(inputs.direct_arcs, m.direct, ["mode", "origin", "gateway", "zone", "product"], "parcel")
    if hasattr(m, "stock"):
        add(inputs.stock_keys, m.stock, ["mode", "site", "origin", "product"],
            "stock", {"inventory_cost": "holding_cost", "duty_financing_cost": "financing_cost"})
    if inputs.class_stocks:  # each held SKU-class pool: its stock cost (the model's PWL) on a stock leg
        from .formulation.classes import pool_report

        pools = pool_report(m, inputs.stock_segments)
        parts.append(pools.rename(columns={"throughput": "orders"}).assign(leg="stock"))
    parts.append(unmet_leg(_var_frame(m.unmet, ["zone", "origin", "product"]), inputs.unmet_penalty))
    return flow_rows(parts, scenario)


#: cost terms priced per order on a flow (the others: fixed and compliance costs per site, the unmet penalty)
FLOW_TERMS = tuple(t for t in TERMS if t not in ("fixed_cost", "compliance_cost", "unmet_penalty"))


def priced_leg(df: pd.DataFrame, leg: str, coefficients: dict | None = None) -> pd.DataFrame:
    """Flows of one leg priced per term: ``df`` holds arc rows (their key and coefficient columns,
    USD per order) with ``orders``; each term's column becomes orders x its coefficient
    (``coefficients``: term -> coefficient column, default the term's own name), the taxes
    likewise, and ``co2_t`` = orders x co2_kg / 1000."""
    df = df.copy()
    for t, col in {**(coefficients or {t: t for t in FLOW_TERMS}), **{c: c for c in TAX_COLUMNS}}.items():
        df[t] = df["orders"] * (df[col] if col in df.columns else 0.0)
    df["co2_t"] = df["orders"] * df["co2_kg"] / 1000.0 if "co2_kg" in df.columns else 0.0
    df["leg"] = leg
    return df


def unmet_leg(unmet: pd.DataFrame, penalty: float) -> pd.DataFrame:
    """The unserved orders (zone, origin, product, orders) as ``unmet`` rows carrying the penalty."""
    un = unmet[unmet["orders"] > FLOW_TOL].copy()
    un["unmet_penalty"] = un["orders"] * penalty
    un["mode"], un["leg"] = "unmet", "unmet"
    return un


def flow_rows(parts: list[pd.DataFrame], scenario) -> pd.DataFrame:
    """flows.csv from the priced legs (:func:`priced_leg`, :func:`unmet_leg`): the item split into
    product and sku_class, kg, cost_usd, usd_per_order, the columns in their order."""
    weight = scenario.tables["products"].set_index("product")["weight_kg_per_order"]
    flows = pd.concat(parts, ignore_index=True)
    # the model's item <product>:<class> -> product (the category) and sku_class ('all' without classes)
    flows[["product", "sku_class"]] = split_item(flows["product"])
    for c in ("origin", "gateway", "site", "zone"):
        flows[c] = flows[c].fillna("") if c in flows else ""
    flows["kg"] = flows["orders"] * flows["product"].map(weight)
    money = [t for t in TERMS if t in flows.columns]
    flows[money] = flows[money].fillna(0.0)
    flows["cost_usd"] = flows[money].sum(axis=1)
    flows["usd_per_order"] = flows["cost_usd"] / flows["orders"]
    for c, default in (("km", np.nan), ("lead_hours", np.nan), ("co2_t", 0.0), *((c, 0.0) for c in TAX_COLUMNS)):
        if c not in flows:
            flows[c] = default
    flows["co2_t"] = flows["co2_t"].fillna(0.0)
    flows[list(TAX_COLUMNS)] = flows[list(TAX_COLUMNS)].fillna(0.0)
    month = ["month"] if "month" in flows else []
    return flows[["mode", "leg", "origin", "gateway", "site", "zone", "product", "sku_class", *month, "orders", "kg", "km",
                  "lead_hours", "usd_per_order", "cost_usd", *money, *TAX_COLUMNS, "co2_t"]]


def cost_breakdown(m) -> dict[str, float]:
    """USD per objective term; the values sum to the objective."""
    return {t: float(pyo.value(getattr(m, t))) for t in TERMS}


def cost_breakdown_of_tables(sites: pd.DataFrame, flows: pd.DataFrame) -> dict[str, float]:
    """:func:`cost_breakdown` re-priced from the tables: fixed and compliance costs from sites.csv,
    every other term from flows.csv (for a plan that has no Pyomo model to evaluate)."""
    opened = sites[sites["opened"].astype(bool)]
    site_terms = {"fixed_cost": float(opened["fixed_cost_usd"].sum()),
                  "compliance_cost": float(opened["compliance_cost_usd"].sum())}
    return {t: site_terms[t] if t in site_terms else float(flows[t].sum()) if t in flows.columns else 0.0
            for t in TERMS}


def mode_shares(flows: pd.DataFrame, total_demand: float) -> tuple[dict, float]:
    """Shares of demand (orders) by regime (every regime of the registry, in its order), and the
    unmet share (0 when there is no demand)."""
    delivered = flows[flows["leg"].isin(["outbound", "parcel"])].groupby("mode")["orders"].sum()
    unmet = flows.loc[flows["leg"] == "unmet", "orders"].sum()
    if total_demand <= 0:
        return {md: 0.0 for md in regimes.MODES}, 0.0
    return ({md: float(delivered.get(md, 0.0) / total_demand) for md in regimes.MODES}, float(unmet / total_demand))


def write_atomically(out_dir: Path, files: dict[str, callable], force: bool = False, kind: str = "result") -> Path:
    """Write every file into a folder the tool owns, replacing a previous result atomically
    (:func:`model.outputs.write_atomically`: foreign folders refused unless ``force``, nothing
    the tool did not write deleted, a kill leaves the old or the new result complete)."""
    from .outputs import write_atomically as write

    return write(out_dir, files, force=force, kind=kind)


def write_results(result, out_dir: Path, extra_files: dict[str, callable] | None = None, force: bool = False) -> Path:
    """summary.json, sites.csv, flows.csv, report.md, results.xlsx (and velocity.png with SKU classes,
    :mod:`model.velocity_plot`) of a :class:`model.Result`, written atomically.

    ``extra_files`` maps more file names to writers (``writer(path)``), e.g.
    :func:`model.maps.map_writers`; they land in the same atomic swap, so a failing writer
    leaves the previous results untouched.
    """
    from .formats import to_csv
    from .names import with_names
    from .outputs import write_json
    from .report import report_markdown
    from .velocity_plot import velocity_writers
    from .workbook import write_workbook

    files = {
        "summary.json": lambda p: write_json(p, result.summary),  # strict JSON: inf as "inf" (docs/robustness.md)
        # names beside the codes, plain decimals (no 1.2e+08), formula-like text escaped
        "sites.csv": lambda p: to_csv(with_names(result.sites, result.scenario), p),
        "flows.csv": lambda p: to_csv(with_names(result.flows, result.scenario), p),
        "report.md": lambda p: p.write_text(report_markdown(result), encoding="utf-8"),
        "results.xlsx": lambda p: write_workbook(result, p),
        **velocity_writers(result),  # velocity.png, with SKU classes only
    }
    for name in extra_files or {}:
        if name in files or Path(name).name != name:
            raise ValueError(f"extra result file {name!r}: expected a new plain file name")
    files.update(extra_files or {})
    return write_atomically(Path(out_dir), files, force=force)


# --- Unmet demand: how much, where, and why ---------------------------------------------------

_OUT_TERMS = ("handling_cost", "market_access_cost", "last_mile_cost", "duty_tax_cost", "duty_financing_cost", "inventory_cost", "waiting_cost")
_IN_TERMS = ("linehaul_cost", "trucking_cost", "duty_financing_cost")
_DIRECT_TERMS = ("direct_mail_cost", "last_mile_cost", "duty_tax_cost", "duty_financing_cost", "waiting_cost")
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
    """Why (origin, product) has neither a stocked nor a direct-mail arc, in words."""
    why = []
    try:
        lanes = scenario.tables["lanes"]
        lanes = lanes[lanes["origin"] == origin]
        if not (lanes["service"] == "parcel").any():
            why.append(f"no parcel lane from {origin} in lanes.csv (no direct mail)")
        if not (lanes["service"] == "bulk").any():
            why.append(f"no bulk lane from {origin} in lanes.csv (nothing can be stocked)")
        else:
            general = bool(scenario.param("modes.general_trade"))
            products = scenario.tables["products"].set_index("product")
            positive = scenario.param("policy.positive_list")
            on_list = (bool(products.at[product, "cbec_positive_list"]) if positive == "*" else product in positive)
            if not on_list and not general:
                why.append(f"product {product} is not on the bonded positive list and modes.general_trade is off")
            else:
                why.append("no site may open for it (force_closed, bonded_allowed, policy.eligible_zones)")
    except (KeyError, AttributeError, TypeError):  # a hand-made result without a full scenario
        pass
    return "; ".join(why) or "no bonded, general-trade or direct-mail arc exists"


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
