"""Per-order prices of the arcs (USD per order), one column per cost term of model/attrs/terms.csv
that the arc family carries, and the lead times (hours). The regimes say their handling, taxes,
market access, clearance time and fees; this module asks them and adds the logistics."""
from __future__ import annotations

import numpy as np
import pandas as pd

from model import regimes as reg
from model.economics import costs
from model.inputs.context import HOURS_PER_DAY, ArcContext
from model.io import terms
from model.network.roads import great_circle_km

#: Per-order tax columns of every outbound and direct arc (USD per order), for the KPIs.
TAX_COLUMNS = ("duty_usd", "vat_usd", "tax_at_entry_usd")
#: Key columns of each arc family, in table order.
OUTBOUND_KEYS = ["mode", "site", "zone", "origin", "product"]
INBOUND_KEYS = ["mode", "origin", "gateway", "site", "product"]
DIRECT_KEYS = ["mode", "origin", "gateway", "zone", "product"]


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


def vat_rates(scenario, origins, products) -> np.ndarray:
    """VAT rate per (origin, product) row: ``policy.vat_rate`` when set, else tariffs.csv."""
    override = scenario.param("policy.vat_rate")  # None = unset (an optional number)
    if override is not None:
        return np.full(len(origins), float(override))
    tariffs = scenario.tables["tariffs"].set_index(["origin", "product"])
    return _rows(tariffs[["vat_rate"]], origins, products)["vat_rate"].to_numpy(float)


def goods(scenario, arcs: pd.DataFrame, products: pd.DataFrame) -> reg.Goods:
    """Per-order values and rates of each arc (its mode, origin and product), for the regimes' tax rules."""
    p = scenario.param
    tariffs = scenario.tables["tariffs"].set_index(["origin", "product"])
    prod = products.loc[arcs["product"]]
    category = prod["category"] if "category" in prod else arcs["product"]
    tax = _rows(tariffs[["fta_duty_rate", "mfn_duty_rate"]], arcs["origin"], category)
    value = prod["order_value_usd"].to_numpy(float)
    on_sale_price = arcs["mode"].isin(scenario.selected("policy.dutiable_basis", reg.MODES)).to_numpy()
    return reg.Goods(value=value, base=costs.dutiable_value(value, p("policy.declared_value_share"), on_sale_price),
                     fta=tax["fta_duty_rate"].to_numpy(float), mfn=tax["mfn_duty_rate"].to_numpy(float),
                     vat=vat_rates(scenario, arcs["origin"], category),
                     days=prod["days_in_stock"].to_numpy(float))


def _subset(g: reg.Goods, mask: np.ndarray) -> reg.Goods:
    return reg.Goods(**{f: getattr(g, f)[mask] for f in ("value", "base", "fta", "mfn", "vat", "days")})


def price_taxes(scenario, arcs: pd.DataFrame, products: pd.DataFrame, g: reg.Goods | None = None) -> pd.DataFrame:
    """Per-order tax columns of each arc under its regime's rule: duty_usd, vat_usd, duty_tax_cost,
    tax_at_entry_usd, held_to_sale_usd, duty_financing_cost (over the days in stock and the credit).
    ``g``: the arcs' :func:`goods`, when the caller has them already."""
    p = scenario.param
    g = goods(scenario, arcs, products) if g is None else g
    n = len(arcs)
    cols = {c: np.zeros(n) for c in ("duty_usd", "vat_usd", "tax_at_entry_usd", "held_to_sale_usd",
                                      "duty_financing_cost")}
    mode = arcs["mode"].to_numpy()
    for name in pd.unique(mode):
        mask = mode == name
        sub = _subset(g, mask)
        t = reg.REGISTRY[name].taxes(sub, p)
        cols["duty_usd"][mask] = t.duty
        cols["vat_usd"][mask] = t.vat
        cols["tax_at_entry_usd"][mask] = t.paid_at_entry
        cols["held_to_sale_usd"][mask] = t.held_to_sale
        cols["duty_financing_cost"][mask] = t.financing(p("finance.cost_of_capital"), sub.days)
    out = pd.DataFrame(cols, index=arcs.index)
    out["duty_tax_cost"] = out["duty_usd"] + out["vat_usd"]
    return out


