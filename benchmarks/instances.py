"""Benchmark instances: the default scenario, Vietnam-like instances of growing size, OR-Library.

Instance names (``python benchmarks/run.py --list`` prints the standard set):

- ``default``: the shipped scenario (``data/``); ``default-t12``: the same with ``periods = 12``.
- ``<zones>-s<sites>-p<products>-t<periods>``, e.g. ``commune-s60-p8-t1``: a data folder generated
  from the shipped tables, with
  - zones: ``province`` (the 34 shipped provinces), ``district`` (700 zones) or ``commune``
    (3,300 zones). District and commune zones are **synthetic**: points drawn uniformly inside
    the province's main polygon (``data/provinces.geojson``), the first one at the province's
    administrative centre; each province's population and demand are split over its zones by
    lognormal weights (the centre zone weighted x3). They are not the real districts/communes.
  - sites: the first ``min(n, 24)`` shipped candidate sites, plus synthetic sites (type
    ``synthetic``) a few km from zones drawn with probability proportional to population;
    their levels are the shipped small / medium / large ladder (median fixed costs).
  - products: the 5 shipped categories plus variants (``<base>_v2`` ...), each a copy of its
    base product with value and weight scaled by 0.8-1.25; the base product's demand is split
    between it and its variants, so national demand is unchanged.
  - periods: 1 or 12 (``periods`` in the folder's parameters.csv; seasonality.csv is shipped).
- ``orlib-<file>``: Beasley's OR-Library CFLP files in tests/data/orlib (``orlib-cap41`` ...).

Every random draw has a fixed seed (:data:`SEED`), so an instance name always means the same data.
Generated folders are cached under ``benchmarks/.instances/<name>/`` (git-ignored) and are
written to a temporary folder first, then renamed, so a half-written folder is never used.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ORLIB = ROOT / "tests" / "data" / "orlib"
CACHE = Path(__file__).resolve().parent / ".instances"

SEED = 20250701            # 1 July 2025: the 34-province map
GENERATOR_VERSION = "3"    # bump when the generator changes: cached folders are then rebuilt
ZONE_COUNTS = {"province": 34, "district": 700, "commune": 3300}
SHIPPED_TABLES = ("origins", "lanes", "road_classes", "road_waypoints", "road_edges", "seasonality")
NAME_RE = re.compile(r"^(province|district|commune)-s(\d+)-p(\d+)-t(1|12)$")

#: The standard set (``--list``): every zone level at 20/60/120 sites, 12-period cases, default, OR-Library.
STANDARD = [
    "default", "default-t12",
    "province-s20-p6-t1", "province-s60-p8-t1", "province-s120-p12-t1",
    "district-s20-p6-t1", "district-s60-p8-t1", "district-s120-p12-t1",
    "commune-s20-p6-t1", "commune-s60-p8-t1", "commune-s120-p12-t1",
    "province-s20-p6-t12", "province-s60-p8-t12",
]


@dataclass
class Instance:
    """One benchmark instance: a scenario (``data_dir`` + ``overrides``) or an OR-Library file."""

    name: str
    kind: str                      # "scenario" | "orlib"
    data_dir: Path | None = None   # scenario: the data folder (generated on demand by :func:`materialise`)
    overrides: dict = field(default_factory=dict)
    path: Path | None = None       # orlib: the cap file
    optimum: float | None = None   # orlib: published optimum (USD-free cost units)
    default_gap: float = 1e-4      # relative gap used when run.py gets no --gap

    @property
    def generated(self) -> bool:
        return self.kind == "scenario" and self.data_dir is not None and self.data_dir.parent == CACHE


def orlib_names() -> list[str]:
    """``orlib-<stem>`` for every cap file with a published optimum in tests/data/orlib/optima.csv."""
    optima = pd.read_csv(ORLIB / "optima.csv")
    files = {p.stem for p in ORLIB.glob("cap*.txt")}
    stems = [s for s in optima["instance"].astype(str) if s in files]
    return [f"orlib-{s}" for s in sorted(stems, key=lambda s: (len(s), s))]


def list_instances() -> list[str]:
    """Names of the standard set, in the order run.py measures them."""
    return [*STANDARD, *orlib_names()]


def get(name: str) -> Instance:
    """The instance called ``name`` (any name of the forms above, not only the standard set)."""
    if name == "default":
        return Instance(name, "scenario", DATA)
    if name == "default-t12":
        return Instance(name, "scenario", DATA, overrides={"periods": 12}, default_gap=1e-4)
    if name.startswith("orlib-"):
        stem = name[len("orlib-"):]
        path = ORLIB / f"{stem}.txt"
        if not path.is_file():
            raise KeyError(f"instance {name!r}: no file {path}")
        optima = pd.read_csv(ORLIB / "optima.csv").astype({"instance": str}).set_index("instance")["optimal_value"]
        return Instance(name, "orlib", path=path, optimum=float(optima[stem]) if stem in optima else None,
                        default_gap=1e-7)  # the published optima are matched to 1e-6 relative
    m = NAME_RE.match(name)
    if not m:
        raise KeyError(f"instance {name!r}: expected 'default', 'default-t12', 'orlib-<file>' or "
                       "'<province|district|commune>-s<sites>-p<products>-t<1|12>' (e.g. commune-s60-p8-t1)")
    sites, products = int(m.group(2)), int(m.group(3))
    if sites < 1 or products < 1:
        raise KeyError(f"instance {name!r}: sites and products must be at least 1")
    return Instance(name, "scenario", CACHE / name, default_gap=1e-2)


# ---------------------------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------------------------

def _shipped():
    from model.io.corridors import load_corridors
    from model.io.tables import load_tables

    return {**load_tables(DATA), **(load_corridors(DATA) or {})}


def _main_polygons():
    """Province code -> its largest polygon (islands left out), from data/provinces.geojson."""
    import geopandas as gpd

    g = gpd.read_file(DATA / "provinces.geojson")
    out = {}
    for code, geom in zip(g["code"].astype(str), g.geometry):
        parts = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
        out[code] = max(parts, key=lambda p: p.area)
    return out


def _apportion(weights: np.ndarray, total: int, minimum: int) -> np.ndarray:
    """Integers >= ``minimum`` summing to ``total``, proportional to ``weights`` (largest remainder)."""
    n = len(weights)
    rest = total - minimum * n
    share = weights / weights.sum() * rest
    counts = np.floor(share).astype(int)
    counts[np.argsort(-(share - counts), kind="stable")[: rest - counts.sum()]] += 1
    return counts + minimum


def synthetic_zones(provinces: pd.DataFrame, level: str) -> tuple[pd.DataFrame, pd.Series]:
    """Zones of ``level`` (a provinces-like table) and each zone's share of its province.

    Zone counts per province: proportional to half population share + half area share, at
    least 2. Points uniform inside the province's main polygon; zone 1 at the administrative
    centre. Shares: lognormal(0, 0.6) weights, the centre zone x3, normalised per province.
    """
    if level == "province":
        return provinces.copy(), pd.Series(1.0, index=provinces["code"].to_numpy())
    import shapely

    rng = np.random.default_rng([SEED, ZONE_COUNTS[level]])
    polys = _main_polygons()
    pop = provinces["population"].to_numpy(float)
    area = provinces["area_km2"].to_numpy(float) if "area_km2" in provinces else np.ones(len(provinces))
    counts = _apportion(0.5 * pop / pop.sum() + 0.5 * area / area.sum(), ZONE_COUNTS[level], 2)
    rows, shares = [], {}
    width = 3 if level == "district" else 4
    for (_, p), n in zip(provinces.iterrows(), counts):
        poly = polys[p["code"]]
        x0, y0, x1, y1 = poly.bounds
        lon, lat = [float(p["lon"])], [float(p["lat"])]
        while len(lon) < n:  # rejection sampling inside the polygon, in batches
            x = rng.uniform(x0, x1, 4 * n)
            y = rng.uniform(y0, y1, 4 * n)
            inside = shapely.contains_xy(poly, x, y)
            lon += x[inside].tolist()[: n - len(lon)]
            lat += y[inside].tolist()[: n - len(lat)]
        w = rng.lognormal(0.0, 0.6, n)
        w[0] *= 3.0
        w /= w.sum()
        for i in range(n):
            code = f"{p['code']}-{i + 1:0{width}d}"
            rows.append({"code": code, "name_vi": f"{p['name_vi']} ({level} tổng hợp {i + 1})",
                         "name_ascii": f"{p['name_ascii']} (synthetic {level} {i + 1})", "region": p["region"],
                         "lat": round(min(max(lat[i], 8.0), 23.5), 5), "lon": round(min(max(lon[i], 102.0), 110.0), 5),
                         "population": float(p["population"]) * w[i], "grdp_bn_vnd": float(p["grdp_bn_vnd"]) * w[i],
                         "grdp_imputed": True, "province": p["code"]})
            shares[code] = w[i]
    zones = pd.DataFrame(rows)
    return zones, pd.Series(shares)


def _nearest_zone(lat, lon, zones: pd.DataFrame, province=None) -> np.ndarray:
    """Code of the nearest zone (great circle) to each point, within ``province`` when given."""
    from model.network.roads import great_circle_km

    d = great_circle_km(np.asarray(lat, float)[:, None], np.asarray(lon, float)[:, None],
                        zones["lat"].to_numpy(float)[None, :], zones["lon"].to_numpy(float)[None, :])
    if province is not None and "province" in zones:
        d = np.where(np.asarray(province)[:, None] == zones["province"].to_numpy()[None, :], d, np.inf)
    return zones["code"].to_numpy()[d.argmin(axis=1)]


def _products(t: dict, n: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """Products, tariffs, sourcing with ``n`` products, and base product -> {product: demand share}."""
    rng = np.random.default_rng([SEED, 1000 + n])
    base = t["products"].reset_index(drop=True)
    names = list(base["product"])
    chosen = [(b, b) for b in names[:n]]
    v = 2
    while len(chosen) < n:  # variants, round robin over the base products
        for b in names:
            if len(chosen) < n:
                chosen.append((f"{b}_v{v}", b))
        v += 1
    rows, tar, src = [], [], []
    for prod, b in chosen:
        r = base.set_index("product").loc[b].to_dict()
        if prod != b:
            f = rng.uniform(0.8, 1.25, 2)
            r.update(name=f"{r['name']} (synthetic variant {prod.rsplit('_v', 1)[1]})",
                     order_value_usd=round(r["order_value_usd"] * f[0], 2),
                     weight_kg_per_order=round(r["weight_kg_per_order"] * f[1], 3))
        rows.append({"product": prod, **r})
        tar.append(t["tariffs"][t["tariffs"]["product"] == b].assign(product=prod))
        src.append(t["sourcing"][t["sourcing"]["product"] == b].assign(product=prod))
    split = {}
    for b in names:
        members = [p for p, bb in chosen if bb == b]
        if members:
            w = rng.dirichlet(np.full(len(members), 4.0)) if len(members) > 1 else np.ones(1)
            split[b] = dict(zip(members, w))
    return pd.DataFrame(rows), pd.concat(tar, ignore_index=True), pd.concat(src, ignore_index=True), split


def _sites(t: dict, zones: pd.DataFrame, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first min(n, 24) shipped sites plus synthetic ones near populous zones; their levels."""
    sites = t["sites"].head(n).copy()
    levels = t["site_levels"][t["site_levels"]["site"].isin(sites["site"])].copy()
    extra = n - len(sites)
    if extra > 0:
        rng = np.random.default_rng([SEED, ZONE_COUNTS.get(_level_of(zones), 0), n])
        w = zones["population"].to_numpy(float)
        pick = rng.choice(len(zones), size=extra, replace=True, p=w / w.sum())
        z = zones.iloc[pick]
        lat = np.clip(z["lat"].to_numpy() + rng.normal(0, 0.04, extra), 8.0, 23.5)  # ~4 km
        lon = np.clip(z["lon"].to_numpy() + rng.normal(0, 0.04, extra), 102.0, 110.0)
        ids = [f"X{i + 1:03d}" for i in range(extra)]
        syn = pd.DataFrame({"site": ids, "name": [f"Synthetic site near {c}" for c in z["code"]],
                            "lat": lat.round(5), "lon": lon.round(5), "province": z["code"].to_numpy(),
                            "site_type": "synthetic", "bonded_allowed": True, "force_open": False,
                            "force_closed": False,
                            "handling_usd_per_order": float(t["sites"]["handling_usd_per_order"].median())})
        sites = pd.concat([sites, syn], ignore_index=True)
        ladder = t["site_levels"].groupby("level", sort=False)[["capacity_orders_per_year",
                                                                 "fixed_cost_usd_per_year"]].median().reset_index()
        levels = pd.concat([levels, *(ladder.assign(site=k) for k in ids)], ignore_index=True)
    return sites, levels[["site", "level", "capacity_orders_per_year", "fixed_cost_usd_per_year"]]


