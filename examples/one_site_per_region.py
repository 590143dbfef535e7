"""Example hook for ``solve(..., extra_constraints=fn)`` and ``python solve.py --extra``:
at least one bonded site in each macro-region of Vietnam (North, Centre, South).

    python solve.py --extra examples/one_site_per_region.py:at_least_one_site_per_region
    python solve.py regret --extra examples/one_site_per_region.py:at_least_one_site_per_region

A hook receives the built Pyomo model, the scenario (its tables and parameters) and the model
inputs (arc tables, coefficients), and may add any constraint on the model's components
(names in docs/formulation.md). See docs/extending.md.
"""
from __future__ import annotations

import pyomo.environ as pyo

from model.formulation.facility import site_is_open

#: provinces.csv ``region`` -> macro-region; a region not listed is its own macro-region.
MACRO_REGIONS = {
    "Red River Delta": "North",
    "Northern Midlands and Mountains": "North",
    "North Central and Central Coast": "Centre",
    "Central Highlands": "Centre",
    "Southeast": "South",
    "Mekong River Delta": "South",
}


def macro_region_of_sites(scenario) -> dict[str, str]:
    """Site -> macro-region, through the site's province (sites.csv ``province`` -> provinces.csv ``region``)."""
    region = scenario.tables["provinces"].set_index("code")["region"]
    sites = scenario.tables["sites"]
    missing = sorted(set(sites["province"]) - set(region.index))
    if missing:
        raise ValueError(f"sites.csv: province code(s) {', '.join(missing)} not in provinces.csv")
    return {k: MACRO_REGIONS.get(region[p], region[p]) for k, p in zip(sites["site"], sites["province"])}


def at_least_one_site_per_region(m: pyo.ConcreteModel, scenario, inputs) -> None:
    """``one_site_per_region[r]``: sum over candidate sites k in macro-region r of sum_l open[k,l] >= 1,
    for every macro-region with at least one site that may open in this scenario."""
    macro = macro_region_of_sites(scenario)
    members: dict[str, list] = {}
    for k in m.SITES:  # only sites that may open have an ``open`` variable
        members.setdefault(macro[k], []).append(k)
    m.MACRO_REGIONS = pyo.Set(initialize=sorted(members), ordered=True)
    m.one_site_per_region = pyo.Constraint(
        m.MACRO_REGIONS, rule=lambda m, r: sum(site_is_open(m, k) for k in members[r]) >= 1)
