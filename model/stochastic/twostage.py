"""The two-stage model: commit sites and stock before the year, serve realised demand after.

First stage (before demand and the exchange rate are known): ``open[k,l]`` and
``stock[m,k,o,p]``, the orders of product p from origin o pre-positioned in stock mode m
(bonded, general trade) at site k for the year, moved in bulk through the cheapest gateway.
Second stage (per scenario s): ``sell[s,m,k,c,o,p]`` from that stock, ``direct[s,o,c,p]`` by
direct mail, ``unmet[s,c,o,p]`` at the penalty; stock left over costs
``uncertainty.dead_stock_loss x order value`` per order. docs/uncertainty.md has the equations.

Money is USD per year at the planned rate ``finance.usd_vnd``; the year's rate is
``fx[s] x finance.usd_vnd``. What is paid after the sale in foreign currency terms scales
with ``fx[s]``: duty and VAT assessed at the sale (bonded release, direct-mail clearance; the
customs value is converted at the day's rate), the parcel freight, and the goods of a
direct-mail order (bought abroad after the sale; stocked goods were bought at the planned
rate). Domestic costs (handling, trucking, last mile, facilities) are in VND and do not move.

All per-order coefficients come from :func:`model.inputs.build.build_inputs` (the same
arc tables as the deterministic model); nothing is re-derived here.

SKU classes (``stock.sku_classes``): a pooled item's stock positions carry origin ``*`` like its
arcs (its origins in the national mix, each by its own cheapest gateway), and the stock of a
pool (mode, site, item) is priced on its PWL curve by the one-period model's rows
(:func:`model.formulation.pools.add_stock_pools`), the pool's throughput being that stock: the
term ``stock_cost`` is paid with the stock, sold or not.
"""
from __future__ import annotations

import dataclasses
import gc
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo

from model.core.errors import ScenarioError
from model.formulation.facility import add_site_setup, regime_is_held
from model.formulation.pools import add_stock_pools
from model.inputs import classes
from model.inputs.build import ModelInputs, build_inputs
from model.io import terms
from model.stochastic.scenarios import ScenarioSet, item_scenarios

#: Cost terms of the two-stage model, in report order (USD per year): the deterministic model's
#: (model/attrs/terms.csv) and two of its own: the exchange-rate effect on parcel goods and the
#: value of stock left unsold.
STOCH_TERMS = (*terms.TERMS, "direct_mail_goods_fx_cost", "dead_stock_cost")
#: Per-order terms paid on every unit stocked (first stage): every inbound term, the outbound terms
#: paid with the stock, and the taxes paid at entry (``duty_tax_cost`` here is that part only).
FIRST_STAGE_TERMS = tuple(dict.fromkeys([*terms.columns("inbound"), "duty_tax_cost",
                                         *terms.columns("outbound", "stock")]))
#: Outbound terms paid per order sold (second stage), besides the taxes due at the sale.
SALE_TERMS = tuple(terms.columns("outbound", "sale"))
#: Parcel terms paid per order delivered, in USD whatever the exchange rate, and in foreign currency.
DIRECT_SALE_TERMS = tuple(terms.columns("direct", "sale"))
DIRECT_FX_TERMS = tuple(terms.columns("direct", "fx"))


@dataclass
class TwoStageData:
    """Plain tables for the two-stage model (USD per order, orders per year)."""

    inputs: ModelInputs          # the deterministic arc tables (forecast demand)
    # mode, site, origin, product, gateway, <FIRST_STAGE_TERMS>, unit_cost (their sum), value, dead_stock_cost, entry
    stock_keys: pd.DataFrame
    sale_arcs: (
        pd.DataFrame
    )  # mode, site, zone, origin, product, km, lead_hours, handling_cost, last_mile_cost, sale_tax
    # mode (the cheapest parcel regime), origin, gateway, zone, product, lead_hours, direct_mail_cost,
    # last_mile_cost, duty_tax_cost, value
    direct_arcs: pd.DataFrame
    scenarios: ScenarioSet       # demand in the model's items (item_scenarios)
    risk_alpha: float
    risk_weight: float
    #: the SKU-class pools' PWL bands (model.inputs.classes.pool_segments) spanning the largest
    #: scenario's demand; None without classes
    pool_segments: pd.DataFrame | None = None

    def with_scenarios(self, scenarios: ScenarioSet) -> "TwoStageData":
        return dataclasses.replace(self, scenarios=scenarios)


