"""Why a scenario is infeasible: which constraint, which zone or site, by how much.

Demand itself never makes the model infeasible (unmet demand is a priced variable), so an
infeasible model means some constraint family cannot hold together with the others. Each
family below is relaxed in turn with elastic slack variables (one per row, >= 0, in the row's
own unit), the others kept hard, and the total slack minimised (HiGHS, the same MIP otherwise).
A family whose relaxation makes the model feasible is a cause, and its rows with slack say
where and by how much; several families may each be enough on their own (e.g. three sites
forced open under ``policy.max_sites = 2``: relax either).

Families (component names of :mod:`model.formulation`):

- ``service_level``: ``service_level[z]`` (zone, or ``national``): orders per year short of
  the share that must arrive within ``service.target_hours``;
- ``max_sites``: sites beyond ``policy.max_sites``;
- ``force_open``: ``one_level[k]`` of a site forced open (sites.csv ``force_open``) that would
  have to stay closed;
- ``co2_cap``: tonnes CO2e per year above the cap;
- ``capacity``: ``throughput_capacity[k]`` (and the monthly ``receiving_capacity`` /
  ``storage_capacity``): orders per year beyond the site's capacity at the level it opens.
"""
from __future__ import annotations

import dataclasses
import logging

import pyomo.environ as pyo

from model.solving.highs import solve_model

log = logging.getLogger(__name__)

#: family -> (constraint components, unit of the slack)
FAMILIES = {
    "service_level": (("service_level",), "orders/year"),
    "max_sites": (("max_sites",), "sites"),
    "force_open": (("one_level",), "sites"),
    "co2_cap": (("co2_cap",), "t CO2e/year"),
    "capacity": (("throughput_capacity", "receiving_capacity", "storage_capacity"), "orders"),
}
TOL = 1e-6


def _forced_rows(m):
    """one_level rows of forced-open sites (equality rows ``sum_l open[k,l] == 1``)."""
    c = getattr(m, "one_level", None)
    if c is None:
        return []
    return [(k, c[k]) for k in c if c[k].equality]


def _rows(m, family, active_only: bool = True):
    """[((component, index), row)] of a family's constraints (with ``active_only=False`` also the
    rows make_elastic deactivated)."""
    if family == "force_open":
        return _forced_rows(m)
    out = []
    for name in FAMILIES[family][0]:
        comp = getattr(m, name, None)
        if comp is None:
            continue
        rows = [((name, idx), comp[idx]) for idx in comp] if comp.is_indexed() else [((name, None), comp)]
        out += [(k, c) for k, c in rows if c.active or not active_only]
    return out


def make_elastic(m, families) -> list:
    """Relax every row of ``families`` in ``m`` with a slack >= 0; replace the objective by the
    total slack. Returns [(family, index, slack Var)]."""
    rows = [(f, idx, c) for f in families for idx, c in _rows(m, f)]
    if "capacity" in families:
        # cuts implied by throughput_capacity for integer open and hold, so no cause of their own:
        # hold_capacity, and strong_linking, whose coefficients min(demand, capacity of the level)
        # would otherwise keep each arc within the capacity being relaxed
        for name in ("hold_capacity", "strong_linking"):
            if hasattr(m, name):
                getattr(m, name).deactivate()
    m._elastic_slack = pyo.Var(range(len(rows)), within=pyo.NonNegativeReals)
    m._elastic_rows = pyo.ConstraintList()
    out = []
    for i, (family, idx, c) in enumerate(rows):
        s = m._elastic_slack[i]
        body, lo, up = c.body, c.lower, c.upper
        c.deactivate()
        if family == "force_open":  # may stay closed (slack 1), never open two levels
            m._elastic_rows.add(body + s >= lo)
            m._elastic_rows.add(body <= up)
        else:
            if lo is not None and up is not None and c.equality:
                m._elastic_rows.add(body + s >= lo)
                m._elastic_rows.add(body - s <= up)
            elif up is not None:
                m._elastic_rows.add(body - s <= up)
                if lo is not None:
                    m._elastic_rows.add(body >= lo)
            else:
                m._elastic_rows.add(body + s >= lo)
        out.append((family, idx, s))
    for o in m.component_data_objects(pyo.Objective, active=True):
        o.deactivate()
    m._elastic_objective = pyo.Objective(expr=sum(m._elastic_slack[i] for i in m._elastic_slack) if rows else 0.0)
    return out


