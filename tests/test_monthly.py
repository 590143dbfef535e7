"""The monthly model (periods = 12): hand-computed pre-positioning, and agreement with the
one-period model when demand is flat and capacities do not bind."""
import pandas as pd
import pytest

from model import SolverOptions, load_scenario, solve
from tiny import tables, write

OPTS = SolverOptions(mip_rel_gap=1e-9)
BASE = dict(levels=[("S1", "small", 1e6, 5000.0)], parcel_usd_per_order=3.0, mfn=0.2, fta=0.0, vat=0.1)


def run(folder, tabs, **overrides):
    r = solve(load_scenario(write(folder, tabs), overrides=overrides), OPTS)
    assert r.status == "optimal"
    return r


@pytest.mark.parametrize("extra", [
    {},
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


def test_december_peak_is_pre_positioned(tmp_path):
    """1200 orders a year, 20 % in December, the rest spread evenly (80/11 % a month); one site
    of capacity 1200 a year, so it receives at most 100 orders a month. Receiving 100 every month
    and selling 1200 x 0.8 / 11 = 87.27 builds 140/11 = 12.73 orders of stock a month from January
    to November: 140 at the end of November, sold in December's 240. Stock summed over the
    months = 12.73 x (1 + ... + 11) = 840 order-months at 100 x 0.1 / 12 = 0.8333 USD each = 700.
    Objective: 5000 + 1200 x 12 + 700 = 20100."""
    t = tables(demand={"01": 1200.0}, **{**BASE, "levels": [("S1", "small", 1200.0, 5000.0)]})
    t["seasonality"] = pd.DataFrame({"month": range(1, 13), "share": [0.8 / 11] * 11 + [0.2]})
    r = run(tmp_path, t, periods=12)
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
