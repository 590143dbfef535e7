"""The objective: one named Expression per cost term (:data:`TERMS`), the same for the one-period
and the monthly model. Each term sums per-order coefficients (columns of the arc tables of
:mod:`model.inputs.build`) times flows; ``fixed_cost`` comes from the facility family.
"""
from __future__ import annotations

import math

import pyomo.environ as pyo

from model.io import terms
from model.io.terms import TERMS

#: term -> (flow family, coefficient column) pairs, from model/attrs/terms.csv. ``stock`` exists in
#: the monthly model only; there the outbound arcs carry no holding or financing cost (those sit on the stock).
TERM_SOURCES = terms.sources()


def _family(entry, periods):
    """(table, keys, var, periods) of a family entry, the default periods filled in."""
    return (*entry, periods) if len(entry) == 3 else tuple(entry)


def add_objective(m: pyo.ConcreteModel, families: dict, periods=(None,), unmet_penalty: float = 0.0) -> None:
    """Add the cost terms and ``total_cost``.

    ``families`` maps a flow family name to (arc table, arc keys, Pyomo variable[, periods]);
    ``periods`` are the month indices appended to each arc key (``(None,)`` = no month index),
    for every family that does not name its own.
    """
    def flow(var, a, t):
        return var[a] if t is None else var[(*a, t)]

    for name, sources in TERM_SOURCES.items():
        expr = 0
        for family, column in sources:
            if family not in families or column not in families[family][0].columns:
                continue
            table, keys, var, fam_periods = _family(families[family], periods)
            coef = dict(zip(keys, table[column].astype(float)))
            expr = expr + sum(coef[a] * flow(var, a, t) for a in keys if coef[a] != 0.0 for t in fam_periods)
        setattr(m, name, pyo.Expression(expr=expr))
    if not hasattr(m, "stock_cost"):  # the SKU-class pools (model.inputs.classes) price it
        m.stock_cost = pyo.Expression(expr=0.0)
    m.unmet_penalty = pyo.Expression(expr=sum(unmet_penalty * m.unmet[d] for d in m.unmet))
    m.total_cost = pyo.Objective(expr=sum(getattr(m, t) for t in TERMS), sense=pyo.minimize)


def add_emissions(m: pyo.ConcreteModel, families: dict, periods=(None,), cap_t: float = math.inf) -> None:
    """``m.co2_t`` (tonnes CO2e per year: each flow x its arc's ``co2_kg`` per order / 1000) and, when
    ``cap_t`` is finite, ``m.co2_cap``: co2_t <= cap_t. A KPI, not a cost term."""
    expr = 0
    for family in ("inbound", "outbound", "direct"):
        if family not in families or "co2_kg" not in families[family][0].columns:
            continue
        table, keys, var, fam_periods = _family(families[family], periods)
        coef = dict(zip(keys, table["co2_kg"].astype(float) / 1000.0))
        expr = expr + sum(coef[a] * (var[a] if t is None else var[(*a, t)]) for a in keys if coef[a] != 0.0
                          for t in fam_periods)
    m.co2_t = pyo.Expression(expr=expr)
    if math.isfinite(cap_t):
        m.co2_cap = pyo.Constraint(expr=m.co2_t <= cap_t)
