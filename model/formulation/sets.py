"""Sparse index sets and per-order coefficients, as tidy DataFrames (no Pyomo here).

Three fulfilment modes compete for each (zone, origin, product) demand:

- ``bonded`` (B): bulk line-haul to a bonded site; duty + VAT at the CBEC rate paid when
  each order is released (``policy.bonded_duty_at_sale``); customs release on the order's clock.
- ``general_trade`` (G): bulk import with duty + VAT paid at entry at the full (FTA) rate;
  stock held duty-paid at an opened site (``modes.general_trade``).
- ``direct_mail`` (D): one parcel per order after the sale; MFN rate unless
  ``policy.parcel_fta``; international transit and clearance on the order's clock.

Only arcs that exist are created. Each arc table carries one column per objective term it
feeds (USD per order), its road km and, for arcs on the order's clock, its lead time (hours).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import costs
from ..errors import ScenarioError
from ..network import RoadDistances, great_circle_km

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
#: Modes that hold stock at a site.
STOCK_MODES = ("bonded", "general_trade")
#: The three ways an order reaches a customer (names used by policy.dutiable_basis and mode_share).
MODES = ("bonded", "general_trade", "direct_mail")
HOURS_PER_DAY = 24.0


@dataclass
class ModelInputs:
    """Everything the Pyomo model needs, as plain tables (USD, orders per year, km, hours)."""

    demand: pd.DataFrame          # zone, origin, product, orders
    site_levels: pd.DataFrame     # site, level, capacity, fixed_cost
    sites: pd.DataFrame           # site, may_open, bonded_ok, force_open, reason
    inbound_arcs: pd.DataFrame    # mode, origin, gateway, site, product, km, linehaul_cost, trucking_cost, duty_financing_cost
    outbound_arcs: pd.DataFrame   # mode, site, zone, origin, product, km, lead_hours, <terms>
    direct_arcs: pd.DataFrame     # origin, gateway, zone, product, km, lead_hours, <terms>
    unmet_penalty: float          # USD per order
    max_sites: float              # most sites open (inf = no limit)
    service_target_hours: float
    service_min_share: float      # 0 = no service constraint
    service_per_zone: bool
    periods: int = 1              # 1 = steady-state year; 12 = months
    season: pd.Series | None = None        # month -> share of annual orders (periods = 12)
    stock_keys: pd.DataFrame | None = None  # mode, site, origin, product, cover_months, holding_cost, financing_cost (USD per order-month)
    storage_months: float = 0.0
    single_sourcing: bool = False
    monthly_reassignment: bool = False  # periods = 12: outbound per month (True) or a yearly plan (False)
    co2_cap_t: float = math.inf   # tonnes CO2e per year (inf = no cap); every arc table has co2_kg per order


def zone_demand(scenario) -> pd.DataFrame:
    """Orders per year by (zone, origin, product): demand.csv x origin shares x demand.growth."""
    t = scenario.tables
    d = t["demand"].merge(t["sourcing"], on="product")
    d["orders"] = d["orders_per_year"] * d["share"] * scenario.param("demand.growth")
    d = d[d["orders"] > 0]
    return d[["zone", "origin", "product", "orders"]].sort_values(["zone", "origin", "product"]).reset_index(drop=True)


def site_status(scenario) -> pd.DataFrame:
    """Which sites may open (any stock mode) and which may host a bonded facility, with the reason if not."""
    s = scenario.tables["sites"].copy()
    eligible = set(scenario.selected("policy.eligible_zones", scenario.tables["provinces"]["code"]))
    general = scenario.param("modes.general_trade") >= 0.5
    s["bonded_ok"] = s["bonded_allowed"] & s["province"].isin(eligible) & ~s["force_closed"]
    s["may_open"] = ~s["force_closed"] & (s["bonded_ok"] | general)
    s["reason"] = np.select(
        [s["force_closed"], ~s["bonded_allowed"], ~s["province"].isin(eligible)],
        ["forced closed (sites.csv)", "not allowed to host a bonded facility (sites.csv)",
         "zone not in policy.eligible_zones"], "")
    s["reason"] = np.where(s["may_open"] & ~s["bonded_ok"], s["reason"] + "; general trade only", s["reason"])
    s["reason"] = s["reason"].str.lstrip("; ")
    bad = s.loc[s["force_open"] & ~s["may_open"], "site"].tolist()
    if bad:
        raise ScenarioError(f"sites {bad} are forced open (sites.csv) but may not open under this scenario")
    return s[["site", "may_open", "bonded_ok", "force_open", "reason"]]


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


def drop_dominated_general_trade(out: pd.DataFrame) -> pd.DataFrame:
    """Drop general-trade arcs whose bonded twin (same site, zone, origin, product) costs no more.

    Exact without a service constraint: the twins share the site's capacity and opening, so
    moving flow to the cheaper twin keeps every constraint. (With a service constraint, the
    bonded twin's customs release may put it over the lead-time target, so nothing is dropped.)
    """
    if not (out["mode"] == "general_trade").any():  # nothing to drop; skips a group-by over every arc
        return out
    per_order = ["handling_cost", "last_mile_cost", "duty_tax_cost", "duty_financing_cost", "inventory_cost"]
    key = ["site", "zone", "origin", "product"]
    cost = out[per_order].sum(axis=1)
    # the cheapest bonded twin of each row (NaN if none), by group transform: no Python tuples per row
    twin = cost.where(out["mode"] == "bonded").groupby([out[c] for c in key], sort=False).transform("min")
    dominated = (out["mode"] == "general_trade") & twin.notna() & (twin <= cost)
    return out[~dominated]


def _lookup(table: pd.DataFrame, rows, cols) -> np.ndarray:
    """table.at[r, c] for each pair (NaN where either is missing), vectorised by position."""
    i = table.index.get_indexer(pd.Index(rows))
    j = table.columns.get_indexer(pd.Index(cols))
    values = table.to_numpy(dtype=float)[i, j]
    return np.where((i >= 0) & (j >= 0), values, np.nan)


def _rows(table: pd.DataFrame, *keys) -> pd.DataFrame:
    """table.loc[list(zip(*keys))] (a MultiIndex lookup, one row per key), without Python tuples per row."""
    pos = table.index.get_indexer(pd.MultiIndex.from_arrays([pd.Index(k) for k in keys]))
    if (pos < 0).any():
        raise KeyError(f"{int((pos < 0).sum())} keys not in the table")
    return table.iloc[pos]


def _hours(hours: pd.DataFrame | None, km: np.ndarray, rows, cols, speed: float) -> np.ndarray:
    """Driving hours of the routes: from the road graph's hours table, else km / speed."""
    return _lookup(hours, rows, cols) if hours is not None else km / speed


def build_inputs(scenario, distances: RoadDistances, prune_dominated: bool = True,
                 nearest_sites: int | None = None) -> ModelInputs:
    """Arc tables and coefficients of the three modes under the scenario's policy.

    ``prune_dominated`` keeps, for each (mode, origin, site, product) and (origin, zone,
    product, within target), only the cheapest gateway (:func:`keep_cheapest`).
    ``nearest_sites`` (None = off, the default): a HEURISTIC, not exact, for very large
    instances (benchmarks/run.py --nearest-sites): each zone keeps stock-mode arcs to its K
    nearest sites by road km only (docs/performance.md, benchmark table, for its measured effect).
    """
    t = scenario.tables
    p = scenario.param
    r = p("finance.cost_of_capital")
    speed = p("network.truck_speed_kmh")
    single_window = p("policy.single_window") >= 0.5
    time_factor = p("policy.single_window_time_factor") if single_window else 1.0
    fee_factor = p("policy.single_window_fee_factor") if single_window else 1.0
    target = p("service.target_hours")
    on_sale_price = set(scenario.selected("policy.dutiable_basis", MODES))
    declared_share = p("policy.declared_value_share")
    co2_factor = {mode: p(f"co2.{mode}_kg_per_tkm") for mode in ("sea", "air", "road", "rail")}
    co2_cap = p("policy.co2_cap_t")
    # Under a CO2 cap a dearer gateway may emit less: keep every gateway then.
    prune_gateways = prune_dominated and not math.isfinite(co2_cap)
    products = t["products"].set_index("product")
    tariffs = t["tariffs"].set_index(["origin", "product"])
    demand = zone_demand(scenario)
    sites = site_status(scenario)
    positive = set(scenario.selected("policy.positive_list",
                                     products.index if p("policy.positive_list") != "*"
                                     else products.index[products["cbec_positive_list"]]))

    levels = t["site_levels"].rename(columns={"capacity_orders_per_year": "capacity",
                                              "fixed_cost_usd_per_year": "fixed_cost"})
    levels = levels[levels["site"].isin(sites.loc[sites["may_open"], "site"])]
    levels = levels[["site", "level", "capacity", "fixed_cost"]].reset_index(drop=True)

    lanes = t["lanes"]
    bulk = lanes[lanes["service"] == "bulk"]
    parcel = lanes[lanes["service"] == "parcel"]

    # Stock modes: every site that may open (G) or may host a bonded facility (B).
    mode_sites = [("general_trade", s) for s in sites.loc[sites["may_open"], "site"]] \
        if p("modes.general_trade") >= 0.5 else []
    mode_sites += [("bonded", s) for s in sites.loc[sites["bonded_ok"], "site"]]
    mode_sites = pd.DataFrame(mode_sites, columns=["mode", "site"])
    stocked = demand[demand["origin"].isin(set(bulk["origin"]))]
    if nearest_sites:
        km = distances.site_zone.loc[mode_sites["site"].unique()]
        near = km.rank(axis=0, method="first") <= nearest_sites  # per zone (column), the K nearest sites
        pairs = near.stack().rename("keep").rename_axis(["site", "zone"]).reset_index()
        pairs = pairs.loc[pairs["keep"], ["site", "zone"]]
        out = stocked.merge(pairs, on="zone").merge(mode_sites, on="site")[[*stocked.columns, "mode", "site"]]
    else:
        out = stocked.merge(mode_sites, how="cross")
    out = out[(out["mode"] != "bonded") | out["product"].isin(positive)].reset_index(drop=True)

    # only the columns used, so the per-arc lookups stay small (memory on 10^7 arcs)
    prod = products[["order_value_usd", "weight_kg_per_order", "days_in_stock", "obsolescence_rate_per_year"]
                    ].loc[out["product"]]
    tax = _rows(tariffs[["fta_duty_rate", "vat_rate"]], out["origin"], out["product"])
    value = prod["order_value_usd"].to_numpy()
    weight = prod["weight_kg_per_order"].to_numpy()
    days = prod["days_in_stock"].to_numpy()
    fta, vat = tax["fta_duty_rate"].to_numpy(), tax["vat_rate"].to_numpy()
    bonded = (out["mode"] == "bonded").to_numpy()
    within_cap = value <= p("policy.order_value_cap_usd")
    cbec_duty = np.where(within_cap & (p("policy.cbec_duty_free") >= 0.5), 0.0, fta)
    cbec_factor = np.where(within_cap, p("policy.cbec_tax_factor"), 1.0)
    tax_b = cbec_factor * costs.import_taxes(costs.dutiable_value(value, declared_share, "bonded" in on_sale_price),
                                             cbec_duty, vat)
    tax_g = costs.import_taxes(costs.dutiable_value(value, declared_share, "general_trade" in on_sale_price), fta, vat)
    paid_at_entry = np.where(bonded, p("policy.bonded_duty_at_sale") < 0.5, True)
    out["km"] = _lookup(distances.site_zone, out["site"], out["zone"])
    out["lead_hours"] = (np.where(bonded, p("policy.bonded_clearance_hours") * time_factor, 0.0)
                         + p("service.processing_hours")
                         + _hours(distances.site_zone_hours, out["km"].to_numpy(), out["site"], out["zone"], speed))
    out["handling_cost"] = t["sites"].set_index("site")["handling_usd_per_order"].loc[out["site"]].to_numpy()
    out["last_mile_cost"] = costs.last_mile_cost(weight, out["km"].to_numpy(), p("costs.last_mile_base_usd_per_order"),
                                                 p("costs.last_mile_usd_per_kg_km"))
    out["duty_tax_cost"] = np.where(bonded, tax_b, tax_g)
    out["duty_financing_cost"] = costs.duty_financing_cost(out["duty_tax_cost"].to_numpy(), r,
                                                           np.where(paid_at_entry, days, 0.0))
    out["inventory_cost"] = costs.inventory_cost(value, r, prod["obsolescence_rate_per_year"].to_numpy(), days)
    out["taxes_paid_at_entry"] = paid_at_entry  # for KPIs: duties deferred vs paid before the sale
    out["co2_kg"] = costs.emissions_kg(weight, out["km"].to_numpy(), co2_factor["road"])
    out = out[["mode", "site", "zone", "origin", "product", "km", "lead_hours", "handling_cost", "last_mile_cost",
               "duty_tax_cost", "duty_financing_cost", "inventory_cost", "taxes_paid_at_entry", "co2_kg"]]
    if prune_dominated and p("service.min_share") <= 0 and p("service.single_sourcing") < 0.5:
        out = drop_dominated_general_trade(out)

    # Inbound bulk line-haul, per stock mode, for (origin, product) pairs that some outbound arc sells.
    keys = out[["mode", "site", "origin", "product"]].drop_duplicates()
    inb = bulk[["origin", "gateway", "mode", "cost_usd_per_kg", "cost_usd_per_order", "transit_days"]].rename(
        columns={"mode": "lane_mode"}).merge(keys, on="origin")
    inb["km"] = _lookup(distances.gateway_site, inb["gateway"], inb["site"])
    prod = products.loc[inb["product"]]
    w = prod["weight_kg_per_order"].to_numpy()
    inb["linehaul_cost"] = costs.freight_cost(w, inb["cost_usd_per_kg"].to_numpy(), inb["cost_usd_per_order"].to_numpy())
    inb["trucking_cost"] = costs.trucking_cost(w, inb["km"].to_numpy(), p("costs.truck_usd_per_kg_km"))
    # Taxes paid at entry are financed during the haul gateway -> site as well.
    tax_in = _rows(tariffs, inb["origin"], inb["product"])
    entry_value = costs.dutiable_value(prod["order_value_usd"].to_numpy(), declared_share,
                                       inb["mode"].isin(on_sale_price).to_numpy())
    entry_tax = np.where(
        (inb["mode"] == "general_trade") | (p("policy.bonded_duty_at_sale") < 0.5),
        costs.import_taxes(entry_value, tax_in["fta_duty_rate"].to_numpy(), tax_in["vat_rate"].to_numpy()), 0.0)
    truck_days = _hours(distances.gateway_site_hours, inb["km"].to_numpy(), inb["gateway"], inb["site"], speed) / HOURS_PER_DAY
    inb["duty_financing_cost"] = costs.duty_financing_cost(entry_tax, r, truck_days)
    # Pipeline stock: the importer owns the goods from departure (FOB), so the days at sea or in
    # the air cost capital and ageing like days on the shelf: sea is cheap per kg but slow.
    inb["inventory_cost"] = costs.inventory_cost(prod["order_value_usd"].to_numpy(), r,
                                                 prod["obsolescence_rate_per_year"].to_numpy(),
                                                 inb["transit_days"].to_numpy())
    inb["co2_kg"] = (costs.emissions_kg(w, _international_km(t, inb), inb["lane_mode"].map(co2_factor).to_numpy())
                     + costs.emissions_kg(w, inb["km"].to_numpy(), co2_factor["road"]))
    inb = inb[["mode", "origin", "gateway", "site", "product", "km", "linehaul_cost", "trucking_cost",
               "duty_financing_cost", "inventory_cost", "co2_kg"]]
    if prune_gateways:
        inb = keep_cheapest(inb, ["mode", "origin", "site", "product"],
                            ["linehaul_cost", "trucking_cost", "duty_financing_cost", "inventory_cost"])

    # Direct mail: each parcel lane of the origin, to every zone with demand.
    dm = demand.merge(parcel[["origin", "gateway", "mode", "cost_usd_per_kg", "cost_usd_per_order", "transit_days"]]
                      .rename(columns={"mode": "lane_mode"}), on="origin")
    dm["km"] = _lookup(distances.gateway_zone, dm["gateway"], dm["zone"])
    prod = products.loc[dm["product"]]
    tax = _rows(tariffs, dm["origin"], dm["product"])
    value = prod["order_value_usd"].to_numpy()
    weight = prod["weight_kg_per_order"].to_numpy()
    duty_rate = np.where(p("policy.parcel_fta") >= 0.5, tax["fta_duty_rate"], tax["mfn_duty_rate"])
    dm_tax = costs.direct_mail_taxes(costs.dutiable_value(value, declared_share, "direct_mail" in on_sale_price),
                                     duty_rate, tax["vat_rate"].to_numpy(), p("policy.de_minimis_usd"))
    dm["lead_hours"] = (dm["transit_days"].to_numpy() * HOURS_PER_DAY + p("policy.direct_clearance_hours") * time_factor
                        + _hours(distances.gateway_zone_hours, dm["km"].to_numpy(), dm["gateway"], dm["zone"], speed))
    dm["direct_mail_cost"] = (costs.freight_cost(weight, dm["cost_usd_per_kg"].to_numpy(), dm["cost_usd_per_order"].to_numpy())
                              + p("costs.parcel_clearance_usd_per_order") * fee_factor)
    dm["last_mile_cost"] = costs.last_mile_cost(weight, dm["km"].to_numpy(), p("costs.last_mile_base_usd_per_order"),
                                                p("costs.last_mile_usd_per_kg_km"))
    dm["duty_tax_cost"] = dm_tax
    dm["duty_financing_cost"] = costs.duty_financing_cost(dm_tax, r, 0.0)  # paid at clearance, after the sale
    dm["co2_kg"] = (costs.emissions_kg(weight, _international_km(t, dm), dm["lane_mode"].map(co2_factor).to_numpy())
                    + costs.emissions_kg(weight, dm["km"].to_numpy(), co2_factor["road"]))
    dm = dm[["origin", "gateway", "zone", "product", "km", "lead_hours", "direct_mail_cost", "last_mile_cost",
             "duty_tax_cost", "duty_financing_cost", "co2_kg"]]
    if prune_gateways:
        dm = keep_cheapest(dm.assign(_within=dm["lead_hours"] <= target), ["origin", "zone", "product", "_within"],
                           ["direct_mail_cost", "last_mile_cost", "duty_tax_cost", "duty_financing_cost"]
                           ).drop(columns="_within")

    periods = int(p("periods"))
    if periods not in (1, 12):
        raise ScenarioError(f"parameter 'periods' = {p('periods'):g}: expected 1 (a steady-state year) or 12 (months)")
    season = stock_keys = None
    if periods == 12:
        season = _season(scenario)
        stock_keys = _stock_keys(out, products, r)
        # Monthly model: holding and financing of stock are priced on the stock variables instead.
        out = out.assign(inventory_cost=0.0, duty_financing_cost=0.0)

    max_sites = p("policy.max_sites")
    return ModelInputs(
        demand=demand,
        site_levels=levels,
        sites=sites,
        inbound_arcs=inb.reset_index(drop=True),
        outbound_arcs=out.reset_index(drop=True),
        direct_arcs=dm.reset_index(drop=True),
        unmet_penalty=p("costs.unmet_penalty_usd_per_order"),
        max_sites=max_sites if math.isfinite(max_sites) else math.inf,
        service_target_hours=target,
        service_min_share=p("service.min_share"),
        service_per_zone=p("service.per_zone") >= 0.5,
        periods=periods,
        season=season,
        stock_keys=stock_keys,
        storage_months=p("stock.storage_months"),
        single_sourcing=p("service.single_sourcing") >= 0.5,
        co2_cap_t=co2_cap,
        monthly_reassignment=p("stock.monthly_reassignment") >= 0.5,
    )


def _international_km(tables, arcs: pd.DataFrame) -> np.ndarray:
    """Great-circle km origin -> gateway of each arc (the basis of the GLEC air factor; sea routes are longer)."""
    o = tables["origins"].set_index("origin").loc[arcs["origin"]]
    g = tables["gateways"].set_index("gateway").loc[arcs["gateway"]]
    return great_circle_km(o["lat"].to_numpy(float), o["lon"].to_numpy(float),
                           g["lat"].to_numpy(float), g["lon"].to_numpy(float))


DAYS_PER_MONTH = 365.0 / 12


def _season(scenario) -> pd.Series:
    """Share of annual orders by month 1..12: seasonality.csv, or 1/12 each when the table is absent."""
    t = scenario.tables.get("seasonality")
    if t is None:
        return pd.Series(1 / 12, index=range(1, 13))
    return t.set_index(t["month"].astype(int))["share"].sort_index()


def _stock_keys(out: pd.DataFrame, products: pd.DataFrame, r: float) -> pd.DataFrame:
    """Stock positions (mode, site, origin, product) with cover (months of next month's sales) and
    costs per order held one month: value x (r + obsolescence) / 12, plus taxes prepaid at entry x r / 12."""
    k = out.groupby(["mode", "site", "origin", "product"], sort=True)[["taxes_paid_at_entry", "duty_tax_cost"]] \
        .first().reset_index()
    prod = products.loc[k["product"]]
    value = prod["order_value_usd"].to_numpy()
    prepaid = np.where(k["taxes_paid_at_entry"], k["duty_tax_cost"].to_numpy(), 0.0)  # per order, same for every zone
    k["cover_months"] = prod["days_in_stock"].to_numpy() / DAYS_PER_MONTH
    k["holding_cost"] = costs.inventory_cost(value, r, prod["obsolescence_rate_per_year"].to_numpy(), DAYS_PER_MONTH)
    k["financing_cost"] = costs.duty_financing_cost(prepaid, r, DAYS_PER_MONTH)
    return k.drop(columns="duty_tax_cost")


def check_service_reachable(inputs: ModelInputs) -> None:
    """Raise before solving if no network could meet the service share: name the zones that cannot.

    An order can be within the target only if some arc for its (zone, origin, product) is; the
    best possible share is the demand with such an arc over all demand (nationally or per zone).
    """
    if inputs.service_min_share <= 0:
        return
    target = inputs.service_target_hours
    fast = set(map(tuple, inputs.outbound_arcs.loc[inputs.outbound_arcs["lead_hours"] <= target,
                                                    ["zone", "origin", "product"]].to_numpy()))
    fast |= set(map(tuple, inputs.direct_arcs.loc[inputs.direct_arcs["lead_hours"] <= target,
                                                   ["zone", "origin", "product"]].to_numpy()))
    d = inputs.demand.copy()
    d["reachable"] = [k in fast for k in map(tuple, d[["zone", "origin", "product"]].to_numpy())]
    by_zone = d.assign(fast_orders=d["orders"] * d["reachable"]).groupby("zone")[["fast_orders", "orders"]].sum()
    by_zone["best_share"] = by_zone["fast_orders"] / by_zone["orders"]
    if inputs.service_per_zone:
        short = by_zone[by_zone["best_share"] < inputs.service_min_share - 1e-12]
    else:
        best = by_zone["fast_orders"].sum() / by_zone["orders"].sum()
        short = by_zone[by_zone["best_share"] < 1] if best < inputs.service_min_share - 1e-12 else by_zone.iloc[0:0]
        if len(short):
            short = short.assign(national_best_share=best)
    if len(short):
        worst = short.sort_values("best_share").head(5)
        zones = ", ".join(f"{z} ({r.best_share:.0%})" for z, r in worst.iterrows())
        scope = "in every zone" if inputs.service_per_zone else \
            f"nationally (best possible {short['national_best_share'].iloc[0]:.1%})"
        raise ScenarioError(
            f"service.min_share = {inputs.service_min_share:g} within {target:g} h cannot be met {scope}: "
            f"no path reaches these zones in time for all their orders (best possible share): {zones}; "
            "lower service.min_share, raise service.target_hours, or shorten clearance times")
