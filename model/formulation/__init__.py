"""The Pyomo model of the CBEC bonded network (docs/formulation.md, same names).

``create_model(inputs)`` builds, in order: the site decisions (``open``, ``hold`` of a regime
with a compliance cost, ``max_sites`` when finite: :func:`facility.add_site_setup`), the flow
variables (``inbound``, ``outbound``, ``direct``, ``unmet``), one named Expression per
objective term (:data:`TERMS`), the objective ``total_cost`` and the constraint families
``demand_balance``, ``site_flow_balance``, ``one_level``, ``hold_link``, ``throughput_capacity``,
``hold_capacity``, ``strong_linking``, and when the scenario asks, ``service_level``,
``single_source``, ``co2_cap`` (the expression ``co2_t`` is always there, a KPI) and
``exempt_limit`` (:func:`add_exempt_limit`). Eligibility of sites and products is enforced by the sparse index sets
themselves (:mod:`model.inputs.build`): an ineligible arc has no variable.
"""
from __future__ import annotations

import gc
from collections import defaultdict

import pyomo.environ as pyo

from model.formulation.facility import add_hold_capacity, add_site_setup, add_strong_linking, add_throughput_capacity
from model.formulation.monthly import create_monthly_model
from model.formulation.objective import add_emissions, add_objective
from model.formulation.pools import add_stock_pools
from model.formulation.service import add_service_level
from model.formulation.sourcing import add_single_sourcing
from model.inputs.build import ModelInputs, build_inputs
from model.inputs.classes import MIX
from model.inputs.context import zone_demand
from model.io.terms import TERMS

__all__ = ["TERMS", "ModelInputs", "build_inputs", "create_model", "zone_demand"]


def _keys(df, cols):
    return list(df[cols].itertuples(index=False, name=None))


def _coef(df, keys, col):
    return dict(zip(keys, df[col].astype(float).tolist()))


def _by(keys, var, group):
    """group(key) -> [var[key], ...] over ``keys``."""
    out = defaultdict(list)
    for a in keys:
        out[group(a)].append(var[a])
    return out


#: how strong_linking ties the flows to the capacity levels (docs/performance.md, issue 30):
#: "tight" = coefficients ``min(demand, cap_l)`` on each level; "summed" = ``demand x sum_l open``, the
#: row before issue 30, kept only for the side-by-side of ``benchmarks/root.py``.
LINKINGS = ("tight", "summed")
LINKING = "tight"


def create_model(inputs: ModelInputs, linking: str = LINKING) -> pyo.ConcreteModel:
    """The MIP: one steady-state period, or twelve months (:mod:`model.formulation.monthly`).
    ``linking``: one of :data:`LINKINGS` ("summed" is for the benchmarks)."""
    if linking not in LINKINGS:
        raise ValueError(f"linking {linking!r}: expected one of {', '.join(LINKINGS)}")

    gc_was_enabled = gc.isenabled()
    gc.disable()  # cyclic GC passes are a large share of Pyomo build time (docs/performance.md)
    try:
        return create_monthly_model(inputs, tighten=linking != "summed") if inputs.periods == 12 \
            else _create_model(inputs, linking)
    finally:
        if gc_was_enabled:
            gc.enable()