def check_supported(scenario) -> None:
    """The stochastic model is the one-period model without service or single-sourcing rows."""

    p = scenario.param
    unsupported = [
        (k, v)
        for k, v in (
            ("periods", p("periods") != 1),
            ("service.min_share", p("service.min_share") > 0),
            ("service.single_sourcing", bool(p("service.single_sourcing"))),
        )
        if v
    ]
    if unsupported:
        keys = ", ".join(f"'{k}' = {p(k):g}" for k, _ in unsupported)
        raise ScenarioError(f"the stochastic model (docs/uncertainty.md) does not support {keys}: "
                            "set periods=1, service.min_share=0, service.single_sourcing=0")


def nearest_sites(arcs: pd.DataFrame, n: int) -> pd.DataFrame:
    """Keep, for each zone, the arcs of its ``n`` nearest sites by road km (all modes of those sites)."""
    pairs = arcs[["site", "zone", "km"]].drop_duplicates(["site", "zone"])
    pairs = pairs.sort_values(["zone", "km", "site"], kind="stable")
    pairs = pairs[pairs.groupby("zone").cumcount() < n]
    return arcs.merge(pairs[["site", "zone"]], on=["site", "zone"])


def build_data(scenario, distances, scenarios: ScenarioSet) -> TwoStageData:
    """Split the deterministic per-order costs into what is paid with the stock and what after the sale."""
    check_supported(scenario)
    inputs = build_inputs(scenario, distances)
    scenarios = item_scenarios(scenarios, inputs.items, inputs.origin_mix)
    out = inputs.outbound_arcs
    # Per stock position (mode, site, origin, product): taxes, their financing and holding are the
    # same for every zone the order goes to; those paid at entry are paid on all the stock. A pooled
    # item's rows have origin '*' and the origin mix's weighted means (classes.mix_origins), the same
    # for every zone too, so its position is the pool's stock in the mix.
    keys = ["mode", "site", "origin", "product"]
    with_stock = terms.columns("outbound", "stock")
    sk = out.groupby(keys, sort=True).agg(
        held=("held_to_sale_usd", "first"), tax=("duty_tax_cost", "first"), **{c: (c, "first") for c in with_stock},
    ).reset_index()
    sk["entry"] = sk["held"] > 0  # taxes paid at entry and recovered only by a sale: lost on unsold stock
    inbound = terms.columns("inbound")
    # cheapest gateway (no gateway capacity); a pooled item's origins in the mix, each by its cheapest
    mix = inputs.origin_mix if inputs.origin_mix is not None else pd.DataFrame(columns=["product", "origin", "share"])
    inb = classes.mix_inbound(inputs.inbound_arcs, mix, inbound)
    sk = sk.merge(
        inb[[*keys, "gateway", *inbound]].rename(columns={c: f"in_{c}" for c in inbound}), on=keys, how="inner"
    )
    for c in inbound:  # a term paid on both legs (financing, stock in the pipeline) is paid once per unit stocked
        sk[c] = sk[c] + sk[f"in_{c}"] if c in with_stock else sk[f"in_{c}"]
    sk["duty_tax_cost"] = sk["held"]
    products = inputs.items  # item -> the product's columns (one item per product without classes)
    sk["value"] = products.loc[sk["product"], "order_value_usd"].to_numpy()
    sk["dead_stock_cost"] = scenario.param("uncertainty.dead_stock_loss") * sk["value"]
    sk["unit_cost"] = sk[list(FIRST_STAGE_TERMS)].sum(axis=1)
    stock_keys = sk[[*keys, "gateway", *FIRST_STAGE_TERMS, "unit_cost", "value", "dead_stock_cost", "entry"]]

    n = int(scenario.param("uncertainty.sites_per_zone"))
    sale = nearest_sites(out, n).merge(sk[[*keys, "held", "tax"]], on=keys, how="inner")
    sale["sale_tax"] = sale["tax"] - sale["held"]  # e.g. general trade's output VAT, bonded taxes at release
    sale = sale[["mode", "site", "zone", "origin", "product", "km", "lead_hours", *SALE_TERMS, "sale_tax"]] \
        .sort_values(["mode", "site", "zone", "origin", "product"]).reset_index(drop=True)

    dm = inputs.direct_arcs.assign(_c=lambda d: d[terms.columns("direct")].sum(axis=1))
    dm = dm.sort_values(["origin", "zone", "product", "_c"]).drop_duplicates(["origin", "zone", "product"])
    dm["value"] = products.loc[dm["product"], "order_value_usd"].to_numpy()
    dm = dm[["mode", "origin", "gateway", "zone", "product", "lead_hours", *terms.columns("direct"), "value"]] \
        .reset_index(drop=True)
    return TwoStageData(inputs, stock_keys.reset_index(drop=True), sale, dm, scenarios,
                        float(scenario.param("risk.alpha")), float(scenario.param("risk.weight")),
                        _pool_segments(scenario, inputs, scenarios))


