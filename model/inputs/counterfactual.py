"""Each regime's cheapest path for every demand row, whether or not the plan uses it: what a KPI
compares the chosen regime with ("why bonded wins here, in numbers"). Computed on the arcs before
presolve, so a dominated regime still has its price."""
from __future__ import annotations

import pandas as pd

from model.io import terms


def regime_paths(out: pd.DataFrame, inbound_min: pd.DataFrame, dm: pd.DataFrame, direct_terms,
                 pooled_per_order: dict | None = None) -> pd.DataFrame:
    """Each regime's cheapest path per demand row (zone, origin, product): USD per order (outbound +
    cheapest inbound, or the parcel; fixed and compliance costs left out; a pooled class's stock at
    ``pooled_per_order[item]``, its cost per order when one hub holds all of it) and its lead time (hours)."""
    per_order = terms.columns("outbound")
    key = ["mode", "zone", "origin", "product"]
    s = out[[*key, "site", "lead_hours"]].assign(_out=out[per_order].sum(axis=1)) \
        .merge(inbound_min, on=["mode", "origin", "site", "product"], how="inner")
    s["usd_per_order"] = s["_out"] + s["inbound"] + s["product"].map(pooled_per_order or {}).fillna(0.0)
    d = dm[[*key, "lead_hours"]].assign(usd_per_order=dm[direct_terms].sum(axis=1).to_numpy())
    both = pd.concat([s[[*key, "usd_per_order", "lead_hours"]], d], ignore_index=True)
    if not len(both):
        return both
    best = both.sort_values([*key, "usd_per_order", "lead_hours"], kind="stable").drop_duplicates(key)
    return best.reset_index(drop=True)
