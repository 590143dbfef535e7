"""The multi-year roll-out (model.formulation.rollout, model.studies.rollout) on hand-checkable cases.

Geometry of tests/tiny.py: zones 01 (lat 10), 02 (lat 11), 03 (lat 12) on the 106 E meridian,
111.1951 km per degree; one product of 1 kg and USD 100; the bulk lane costs USD 1 per kg, a
site's handling USD 1 per order, a parcel USD 50 per order; no taxes unless a test sets them.
"""
from __future__ import annotations

import math

import pytest

from model.inputs.rollout import crf, parse_timeline, parse_years, rollout_data
from model.io.scenario import load_scenario
from model.pipeline import solve
from model.solving.highs import SolverOptions
from model.studies.rollout import ROLLOUT_GAP, main, solve_myopic, solve_rollout
from tests.tiny import KM_PER_DEGREE, all_terms, tables, with_classes, write

EXACT = SolverOptions(mip_rel_gap=0.0)


def rollout(tmp_path, tabs, **params):
    base = {"rollout.first_year": 2026, "rollout.last_year": 2028, "rollout.demand_growth": 0,
            "rollout.discount_rate": 0.1, "rollout.bonded_setup_capex_usd": 0}
    sc = load_scenario(write(tmp_path / "data", tabs), overrides={**base, **params})
    data = rollout_data(sc)
    return data, solve_rollout(data, EXACT)


def first_year(plan, site):
    rows = plan.sites[plan.sites["site"] == site]
    return int(rows["year"].min()) if len(rows) else None


def two_sites():
    """Zones 01 and 03, 1000 orders each; S1 at zone 01, S2 at zone 03 (2 degrees apart). Serving
    a zone from the other zone's site adds 1000 x 2 x 111.1951 km x USD 0.01 per kg-km = USD
    2,223.90 a year of last mile, against the site's fixed USD 1,000: each site is worth opening
    as soon as it can."""
    return tables(demand={"01": 1000.0, "03": 1000.0}, sites={"S1": 10.0, "S2": 12.0},
                  **{"costs.last_mile_usd_per_kg_km": 0.01})


def test_budget_delays_the_second_opening_by_one_year(tmp_path):
    """Each site costs USD 100 of capex; with USD 150 a year (no carry-over) one site opens in 2026
    and the other in 2027, exactly one year late; without the budget both open in 2026."""
    data, free = rollout(tmp_path / "a", two_sites(), **{"rollout.level_capex_usd": "small:100"})
    assert sorted(first_year(free, k) for k in ("S1", "S2")) == [2026, 2026]
    data, plan = rollout(tmp_path / "b", two_sites(), **{"rollout.level_capex_usd": "small:100",
                                                         "rollout.budget_usd": 150})
    assert sorted(first_year(plan, k) for k in ("S1", "S2")) == [2026, 2027]
    assert plan.years["capex_usd"].tolist() == pytest.approx([100, 100, 0])
    # discounting, by hand: 2026 = fixed 1000 + linehaul 2000 + handling 2000 + last mile 2223.90
    # (one zone served across 2 degrees); 2027 and 2028 = 1000 x 2 + 2000 + 2000 = 6000 each
    y2026 = 5000 + 1000 * 2 * KM_PER_DEGREE * 0.01
    assert plan.years["year_cost_usd"].tolist() == pytest.approx([y2026, 6000, 6000], rel=1e-9)
    assert plan.npv == pytest.approx(y2026 + 6000 / 1.1 + 6000 / 1.1 ** 2, rel=1e-9)
    # the myopic plan cannot do better than foresight
    assert solve_myopic(data, EXACT).npv >= plan.npv - 1e-6


def test_budget_carry_over_lets_a_late_year_spend_the_savings(tmp_path):
    """USD 60 a year cannot pay a USD 100 site in any one year; carried over, 2026 + 2027 = 120 pays
    one site in 2027 and 2028's 60 + 20 left = 80 pays nothing more: one site, opening in 2027."""
    kw = {"rollout.level_capex_usd": "small:100", "rollout.budget_usd": 60}
    _, lapse = rollout(tmp_path / "a", two_sites(), **kw)
    assert lapse.sites.empty
    _, carry = rollout(tmp_path / "b", two_sites(), **kw, **{"rollout.budget_carry_over": 1})
    assert sorted(carry.sites["year"].tolist()) == [2027, 2028] and carry.sites["site"].nunique() == 1
    assert carry.years["carry_out_usd"].tolist() == pytest.approx([60, 20, 80])


