"""The two-stage stochastic model (model/stochastic), on tiny scenarios of tests/tiny.py.

Tiny per-order costs (one product worth 100 USD, 1 kg, no duty or VAT unless a test sets
them; zero fixed cost unless stated): stock = 1 (sea freight 1 USD/kg), sale from stock =
1 (handling), direct mail = 50 (parcel), dead stock = dead_stock_loss x 100.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny import tables, with_classes, write

from model import DataError, SolverOptions, load_scenario, solve
from model.network.roads import scenario_road_distances
from model.solving.highs import DEFAULT_GAP
from model.stochastic import (
    build_data,
    build_model,
    cvar,
    generate_scenarios,
    read_scenarios_csv,
    solve_plan,
    value_of_information,
)
from model.stochastic.twostage import STOCH_TERMS

ROOT = Path(__file__).resolve().parents[1]
EXACT = SolverOptions(mip_rel_gap=1e-9)


def scenario_csv(path, demands, rates=None, zone="01"):
    rates = rates or [25000.0] * len(demands)
    pd.DataFrame({"scenario": [f"d{i}" for i in range(len(demands))], "zone": zone, "product": "P1",
                  "orders_per_year": demands, "usd_vnd": rates}).to_csv(path, index=False)
    return path


def data_for(folder, overrides=None, csv=None):
    sc = load_scenario(folder, overrides=overrides)
    scen = read_scenarios_csv(sc, csv) if csv else generate_scenarios(sc)
    return sc, build_data(sc, scenario_road_distances(sc), scen)


def test_newsvendor_critical_fractile(tmp_path):
    """One site (free to open), one product, one zone; demand 10, 20, ..., 100 equally likely.

    Underage (an order short: direct mail instead of stock + handling) Cu = 50 - (1 + 1) = 48;
    overage (an order unsold: its freight + dead stock 0.1 x 100) Co = 1 + 10 = 11.
    Critical fractile Cu / (Cu + Co) = 48 / 59 = 0.814: F(80) = 0.8 < 0.814 <= F(90) = 0.9,
    so stock S* = 90. Expected cost at 90: freight 90 + handling E[min(D, 90)] = 54
    + direct mail 50 x E[(D - 90)+] = 50 x 1 + dead stock 10 x E[(90 - D)+] = 10 x 36 -> 554.
    """
    folder = write(tmp_path / "d", tables(levels=[("S1", "small", 1e6, 0.0)]))
    csv = scenario_csv(tmp_path / "s.csv", [10.0 * i for i in range(1, 11)])
    _, data = data_for(folder, {"uncertainty.dead_stock_loss": 0.1}, csv)
    r = solve_plan(data, EXACT)
    assert r.report.status == "optimal"
    assert r.stock["stock_orders"].sum() == pytest.approx(90.0, abs=1e-6)
    assert r.objective == pytest.approx(554.0, rel=1e-9)


def test_cost_terms_add_up_and_fx_scales_what_is_paid_after_the_sale(tmp_path):
    """Scenario costs by term sum to the model's own scenario cost; direct mail (50 USD parcel, no tax)
    at a rate 10 % above plan costs 1.1 x 50 + 0.1 x 100 (goods bought at the day's rate) = 65 per order."""
    folder = write(tmp_path / "d", tables(levels=[("S1", "small", 1e6, 0.0)], bulk_usd_per_kg=1000.0))
    csv = scenario_csv(tmp_path / "s.csv", [100.0, 100.0], rates=[25000.0, 27500.0])
    _, data = data_for(folder, None, csv)
    m = build_model(data)
    from model.solving.highs import solve_model
    from model.stochastic.analysis import scenario_table
    assert solve_model(m, EXACT).status == "optimal"
    table, _ = scenario_table(m, data, data.scenarios.names)
    for s, row in table.set_index("scenario").iterrows():
        assert sum(row[t] for t in STOCH_TERMS) == pytest.approx(m.scenario_cost[s](), rel=1e-9)
    assert table["total_cost"].tolist() == pytest.approx([100 * 50.0, 100 * 65.0], rel=1e-9)


@pytest.mark.parametrize("kw,overrides", [
    (dict(demand={"01": 100.0, "03": 60.0}, sites={"S1": 10.0, "S2": 12.0}, days_in_stock=30, vat=0.1, mfn=0.2),
     {}),
    (dict(demand={"01": 100.0, "02": 40.0}, sites={"S1": 10.0, "S2": 11.5}, days_in_stock=45, vat=0.1, fta=0.05,
          mfn=0.2, parcel_usd_per_order=12.0),
     {"modes.general_trade": 1, "policy.bonded_duty_at_sale": 0, "finance.cost_of_capital": 0.2}),
])
def test_zero_volatility_equals_the_deterministic_model(tmp_path, kw, overrides):
    """CV 0 and no FX shock: every scenario is the forecast, so the two-stage optimum equals the
    deterministic optimum (stock = sales), and VSS = EVPI = 0."""
    folder = write(tmp_path / "d", tables(**kw))
    ov = {**overrides, "uncertainty.demand_cv": 0.0, "uncertainty.fx_sigma": 0.0, "uncertainty.scenarios": 4}
    det = solve(load_scenario(folder, overrides=ov), EXACT)
    _, data = data_for(folder, ov)
    vi = value_of_information(data, EXACT, workers=1)
    assert vi["rp_value"] == pytest.approx(det.objective, rel=1e-9)
    assert vi["vss"] == pytest.approx(0.0, abs=1e-6 * det.objective)
    assert vi["evpi"] == pytest.approx(0.0, abs=1e-6 * det.objective)
    assert vi["best"].scenarios["dead_stock_orders"].max() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("seed,weight", [(1, 0.0), (2, 0.0), (3, 0.5)])
def test_vss_and_evpi_are_never_negative(tmp_path, seed, weight):
    """Random demand (CV 0.5) and rate (10 %): WS <= RP <= EEV for the mean and for mean-CVaR."""
    folder = write(tmp_path / "d", tables(demand={"01": 100.0, "02": 80.0, "03": 50.0},
                                          sites={"S1": 10.0, "S2": 12.0},
                                          levels=[("S1", "small", 1e6, 300.0), ("S2", "small", 1e6, 200.0)],
                                          days_in_stock=30, vat=0.1, mfn=0.2, parcel_usd_per_order=8.0))
    ov = {"uncertainty.demand_cv": 0.5, "uncertainty.fx_sigma": 0.1, "uncertainty.scenarios": 6,
          "uncertainty.seed": seed, "risk.weight": weight}
    _, data = data_for(folder, ov)
    vi = value_of_information(data, EXACT, workers=1)
    assert vi["vss"] >= 0.0 and vi["evpi"] >= 0.0
    assert vi["ws_value"] <= vi["rp_value"] <= vi["eev_value"]


def test_cvar_by_hand():
    """Costs 1, 2, 3, 4 equally likely: CVaR_0.5 = (3 + 4) / 2 = 3.5; CVaR_0.6 = (0.25 x 4 + 0.15 x 3) / 0.4 = 3.625."""
    assert cvar([1, 2, 3, 4], [0.25] * 4, 0.5) == pytest.approx(3.5)
    assert cvar([4, 1, 3, 2], [0.25] * 4, 0.6) == pytest.approx(3.625)


def test_cvar_weight_buys_less_tail_risk(tmp_path):
    """The mean-CVaR plan's CVaR is no worse than the risk-neutral plan's, its mean no better."""
    folder = write(tmp_path / "d", tables(levels=[("S1", "small", 1e6, 0.0)], parcel_usd_per_order=20.0))
    csv = scenario_csv(tmp_path / "s.csv", [20.0, 60.0, 100.0, 140.0, 180.0])
    out = {}
    for w in (0.0, 0.9):
        _, data = data_for(folder, {"risk.weight": w, "risk.alpha": 0.8}, csv)
        t = solve_plan(data, EXACT).scenarios
        out[w] = (t["total_cost"].mean(), cvar(t["total_cost"], t["probability"], 0.8))
    assert out[0.9][1] <= out[0.0][1] + 1e-9
    assert out[0.9][0] >= out[0.0][0] - 1e-9


def test_generated_scenarios_are_reproducible_with_the_stated_mean_and_cv(tmp_path):
    """Lognormal with mean = forecast and CV as stated: over 4000 draws the sample mean of one zone is
    within 4 standard errors (CV / sqrt(n) = 0.3 / 63 = 0.47 %) of the forecast; same seed, same draws."""
    folder = write(tmp_path / "d", tables(demand={"01": 100.0, "02": 50.0}))
    sc = load_scenario(folder, overrides={"uncertainty.demand_cv": 0.3, "uncertainty.fx_sigma": 0.05})
    a = generate_scenarios(sc, n=4000, seed=7)
    b = generate_scenarios(sc, n=4000, seed=7)
    pd.testing.assert_frame_equal(a.demand, b.demand)
    d1 = a.demand[a.demand["zone"] == "01"]["orders"]
    assert abs(d1.mean() / 100.0 - 1) < 4 * 0.3 / np.sqrt(4000)
    assert d1.std() / d1.mean() == pytest.approx(0.3, rel=0.1)
    assert abs(a.fx.mean() - 1) < 4 * 0.05 / np.sqrt(4000)


def test_bad_scenario_csv_names_file_row_and_column(tmp_path):
    folder = write(tmp_path / "d", tables())
    sc = load_scenario(folder)
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"scenario": ["a", "a", "b"], "zone": ["01", "99", "01"], "product": ["P1", "P1", "P1"],
                  "orders_per_year": [10, 5, -1], "usd_vnd": [25000, 26000, 25000]}).to_csv(bad, index=False)
    with pytest.raises(DataError) as e:
        read_scenarios_csv(sc, bad)
    text = "\n".join(e.value.lines())
    assert "bad.csv, row 3, column 'zone'" in text
    assert "bad.csv, row 4, column 'orders_per_year'" in text
    assert "column 'usd_vnd'" in text and "one usd_vnd per scenario" in text


