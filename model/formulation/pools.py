"""The SKU-class stock pools as Pyomo rows: a site that holds a class holds every SKU of it, and
the class's stock cost follows its piecewise-linear pooling curve (docs/formulation.md,
"SKU classes"). The data behind the bands is built in :mod:`model.inputs.classes`."""
from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

from model.formulation.facility import regime_is_held


def add_stock_pools(m: pyo.ConcreteModel, segments: pd.DataFrame | None, out_keys, flow: pyo.Var | None = None,
                    pool_of=None) -> dict:
    """The stock_class family (module docstring) on ``m``; returns {key: its stock_class var} for the
    keys of pooled items (strong_linking links those to the class, not the site).

    A pool's throughput is the sum of ``flow[key]`` over the ``out_keys`` whose ``pool_of(key)`` is
    that pool: by default the one-period model's outbound arcs (mode, site, zone, origin, item); the
    two-stage model passes its first-stage stock positions (mode, site, origin, item) instead."""
    flow = m.outbound if flow is None else flow
    pool_of = pool_of or (lambda a: (a[0], a[1], a[4]))
    seg = segments if segments is not None else pd.DataFrame(
        columns=["mode", "site", "product", "band", "lo", "hi", "intercept", "slope"])
    bands = list(seg[["mode", "site", "product", "band"]].itertuples(index=False, name=None))
    pools = list(dict.fromkeys(b[:3] for b in bands))
    m.POOLS = pyo.Set(initialize=pools, dimen=3, ordered=True)
    m.POOL_BANDS = pyo.Set(initialize=bands, dimen=4, ordered=True)
    m.stock_class = pyo.Var(m.POOLS, within=pyo.Binary)
    m.stock_band = pyo.Var(m.POOL_BANDS, within=pyo.Binary)
    m.pool_flow = pyo.Var(m.POOL_BANDS, within=pyo.NonNegativeReals)
    lo = dict(zip(bands, seg["lo"].astype(float)))
    hi = dict(zip(bands, seg["hi"].astype(float)))
    icpt = dict(zip(bands, seg["intercept"].astype(float)))
    slope = dict(zip(bands, seg["slope"].astype(float)))
    bands_of: dict = {}
    for b in bands:
        bands_of.setdefault(b[:3], []).append(b)
    flows_of: dict = {}
    pool_set = set(pools)
    linked = {}
    for a in out_keys:
        q = pool_of(a)
        if q in pool_set:
            flows_of.setdefault(q, []).append(flow[a])
            linked[a] = m.stock_class[q]
    m.one_band = pyo.Constraint(
        m.POOLS, rule=lambda m, *q: sum(m.stock_band[b] for b in bands_of[q]) == m.stock_class[q]
    )
    m.band_lower = pyo.Constraint([b for b in bands if lo[b] > 0],
                                  rule=lambda m, *b: m.pool_flow[b] >= lo[b] * m.stock_band[b])
    m.band_upper = pyo.Constraint(m.POOL_BANDS, rule=lambda m, *b: m.pool_flow[b] <= hi[b] * m.stock_band[b])
    m.pool_throughput = pyo.Constraint(
        [q for q in pools if q in flows_of],
        rule=lambda m, *q: sum(m.pool_flow[b] for b in bands_of[q]) == sum(flows_of[q]))
    m.class_held = pyo.Constraint(m.POOLS, rule=lambda m, md, k, i: m.stock_class[md, k, i] <= regime_is_held(m, md, k))
    m.stock_cost = pyo.Expression(expr=sum(icpt[b] * m.stock_band[b] + slope[b] * m.pool_flow[b] for b in bands))
    return linked


def pool_report(m, segments: pd.DataFrame) -> pd.DataFrame:
    """mode, site, product (item), throughput (orders/yr) and stock_cost (USD/yr, the model's own
    value: sum intercept_b stock_band + slope_b pool_flow) of every held pool of a solved model."""
    seg = segments.set_index(["mode", "site", "product", "band"])
    keys = list(m.POOL_BANDS)
    bands = pd.DataFrame({"band_on": [m.stock_band[b].value or 0.0 for b in keys],
                          "flow": [m.pool_flow[b].value or 0.0 for b in keys]},
                         index=pd.MultiIndex.from_tuples(keys, names=seg.index.names))
    bands["stock_cost"] = seg["intercept"].reindex(bands.index) * bands["band_on"] \
        + seg["slope"].reindex(bands.index) * bands["flow"]
    pools = bands.groupby(level=["mode", "site", "product"], sort=False)[["band_on", "flow", "stock_cost"]].sum()
    pools = pools[pools["band_on"] > 0.5].rename(columns={"flow": "throughput"})
    return pools[["throughput", "stock_cost"]].reset_index()