def test_a_site_opened_in_year_one_stays_open_when_demand_falls(tmp_path):
    """1000 orders in 2026: the site (fixed 1000, USD 2 an order) beats parcels (USD 50) by USD 47,000.
    In 2027 demand falls to 10 orders: alone, that year sends them by parcel (USD 500 < 1000 + 20);
    the roll-out keeps the site open (it may not close) and uses it: 1000 + 10 x 2 = 1020."""
    tabs = tables(demand={"01": 1000.0})
    data, plan = rollout(tmp_path, tabs, **{"rollout.last_year": 2027,
                                            "rollout.timeline": ["2027:demand.growth=0.01"]})
    assert plan.sites["year"].tolist() == [2026, 2027]
    assert plan.years["year_cost_usd"].tolist() == pytest.approx([1000 + 2000, 1000 + 20], rel=1e-9)
    alone = solve(data.scenarios[2027], EXACT)
    assert alone.objective == pytest.approx(500, rel=1e-9) and not alone.sites["opened"].any()


def test_a_policy_date_holds_bonded_stock_back_until_its_year(tmp_path):
    """No zone may hold bonded stock until 2027 (policy.eligible_zones empty, then 01 from 2027;
    general trade off): 2026 goes by parcel (1000 x 50), the site opens in 2027 (1000 + 2000)."""
    tabs = tables(demand={"01": 1000.0})
    data, plan = rollout(tmp_path, tabs, **{"policy.eligible_zones": "",
                                            "rollout.timeline": ["2027:policy.eligible_zones=01"]})
    assert first_year(plan, "S1") == 2027
    assert plan.years["share_bonded"].tolist() == pytest.approx([0, 1, 1])
    assert plan.years["year_cost_usd"].tolist() == pytest.approx([50000, 3000, 3000], rel=1e-9)
    assert set(plan.sites.loc[plan.sites["year"] >= 2027, "regimes_held"]) == {"bonded"}


def test_discounting_and_the_fence_annuity(tmp_path):
    """One site, 1000 orders, compliance USD 200 a year, a bonded fence of USD 1000 annualised over 10
    years at 10 %: CRF = 0.1 / (1 - 1.1^-10) = 0.162745, USD 162.75 a year, counted in each year of
    the horizon the fence is held (never the years after it). Year cost = fixed 1000 + compliance
    200 + linehaul 1000 + handling 1000 + 162.75 = 3362.75; NPV over 2026-2027 = 3362.75 x (1 + 1/1.1)
    = 6419.79. The fence's capex (USD 1000) is paid in 2026 in cash, not added to the NPV."""
    tabs = tables(demand={"01": 1000.0}, levels=[("S1", "small", 1e6, 1000.0, 200.0)])
    data, plan = rollout(tmp_path, tabs, **{"rollout.last_year": 2027, "rollout.bonded_setup_capex_usd": 1000,
                                            "rollout.asset_life_years": 10, "rollout.level_capex_usd": "*"})
    a = 1000 * 0.1 / (1 - 1.1 ** -10)
    assert crf(0.1, 10) == pytest.approx(0.1627453948, rel=1e-9)
    assert plan.years["fence_annuity_usd"].tolist() == pytest.approx([a, a], rel=1e-9)
    assert plan.years["capex_usd"].tolist() == pytest.approx([1000, 0])
    assert plan.npv == pytest.approx((3200 + a) * (1 + 1 / 1.1), rel=1e-9)
    assert plan.npv == pytest.approx(6419.79, abs=0.01)


def test_capacity_is_carried_over_from_year_to_year(tmp_path):
    """Small holds 600 orders (fixed 100, capex 100), large 2000 (fixed 300, capex 1000). Demand 1500,
    then 500 (2027), then 1500 (2028). The site is built large in 2026 and stays large: 2028's 1500
    orders go through the large capacity built two years earlier, and its capex is paid once (USD
    1000 in 2026, nothing after). (Without carrying the level over, 2027 would step down to small,
    USD 200 cheaper, and 2028 pay USD 900 again.)"""
    tabs = tables(demand={"01": 1500.0}, levels=[("S1", "small", 600.0, 100.0), ("S1", "large", 2000.0, 300.0)])
    _, plan = rollout(tmp_path, tabs, **{"rollout.level_capex_usd": "small:100,large:1000",
                                         "rollout.timeline": ["2027:demand.growth=0.333333333333",
                                                              "2028:demand.growth=1"]})
    assert plan.sites["level"].tolist() == ["large"] * 3
    assert plan.sites["capex_usd"].tolist() == pytest.approx([1000, 0, 0])
    assert plan.sites["throughput_orders"].tolist() == pytest.approx([1500, 500, 1500], rel=1e-6)
    assert plan.sites["change"].tolist() == ["open", "", ""]


def test_earliest_year_and_opening_limit(tmp_path):
    """S2 may not open before 2028; at most one opening a year: S1 in 2026, S2 in 2028."""
    _, plan = rollout(tmp_path, two_sites(), **{"rollout.earliest_year": "S2:2028",
                                                "rollout.max_openings_per_year": 1})
    assert (first_year(plan, "S1"), first_year(plan, "S2")) == (2026, 2028)


