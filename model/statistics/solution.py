"""Solution -> tidy tables, KPIs, summary.json; results written atomically.

Tables: ``sites`` (every candidate), ``flows`` (every non-zero flow with its mode and cost).
``cost_breakdown`` holds one entry per objective term (:data:`model.formulation.TERMS`) and
sums to the objective.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from model import regimes
from model.formulation.pools import pool_report
from model.inputs.classes import split_item
from model.inputs.pricing import TAX_COLUMNS
from model.io.terms import FLOW_TERMS, TERMS

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
    Pyomo model, ``model.methods.lagrangian_run`` from the Lagrangian plan's arrays).

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
    (a pooled class's rows may carry origin ``*``: every origin of the class in its national mix). In the monthly
    model, stock held at the end of each month is a
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

        pools = pool_report(m, inputs.stock_segments)
        parts.append(pools.rename(columns={"throughput": "orders"}).assign(leg="stock"))
    parts.append(unmet_leg(_var_frame(m.unmet, ["zone", "origin", "product"]), inputs.unmet_penalty))
    return flow_rows(parts, scenario)


#: cost terms priced per order on a flow (the others: fixed and compliance costs per site, the unmet penalty)


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
    return flows[
        [
            "mode",
            "leg",
            "origin",
            "gateway",
            "site",
            "zone",
            "product",
            "sku_class",
            *month,
            "orders",
            "kg",
            "km",
            "lead_hours",
            "usd_per_order",
            "cost_usd",
            *money,
            *TAX_COLUMNS,
            "co2_t",
        ]
    ]


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