def _create_model(inputs: ModelInputs, linking: str) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel(name="cbec_bonded_network")
    add_site_setup(m, inputs)

    dem_keys = _keys(inputs.demand, ["zone", "origin", "product"])
    demand = _coef(inputs.demand, dem_keys, "orders")
    in_keys = _keys(inputs.inbound_arcs, ["mode", "origin", "gateway", "site", "product"])
    out_keys = _keys(inputs.outbound_arcs, ["mode", "site", "zone", "origin", "product"])
    dir_keys = _keys(inputs.direct_arcs, ["mode", "origin", "gateway", "zone", "product"])

    m.DEMAND = pyo.Set(initialize=dem_keys, dimen=3, ordered=True)
    m.INBOUND_ARCS = pyo.Set(initialize=in_keys, dimen=5, ordered=True)
    m.OUTBOUND_ARCS = pyo.Set(initialize=out_keys, dimen=5, ordered=True)
    m.DIRECT_ARCS = pyo.Set(initialize=dir_keys, dimen=5, ordered=True)

    m.inbound = pyo.Var(m.INBOUND_ARCS, within=pyo.NonNegativeReals)
    m.outbound = pyo.Var(m.OUTBOUND_ARCS, within=pyo.NonNegativeReals)
    m.direct = pyo.Var(m.DIRECT_ARCS, within=pyo.NonNegativeReals)
    m.unmet = pyo.Var(m.DEMAND, within=pyo.NonNegativeReals)

    families = {"inbound": (inputs.inbound_arcs, in_keys, m.inbound),
                "outbound": (inputs.outbound_arcs, out_keys, m.outbound),
                "direct": (inputs.direct_arcs, dir_keys, m.direct)}
    # stock_class, stock_band, pool_flow and the stock_cost term (model.inputs.classes)
    class_of = add_stock_pools(m, inputs.stock_segments, out_keys)
    add_objective(m, families, unmet_penalty=inputs.unmet_penalty)
    add_emissions(m, families, cap_t=inputs.co2_cap_t)

    # demand_balance[c,o,p]: sum_{md,k} outbound + sum_g direct + unmet = demand
    served = defaultdict(list)
    for a in out_keys:
        served[(a[2], a[3], a[4])].append(m.outbound[a])
    for a in dir_keys:
        served[(a[3], a[1], a[4])].append(m.direct[a])
    m.demand_balance = pyo.Constraint(
        m.DEMAND, rule=lambda m, c, o, p: sum(served[c, o, p]) + m.unmet[c, o, p] == demand[c, o, p])

    # site_flow_balance[md,k,o,p]: sum_g inbound[md,o,g,k,p] = sum_c outbound[md,k,c,o,p]
    # (for a pooled item: = share_o x sum_c outbound[md,k,c,*,p])
    into, out_of = defaultdict(list), defaultdict(list)
    for a in in_keys:
        into[(a[0], a[3], a[1], a[4])].append(m.inbound[a])
    mix = defaultdict(list)  # item -> [(origin, share)] of the pooled items (origin '*' on their arcs)
    if inputs.origin_mix is not None:
        for i, o, sh in inputs.origin_mix[["product", "origin", "share"]].itertuples(index=False, name=None):
            mix[i].append((o, float(sh)))
    for a in out_keys:
        if a[4] in mix and a[3] == MIX:
            for o, sh in mix[a[4]]:  # a class's orders leave in the national origin mix
                out_of[(a[0], a[1], o, a[4])].append(sh * m.outbound[a])
        else:
            out_of[(a[0], a[1], a[3], a[4])].append(m.outbound[a])
    kop = sorted(set(into) | set(out_of))
    m.site_flow_balance = pyo.Constraint(
        kop, rule=lambda m, md, k, o, p: sum(into[md, k, o, p]) == sum(out_of[md, k, o, p]))

    # throughput_capacity[k] (every stocked regime shares the site), hold_capacity[md,k] and
    # strong_linking[md,k,c,o,p]
    add_throughput_capacity(m, _by(out_keys, m.outbound, lambda a: a[1]))
    add_hold_capacity(m, _by(out_keys, m.outbound, lambda a: (a[0], a[1])))
    add_strong_linking(m, m.outbound, {a: demand[a[2], a[3], a[4]] for a in out_keys}, site_of=lambda a: a[1],
                       mode_of=lambda a: a[0], linked=class_of, tighten=linking != "summed")

    if inputs.service_min_share > 0:
        add_service_level(m, inputs, out_keys, dir_keys, demand)
    if inputs.single_sourcing:
        add_single_sourcing(m, out_keys, {a: demand[a[2], a[3], a[4]] for a in out_keys})
    add_exempt_limit(m, inputs, out_keys, dir_keys, demand)
    return m


def add_exempt_limit(m: pyo.ConcreteModel, inputs: ModelInputs, out_keys, dir_keys, demand: dict) -> None:
    """``exempt_limit[c,o,p]``: the orders of a demand row carried by regimes under the regulatory
    exemption <= the item's eligible share (``inputs.exempt_shares``: within the per-order value and
    per-buyer yearly limits) x its demand; the other orders go by a regime that is not exempt
    (general trade or a parcel). Only for items whose share is below 1."""
    if inputs.exempt_shares is None or not len(inputs.exempt_shares):
        return
    share = {(md, i): float(v) for md, i, v in inputs.exempt_shares[["mode", "product", "share"]]
             .itertuples(index=False, name=None)}
    limited = {i for _, i in share}
    flows, cap = defaultdict(list), {}
    for a in out_keys:  # (mode, site, zone, origin, item)
        if (a[0], a[4]) in share:
            flows[(a[2], a[3], a[4])].append(m.outbound[a])
            cap[(a[2], a[3], a[4])] = share[(a[0], a[4])]
    for a in dir_keys:  # (mode, origin, gateway, zone, item)
        if (a[0], a[4]) in share:
            flows[(a[3], a[1], a[4])].append(m.direct[a])
            cap[(a[3], a[1], a[4])] = min(cap.get((a[3], a[1], a[4]), 1.0), share[(a[0], a[4])])
    rows = sorted(d for d in flows if d[2] in limited and d in demand)
    m.EXEMPT_ROWS = pyo.Set(initialize=rows, dimen=3, ordered=True)
    m.exempt_limit = pyo.Constraint(
        m.EXEMPT_ROWS, rule=lambda m, c, o, p: sum(flows[c, o, p]) <= cap[c, o, p] * demand[c, o, p]
    )
