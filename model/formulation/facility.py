"""The facility family of constraints, shared by the CBEC model and the plain CFLP.

Symbols (docs/formulation.md): ``open[k,l]`` binary, one level per site, throughput
capacity ``sum flows through k <= sum_l cap[k,l] open[k,l]`` and the strong linking
``flow[k,*] <= demand[*] * sum_l open[k,l]`` (it makes the LP relaxation tight; dropping it
made a 100 x 2000 instance 15x slower here, see docs/performance.md).
"""
from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo


def add_facility_decisions(m: pyo.ConcreteModel, capacity: dict, fixed_cost: dict, force_open=()) -> None:
    """``m.SITE_LEVELS``, ``m.open[k,l]``, ``m.one_level[k]`` and the expression ``m.fixed_cost`` (USD).

    ``capacity`` and ``fixed_cost`` map (site, level) -> float; sites in ``force_open`` must open.
    """
    keys = list(capacity)
    m.SITE_LEVELS = pyo.Set(initialize=keys, dimen=2, ordered=True)
    m.SITES = pyo.Set(initialize=list(dict.fromkeys(k for k, _ in keys)), ordered=True)
    m.open = pyo.Var(m.SITE_LEVELS, within=pyo.Binary)
    levels_of = defaultdict(list)
    for k, l in keys:
        levels_of[k].append(l)
    m._levels_of = dict(levels_of)
    m._capacity = dict(capacity)
    forced = set(force_open)

    def one_level(m, k):
        expr = sum(m.open[k, l] for l in levels_of[k])
        return expr == 1 if k in forced else expr <= 1

    m.one_level = pyo.Constraint(m.SITES, rule=one_level)
    m.fixed_cost = pyo.Expression(expr=sum(fixed_cost[kl] * m.open[kl] for kl in keys))


def site_is_open(m: pyo.ConcreteModel, k):
    """sum_l open[k,l]: 1 if site k is open at some level."""
    return sum(m.open[k, l] for l in m._levels_of[k])


def add_throughput_capacity(m: pyo.ConcreteModel, throughput: dict) -> None:
    """``m.throughput_capacity[k]``: sum of the flows in ``throughput[k]`` <= sum_l cap[k,l] open[k,l]."""
    sites = [k for k in m.SITES if throughput.get(k)]

    def rule(m, k):
        return sum(throughput[k]) <= sum(m._capacity[k, l] * m.open[k, l] for l in m._levels_of[k])

    m.throughput_capacity = pyo.Constraint(sites, rule=rule)


def add_strong_linking(m: pyo.ConcreteModel, flow: pyo.Var, bound: dict, site_of=lambda a: a[0]) -> None:
    """``m.strong_linking[a]``: flow[a] <= bound[a] * sum_l open[k,l], with k = site_of(a) the site of arc a."""
    m.strong_linking = pyo.Constraint(
        list(bound), rule=lambda m, *a: flow[a] <= bound[a] * site_is_open(m, site_of(a)))
