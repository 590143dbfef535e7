"""python solve.py --method lagrangian | auto (model/methods/lagrangian_run.py): the exact path's files from
the Lagrangian plan, its invariants, and the refusals.

Tiny case (tests/tiny.py): zones 01, 02, 03 at lat 10, 11, 12 with 300, 100 and 100 orders of a
1-kg product; S1 at lat 10 (200 orders, fixed 100 USD), S2 at lat 12 (150 orders, fixed 3000).
A stocked order costs 2 USD next door + 1.111951 per degree; direct mail 50 USD + the last mile
from lat 10; the unmet penalty is 51 USD, so zones 02 and 03 are dearer by direct mail than
unserved. Both sites open and are full: 70 % stocked, 20 % direct mail (zone 01), 10 % unmet.
"""
import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
from tiny import tables, write

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("solve_cli", ROOT / "solve.py")
solve_cli = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solve_cli)

FILES = ("summary.json", "sites.csv", "flows.csv", "report.md", "results.xlsx", "map.png", "map.html",
         "sites.geojson", "flows.geojson")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write(tmp_path_factory.mktemp("lag") / "tiny", tables(
        demand={"01": 300.0, "02": 100.0, "03": 100.0}, sites={"S1": 10.0, "S2": 12.0},
        levels=[("S1", "small", 200.0, 100.0), ("S2", "small", 150.0, 3000.0)],
        **{"costs.last_mile_usd_per_kg_km": 0.01, "costs.unmet_penalty_usd_per_order": 51}), with_geometry=True)


def run(*args) -> int:
    return solve_cli.main([str(a) for a in args])


@pytest.fixture(scope="module")
def lagrangian_run(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("lag_out") / "out"
    assert run("--data", data, "--method", "lagrangian", "--gap", "1e-5", "--out", out, "--quiet") == 0
    return out


def read(out):
    summary = json.loads((out / "summary.json").read_text())
    sites = pd.read_csv(out / "sites.csv", dtype={"zone": str, "province": str})
    flows = pd.read_csv(out / "flows.csv", dtype={"zone": str}, keep_default_na=False,
                        na_values={"km": [""], "lead_hours": [""]})
    return summary, sites, flows


def test_writes_the_exact_paths_files_with_a_certified_gap(lagrangian_run):
    out = lagrangian_run
    for name in FILES:
        assert (out / name).is_file(), name
    s, sites, flows = read(out)
    assert s["method"] == "lagrangian" and s["status"] == "optimal"
    assert s["bound"] <= s["objective"] * (1 + 1e-12)
    assert 0.0 <= s["gap"] <= 1e-5 == s["solver"]["mip_rel_gap"]
    assert s["gap"] == pytest.approx((s["objective"] - s["bound"]) / s["objective"], abs=1e-12)
    assert s["full_model_size"]["built"] is False and s["full_model_size"]["binaries"] == 2
    assert "model_size" not in s and s["iterations"] >= 0 and s["seconds"]["total"] > 0
    assert s["mode_share"]["bonded"] == pytest.approx(0.7) and s["mode_share"]["direct_mail"] == pytest.approx(0.2)
    assert s["unmet_share"] == pytest.approx(0.1)
    assert sorted(x["site"] for x in s["sites_opened"]) == ["S1", "S2"]
    report = (out / "report.md").read_text()
    assert "Lagrangian method" in report and "certified gap" in report and "never built" in report
    for scope in ("service.min_share", "policy.co2_cap_t", "service.single_sourcing", "stock.sku_classes"):
        assert scope in report
    # the same columns as the exact path's tables
    assert list(flows.columns)[:8] == ["mode", "leg", "origin", "gateway", "site", "site_name", "zone", "zone_name"]
    assert {"opened", "level", "capacity_orders", "throughput_orders", "fixed_cost_usd"} <= set(sites.columns)


def test_flows_re_price_to_the_plans_cost_and_meet_demand_and_capacity(lagrangian_run):
    s, sites, flows = read(lagrangian_run)
    opened = sites[sites["opened"]]
    repriced = flows["cost_usd"].sum() + opened["fixed_cost_usd"].sum() + opened["compliance_cost_usd"].sum()
    assert repriced == pytest.approx(s["objective"], rel=1e-9)
    assert sum(s["cost_breakdown"].values()) == pytest.approx(s["objective"], rel=1e-9)
    serving = flows[flows["leg"].isin(["outbound", "parcel", "unmet"])].groupby("zone")["orders"].sum()
    assert serving.to_dict() == pytest.approx({"01": 300.0, "02": 100.0, "03": 100.0})
    legs = flows.groupby(["leg", "site"])["orders"].sum()
    for r in opened.itertuples():
        assert legs["inbound", r.site] == pytest.approx(legs["outbound", r.site])  # site_flow_balance
        assert r.throughput_orders <= r.capacity_orders * (1 + 1e-9)


def test_plan_is_within_its_certified_gap_of_the_exact_optimum(data, lagrangian_run, tmp_path):
    assert run("--data", data, "--gap", "0", "--out", tmp_path / "exact", "--no-map", "--quiet") == 0
    exact = json.loads((tmp_path / "exact" / "summary.json").read_text())
    lag = json.loads((lagrangian_run / "summary.json").read_text())
    assert exact["method"] == "exact" and exact["status"] == "optimal"
    opt = exact["objective"]
    assert lag["bound"] <= opt * (1 + 1e-9)                       # a lower bound on the full model
    assert lag["objective"] - opt <= lag["gap"] * lag["objective"] + 1e-9 * opt  # within its certified gap
    assert lag["objective"] >= opt * (1 - 1e-9)                   # and a feasible plan of it


def test_what_the_method_does_not_model_is_refused_by_name_before_any_work(data, tmp_path, capsys):
    out = tmp_path / "out"
    code = run("--data", data, "--method", "lagrangian", "--out", out, "--set", "service.min_share=0.5",
               "--set", "policy.co2_cap_t=100", "--set", "service.single_sourcing=1", "--robustness", "2")
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    lines = err.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("error: ") for line in lines)
    for name, fix in (("service.min_share = 0.5", "set service.min_share = 0"),
                      ("policy.co2_cap_t = 100", "set policy.co2_cap_t = inf"),
                      ("service.single_sourcing = 1", "set service.single_sourcing = 0"),
                      ("--robustness 2", "drop --robustness")):
        assert any(name in line and fix in line for line in lines), name
    assert run("--data", data, "--method", "lagrangian", "--out", out, "--set", "periods=12") == 2
    assert "periods = 12" in capsys.readouterr().err
    assert run("alternatives", "--data", data, "--method", "lagrangian") == 2
    assert "has no --method" in capsys.readouterr().err
    # the shipped data has SKU classes on
    assert run("--method", "lagrangian", "--out", out) == 2
    assert "set stock.sku_classes = 0" in capsys.readouterr().err and not out.exists()


