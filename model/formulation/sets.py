"""Sparse index sets and per-order cost coefficients, as tidy DataFrames (no Pyomo here).

Only arcs that exist are created: a bonded arc needs a site that may host a bonded
facility, a product on the CBEC positive list, demand for (zone, origin, product) and a
bulk lane from the origin; a direct-mail arc needs a parcel lane (origin, gateway).
Each arc table carries one column per objective term it feeds (USD per order).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import costs
from ..network import RoadDistances

#: Objective terms, in report order; each is a named Pyomo Expression (docs/formulation.md).
TERMS = (
    "fixed_cost",
    "linehaul_cost",
    "trucking_cost",
    "handling_cost",
    "last_mile_cost",
    "direct_mail_cost",
    "duty_tax_cost",
    "duty_financing_cost",
    "inventory_cost",
    "unmet_penalty",
)


@dataclass
class ModelInputs:
    """Everything the Pyomo model needs, as plain tables (USD, orders per year, km)."""

    demand: pd.DataFrame          # zone, origin, product, orders
    site_levels: pd.DataFrame     # site, level, capacity, fixed_cost
    sites: pd.DataFrame           # site, may_open, force_open, reason (why it may not open)
    inbound_arcs: pd.DataFrame    # origin, gateway, site, product, km, linehaul_cost, trucking_cost
    outbound_arcs: pd.DataFrame   # site, zone, origin, product, km, handling_cost, last_mile_cost, duty_tax_cost, ...
    direct_arcs: pd.DataFrame     # origin, gateway, zone, product, km, direct_mail_cost, last_mile_cost, duty_tax_cost, ...
    unmet_penalty: float          # USD per order


def zone_demand(scenario) -> pd.DataFrame:
    """Orders per year by (zone, origin, product): demand.csv x origin shares x demand.growth."""
    t = scenario.tables
    d = t["demand"].merge(t["sourcing"], on="product")
    d["orders"] = d["orders_per_year"] * d["share"] * scenario.param("demand.growth")
    d = d[d["orders"] > 0]
    return d[["zone", "origin", "product", "orders"]].sort_values(["zone", "origin", "product"]).reset_index(drop=True)


def _site_status(scenario) -> pd.DataFrame:
    s = scenario.tables["sites"].copy()
    s["reason"] = np.where(s["force_closed"], "forced closed (sites.csv)",
                           np.where(~s["bonded_allowed"], "not allowed to host a bonded facility", ""))
    s["may_open"] = s["reason"] == ""
    return s[["site", "may_open", "force_open", "reason"]]


def keep_cheapest(arcs: pd.DataFrame, group: list[str], cost_columns: list[str]) -> pd.DataFrame:
    """Per ``group``, keep only the arc of least total cost (ties: the first in gateway order).

    Exact while no constraint refers to the gateway (no gateway capacity, no lead-time or
    service constraint): arcs of one group then differ only in cost, so moving flow from a
    dearer arc to the cheapest one keeps every constraint and lowers the objective, and some
    optimum uses cheapest arcs only. tests/test_formulation.py checks the objective is unchanged.
    """
    total = arcs[cost_columns].sum(axis=1)
    order = arcs.assign(_total=total).sort_values([*group, "_total", "gateway"], kind="stable")
    return order.drop_duplicates(group, keep="first").drop(columns="_total").sort_index()


def build_inputs(scenario, distances: RoadDistances, prune_dominated: bool = True) -> ModelInputs:
    """Arc tables and coefficients of the bonded (B) and direct-mail (D) modes.

    ``prune_dominated`` keeps, for each (origin, site, product) and (origin, zone, product),
    only the cheapest gateway (:func:`keep_cheapest`).
    """
    t = scenario.tables
    p = scenario.param
    r = p("finance.cost_of_capital")
    products = t["products"].set_index("product")
    tariffs = t["tariffs"].set_index(["origin", "product"])
    demand = zone_demand(scenario)
    sites = _site_status(scenario)
    if (sites["force_open"] & ~sites["may_open"]).any():
        bad = sites.loc[sites["force_open"] & ~sites["may_open"], "site"].tolist()
        from ..errors import ScenarioError
        raise ScenarioError(f"sites {bad} are forced open but may not host a bonded facility (sites.csv)")
    open_sites = sites.loc[sites["may_open"], "site"]
    levels = t["site_levels"].rename(columns={"capacity_orders_per_year": "capacity",
                                              "fixed_cost_usd_per_year": "fixed_cost"})
    levels = levels[levels["site"].isin(open_sites)][["site", "level", "capacity", "fixed_cost"]].reset_index(drop=True)

    lanes = t["lanes"]
    bulk = lanes[lanes["service"] == "bulk"]
    parcel = lanes[lanes["service"] == "parcel"]
    listed = products.index[products["cbec_positive_list"]]

    # Bonded: (zone, origin, product) demand that a bulk lane from the origin can reach.
    bonded_demand = demand[demand["product"].isin(listed) & demand["origin"].isin(set(bulk["origin"]))]
    site_cols = pd.DataFrame({"site": open_sites.to_numpy()})
    out = bonded_demand.merge(site_cols, how="cross")
    out["km"] = distances.site_zone.stack().reindex(list(zip(out["site"], out["zone"]))).to_numpy()
    prod = products.loc[out["product"]]
    tax = tariffs.loc[list(zip(out["origin"], out["product"]))]
    value = prod["order_value_usd"].to_numpy()
    weight = prod["weight_kg_per_order"].to_numpy()
    handling = t["sites"].set_index("site").loc[out["site"], "handling_usd_per_order"].to_numpy()
    bonded_tax = p("policy.cbec_tax_factor") * costs.import_taxes(value, tax["fta_duty_rate"].to_numpy(),
                                                                  tax["vat_rate"].to_numpy())
    days = prod["days_in_stock"].to_numpy()
    out["handling_cost"] = handling
    out["last_mile_cost"] = costs.last_mile_cost(weight, out["km"].to_numpy(), p("costs.last_mile_base_usd_per_order"),
                                                 p("costs.last_mile_usd_per_kg_km"))
    out["duty_tax_cost"] = bonded_tax
    out["duty_financing_cost"] = costs.duty_financing_cost(
        bonded_tax, r, np.where(p("policy.bonded_duty_at_sale") >= 0.5, 0.0, days))
    out["inventory_cost"] = costs.inventory_cost(value, r, prod["obsolescence_rate_per_year"].to_numpy(), days)
    out = out[["site", "zone", "origin", "product", "orders", "km", "handling_cost", "last_mile_cost",
               "duty_tax_cost", "duty_financing_cost", "inventory_cost"]]

    # Inbound bulk line-haul to each site that may open, for (origin, product) pairs with bonded demand.
    op = bonded_demand[["origin", "product"]].drop_duplicates()
    inb = bulk[["origin", "gateway", "cost_usd_per_kg", "cost_usd_per_order"]].merge(op, on="origin").merge(site_cols, how="cross")
    inb["km"] = distances.gateway_site.stack().reindex(list(zip(inb["gateway"], inb["site"]))).to_numpy()
    w = products.loc[inb["product"], "weight_kg_per_order"].to_numpy()
    inb["linehaul_cost"] = costs.freight_cost(w, inb["cost_usd_per_kg"].to_numpy(), inb["cost_usd_per_order"].to_numpy())
    inb["trucking_cost"] = costs.trucking_cost(w, inb["km"].to_numpy(), p("costs.truck_usd_per_kg_km"))
    inb = inb[["origin", "gateway", "site", "product", "km", "linehaul_cost", "trucking_cost"]]
    if prune_dominated:
        inb = keep_cheapest(inb, ["origin", "site", "product"], ["linehaul_cost", "trucking_cost"])

    # Direct mail: each parcel lane of the origin, to every zone with demand.
    dm = demand.merge(parcel[["origin", "gateway", "cost_usd_per_kg", "cost_usd_per_order"]], on="origin")
    dm["km"] = distances.gateway_zone.stack().reindex(list(zip(dm["gateway"], dm["zone"]))).to_numpy()
    prod = products.loc[dm["product"]]
    tax = tariffs.loc[list(zip(dm["origin"], dm["product"]))]
    value = prod["order_value_usd"].to_numpy()
    weight = prod["weight_kg_per_order"].to_numpy()
    duty_rate = np.where(p("policy.parcel_fta") >= 0.5, tax["fta_duty_rate"], tax["mfn_duty_rate"])
    dm_tax = costs.direct_mail_taxes(value, duty_rate, tax["vat_rate"].to_numpy(), p("policy.de_minimis_usd"))
    dm["direct_mail_cost"] = costs.freight_cost(weight, dm["cost_usd_per_kg"].to_numpy(),
                                                dm["cost_usd_per_order"].to_numpy()) + p("costs.parcel_clearance_usd_per_order")
    dm["last_mile_cost"] = costs.last_mile_cost(weight, dm["km"].to_numpy(), p("costs.last_mile_base_usd_per_order"),
                                                p("costs.last_mile_usd_per_kg_km"))
    dm["duty_tax_cost"] = dm_tax
    dm["duty_financing_cost"] = costs.duty_financing_cost(dm_tax, r, 0.0)  # paid at clearance, after the sale
    dm = dm[["origin", "gateway", "zone", "product", "km", "direct_mail_cost", "last_mile_cost", "duty_tax_cost",
             "duty_financing_cost"]]
    if prune_dominated:
        dm = keep_cheapest(dm, ["origin", "zone", "product"],
                           ["direct_mail_cost", "last_mile_cost", "duty_tax_cost", "duty_financing_cost"])

    return ModelInputs(
        demand=demand,
        site_levels=levels,
        sites=sites,
        inbound_arcs=inb.reset_index(drop=True),
        outbound_arcs=out.drop(columns="orders").reset_index(drop=True),
        direct_arcs=dm.reset_index(drop=True),
        unmet_penalty=p("costs.unmet_penalty_usd_per_order"),
    )
