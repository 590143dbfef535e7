"""Decision insight (model.studies): alternatives, break-even, regret, shadow prices, the hook.

Every expected value is worked out by hand in the docstrings (tiny scenarios of tests/tiny.py:
nodes on the 106 E meridian, KM_PER_DEGREE = 111.1951 km per degree of latitude, 1 kg orders,
handling 1 + bulk freight 1 = 2 USD per bonded order unless said otherwise).
"""
import json
import math
import sys
from pathlib import Path

import pytest
from tiny import KM_PER_DEGREE, tables, write

from model import SolverOptions, load_scenario, solve
from model.io.scenario import with_parameters
from model.studies import find_alternatives, find_breakeven, shadow_prices, site_regret, summarise
from model.studies.common import SiteRules

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import solve as cli  # noqa: E402  (solve.py: the command line)

EXACT = SolverOptions(mip_rel_gap=1e-9)
HOOK = f"{ROOT / 'examples' / 'one_site_per_region.py'}:at_least_one_site_per_region"


def three_sites(tmp_path, **kw):
    """Zones 01 (lat 10) and 03 (lat 12), 100 orders each; sites S1 (lat 10, fixed 100), S2
    (lat 11, fixed 150), S3 (lat 12, fixed 110); last mile 0.01 USD/kg-km, so one degree of
    last mile costs 100 x 1.111951 = 111.195 USD for 100 orders. Costs per site set (bonded
    handling + freight 400 in every case):
    {S1,S3} 210 + 400 = 610; {S1} 100 + 400 + 222.39 = 722.39; {S3} 732.39; {S1,S2,S3} 760;
    {S1,S2} 250 + 400 + 111.195 = 761.195; {S2,S3} 771.195; {S2} 150 + 400 + 222.39 = 772.39."""
    tabs = tables(demand={"01": 100, "03": 100}, sites={"S1": 10.0, "S2": 11.0, "S3": 12.0},
                  levels=[("S1", "small", 1e6, 100.0), ("S2", "small", 1e6, 150.0), ("S3", "small", 1e6, 110.0)],
                  **{"costs.last_mile_usd_per_kg_km": 0.01, **kw})
    return load_scenario(write(tmp_path / "three", tabs))


# ------------------------------------------------------------------------------ alternatives

def test_second_best_site_set_and_its_cost_are_found(tmp_path):
    """Within 20 % the ceiling is 1.2 x 610 = 732.0, so only {S1} (722.39) qualifies; {S3} at
    732.39 lies just above it. S1 is open in both sets: the robust choice."""
    found = find_alternatives(three_sites(tmp_path), EXACT, within=0.20, max_count=10)
    assert [set(r["sites"]) for r in found["rows"]] == [{"S1", "S3"}, {"S1"}]
    assert found["rows"][0]["objective"] == pytest.approx(610.0, rel=1e-9)
    assert found["rows"][1]["objective"] == pytest.approx(500 + 2 * KM_PER_DEGREE, rel=1e-9)
    assert found["rows"][1]["delta_by_term"]["fixed_cost"] == pytest.approx(-110.0)
    assert found["rows"][1]["delta_by_term"]["last_mile_cost"] == pytest.approx(2 * KM_PER_DEGREE, rel=1e-9)
    assert found["robust_sites"] == ["S1"]
    assert found["stopped"] == "no other site set within the ceiling"


@pytest.mark.parametrize("reuse", [True, False])
def test_alternatives_come_out_ranked_and_stop_at_max(tmp_path, reuse):
    """Within 30 % (ceiling 793): the next three in cost order are {S1} 722.39, {S3} 732.39 and
    {S1,S2} 761.195 (see three_sites); --max 3 stops there. {S1,S2,S3} at 760 is {S1,S3} with S2
    idle (610 + 150: S2 would serve no zone more cheaply than S1 or S3), so it is no other
    network: an alternative's open sites each carry at least MIN_USE of the demand (here 1 % of
    200 orders). The kept model and the cold re-builds find the same list."""
    found = find_alternatives(three_sites(tmp_path), EXACT, within=0.30, max_count=3, reuse=reuse)
    assert [set(r["sites"]) for r in found["rows"][1:]] == [{"S1"}, {"S3"}, {"S1", "S2"}]
    assert [r["objective"] for r in found["rows"][1:]] == pytest.approx(
        [500 + 2 * KM_PER_DEGREE, 510 + 2 * KM_PER_DEGREE, 650 + KM_PER_DEGREE], rel=1e-9)
    assert found["solves"] == 4 and found["robust_sites"] == []


