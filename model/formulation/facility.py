"""The facility family of constraints, shared by the one-period, monthly and two-stage CBEC models
and the plain CFLP.

Symbols (docs/formulation.md): ``open[k,l]`` binary, one level per site, throughput
capacity ``sum flows through k <= sum_l cap[k,l] open[k,l]`` and the strong linking
``flow[k,*] <= sum_l min(demand[*], cap[k,l]) open[k,l]`` (it makes the LP relaxation tight; dropping
it made a 100 x 2000 instance 15x slower here, see docs/performance.md). A regime with a
compliance cost of its own (bonded) adds ``hold[md,k,l]`` binaries: site k at level l holds
regime md, ``hold <= open``, its flows linked to ``sum_l hold[md,k,l]`` instead of the opening.
"""
from __future__ import annotations

import math
from collections import defaultdict

import pyomo.environ as pyo


def add_facility_decisions(m: pyo.ConcreteModel, capacity: dict, fixed_cost: dict, force_open=()) -> None:
    """``m.SITE_LEVELS``, ``m.SITES``, ``m.LEVELS[k]``, the parameter ``m.capacity[k,l]``,
    ``m.open[k,l]``, ``m.one_level[k]`` and the expression ``m.fixed_cost`` (USD).

    ``capacity`` and ``fixed_cost`` map (site, level) -> float; sites in ``force_open`` must open.
    """
    keys = list(capacity)
    m.SITE_LEVELS = pyo.Set(initialize=keys, dimen=2, ordered=True)
    m.SITES = pyo.Set(initialize=list(dict.fromkeys(k for k, _ in keys)), ordered=True)
    levels_of = defaultdict(list)
    for k, l in keys:
        levels_of[k].append(l)
    m.LEVELS = pyo.Set(m.SITES, initialize=lambda m, k: levels_of[k], ordered=True)
    m.capacity = pyo.Param(m.SITE_LEVELS, initialize=dict(capacity), within=pyo.NonNegativeReals)
    m.open = pyo.Var(m.SITE_LEVELS, within=pyo.Binary)
    forced = set(force_open)

    def one_level(m, k):
        expr = sum(m.open[k, l] for l in m.LEVELS[k])
        return expr == 1 if k in forced else expr <= 1

    m.one_level = pyo.Constraint(m.SITES, rule=one_level)
    m.fixed_cost = pyo.Expression(expr=sum(fixed_cost[kl] * m.open[kl] for kl in keys))


def add_site_setup(m: pyo.ConcreteModel, inputs) -> None:
    """Everything decided per site, the same in every model: :func:`add_facility_decisions` from
    ``inputs.site_levels`` (forced sites from ``inputs.sites``), the regime holdings
    (:func:`add_regime_holdings`) and, when finite, ``max_sites``: sum open <= policy.max_sites."""
    lv = inputs.site_levels
    keys = list(zip(lv["site"], lv["level"]))
    force_open = set(inputs.sites.loc[inputs.sites["force_open"], "site"])
    add_facility_decisions(m, dict(zip(keys, lv["capacity"].astype(float))),
                           dict(zip(keys, lv["fixed_cost"].astype(float))), force_open)
    add_regime_holdings(m, inputs.regime_sites)
    if math.isfinite(inputs.max_sites):
        m.max_sites = pyo.Constraint(expr=sum(m.open[kl] for kl in m.SITE_LEVELS) <= inputs.max_sites)


def add_regime_holdings(m: pyo.ConcreteModel, regime_sites) -> None:
    """``m.HOLDINGS`` (mode, site, level), ``m.hold`` binary, ``m.hold_link``: hold[md,k,l] <= open[k,l],
    and the expression ``m.compliance_cost`` = sum compliance[md,k,l] x hold[md,k,l] (USD per year)."""
    rows = [] if regime_sites is None else list(regime_sites[["mode", "site", "level", "compliance"]]
                                                 .itertuples(index=False, name=None))
    rows = [r for r in rows if (r[1], r[2]) in m.open]
    m.HOLDINGS = pyo.Set(initialize=[r[:3] for r in rows], dimen=3, ordered=True)
    m.hold = pyo.Var(m.HOLDINGS, within=pyo.Binary)
    m.hold_link = pyo.Constraint(m.HOLDINGS, rule=lambda m, md, k, l: m.hold[md, k, l] <= m.open[k, l])
    m.compliance_cost = pyo.Expression(expr=sum(c * m.hold[md, k, l] for md, k, l, c in rows))
    held = defaultdict(list)
    for md, k, l in m.HOLDINGS:
        held[(md, k)].append(l)
    m.HELD = pyo.Set(initialize=sorted(held), dimen=2, ordered=True)  # (mode, site) pairs with a hold


def site_is_open(m: pyo.ConcreteModel, k):
    """sum_l open[k,l]: 1 if site k is open at some level."""
    return sum(m.open[k, l] for l in m.LEVELS[k])