def per_sku_costs(scenario, products: pd.DataFrame, national: pd.Series, sku_usd: pd.Series) -> pd.Series:
    """item -> one-off per-SKU market-access cost per order (USD): sku_usd of its category x its SKUs x
    365 / their listed life / its national orders (:func:`model.regimes.access.per_sku_usd_per_order`).
    Without SKU classes the category's item is one average SKU: the sum over the category's classes
    of sku_classes.csv (when the data has it; else no per-SKU cost, as no SKU count is known)."""
    usd = products["category"].map(sku_usd).fillna(0.0)
    if "sku_count" in products:
        return pd.Series(reg.access.per_sku_usd_per_order(usd, products["sku_count"], products["sku_life_days"],
                                                          national.reindex(products.index).fillna(0.0)),
                         index=products.index)
    cls = scenario.tables.get("sku_classes")
    if cls is None:
        return pd.Series(0.0, index=products.index)
    skus_a_year = (cls["sku_count"] * reg.access.DAYS_PER_YEAR / cls["sku_life_days"]).groupby(cls["product"]).sum()
    yearly = usd * products["category"].map(skus_a_year).fillna(0.0)
    orders = national.reindex(products.index).fillna(0.0)
    return pd.Series(np.divide(yearly.to_numpy(float), orders.to_numpy(float), out=np.zeros(len(orders)),
                               where=orders.to_numpy() > 0), index=products.index)


def access_costs(scenario, arcs: pd.DataFrame, products: pd.DataFrame, demand: pd.DataFrame) -> reg.Access:
    """Per-order market-access costs of each arc's item (:class:`model.regimes.access.Access`), from
    market_access.csv (none without it): per SKU (:func:`per_sku_costs`), per shipment
    (shipment_usd and market_access.declaration_usd_per_shipment / orders_per_shipment), per order
    (label_usd_per_order, and for the cross_border
    channel market_access.ior_margin_share x the order value). ``demand``: item rows (national orders)."""
    n = len(arcs)
    table = scenario.tables.get("market_access")
    if table is None or not n:
        z = np.zeros(n)
        return reg.Access(per_sku=z, per_shipment=z.copy(), per_order=z.copy(), declaration=z.copy())
    p = scenario.param
    ma = table.set_index("product")
    national = demand.groupby("product")["orders"].sum()
    per_sku = per_sku_costs(scenario, products, national, ma["sku_usd"])
    prod = products.loc[arcs["product"]]
    row = ma.reindex(prod["category"].to_numpy())
    ior = 0.0 if reg.channel(p) == "local_import" else p("market_access.ior_margin_share")
    return reg.Access(
        per_sku=arcs["product"].map(per_sku).fillna(0.0).to_numpy(float),
        per_shipment=(row["shipment_usd"] / row["orders_per_shipment"]).fillna(0.0).to_numpy(float),
        per_order=row["label_usd_per_order"].fillna(0.0).to_numpy(float)
        + ior * prod["order_value_usd"].to_numpy(float),
        declaration=(p("market_access.declaration_usd_per_shipment") / row["orders_per_shipment"])
        .fillna(0.0)
        .to_numpy(float),
    )


def exempt_shares(scenario, regimes, products: pd.DataFrame) -> pd.DataFrame | None:
    """mode, product (item), share: for each regime that ``policy.cbec_regulatory_exemption`` exempts,
    the share of each item's orders within the per-order and per-buyer limits
    (:func:`model.regimes.access.eligible_share`), where it is below 1; None if there is none."""
    p = scenario.param
    modes = [x.name for x in regimes if x.exempt(p)]
    if not modes:
        return None
    share = reg.access.eligible_share(products["order_value_usd"].to_numpy(float), p("policy.cbec_order_limit_usd"),
                                      p("policy.cbec_buyer_annual_limit_usd"), p("demand.order_value_sigma"),
                                      p("demand.orders_per_buyer_per_year"), p("demand.buyer_spend_sigma"))
    limited = share < 1 - 1e-4  # a share of orders below 0.01 % is far inside the solve's gap
    if not limited.any():
        return None
    rows = [pd.DataFrame({"mode": md, "product": products.index[limited], "share": share[limited]}) for md in modes]
    return pd.concat(rows, ignore_index=True)


def _international_km(tables, arcs: pd.DataFrame) -> np.ndarray:
    """Great-circle km origin -> gateway of each arc (the basis of the GLEC air factor; sea routes are longer)."""
    o = tables["origins"].set_index("origin").loc[arcs["origin"]]
    g = tables["gateways"].set_index("gateway").loc[arcs["gateway"]]
    return great_circle_km(o["lat"].to_numpy(float), o["lon"].to_numpy(float),
                           g["lat"].to_numpy(float), g["lon"].to_numpy(float))