# ------------------------------------------------------------------------------ break-even

def test_breakeven_of_the_tax_factor_is_found_within_tolerance(tmp_path):
    """1000 orders of value 100 USD, VAT 10 %, duty 0; one site, fixed 5000. Bonded: 5000 +
    1000 x (2 + 10 f) = 7000 + 10000 f; direct mail: 1000 x (parcel 3 + tax 10) = 13000. Equal at
    f* = 0.6: below it S1 opens and zone 01 is bonded, above it direct mail.
    Grid 0.3, 0.475, 0.65, 0.825, 1.0 (5 solves); the switch lies in [0.475, 0.65], 0.175 wide;
    halving to <= 0.01 takes ceil(log2(17.5)) = 5 solves: 10 in all."""
    sc = load_scenario(write(tmp_path / "d", tables(demand={"01": 1000}, levels=[("S1", "small", 1e6, 5000.0)],
                                                    parcel_usd_per_order=3.0, vat=0.10)))
    found = find_breakeven(sc, "policy.cbec_tax_factor", 0.3, 1.0, EXACT, tol=0.01, grid=5, workers=1)
    assert len(found["switches"]) == 1
    s = found["switches"][0]
    assert s["below"] <= 0.6 <= s["above"] and s["above"] - s["below"] <= 0.01
    assert s["change"] == {"opens": [], "closes": ["S1"], "mode_changes": {"01": ["bonded", "direct_mail"]}}
    assert [(x["below"], x["above"], x["zones"]) for x in s["shifts"]] == [("bonded", "direct_mail", ["01"])]
    assert len(s["shifts"][0]["products"]) == 1  # the one product, all of its 1000 orders, moves
    assert found["solves"] == 5 + math.ceil(math.log2(0.175 / 0.01))
    assert s["objective_below"] == pytest.approx(7000 + 10000 * s["below"], rel=1e-9)


def test_breakeven_bisects_from_a_two_point_grid(tmp_path):
    """three_sites with the last-mile rate c in [0, 0.01], grid of the two ends only. {S1} costs
    500 + 200 x 111.1951 c = 500 + 22239.02 c and {S1,S3} costs 610 whatever c (no last mile);
    the other sets cost more. The switch from {S1} to {S1,S3} is at c* = 110 / 22239.02 =
    0.0049463, and nothing else changes on the range."""
    found = find_breakeven(three_sites(tmp_path), "costs.last_mile_usd_per_kg_km", 0.0, 0.01, EXACT, tol=5e-4,
                           grid=2, workers=1)
    cstar = 110 / (200 * KM_PER_DEGREE)
    assert len(found["switches"]) == 1
    s = found["switches"][0]
    assert s["below"] <= cstar <= s["above"] and s["above"] - s["below"] <= 5e-4
    assert found["solves"] == 2 + math.ceil(math.log2(0.01 / 5e-4))
    assert s["change"]["opens"] == ["S3"] and s["change"]["closes"] == []


def test_breakeven_rejects_bad_keys_and_ranges(tmp_path, capsys):
    data = write(tmp_path / "d", tables())
    assert cli.main(["breakeven", "policy.no_such_key", "--range", "0:1", str(data)]) == 2
    assert "policy.no_such_key" in capsys.readouterr().err
    assert cli.main(["breakeven", "policy.cbec_tax_factor", "--range", "0.3-1.0", str(data)]) == 2
    assert "LO:HI" in capsys.readouterr().err
    assert cli.main(["breakeven", "policy.cbec_tax_factor", "--range", "0.5:1.5", str(data)]) == 2
    assert "policy.cbec_tax_factor" in capsys.readouterr().err  # outside [0, 1]: names the key


# ------------------------------------------------------------------------------ regret

