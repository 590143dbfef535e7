"""The benchmark generator writes valid data folders; run.py prints one complete JSON line per instance."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model import load_scenario
from model.io.tables import load_tables

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import instances  # noqa: E402
import run as bench_run  # noqa: E402


@pytest.fixture(scope="module")
def shipped_total():
    """National orders per year of the shipped demand table (the generator must keep it)."""
    return float(load_tables(ROOT / "data")["demand"]["orders_per_year"].sum())


def test_generated_province_instance_validates(tmp_path, shipped_total):
    """26 sites (24 shipped + 2 synthetic), 8 products (6 + 2 variants), 12 periods: loads and keeps demand;
    generated instances benchmark the model without SKU classes (stock.sku_classes = 0)."""
    inst = instances.materialise("province-s26-p8-t12", cache=tmp_path)
    sc = load_scenario(inst.data_dir)
    t = sc.tables
    assert len(t["provinces"]) == 34
    assert len(t["sites"]) == 26 and (t["sites"]["site_type"] == "synthetic").sum() == 2
    assert len(t["site_levels"]) == 3 * 26
    assert sc.param("stock.sku_classes") == 0 and "sku_classes" not in t
    assert len(t["products"]) == 8 and {"cosmetics_v2", "supplements_fmcg_v2"} <= set(t["products"]["product"])
    assert sc.param("periods") == 12
    assert t["demand"]["orders_per_year"].sum() == pytest.approx(shipped_total, rel=1e-9)
    # every product, variants included, has tariffs and sourcing shares summing to 1
    shares = t["sourcing"].groupby("product")["share"].sum()
    assert set(shares.index) == set(t["products"]["product"]) and np.allclose(shares, 1.0)


def test_generated_district_zones_lie_in_their_province(tmp_path, shipped_total):
    """700 synthetic zones: valid folder, each zone inside its province's polygon, demand kept per province."""
    import shapely

    inst = instances.materialise("district-s20-p6-t1", cache=tmp_path)
    sc = load_scenario(inst.data_dir)
    zones = sc.tables["provinces"]
    assert len(zones) == instances.ZONE_COUNTS["district"]
    province = zones["code"].str.split("-").str[0]
    polys = instances._main_polygons()
    inside = [shapely.contains_xy(polys[p], lon, lat) or shapely.intersects_xy(polys[p].boundary, lon, lat)
              for p, lat, lon in zip(province, zones["lat"], zones["lon"])]
    # the first zone sits at the administrative centre, which may lie just off a simplified polygon
    first = zones["code"].str.endswith("-001")
    assert all(ok for ok, f in zip(inside, first) if not f)
    d = sc.tables["demand"]
    by_prov = d.groupby(d["zone"].str.split("-").str[0])["orders_per_year"].sum()
    shipped = load_tables(ROOT / "data")["demand"].groupby("zone")["orders_per_year"].sum()
    assert np.allclose(by_prov.reindex(shipped.index).to_numpy(), shipped.to_numpy(), rtol=1e-6)
    assert set(sc.tables["sites"]["province"]) <= set(zones["code"])


def test_generation_is_reproducible(tmp_path):
    """Same name, same seed: byte-identical tables."""
    a = instances.materialise("province-s25-p6-t1", cache=tmp_path / "a").data_dir
    b = instances.materialise("province-s25-p6-t1", cache=tmp_path / "b").data_dir
    for f in sorted(a.glob("*.csv")):
        assert f.read_bytes() == (b / f.name).read_bytes(), f.name


def test_names_and_errors():
    names = instances.list_instances()
    assert "default" in names and "commune-s60-p8-t1" in names and "orlib-cap41" in names
    assert bench_run.select(["orlib-cap4*"]) == ["orlib-cap41", "orlib-cap42", "orlib-cap43", "orlib-cap44"]
    with pytest.raises(SystemExit, match="commune-s60-p8-t1"):
        bench_run.select(["communes-60"])


def test_json_line_has_every_key():
    """orlib-cap41 end to end: all keys, the published optimum reached, the floor solves the same model."""
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--instance", "orlib-cap41", "--json"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    assert len(lines) == 1
    r = lines[0]
    assert set(bench_run.KEYS) <= set(r)
    assert all(r[k] is not None for k in bench_run.KEYS)
    # cap41: 16 sites x 50 customers -> 16 binaries, 16 x 50 assignments + 16 opens
    assert (r["n_bin"], r["n_vars"]) == (16, 816)
    assert r["objective"] == pytest.approx(r["optimum"], rel=1e-6)
    assert r["floor_objective"] == pytest.approx(r["optimum"], rel=1e-6)
    assert r["total_s"] >= r["build_s"] + r["handoff_s"] + r["solve_s"] - 1e-3
    assert r["peak_rss_mb"] > 0


def test_lagrangian_json_line_reports_the_full_models_size_and_a_certified_gap():
    """--lagrangian never builds the Pyomo model, yet reports its size: province-s20-p6-t1 has
    27,708 variables and 26,464 constraints as HiGHS received them (docs/performance.md table)."""
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--instance", "province-s20-p6-t1",
                        "--lagrangian", "--json"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert p.returncode == 0, p.stderr
    r = json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][-1])
    assert (r["n_vars"], r["n_cons"], r["n_bin"]) == (27_708, 26_464, 60)
    assert r["method"] == "lagrangian" and r["floor_solve_s"] is None
    assert r["bound"] <= r["objective"] and r["gap"] <= 0.01
    assert r["gap"] == pytest.approx((r["objective"] - r["bound"]) / r["objective"])
