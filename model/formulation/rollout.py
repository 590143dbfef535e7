"""The multi-year roll-out (docs/formulation.md, "Roll-out"): one one-period model per year (the
blocks ``y<year>``, built by :func:`model.formulation.create_model` from that year's inputs and
left as they are), tied together by incremental capacity binaries.

``z[k,l,t]`` = 1: site k has at least level l (rank 1 = smallest) in year t. ``nested``:
z[k,l+1,t] <= z[k,l,t]; ``no_downsizing``: z[k,l,t-1] <= z[k,l,t]; ``not_before``: z[k,1,t] = 0
before the site's earliest year; ``level_link``: the year's ``open[k,l]`` = z[k,l,t] - z[k,l+1,t].
``fenced[k,t]`` = 1: site k has the customs fence and IT of a bonded facility (paid once,
``fence_kept`` keeps it); a year's ``hold`` of a regime with compliance needs it (``fence_link``).
``capex[t]`` = level steps x their capital expenditure + new fences x the set-up capex;
``budget[t]``: capex[t] <= budget (+ carry in - carry out with carry-over); ``openings[t]``: new
sites <= the limit. ``year_cost[t]`` = every cost term of the year (:data:`TERMS`; the fixed cost
from z, so a site kept open where a year's model cannot use it still pays) + the annuity of the
fences held that year; ``npv`` = sum_t discount[t] x year_cost[t].
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pyomo.environ as pyo

from model.formulation import create_model
from model.inputs.rollout import RolloutData
from model.io.terms import TERMS


@dataclass
class RolloutStart:
    """What is in place before the first year of a (sub-)horizon: the myopic plan's earlier years."""

    ranks: dict = field(default_factory=dict)   # site -> highest level rank held (absent = none)
    fenced: frozenset = frozenset()             # sites already fenced for bonded stock
    carry: float = 0.0                          # budget carried into the first year (USD)


def year_block(m: pyo.ConcreteModel, t: int) -> pyo.Block:
    """The one-period model of year ``t`` inside the roll-out model."""
    return getattr(m, f"y{t}")