def test_years_agree_with_one_year_solves_when_nothing_binds(tmp_path):
    """Every cost term and SKU-class pools on, demand the same each year, no budget, no fence capex:
    each year of the roll-out costs what a one-year solve of that year's scenario costs."""
    tabs = with_classes(all_terms(demand={"01": 1000.0, "03": 400.0}, sites={"S1": 10.0, "S2": 12.0}))
    data, plan = rollout(tmp_path, tabs, **{"stock.sku_classes": 1})
    for t, cost in zip(plan.years["year"], plan.years["year_cost_usd"]):
        alone = solve(data.scenarios[t], EXACT)
        assert cost == pytest.approx(alone.objective, rel=1e-7), t


def test_timeline_and_years_parsing():
    assert parse_years("2026-2030") == (2026, 2030) and parse_years("2027") == (2027, 2027)
    with pytest.raises(ValueError, match="FIRST-LAST"):
        parse_years("soon")
    assert parse_timeline(["2029:policy.eligible_zones=*", "2027:policy.vat_rate=0.1"])[0][0] == 2027
    from model.core.errors import ScenarioError

    with pytest.raises(ScenarioError, match="YEAR:KEY=VALUE"):
        parse_timeline(["policy.vat_rate=0.1"])


def test_rollout_command_writes_its_files(tmp_path, capsys):
    folder = write(tmp_path / "data", two_sites())
    out = tmp_path / "out"
    rc = main([str(folder), "--years", "2026-2027", "--budget-usd", "150", "--out", str(out), "--no-map",
               "--set", "rollout.level_capex_usd=small:100", "--set", "rollout.demand_growth=0"])
    assert rc == 0
    for name in ("rollout.csv", "years.csv", "summary.json", "report.md", "rollout.png"):
        assert (out / name).is_file(), name
    import json

    s = json.loads((out / "summary.json").read_text())
    assert s["years"] == [2026, 2027] and math.isclose(s["cost_of_myopia_usd"], 0.0, abs_tol=1e-6)
    assert "2027" in (out / "report.md").read_text()


@pytest.mark.slow
def test_pilot_rollout_on_the_shipped_data_keeps_bonded_to_the_pilot_zones():
    """The pilot scenario's timeline: bonded stock only in zones 01, 48, 79 before the national
    date, at sites of the allowed types, and no site ever steps down or closes."""
    sc = load_scenario("scenarios/cbec-pilot-2027.toml")
    data = rollout_data(sc)
    plan = solve_rollout(data, SolverOptions(mip_rel_gap=ROLLOUT_GAP))
    national = min(y for y, k, v in data.timeline if k == "policy.eligible_zones" and v == "*")
    sites = sc.tables["sites"].set_index("site")
    df = plan.sites
    bonded = df[df["regimes_held"].str.contains("bonded")]
    early = bonded[bonded["year"] < national]
    assert len(early) and set(sites.loc[early["site"], "province"]) <= {"01", "48", "79"}
    allowed = set(sc.param("policy.cbec_bonded_site_types"))
    assert set(sites.loc[bonded["site"], "site_type"]) <= allowed
    rank = dict(zip(zip(data.levels["site"], data.levels["level"]), data.levels["rank"]))
    for k, rows in df.sort_values("year").groupby("site"):
        ranks = [rank[(k, lv)] for lv in rows["level"]]
        assert ranks == sorted(ranks) and rows["year"].tolist() == list(range(rows["year"].min(), data.years[-1] + 1))


def test_every_rollout_component_is_in_the_doc(tmp_path):
    """docs/formulation.md's roll-out table names every component the roll-out adds to its years'
    blocks (the blocks themselves are the one-period model, checked by test_formulation_doc)."""
    import re
    from pathlib import Path

    import pyomo.environ as pyo

    from model.formulation.rollout import create_rollout_model

    tabs = tables(demand={"01": 1000.0}, levels=[("S1", "small", 1e6, 1000.0, 200.0)])
    sc = load_scenario(write(tmp_path / "d", tabs), overrides={
        "rollout.first_year": 2026, "rollout.last_year": 2027, "rollout.budget_usd": 1e6,
        "rollout.budget_carry_over": 1, "rollout.max_openings_per_year": 1, "rollout.earliest_year": "S1:2027"})
    m = create_rollout_model(rollout_data(sc))
    names = {c.local_name for kind in (pyo.Set, pyo.Var, pyo.Expression, pyo.Constraint, pyo.Objective)
             for c in m.component_objects(kind, descend_into=False) if not c.local_name.endswith("_index")}
    text = Path(__file__).resolve().parents[1].joinpath("docs", "formulation.md").read_text(encoding="utf-8")
    section = text.split("## Roll-out over several years", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Za-z_]\w*)(?:\[[^`]*\])?`", section))
    assert names and not sorted(names - documented)
