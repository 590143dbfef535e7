"""What every step of building the arc tables reads of a scenario, gathered once: the items and
their demand, the sites' status and levels, the enabled regimes and the policy's positive list
(:class:`ArcContext`), so that the arcs, pricing and presolve steps take one argument, not fifteen."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model import regimes as reg
from model.core.errors import ScenarioError
from model.inputs import classes
from model.network.roads import RoadDistances

HOURS_PER_DAY = 24.0


def zone_demand(scenario) -> pd.DataFrame:
    """Orders per year by (zone, origin, product): demand.csv x origin shares x demand.growth."""
    t = scenario.tables
    d = t["demand"].merge(t["sourcing"], on="product")
    d["orders"] = d["orders_per_year"] * d["share"] * scenario.param("demand.growth")
    d = d[d["orders"] > 0]
    return d[["zone", "origin", "product", "orders"]].sort_values(["zone", "origin", "product"]).reset_index(drop=True)


def site_status(scenario) -> pd.DataFrame:
    """Which sites may open, and for each stocked regime whether it may be held there
    (``<regime>_ok``, from the regime's ``site_ok`` rule), with the reason where one may not."""
    s = scenario.tables["sites"].copy()
    p = scenario.param
    stocked = [x for x in reg.REGISTRY.values() if x.stocked]
    reasons = pd.Series("", index=s.index)
    for x in stocked:
        ok, why = x.site_ok(s, scenario)
        s[f"{x.name}_ok"] = ok & ~s["force_closed"] & x.enabled(p)
        reasons = reasons.where(s[f"{x.name}_ok"] | (why == "") | (reasons != ""), why)
    s["may_open"] = np.logical_or.reduce([s[f"{x.name}_ok"] for x in stocked]) & ~s["force_closed"]
    on = [x for x in stocked if x.enabled(p)]
    held = s[[f"{x.name}_ok" for x in on]]
    s["reason"] = np.where(s["force_closed"], "forced closed (sites.csv)", reasons)
    if len(on) > 1:
        partial = s["may_open"] & ~held.all(axis=1)
        s["reason"] = np.where(partial, s["reason"] + "; " + held.apply(
            lambda r: " and ".join(x.label for x in on if r[f"{x.name}_ok"]), axis=1) + " only", s["reason"])
    s["reason"] = s["reason"].str.lstrip("; ")
    bad = s.loc[s["force_open"] & ~s["may_open"], "site"].tolist()
    if bad:
        raise ScenarioError(f"sites {bad} are forced open (sites.csv) but may not open under this scenario")
    return s[["site", "may_open", *[f"{x.name}_ok" for x in stocked], "force_open", "reason"]]


def final_leg_hours(scenario) -> pd.Series:
    """zone -> hours from the province's centre to the buyer, the same for every regime: sortation at
    the courier hub + local delivery + the drive over the province's mean distance, taken as the mean
    distance from the centre of a disc of the province's area, 2/3 x sqrt(area / pi), x
    network.circuity_factor (0 where provinces.csv has no area_km2)."""
    p = scenario.param
    prov = scenario.tables["provinces"]
    area = prov["area_km2"].fillna(0.0).to_numpy(float) if "area_km2" in prov else np.zeros(len(prov))
    km = 2.0 / 3.0 * np.sqrt(area / math.pi) * p("network.circuity_factor")
    hours = p("service.sortation_hours") + p("service.local_delivery_hours") + km / p("network.truck_speed_kmh")
    return pd.Series(hours, index=prov["code"].astype(str).to_numpy())


def waiting_share(scenario) -> dict[str, float]:
    """{product: share of its value lost per day of delivery time} (service.waiting_cost_*)."""
    return scenario.per_product("service.waiting_cost_share_per_day", "service.waiting_cost_by_product", 0.0, 1.0)


@dataclass(frozen=True)
class ArcContext:
    """The scenario as the arc steps read it (USD, orders per year, km, hours)."""

    scenario: object
    distances: RoadDistances
    products: pd.DataFrame     # one row per item: a product, or a (product, SKU class) pair
    demand: pd.DataFrame       # zone, origin, product (item), orders
    sites: pd.DataFrame        # site_status
    levels: pd.DataFrame       # site, level, capacity, fixed_cost, compliance columns (sites that may open)
    regimes: tuple             # the regimes the policy enables
    positive: frozenset        # categories on the positive list
    final_leg: pd.Series       # zone -> hours
    waiting: dict              # product -> share of value per day

    @property
    def p(self):
        return self.scenario.param

    @property
    def stocked_regimes(self) -> list:
        return [x for x in self.regimes if x.stocked]

    @property
    def parcel_regimes(self) -> list:
        return [x for x in self.regimes if not x.stocked]

    @property
    def cost_of_capital(self) -> float:
        return self.p("finance.cost_of_capital")

    @property
    def speed(self) -> float:
        return self.p("network.truck_speed_kmh")

    @property
    def co2_factor(self) -> dict:
        return {mode: self.p(f"co2.{mode}_kg_per_tkm") for mode in ("sea", "air", "road", "rail")}

    def lanes(self, service: str) -> pd.DataFrame:
        """lanes.csv rows of one service (``bulk`` feeds stock, ``parcel`` carries one order)."""
        lanes = self.scenario.tables["lanes"]
        return lanes[lanes["service"] == service]


def arc_context(scenario, distances: RoadDistances) -> ArcContext:
    """The :class:`ArcContext` of ``scenario``."""
    t = scenario.tables
    p = scenario.param
    categories = t["products"].set_index("product")
    products = classes.items(scenario)
    sites = site_status(scenario)
    positive = scenario.selected("policy.positive_list",
                                 categories.index if p("policy.positive_list") != "*"
                                 else categories.index[categories["cbec_positive_list"]])
    # io names (capacity_orders_per_year, fixed_cost_usd_per_year) -> the model's
    levels = t["site_levels"].rename(columns={"capacity_orders_per_year": "capacity",
                                              "fixed_cost_usd_per_year": "fixed_cost"})
    levels = levels[levels["site"].isin(sites.loc[sites["may_open"], "site"])].reset_index(drop=True)
    return ArcContext(scenario=scenario, distances=distances, products=products,
                      demand=classes.item_demand(zone_demand(scenario), products), sites=sites, levels=levels,
                      regimes=tuple(reg.enabled(p)), positive=frozenset(positive),
                      final_leg=final_leg_hours(scenario), waiting=waiting_share(scenario))
