"""Sparse index sets and per-order coefficients, as tidy DataFrames (no Pyomo here).

Each fulfilment regime of :data:`model.regimes.REGISTRY` that the policy enables competes for
each (zone, origin, product) demand. A *stocked* regime (bonded CBEC stock, general-trade
stock) has inbound arcs origin -> gateway -> site and outbound arcs site -> zone; a *parcel*
regime (cross-border parcel, CBEC direct purchase) has direct arcs origin -> gateway -> zone.
The regime's own module says its handling, taxes, when they are paid and credited, clearance
time and eligibility; this module only builds the arcs and asks the regime for their prices.

Only arcs that exist are created. Each arc table carries one column per objective term it
feeds (USD per order), its road km and, for arcs on the order's clock, its lead time (hours).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model import regimes as reg
from model.core.errors import ScenarioError
from model.economics import costs
from model.inputs import classes
from model.io import terms
from model.network.roads import RoadDistances, great_circle_km

MODES = reg.MODES
HOURS_PER_DAY = 24.0
#: Per-order tax columns of every outbound and direct arc (USD per order), for the KPIs.
TAX_COLUMNS = ("duty_usd", "vat_usd", "tax_at_entry_usd")


@dataclass
class ModelInputs:
    """Everything the Pyomo model needs, as plain tables (USD, orders per year, km, hours)."""

    demand: pd.DataFrame          # zone, origin, product, orders
    site_levels: pd.DataFrame     # site, level, capacity, fixed_cost
    sites: pd.DataFrame  # site, may_open, <regime>_ok ..., force_open, reason
    inbound_arcs: (
        pd.DataFrame
    )  # mode, origin, gateway, site, product, km, linehaul_cost, trucking_cost, duty_financing_cost
    outbound_arcs: (
        pd.DataFrame
    )  # mode, site, zone, origin, product, km, lead_hours, <terms>, <TAX_COLUMNS>, held_to_sale_usd
    direct_arcs: pd.DataFrame     # mode, origin, gateway, zone, product, km, lead_hours, <terms>, <TAX_COLUMNS>
    unmet_penalty: float          # USD per order
    max_sites: float              # most sites open (inf = no limit)
    service_target_hours: float
    service_min_share: float      # 0 = no service constraint
    service_per_zone: bool
    periods: int = 1              # 1 = steady-state year; 12 = months
    season: pd.Series | None = None  # month -> share of annual orders (periods = 12)
    stock_keys: pd.DataFrame | None = (
        None  # mode, site, origin, product, cover_months, holding_cost, financing_cost (USD per order-month)
    )
    storage_months: float = 0.0
    single_sourcing: bool = False
    monthly_reassignment: bool = False  # periods = 12: outbound per month (True) or a yearly plan (False)
    co2_cap_t: float = math.inf   # tonnes CO2e per year (inf = no cap); every arc table has co2_kg per order
    #: mode, site, level, compliance (USD per year): the yearly cost of holding a regime at a site
    #: (regimes with a compliance column only; the model's ``hold[md,k,l]`` binaries)
    regime_sites: pd.DataFrame | None = None
    #: mode, zone, origin, product, usd_per_order, lead_hours: each regime's cheapest path for
    #: every demand row, whether or not the plan uses it (fixed and compliance costs left out;
    #: a class's stock at the cost per order of one hub holding all of it)
    regime_paths: pd.DataFrame | None = None
    #: item -> category, sku_class and the product's and class's columns (model.inputs.classes.items)
    items: pd.DataFrame | None = None
    #: mode, site, product (item), band, lo, hi, intercept, slope, pwl_error: the stock pools' PWL bands
    stock_segments: pd.DataFrame | None = None
    #: item -> model.economics.assortment.ClassStock (items with SKU classes)
    class_stocks: dict | None = None
    #: product (item), origin, share: origins of the pooled items, whose rows carry origin '*'
    origin_mix: pd.DataFrame | None = None
    #: mode, product (item), share: the share of each item's orders a regime under
    #: policy.cbec_regulatory_exemption may carry (within the per-order and per-buyer limits), where < 1
    exempt_shares: pd.DataFrame | None = None
    #: whether the dominance pruning was applied (off when an --extra hook may change costs)
    pruned: bool = True


def zone_demand(scenario) -> pd.DataFrame:
    """Orders per year by (zone, origin, product): demand.csv x origin shares x demand.growth."""
    t = scenario.tables
    d = t["demand"].merge(t["sourcing"], on="product")
    d["orders"] = d["orders_per_year"] * d["share"] * scenario.param("demand.growth")
    d = d[d["orders"] > 0]
    return d[["zone", "origin", "product", "orders"]].sort_values(["zone", "origin", "product"]).reset_index(drop=True)


def site_status(scenario) -> pd.DataFrame:
    """Which sites may open, and for each stocked regime whether it may be held there
    (``<regime>_ok``, from the regime's ``site_ok`` rule), with the reason where one may not."""
    s = scenario.tables["sites"].copy()
    p = scenario.param
    stocked = [x for x in reg.REGISTRY.values() if x.stocked]
    reasons = pd.Series("", index=s.index)
    for x in stocked:
        ok, why = x.site_ok(s, scenario)
        s[f"{x.name}_ok"] = ok & ~s["force_closed"] & x.enabled(p)
        reasons = reasons.where(s[f"{x.name}_ok"] | (why == "") | (reasons != ""), why)
    s["may_open"] = np.logical_or.reduce([s[f"{x.name}_ok"] for x in stocked]) & ~s["force_closed"]
    on = [x for x in stocked if x.enabled(p)]
    held = s[[f"{x.name}_ok" for x in on]]
    s["reason"] = np.where(s["force_closed"], "forced closed (sites.csv)", reasons)
    if len(on) > 1:
        partial = s["may_open"] & ~held.all(axis=1)
        s["reason"] = np.where(partial, s["reason"] + "; " + held.apply(
            lambda r: " and ".join(x.label for x in on if r[f"{x.name}_ok"]), axis=1) + " only", s["reason"])
    s["reason"] = s["reason"].str.lstrip("; ")
    bad = s.loc[s["force_open"] & ~s["may_open"], "site"].tolist()
    if bad:
        raise ScenarioError(f"sites {bad} are forced open (sites.csv) but may not open under this scenario")
    return s[["site", "may_open", *[f"{x.name}_ok" for x in stocked], "force_open", "reason"]]


def keep_cheapest(arcs: pd.DataFrame, group: list[str], cost_columns: list[str]) -> pd.DataFrame:
    """Per ``group``, keep only the arc of least total cost (ties: the first in gateway order).

    Exact when no constraint tells the arcs of a group apart: arcs of one group then differ
    only in cost, so moving flow from a dearer arc to the cheapest keeps every constraint and
    lowers the objective, and some optimum uses cheapest arcs only. The model has no gateway
    capacity; the service constraint only sees whether an arc is within the lead-time target,
    so that flag is part of the group. tests/test_formulation.py checks the objective is unchanged.
    """
    total = arcs[cost_columns].sum(axis=1)
    order = arcs.assign(_total=total).sort_values([*group, "_total", "gateway"], kind="stable")
    return order.drop_duplicates(group, keep="first").drop(columns="_total").sort_index()


def drop_dominated_stock(out: pd.DataFrame, inbound_min: pd.DataFrame, pooled: set = frozenset(),
                         mergeable: set = frozenset()) -> pd.DataFrame:
    """Drop stocked arcs whose twin under a regime with no compliance cost of its own (same site,
    zone, origin, product) costs no more per order, path included (outbound + the cheapest inbound).

    Exact without a service constraint, a CO2 cap or single sourcing: the twins share the site's
    capacity and opening, and the twin needs nothing the dropped arc does not (no ``hold``
    binary), so moving flow to it keeps every constraint and costs no more.
    ``inbound_min``: mode, origin, site, product, inbound (USD per order, the cheapest gateway).

    A pooled item (``pooled``: its stock is the class's cost curve at the site, shared by all its
    arcs) moves as a whole: its arcs of a regime at a site are dropped only if every one of them is
    dominated and the (site, item) is in ``mergeable`` (its stock cost is subadditive, so one pool
    holding both regimes' flow costs no more than two); otherwise all of them are kept.
    """
    free = [r.name for r in reg.REGISTRY.values() if r.stocked and r.compliance_column is None]
    if not out["mode"].isin(free).any() or out["mode"].nunique() < 2:
        return out  # nothing can dominate; skips a group-by over every arc
    per_order = terms.columns("outbound")
    key = ["site", "zone", "origin", "product"]
    inb = out[["mode", "origin", "site", "product"]].merge(
        inbound_min, how="left", on=["mode", "origin", "site", "product"]
    )
    cost = out[per_order].sum(axis=1).to_numpy() + inb["inbound"].fillna(np.inf).to_numpy()
    cost = pd.Series(cost, index=out.index)
    is_free = out["mode"].isin(free)
    # the cheapest compliance-free twin of each row (NaN if none), by group transform
    twin = cost.where(is_free).groupby([out[c] for c in key], sort=False).transform("min")
    # only arcs of a regime with a compliance cost are dropped: compliance-free arcs are always kept
    dominated = ~is_free & twin.notna() & (twin <= cost)
    if pooled:
        is_pooled = out["product"].isin(pooled)
        whole = dominated.groupby([out["mode"], out["site"], out["product"]], sort=False).transform("all")
        ok = pd.Series([(k, i) in mergeable for k, i in zip(out["site"], out["product"])], index=out.index)
        dominated = dominated & (~is_pooled | (whole & ok))
    return out[~dominated]


def _lookup(table: pd.DataFrame, rows, cols) -> np.ndarray:
    """table.at[r, c] for each pair (NaN where either is missing), vectorised by position."""
    i = table.index.get_indexer(pd.Index(rows))
    j = table.columns.get_indexer(pd.Index(cols))
    values = table.to_numpy(dtype=float)[i, j]
    return np.where((i >= 0) & (j >= 0), values, np.nan)


def _rows(table: pd.DataFrame, *keys) -> pd.DataFrame:
    """table.loc[list(zip(*keys))] (a MultiIndex lookup, one row per key), without Python tuples per row."""
    pos = table.index.get_indexer(pd.MultiIndex.from_arrays([pd.Index(k) for k in keys]))
    if (pos < 0).any():
        raise KeyError(f"{int((pos < 0).sum())} keys not in the table")
    return table.iloc[pos]


def _hours(hours: pd.DataFrame | None, km: np.ndarray, rows, cols, speed: float) -> np.ndarray:
    """Driving hours of the routes: from the road graph's hours table, else km / speed."""
    return _lookup(hours, rows, cols) if hours is not None else km / speed


def vat_rates(scenario, origins, products) -> np.ndarray:
    """VAT rate per (origin, product) row: ``policy.vat_rate`` when set, else tariffs.csv."""
    override = scenario.param("policy.vat_rate")  # None = unset (an optional number)
    if override is not None:
        return np.full(len(origins), float(override))
    tariffs = scenario.tables["tariffs"].set_index(["origin", "product"])
    return _rows(tariffs[["vat_rate"]], origins, products)["vat_rate"].to_numpy(float)


def goods(scenario, arcs: pd.DataFrame, products: pd.DataFrame) -> reg.Goods:
    """Per-order values and rates of each arc (its mode, origin and product), for the regimes' tax rules."""
    p = scenario.param
    tariffs = scenario.tables["tariffs"].set_index(["origin", "product"])
    prod = products.loc[arcs["product"]]
    category = prod["category"] if "category" in prod else arcs["product"]
    tax = _rows(tariffs[["fta_duty_rate", "mfn_duty_rate"]], arcs["origin"], category)
    value = prod["order_value_usd"].to_numpy(float)
    on_sale_price = arcs["mode"].isin(scenario.selected("policy.dutiable_basis", MODES)).to_numpy()
    return reg.Goods(value=value, base=costs.dutiable_value(value, p("policy.declared_value_share"), on_sale_price),
                     fta=tax["fta_duty_rate"].to_numpy(float), mfn=tax["mfn_duty_rate"].to_numpy(float),
                     vat=vat_rates(scenario, arcs["origin"], category),
                     days=prod["days_in_stock"].to_numpy(float))


def _subset(g: reg.Goods, mask: np.ndarray) -> reg.Goods:
    return reg.Goods(**{f: getattr(g, f)[mask] for f in ("value", "base", "fta", "mfn", "vat", "days")})


def price_taxes(scenario, arcs: pd.DataFrame, products: pd.DataFrame, g: reg.Goods | None = None) -> pd.DataFrame:
    """Per-order tax columns of each arc under its regime's rule: duty_usd, vat_usd, duty_tax_cost,
    tax_at_entry_usd, held_to_sale_usd, duty_financing_cost (over the days in stock and the credit).
    ``g``: the arcs' :func:`goods`, when the caller has them already."""
    p = scenario.param
    g = goods(scenario, arcs, products) if g is None else g
    n = len(arcs)
    cols = {c: np.zeros(n) for c in ("duty_usd", "vat_usd", "tax_at_entry_usd", "held_to_sale_usd",
                                      "duty_financing_cost")}
    mode = arcs["mode"].to_numpy()
    for name in pd.unique(mode):
        mask = mode == name
        sub = _subset(g, mask)
        t = reg.REGISTRY[name].taxes(sub, p)
        cols["duty_usd"][mask] = t.duty
        cols["vat_usd"][mask] = t.vat
        cols["tax_at_entry_usd"][mask] = t.paid_at_entry
        cols["held_to_sale_usd"][mask] = t.held_to_sale
        cols["duty_financing_cost"][mask] = t.financing(p("finance.cost_of_capital"), sub.days)
    out = pd.DataFrame(cols, index=arcs.index)
    out["duty_tax_cost"] = out["duty_usd"] + out["vat_usd"]
    return out


def build_inputs(scenario, distances: RoadDistances, prune_dominated: bool = True,
                 nearest_sites: int | None = None) -> ModelInputs:
    """Arc tables and coefficients of every enabled regime under the scenario's policy.

    ``prune_dominated`` keeps, for each (mode, origin, site, product) and (origin, zone,
    product, within target), only the cheapest gateway (:func:`keep_cheapest`), and drops
    dominated stocked arcs (:func:`drop_dominated_stock`).
    ``nearest_sites`` (None = off, the default): a HEURISTIC, not exact, for very large
    instances (benchmarks/run.py --nearest-sites): each zone keeps stock-mode arcs to its K
    nearest sites by road km only (docs/performance.md, benchmark table, for its measured effect).
    """
    t = scenario.tables
    p = scenario.param
    r = p("finance.cost_of_capital")
    speed = p("network.truck_speed_kmh")
    target = p("service.target_hours")
    co2_factor = {mode: p(f"co2.{mode}_kg_per_tkm") for mode in ("sea", "air", "road", "rail")}
    co2_cap = p("policy.co2_cap_t")
    # Under a CO2 cap a dearer gateway may emit less: keep every gateway then.
    prune_gateways = prune_dominated and not math.isfinite(co2_cap)
    if periods_of(scenario) == 12:
        classes.refuse_classes(scenario, "the monthly model (periods = 12)")
    categories = t["products"].set_index("product")
    products = classes.items(scenario)  # one row per item: a product, or a (product, SKU class) pair
    demand = classes.item_demand(zone_demand(scenario), products)
    sites = site_status(scenario)
    positive = set(scenario.selected("policy.positive_list",
                                     categories.index if p("policy.positive_list") != "*"
                                     else categories.index[categories["cbec_positive_list"]]))
    regimes = reg.enabled(p)
    stocked_regimes = [x for x in regimes if x.stocked]

    levels = t["site_levels"].rename(columns={"capacity_orders_per_year": "capacity",
                                              "fixed_cost_usd_per_year": "fixed_cost"})
    levels = levels[levels["site"].isin(sites.loc[sites["may_open"], "site"])].reset_index(drop=True)

    lanes = t["lanes"]
    bulk = lanes[lanes["service"] == "bulk"]
    parcel = lanes[lanes["service"] == "parcel"]

    # Stocked regimes: every site where the regime may be held.
    mode_sites = pd.DataFrame([(x.name, s) for x in stocked_regimes for s in sites.loc[sites[x.site_eligible], "site"]],
                              columns=["mode", "site"])
    stocked = demand[demand["origin"].isin(set(bulk["origin"]))]
    if nearest_sites:
        km = distances.site_zone.loc[mode_sites["site"].unique()]
        near = km.rank(axis=0, method="first") <= nearest_sites  # per zone (column), the K nearest sites
        pairs = near.stack().rename("keep").rename_axis(["site", "zone"]).reset_index()
        pairs = pairs.loc[pairs["keep"], ["site", "zone"]]
        out = stocked.merge(pairs, on="zone").merge(mode_sites, on="site")[[*stocked.columns, "mode", "site"]]
    else:
        out = stocked.merge(mode_sites, how="cross")
    listed_only = [x.name for x in stocked_regimes if x.positive_list_only]
    out = out[~out["mode"].isin(listed_only) | out["product"].map(products["category"]).isin(positive)
              ].reset_index(drop=True)

    # only the columns used, so the per-arc lookups stay small (memory on 10^7 arcs)
    prod = products[["weight_kg_per_order", "days_in_stock", "obsolescence_rate_per_year", "order_value_usd",
                     "category", "return_rate"]].loc[out["product"]]
    weight = prod["weight_kg_per_order"].to_numpy()
    mode = out["mode"].to_numpy()
    site_handling = t["sites"].set_index("site")["handling_usd_per_order"].loc[out["site"]].to_numpy(float)
    clearance = np.zeros(len(out))
    handling = np.zeros(len(out))
    for x in stocked_regimes:
        mask = mode == x.name
        clearance[mask] = x.clearance_hours(p) + x.dispatch_hours(p)
        handling[mask] = x.handling(p, site_handling[mask])
    final_leg = final_leg_hours(scenario)
    out["km"] = _lookup(distances.site_zone, out["site"], out["zone"])
    out["lead_hours"] = (clearance + out["zone"].map(final_leg).to_numpy()
                         + _hours(distances.site_zone_hours, out["km"].to_numpy(), out["site"], out["zone"], speed))
    out["handling_cost"] = handling
    access = access_costs(scenario, out, products, demand)
    out["market_access_cost"] = np.zeros(len(out))
    for x in stocked_regimes:
        mask = mode == x.name
        if x.market_access is not None and mask.any():
            out.loc[mask, "market_access_cost"] = x.market_access(access.subset(mask), p)
    out["last_mile_cost"] = costs.last_mile_cost(weight, out["km"].to_numpy(), p("costs.last_mile_base_usd_per_order"),
                                                 p("costs.last_mile_usd_per_kg_km"))
    tax = price_taxes(scenario, out, products)
    out["duty_tax_cost"] = tax["duty_tax_cost"].to_numpy()
    out["duty_financing_cost"] = tax["duty_financing_cost"].to_numpy()
    stocks = classes.class_stocks(scenario, products, demand)
    # a pooled class's stock is priced per site (stock_cost), not per order
    out["inventory_cost"] = np.where(out["product"].isin(stocks).to_numpy(), 0.0, costs.inventory_cost(
        prod["order_value_usd"].to_numpy(), r, prod["obsolescence_rate_per_year"].to_numpy(),
        prod["days_in_stock"].to_numpy()))
    for c in (*TAX_COLUMNS, "held_to_sale_usd"):
        out[c] = tax[c].to_numpy()
    waiting = waiting_share(scenario)
    out["waiting_cost"] = costs.waiting_cost(
        prod["order_value_usd"].to_numpy(), prod["category"].map(waiting).to_numpy(), out["lead_hours"].to_numpy()
    )
    out["returns_cost"] = costs.stocked_returns_cost(
        prod["return_rate"].to_numpy(float), out["last_mile_cost"].to_numpy(), p("returns.inspection_usd_per_order"),
        prod["order_value_usd"].to_numpy(), p("returns.resale_share"))
    out["co2_kg"] = costs.emissions_kg(weight, out["km"].to_numpy(), co2_factor["road"])
    out = out[["mode", "site", "zone", "origin", "product", "km", "lead_hours", "handling_cost", "market_access_cost",
               "last_mile_cost",
               "duty_tax_cost", "duty_financing_cost", "inventory_cost", "waiting_cost", "returns_cost", *TAX_COLUMNS,
               "held_to_sale_usd", "co2_kg"]]

    # Inbound bulk line-haul, per stocked regime, for (origin, product) pairs that some outbound arc sells.
    keys = out[["mode", "site", "origin", "product", "held_to_sale_usd"]].drop_duplicates(
        ["mode", "site", "origin", "product"]
    )
    inb = bulk[["origin", "gateway", "mode", "cost_usd_per_kg", "cost_usd_per_order", "transit_days"]].rename(
        columns={"mode": "lane_mode"}).merge(keys, on="origin")
    inb["km"] = _lookup(distances.gateway_site, inb["gateway"], inb["site"])
    prod = products.loc[inb["product"]]
    w = prod["weight_kg_per_order"].to_numpy()
    inb["linehaul_cost"] = costs.freight_cost(
        w, inb["cost_usd_per_kg"].to_numpy(), inb["cost_usd_per_order"].to_numpy()
    )
    inb["trucking_cost"] = costs.trucking_cost(w, inb["km"].to_numpy(), p("costs.truck_usd_per_kg_km"))
    # Taxes paid at entry and recovered only at the sale are financed during the haul gateway -> site as well
    # (VAT that is credited is financed over finance.vat_credit_days from payment, on the outbound arc).
    truck_days = (
        _hours(distances.gateway_site_hours, inb["km"].to_numpy(), inb["gateway"], inb["site"], speed) / HOURS_PER_DAY
    )
    inb["duty_financing_cost"] = costs.duty_financing_cost(inb["held_to_sale_usd"].to_numpy(), r, truck_days)
    # Pipeline stock: the importer owns the goods from departure (FOB), so the days at sea or in
    # the air cost capital and ageing like days on the shelf: sea is cheap per kg but slow.
    inb["inventory_cost"] = costs.inventory_cost(prod["order_value_usd"].to_numpy(), r,
                                                 prod["obsolescence_rate_per_year"].to_numpy(),
                                                 inb["transit_days"].to_numpy())
    inb["co2_kg"] = (costs.emissions_kg(w, _international_km(t, inb), inb["lane_mode"].map(co2_factor).to_numpy())
                     + costs.emissions_kg(w, inb["km"].to_numpy(), co2_factor["road"]))
    inb = inb[["mode", "origin", "gateway", "site", "product", "km", "linehaul_cost", "trucking_cost",
               "duty_financing_cost", "inventory_cost", "co2_kg"]]
    inbound_terms = terms.columns("inbound")
    inbound_min = inb.assign(inbound=inb[inbound_terms].sum(axis=1)).groupby(
        ["mode", "origin", "site", "product"], as_index=False, sort=False)["inbound"].min()
    if prune_gateways:
        inb = keep_cheapest(inb, ["mode", "origin", "site", "product"], inbound_terms)

    # Parcel regimes: each parcel lane of the origin, to every zone with demand.
    dm = demand.merge(parcel[["origin", "gateway", "mode", "cost_usd_per_kg", "cost_usd_per_order", "transit_days"]]
                      .rename(columns={"mode": "lane_mode"}), on="origin")
    dm = pd.concat([dm.assign(mode=x.name) for x in regimes if not x.stocked] or [dm.assign(mode="")[:0]],
                   ignore_index=True)
    prod = products.loc[dm["product"]]
    g = None
    if len(dm):  # regimes that carry only some orders (e.g. an order-value cap)
        g = goods(scenario, dm, products)
        keep = np.ones(len(dm), bool)
        for x in regimes:
            if not x.stocked and x.eligible is not None:
                mask = dm["mode"].to_numpy() == x.name
                keep[mask] = x.eligible(_subset(g, mask), p)
        dm = dm[keep].reset_index(drop=True)
        g = _subset(g, keep)
        prod = products.loc[dm["product"]]
    dm["km"] = _lookup(distances.gateway_zone, dm["gateway"], dm["zone"])
    weight = prod["weight_kg_per_order"].to_numpy()
    clearance = np.zeros(len(dm))
    fee = np.zeros(len(dm))
    for x in regimes:
        if not x.stocked:
            mask = dm["mode"].to_numpy() == x.name
            clearance[mask] = x.clearance_hours(p) + x.dispatch_hours(p)
            fee[mask] = x.parcel_fee(p)
    dm["lead_hours"] = (dm["transit_days"].to_numpy() * HOURS_PER_DAY + clearance + dm["zone"].map(final_leg).to_numpy()
                        + _hours(distances.gateway_zone_hours, dm["km"].to_numpy(), dm["gateway"], dm["zone"], speed))
    dm["direct_mail_cost"] = costs.freight_cost(weight, dm["cost_usd_per_kg"].to_numpy(),
                                                dm["cost_usd_per_order"].to_numpy()) + fee
    dm["last_mile_cost"] = costs.last_mile_cost(weight, dm["km"].to_numpy(), p("costs.last_mile_base_usd_per_order"),
                                                p("costs.last_mile_usd_per_kg_km"))
    tax = price_taxes(scenario, dm, products, g)
    for c in ("duty_tax_cost", "duty_financing_cost", *TAX_COLUMNS):
        dm[c] = tax[c].to_numpy()
    dm["waiting_cost"] = costs.waiting_cost(
        prod["order_value_usd"].to_numpy(), prod["category"].map(waiting).to_numpy(), dm["lead_hours"].to_numpy()
    )
    dm["returns_cost"] = costs.parcel_returns_cost(
        prod["return_rate"].to_numpy(float),
        dm["last_mile_cost"].to_numpy(),
        dm["direct_mail_cost"].to_numpy(),
        prod["order_value_usd"].to_numpy(),
    )
    dm["co2_kg"] = (costs.emissions_kg(weight, _international_km(t, dm), dm["lane_mode"].map(co2_factor).to_numpy())
                    + costs.emissions_kg(weight, dm["km"].to_numpy(), co2_factor["road"]))
    dm = dm[["mode", "origin", "gateway", "zone", "product", "km", "lead_hours", "direct_mail_cost", "last_mile_cost",
             "duty_tax_cost", "duty_financing_cost", "waiting_cost", "returns_cost", *TAX_COLUMNS, "co2_kg"]]
    direct_terms = terms.columns("direct")
    pooled_per_order = {i: float(s.cost(s.national_orders)) / s.national_orders for i, s in stocks.items()}
    paths = None if nearest_sites else regime_paths(out, inbound_min, dm, direct_terms, pooled_per_order)
    if prune_gateways:
        # Across parcel regimes too: parcels of one (origin, zone, product) on either side of the
        # lead-time target differ only in cost for every constraint of the model.
        dm = keep_cheapest(dm.assign(_within=dm["lead_hours"] <= target), ["origin", "zone", "product", "_within"],
                           direct_terms).drop(columns="_within")
    segments = classes.pool_segments(scenario, stocks, out, levels)
    if prune_dominated and p("service.min_share") <= 0 and not math.isfinite(co2_cap) and len(segments):
        mailed = classes.never_stocked(segments, out, inbound_min, dm, direct_terms, demand,
                                       p("costs.unmet_penalty_usd_per_order"))
        out = out[~out["product"].isin(mailed)]
        segments = segments[~segments["product"].isin(mailed)]
        inb = inb[~inb["product"].isin(mailed)]
    if (
        prune_dominated
        and p("service.min_share") <= 0
        and not p("service.single_sourcing")
        and not math.isfinite(co2_cap)
    ):
        out = drop_dominated_stock(out, inbound_min, pooled=set(stocks),
                                   mergeable=classes.subadditive_items(stocks, segments) if stocks else set())
        segments = segments.merge(out[["mode", "site", "product"]].drop_duplicates(), on=["mode", "site", "product"])
        inb = inb.merge(
            out[["mode", "site", "origin", "product"]].drop_duplicates(), on=["mode", "site", "origin", "product"]
        )
    mix = classes.origin_mix(scenario, products, stocks)
    out, dm, demand = classes.mix_origins(out, dm, demand, mix, direct_terms)
    paths = classes.mix_paths(paths, mix)

    periods = periods_of(scenario)
    season = stock_keys = None
    if periods == 12:
        season = _season(scenario)
        stock_keys = _stock_keys(out, products, r)
        # Monthly model: holding and the financing of taxes held to the sale are priced on the stock
        # variables instead; the financing of credited VAT (no days in stock) stays per order.
        credit_only = price_taxes(scenario, out, products.assign(days_in_stock=0.0))
        out = out.assign(inventory_cost=0.0, duty_financing_cost=credit_only["duty_financing_cost"].to_numpy())

    max_sites = p("policy.max_sites")
    return ModelInputs(
        demand=demand,
        site_levels=levels[["site", "level", "capacity", "fixed_cost"]],
        sites=sites,
        inbound_arcs=inb.reset_index(drop=True),
        outbound_arcs=out.reset_index(drop=True),
        direct_arcs=dm.reset_index(drop=True),
        unmet_penalty=p("costs.unmet_penalty_usd_per_order"),
        max_sites=max_sites if math.isfinite(max_sites) else math.inf,
        service_target_hours=target,
        service_min_share=p("service.min_share"),
        service_per_zone=bool(p("service.per_zone")),
        periods=periods,
        season=season,
        stock_keys=stock_keys,
        storage_months=p("stock.storage_months"),
        single_sourcing=bool(p("service.single_sourcing")),
        co2_cap_t=co2_cap,
        monthly_reassignment=bool(p("stock.monthly_reassignment")),
        regime_sites=_regime_sites(levels, out, stocked_regimes),
        regime_paths=paths,
        items=products,
        stock_segments=segments if stocks else None,
        class_stocks=stocks or None,
        origin_mix=mix if len(mix) else None,
        exempt_shares=exempt_shares(scenario, regimes, products),
        pruned=prune_dominated,
    )


def per_sku_costs(scenario, products: pd.DataFrame, national: pd.Series, sku_usd: pd.Series) -> pd.Series:
    """item -> one-off per-SKU market-access cost per order (USD): sku_usd of its category x its SKUs x
    365 / their listed life / its national orders (:func:`model.regimes.access.per_sku_usd_per_order`).
    Without SKU classes the category's item is one average SKU: the sum over the category's classes
    of sku_classes.csv (when the data has it; else no per-SKU cost, as no SKU count is known)."""
    usd = products["category"].map(sku_usd).fillna(0.0)
    if "sku_count" in products:
        return pd.Series(reg.access.per_sku_usd_per_order(usd, products["sku_count"], products["sku_life_days"],
                                                          national.reindex(products.index).fillna(0.0)),
                         index=products.index)
    cls = scenario.tables.get("sku_classes")
    if cls is None:
        return pd.Series(0.0, index=products.index)
    skus_a_year = (cls["sku_count"] * reg.access.DAYS_PER_YEAR / cls["sku_life_days"]).groupby(cls["product"]).sum()
    yearly = usd * products["category"].map(skus_a_year).fillna(0.0)
    orders = national.reindex(products.index).fillna(0.0)
    return pd.Series(np.divide(yearly.to_numpy(float), orders.to_numpy(float), out=np.zeros(len(orders)),
                               where=orders.to_numpy() > 0), index=products.index)


def access_costs(scenario, arcs: pd.DataFrame, products: pd.DataFrame, demand: pd.DataFrame) -> reg.Access:
    """Per-order market-access costs of each arc's item (:class:`model.regimes.access.Access`), from
    market_access.csv (none without it): per SKU (:func:`per_sku_costs`), per shipment
    (shipment_usd and market_access.declaration_usd_per_shipment / orders_per_shipment), per order
    (label_usd_per_order, and for the cross_border
    channel market_access.ior_margin_share x the order value). ``demand``: item rows (national orders)."""
    n = len(arcs)
    table = scenario.tables.get("market_access")
    if table is None or not n:
        z = np.zeros(n)
        return reg.Access(per_sku=z, per_shipment=z.copy(), per_order=z.copy(), declaration=z.copy())
    p = scenario.param
    ma = table.set_index("product")
    national = demand.groupby("product")["orders"].sum()
    per_sku = per_sku_costs(scenario, products, national, ma["sku_usd"])
    prod = products.loc[arcs["product"]]
    row = ma.reindex(prod["category"].to_numpy())
    ior = 0.0 if reg.channel(p) == "local_import" else p("market_access.ior_margin_share")
    return reg.Access(
        per_sku=arcs["product"].map(per_sku).fillna(0.0).to_numpy(float),
        per_shipment=(row["shipment_usd"] / row["orders_per_shipment"]).fillna(0.0).to_numpy(float),
        per_order=row["label_usd_per_order"].fillna(0.0).to_numpy(float)
        + ior * prod["order_value_usd"].to_numpy(float),
        declaration=(p("market_access.declaration_usd_per_shipment") / row["orders_per_shipment"])
        .fillna(0.0)
        .to_numpy(float),
    )


def exempt_shares(scenario, regimes, products: pd.DataFrame) -> pd.DataFrame | None:
    """mode, product (item), share: for each regime that ``policy.cbec_regulatory_exemption`` exempts,
    the share of each item's orders within the per-order and per-buyer limits
    (:func:`model.regimes.access.eligible_share`), where it is below 1; None if there is none."""
    p = scenario.param
    modes = [x.name for x in regimes if x.exempt(p)]
    if not modes:
        return None
    share = reg.access.eligible_share(products["order_value_usd"].to_numpy(float), p("policy.cbec_order_limit_usd"),
                                      p("policy.cbec_buyer_annual_limit_usd"), p("demand.order_value_sigma"),
                                      p("demand.orders_per_buyer_per_year"), p("demand.buyer_spend_sigma"))
    limited = share < 1 - 1e-4  # a share of orders below 0.01 % is far inside the solve's gap
    if not limited.any():
        return None
    rows = [pd.DataFrame({"mode": md, "product": products.index[limited], "share": share[limited]}) for md in modes]
    return pd.concat(rows, ignore_index=True)


def periods_of(scenario) -> int:
    """1 or 12 (checked at load: parameter_keys.csv choices)."""
    return int(scenario.param("periods"))


def final_leg_hours(scenario) -> pd.Series:
    """zone -> hours from the province's centre to the buyer, the same for every regime: sortation at
    the courier hub + local delivery + the drive over the province's mean distance, taken as the mean
    distance from the centre of a disc of the province's area, 2/3 x sqrt(area / pi), x
    network.circuity_factor (0 where provinces.csv has no area_km2)."""
    p = scenario.param
    prov = scenario.tables["provinces"]
    area = prov["area_km2"].fillna(0.0).to_numpy(float) if "area_km2" in prov else np.zeros(len(prov))
    km = 2.0 / 3.0 * np.sqrt(area / math.pi) * p("network.circuity_factor")
    hours = p("service.sortation_hours") + p("service.local_delivery_hours") + km / p("network.truck_speed_kmh")
    return pd.Series(hours, index=prov["code"].astype(str).to_numpy())


def waiting_share(scenario) -> dict[str, float]:
    """{product: share of its value lost per day of delivery time} (service.waiting_cost_*)."""
    return scenario.per_product("service.waiting_cost_share_per_day", "service.waiting_cost_by_product", 0.0, 1.0)


def _regime_sites(levels: pd.DataFrame, out: pd.DataFrame, stocked_regimes) -> pd.DataFrame:
    """mode, site, level, compliance (USD per year) for each regime with a compliance cost, at
    each level of each site where it has an outbound arc and the cost is positive."""
    rows = []
    for x in stocked_regimes:
        if x.compliance_column is None:
            continue
        held = set(out.loc[out["mode"] == x.name, "site"])
        lv = levels[levels["site"].isin(held) & (levels[x.compliance_column] > 0)]  # no cost, no hold binary
        rows.append(pd.DataFrame({"mode": x.name, "site": lv["site"].to_numpy(), "level": lv["level"].to_numpy(),
                                  "compliance": lv[x.compliance_column].to_numpy(float)}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["mode", "site", "level", "compliance"])


def regime_paths(out: pd.DataFrame, inbound_min: pd.DataFrame, dm: pd.DataFrame, direct_terms,
                 pooled_per_order: dict | None = None) -> pd.DataFrame:
    """Each regime's cheapest path per demand row (zone, origin, product): USD per order (outbound +
    cheapest inbound, or the parcel; fixed and compliance costs left out; a pooled class's stock at
    ``pooled_per_order[item]``, its cost per order when one hub holds all of it) and its lead time (hours)."""
    per_order = terms.columns("outbound")
    key = ["mode", "zone", "origin", "product"]
    s = out[[*key, "site", "lead_hours"]].assign(_out=out[per_order].sum(axis=1)) \
        .merge(inbound_min, on=["mode", "origin", "site", "product"], how="inner")
    s["usd_per_order"] = s["_out"] + s["inbound"] + s["product"].map(pooled_per_order or {}).fillna(0.0)
    d = dm[[*key, "lead_hours"]].assign(usd_per_order=dm[direct_terms].sum(axis=1).to_numpy())
    both = pd.concat([s[[*key, "usd_per_order", "lead_hours"]], d], ignore_index=True)
    if not len(both):
        return both
    best = both.sort_values([*key, "usd_per_order", "lead_hours"], kind="stable").drop_duplicates(key)
    return best.reset_index(drop=True)


def _international_km(tables, arcs: pd.DataFrame) -> np.ndarray:
    """Great-circle km origin -> gateway of each arc (the basis of the GLEC air factor; sea routes are longer)."""
    o = tables["origins"].set_index("origin").loc[arcs["origin"]]
    g = tables["gateways"].set_index("gateway").loc[arcs["gateway"]]
    return great_circle_km(o["lat"].to_numpy(float), o["lon"].to_numpy(float),
                           g["lat"].to_numpy(float), g["lon"].to_numpy(float))


DAYS_PER_MONTH = 365.0 / 12


def _season(scenario) -> pd.Series:
    """Share of annual orders by month 1..12: seasonality.csv, or 1/12 each when the table is absent."""
    t = scenario.tables.get("seasonality")
    if t is None:
        return pd.Series(1 / 12, index=range(1, 13))
    return t.set_index(t["month"].astype(int))["share"].sort_index()


def _stock_keys(out: pd.DataFrame, products: pd.DataFrame, r: float) -> pd.DataFrame:
    """Stock positions (mode, site, origin, product) with cover (months of next month's sales) and
    costs per order held one month: value x (r + obsolescence) / 12, plus the taxes paid at entry and
    recovered only at the sale x r / 12."""
    k = out.groupby(["mode", "site", "origin", "product"], sort=True)[["held_to_sale_usd"]].first().reset_index()
    prod = products.loc[k["product"]]
    value = prod["order_value_usd"].to_numpy()
    prepaid = k["held_to_sale_usd"].to_numpy()  # per order, same for every zone
    k["cover_months"] = prod["days_in_stock"].to_numpy() / DAYS_PER_MONTH
    k["holding_cost"] = costs.inventory_cost(value, r, prod["obsolescence_rate_per_year"].to_numpy(), DAYS_PER_MONTH)
    k["financing_cost"] = costs.duty_financing_cost(prepaid, r, DAYS_PER_MONTH)
    return k.drop(columns="held_to_sale_usd")


def check_service_reachable(inputs: ModelInputs) -> None:
    """Raise before solving if no network could meet the service share: name the zones that cannot.

    An order can be within the target only if some arc for its (zone, origin, product) is; the
    best possible share is the demand with such an arc over all demand (nationally or per zone).
    """
    if inputs.service_min_share <= 0:
        return
    target = inputs.service_target_hours
    fast = set(map(tuple, inputs.outbound_arcs.loc[inputs.outbound_arcs["lead_hours"] <= target,
                                                    ["zone", "origin", "product"]].to_numpy()))
    fast |= set(map(tuple, inputs.direct_arcs.loc[inputs.direct_arcs["lead_hours"] <= target,
                                                   ["zone", "origin", "product"]].to_numpy()))
    d = inputs.demand.copy()
    d["reachable"] = [k in fast for k in map(tuple, d[["zone", "origin", "product"]].to_numpy())]
    by_zone = d.assign(fast_orders=d["orders"] * d["reachable"]).groupby("zone")[["fast_orders", "orders"]].sum()
    by_zone["best_share"] = by_zone["fast_orders"] / by_zone["orders"]
    if inputs.service_per_zone:
        short = by_zone[by_zone["best_share"] < inputs.service_min_share - 1e-12]
    else:
        best = by_zone["fast_orders"].sum() / by_zone["orders"].sum()
        short = by_zone[by_zone["best_share"] < 1] if best < inputs.service_min_share - 1e-12 else by_zone.iloc[0:0]
        if len(short):
            short = short.assign(national_best_share=best)
    if len(short):
        worst = short.sort_values("best_share").head(5)
        zones = ", ".join(f"{z} ({r.best_share:.0%})" for z, r in worst.iterrows())
        scope = "in every zone" if inputs.service_per_zone else \
            f"nationally (best possible {short['national_best_share'].iloc[0]:.1%})"
        raise ScenarioError(
            f"service.min_share = {inputs.service_min_share:g} within {target:g} h cannot be met {scope}: "
            f"no path reaches these zones in time for all their orders (best possible share): {zones}; "
            "lower service.min_share, raise service.target_hours, or shorten clearance times")
