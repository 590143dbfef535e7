"""SKU classes: the model's items, the stock pool of each class at each site, and its constraints.

With ``data/sku_classes.csv`` and ``stock.sku_classes = 1``, each product category's orders are
split into velocity classes (head, torso, tail, ...). Each (category, class) pair is an *item*,
named ``<product>:<class>``: the ``product`` column of every arc table and demand row holds the
item, so each class competes for its own regime, sites and routes. Its stock is not a cost per
order: a site that holds a class holds every SKU of it, and what that costs is the class's curve
C(X) of :mod:`model.economics.assortment` in the class's throughput X at the site (pooling: one hub holding
a class needs less stock than five; the floor of every SKU: a tail class is dear to hold anywhere).

Model (docs/formulation.md, "Stock per SKU class"), for each pool (md, k, i) = (regime, site, item)
with a band b = 1..B of C's piecewise-linear form [lo_b, hi_b], cost intercept_b + slope_b x X:

    stock_class[md,k,i] binary, stock_band[md,k,i,b] binary, pool_flow[md,k,i,b] >= 0
    one_band:         sum_b stock_band[md,k,i,b] = stock_class[md,k,i]
    band_lower/upper: lo_b stock_band <= pool_flow <= hi_b stock_band
    pool_throughput:  sum_b pool_flow[md,k,i,b] = sum_{c,o} outbound[md,k,c,o,i]
    class_held:       stock_class[md,k,i] <= sum_l hold[md,k,l] (or sum_l open[k,l])
    strong_linking:   outbound[md,k,c,o,i] <= demand[c,o,i] x stock_class[md,k,i]
    stock_cost = sum intercept_b stock_band + slope_b pool_flow                  (USD per year)

Without classes every item is its product (class ``all``) and none of this is built.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from model.core.errors import ScenarioError
from model.economics import assortment
from model.io import terms

SEP = ":"
NO_CLASS = "all"
#: origin (and gateway) of the demand rows and arcs of a pooled item: all its origins in the national mix
MIX = "*"
#: sku_classes.csv columns carried into the items table
CLASS_COLUMNS = ("sku_count", "order_share", "demand_cv", "min_units_per_sku", "return_rate", "sku_life_days")


def class_table(scenario) -> pd.DataFrame | None:
    """sku_classes.csv when the scenario has it and ``stock.sku_classes`` is on, else None."""
    t = scenario.tables.get("sku_classes")
    return t if t is not None and bool(scenario.param("stock.sku_classes")) else None


def uses_classes(scenario) -> bool:
    return class_table(scenario) is not None


def refuse_classes(scenario, what: str) -> None:
    """Raise a :class:`ScenarioError` naming ``what`` when the scenario has SKU classes on."""
    if uses_classes(scenario):
        raise ScenarioError(f"{what} does not model SKU classes yet: set stock.sku_classes = 0 "
                            "(--set stock.sku_classes=0) for one average SKU per product")


def items(scenario) -> pd.DataFrame:
    """The model's items, indexed by item: ``category`` (products.csv product), ``sku_class``, the
    product's columns and the class's (CLASS_COLUMNS; without classes one item per product, class
    'all', order share 1, return rate 0)."""
    prod = scenario.tables["products"]
    classes = class_table(scenario)
    if classes is None:
        out = prod.assign(category=prod["product"], sku_class=NO_CLASS, item=prod["product"], order_share=1.0,
                          return_rate=0.0)
    else:
        out = prod.merge(classes, on="product", how="inner")
        out = out.assign(category=out["product"], item=out["product"] + SEP + out["sku_class"])
    return out.set_index("item", drop=False).rename_axis(None).drop(columns="product")


def split_item(item: pd.Series) -> pd.DataFrame:
    """product and sku_class columns of an item column (``cosmetics:head`` -> cosmetics, head)."""
    parts = item.astype(str).str.partition(SEP)
    return pd.DataFrame({"product": parts[0], "sku_class": parts[2].where(parts[2] != "", NO_CLASS)},
                        index=item.index)


def item_of(flows: pd.DataFrame) -> pd.Series:
    """The model's item of each flows row: ``<product>:<sku_class>``, or the product where the
    class is ``all`` (no SKU classes) or the table has no ``sku_class`` column."""
    product = flows["product"].astype(str)
    if "sku_class" not in flows:
        return product
    cls = flows["sku_class"].fillna(NO_CLASS).astype(str)
    return product.where(cls == NO_CLASS, product + SEP + cls)


def item_demand(demand: pd.DataFrame, its: pd.DataFrame) -> pd.DataFrame:
    """Demand rows (zone, origin, product = category, orders) split into items by order share."""
    d = demand.merge(its[["category", "item", "order_share"]].rename(columns={"category": "product"}),
                     on="product")
    d = d.assign(product=d["item"], orders=d["orders"] * d["order_share"])
    d = d[d["orders"] > 0]
    return d[["zone", "origin", "product", "orders"]].sort_values(["zone", "origin", "product"]).reset_index(drop=True)


def lead_days(scenario, its: pd.DataFrame) -> pd.Series:
    """item -> replenishment lead time L (days): the sourcing-weighted fastest bulk transit of the
    category's origins, plus ``stock.replenishment_days``."""
    lanes = scenario.tables["lanes"]
    fastest = lanes[lanes["service"] == "bulk"].groupby("origin")["transit_days"].min()
    src = scenario.tables["sourcing"]
    src = src[src["origin"].isin(fastest.index)]
    # astype(float): with no bulk lane at all (only parcel lanes) the map is empty and kept the
    # origin column's text dtype, and the product failed ("Can only string multiply by an integer")
    weighted = (src["share"].astype(float) * src["origin"].map(fastest).astype(float)).groupby(src["product"]).sum() \
        / src.groupby("product")["share"].sum()
    return its["category"].map(weighted).fillna(0.0) + scenario.param("stock.replenishment_days")