def _regret(tmp_path, workers):
    sc = three_sites(tmp_path)
    base = solve(sc, EXACT)
    return base, site_regret(sc, EXACT, summarise(base), base.sites, workers=workers).set_index("site")


def test_forced_closed_regret_equals_the_difference_of_two_independent_solves(tmp_path):
    """Regret of closing S1 (open at the optimum {S1,S3}) against a separate solve of the same
    data with S1 force_closed in sites.csv: both give {S3} 732.39 - 610 = 122.39. Forcing S2 open
    (closed at the optimum) against force_open in sites.csv: 760 - 610 = 150. Sites closed at
    the optimum are not re-solved for forced-closed (their regret is 0), open ones not for open."""
    base, reg = _regret(tmp_path, workers=1)
    tabs = tables(demand={"01": 100, "03": 100}, sites={"S1": 10.0, "S2": 11.0, "S3": 12.0},
                  levels=[("S1", "small", 1e6, 100.0), ("S2", "small", 1e6, 150.0), ("S3", "small", 1e6, 110.0)],
                  **{"costs.last_mile_usd_per_kg_km": 0.01})
    tabs["sites"].loc[tabs["sites"]["site"] == "S1", "force_closed"] = True
    closed = solve(load_scenario(write(tmp_path / "closed", tabs)), EXACT)
    tabs["sites"]["force_closed"] = False
    tabs["sites"].loc[tabs["sites"]["site"] == "S2", "force_open"] = True
    forced = solve(load_scenario(write(tmp_path / "forced", tabs)), EXACT)
    assert reg.at["S1", "regret_closed_usd"] == pytest.approx(closed.objective - base.objective, rel=1e-9)
    assert reg.at["S1", "regret_closed_usd"] == pytest.approx(2 * KM_PER_DEGREE - 100, rel=1e-9)
    assert reg.at["S2", "regret_open_usd"] == pytest.approx(forced.objective - base.objective, rel=1e-9)
    assert reg.at["S2", "regret_open_usd"] == pytest.approx(150.0, rel=1e-9)
    assert list(reg["resolved"]) == ["closed", "open", "closed"]
    assert reg.at["S2", "regret_closed_usd"] == 0 and reg.at["S1", "regret_open_usd"] == 0


def test_regret_on_a_two_worker_dask_cluster(tmp_path):
    """The same forced solves shipped to two Dask worker processes (SiteRules and the scenario
    are pickled): closing S1 leaves {S3}, 732.39 - 610 = 122.39; closing S3 leaves {S1},
    722.39 - 610 = 112.39; forcing S2 open gives {S1,S2,S3}, 760 - 610 = 150."""
    _, reg = _regret(tmp_path, workers=2)
    assert reg.at["S1", "regret_closed_usd"] == pytest.approx(2 * KM_PER_DEGREE - 100, rel=1e-9)
    assert reg.at["S3", "regret_closed_usd"] == pytest.approx(2 * KM_PER_DEGREE - 110, rel=1e-9)
    assert reg.at["S2", "regret_open_usd"] == pytest.approx(150.0, rel=1e-9)


# ------------------------------------------------------------------------------ shadow prices

def _capacity_case(tmp_path, name, cap=500.0, orders=800.0):
    """One site (cap orders/yr, fixed 1000), ``orders`` in zone 01, direct mail 20/order: the site
    is full and the rest goes by direct mail. Objective 1000 + 2 x cap + 20 x (orders - cap)."""
    return solve(load_scenario(write(tmp_path / name, tables(demand={"01": orders}, parcel_usd_per_order=20.0,
                                                             levels=[("S1", "small", cap, 1000.0)]))), EXACT)


