"""Policy sweeps (model/studies/sweep.py) on tiny hand-checkable scenarios.

The tiny scenario ``_data``: one zone (01) with ``100 x demand.growth`` orders of a 1 kg, 100 USD
product; one site S1 (fixed cost 1000 USD/yr, handling 1 USD/order); bulk line-haul 1 USD/kg;
duty: FTA 0, MFN 10 %, VAT 10 %. Per order, bonded costs 1 (line-haul) + 1 (handling) + f x 10
(CBEC tax factor f times VAT on 100 USD; duty and VAT paid at the sale, so no financing), direct
mail 50 + 10 + 11 = 71. Bonded always wins, so the optimum is

    objective(f, growth) = 1000 + 100 x growth x (2 + 10 f)   USD/year, site S1 open.
"""
import json
import shutil

import pandas as pd
import pytest
import tiny

from model import load_scenario
from model.solving.highs import SolverOptions
from model.studies import sweep

EXACT = SolverOptions(mip_rel_gap=0.0)


def expected_objective(f: float, growth: float = 1.0) -> float:
    return 1000.0 + 100.0 * growth * (2.0 + 10.0 * f)


@pytest.fixture
def data(tmp_path):
    return tiny.write(tmp_path / "tiny", tiny.tables(mfn=0.1, fta=0.0, vat=0.1, bulk_usd_per_kg=1.0,
                                                    parcel_usd_per_order=50.0, handling=1.0))


def test_grid_specs_values_ranges_lists_and_errors():
    assert sweep.parse_grid_spec("policy.cbec_tax_factor=0.5:1:0.25") == (
        "policy.cbec_tax_factor",
        ["0.5", "0.75", "1"],
    )
    # 0.1 + 2 x 0.1 is 0.30000000000000004 in floats: the value is written without the noise
    assert sweep.parse_grid_spec("finance.cost_of_capital=0.1:0.3:0.1")[1] == ["0.1", "0.2", "0.3"]
    assert sweep.parse_grid_spec("policy.eligible_zones=01,79|01|*")[1] == ["01,79", "01", "*"]
    pts = sweep.grid_points(["policy.cbec_tax_factor=0.5,1", "demand.growth=1,2,3"])
    assert len(pts) == 6 and pts[0] == {"policy.cbec_tax_factor": "0.5", "demand.growth": "1"}
    assert pts[1]["demand.growth"] == "2"  # the first key varies slowest
    for bad, words in [("policy.nope=1,2", "unknown parameter 'policy.nope'"), ("demand.growth", "expected KEY="),
                       ("demand.growth=2:1:0.5", "STOP >= START"), ("demand.growth=1,1", "repeated")]:
        with pytest.raises(ValueError, match=words):
            sweep.grid_points([bad])


def test_point_values_are_applied_exactly_like_set(data):
    """A point's scenario has the same input hash as load_scenario(..., overrides=...) (what --set does)."""
    base = load_scenario(data)
    point = {"policy.cbec_tax_factor": "0.7", "policy.eligible_zones": "01,02"}
    assert sweep.point_scenario(base, point).input_hash() == load_scenario(data, overrides=point).input_hash()
    assert sweep.point_scenario(base, point).input_hash() != base.input_hash()


def test_sweep_on_a_local_cluster_of_two_workers(data, tmp_path):
    out = tmp_path / "sw"
    pts = sweep.grid_points(["policy.cbec_tax_factor=0.5,1", "demand.growth=1,2"])
    o = sweep.run_sweep(load_scenario(data), pts, out, EXACT, workers=2, quiet=True)
    assert (o.solved, o.cached, o.failed) == (4, 0, 0)
    table = pd.read_csv(out / "points.csv", dtype={"sites_opened": str})
    assert len(table) == 4 and set(table["status"]) == {"optimal"}
    for _, r in table.iterrows():
        want = expected_objective(r["policy.cbec_tax_factor"], r["demand.growth"])
        assert r["objective"] == pytest.approx(want, rel=1e-9)
        assert r["sites_opened"] == "S1:small" and r["n_sites"] == 1
    # each cost term is a column and they add up to the objective
    from model.io.terms import TERMS
    assert (table[list(TERMS)].sum(axis=1) - table["objective"]).abs().max() < 1e-6
    assert pd.read_parquet(out / "points.parquet")["objective"].tolist() == table["objective"].tolist()
    sites = pd.read_csv(out / "sites_by_point.csv", keep_default_na=False)
    assert len(sites) == 4 and set(sites["site"]) == {"S1"} and set(sites["level"]) == {"small"}
    for png in ("plot_policy_cbec_tax_factor.png", "plot_demand_growth.png", "sites_heatmap.png"):
        assert (out / png).stat().st_size > 1000 and f"]({png})" in (out / "sweep.md").read_text()