def create_rollout_model(data: RolloutData, start: RolloutStart | None = None) -> pyo.ConcreteModel:
    start = start or RolloutStart()
    years = list(data.years)
    prev = {t: years[i - 1] for i, t in enumerate(years) if i > 0}
    m = pyo.ConcreteModel(name="cbec_rollout")
    lv = data.levels
    steps = list(zip(lv["site"], lv["rank"]))
    top = lv.groupby("site")["rank"].max().to_dict()
    rank_of = {(k, name): r for k, name, r in zip(lv["site"], lv["level"], lv["rank"])}
    step_capex = {(k, r): c - lv_prev for k, r, c, lv_prev in
                  zip(lv["site"], lv["rank"], lv["capex"], lv.groupby("site")["capex"].shift(fill_value=0.0))}
    step_fixed = {(k, r): f - f_prev for k, r, f, f_prev in
                  zip(lv["site"], lv["rank"], lv["fixed_cost"], lv.groupby("site")["fixed_cost"].shift(fill_value=0.0))}

    m.YEARS = pyo.Set(initialize=years, ordered=True)
    m.STEPS = pyo.Set(initialize=steps, dimen=2, ordered=True)
    m.RSITES = pyo.Set(initialize=list(dict.fromkeys(k for k, _ in steps)), ordered=True)
    m.z = pyo.Var(m.STEPS, m.YEARS, within=pyo.Binary)
    m.nested = pyo.Constraint([(k, r, t) for k, r in steps if r > 1 for t in years],
                              rule=lambda m, k, r, t: m.z[k, r, t] <= m.z[k, r - 1, t])
    before = {(k, r): 1.0 if r <= start.ranks.get(k, 0) else 0.0 for k, r in steps}

    def z_prev(k, r, t):
        return m.z[k, r, prev[t]] if t in prev else before[k, r]

    m.no_downsizing = pyo.Constraint([(k, r, t) for k, r in steps for t in years if t in prev or before[k, r]],
                                     rule=lambda m, k, r, t: z_prev(k, r, t) <= m.z[k, r, t])
    m.not_before = pyo.Constraint([(k, t) for k in m.RSITES for t in years if t < data.earliest.get(k, -math.inf)],
                                  rule=lambda m, k, t: m.z[k, 1, t] == 0)

    # the year models, each exactly the one-period model of its year's inputs
    for t in years:
        b = create_model(data.inputs[t])
        b.total_cost.deactivate()
        m.add_component(f"y{t}", b)

    def upper(k, r, t):
        return m.z[k, r + 1, t] if r < top[k] else 0

    links = [(t, k, lvl) for t in years for k, lvl in year_block(m, t).SITE_LEVELS]
    m.level_link = pyo.Constraint(
        links, rule=lambda m, t, k, lvl: year_block(m, t).open[k, lvl]
        == m.z[k, rank_of[k, lvl], t] - upper(k, rank_of[k, lvl], t))

    # the bonded fence: paid once, kept, needed by every hold of a regime with a compliance cost
    fence_sites = sorted({k for t in years for _, k in year_block(m, t).HELD})
    m.FENCE_SITES = pyo.Set(initialize=fence_sites, ordered=True)
    m.fenced = pyo.Var(m.FENCE_SITES, m.YEARS, within=pyo.Binary)
    was_fenced = {k: 1.0 if k in start.fenced else 0.0 for k in fence_sites}

    def f_prev(k, t):
        return m.fenced[k, prev[t]] if t in prev else was_fenced[k]

    m.fence_kept = pyo.Constraint([(k, t) for k in fence_sites for t in years if t in prev or was_fenced[k]],
                                  rule=lambda m, k, t: f_prev(k, t) <= m.fenced[k, t])
    held = [(t, md, k) for t in years for md, k in year_block(m, t).HELD]
    m.fence_link = pyo.Constraint(held, rule=lambda m, t, md, k: sum(
        year_block(m, t).hold[md, k, lvl] for lvl in year_block(m, t).LEVELS[k]
        if (md, k, lvl) in year_block(m, t).HOLDINGS) <= m.fenced[k, t])

    m.capex = pyo.Expression(m.YEARS, rule=lambda m, t: sum(
        step_capex[k, r] * (m.z[k, r, t] - z_prev(k, r, t)) for k, r in steps if step_capex[k, r] != 0)
        + sum(data.setup_capex * (m.fenced[k, t] - f_prev(k, t)) for k in fence_sites))
    budgeted = [t for t in years if math.isfinite(data.budget[t])]
    if data.carry_over and budgeted:
        m.carry = pyo.Var(m.YEARS, within=pyo.NonNegativeReals)  # budget left at the end of the year

        def carry_in(t):
            return m.carry[prev[t]] if t in prev else start.carry

        m.budget = pyo.Constraint(budgeted, rule=lambda m, t: m.capex[t] + m.carry[t] == data.budget[t]
                                  + carry_in(t))
    else:
        m.budget = pyo.Constraint(budgeted, rule=lambda m, t: m.capex[t] <= data.budget[t])
    if math.isfinite(data.max_openings):
        m.openings = pyo.Constraint(m.YEARS, rule=lambda m, t: sum(
            m.z[k, 1, t] - z_prev(k, 1, t) for k in m.RSITES) <= data.max_openings)

    # cost of each year: the one-period terms, the fixed cost from z, the fences' annuity
    m.site_fixed_cost = pyo.Expression(m.YEARS, rule=lambda m, t: sum(
        step_fixed[k, r] * m.z[k, r, t] for k, r in steps))
    m.fence_annuity = pyo.Expression(m.YEARS, rule=lambda m, t: sum(
        data.setup_annuity * m.fenced[k, t] for k in fence_sites))
    m.year_cost = pyo.Expression(m.YEARS, rule=lambda m, t: sum(
        m.site_fixed_cost[t] if term == "fixed_cost" else getattr(year_block(m, t), term) for term in TERMS)
        + m.fence_annuity[t])
    m.npv = pyo.Objective(expr=sum(data.discount[t] * m.year_cost[t] for t in years), sense=pyo.minimize)
    return m
