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


def add_level_split(m: pyo.ConcreteModel, flow, groups: dict, bound: dict, site_of, mode_of=None,
                    sites=None) -> None:
    """``m.LEVEL_GROUPS`` (group..., level), ``m.level_flow``, ``m.level_split``, ``m.level_linking``
    and ``m.level_capacity`` (module docstring) for the groups of arcs in ``groups`` (group -> its arcs,
    all at one site ``site_of(group)``; ``bound[group]``: the most the group's arcs may carry together,
    the demand of the rows they serve) at sites with more than one level. A group whose arcs are all
    of one held regime (``mode_of(arc)`` with a ``hold``) is split only over the levels it may be
    held at, linked to ``hold[md,k,l]``. ``sites``: split only these sites (default: all)."""
    held = set(m.HELD) if hasattr(m, "HELD") else set()

    def levels(g):
        k = site_of(g)
        modes = {None if mode_of is None else mode_of(a) for a in groups[g]}
        md = modes.pop() if len(modes) == 1 else None
        if (md, k) in held:
            return [(l, m.hold[md, k, l]) for l in m.LEVELS[k] if (md, k, l) in m.HOLDINGS]
        return [(l, m.open[k, l]) for l in m.LEVELS[k]]

    split = [g for g in groups if len(m.LEVELS[site_of(g)]) > 1 and (sites is None or site_of(g) in sites)]
    keys, switch, by_level = [], {}, defaultdict(list)
    for g in split:
        for l, var in levels(g):
            keys.append((*g, l))
            switch[(*g, l)] = var
            by_level[(site_of(g), l)].append((*g, l))
    m.LEVEL_GROUPS = pyo.Set(initialize=keys, dimen=len(keys[0]) if keys else None, ordered=True)
    m.level_flow = pyo.Var(m.LEVEL_GROUPS, within=pyo.NonNegativeReals)
    parts = defaultdict(list)
    for q in keys:
        parts[q[:-1]].append(m.level_flow[q])
    m.level_split = pyo.Constraint(split, rule=lambda m, *g: sum(flow[a] for a in groups[g]) == sum(parts[g]))
    m.level_linking = pyo.Constraint(
        m.LEVEL_GROUPS, rule=lambda m, *q: m.level_flow[q] <= level_bound(m, site_of(q[:-1]), q[-1], bound[q[:-1]])
        * switch[q])
    m.level_capacity = pyo.Constraint(
        sorted(by_level), rule=lambda m, k, l: sum(m.level_flow[q] for q in by_level[k, l]) <= m.capacity[k, l]
        * m.open[k, l])