def _pool_segments(scenario, inputs: ModelInputs, scenarios: ScenarioSet) -> pd.DataFrame | None:
    """The pools of ``inputs.stock_segments`` with bands up to the largest scenario's national orders
    of the item (stock may exceed the forecast), not only the forecast's; the same bands where no
    scenario exceeds the forecast (then the two-stage and the deterministic costs agree exactly)."""
    seg = inputs.stock_segments
    if seg is None or not len(seg):
        return None
    national = scenarios.demand.groupby(["scenario", "product"])["orders"].sum().groupby(level="product").max()
    most = {i: float(national[i]) for i, s in inputs.class_stocks.items()
            if i in national.index and national[i] > s.national_orders * (1 + 1e-9)}
    if not most:
        return seg
    wide = classes.pool_segments(scenario, inputs.class_stocks, inputs.outbound_arcs, inputs.site_levels, most)
    return wide.merge(seg[["mode", "site", "product"]].drop_duplicates(), on=["mode", "site", "product"])


def _keys(df, cols):
    return list(df[cols].itertuples(index=False, name=None))


def build_model(data: TwoStageData, names: list[str] | None = None, probabilities: dict | None = None,
                first_stage: dict | None = None, strong_linking: bool = False) -> pyo.ConcreteModel:
    """The extensive form over scenarios ``names`` (default all), or one scenario's model for mpi-sppy.

    ``probabilities`` weight the scenarios in the objective (default: the scenario set's,
    renormalised over ``names``). ``first_stage`` = {"open": {(k,l): 0/1}, "stock": {key: orders}}
    fixes the first stage (evaluating a given plan: then the model is an LP).
    """
    gc_was = gc.isenabled()
    gc.disable()  # cyclic GC passes are a large share of Pyomo build time (docs/performance.md)
    try:
        return _build(data, names, probabilities, first_stage, strong_linking and first_stage is None)
    finally:
        if gc_was:
            gc.enable()