def class_stocks(scenario, its: pd.DataFrame, demand: pd.DataFrame) -> dict[str, assortment.ClassStock]:
    """item -> its :class:`model.economics.assortment.ClassStock` (items with classes only). ``demand``: item rows."""
    if not uses_classes(scenario):
        return {}
    p = scenario.param
    national = demand.groupby("product")["orders"].sum()
    lead = lead_days(scenario, its)
    z = assortment.service_z(p("stock.cycle_service_level"))
    out = {}
    for item, r in its.iterrows():
        if national.get(item, 0.0) <= 0:
            continue
        out[item] = assortment.ClassStock(
            n_sku=float(r["sku_count"]), national_orders=float(national[item]), value=float(r["order_value_usd"]),
            cv=float(r["demand_cv"]), min_units=float(r["min_units_per_sku"]), lead_days=float(lead[item]),
            review_days=p("stock.review_days"), z=z, holding_rate=p("finance.cost_of_capital"),
            life_days=float(r["sku_life_days"]), salvage=p("stock.salvage_share"))
    return out


def pool_segments(scenario, stocks: dict, out: pd.DataFrame, levels: pd.DataFrame,
                  most: dict | None = None) -> pd.DataFrame:
    """mode, site, product (item), band, lo, hi, intercept, slope, pwl_error: the PWL bands of each
    pool with an outbound arc. A pool carries at most min(the item's national orders, the site's
    largest capacity), so the bands span (0, that]; ``most`` (item -> orders) replaces the national
    orders there (the two-stage model: stock for the largest scenario's demand)."""
    if not stocks or not len(out):
        return pd.DataFrame(columns=["mode", "site", "product", "band", "lo", "hi", "intercept", "slope", "pwl_error"])
    p = scenario.param
    cap = levels.groupby("site")["capacity"].max()
    pools = out[["mode", "site", "product"]].drop_duplicates()
    pools = pools[pools["product"].isin(stocks)]
    pools = pools.assign(x_max=np.minimum(pools["site"].map(cap).to_numpy(float),
                                          pools["product"].map({i: (most or {}).get(i, s.national_orders)
                                                                for i, s in stocks.items()})))
    rows, cache = [], {}
    for md, k, item, x_max in pools.itertuples(index=False, name=None):
        key = (item, round(float(x_max), 6))
        if key not in cache:
            s = stocks[item]
            breaks = assortment.pwl_breaks(s, float(x_max), int(p("stock.pwl_segments")), p("stock.pwl_tolerance"))
            cache[key] = (assortment.pwl_segments(s, breaks), assortment.pwl_error(s, breaks))
        segs, err = cache[key]
        rows += [(md, k, item, b, g.lo, g.hi, g.intercept, g.slope, err) for b, g in enumerate(segs, start=1)]
    return pd.DataFrame(
        rows, columns=["mode", "site", "product", "band", "lo", "hi", "intercept", "slope", "pwl_error"]
    )


