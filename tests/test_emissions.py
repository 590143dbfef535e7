"""CO2 per mode (KPI and optional cap) and the dutiable basis per mode, pinned by hand.

Tiny scenarios of tests/tiny.py with the origin moved onto the 106 E meridian at latitude 20,
so the international leg to the gateways (latitude 10) is 10 degrees = 1111.951 km of great
circle; one product of 1 kg; site S1 and the gateways at latitude 10, zone 02 at latitude 11
(111.1951 road km from S1, circuity 1).
"""
import pytest
from tiny import KM_PER_DEGREE, tables, write

from model import SolverOptions, load_scenario, solve

OPTS = SolverOptions(mip_rel_gap=1e-9)
INTL_KM = 10 * KM_PER_DEGREE  # 1111.951 km


def scenario(tmp_path, overrides=None, **kw):
    tabs = tables(**kw)
    tabs["origins"][["lat", "lon"]] = [20.0, 106.0]
    return load_scenario(write(tmp_path / "d", tabs), overrides=overrides)


def test_co2_kpi_counts_sea_leg_and_road_leg_per_kg(tmp_path):
    """100 bonded orders of 1 kg to zone 02: per order 1/1000 t x (1111.951 km x 0.01 + 111.1951 km
    x 0.1) = 0.022239 kg -> 2.2239 kg = 0.0022239 t a year, all on the bonded mode."""
    sc = scenario(tmp_path, {"co2.sea_kg_per_tkm": 0.01, "co2.road_kg_per_tkm": 0.1},
                  demand={"02": 100.0}, parcel_usd_per_order=500.0)
    r = solve(sc, OPTS)
    expected_t = 100 * (INTL_KM * 0.01 + KM_PER_DEGREE * 0.1) / 1000 / 1000
    k = r.summary["kpis"]
    assert r.summary["mode_share"]["bonded"] == pytest.approx(1.0)
    assert k["co2_t"] == pytest.approx(expected_t, rel=1e-6)
    assert k["co2_t_by_mode"]["bonded"] == pytest.approx(expected_t, rel=1e-6)
    assert k["co2_kg_per_order"] == pytest.approx(expected_t * 1000 / 100, rel=1e-6)
    assert r.flows["co2_t"].sum() == pytest.approx(expected_t, rel=1e-6)


def test_co2_cap_shifts_orders_to_the_cleaner_mode_at_the_computed_mix(tmp_path):
    """Zone 01 (at the site and gateways: no road km), 100 orders. Bonded by sea costs 1 (freight) + 1
    (handling) per order + 1000 fixed; direct mail by air costs 50. Sea factor 1.0, air 0.01 kg/t-km:
    e_b = 1.111951 kg, e_d = 0.01111951 kg per order; uncapped all bonded (1000 + 100 x 2 = 1200 USD, 0.1112 t).
    Cap 0.06 t: x e_b + (100 - x) e_d = 60 kg -> x = (60 - 1.111951) / (1.111951 - 0.01111951)
    = 53.4942 bonded orders; cost = 1000 + 2x + 50 (100 - x) = 6000 - 48 x = 3432.28 USD."""
    params = {"co2.sea_kg_per_tkm": 1.0, "co2.air_kg_per_tkm": 0.01}
    e_b, e_d = INTL_KM * 1.0 / 1000, INTL_KM * 0.01 / 1000
    free = solve(scenario(tmp_path / "a", params), OPTS)
    assert free.objective == pytest.approx(1200.0, rel=1e-9)
    assert free.summary["kpis"]["co2_t"] == pytest.approx(100 * e_b / 1000, rel=1e-6)

    capped = solve(scenario(tmp_path / "b", {**params, "policy.co2_cap_t": 0.06}), OPTS)
    x = (60 - 100 * e_d) / (e_b - e_d)
    assert capped.status == "optimal"
    assert capped.objective == pytest.approx(6000 - 48 * x, rel=1e-7)
    assert capped.summary["kpis"]["co2_t"] == pytest.approx(0.06, rel=1e-7)
    assert capped.summary["mode_share"]["bonded"] == pytest.approx(x / 100, rel=1e-6)


def test_direct_mail_taxed_on_declared_value_when_not_in_the_sale_price_basis(tmp_path):
    """Direct mail only (no site level), value 100, MFN 10 %, VAT 10 %, declared share 0.5:
    on the sale price tax = 10 + 110 x 10 % = 21 per order; on the declared value 50:
    5 + 55 x 10 % = 10.5 per order -> 100 orders pay 2100 and 1050."""
    kw = dict(demand={"01": 100.0}, levels=[("S1", "small", 1e6, 1e9)], mfn=0.1, vat=0.1)
    sale = solve(scenario(tmp_path / "a", {"policy.declared_value_share": 0.5}, **kw), OPTS)
    declared = solve(scenario(tmp_path / "b", {"policy.declared_value_share": 0.5,
                                               "policy.dutiable_basis": "bonded,general_trade"}, **kw), OPTS)
    assert sale.summary["cost_breakdown"]["duty_tax_cost"] == pytest.approx(2100.0, rel=1e-9)
    assert declared.summary["cost_breakdown"]["duty_tax_cost"] == pytest.approx(1050.0, rel=1e-9)
    assert declared.summary["mode_share"]["direct_mail"] == pytest.approx(1.0)


def test_bonded_taxed_on_declared_value_when_not_in_the_basis(tmp_path):
    """Bonded, 1000 orders of value 100, FTA 0, VAT 10 %, declared share 0.6: tax 6 instead of 10
    per order. Objective = 1000 fixed + 1000 x (1 freight + 1 handling + 6) = 9000, against
    1000 + 1000 x 12 = 13000 on the sale price."""
    kw = dict(demand={"01": 1000.0}, vat=0.1, parcel_usd_per_order=500.0)
    sale = solve(scenario(tmp_path / "s", {"policy.declared_value_share": 0.6}, **kw), OPTS)
    declared = solve(scenario(tmp_path / "d", {"policy.declared_value_share": 0.6,
                                               "policy.dutiable_basis": "direct_mail"}, **kw), OPTS)
    assert sale.objective == pytest.approx(13000.0, rel=1e-9)
    assert declared.objective == pytest.approx(9000.0, rel=1e-9)


def test_unknown_mode_in_dutiable_basis_is_an_error_naming_the_key(tmp_path):
    from model import ScenarioError
    with pytest.raises(ScenarioError, match="policy.dutiable_basis"):
        solve(scenario(tmp_path, {"policy.dutiable_basis": "bonded,ship"}), OPTS)


def test_sea_transit_days_cost_pipeline_capital(tmp_path):
    """Bulk sea lane of 10 days, order value 100, cost of capital 0.1, no obsolescence: the goods
    are owned in transit, 100 x 0.1 x 10 / 365 = 0.273973 USD per order of inventory_cost;
    1000 orders -> 273.97 on top of 1000 fixed + 1000 x (1 + 1) = 3000."""
    sc = scenario(tmp_path, demand={"01": 1000.0}, bulk_transit_days=10.0, parcel_usd_per_order=500.0)
    r = solve(sc, OPTS)
    assert r.summary["cost_breakdown"]["inventory_cost"] == pytest.approx(1000 * 100 * 0.1 * 10 / 365, rel=1e-9)
    assert r.objective == pytest.approx(3000 + 1000 * 100 * 0.1 * 10 / 365, rel=1e-9)