def _build(data, names, probabilities, first_stage, strong_linking):
    sc = data.scenarios
    names = list(sc.names if names is None else names)
    if probabilities is None:
        p = sc.probability.loc[names]
        probabilities = (p / p.sum()).to_dict()
    inputs = data.inputs
    m = pyo.ConcreteModel(name="cbec_two_stage")
    lv = inputs.site_levels
    lv_keys = _keys(lv, ["site", "level"])
    add_site_setup(m, inputs)

    sk = data.stock_keys
    sk_keys = _keys(sk, ["mode", "site", "origin", "product"])
    m.STOCK = pyo.Set(initialize=sk_keys, dimen=4, ordered=True)
    m.stock = pyo.Var(m.STOCK, within=pyo.NonNegativeReals)
    unit_cost = dict(zip(sk_keys, sk["unit_cost"].astype(float)))
    dead = dict(zip(sk_keys, sk["dead_stock_cost"].astype(float)))
    # stock_class, stock_band, pool_flow and stock_cost: a pool's throughput is its stock (sold or not)
    class_of = add_stock_pools(m, data.pool_segments, sk_keys, flow=m.stock, pool_of=lambda q: (q[0], q[1], q[3]))
    m.first_stage_cost = pyo.Expression(expr=m.fixed_cost + m.compliance_cost + m.stock_cost
                                        + sum(unit_cost[q] * m.stock[q] for q in sk_keys))

    sale = data.sale_arcs
    sale_keys = _keys(sale, ["mode", "site", "zone", "origin", "product"])
    sale_fixed = dict(zip(sale_keys, sale[list(SALE_TERMS)].sum(axis=1).astype(float)))
    sale_tax = dict(zip(sale_keys, sale["sale_tax"].astype(float)))
    dm = data.direct_arcs
    dm_keys = _keys(dm, ["origin", "zone", "product"])
    dm_fixed = dict(zip(dm_keys, (dm[list(DIRECT_SALE_TERMS)].sum(axis=1) - dm["value"]).astype(float)))
    dm_fx = dict(zip(dm_keys, (dm[list(DIRECT_FX_TERMS)].sum(axis=1) + dm["value"]).astype(float)))

    dem = sc.demand[sc.demand["scenario"].isin(names)]
    dem_keys = sorted(set(zip(dem["zone"], dem["origin"], dem["product"])))
    demand = {(s, c, o, p): q for s, c, o, p, q in dem[["scenario", "zone", "origin", "product", "orders"]]
              .itertuples(index=False, name=None)}
    m.SCEN = pyo.Set(initialize=names, ordered=True)
    m.DEMAND = pyo.Set(initialize=dem_keys, dimen=3, ordered=True)
    m.SALE = pyo.Set(initialize=sale_keys, dimen=5, ordered=True)
    dm_set = [a for a in dm_keys if (a[1], a[0], a[2]) in set(dem_keys)]
    m.DIRECT = pyo.Set(initialize=dm_set, dimen=3, ordered=True)
    m.sell = pyo.Var(m.SCEN, m.SALE, within=pyo.NonNegativeReals)
    m.direct = pyo.Var(m.SCEN, m.DIRECT, within=pyo.NonNegativeReals)
    m.unmet = pyo.Var(m.SCEN, m.DEMAND, within=pyo.NonNegativeReals)

    # stock_available[s,m,k,o,p]: sum_c sell <= stock (what is not sold is dead stock)
    sold_from = defaultdict(list)
    served = defaultdict(list)
    for a in sale_keys:
        sold_from[(a[0], a[1], a[3], a[4])].append(a)
        served[(a[2], a[3], a[4])].append(a)
    served_direct = {(a[1], a[0], a[2]): a for a in dm_set}
    m.stock_available = pyo.Constraint(
        m.SCEN, m.STOCK, rule=lambda m, s, *q: sum(m.sell[s, a] for a in sold_from[q]) <= m.stock[q]
        if sold_from[q] else pyo.Constraint.Skip)
    # demand_balance[s,c,o,p]: sum sell + direct + unmet = demand[s,c,o,p]
    m.demand_balance = pyo.Constraint(
        m.SCEN, m.DEMAND, rule=lambda m, s, c, o, p: sum(m.sell[s, a] for a in served[c, o, p])
        + (m.direct[s, served_direct[c, o, p]] if (c, o, p) in served_direct else 0)
        + m.unmet[s, c, o, p] == demand.get((s, c, o, p), 0.0))

    _add_capacity_rows(m, data, lv_keys, sk_keys, sold_from, demand, unit_cost, class_of, first_stage is None,
                       strong_linking)
    fx = sc.fx.to_dict()

    def second(m, s):
        f = fx[s]
        return (sum((sale_fixed[a] + f * sale_tax[a] - dead[a[0], a[1], a[3], a[4]]) * m.sell[s, a] for a in sale_keys)
                + sum(dead[q] * m.stock[q] for q in sk_keys)
                + sum((dm_fixed[a] + f * dm_fx[a]) * m.direct[s, a] for a in dm_set)
                + sum(inputs.unmet_penalty * m.unmet[s, d] for d in dem_keys))

    _add_objective(m, data, names, probabilities, second)
    if first_stage is not None:
        fix_first_stage(m, first_stage)
    return m