def _level_of(zones: pd.DataFrame) -> str:
    return next((lv for lv, c in ZONE_COUNTS.items() if c == len(zones)), "province")


def generate(name: str, folder: Path) -> Path:
    """Write the data folder of generated instance ``name`` into ``folder`` (which must not exist)."""
    m = NAME_RE.match(name)
    if not m:
        raise KeyError(f"instance {name!r} is not a generated instance")
    level, n_sites, n_products, periods = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
    t = _shipped()
    zones, share = synthetic_zones(t["provinces"], level)
    products, tariffs, sourcing, split = _products(t, n_products)
    sites, levels = _sites(t, zones, n_sites)
    if level != "province":
        # sites and gateways belong to a zone: the nearest one inside their province
        sites["province"] = np.where(sites["site_type"] == "synthetic", sites["province"],
                                     _nearest_zone(sites["lat"], sites["lon"], zones, sites["province"]))
    gateways = t["gateways"].copy()
    if level != "province":
        gateways["province"] = _nearest_zone(gateways["lat"], gateways["lon"], zones, gateways["province"])
    # demand: province demand x zone share x product split (national total unchanged)
    d = t["demand"]
    prov_of = zones.set_index("code")["province"] if "province" in zones else pd.Series(zones["code"].to_numpy(),
                                                                                        index=zones["code"])
    rows = []
    for b, members in split.items():
        by_prov = d[d["product"] == b].set_index("zone")["orders_per_year"]
        base = prov_of.map(by_prov).fillna(0.0).to_numpy() * share.reindex(prov_of.index).to_numpy()
        for prod, w in members.items():
            rows.append(pd.DataFrame({"zone": prov_of.index, "product": prod, "orders_per_year": (base * w).round(3)}))
    demand = pd.concat(rows, ignore_index=True)
    demand = demand[demand["orders_per_year"] > 0]
    params = t["parameters"].copy()
    params = params[~params["key"].isin(["periods", "stock.sku_classes"])]
    # the scale benchmarks measure the class-free model (the monthly model and arc pricing refuse classes)
    params = pd.concat([params, pd.DataFrame([
        {"key": "periods", "value": periods, "unit": "months", "description": "1 = steady-state year; 12 = months",
         "source": f"benchmark instance {name}"},
        {"key": "stock.sku_classes", "value": 0, "unit": "0 or 1", "description": "one average SKU per product",
         "source": f"benchmark instance {name}: the class-free model"}])], ignore_index=True)
    out = {
        "parameters": params,
        "provinces": zones.drop(columns="province", errors="ignore"),
        "products": products,
        "tariffs": tariffs,
        "sourcing": sourcing,
        "demand": demand,
        "sites": sites,
        "site_levels": levels,
        "gateways": gateways,
        **{k: t[k] for k in SHIPPED_TABLES if k in t},
    }
    folder.mkdir(parents=True)
    for k, df in out.items():
        df.to_csv(folder / f"{k}.csv", index=False)
    (folder / "README.md").write_text(
        f"# Benchmark instance {name} (generated, synthetic)\n\nWritten by benchmarks/instances.py "
        f"(generator version {GENERATOR_VERSION}, seed {SEED}). Zones other than the 34 provinces, "
        "synthetic sites (site_type = synthetic) and product variants are SYNTHETIC: not real places or "
        "categories. Do not quote results from this folder as findings about Vietnam.\n", encoding="utf-8")
    (folder / ".version").write_text(GENERATOR_VERSION)
    return folder


def materialise(inst: Instance | str, cache: Path = CACHE) -> Instance:
    """Make sure a generated instance's folder exists (generate it once, atomically); return the instance."""
    if isinstance(inst, str):
        inst = get(inst)
    if inst.kind != "scenario" or not NAME_RE.match(inst.name):
        return inst
    folder = Path(cache) / inst.name
    inst.data_dir = folder
    stamp = folder / ".version"
    if stamp.is_file() and stamp.read_text().strip() == GENERATOR_VERSION:
        return inst
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{inst.name}.", dir=folder.parent))
    try:
        generate(inst.name, tmp / "data")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp / "data", folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return inst


if __name__ == "__main__":
    import sys

    for n in sys.argv[1:] or list_instances():
        i = materialise(n)
        print(n, i.data_dir or i.path)