def test_auto_takes_the_lagrangian_method_above_its_threshold_only(data, tmp_path, capsys, monkeypatch):
    from model.methods import lagrangian_run as lagr

    assert run("--data", data, "--method", "auto", "--out", tmp_path / "small", "--no-map", "--quiet") == 0
    assert "--method auto: exact" in capsys.readouterr().out
    assert json.loads((tmp_path / "small" / "summary.json").read_text())["method"] == "exact"
    monkeypatch.setattr(lagr, "AUTO_VARIABLES", 10)  # the tiny model (16 variables) counts as large
    assert run("--data", data, "--method", "auto", "--gap", "1e-5", "--out", tmp_path / "large", "--no-map",
               "--quiet") == 0
    assert "--method auto: lagrangian" in capsys.readouterr().out
    assert json.loads((tmp_path / "large" / "summary.json").read_text())["method"] == "lagrangian"
    # out of the method's scope: exact, saying why
    assert run("--data", data, "--method", "auto", "--set", "service.min_share=0.5", "--out", tmp_path / "scope",
               "--no-map", "--quiet") == 0
    printed = capsys.readouterr().out
    assert "--method auto: exact" in printed and "service.min_share" in printed


def test_a_gap_not_reached_is_said_not_called_optimal(tmp_path, capsys):
    """S2 dear (fixed 20000, 1e6 orders) and S1 small: the plan (S1 alone, 15,700 USD) is the
    optimum, but the subgradient steps leave the bound about 13 % below it, short of 1e-6."""
    data = write(tmp_path / "d", tables(
        demand={"01": 300.0, "02": 100.0, "03": 100.0}, sites={"S1": 10.0, "S2": 12.0},
        levels=[("S1", "small", 200.0, 100.0), ("S2", "small", 1e6, 20000.0)],
        **{"costs.last_mile_usd_per_kg_km": 0.01, "costs.unmet_penalty_usd_per_order": 51}))
    out = tmp_path / "out"
    assert run("--data", data, "--method", "lagrangian", "--gap", "1e-6", "--out", out, "--no-map", "--quiet") == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["status"] == "gap_not_met" and s["gap"] > 1e-6
    assert s["objective"] == pytest.approx(15700.0) and s["bound"] < s["objective"]
    assert "not proven optimal (gap_not_met)" in capsys.readouterr().err
    report = (out / "report.md").read_text()
    assert "Not proven: the Lagrangian method" in report and "Warning: this plan is not proven good" in report


def test_status_is_optimal_only_within_the_asked_gap():
    from types import SimpleNamespace

    from model.methods.lagrangian_run import status_of

    def lag(gap, seconds):
        return SimpleNamespace(gap=gap, seconds={"total": seconds})

    assert status_of(lag(0.004, 50.0), 0.01, None) == "optimal"
    assert status_of(lag(0.02, 60.0), 0.01, 60.0) == "time_limit"
    assert status_of(lag(0.02, 5.0), 0.01, 60.0) == "gap_not_met"
    assert status_of(lag(0.02, 5.0), 0.01, None) == "gap_not_met"
