"""Scenario -> :class:`ModelInputs`: the demand, the sites and every arc table with one column per
cost term it carries (USD per order), its road km and, for arcs on the order's clock, its lead time
(hours). Pandas only, no Pyomo.

Each fulfilment regime of :data:`model.regimes.REGISTRY` that the policy enables competes for
each (zone, origin, product) demand. A *stocked* regime (bonded CBEC stock, general-trade
stock) has inbound arcs origin -> gateway -> site and outbound arcs site -> zone; a *parcel*
regime (cross-border parcel, CBEC direct purchase) has direct arcs origin -> gateway -> zone.
The steps, one module each: arcs, pricing, counterfactual paths, presolve; this module composes
them and packs the result.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from model.core.errors import ScenarioError
from model.economics import costs
from model.inputs import arcs, classes, presolve, pricing
from model.inputs.context import arc_context
from model.inputs.counterfactual import regime_paths
from model.io import terms
from model.network.roads import RoadDistances


@dataclass
class ModelInputs:
    """Everything the Pyomo model needs, as plain tables (USD, orders per year, km, hours)."""

    demand: pd.DataFrame          # zone, origin, product, orders
    site_levels: pd.DataFrame     # site, level, capacity, fixed_cost
    sites: pd.DataFrame  # site, may_open, <regime>_ok ..., force_open, reason
    inbound_arcs: (
        pd.DataFrame
    )  # mode, origin, gateway, site, product, km, linehaul_cost, trucking_cost, duty_financing_cost
    outbound_arcs: (
        pd.DataFrame
    )  # mode, site, zone, origin, product, km, lead_hours, <terms>, <TAX_COLUMNS>, held_to_sale_usd
    direct_arcs: pd.DataFrame     # mode, origin, gateway, zone, product, km, lead_hours, <terms>, <TAX_COLUMNS>
    unmet_penalty: float          # USD per order
    max_sites: float              # most sites open (inf = no limit)
    service_target_hours: float
    service_min_share: float      # 0 = no service constraint
    service_per_zone: bool
    periods: int = 1              # 1 = steady-state year; 12 = months
    season: pd.Series | None = None  # month -> share of annual orders (periods = 12)
    stock_keys: pd.DataFrame | None = (
        None  # mode, site, origin, product, cover_months, holding_cost, financing_cost (USD per order-month)
    )
    storage_months: float = 0.0
    single_sourcing: bool = False
    monthly_reassignment: bool = False  # periods = 12: outbound per month (True) or a yearly plan (False)
    co2_cap_t: float = math.inf   # tonnes CO2e per year (inf = no cap); every arc table has co2_kg per order
    #: mode, site, level, compliance (USD per year): the yearly cost of holding a regime at a site
    #: (regimes with a compliance column only; the model's ``hold[md,k,l]`` binaries)
    regime_sites: pd.DataFrame | None = None
    #: mode, zone, origin, product, usd_per_order, lead_hours: each regime's cheapest path for
    #: every demand row, whether or not the plan uses it (fixed and compliance costs left out;
    #: a class's stock at the cost per order of one hub holding all of it)
    regime_paths: pd.DataFrame | None = None
    #: item -> category, sku_class and the product's and class's columns (model.inputs.classes.items)
    items: pd.DataFrame | None = None
    #: mode, site, product (item), band, lo, hi, intercept, slope, pwl_error: the stock pools' PWL bands
    stock_segments: pd.DataFrame | None = None
    #: item -> model.economics.assortment.ClassStock (items with SKU classes)
    class_stocks: dict | None = None
    #: product (item), origin, share: origins of the pooled items, whose rows carry origin '*'
    origin_mix: pd.DataFrame | None = None
    #: mode, product (item), share: the share of each item's orders a regime under
    #: policy.cbec_regulatory_exemption may carry (within the per-order and per-buyer limits), where < 1
    exempt_shares: pd.DataFrame | None = None
    #: whether the dominance pruning was applied (off when an --extra hook may change costs)
    pruned: bool = True


def build_inputs(scenario, distances: RoadDistances, prune_dominated: bool = True,
                 nearest_sites: int | None = None) -> ModelInputs:
    """Arc tables and coefficients of every enabled regime under the scenario's policy: the arcs
    (:mod:`model.inputs.arcs`), their prices (:mod:`model.inputs.pricing`), each regime's cheapest
    path for the KPIs (:mod:`model.inputs.counterfactual`), the presolve (:mod:`model.inputs.presolve`,
    exact under :func:`~model.inputs.presolve.exact_rules`; none when ``prune_dominated`` is False),
    the SKU-class pools and, for 12 periods, the monthly stock positions.

    ``nearest_sites`` (None = off, the default): a HEURISTIC, not exact, for very large instances
    (benchmarks/run.py --nearest-sites): each zone keeps stock-mode arcs to its K nearest sites by
    road km only (docs/performance.md, benchmark table, for its measured effect).
    """
    p = scenario.param
    if periods_of(scenario) == 12:
        classes.refuse_classes(scenario, "the monthly model (periods = 12)")
    ctx = arc_context(scenario, distances)
    products, demand, levels = ctx.products, ctx.demand, ctx.levels
    stocks = classes.class_stocks(scenario, products, demand)

    out = pricing.price_outbound(ctx, arcs.outbound_arcs(ctx, nearest_sites), stocks)
    inb = pricing.price_inbound(ctx, arcs.inbound_arcs(ctx, out))
    dm, g = arcs.direct_arcs(ctx)
    dm = pricing.price_parcels(ctx, dm, g)
    inbound_terms, direct_terms = terms.columns("inbound"), terms.columns("direct")
    inbound_min = inb.assign(inbound=inb[inbound_terms].sum(axis=1)).groupby(
        ["mode", "origin", "site", "product"], as_index=False, sort=False)["inbound"].min()
    pooled_per_order = {i: float(s.cost(s.national_orders)) / s.national_orders for i, s in stocks.items()}
    paths = None if nearest_sites else regime_paths(out, inbound_min, dm, direct_terms, pooled_per_order)

    rules = presolve.exact_rules(p, prune_dominated)
    if rules.gateways:
        inb = presolve.keep_cheapest(inb, ["mode", "origin", "site", "product"], inbound_terms)
        # Across parcel regimes too: parcels of one (origin, zone, product) on either side of the
        # lead-time target differ only in cost for every constraint of the model.
        dm = presolve.keep_cheapest(dm.assign(_within=dm["lead_hours"] <= p("service.target_hours")),
                                    ["origin", "zone", "product", "_within"], direct_terms).drop(columns="_within")
    segments = classes.pool_segments(scenario, stocks, out, levels)
    if rules.never_stocked and len(segments):
        mailed = classes.never_stocked(segments, out, inbound_min, dm, direct_terms, demand,
                                       p("costs.unmet_penalty_usd_per_order"))
        out, inb = out[~out["product"].isin(mailed)], inb[~inb["product"].isin(mailed)]
        segments = segments[~segments["product"].isin(mailed)]
    if rules.dominated:
        out = presolve.drop_dominated_stock(out, inbound_min, pooled=set(stocks),
                                            mergeable=classes.subadditive_items(stocks, segments) if stocks else set())
        position = ["mode", "site", "origin", "product"]
        segments = segments.merge(out[["mode", "site", "product"]].drop_duplicates(), on=["mode", "site", "product"])
        inb = inb.merge(out[position].drop_duplicates(), on=position)
    mix = classes.origin_mix(scenario, products, stocks)
    out, dm, demand = classes.mix_origins(out, dm, demand, mix, direct_terms)
    return _model_inputs(ctx, demand, inb, out, dm, classes.mix_paths(paths, mix), segments, stocks, mix,
                         prune_dominated)


def _model_inputs(ctx, demand, inb, out, dm, paths, segments, stocks, mix, pruned) -> ModelInputs:
    """Pack the tables and the scenario's scalars; for 12 periods, move holding and the financing of
    taxes held to the sale from the outbound arcs onto the monthly stock positions."""
    p, scenario = ctx.p, ctx.scenario
    periods = periods_of(scenario)
    season = stock_keys = None
    if periods == 12:
        season = _season(scenario)
        stock_keys = _stock_keys(out, ctx.products, ctx.cost_of_capital)
        # the financing of credited VAT (no days in stock) stays per order
        credit_only = pricing.price_taxes(scenario, out, ctx.products.assign(days_in_stock=0.0))
        out = out.assign(inventory_cost=0.0, duty_financing_cost=credit_only["duty_financing_cost"].to_numpy())
    max_sites = p("policy.max_sites")
    return ModelInputs(
        demand=demand,
        site_levels=ctx.levels[["site", "level", "capacity", "fixed_cost"]],
        sites=ctx.sites,
        inbound_arcs=inb.reset_index(drop=True),
        outbound_arcs=out.reset_index(drop=True),
        direct_arcs=dm.reset_index(drop=True),
        unmet_penalty=p("costs.unmet_penalty_usd_per_order"),
        max_sites=max_sites if math.isfinite(max_sites) else math.inf,
        service_target_hours=p("service.target_hours"),
        service_min_share=p("service.min_share"),
        service_per_zone=bool(p("service.per_zone")),
        periods=periods,
        season=season,
        stock_keys=stock_keys,
        storage_months=p("stock.storage_months"),
        single_sourcing=bool(p("service.single_sourcing")),
        co2_cap_t=p("policy.co2_cap_t"),
        monthly_reassignment=bool(p("stock.monthly_reassignment")),
        regime_sites=_regime_sites(ctx.levels, out, ctx.stocked_regimes),
        regime_paths=paths,
        items=ctx.products,
        stock_segments=segments if stocks else None,
        class_stocks=stocks or None,
        origin_mix=mix if len(mix) else None,
        exempt_shares=pricing.exempt_shares(scenario, ctx.regimes, ctx.products),
        pruned=pruned,
    )


def periods_of(scenario) -> int:
    """1 or 12 (checked at load: parameter_keys.csv choices)."""
    return int(scenario.param("periods"))


def _regime_sites(levels: pd.DataFrame, out: pd.DataFrame, stocked_regimes) -> pd.DataFrame:
    """mode, site, level, compliance (USD per year) for each regime with a compliance cost, at
    each level of each site where it has an outbound arc and the cost is positive."""
    rows = []
    for x in stocked_regimes:
        if x.compliance_column is None:
            continue
        held = set(out.loc[out["mode"] == x.name, "site"])
        lv = levels[levels["site"].isin(held) & (levels[x.compliance_column] > 0)]  # no cost, no hold binary
        rows.append(pd.DataFrame({"mode": x.name, "site": lv["site"].to_numpy(), "level": lv["level"].to_numpy(),
                                  "compliance": lv[x.compliance_column].to_numpy(float)}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["mode", "site", "level", "compliance"])


DAYS_PER_MONTH = 365.0 / 12


def _season(scenario) -> pd.Series:
    """Share of annual orders by month 1..12: seasonality.csv, or 1/12 each when the table is absent."""
    t = scenario.tables.get("seasonality")
    if t is None:
        return pd.Series(1 / 12, index=range(1, 13))
    return t.set_index(t["month"].astype(int))["share"].sort_index()


def _stock_keys(out: pd.DataFrame, products: pd.DataFrame, r: float) -> pd.DataFrame:
    """Stock positions (mode, site, origin, product) with cover (months of next month's sales) and
    costs per order held one month: value x (r + obsolescence) / 12, plus the taxes paid at entry and
    recovered only at the sale x r / 12."""
    k = out.groupby(["mode", "site", "origin", "product"], sort=True)[["held_to_sale_usd"]].first().reset_index()
    prod = products.loc[k["product"]]
    value = prod["order_value_usd"].to_numpy()
    prepaid = k["held_to_sale_usd"].to_numpy()  # per order, same for every zone
    k["cover_months"] = prod["days_in_stock"].to_numpy() / DAYS_PER_MONTH
    k["holding_cost"] = costs.inventory_cost(value, r, prod["obsolescence_rate_per_year"].to_numpy(), DAYS_PER_MONTH)
    k["financing_cost"] = costs.duty_financing_cost(prepaid, r, DAYS_PER_MONTH)
    return k.drop(columns="held_to_sale_usd")


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