def _add_capacity_rows(m, data, lv_keys, sk_keys, sold_from, demand, unit_cost, class_of, linking: bool,
                       strong_linking: bool) -> None:
    """throughput_capacity[k], stock_linking[m,k,o,p] (when ``linking``; a pooled item's stock linked
    to its pool's ``stock_class``, ``class_of``) and sell_linking (when ``strong_linking``); and the
    first-stage coefficients mpi-sppy's PH reads."""
    sc, lv = data.scenarios, data.inputs.site_levels
    # throughput_capacity[k]: stock received <= capacity of the level built (it all passes the site)
    at_site = defaultdict(list)
    for q in sk_keys:
        at_site[q[1]].append(q)
    cap = defaultdict(list)
    for (k, l) in lv_keys:
        cap[k].append((k, l))
    m.throughput_capacity = pyo.Constraint(
        sorted(at_site), rule=lambda m, k: sum(m.stock[q] for q in at_site[k])
        <= sum(m.capacity[kl] * m.open[kl] for kl in cap[k])
        if cap[k] else sum(m.stock[q] for q in at_site[k]) <= 0)
    # stock_linking[m,k,o,p]: stock <= (largest demand it could serve in any scenario) x open[k];
    # redundant with capacity for integer open, tightens the LP relaxation
    # over every scenario of the set, not only ``names``: a one-scenario model for mpi-sppy must
    # allow the same first stage as the extensive form
    everywhere = sc.demand.groupby(["scenario", "zone", "origin", "product"])["orders"].sum().to_dict()
    most = {}
    for q, arcs in sold_from.items():
        zones = {a[2] for a in arcs}
        most[q] = max(sum(everywhere.get((s, c, q[2], q[3]), 0.0) for c in zones) for s in sc.names)
    # for PH's rho (model.stochastic.sppy): first-stage cost per unit and a typical size of each variable
    m._fixed_cost_coef = dict(zip(lv_keys, lv["fixed_cost"].astype(float)))
    m._stock_cost_coef = unit_cost
    m._stock_size = most
    def held(m, q):
        return class_of[q] if q in class_of else regime_is_held(m, q[0], q[1])

    if linking:
        m.stock_linking = pyo.Constraint(
            m.STOCK, rule=lambda m, *q: m.stock[q] <= most.get(q, 0.0) * held(m, q) if cap[q[1]] else m.stock[q] <= 0)
    if strong_linking:
        # sell_linking[s,m,k,c,o,p]: sell <= demand[s,c,o,p] x open[k], the disaggregated form of the
        # deterministic model's strong_linking. Off by default: it adds a row per scenario and sale
        # arc, and on the default data it did not make the EF faster (docs/uncertainty.md)
        m.sell_linking = pyo.Constraint(
            m.SCEN, m.SALE, rule=lambda m, s, md, k, c, o, p: m.sell[s, md, k, c, o, p]
            <= demand.get((s, c, o, p), 0.0) * sum(m.open[kl] for kl in cap[k]))


