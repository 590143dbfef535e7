"""Tiny hand-checkable scenarios, written as CSV folders like the shipped data.

All nodes lie on the meridian 106 E, so road km between two nodes is the great-circle
distance along the meridian: 6371.0088 km x pi/180 = 111.1951 km per degree of latitude
(circuity 1). Parameters default to zero costs so each test switches on only what it needs.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

KM_PER_DEGREE = 6371.0088 * math.pi / 180  # 111.1951 km

PARAMETERS = {
    "finance.cost_of_capital": 0.1, "policy.cbec_tax_factor": 1.0, "policy.bonded_duty_at_sale": 1,
    "policy.parcel_fta": 0, "policy.de_minimis_usd": 0, "costs.truck_usd_per_kg_km": 0,
    "costs.last_mile_base_usd_per_order": 0, "costs.last_mile_usd_per_kg_km": 0,
    "costs.parcel_clearance_usd_per_order": 0, "costs.unmet_penalty_usd_per_order": 1000,
    "network.circuity_factor": 1.0, "network.truck_speed_kmh": 50, "finance.usd_vnd": 25000, "demand.growth": 1.0,
    "modes.general_trade": 0,  # the B-vs-D cases below; tests of general trade switch it on
}


def tables(
    demand=None,
    sites=None,
    levels=None,
    mfn=0.0,
    fta=0.0,
    vat=0.0,
    value=100.0,
    days_in_stock=0.0,
    bulk_usd_per_kg=1.0,
    parcel_usd_per_order=50.0,
    handling=1.0,
    bulk_transit_days=0.0,
    **params,
) -> dict[str, pd.DataFrame]:
    """Tables of a one-product, one-origin scenario on the 106 E meridian.

    Zones 01 (lat 10), 02 (lat 11), 03 (lat 12); gateways SEA and AIR at lat 10;
    ``sites``: {site id: lat}; ``levels``: list of (site, level, capacity, fixed cost).
    """
    demand = demand or {"01": 100.0}
    sites = sites or {"S1": 10.0}
    levels = levels or [(k, "small", 1e6, 1000.0) for k in sites]
    par = {**PARAMETERS, **params}
    return {
        "parameters": pd.DataFrame(
            {"key": list(par), "value": list(par.values()), "unit": "-", "description": "", "source": "test"}
        ),
        "provinces": pd.DataFrame(
            {
                "code": ["01", "02", "03"],
                "name_vi": ["Một", "Hai", "Ba"],
                "name_ascii": ["Mot", "Hai", "Ba"],
                "region": "R",
                "lat": [10.0, 11.0, 12.0],
                "lon": 106.0,
                "population": 1e6,
                "grdp_bn_vnd": 1e5,
                "grdp_imputed": False,
            }
        ),
        "products": pd.DataFrame(
            {
                "product": ["P1"],
                "name": ["thing"],
                "order_value_usd": [value],
                "weight_kg_per_order": [1.0],
                "days_in_stock": [days_in_stock],
                "obsolescence_rate_per_year": [0.0],
                "cbec_positive_list": [True],
            }
        ),
        "origins": pd.DataFrame(
            {"origin": ["O1"], "country": ["CN"], "name": ["origin"], "lat": [22.5], "lon": [114.0]}
        ),
        "sourcing": pd.DataFrame({"product": ["P1"], "origin": ["O1"], "share": [1.0]}),
        "demand": pd.DataFrame({"zone": list(demand), "product": "P1", "orders_per_year": list(demand.values())}),
        "tariffs": pd.DataFrame(
            {
                "origin": ["O1"],
                "product": ["P1"],
                "mfn_duty_rate": [mfn],
                "fta_duty_rate": [fta],
                "fta": ["ACFTA"],
                "vat_rate": [vat],
            }
        ),
        "gateways": pd.DataFrame(
            {
                "gateway": ["SEA", "AIR"],
                "name": ["port", "airport"],
                "type": ["seaport", "airport"],
                "lat": [10.0, 10.0],
                "lon": [106.0, 106.0],
                "province": ["01", "01"],
            }
        ),
        "lanes": pd.DataFrame(
            {
                "origin": ["O1", "O1"],
                "gateway": ["SEA", "AIR"],
                "service": ["bulk", "parcel"],
                "mode": ["sea", "air"],
                "cost_usd_per_kg": [bulk_usd_per_kg, 0.0],
                "cost_usd_per_order": [0.0, parcel_usd_per_order],
                "transit_days": [bulk_transit_days, 3.0],
            }
        ),
        "sites": pd.DataFrame(
            {
                "site": list(sites),
                "name": list(sites),
                "lat": list(sites.values()),
                "lon": 106.0,
                "province": "01",
                "site_type": "icd",
                "bonded_allowed": True,
                "force_open": False,
                "force_closed": False,
                "handling_usd_per_order": handling,
            }
        ),
        "site_levels": pd.DataFrame(
            levels,
            columns=[
                "site",
                "level",
                "capacity_orders_per_year",
                "fixed_cost_usd_per_year",
                "bonded_compliance_usd_per_year",
            ][: len(levels[0])],
        ),
    }


def geometry(provinces: pd.DataFrame) -> dict:
    """A provinces.geojson FeatureCollection: a 1 x 1 degree square around each zone's centre."""
    features = []
    for r in provinces.itertuples(index=False):
        x, y = float(r.lon), float(r.lat)
        ring = [[x - 0.5, y - 0.5], [x + 0.5, y - 0.5], [x + 0.5, y + 0.5], [x - 0.5, y + 0.5], [x - 0.5, y - 0.5]]
        features.append({"type": "Feature", "properties": {"code": str(r.code), "name_vi": r.name_vi,
                                                            "name_ascii": r.name_ascii},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": features}


def write(folder: Path, tabs: dict[str, pd.DataFrame], with_geometry: bool = False) -> Path:
    """The tables as CSV files in ``folder``; ``with_geometry``: also a provinces.geojson of squares."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tabs.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    if with_geometry:
        (folder / "provinces.geojson").write_text(json.dumps(geometry(tabs["provinces"]), ensure_ascii=False),
                                                  encoding="utf-8")
    return folder


#: Every optional cost of :func:`tables` switched on, for tests that must see every term (the zero
#: defaults above hid two cost rules that had drifted apart). Per order of P1 (value 100 USD, 1 kg):
#: sea lane 10 days (pipeline stock), 20 days on the shelf, duty 5 % and VAT 10 %, trucking, last
#: mile, parcel clearance, waiting; :func:`with_classes` adds returns.
ALL_TERMS = dict(mfn=0.05, fta=0.05, vat=0.1, days_in_stock=20.0, bulk_transit_days=10.0, handling=1.0,
                 parcel_usd_per_order=12.0, **{
                     "costs.truck_usd_per_kg_km": 0.001, "costs.last_mile_base_usd_per_order": 1.0,
                     "costs.last_mile_usd_per_kg_km": 0.002, "costs.parcel_clearance_usd_per_order": 0.5,
                     "service.waiting_cost_share_per_day": 0.001, "modes.general_trade": 1})


def all_terms(**kw) -> dict[str, pd.DataFrame]:
    """:func:`tables` with :data:`ALL_TERMS` (``kw`` override them)."""
    return tables(**{**ALL_TERMS, **kw})


def with_classes(tabs: dict[str, pd.DataFrame], return_rate: float = 0.1, sku_count: int = 1,
                 demand_cv: float = 0.0, min_units: float = 0.0) -> dict[str, pd.DataFrame]:
    """``tabs`` with one SKU class per product (all of its orders), so that returns are priced."""
    prods = tabs["products"]["product"]
    return {**tabs, "sku_classes": pd.DataFrame({
        "product": prods, "sku_class": "all_skus", "sku_count": sku_count, "order_share": 1.0,
        "demand_cv": demand_cv, "min_units_per_sku": min_units, "return_rate": return_rate, "sku_life_days": 365.0})}
