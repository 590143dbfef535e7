"""Single sourcing (``service.single_sourcing = 1``): the stocked orders of each (zone, product)
come from one site, whatever the origin, mode or month; direct mail may still serve the rest.

``assign[k,c,p]`` binary, ``single_source[c,p]``: sum_k assign <= 1,
``assign_open[k,c,p]``: assign <= sum_l open[k,l], and
``assignment_linking[a]``: outbound[a] <= demand of a x assign[k,c,p].
The same rule on the plain CFLP is tested against Holmberg's single-source optima
(``python -m model.methods.orlib --single-source``).
"""
from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from model.formulation.facility import site_is_open


def add_single_sourcing(m: pyo.ConcreteModel, outbound_keys, bound: dict) -> None:
    """``outbound_keys``: index tuples of ``m.outbound`` (mode, site, zone, origin, product[, month]);
    ``bound[a]``: the demand that caps arc a."""
    arcs_of = defaultdict(list)
    for a in outbound_keys:
        arcs_of[(a[1], a[2], a[4])].append(a)
    m.ASSIGNMENTS = pyo.Set(initialize=sorted(arcs_of), dimen=3, ordered=True)
    m.assign = pyo.Var(m.ASSIGNMENTS, within=pyo.Binary)
    sites_of = defaultdict(list)
    for k, c, p in arcs_of:
        sites_of[(c, p)].append(k)
    m.single_source = pyo.Constraint(
        sorted(sites_of), rule=lambda m, c, p: sum(m.assign[k, c, p] for k in sites_of[c, p]) <= 1
    )
    m.assign_open = pyo.Constraint(m.ASSIGNMENTS, rule=lambda m, k, c, p: m.assign[k, c, p] <= site_is_open(m, k))
    m.assignment_linking = pyo.Constraint(
        list(outbound_keys), rule=lambda m, *a: m.outbound[a] <= bound[a] * m.assign[a[1], a[2], a[4]])