def subadditive_items(stocks: dict, segments: pd.DataFrame) -> set:
    """(site, item) pairs whose PWL stock cost is subadditive (:func:`model.economics.assortment.subadditive`):
    there, merging two regimes' pools of a class into one never costs more."""
    ok = set()
    for (k, item), g in segments.drop_duplicates(["site", "product", "band"]).groupby(["site", "product"]):
        segs = [assortment.Segment(r.lo, r.hi, r.intercept, r.slope) for r in g.sort_values("band").itertuples()]
        if assortment.subadditive(segs):
            ok.add((k, item))
    return ok


def never_stocked(segments: pd.DataFrame, out: pd.DataFrame, inbound_min: pd.DataFrame, direct: pd.DataFrame,
                  direct_terms, demand: pd.DataFrame, unmet_penalty: float) -> set:
    """Items that no optimal plan stocks: even the most any plan could save by stocking them,
    sum over demand rows of orders x max(0, parcel - cheapest stocked path) (USD per order, the
    pools left out), is below the least any pool of theirs costs when it carries anything (the
    PWL's least value at 0+ or a breakpoint: it is linear in between).

    Exact without a service share or a CO2 cap (the caller's test): moving every stocked order of
    such an item to its cheapest parcel keeps every other constraint and costs less.
    """
    if not len(segments) or not len(out):
        return set()
    least = segments.assign(_v=np.minimum(segments["intercept"] + segments["slope"] * segments["lo"],
                                          segments["intercept"] + segments["slope"] * segments["hi"])) \
        .groupby("product")["_v"].min()
    per_order = terms.columns("outbound")
    key = ["zone", "origin", "product"]
    s = out[[*key, "mode", "site"]].assign(_c=out[per_order].sum(axis=1).to_numpy()) \
        .merge(inbound_min, on=["mode", "origin", "site", "product"], how="inner")
    stocked = (s["_c"] + s["inbound"]).groupby([s[c] for c in key]).min().rename("stocked")
    parcel = direct.assign(_p=direct[list(direct_terms)].sum(axis=1)).groupby(key)["_p"].min().rename("parcel")
    rows = demand.set_index(key)[["orders"]].join(stocked).join(parcel)
    rows = rows[rows["stocked"].notna()]
    rows["parcel"] = rows["parcel"].fillna(unmet_penalty).clip(upper=unmet_penalty)
    saving = (rows["orders"] * (rows["parcel"] - rows["stocked"]).clip(lower=0.0)).groupby(level="product").sum()
    return {i for i, v in saving.items() if i in least.index and v < least[i]}


def origin_mix(scenario, its: pd.DataFrame, pooled) -> pd.DataFrame:
    """product (item), origin, share: each pooled item's origins in the category's sourcing mix."""
    src = scenario.tables["sourcing"].rename(columns={"product": "category"})
    mix = (
        its.loc[its.index.isin(list(pooled)), ["category"]]
        .rename_axis("product")
        .reset_index()
        .merge(src, on="category")
    )
    return mix.loc[mix["share"] > 0, ["product", "origin", "share"]].reset_index(drop=True)


def _weighted(arcs: pd.DataFrame, mix: pd.DataFrame, key: list, mean_cols: list, max_cols: list) -> pd.DataFrame:
    """Rows of ``arcs`` of pooled items merged over origins: ``mean_cols`` weighted by the origin mix,
    ``max_cols`` their largest value; a key group is kept only if it has every origin of the item."""
    a = arcs.merge(mix, on=["product", "origin"], how="inner")
    w = a["share"].to_numpy()
    weighted = a[mean_cols].mul(w, axis=0)
    g = pd.concat([a[key], weighted, a[max_cols], a[["share"]]], axis=1).groupby(key, sort=False)
    out = g[mean_cols + ["share"]].sum()
    out = out.join(g[max_cols].max()) if max_cols else out
    out = out[out["share"] > 1 - 1e-9].drop(columns="share").reset_index()
    return out.assign(origin=MIX)