def regime_is_held(m: pyo.ConcreteModel, md, k):
    """sum_l hold[md,k,l] when regime md has holdings at k, else sum_l open[k,l]: 1 if the site
    may ship regime md."""
    if hasattr(m, "HELD") and (md, k) in m.HELD:
        return sum(m.hold[md, k, l] for l in m.LEVELS[k] if (md, k, l) in m.HOLDINGS)
    return site_is_open(m, k)


def min_use_terms(m, share: float) -> dict:
    """{site: [(variable, coefficient)]} of ``throughput(k) - share x sum_l min(capacity[k,l], D)
    open[k,l] >= 0``, D the total demand (orders a year), read off ``throughput_capacity[k]``
    (throughput - sum_l capacity open <= 0)."""
    from pyomo.repn import generate_standard_repn

    if not 0 < share < 1:
        raise ValueError(f"min_use {share!r}: expected a share of capacity in (0, 1)")
    total = sum(float(c.upper) for c in m.demand_balance.values())
    out = {}
    opens = {id(m.open[k, l]) for k, l in m.open.keys()}
    for k, con in m.throughput_capacity.items():
        repn = generate_standard_repn(con.body, compute_values=True)
        out[k] = [(v, -share * min(-float(c), total) if id(v) in opens else float(c))
                  for v, c in zip(repn.linear_vars, repn.linear_coefs)]
    return out


def add_throughput_capacity(m: pyo.ConcreteModel, throughput: dict) -> None:
    """``m.throughput_capacity[k]``: sum of the flows in ``throughput[k]`` <= sum_l cap[k,l] open[k,l]."""
    sites = [k for k in m.SITES if throughput.get(k)]

    def rule(m, k):
        return sum(throughput[k]) <= sum(m.capacity[k, l] * m.open[k, l] for l in m.LEVELS[k])

    m.throughput_capacity = pyo.Constraint(sites, rule=rule)


def add_hold_capacity(m: pyo.ConcreteModel, throughput: dict) -> None:
    """``m.hold_capacity[md,k]``: the flows of regime md through k (``throughput[(md, k)]``) <=
    sum_l cap[k,l] hold[md,k,l], for every held (md, k): implied by ``throughput_capacity`` and
    ``strong_linking`` for integer ``hold``, it tightens the LP relaxation."""
    pairs = [q for q in m.HELD if throughput.get(q)]

    def rule(m, md, k):
        return sum(throughput[md, k]) <= sum(m.capacity[k, l] * m.hold[md, k, l] for l in m.LEVELS[k]
                                             if (md, k, l) in m.HOLDINGS)

    m.hold_capacity = pyo.Constraint(pairs, rule=rule)


def level_bound(m: pyo.ConcreteModel, k, l, bound: float, weight: float = 1.0) -> float:
    """min(bound, capacity[k,l] / weight): the most an arc of site k may carry when k is built at
    level l, in the arc's own unit (``weight``: the arc's coefficient in ``throughput_capacity``)."""
    return min(bound, float(m.capacity[k, l]) / weight) if weight > 0 else bound


def add_strong_linking(m: pyo.ConcreteModel, flow: pyo.Var, bound: dict, site_of=lambda a: a[0],
                       mode_of=None, linked: dict | None = None, weight: dict | None = None,
                       tighten: bool = True) -> None:
    """``m.strong_linking[a]``: flow[a] <= sum_l min(bound[a], cap[k,l] / w_a) open[k,l], with k =
    site_of(a) the site of arc a and w_a = ``weight[a]`` (1 by default) its coefficient in the
    throughput row (or ``sum_l min(...) hold[md,k,l]`` when ``mode_of(a)`` = md is held by
    :func:`add_regime_holdings`, or ``min(bound[a], max_l cap[k,l] / w_a) linked[a]``, the arc's
    stock_class binary, when its SKU class is pooled).

    The coefficients are tightened to the level's capacity: an arc cannot carry more than its site
    holds at the level it is built at, so a fraction of a small level no longer lets an arc carry
    its whole demand in the LP relaxation (docs/performance.md, issue 30). For integer ``open``
    the row is the same set of plans as ``flow[a] <= bound[a] sum_l open[k,l]`` with
    ``throughput_capacity``. ``tighten=False``: the untightened row (bound[a] on every level), kept
    for the benchmarks' side-by-side (``benchmarks/root.py``)."""
    linked = linked or {}
    weight = weight or {}

    def rhs(m, a):
        k, w = site_of(a), (weight.get(a, 1.0) if tighten else 0.0)
        if a in linked:
            return min(bound[a], max(level_bound(m, k, l, bound[a], w) for l in m.LEVELS[k])) * linked[a]
        md = None if mode_of is None else mode_of(a)
        if md is not None and hasattr(m, "HELD") and (md, k) in m.HELD:
            return sum(level_bound(m, k, l, bound[a], w) * m.hold[md, k, l] for l in m.LEVELS[k]
                       if (md, k, l) in m.HOLDINGS)
        return sum(level_bound(m, k, l, bound[a], w) * m.open[k, l] for l in m.LEVELS[k])

    m.strong_linking = pyo.Constraint(list(bound), rule=lambda m, *a: flow[a] <= rhs(m, a))