def _by_regime(arcs: pd.DataFrame, regimes, value) -> np.ndarray:
    """Per arc, ``value(regime, mask)`` for the rows of each regime (0 elsewhere)."""
    out = np.zeros(len(arcs))
    mode = arcs["mode"].to_numpy()
    for x in regimes:
        mask = mode == x.name
        if mask.any():
            out[mask] = value(x, mask)
    return out


def price_outbound(ctx: ArcContext, out: pd.DataFrame, stocks: dict) -> pd.DataFrame:
    """Outbound arcs (site -> zone) of the stocked regimes, priced: km, lead_hours, the outbound
    terms (handling, market access, last mile, taxes, financing, stock, waiting, returns), the tax
    columns, held_to_sale_usd and co2_kg. ``stocks``: the pooled items, whose stock is priced per
    site by the SKU-class pools instead of per order."""
    p, products = ctx.p, ctx.products
    # only the columns used, so the per-arc lookups stay small (memory on 10^7 arcs)
    prod = products[["weight_kg_per_order", "days_in_stock", "obsolescence_rate_per_year", "order_value_usd",
                     "category", "return_rate"]].loc[out["product"]]
    weight = prod["weight_kg_per_order"].to_numpy()
    value = prod["order_value_usd"].to_numpy()
    site_handling = ctx.scenario.tables["sites"].set_index("site")["handling_usd_per_order"] \
        .loc[out["site"]].to_numpy(float)
    stocked = ctx.stocked_regimes
    clearance = _by_regime(out, stocked, lambda x, m: x.clearance_hours(p) + x.dispatch_hours(p))
    out["km"] = _lookup(ctx.distances.site_zone, out["site"], out["zone"])
    out["lead_hours"] = (clearance + out["zone"].map(ctx.final_leg).to_numpy()
                         + _hours(ctx.distances.site_zone_hours, out["km"].to_numpy(), out["site"], out["zone"],
                                  ctx.speed))
    out["handling_cost"] = _by_regime(out, stocked, lambda x, m: x.handling(p, site_handling[m]))
    access = access_costs(ctx.scenario, out, products, ctx.demand)
    out["market_access_cost"] = _by_regime(
        out, [x for x in stocked if x.market_access is not None], lambda x, m: x.market_access(access.subset(m), p))
    out["last_mile_cost"] = costs.last_mile_cost(weight, out["km"].to_numpy(), p("costs.last_mile_base_usd_per_order"),
                                                 p("costs.last_mile_usd_per_kg_km"))
    tax = price_taxes(ctx.scenario, out, products)
    for c in ("duty_tax_cost", "duty_financing_cost", *TAX_COLUMNS, "held_to_sale_usd"):
        out[c] = tax[c].to_numpy()
    out["inventory_cost"] = np.where(out["product"].isin(stocks).to_numpy(), 0.0, costs.inventory_cost(
        value, ctx.cost_of_capital, prod["obsolescence_rate_per_year"].to_numpy(), prod["days_in_stock"].to_numpy()))
    out["waiting_cost"] = costs.waiting_cost(value, prod["category"].map(ctx.waiting).to_numpy(),
                                             out["lead_hours"].to_numpy())
    out["returns_cost"] = costs.stocked_returns_cost(
        prod["return_rate"].to_numpy(float), out["last_mile_cost"].to_numpy(), p("returns.inspection_usd_per_order"),
        value, p("returns.resale_share"))
    out["co2_kg"] = costs.emissions_kg(weight, out["km"].to_numpy(), ctx.co2_factor["road"])
    return out[[*OUTBOUND_KEYS, "km", "lead_hours", *terms.columns("outbound"), *TAX_COLUMNS, "held_to_sale_usd",
                "co2_kg"]]


