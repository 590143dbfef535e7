"""The monthly model (periods = 12): hand-computed pre-positioning, and agreement with the
one-period model when demand is flat and capacities do not bind."""
import pandas as pd
import pytest
from tiny import tables, write

from model import SolverOptions, load_scenario, solve

OPTS = SolverOptions(mip_rel_gap=1e-9)
BASE = dict(levels=[("S1", "small", 1e6, 5000.0)], parcel_usd_per_order=3.0, mfn=0.2, fta=0.0, vat=0.1)


def run(folder, tabs, **overrides):
    r = solve(load_scenario(write(folder, tabs), overrides=overrides), OPTS)
    assert r.status == "optimal"
    return r


@pytest.mark.parametrize("extra", [
    {},
    {"stock.monthly_reassignment": 1},
    {"modes.general_trade": 1, "policy.eligible_zones": []},   # stock held duty-paid
    {"policy.de_minimis_usd": 200},                              # direct mail wins
])
def test_flat_year_matches_the_one_period_model(tmp_path, extra):
    """Flat demand (no seasonality table: 1/12 a month), no binding capacity: the cover rule
    (stock = days_in_stock of next month's sales) gives the same holding and financing cost as
    the one-period model's average days in stock, so the objectives agree."""
    t = tables(demand={"01": 1200.0}, days_in_stock=365 / 12, **BASE)
    one = run(tmp_path / "a", t, **extra)
    twelve = run(tmp_path / "b", t, periods=12, **extra)
    assert twelve.objective == pytest.approx(one.objective, rel=1e-9)


@pytest.mark.parametrize("reroute", [0, 1])
def test_december_peak_is_pre_positioned(tmp_path, reroute):
    """1200 orders a year, 20 % in December, the rest spread evenly (80/11 % a month); one site
    of capacity 1200 a year, so it receives at most 100 orders a month. Receiving 100 every month
    and selling 1200 x 0.8 / 11 = 87.27 builds 140/11 = 12.73 orders of stock a month from January
    to November: 140 at the end of November, sold in December's 240. Stock summed over the
    months = 12.73 x (1 + ... + 11) = 840 order-months at 100 x 0.1 / 12 = 0.8333 USD each = 700.
    Objective: 5000 + 1200 x 12 + 700 = 20100."""
    t = tables(demand={"01": 1200.0}, **{**BASE, "levels": [("S1", "small", 1200.0, 5000.0)]})
    t["seasonality"] = pd.DataFrame({"month": range(1, 13), "share": [0.8 / 11] * 11 + [0.2]})
    r = run(tmp_path, t, periods=12, **{"stock.monthly_reassignment": reroute})
    assert r.objective == pytest.approx(20100.0, rel=1e-7)
    stock = r.flows[r.flows["leg"] == "stock"].set_index("month")["orders"]
    assert stock.loc[11] == pytest.approx(140.0, rel=1e-7)
    assert r.summary["cost_breakdown"]["inventory_cost"] == pytest.approx(700.0, rel=1e-7)


def test_monthly_flows_reprice_the_objective(tmp_path):
    t = tables(demand={"01": 1200.0}, days_in_stock=45.0, **{**BASE, "levels": [("S1", "small", 1200.0, 5000.0)]})
    t["seasonality"] = pd.DataFrame({"month": range(1, 13), "share": [0.8 / 11] * 11 + [0.2]})
    r = run(tmp_path, t, periods=12)
    fixed = r.sites.loc[r.sites["opened"], "fixed_cost_usd"].sum()
    assert fixed + r.flows["cost_usd"].sum() == pytest.approx(r.objective, rel=1e-9)


def test_periods_other_than_1_or_12_are_rejected(tmp_path):
    from model import ScenarioError

    with pytest.raises(ScenarioError, match="periods"):
        run(tmp_path, tables(demand={"01": 10.0}, **BASE), periods=4)


def test_monthly_rerouting_beats_the_annual_plan_by_the_hand_computed_amount(tmp_path):
    """December case with no storage (stock.storage_months = 0, so nothing is pre-positioned) and
    two free sites: S1 at the zone (capacity 1200 a year: it receives at most 100 a month) and S2
    one degree north (111.195 km, no binding capacity), last mile 2 / 111.195 USD per kg-km, so
    an order from S2 costs 2 more. December sells 240.
    Annual plan (stock.monthly_reassignment = 0): S1 serves the same share 1 - a of every month, so
    240 (1 - a) <= 100 -> a >= 7/12: S2 carries 1200 x 7/12 = 700 orders at +2:
    1200 x 12 + 1400 = 15800. Monthly re-routing: S2 serves only December's 140 extra orders:
    14400 + 280 = 14680."""
    from tiny import KM_PER_DEGREE
    t = tables(demand={"01": 1200.0}, sites={"S1": 10.0, "S2": 11.0},
               **{**BASE, "levels": [("S1", "small", 1200.0, 0.0), ("S2", "small", 1e6, 0.0)]},
               **{"costs.last_mile_usd_per_kg_km": 2 / KM_PER_DEGREE})
    t["seasonality"] = pd.DataFrame({"month": range(1, 13), "share": [0.8 / 11] * 11 + [0.2]})
    plan = run(tmp_path / "a", t, periods=12, **{"stock.storage_months": 0})
    reroute = run(tmp_path / "b", t, periods=12, **{"stock.storage_months": 0, "stock.monthly_reassignment": 1})
    assert plan.objective == pytest.approx(15800.0, rel=1e-7)
    assert reroute.objective == pytest.approx(14680.0, rel=1e-7)
    dec = reroute.flows[(reroute.flows["leg"] == "outbound") & (reroute.flows["month"] == 12)]
    assert dec.set_index("site")["orders"].to_dict() == pytest.approx({"S1": 100.0, "S2": 140.0}, rel=1e-7)