def _describe(family: str, idx, amount: float, m, inputs) -> dict:
    unit = FAMILIES[family][1]
    if family == "service_level":
        where = idx[1]
        detail = (
            f"{amount:,.4g} orders/year short in {'the country' if where == 'national' else 'zone ' + str(where)} "
            f"of the service.min_share = {inputs.service_min_share:g} that must arrive within "
            f"{inputs.service_target_hours:g} h"
        )
        name = f"service_level[{where}]"
    elif family == "max_sites":
        where = None
        detail = f"{amount:,.4g} site(s) more than policy.max_sites = {inputs.max_sites:g} are needed"
        name = "max_sites"
    elif family == "force_open":
        where = idx
        detail = f"site {idx} is forced open (sites.csv force_open) but the other constraints need it closed"
        name = f"one_level[{idx}]"
    elif family == "co2_cap":
        where = None
        detail = f"{amount:,.4g} t CO2e/year above the cap of {inputs.co2_cap_t:,.4g} t"
        name = "co2_cap"
    else:
        comp, where = idx
        where = where if not isinstance(where, tuple) else ",".join(map(str, where))
        # throughput_capacity[k], receiving/storage_capacity[k,t]
        site = idx[1][0] if isinstance(idx[1], tuple) else idx[1]
        cap = max((m.capacity[site, l] for l in m.LEVELS[site]), default=None) if site in m.SITES else None
        detail = (f"site {site} needs {amount:,.4g} {unit} beyond its capacity ({comp}"
                  + (f"; its largest level holds {cap:,.4g} orders/year" if cap is not None else "") + ")")
        name = f"{comp}[{where}]"
    return {"family": family, "constraint": name, "where": where, "violation": float(amount), "unit": unit,
            "detail": detail}


def _scales(m, slacks):
    """(family, index, slack, size of the row's right-hand side) for each elastic row."""
    out = []
    for family, idx, s in slacks:
        rows = dict(_rows(m, family, active_only=False))
        c = rows.get(idx)
        rhs = 1.0 if c is None else max(abs(c.lower or 0.0), abs(c.upper or 0.0), 1.0)
        out.append((family, idx, s, float(rhs)))
    return out


def explain_infeasible(build, inputs, options) -> dict:
    """Relax each constraint family in turn on a fresh model from ``build()``.

    Returns ``{"causes": [...], "families_tried": [...], "lines": [...]}``: each cause a dict
    (family, constraint, where, violation, unit, detail) for one row whose slack is positive
    when that family alone is relaxed; ``lines`` the same in words, for the terminal.
    """

    opts = dataclasses.replace(options, start=None, verbose=False, mip_rel_gap=min(options.mip_rel_gap, 1e-6))
    causes, tried, lines, not_enough = [], [], [], []
    for family in FAMILIES:
        m = build()
        if not _rows(m, family):
            continue
        tried.append(family)
        slacks = make_elastic(m, [family])
        rep = solve_model(m, opts)
        if rep.status == "infeasible":  # HiGHS's presolve can reject a barely feasible model: confirm without it
            rep = solve_model(m, dataclasses.replace(opts, highs_options={**(opts.highs_options or {}),
                                                                          "presolve": "off"}))
        if rep.objective is None:
            not_enough.append(family)
            continue
        found = [_describe(f, idx, s.value, m, inputs) for f, idx, s in slacks if (s.value or 0.0) > TOL]
        for c, (_, _, _, scale) in zip(found, [x for x in _scales(m, slacks) if (x[2].value or 0.0) > TOL]):
            if c["violation"] <= 1e-7 * scale:
                c["detail"] += (" (within the solver's tolerance of this row's size: the scenario is feasible up to "
                                "rounding, but HiGHS rejected it; loosen this constraint slightly)")
        causes += found
        if found:
            lines.append(f"relaxing {family} alone makes it feasible: "
                         + "; ".join(f"{c['constraint']}: {c['detail']}" for c in found[:5])
                         + (f"; and {len(found) - 5} more rows" if len(found) > 5 else ""))
    if not causes:
        lines.append("no single constraint family (" + ", ".join(tried or ["none present"]) + ") explains it alone"
                     + (": relaxing each one alone leaves the model infeasible" if not_enough else "")
                     + "; look at constraints added by --extra or insight rules, or at several families together")
    return {"causes": causes, "families_tried": tried, "not_enough_alone": not_enough, "lines": lines}
