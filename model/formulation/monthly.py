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


class _Year:
    """The months, the demand by month and the arc keys every family of rows reads."""

    def __init__(self, inputs: ModelInputs):
        self.months = [int(t) for t in inputs.season.index]
        self.share = {int(t): float(v) for t, v in inputs.season.items()}
        self.prev = {t: self.months[i - 1] for i, t in enumerate(self.months)}
        self.next = {t: self.months[(i + 1) % len(self.months)] for i, t in enumerate(self.months)}
        self.annual = dict(zip(_keys(inputs.demand, ["zone", "origin", "product"]),
                               inputs.demand["orders"].astype(float)))
        self.demand = {(*d, t): self.annual[d] * self.share[t] for d in self.annual for t in self.months}
        self.in_arcs = _keys(inputs.inbound_arcs, ["mode", "origin", "gateway", "site", "product"])
        self.out_arcs = _keys(inputs.outbound_arcs, ["mode", "site", "zone", "origin", "product"])
        self.dir_arcs = _keys(inputs.direct_arcs, ["mode", "origin", "gateway", "zone", "product"])
        self.stock_pos = _keys(inputs.stock_keys, ["mode", "site", "origin", "product"])
        # Annual plan: outbound is yearly, so each month's residual demand is share_t x the year's;
        # direct mail and unmet (no capacity, costs alike every month) can be yearly too, exactly.
        self.reroute = inputs.monthly_reassignment

    def timed(self, keys):
        return [(*a, t) for a in keys for t in self.months]

    def out_t(self, m, a, t):
        """Orders on outbound arc a in month t."""
        return m.outbound[(*a, t)] if self.reroute else self.share[t] * m.outbound[a]


def create_monthly_model(inputs: ModelInputs, tighten: bool = True) -> pyo.ConcreteModel:
    """The monthly model of the module docstring, one family of rows per function below.
    ``tighten=False``: strong_linking summed over the levels (the benchmarks' side-by-side)."""
    if inputs.exempt_shares is not None and len(inputs.exempt_shares):
        # the eligible share of a demand row (exempt_limit) is a yearly rule; not split by month yet
        raise ScenarioError("the monthly model (periods = 12) does not apply the limits of "
                            "policy.cbec_regulatory_exemption yet: set periods = 1, or raise "
                            "policy.cbec_order_limit_usd / policy.cbec_buyer_annual_limit_usd to inf")
    m = pyo.ConcreteModel(name="cbec_bonded_network_monthly")
    y = _Year(inputs)
    add_site_setup(m, inputs)
    _add_variables(m, y)
    _add_costs(m, y, inputs)
    _add_demand_balance(m, y)
    _add_stock_rows(m, y, inputs)
    _add_site_rows(m, y, inputs, tighten)
    if inputs.service_min_share > 0:
        share = y.share
        dir_t = (lambda a, t: m.direct[(*a, t)]) if y.reroute else (lambda a, t: share[t] * m.direct[a])
        add_service_level(m, inputs, y.out_arcs, y.dir_arcs, y.demand,
                          lambda a: [y.out_t(m, a, t) for t in y.months], lambda a: [dir_t(a, t) for t in y.months])
    if inputs.single_sourcing:
        if y.reroute:
            add_single_sourcing(m, y.timed(y.out_arcs),
                                {(*a, t): y.demand[(a[2], a[3], a[4], t)] for a in y.out_arcs for t in y.months})
        else:
            add_single_sourcing(m, y.out_arcs, {a: y.annual[(a[2], a[3], a[4])] for a in y.out_arcs})
    return m


def _add_variables(m, y: _Year) -> None:
    reroute = y.reroute
    m.MONTHS = pyo.Set(initialize=y.months, ordered=True)
    m.DEMAND = pyo.Set(initialize=list(y.demand) if reroute else list(y.annual), dimen=4 if reroute else 3,
                       ordered=True)
    m.INBOUND_ARCS = pyo.Set(initialize=y.timed(y.in_arcs), dimen=6, ordered=True)
    m.OUTBOUND_ARCS = pyo.Set(initialize=y.timed(y.out_arcs) if reroute else y.out_arcs, dimen=6 if reroute else 5,
                              ordered=True)
    m.DIRECT_ARCS = pyo.Set(initialize=y.timed(y.dir_arcs) if reroute else y.dir_arcs, dimen=6 if reroute else 5,
                            ordered=True)
    m.STOCK = pyo.Set(initialize=y.timed(y.stock_pos), dimen=5, ordered=True)
    m.inbound = pyo.Var(m.INBOUND_ARCS, within=pyo.NonNegativeReals)
    m.outbound = pyo.Var(m.OUTBOUND_ARCS, within=pyo.NonNegativeReals)
    m.direct = pyo.Var(m.DIRECT_ARCS, within=pyo.NonNegativeReals)
    m.unmet = pyo.Var(m.DEMAND, within=pyo.NonNegativeReals)
    m.stock = pyo.Var(m.STOCK, within=pyo.NonNegativeReals)


