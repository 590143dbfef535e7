"""Shadow prices: LP duals with the site decisions fixed at the optimum.

With every binary fixed at its value in the solution, the model is an LP; its duals say what
one more unit of a right-hand side is worth at that network:

- ``throughput_capacity[k]``: USD per year saved by one more order per year of capacity at
  site k (reported as a positive saving, ``value_usd_per_order``; 0 when the site has spare
  capacity);
- ``demand_balance[c,o,p]``: USD per year that one more order per year of product p from
  origin o in zone c would cost (the marginal cost to serve it);
- ``service_level[z]``: USD per year that one more order within the lead-time target costs,
  and per percentage point of the zone's (or nation's) demand within target.

``strong_linking`` is left out of this LP: once the binaries are fixed it is implied by the
demand and capacity rows, and its binding rows (an arc carrying the whole demand of its zone)
would make the demand duals non-unique. Duals of a degenerate LP (ties between sites or
modes) may still be non-unique; each is then one valid marginal value, not the only one.
Shadow prices hold for small changes at this network only: a change large enough to move a
site decision is what ``breakeven`` and ``regret`` measure.
"""
from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

from model.solving.highs import SolverOptions, solve_lp_duals

UNITS = {
    "capacity_value_usd_per_order": "USD per year saved by one more order per year of throughput capacity",
    "demand_marginal_usd_per_order": "USD per year to serve one more order per year",
    "service_usd_per_order": "USD per year per extra order delivered within the target",
    "service_usd_per_point": "USD per year per extra percentage point of demand within the target",
}


def shadow_prices(result, options: SolverOptions | None = None) -> dict:
    """Shadow prices of a solved one-period :class:`model.Result` (see the module docstring).

    Returns {"lp_objective", "status", "units", "capacity": DataFrame, "demand": DataFrame,
    "demand_by_zone_product": DataFrame, "service": DataFrame}. The model's variables hold the
    LP solution afterwards (same site decisions; flows may differ only between ties).
    """
    if result.objective is None:
        raise ValueError("shadow prices need a solved scenario (no solution)")
    m = result.model
    opts = options or SolverOptions()
    report, duals = solve_lp_duals(m, SolverOptions(threads=opts.threads), skip=("strong_linking",))
    if report.objective is None:
        raise ValueError(f"the LP with the sites fixed has no solution ({report.status})")

    sites = result.sites.set_index("site")
    cap_rows = []
    for k in m.throughput_capacity:
        d = duals.get(m.throughput_capacity[k], 0.0)
        opened = bool(sites.at[k, "opened"]) if k in sites.index else False
        cap_rows.append({"site": k, "opened": opened, "level": sites.at[k, "level"] if opened else None,
                         "utilisation": float(sites.at[k, "utilisation"]) if opened else None,
                         "capacity_dual": d, "value_usd_per_order": -d if opened else None})
    capacity = pd.DataFrame(cap_rows, columns=["site", "opened", "level", "utilisation", "capacity_dual",
                                               "value_usd_per_order"])

    dem_rows = []
    for idx in m.demand_balance:
        c, o, p = idx[:3]
        row = {"zone": c, "origin": o, "product": p}
        if len(idx) > 3:
            row["month"] = idx[3]
        con = m.demand_balance[idx]
        row["orders"] = float(pyo.value(con.upper))
        row["marginal_usd_per_order"] = duals.get(con, 0.0)
        dem_rows.append(row)
    demand = pd.DataFrame(dem_rows)
    if len(demand):
        demand["_w"] = demand["orders"] * demand["marginal_usd_per_order"]
        by_zp = demand.groupby(["zone", "product"], as_index=False)[["orders", "_w"]].sum()
        by_zp["marginal_usd_per_order"] = by_zp["_w"] / by_zp["orders"]
        by_zp = by_zp.drop(columns="_w")
        demand = demand.drop(columns="_w")
    else:
        by_zp = pd.DataFrame(columns=["zone", "product", "orders", "marginal_usd_per_order"])

    svc_rows = []
    if hasattr(m, "service_level"):
        share = float(result.scenario.param("service.min_share"))
        for z in m.service_level:
            con = m.service_level[z]
            d = duals.get(con, 0.0)
            total = float(pyo.value(con.lower)) / share
            svc_rows.append({"scope": z, "orders_in_scope": total, "min_share": share,
                             "usd_per_order": d, "usd_per_point": d * total / 100.0})
    service = pd.DataFrame(svc_rows, columns=["scope", "orders_in_scope", "min_share", "usd_per_order",
                                              "usd_per_point"])
    return {"lp_objective": report.objective, "status": report.status, "units": UNITS, "capacity": capacity,
            "demand": demand, "demand_by_zone_product": by_zp, "service": service}


def shadow_section(sp: dict) -> tuple[dict, dict]:
    """(summary.json section, {file name: table}) of :func:`shadow_prices`' output."""
    cap = sp["capacity"]
    opened = cap[cap["opened"]]
    by_zp = sp["demand_by_zone_product"]
    dem = sp["demand"]
    by_zone = (dem.assign(_w=dem["orders"] * dem["marginal_usd_per_order"]).groupby("zone")[["orders", "_w"]].sum()
               if len(dem) else pd.DataFrame(columns=["orders", "_w"]))
    section = {
        "lp_objective": sp["lp_objective"],
        "units": sp["units"],
        "capacity_value_usd_per_order": {k: round(float(v), 6) for k, v in
                                         zip(opened["site"], opened["value_usd_per_order"])},
        "demand_marginal_usd_per_order_by_zone": {z: round(float(r["_w"] / r["orders"]), 6)
                                                  for z, r in by_zone.iterrows() if r["orders"] > 0},
        "demand_marginal_usd_per_order": [
            {"zone": z, "product": p, "usd_per_order": round(float(v), 6)}
            for z, p, v in zip(by_zp["zone"], by_zp["product"], by_zp["marginal_usd_per_order"])],
        "service": [{"scope": r.scope, "usd_per_order": float(r.usd_per_order), "usd_per_point": float(r.usd_per_point)}
                    for r in sp["service"].itertuples()],
    }
    tables = {"shadow_capacity.csv": cap, "shadow_demand.csv": dem}
    if len(sp["service"]):
        tables["shadow_service.csv"] = sp["service"]
    return section, tables
