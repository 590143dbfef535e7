"""The monthly model (``periods = 12``): seasonal demand, stock balances, receiving and storage capacity.

Same names as the one-period model (docs/formulation.md) with a month index ``t`` last, plus:

- ``stock[m,k,o,p,t]`` (orders held at the end of month t; the year is cyclic, so December's
  stock opens January),
- ``stock_balance[m,k,o,p,t]``: stock[t] = stock[t-1] + sum_g inbound[t] - sum_c outbound[t],
- ``stock_cover[m,k,o,p,t]``: stock[t] >= cover_p x sum_c outbound[t+1], cover_p = days_in_stock_p
  / (365/12): the one-period model's average days in stock becomes a cover rule,
- ``receiving_capacity[k,t]``: bulk arrivals per month <= sum_l cap[k,l] / 12 open[k,l] (docks
  and customs tally of bulk arrivals do not flex), so peaks must be pre-positioned,
- ``storage_capacity[k,t]``: stock <= sum_l cap[k,l] x stock.storage_months / 12 open[k,l].

Holding cost (value x (r + obsolescence) per order-month) and the financing of taxes prepaid at
entry are priced on ``stock``; ``throughput_capacity`` stays annual.

Two variants (``stock.monthly_reassignment``):

- 0, the default (*annual service plan*): ``outbound[m,k,c,o,p]`` is the year's flow of each arc
  and its month-t part is ``season[t] x outbound`` (each province keeps the same split among
  sites and modes all year, as a yearly allocation of provinces to warehouses does); inbound,
  stock, direct mail and unmet stay monthly, so peaks are still met by pre-positioned stock. The
  model is about 5x smaller and its LP bound much tighter.
- 1 (*monthly re-routing*): ``outbound[m,k,c,o,p,t]`` per month: a province may switch sites
  from month to month. Never dearer than the annual plan; 12x the one-period size and slow.
"""
from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from model.core.errors import ScenarioError
from model.formulation.facility import add_hold_capacity, add_site_setup, add_strong_linking, add_throughput_capacity
from model.formulation.objective import add_emissions, add_objective
from model.formulation.service import add_service_level
from model.formulation.sourcing import add_single_sourcing
from model.inputs.build import ModelInputs


def _keys(df, cols):
    return list(df[cols].itertuples(index=False, name=None))