def test_unsupported_settings_are_a_clear_error(tmp_path):
    from model import ScenarioError

    folder = write(tmp_path / "d", tables())
    with pytest.raises(ScenarioError, match="service.min_share"):
        data_for(folder, {"service.min_share": 0.5})


def test_cli_stochastic_writes_report_with_vss_evpi(tmp_path):
    folder = write(tmp_path / "d", tables(demand={"01": 100.0, "02": 50.0}, sites={"S1": 10.0, "S2": 12.0},
                                          parcel_usd_per_order=8.0))
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, str(ROOT / "solve.py"), str(folder), "--stochastic", "--out", str(out),
                        "--set", "uncertainty.scenarios=5", "--gap", "1e-9"],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["value_of_stochastic_solution"] >= 0 and s["expected_value_of_perfect_information"] >= 0
    report = (out / "report.md").read_text()
    assert "Value of the stochastic solution" in report and "perfect information" in report
    assert len(pd.read_csv(out / "scenarios.csv")) == 5


def test_cli_stochastic_bad_override_exits_2(tmp_path):
    folder = write(tmp_path / "d", tables())
    r = subprocess.run([sys.executable, str(ROOT / "solve.py"), str(folder), "--stochastic", "--out",
                        str(tmp_path / "o"), "--set", "uncertainty.demand_cv_by_product=P1:lots"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 2 and "uncertainty.demand_cv_by_product" in r.stderr


def _mpi_missing() -> str | None:
    if shutil.which("mpiexec") is None:
        return "no mpiexec on PATH (OpenMPI: apt-get install openmpi-bin libopenmpi-dev)"
    try:
        import mpi4py  # noqa: F401
        import mpisppy  # noqa: F401
    except ImportError as exc:
        return f"mpi-sppy or mpi4py not installed (pip install -e '.[mpi]'): {exc}"
    return None


def _run_sppy(tmp_path, folder, *args) -> dict:
    """``mpiexec -n 2 python -m model.stochastic.sppy`` on ``folder``; its summary.json."""
    out = tmp_path / "sppy"
    root_flags = ["--allow-run-as-root", "--oversubscribe"]
    cmd = ["mpiexec", *root_flags, "-n", "2", sys.executable, "-m", "model.stochastic.sppy", "--num-scens", "6",
           "--scenario", str(folder), "--set", "uncertainty.demand_cv=0.4", *args, "--out", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT,
                       env={**__import__("os").environ, "OMPI_ALLOW_RUN_AS_ROOT": "1",
                            "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"})
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return json.loads((out / "summary.json").read_text())


def _sppy_folder(tmp_path):
    return write(tmp_path / "d", tables(demand={"01": 100.0, "02": 80.0, "03": 50.0},
                                        sites={"S1": 10.0, "S2": 12.0},
                                        levels=[("S1", "small", 1e6, 300.0), ("S2", "small", 1e6, 200.0)],
                                        parcel_usd_per_order=8.0))


@pytest.mark.skipif(_mpi_missing() is not None, reason=str(_mpi_missing()))
def test_mpisppy_agrees_with_the_extensive_form_within_its_gap(tmp_path):
    """PH + Lagrangian on 2 ranks: lower bound <= EF optimum <= upper bound (the evaluated plan),
    so the two agree within the reported gap."""
    folder = _sppy_folder(tmp_path)
    _, data = data_for(folder, {"uncertainty.demand_cv": 0.4, "uncertainty.scenarios": 6})
    ef = solve_plan(data, EXACT).objective
    s = _run_sppy(tmp_path, folder, "--max-iterations", "30", "--subproblem-gap", "1e-9")
    assert s["lower_bound"] <= ef * (1 + 1e-6)
    assert ef <= s["upper_bound"] * (1 + 1e-6)
    assert s["upper_bound"] - s["lower_bound"] == pytest.approx(s["gap"] * abs(s["upper_bound"]), rel=1e-6)


@pytest.mark.skipif(_mpi_missing() is not None, reason=str(_mpi_missing()))
def test_mpisppy_plan_after_iteration_0_is_the_consensus_of_the_scenario_solutions(tmp_path):
    """With no PH iteration after the first scenario solves, the plan is still their consensus:
    direct mail costs 8 USD/order against a few cents' fixed cost per order, so every scenario
    opens a site, and so must the rounded plan (it once opened none: PH forms xbar only in its
    iterations, and the plan read a zero xbar)."""
    folder = _sppy_folder(tmp_path)
    _, data = data_for(folder, {"uncertainty.demand_cv": 0.4, "uncertainty.scenarios": 6})
    ef = solve_plan(data, EXACT)
    ef_sites = sorted(k for (k, _), v in ef.first_stage["open"].items() if v > 0.5)
    s = _run_sppy(tmp_path, folder, "--max-iterations", "0", "--subproblem-gap", "1e-9")
    assert sorted(r["site"] for r in s["sites_opened"]) == ef_sites != []
    assert ef.objective <= s["upper_bound"] * (1 + 1e-6)


def test_a_plan_a_hair_over_capacity_is_scaled_to_fit_when_fixed(tmp_path):
    """Site S1 holds 1e8 orders; a plan read back with 1e8 x (1 + 1e-9) in stock (solver
    tolerance) would make the fixed model infeasible. Fixed, the stock is (1 - 1e-9) x 1e8 and
    the evaluation solves: demand 5e7 in both scenarios, so 5e7 sold and the rest dead stock."""
    folder = write(tmp_path / "d", tables(levels=[("S1", "small", 1e8, 0.0)]))
    csv = scenario_csv(tmp_path / "s.csv", [5e7, 5e7])
    _, data = data_for(folder, {"uncertainty.dead_stock_loss": 0.1}, csv)
    key = next(iter(build_model(data).STOCK))
    plan = {"open": {("S1", "small"): 1}, "stock": {key: 1e8 * (1 + 1e-9)}}
    r = solve_plan(data, EXACT, first_stage=plan)
    assert r.report.status == "optimal"
    assert r.stock["stock_orders"].sum() == pytest.approx(1e8 * (1 - 1e-9), rel=1e-12)
    assert r.stock["mean_sold_orders"].sum() == pytest.approx(5e7, rel=1e-9)


@pytest.mark.slow
def test_stochastic_at_zero_volatility_is_the_plain_solve_on_the_shipped_default(tmp_path):
    """The shipped default (SKU classes on: 18 items, pooled stock priced on the classes' curves),
    ``python solve.py`` and ``python solve.py --stochastic`` with no demand or exchange-rate shock
    (demand CV 0, FX sigma 0; two identical scenarios) and every site allowed to serve every zone
    (uncertainty.sites_per_zone = the 24 candidate sites: then the two problems are the same). Both
    stop at the default gap, so neither value is exact; each is a plan of the other problem, so
    each model's incumbent must lie above the other's proven bound, and the two within the gap."""
    def run(out, *extra):
        r = subprocess.run([sys.executable, str(ROOT / "solve.py"), "--out", str(out), "--no-map", *extra],
                           capture_output=True, text=True, timeout=600, cwd=ROOT)
        assert r.returncode == 0, r.stderr
        return json.loads((out / "summary.json").read_text())

    sites = len(pd.read_csv(ROOT / "data" / "sites.csv"))
    plain = run(tmp_path / "plain")
    stoch = run(tmp_path / "stoch", "--stochastic", "--set", "uncertainty.demand_cv=0", "--set",
                "uncertainty.fx_sigma=0", "--set", "uncertainty.scenarios=2", "--set",
                f"uncertainty.sites_per_zone={sites}")
    assert stoch["expected_cost_breakdown"]["stock_cost"] > 0  # the classes' pools are priced
    assert stoch["expected_cost_breakdown"]["dead_stock_cost"] == pytest.approx(0.0, abs=1e-3)
    tol = 1e-9 * plain["objective"]
    assert stoch["objective"] >= plain["bound"] - tol and plain["objective"] >= stoch["bound"] - tol
    assert abs(stoch["objective"] - plain["objective"]) <= DEFAULT_GAP * plain["objective"]  # both runs' gap


def test_newsvendor_with_a_pooled_sku_class_stocks_above_the_forecast(tmp_path):
    """test_newsvendor_critical_fractile with P1 as one pooled SKU class (origin '*') whose pool
    costs nothing (cost of capital 0, leftovers salvaged at full value, no returns): the same
    S* = 90 and expected cost 554.
    The forecast in demand.csv is 50 orders, so the class's one-period pool spans (0, 50]; the
    two-stage pools must span the largest scenario (100), or the stock would be capped at 50."""
    t = with_classes(tables(demand={"01": 50.0}, levels=[("S1", "small", 1e6, 0.0)],
                            **{"finance.cost_of_capital": 0.0, "stock.salvage_share": 1.0}), return_rate=0.0)
    folder = write(tmp_path / "d", t)
    csv = scenario_csv(tmp_path / "s.csv", [10.0 * i for i in range(1, 11)])
    _, data = data_for(folder, {"uncertainty.dead_stock_loss": 0.1}, csv)
    assert data.inputs.stock_segments["hi"].max() == pytest.approx(50.0)
    r = solve_plan(data, EXACT)
    assert r.report.status == "optimal"
    assert set(r.stock["origin"]) == {"*"} and set(r.stock["product"]) == {"P1:all_skus"}
    assert r.stock["stock_orders"].sum() == pytest.approx(90.0, abs=1e-6)
    assert r.objective == pytest.approx(554.0, rel=1e-9)
