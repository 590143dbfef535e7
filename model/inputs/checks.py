"""Non-finite coefficients caught before HiGHS, named by the arc table and row they are in.

A NaN or an infinity in an arc table (from a table value, a parameter or arithmetic on them,
e.g. ``0 * inf``) would reach HiGHS, which refuses the model. :func:`check_finite_inputs`
names the table of :class:`model.formulation.ModelInputs`, its row (1-based), the key of the
row (mode, site, zone, origin, product...) and the column, and says which input tables feed it.
"""
from __future__ import annotations

import math

import numpy as np

from model.core.errors import DataError, Problem
from model.io import terms

#: Column -> the input tables or parameters it is computed from (for the message): the cost
#: columns from the term table, and the columns that are not costs.
SOURCES = {
    "orders": "demand.csv x sourcing.csv shares x demand.growth",
    "capacity": "site_levels.csv capacity_orders_per_year",
    "km": "sites.csv / gateways.csv / provinces.csv coordinates and the road network",
    "co2_kg": "emission factors x km x weight",
    **terms.computed_from(),
}
#: Columns allowed to be +inf (not NaN): a lead time where no road path exists.
MAY_BE_INFINITE = {"lead_hours"}
KEY_COLUMNS = ("mode", "origin", "gateway", "site", "level", "zone", "product")
TABLES = ("demand", "site_levels", "inbound_arcs", "outbound_arcs", "direct_arcs", "stock_keys")


def check_finite_inputs(inputs, limit: int = 20) -> None:
    """DataError listing every non-finite coefficient of ``inputs`` (at most ``limit`` lines)."""
    problems: list[Problem] = []
    omitted = 0
    for name in TABLES:
        df = getattr(inputs, name, None)
        if df is None or not len(df):
            continue
        keys = [c for c in KEY_COLUMNS if c in df.columns]
        for col in df.select_dtypes("number").columns:
            v = df[col].to_numpy(dtype=float)
            bad = np.isnan(v) if col in MAY_BE_INFINITE else ~np.isfinite(v)
            for i in np.flatnonzero(bad):
                if len(problems) >= limit:
                    omitted += 1
                    continue
                key = ", ".join(f"{k}={df[k].iloc[i]}" for k in keys)
                problems.append(Problem(
                    f"{name} (the model's arc table built from the inputs)", int(i) + 1, col, float(v[i]),
                    f"a finite number for ({key}); it comes from {SOURCES.get(col, 'the input tables')}"))
    penalty = getattr(inputs, "unmet_penalty", 0.0)
    if not math.isfinite(float(penalty)):
        problems.append(Problem("parameters", None, "costs.unmet_penalty_usd_per_order", penalty, "a finite number"))
    if problems:
        raise DataError(problems, omitted)