def create_monthly_model(inputs: ModelInputs) -> pyo.ConcreteModel:
    if inputs.exempt_shares is not None and len(inputs.exempt_shares):
        # the eligible share of a demand row (exempt_limit) is a yearly rule; not split by month yet
        raise ScenarioError("the monthly model (periods = 12) does not apply the limits of "
                            "policy.cbec_regulatory_exemption yet: set periods = 1, or raise "
                            "policy.cbec_order_limit_usd / policy.cbec_buyer_annual_limit_usd to inf")
    m = pyo.ConcreteModel(name="cbec_bonded_network_monthly")
    months = [int(t) for t in inputs.season.index]
    share = {int(t): float(v) for t, v in inputs.season.items()}
    prev = {t: months[i - 1] for i, t in enumerate(months)}
    nxt = {t: months[(i + 1) % len(months)] for i, t in enumerate(months)}

    add_site_setup(m, inputs)
    cap = m.capacity

    annual = dict(zip(_keys(inputs.demand, ["zone", "origin", "product"]), inputs.demand["orders"].astype(float)))
    demand = {(*d, t): annual[d] * share[t] for d in annual for t in months}
    ia, oa, da, sk = inputs.inbound_arcs, inputs.outbound_arcs, inputs.direct_arcs, inputs.stock_keys
    in_arcs = _keys(ia, ["mode", "origin", "gateway", "site", "product"])
    out_arcs = _keys(oa, ["mode", "site", "zone", "origin", "product"])
    dir_arcs = _keys(da, ["mode", "origin", "gateway", "zone", "product"])
    stock_pos = _keys(sk, ["mode", "site", "origin", "product"])

    def timed(keys):
        return [(*a, t) for a in keys for t in months]

    # Annual plan: outbound is yearly, so each month's residual demand is share_t x the year's;
    # direct mail and unmet (no capacity, costs alike every month) can be yearly too, exactly.
    reroute = inputs.monthly_reassignment
    m.MONTHS = pyo.Set(initialize=months, ordered=True)
    m.DEMAND = pyo.Set(initialize=list(demand) if reroute else list(annual), dimen=4 if reroute else 3, ordered=True)
    m.INBOUND_ARCS = pyo.Set(initialize=timed(in_arcs), dimen=6, ordered=True)
    m.OUTBOUND_ARCS = pyo.Set(initialize=timed(out_arcs) if reroute else out_arcs, dimen=6 if reroute else 5,
                              ordered=True)
    m.DIRECT_ARCS = pyo.Set(initialize=timed(dir_arcs) if reroute else dir_arcs, dimen=6 if reroute else 5,
                            ordered=True)
    m.STOCK = pyo.Set(initialize=timed(stock_pos), dimen=5, ordered=True)
    m.inbound = pyo.Var(m.INBOUND_ARCS, within=pyo.NonNegativeReals)
    m.outbound = pyo.Var(m.OUTBOUND_ARCS, within=pyo.NonNegativeReals)
    m.direct = pyo.Var(m.DIRECT_ARCS, within=pyo.NonNegativeReals)
    m.unmet = pyo.Var(m.DEMAND, within=pyo.NonNegativeReals)
    m.stock = pyo.Var(m.STOCK, within=pyo.NonNegativeReals)

    yearly = (None,)
    outbound_family = (oa, out_arcs, m.outbound) if reroute else (oa, out_arcs, m.outbound, yearly)
    direct_family = (da, dir_arcs, m.direct) if reroute else (da, dir_arcs, m.direct, yearly)
    add_objective(m, {"inbound": (ia, in_arcs, m.inbound), "outbound": outbound_family,
                      "direct": direct_family, "stock": (sk, stock_pos, m.stock)},
                  periods=months, unmet_penalty=inputs.unmet_penalty)
    add_emissions(m, {"inbound": (ia, in_arcs, m.inbound), "outbound": outbound_family,
                      "direct": direct_family}, periods=months, cap_t=inputs.co2_cap_t)

    def out_t(a, t):
        """Orders on outbound arc a in month t."""
        return m.outbound[(*a, t)] if reroute else share[t] * m.outbound[a]

    served = defaultdict(list)
    if reroute:
        for a in out_arcs:
            for t in months:
                served[(a[2], a[3], a[4], t)].append(m.outbound[(*a, t)])
        for a in dir_arcs:
            for t in months:
                served[(a[3], a[1], a[4], t)].append(m.direct[(*a, t)])
        rhs = demand
    else:
        for a in out_arcs:
            served[(a[2], a[3], a[4])].append(m.outbound[a])
        for a in dir_arcs:
            served[(a[3], a[1], a[4])].append(m.direct[a])
        rhs = annual
    m.demand_balance = pyo.Constraint(m.DEMAND, rule=lambda m, *d: sum(served[d]) + m.unmet[d] == rhs[d])

    into, out_of = defaultdict(list), defaultdict(list)
    for a in in_arcs:
        into[(a[0], a[3], a[1], a[4])].append(a)
    for a in out_arcs:
        out_of[(a[0], a[1], a[3], a[4])].append(a)
    m.stock_balance = pyo.Constraint(m.STOCK, rule=lambda m, md, k, o, p, t: m.stock[md, k, o, p, t] == (
        m.stock[md, k, o, p, prev[t]] + sum(m.inbound[(*a, t)] for a in into[md, k, o, p])
        - sum(out_t(a, t) for a in out_of[md, k, o, p])))
    cover = dict(zip(stock_pos, sk["cover_months"].astype(float)))
    m.stock_cover = pyo.Constraint(m.STOCK, rule=lambda m, md, k, o, p, t: m.stock[md, k, o, p, t] >= (
        cover[md, k, o, p] * sum(out_t(a, nxt[t]) for a in out_of[md, k, o, p])))

    levels_of = m.LEVELS
    sites = list(m.SITES)
    arrivals, held = defaultdict(list), defaultdict(list)
    for a in in_arcs:
        for t in months:
            arrivals[(a[3], t)].append(m.inbound[(*a, t)])
    for s in stock_pos:
        for t in months:
            held[(s[1], t)].append(m.stock[(*s, t)])
    m.receiving_capacity = pyo.Constraint(
        [(k, t) for k in sites for t in months if arrivals[k, t]],
        rule=lambda m, k, t: sum(arrivals[k, t]) <= sum(cap[k, l] / 12 * m.open[k, l] for l in levels_of[k]))
    storage = inputs.storage_months / 12
    m.storage_capacity = pyo.Constraint(
        [(k, t) for k in sites for t in months if held[k, t]],
        rule=lambda m, k, t: sum(held[k, t]) <= sum(cap[k, l] * storage * m.open[k, l] for l in levels_of[k]))

    through, through_held = defaultdict(list), defaultdict(list)
    for a in out_arcs:
        flows = [m.outbound[(*a, t)] for t in months] if reroute else [m.outbound[a]]
        through[a[1]] += flows
        through_held[(a[0], a[1])] += flows
    add_throughput_capacity(m, through)
    add_hold_capacity(m, through_held)
    # strong_linking on the year's flow of each arc: outbound[t] <= demand[t] per month already
    # follows from demand_balance, and one row per arc (not per arc and month) keeps the LP 12x smaller.
    m.annual_outbound = pyo.Expression(out_arcs, rule=lambda m, *a: sum(out_t(a, t) for t in months))
    add_strong_linking(m, m.annual_outbound, {a: annual[(a[2], a[3], a[4])] for a in out_arcs}, site_of=lambda a: a[1],
                       mode_of=lambda a: a[0])
    if inputs.service_min_share > 0:
        dir_t = (lambda a, t: m.direct[(*a, t)]) if reroute else (lambda a, t: share[t] * m.direct[a])
        add_service_level(m, inputs, out_arcs, dir_arcs, demand, lambda a: [out_t(a, t) for t in months],
                          lambda a: [dir_t(a, t) for t in months])
    if inputs.single_sourcing:
        if reroute:
            add_single_sourcing(m, timed(out_arcs),
                                {(*a, t): demand[(a[2], a[3], a[4], t)] for a in out_arcs for t in months})
        else:
            add_single_sourcing(m, out_arcs, {a: annual[(a[2], a[3], a[4])] for a in out_arcs})
    return m