def _add_objective(m, data, names, probabilities, second) -> None:
    """second_stage_cost[s] (rule ``second``), scenario_cost, expected_cost and the objective: the
    expectation, or with ``risk.weight`` > 0 the mix of expectation and CVaR."""
    m.second_stage_cost = pyo.Expression(m.SCEN, rule=second)
    m.scenario_cost = pyo.Expression(m.SCEN, rule=lambda m, s: m.first_stage_cost + m.second_stage_cost[s])
    m.expected_cost = pyo.Expression(expr=sum(probabilities[s] * m.scenario_cost[s] for s in names))
    w, alpha = data.risk_weight, data.risk_alpha
    if w > 0:
        # CVaR_alpha = min_eta eta + E[(cost - eta)^+] / (1 - alpha) (Rockafellar & Uryasev), linear
        m.eta = pyo.Var(within=pyo.Reals)
        m.excess = pyo.Var(m.SCEN, within=pyo.NonNegativeReals)
        m.cvar_excess = pyo.Constraint(m.SCEN, rule=lambda m, s: m.excess[s] >= m.scenario_cost[s] - m.eta)
        m.cvar = pyo.Expression(expr=m.eta + sum(probabilities[s] * m.excess[s] for s in names) / (1 - alpha))
        m.total_cost = pyo.Objective(expr=(1 - w) * m.expected_cost + w * m.cvar, sense=pyo.minimize)
    else:
        m.total_cost = pyo.Objective(expr=m.expected_cost, sense=pyo.minimize)


def first_stage_values(m) -> dict:
    """The first-stage decisions of a solved model: open levels (0/1) and stock (orders)."""
    return {"open": {kl: round(m.open[kl].value or 0.0) for kl in m.SITE_LEVELS},
            "stock": {q: max(m.stock[q].value or 0.0, 0.0) for q in m.STOCK},
            "hold": {h: round(m.hold[h].value or 0.0) for h in m.HOLDINGS}}


#: Relative margin kept below a site's capacity when a plan's stock is fixed (see fix_first_stage).
CAPACITY_MARGIN = 1e-9


def fix_first_stage(m, first_stage: dict) -> None:
    """Fix ``open`` and ``stock`` to a plan (missing keys: 0). Stock at a site not opened is dropped.

    A plan read back from HiGHS can hold a full site's stock a hair above its capacity (solver
    tolerances on values of 1e8 orders); fixed, that makes ``throughput_capacity`` infeasible. Such
    stock is scaled down to ``(1 - CAPACITY_MARGIN) x`` the capacity of the level opened.
    """
    opened = {kl[0] for kl, v in first_stage["open"].items() if v >= 0.5}
    for kl in m.SITE_LEVELS:
        m.open[kl].fix(1 if first_stage["open"].get(kl, 0) >= 0.5 else 0)
    stock = {q: first_stage["stock"].get(q, 0.0) if q[1] in opened else 0.0 for q in m.STOCK}
    held = defaultdict(float)
    for q, v in stock.items():
        held[q[1]] += v
    for k, total in held.items():
        cap = sum(m.capacity[k, l] for l in (m.LEVELS[k] if k in m.SITES else []) if m.open[k, l].value >= 0.5)
        if total > cap * (1 - CAPACITY_MARGIN) and total > 0:
            scale = cap * (1 - CAPACITY_MARGIN) / total
            for q in stock:
                if q[1] == k:
                    stock[q] *= scale
    for q in m.STOCK:
        m.stock[q].fix(stock[q])
    # a regime is held where the plan says so, else where the plan stocks it at an open level
    stocked = {(q[0], q[1]) for q, v in stock.items() if v > 0}
    for md, k, l in m.HOLDINGS:
        held = first_stage.get("hold", {}).get((md, k, l), (md, k) in stocked)
        m.hold[md, k, l].fix(1 if held and m.open[k, l].value >= 0.5 else 0)
