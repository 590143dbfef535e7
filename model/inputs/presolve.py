"""Presolve: arcs that no optimal plan needs, dropped before the model is built. Each rule is exact
only under conditions, stated once in :func:`exact_rules`: a rule that moves flow between arcs
must not change a row the moved flow could violate (a service share, a CO2 cap, single sourcing)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model import regimes as reg
from model.io import terms


@dataclass(frozen=True)
class ExactRules:
    """Which presolve rules are exact for a scenario (True = apply it)."""

    #: keep only the cheapest gateway of each inbound position and each parcel (origin, zone, product,
    #: within target): under a CO2 cap a dearer gateway may emit less
    gateways: bool
    #: drop an item's stock where a parcel is always cheaper (SKU classes): a service share or a CO2
    #: cap may still want the stock
    never_stocked: bool
    #: drop a stocked arc whose compliance-free twin costs no more: besides the above, single
    #: sourcing may forbid moving one zone's flow to the twin
    dominated: bool


def exact_rules(p, prune_dominated: bool) -> ExactRules:
    """The rules exact under the scenario's parameters ``p`` (all off when ``prune_dominated`` is False:
    an ``--extra`` hook may add a row that any of them would break)."""
    no_cap = not math.isfinite(p("policy.co2_cap_t"))
    no_service = p("service.min_share") <= 0
    return ExactRules(gateways=prune_dominated and no_cap,
                      never_stocked=prune_dominated and no_cap and no_service,
                      dominated=prune_dominated and no_cap and no_service and not p("service.single_sourcing"))


def keep_cheapest(arcs: pd.DataFrame, group: list[str], cost_columns: list[str]) -> pd.DataFrame:
    """Per ``group``, keep only the arc of least total cost (ties: the first in gateway order).

    Exact when no constraint tells the arcs of a group apart: arcs of one group then differ
    only in cost, so moving flow from a dearer arc to the cheapest keeps every constraint and
    lowers the objective, and some optimum uses cheapest arcs only. The model has no gateway
    capacity; the service constraint only sees whether an arc is within the lead-time target,
    so that flag is part of the group. tests/test_formulation.py checks the objective is unchanged.
    """
    total = arcs[cost_columns].sum(axis=1)
    order = arcs.assign(_total=total).sort_values([*group, "_total", "gateway"], kind="stable")
    return order.drop_duplicates(group, keep="first").drop(columns="_total").sort_index()


def drop_dominated_stock(out: pd.DataFrame, inbound_min: pd.DataFrame, pooled: set = frozenset(),
                         mergeable: set = frozenset()) -> pd.DataFrame:
    """Drop stocked arcs whose twin under a regime with no compliance cost of its own (same site,
    zone, origin, product) costs no more per order, path included (outbound + the cheapest inbound).

    Exact without a service constraint, a CO2 cap or single sourcing: the twins share the site's
    capacity and opening, and the twin needs nothing the dropped arc does not (no ``hold``
    binary), so moving flow to it keeps every constraint and costs no more.
    ``inbound_min``: mode, origin, site, product, inbound (USD per order, the cheapest gateway).

    A pooled item (``pooled``: its stock is the class's cost curve at the site, shared by all its
    arcs) moves as a whole: its arcs of a regime at a site are dropped only if every one of them is
    dominated and the (site, item) is in ``mergeable`` (its stock cost is subadditive, so one pool
    holding both regimes' flow costs no more than two); otherwise all of them are kept.
    """
    free = [r.name for r in reg.REGISTRY.values() if r.stocked and r.compliance_column is None]
    if not out["mode"].isin(free).any() or out["mode"].nunique() < 2:
        return out  # nothing can dominate; skips a group-by over every arc
    per_order = terms.columns("outbound")
    key = ["site", "zone", "origin", "product"]
    inb = out[["mode", "origin", "site", "product"]].merge(
        inbound_min, how="left", on=["mode", "origin", "site", "product"]
    )
    cost = out[per_order].sum(axis=1).to_numpy() + inb["inbound"].fillna(np.inf).to_numpy()
    cost = pd.Series(cost, index=out.index)
    is_free = out["mode"].isin(free)
    # the cheapest compliance-free twin of each row (NaN if none), by group transform
    twin = cost.where(is_free).groupby([out[c] for c in key], sort=False).transform("min")
    # only arcs of a regime with a compliance cost are dropped: compliance-free arcs are always kept
    dominated = ~is_free & twin.notna() & (twin <= cost)
    if pooled:
        is_pooled = out["product"].isin(pooled)
        whole = dominated.groupby([out["mode"], out["site"], out["product"]], sort=False).transform("all")
        ok = pd.Series([(k, i) in mergeable for k, i in zip(out["site"], out["product"])], index=out.index)
        dominated = dominated & (~is_pooled | (whole & ok))
    return out[~dominated]