def price_inbound(ctx: ArcContext, inb: pd.DataFrame) -> pd.DataFrame:
    """Inbound arcs (origin -> gateway -> site) priced: km, linehaul, trucking, the financing of taxes
    paid at entry during the haul, pipeline stock and co2_kg."""
    p, r = ctx.p, ctx.cost_of_capital
    inb["km"] = _lookup(ctx.distances.gateway_site, inb["gateway"], inb["site"])
    prod = ctx.products.loc[inb["product"]]
    w = prod["weight_kg_per_order"].to_numpy()
    inb["linehaul_cost"] = costs.freight_cost(
        w, inb["cost_usd_per_kg"].to_numpy(), inb["cost_usd_per_order"].to_numpy()
    )
    inb["trucking_cost"] = costs.trucking_cost(w, inb["km"].to_numpy(), p("costs.truck_usd_per_kg_km"))
    # Taxes paid at entry and recovered only at the sale are financed during the haul gateway -> site as well
    # (VAT that is credited is financed over finance.vat_credit_days from payment, on the outbound arc).
    hours = _hours(ctx.distances.gateway_site_hours, inb["km"].to_numpy(), inb["gateway"], inb["site"], ctx.speed)
    inb["duty_financing_cost"] = costs.duty_financing_cost(inb["held_to_sale_usd"].to_numpy(), r,
                                                           hours / HOURS_PER_DAY)
    # Pipeline stock: the importer owns the goods from departure (FOB), so the days at sea or in
    # the air cost capital and ageing like days on the shelf: sea is cheap per kg but slow.
    inb["inventory_cost"] = costs.inventory_cost(prod["order_value_usd"].to_numpy(), r,
                                                 prod["obsolescence_rate_per_year"].to_numpy(),
                                                 inb["transit_days"].to_numpy())
    co2 = ctx.co2_factor
    inb["co2_kg"] = (costs.emissions_kg(w, _international_km(ctx.scenario.tables, inb),
                                        inb["lane_mode"].map(co2).to_numpy())
                     + costs.emissions_kg(w, inb["km"].to_numpy(), co2["road"]))
    return inb[[*INBOUND_KEYS, "km", *terms.columns("inbound"), "co2_kg"]]


def price_parcels(ctx: ArcContext, dm: pd.DataFrame, g: reg.Goods | None) -> pd.DataFrame:
    """Direct arcs (origin -> gateway -> zone, one parcel per order) priced: km, lead_hours, postage
    and the regime's clearance fee, last mile, taxes at clearance, waiting, returns and co2_kg.
    ``g``: the arcs' :func:`goods` (None when there are no arcs)."""
    p, products = ctx.p, ctx.products
    prod = products.loc[dm["product"]]
    dm["km"] = _lookup(ctx.distances.gateway_zone, dm["gateway"], dm["zone"])
    weight = prod["weight_kg_per_order"].to_numpy()
    value = prod["order_value_usd"].to_numpy()
    parcel = ctx.parcel_regimes
    clearance = _by_regime(dm, parcel, lambda x, m: x.clearance_hours(p) + x.dispatch_hours(p))
    fee = _by_regime(dm, parcel, lambda x, m: x.parcel_fee(p))
    dm["lead_hours"] = (
        dm["transit_days"].to_numpy() * HOURS_PER_DAY
        + clearance
        + dm["zone"].map(ctx.final_leg).to_numpy()
        + _hours(ctx.distances.gateway_zone_hours, dm["km"].to_numpy(), dm["gateway"], dm["zone"], ctx.speed)
    )
    dm["direct_mail_cost"] = costs.freight_cost(weight, dm["cost_usd_per_kg"].to_numpy(),
                                                dm["cost_usd_per_order"].to_numpy()) + fee
    dm["last_mile_cost"] = costs.last_mile_cost(weight, dm["km"].to_numpy(), p("costs.last_mile_base_usd_per_order"),
                                                p("costs.last_mile_usd_per_kg_km"))
    tax = price_taxes(ctx.scenario, dm, products, g)
    for c in ("duty_tax_cost", "duty_financing_cost", *TAX_COLUMNS):
        dm[c] = tax[c].to_numpy()
    dm["waiting_cost"] = costs.waiting_cost(value, prod["category"].map(ctx.waiting).to_numpy(),
                                            dm["lead_hours"].to_numpy())
    dm["returns_cost"] = costs.parcel_returns_cost(prod["return_rate"].to_numpy(float), dm["last_mile_cost"].to_numpy(),
                                                   dm["direct_mail_cost"].to_numpy(), value)
    co2 = ctx.co2_factor
    dm["co2_kg"] = (costs.emissions_kg(weight, _international_km(ctx.scenario.tables, dm),
                                       dm["lane_mode"].map(co2).to_numpy())
                    + costs.emissions_kg(weight, dm["km"].to_numpy(), co2["road"]))
    return dm[[*DIRECT_KEYS, "km", "lead_hours", *terms.columns("direct"), *TAX_COLUMNS, "co2_kg"]]