def test_capacity_and_demand_duals_match_finite_differences(tmp_path):
    """Capacity 500 -> 501 moves one order from direct mail (20) to the site (2): saves 18.
    Demand 800 -> 801 adds one direct-mail order: costs 20. The duals say the same."""
    base = _capacity_case(tmp_path, "base")
    assert base.objective == pytest.approx(8000.0)
    sp = shadow_prices(base)
    cap_value = float(sp["capacity"].set_index("site").at["S1", "value_usd_per_order"])
    marginal = float(sp["demand"]["marginal_usd_per_order"].iloc[0])
    more_cap = _capacity_case(tmp_path, "cap", cap=501.0)
    more_dem = _capacity_case(tmp_path, "dem", orders=801.0)
    assert cap_value == pytest.approx(base.objective - more_cap.objective, rel=1e-6)
    assert cap_value == pytest.approx(18.0, rel=1e-9)
    assert marginal == pytest.approx(more_dem.objective - base.objective, rel=1e-6)
    assert marginal == pytest.approx(20.0, rel=1e-9)
    assert sp["lp_objective"] == pytest.approx(base.objective, rel=1e-9)
    assert not any(v.fixed for v in base.model.open.values())  # the MIP is left as it was


def test_service_dual_matches_one_more_point_of_share(tmp_path):
    """1000 orders; direct mail 1 USD/order (120 h: outside the 72 h target), bonded 2 USD/order
    (36 h: clearance 24 + processing 12). service.min_share 0.5 forces 500 bonded orders:
    100 + 500 x 2 + 500 x 1 = 1600. Each point of share moves 10 orders at +1 USD: 10 USD/point."""
    def run(share, name):
        tabs = tables(demand={"01": 1000}, levels=[("S1", "small", 1e6, 100.0)], parcel_usd_per_order=1.0,
                      **{"service.min_share": share})
        return solve(load_scenario(write(tmp_path / name, tabs)), EXACT)

    base = run(0.5, "a")
    assert base.objective == pytest.approx(1600.0)
    svc = shadow_prices(base)["service"].iloc[0]
    assert svc["usd_per_point"] == pytest.approx(run(0.51, "b").objective - base.objective, rel=1e-6)
    assert svc["usd_per_point"] == pytest.approx(10.0, rel=1e-9)


# ------------------------------------------------------------------------------ hook

def _two_regions(tmp_path):
    """100 orders in zone 01 (lat 10, region N); S1 at lat 10 in province 01 (N, fixed 100), S3 at
    lat 12 in province 03 (S, fixed 110); last mile 0.01 USD/kg-km. Free choice: S1 only, 100 +
    200 = 300. With a site in each region S3 must open too: 300 + 110 = 410."""
    tabs = tables(demand={"01": 100}, sites={"S1": 10.0, "S3": 12.0},
                  levels=[("S1", "small", 1e6, 100.0), ("S3", "small", 1e6, 110.0)],
                  **{"costs.last_mile_usd_per_kg_km": 0.01})
    tabs["provinces"]["region"] = ["N", "C", "S"]
    tabs["sites"]["province"] = ["01", "03"]
    return write(tmp_path / "regions", tabs)


def test_extra_constraints_hook_from_python_and_command_line(tmp_path, capsys):
    from model.io.hooks import load_extra as load_hook  # one --extra loader for every command

    data = _two_regions(tmp_path)
    free = solve(load_scenario(data), EXACT)
    hooked = solve(load_scenario(data), EXACT, extra_constraints=load_hook(HOOK))
    assert free.objective == pytest.approx(300.0) and {s["site"] for s in free.summary["sites_opened"]} == {"S1"}
    assert hooked.objective == pytest.approx(410.0)
    assert {s["site"] for s in hooked.summary["sites_opened"]} == {"S1", "S3"}
    out = tmp_path / "out"
    assert cli.main([str(data), "--extra", HOOK, "--out", str(out), "--no-map", "--gap", "1e-9"]) == 0
    assert json.loads((out / "summary.json").read_text())["objective"] == pytest.approx(410.0)
    # the insight commands pass the hook to every re-solve: closing S3 is now infeasible
    assert cli.main(["regret", str(data), "--extra", HOOK, "--out", str(out), "--no-map", "--gap", "1e-9",
                     "--workers", "1"]) == 0
    rows = {r["site"]: r for r in json.loads((out / "summary.json").read_text())["insight"]["regret"]["rows"]}
    assert rows["S3"]["regret_closed_usd"] is None and "no solution" in rows["S3"]["note"]
    capsys.readouterr()