def test_rerun_reads_the_cache_and_resumes_after_deleting_one_point(data, tmp_path, monkeypatch):
    out = tmp_path / "sw"
    base = load_scenario(data)
    pts = sweep.grid_points(["policy.cbec_tax_factor=0.5,0.75,1"])
    first = sweep.run_sweep(base, pts, out, EXACT, workers=1, quiet=True, plots=False)  # plots: the test above
    solved = []
    real = sweep.solve_point
    monkeypatch.setattr(sweep, "solve_point", lambda job, start=None: solved.append(job.point) or real(job, start))
    again = sweep.run_sweep(base, pts, out, EXACT, workers=1, quiet=True, plots=False)
    assert solved == [] and again.cached == 3
    shutil.rmtree(out / "points" / first.points["point"][1])
    resumed = sweep.run_sweep(base, pts, out, EXACT, workers=1, quiet=True, plots=False)
    assert solved == [{"policy.cbec_tax_factor": "0.75"}] and resumed.cached == 2
    assert resumed.points["objective"].tolist() == pytest.approx([expected_objective(f) for f in (0.5, 0.75, 1.0)])
    # other solver options or a warm start are other inputs: another key, nothing reused
    h = base.input_hash()
    assert len({sweep.point_key(h, EXACT), sweep.point_key(h, SolverOptions(mip_rel_gap=1e-6)),
                sweep.point_key(h, EXACT, warm_start=True), sweep.point_key(h, SolverOptions(mip_rel_gap=0.0))}) == 3


def test_failing_points_are_recorded_with_their_reason_and_the_rest_finish(data, tmp_path):
    """Two ways to fail: a value outside its range (never solved) and a point that raises in the
    solve (a service share no network can meet: lead times exceed the 1-hour target)."""
    out = tmp_path / "sw"
    with open(tmp_path / "points.csv", "w") as f:
        f.write("policy.cbec_tax_factor,service.min_share,service.target_hours\n0.5,,\n1.5,,\n1,0.9,1\n1,,\n")
    rc = sweep.main([str(data), "--points", str(tmp_path / "points.csv"), "--out", str(out), "--workers", "1",
                     "--gap", "0", "--quiet", "--no-plots"])
    assert rc == 1  # some points failed; the tables are still written
    t = pd.read_csv(out / "points.csv", keep_default_na=False)
    assert t["status"].tolist() == ["optimal", "failed", "failed", "optimal"]
    assert "policy.cbec_tax_factor" in t["error"][1] and "outside [0, 1]" in t["error"][1]
    assert "ScenarioError" in t["error"][2] and t["error"][2] != t["error"][1]
    assert [float(t["objective"][0]), float(t["objective"][3])] == pytest.approx(
        [expected_objective(0.5), expected_objective(1.0)])
    failed = [json.loads(p.read_text()) for p in (out / "points").glob("*/failed.json")]
    assert len(failed) == 2 and all(f["status"] == "failed" and f["error"] for f in failed)
    assert "## Failed points" in (out / "sweep.md").read_text()


def test_warm_started_chain_gives_the_hand_computed_optima(data, tmp_path):
    """--warm-start: points along the last key in one job, each from the previous point's sites."""
    pts = sweep.grid_points(["demand.growth=1,2", "policy.cbec_tax_factor=0.5,0.75,1"])
    o = sweep.run_sweep(load_scenario(data), pts, tmp_path / "sw", EXACT, workers=1, warm_start=True, quiet=True,
                        plots=False)
    t = o.points
    assert t["objective"].tolist() == pytest.approx(
        [expected_objective(f, g) for g in (1, 2) for f in (0.5, 0.75, 1.0)])
    # the first point of each chain starts cold, the next ones from their neighbour
    assert t["warm_started"].tolist() == [False, True, True, False, True, True]


def test_cli_bad_grid_is_exit_2(data, tmp_path, capsys):
    assert sweep.main([str(data), "--grid", "policy.nope=1,2", "--out", str(tmp_path / "x")]) == 2
    assert "unknown parameter 'policy.nope'" in capsys.readouterr().err
    assert sweep.main([str(data), "--out", str(tmp_path / "x")]) == 2


def test_warm_start_chains_split_at_finished_points():
    """Chains run along the last key; a finished (cached) point splits a chain and starts the rest."""
    pts = sweep.grid_points(["demand.growth=1,2", "policy.cbec_tax_factor=0,0.5,1"])
    keys = [f"k{i}" for i in range(6)]
    todo = {k: sweep.PointJob(k, p, None, EXACT) for k, p in zip(keys, pts) if k != "k1"}  # k1 is cached
    chains = sweep._chains(list(zip(pts, keys)), todo, list(pts[0]))
    assert [([j.key for j in c], before) for c, before in chains] == [
        (["k0"], None), (["k2"], "k1"), (["k3", "k4", "k5"], None)]


def test_the_plot_never_shows_a_swept_parameter_against_itself(tmp_path):
    """Sweeping policy.order_value_cap_usd, whose key ends like a USD KPI, with a KPI column that repeats
    it: neither is plotted (a line y = x); the total cost, the sites and a constant KPI are."""
    from matplotlib.image import imread

    table = pd.DataFrame({"point": ["a", "b", "c"], "status": ["optimal"] * 3,
                          "policy.order_value_cap_usd": [100.0, 200.0, 300.0],
                          "order_value_cap_usd": [100.0, 200.0, 300.0],  # a KPI that repeats the parameter
                          "objective": [5.0, 4.0, 4.5], "n_sites": [1, 2, 2],
                          "duties_and_vat_paid_usd": [1.0, 1.0, 1.0]})  # constant: a real metric, kept
    varied = ["policy.order_value_cap_usd"]
    assert sweep.plot_metrics(table, varied) == ["objective", "n_sites", "duties_and_vat_paid_usd"]
    caption = sweep.write_parameter_plot(table, varied[0], varied, tmp_path / "plot.png")
    assert caption.startswith("Total cost and KPIs against policy.order_value_cap_usd")
    assert imread(tmp_path / "plot.png").shape[1] == 3 * 5 * 110  # three panels wide