def _add_costs(m, y: _Year, inputs: ModelInputs) -> None:
    """The cost terms (an annual outbound and direct flow has no month index) and co2_t."""
    ia, oa, da, sk = inputs.inbound_arcs, inputs.outbound_arcs, inputs.direct_arcs, inputs.stock_keys
    yearly = (None,)
    outbound_family = (oa, y.out_arcs, m.outbound) if y.reroute else (oa, y.out_arcs, m.outbound, yearly)
    direct_family = (da, y.dir_arcs, m.direct) if y.reroute else (da, y.dir_arcs, m.direct, yearly)
    add_objective(m, {"inbound": (ia, y.in_arcs, m.inbound), "outbound": outbound_family,
                      "direct": direct_family, "stock": (sk, y.stock_pos, m.stock)},
                  periods=y.months, unmet_penalty=inputs.unmet_penalty)
    add_emissions(m, {"inbound": (ia, y.in_arcs, m.inbound), "outbound": outbound_family,
                      "direct": direct_family}, periods=y.months, cap_t=inputs.co2_cap_t)


def _add_demand_balance(m, y: _Year) -> None:
    """demand_balance[c,o,p(,t)]: sum outbound + sum direct + unmet = demand (per month when re-routing)."""
    served = defaultdict(list)
    if y.reroute:
        for a in y.out_arcs:
            for t in y.months:
                served[(a[2], a[3], a[4], t)].append(m.outbound[(*a, t)])
        for a in y.dir_arcs:
            for t in y.months:
                served[(a[3], a[1], a[4], t)].append(m.direct[(*a, t)])
        rhs = y.demand
    else:
        for a in y.out_arcs:
            served[(a[2], a[3], a[4])].append(m.outbound[a])
        for a in y.dir_arcs:
            served[(a[3], a[1], a[4])].append(m.direct[a])
        rhs = y.annual
    m.demand_balance = pyo.Constraint(m.DEMAND, rule=lambda m, *d: sum(served[d]) + m.unmet[d] == rhs[d])


def _add_stock_rows(m, y: _Year, inputs: ModelInputs) -> None:
    """stock_balance[m,k,o,p,t] and stock_cover[m,k,o,p,t]."""
    into, out_of = defaultdict(list), defaultdict(list)
    for a in y.in_arcs:
        into[(a[0], a[3], a[1], a[4])].append(a)
    for a in y.out_arcs:
        out_of[(a[0], a[1], a[3], a[4])].append(a)
    prev, nxt = y.prev, y.next
    m.stock_balance = pyo.Constraint(m.STOCK, rule=lambda m, md, k, o, p, t: m.stock[md, k, o, p, t] == (
        m.stock[md, k, o, p, prev[t]] + sum(m.inbound[(*a, t)] for a in into[md, k, o, p])
        - sum(y.out_t(m, a, t) for a in out_of[md, k, o, p])))
    cover = dict(zip(y.stock_pos, inputs.stock_keys["cover_months"].astype(float)))
    m.stock_cover = pyo.Constraint(m.STOCK, rule=lambda m, md, k, o, p, t: m.stock[md, k, o, p, t] >= (
        cover[md, k, o, p] * sum(y.out_t(m, a, nxt[t]) for a in out_of[md, k, o, p])))


def _add_site_rows(m, y: _Year, inputs: ModelInputs, tighten: bool = True) -> None:
    """receiving_capacity[k,t], storage_capacity[k,t], throughput_capacity[k], hold capacity and
    strong_linking on each arc's year."""
    cap, levels_of, months = m.capacity, m.LEVELS, y.months
    sites = list(m.SITES)
    arrivals, held = defaultdict(list), defaultdict(list)
    for a in y.in_arcs:
        for t in months:
            arrivals[(a[3], t)].append(m.inbound[(*a, t)])
    for s in y.stock_pos:
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
    for a in y.out_arcs:
        flows = [m.outbound[(*a, t)] for t in months] if y.reroute else [m.outbound[a]]
        through[a[1]] += flows
        through_held[(a[0], a[1])] += flows
    add_throughput_capacity(m, through)
    add_hold_capacity(m, through_held)
    # strong_linking on the year's flow of each arc: outbound[t] <= demand[t] per month already
    # follows from demand_balance, and one row per arc (not per arc and month) keeps the LP 12x smaller.
    m.annual_outbound = pyo.Expression(y.out_arcs, rule=lambda m, *a: sum(y.out_t(m, a, t) for t in months))
    add_strong_linking(m, m.annual_outbound, {a: y.annual[(a[2], a[3], a[4])] for a in y.out_arcs},
                       site_of=lambda a: a[1], mode_of=lambda a: a[0], tighten=tighten)