def test_force_of_a_site_that_cannot_open_is_a_clear_error(tmp_path):
    sc = three_sites(tmp_path)
    with pytest.raises(ValueError, match="'S9' cannot open"):
        solve(sc, EXACT, extra_constraints=SiteRules(force={"S9": 1}))
    with pytest.raises(Exception, match="policy.cbec_tax_factor"):
        with_parameters(sc, {"policy.cbec_tax_factor": 2.0})


# ------------------------------------------------------------------------------ outputs

def test_commands_accumulate_their_sections_in_report_and_map(tmp_path, capsys):
    """alternatives then regret into one folder: report.md and summary.json hold both, the map
    marks the robust site S1 and its pop-up carries the regret (122.39 rounds to USD 122)."""
    data = write(tmp_path / "three", tables(
        demand={"01": 100, "03": 100}, sites={"S1": 10.0, "S2": 11.0, "S3": 12.0},
        levels=[("S1", "small", 1e6, 100.0), ("S2", "small", 1e6, 150.0), ("S3", "small", 1e6, 110.0)],
        **{"costs.last_mile_usd_per_kg_km": 0.01}))
    out = tmp_path / "out"
    assert cli.main(["alternatives", str(data), "--within", "0.2", "--out", str(out), "--no-map",
                     "--gap", "1e-9"]) == 0
    assert cli.main(["regret", str(data), "--out", str(out), "--gap", "1e-9", "--workers", "1"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["insight"]["alternatives"]["robust_sites"] == ["S1"]
    assert {"alternatives.csv", "regret.csv", "shadow_capacity.csv"} <= {p.name for p in out.iterdir()}
    report = (out / "report.md").read_text()
    assert "## Near-optimal alternatives" in report and "## Regret of each site" in report
    assert "**Robust choices** (open in every one of these networks): S1." in report
    html = (out / "map.html").read_text()
    assert "robust: open in every near-optimal alternative" in html and "regret if closed: USD 122" in html
    capsys.readouterr()


def test_alternatives_rerank_when_the_first_solve_was_not_the_cheapest(tmp_path):
    """Pretend the first solve stopped at {S1,S2,S3} (760, as a loose gap could): the no-good cut
    then finds {S1,S3} at 610 and {S1} at 722.39. Ranked by cost: 610, 722.39, 760, and the
    differences are taken from 610; the first solve keeps its mark."""
    sc = three_sites(tmp_path)
    loose = summarise(solve(sc, EXACT, extra_constraints=SiteRules(force={"S2": 1})))
    # a loose solve's bound is below the optimum (the forced solve's own bound, 760, is not a bound
    # of the free model; the re-solves are certified by it, so it must be one)
    loose["bound"] = 600.0
    found = find_alternatives(sc, EXACT, within=0.2, max_count=2, base=loose)
    assert [r["objective"] for r in found["rows"]] == pytest.approx([610.0, 500 + 2 * KM_PER_DEGREE, 760.0])
    assert [r["base"] for r in found["rows"]] == [False, False, True]
    assert found["rows"][2]["delta_usd"] == pytest.approx(150.0)


def test_a_regime_switch_is_found_where_the_site_sets_are_a_near_tie(tmp_path):
    """As the tax-factor case above, but S1 costs 1 USD a year and a parcel 0.5 USD, so direct mail
    costs 1000 x (0.5 + 10) = 10,500 and bonded 2,001 + 10,000 f: equal at f* = 0.85. At a 1 %
    gap opening S1 idle (10,501 against 10,500) is a near-tie of site sets: the network {S1} is not
    beaten at the direct-mail end. The zone's regime still changes (bonded -> direct mail), and
    that is reported as a switch, not dropped with the near-tie."""
    sc = load_scenario(write(tmp_path / "d", tables(demand={"01": 1000}, levels=[("S1", "small", 1e6, 1.0)],
                                                    parcel_usd_per_order=0.5, vat=0.10)))
    found = find_breakeven(sc, "policy.cbec_tax_factor", 0.3, 1.0, SolverOptions(mip_rel_gap=0.01), tol=0.01,
                           grid=5, workers=1)
    assert len(found["switches"]) == 1
    s = found["switches"][0]
    assert s["change"]["mode_changes"] == {"01": ["bonded", "direct_mail"]}
    assert 0.75 <= s["below"] <= 0.86 and 0.84 <= s["above"] <= 0.95
