"""Which arcs exist (no prices here: :mod:`model.inputs.pricing`). Only arcs that exist are created:
a stocked regime's outbound arcs go from every site where the regime may be held to every zone
with demand for a product it may carry; its inbound arcs from every bulk lane of the origin to
those sites; a parcel regime's direct arcs from every parcel lane of the origin to every zone."""
from __future__ import annotations

import numpy as np
import pandas as pd

from model import regimes as reg
from model.inputs.context import ArcContext
from model.inputs.pricing import _subset, goods

LANE_COLUMNS = ["origin", "gateway", "mode", "cost_usd_per_kg", "cost_usd_per_order", "transit_days"]


def outbound_arcs(ctx: ArcContext, nearest_sites: int | None = None) -> pd.DataFrame:
    """zone, origin, product, orders, mode, site: every stocked regime at every site where it may be
    held, for demand whose origin has a bulk lane (and, for a regime of the positive list only, whose
    category is on it). ``nearest_sites``: a HEURISTIC for very large instances (each zone keeps
    the K nearest sites by road km only)."""
    stocked_regimes = ctx.stocked_regimes
    sites = ctx.sites
    mode_sites = pd.DataFrame([(x.name, s) for x in stocked_regimes for s in sites.loc[sites[x.site_eligible], "site"]],
                              columns=["mode", "site"])
    # an origin without a lane of the regime's service cannot feed its stock
    served = pd.DataFrame([(x.name, o) for x in stocked_regimes for o in set(ctx.lanes(x.service)["origin"])],
                          columns=["mode", "origin"])
    stocked = ctx.demand[ctx.demand["origin"].isin(set(served["origin"]))]
    if nearest_sites:
        km = ctx.distances.site_zone.loc[mode_sites["site"].unique()]
        near = km.rank(axis=0, method="first") <= nearest_sites  # per zone (column), the K nearest sites
        pairs = near.stack().rename("keep").rename_axis(["site", "zone"]).reset_index()
        pairs = pairs.loc[pairs["keep"], ["site", "zone"]]
        out = stocked.merge(pairs, on="zone").merge(mode_sites, on="site")[[*stocked.columns, "mode", "site"]]
    else:
        out = stocked.merge(mode_sites, how="cross")
    out = out.merge(served, on=["mode", "origin"])[out.columns]
    listed_only = [x.name for x in stocked_regimes if x.positive_list_only]
    on_list = out["product"].map(ctx.products["category"]).isin(ctx.positive)
    return out[~out["mode"].isin(listed_only) | on_list].reset_index(drop=True)


def inbound_arcs(ctx: ArcContext, out: pd.DataFrame) -> pd.DataFrame:
    """Inbound line-haul per stocked regime, for the (mode, site, origin, product) positions that some
    outbound arc sells: every lane of the origin of the regime's service (``bulk`` unless it says
    otherwise), with the lane's columns (``lane_mode``) and the taxes the position pays at entry
    (``held_to_sale_usd``, financed during the haul)."""
    keys = out[["mode", "site", "origin", "product", "held_to_sale_usd"]].drop_duplicates(
        ["mode", "site", "origin", "product"])
    parts = []
    for service in dict.fromkeys(x.service for x in ctx.stocked_regimes):  # regimes sharing lanes in one merge
        modes = [x.name for x in ctx.stocked_regimes if x.service == service]
        lanes = ctx.lanes(service)[LANE_COLUMNS].rename(columns={"mode": "lane_mode"})
        parts.append(lanes.merge(keys[keys["mode"].isin(modes)], on="origin"))
    if not parts:
        return ctx.lanes("bulk")[LANE_COLUMNS].rename(columns={"mode": "lane_mode"}).merge(keys, on="origin")
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def direct_arcs(ctx: ArcContext) -> tuple[pd.DataFrame, reg.Goods | None]:
    """Every lane of the regime's service (``parcel`` unless it says otherwise) from the origin to every
    zone with demand, once per parcel regime, less the
    orders a regime may not carry (its ``eligible`` rule, e.g. an order-value cap); with the arcs'
    :func:`model.inputs.pricing.goods` (None when there is no arc)."""
    p = ctx.p
    lanes = {s: ctx.demand.merge(ctx.lanes(s)[LANE_COLUMNS].rename(columns={"mode": "lane_mode"}), on="origin")
             for s in dict.fromkeys(["parcel", *(x.service for x in ctx.parcel_regimes)])}
    dm = pd.concat([lanes[x.service].assign(mode=x.name) for x in ctx.parcel_regimes]
                   or [lanes["parcel"].assign(mode="")[:0]], ignore_index=True)
    if not len(dm):
        return dm, None
    g = goods(ctx.scenario, dm, ctx.products)
    keep = np.ones(len(dm), bool)
    for x in ctx.parcel_regimes:
        if x.eligible is not None:
            mask = dm["mode"].to_numpy() == x.name
            keep[mask] = x.eligible(_subset(g, mask), p)
    return dm[keep].reset_index(drop=True), _subset(g, keep)