def mix_origins(out: pd.DataFrame, direct: pd.DataFrame, demand: pd.DataFrame, mix: pd.DataFrame, direct_terms):
    """(outbound, direct, demand) with the pooled items' rows merged over origins (origin ``*``).

    A site that holds a class holds every SKU of it, from every origin, so it serves a zone's orders
    of the class in the national origin mix: one outbound arc per (regime, site, zone, item), its
    per-order costs and taxes the mix's weighted means; inbound arcs stay per origin and the site
    balance takes share_o of the outbound (``site_flow_balance``). Parcels of a pooled item, one arc
    per (parcel regime, zone, item): each origin's cheapest parcel of that regime in the mix, its
    lead time the slowest of them (an order counts as within the target only if every origin's is),
    its gateway the one of the mix's largest origin (what maps and flows.csv show).
    """
    pooled = set(mix["product"])
    if not pooled:
        return out, direct, demand
    num_out = [c for c in out.columns if c not in ("mode", "site", "zone", "origin", "product", "lead_hours")]
    o_pool = out["product"].isin(pooled)
    o_mix = _weighted(out[o_pool], mix, ["mode", "site", "zone", "product"], num_out, ["lead_hours"])
    out = pd.concat([out[~o_pool], o_mix[out.columns]], ignore_index=True)
    d_pool = direct["product"].isin(pooled)
    d = direct[d_pool]
    d = d.assign(_total=d[list(direct_terms)].sum(axis=1)).sort_values(["mode", "origin", "zone", "product", "_total"],
                                                                      kind="stable")
    d = d.drop_duplicates(["mode", "origin", "zone", "product"]).drop(columns="_total")
    num_dir = [c for c in direct.columns if c not in ("mode", "origin", "gateway", "zone", "product", "lead_hours")]
    d_mix = _weighted(d, mix, ["mode", "zone", "product"], num_dir, ["lead_hours"])
    # the gateway shown (maps, flows.csv): that of the mix's largest origin; the costs are the mix's
    main = mix.sort_values(["product", "share"], ascending=[True, False]).drop_duplicates("product")
    gw = d.merge(main[["product", "origin"]], on=["product", "origin"])[["mode", "zone", "product", "gateway"]]
    d_mix = d_mix.merge(gw, on=["mode", "zone", "product"], how="left")
    direct = pd.concat([direct[~d_pool], d_mix[direct.columns]], ignore_index=True)
    return out, direct, mix_demand(demand, pooled)


def mix_demand(demand: pd.DataFrame, pooled, by: tuple = ()) -> pd.DataFrame:
    """Demand rows (``by`` columns, zone, origin, product, orders) with the pooled items' rows summed
    over origins into origin ``*`` (their arcs', :func:`mix_origins`)."""
    q_pool = demand["product"].isin(set(pooled))
    keys = [*by, "zone", "product"]
    merged = demand[q_pool].groupby(keys, as_index=False)["orders"].sum().assign(origin=MIX)
    return pd.concat([demand[~q_pool], merged[demand.columns]], ignore_index=True) \
        .sort_values([*by, "zone", "origin", "product"]).reset_index(drop=True)


def mix_inbound(inbound: pd.DataFrame, mix: pd.DataFrame, cost_cols: list) -> pd.DataFrame:
    """The cheapest inbound arc (by the sum of ``cost_cols``) of each (mode, origin, site, item); for
    the pooled items merged over origins like their outbound arcs (:func:`mix_origins`): one row per
    (mode, site, item) with origin ``*``, ``cost_cols`` the mix's weighted means (each origin's
    share of a pool arrives by its own cheapest gateway, as ``site_flow_balance`` lets it), the
    gateway that of the mix's largest origin (what stock.csv shows). Kept only where every origin
    of the item has an arc."""
    key = ["mode", "origin", "site", "product"]
    a = inbound.assign(_c=inbound[list(cost_cols)].sum(axis=1)).sort_values([*key, "_c"], kind="stable")
    a = a.drop_duplicates(key).drop(columns="_c")
    pooled = a["product"].isin(set(mix["product"]))
    if not pooled.any():
        return a.reset_index(drop=True)
    merged = _weighted(a[pooled], mix, ["mode", "site", "product"], list(cost_cols), [])
    main = mix.sort_values(["product", "share"], ascending=[True, False]).drop_duplicates("product")
    gw = a[pooled].merge(main[["product", "origin"]], on=["product", "origin"])[["mode", "site", "product", "gateway"]]
    merged = merged.merge(gw, on=["mode", "site", "product"], how="left")
    cols = [*key, "gateway", *cost_cols]
    return pd.concat([a.loc[~pooled, cols], merged[cols]], ignore_index=True)


def mix_paths(paths: pd.DataFrame | None, mix: pd.DataFrame) -> pd.DataFrame | None:
    """regime_paths with the pooled items' rows merged over origins like their arcs (:func:`mix_origins`):
    USD per order the mix's weighted mean, lead time the slowest."""
    if paths is None or not len(mix) or not len(paths):
        return paths
    pooled = paths["product"].isin(set(mix["product"]))
    merged = _weighted(paths[pooled], mix, ["mode", "zone", "product"], ["usd_per_order"], ["lead_hours"])
    return pd.concat([paths[~pooled], merged[paths.columns]], ignore_index=True)
