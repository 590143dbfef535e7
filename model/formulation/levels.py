"""The per-level split of the flows of a site with more than one capacity level (docs/formulation.md,
``level_flow``; issue 30).

With ``open[k,l]`` summed in the linking rows, the LP relaxation may open a site at 0.29 of its
small level and 0.71 of its large one: ``sum_l open = 1`` lets every arc carry its whole demand
while only 0.71 of the large fixed cost is paid. Splitting each arc's flow by the level it would
be carried at,

    outbound[a] = sum_l level_flow[a,l]                        (level_split)
    level_flow[a,l] <= min(d_a, cap[k,l]) open[k,l]            (level_linking; hold[md,k,l] if held)
    sum_a level_flow[a,l] <= cap[k,l] open[k,l]                (level_capacity)

describes the convex hull of each site's level choice (Balas's disjunctive hull; the "extended
linking" of Frangioni and Gendron 2009): the 0.29 slice of the small level then carries at most
0.29 x its capacity in all. For integer ``open`` it admits exactly the plans of the rows it
tightens (one level is open, so every other level's flows are 0). Sites with one level gain
nothing and are left out.
"""
from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from model.formulation.facility import level_bound


def add_level_split(m: pyo.ConcreteModel, flow, bound: dict, site_of, mode_of=None) -> None:
    """``m.LEVEL_ARCS`` (arc..., level), ``m.level_flow``, ``m.level_split``, ``m.level_linking``
    and ``m.level_capacity`` (module docstring) for the arcs in ``bound`` (arc -> its demand) at sites
    with more than one level; a held regime's arc (``mode_of(a)`` with a ``hold``) only at the
    levels it may be held at, linked to ``hold[md,k,l]``."""
    held = set(m.HELD) if hasattr(m, "HELD") else set()

    def levels(a):
        k = site_of(a)
        md = None if mode_of is None else mode_of(a)
        if (md, k) in held:
            return [(l, m.hold[md, k, l]) for l in m.LEVELS[k] if (md, k, l) in m.HOLDINGS]
        return [(l, m.open[k, l]) for l in m.LEVELS[k]]

    arcs = [a for a in bound if len(m.LEVELS[site_of(a)]) > 1]
    keys, switch, by_level = [], {}, defaultdict(list)
    for a in arcs:
        for l, var in levels(a):
            keys.append((*a, l))
            switch[(*a, l)] = var
            by_level[(site_of(a), l)].append((*a, l))
    m.LEVEL_ARCS = pyo.Set(initialize=keys, dimen=len(keys[0]) if keys else 6, ordered=True)
    m.level_flow = pyo.Var(m.LEVEL_ARCS, within=pyo.NonNegativeReals)
    parts = defaultdict(list)
    for q in keys:
        parts[q[:-1]].append(m.level_flow[q])
    m.level_split = pyo.Constraint(arcs, rule=lambda m, *a: flow[a] == sum(parts[a]))
    m.level_linking = pyo.Constraint(
        m.LEVEL_ARCS, rule=lambda m, *q: m.level_flow[q] <= level_bound(m, site_of(q[:-1]), q[-1], bound[q[:-1]])
        * switch[q])
    m.level_capacity = pyo.Constraint(
        sorted(by_level), rule=lambda m, k, l: sum(m.level_flow[q] for q in by_level[k, l]) <= m.capacity[k, l]
        * m.open[k, l])
