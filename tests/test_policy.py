"""Each policy lever pinned by a hand-computed case (tiny scenarios of tests/tiny.py).

Base case unless a docstring says otherwise: 1000 orders in zone 01 of one product worth
100 USD (1 kg), VAT 10 %, FTA duty 0, MFN duty 20 %; one site S1 in zone 01 (fixed 5000,
handling 1) fed by sea at 1 USD/kg; direct mail 3 USD per parcel. Per order:
bonded = 1 + 1 + tax(100, 0, 10 %) = 12 -> 5000 + 12000 = 17000;
direct mail = 3 + 20 + (100 + 20) x 10 % = 35 -> 35000.
"""
import math

import pytest

from model import ScenarioError, SolverOptions, load_scenario, solve
from tiny import KM_PER_DEGREE, tables, write

OPTS = SolverOptions(mip_rel_gap=1e-9)
BASE = dict(demand={"01": 1000}, levels=[("S1", "small", 1e6, 5000.0)], parcel_usd_per_order=3.0,
            mfn=0.2, fta=0.0, vat=0.1)


def run(tmp_path, overrides=None, **kw):
    args = {**BASE, **kw}
    r = solve(load_scenario(write(tmp_path / "d", tables(**args)), overrides=overrides), OPTS)
    assert r.status == "optimal"
    return r


def test_base_case_is_bonded_at_17000(tmp_path):
    r = run(tmp_path)
    assert r.objective == pytest.approx(17000.0, rel=1e-9)
    assert r.summary["mode_share"]["bonded"] == pytest.approx(1.0)


def test_cbec_tax_factor_scales_bonded_taxes(tmp_path):
    """Factor 0.7: bonded tax 0.7 x 10 = 7 per order -> 5000 + 1000 x 9 = 14000."""
    r = run(tmp_path, {"policy.cbec_tax_factor": 0.7})
    assert r.objective == pytest.approx(14000.0, rel=1e-9)
    assert r.summary["cost_breakdown"]["duty_tax_cost"] == pytest.approx(7000.0, rel=1e-9)


def test_cbec_duty_free_waives_duty_but_not_vat(tmp_path):
    """FTA duty 10 %: bonded tax = 10 + 110 x 10 % = 21 -> 5000 + 23000 = 28000; duty-free:
    tax = 100 x 10 % = 10 -> 17000."""
    assert run(tmp_path / "a", fta=0.1).objective == pytest.approx(28000.0, rel=1e-9)
    r = run(tmp_path / "b", {"policy.cbec_duty_free": 1}, fta=0.1)
    assert r.objective == pytest.approx(17000.0, rel=1e-9)


def test_order_value_cap_removes_cbec_treatment_above_it(tmp_path):
    """Cap 50 USD < order value 100: the 0.7 factor does not apply -> 17000, not 14000."""
    r = run(tmp_path, {"policy.cbec_tax_factor": 0.7, "policy.order_value_cap_usd": 50})
    assert r.objective == pytest.approx(17000.0, rel=1e-9)


def test_de_minimis_exempts_cheap_parcels(tmp_path):
    """De minimis 200 USD > value: parcels pay no tax, 3 per order -> 3000, all direct mail."""
    r = run(tmp_path, {"policy.de_minimis_usd": 200})
    assert r.objective == pytest.approx(3000.0, rel=1e-9)
    assert r.summary["mode_share"]["direct_mail"] == pytest.approx(1.0)


def test_no_eligible_zone_means_no_bonded_site(tmp_path):
    """eligible_zones = [] and no general trade: only direct mail, 35000, no site opens."""
    r = run(tmp_path, {"policy.eligible_zones": []})
    assert r.objective == pytest.approx(35000.0, rel=1e-9)
    assert r.summary["sites_opened"] == []


def test_empty_positive_list_keeps_products_out_of_bonded(tmp_path):
    r = run(tmp_path, {"policy.positive_list": []})
    assert r.objective == pytest.approx(35000.0, rel=1e-9)


def test_general_trade_pays_financing_on_duty_paid_at_entry(tmp_path):
    """73 days in stock, r = 0.1. Inventory = 100 x 0.1 x 73/365 = 2 per order for any stock mode.
    Bonded: 1 + 1 + 10 + 2 = 14 -> 19000. Without eligible zones, general trade: duty + VAT 10
    paid at entry, financed 10 x 0.1 x 73/365 = 0.2 per order -> 5000 + 14200 = 19200."""
    assert run(tmp_path / "b", {"modes.general_trade": 1}, days_in_stock=73.0).objective == \
        pytest.approx(19000.0, rel=1e-9)
    r = run(tmp_path / "g", {"modes.general_trade": 1, "policy.eligible_zones": []}, days_in_stock=73.0)
    assert r.objective == pytest.approx(19200.0, rel=1e-9)
    assert r.summary["mode_share"]["general_trade"] == pytest.approx(1.0)
    assert r.summary["cost_breakdown"]["duty_financing_cost"] == pytest.approx(200.0, rel=1e-9)
    assert r.summary["kpis"]["duties_deferred_usd"] == pytest.approx(0.0, abs=1e-9)


def test_bonded_duty_at_entry_is_financed(tmp_path):
    """policy.bonded_duty_at_sale = 0: bonded tax 10 is financed 73 days: 0.2 per order -> 19200."""
    r = run(tmp_path, {"policy.bonded_duty_at_sale": 0}, days_in_stock=73.0)
    assert r.objective == pytest.approx(19200.0, rel=1e-9)
    assert r.summary["kpis"]["duties_deferred_usd"] == pytest.approx(0.0, abs=1e-9)


def test_deferral_kpis(tmp_path):
    """Bonded, 73 days: 10000 of taxes deferred; financing saved 10000 x 0.1 x 73/365 = 200;
    working capital = 1000 orders x 100 USD x 73/365 = 20000."""
    k = run(tmp_path, days_in_stock=73.0).summary["kpis"]
    assert k["duties_deferred_usd"] == pytest.approx(10000.0, rel=1e-9)
    assert k["duty_financing_saved_usd"] == pytest.approx(200.0, rel=1e-9)
    assert k["working_capital_usd"] == pytest.approx(20000.0, rel=1e-9)


def test_cost_of_capital_raises_inventory_cost(tmp_path):
    """r = 0.2, 73 days: inventory 100 x 0.2 x 0.2 = 4 per order -> bonded 5000 + 16000 = 21000."""
    r = run(tmp_path, {"finance.cost_of_capital": 0.2}, days_in_stock=73.0)
    assert r.objective == pytest.approx(21000.0, rel=1e-9)


def test_service_share_forces_the_fast_mode(tmp_path):
    """De minimis makes direct mail cheapest (3000) but its lead time is 3 days + 48 h
    clearance = 120 h > 72 h; bonded is 24 + 12 + 0 = 36 h. With min_share 1 every order
    must go bonded: objective 17000 and lead time 36 h."""
    r = run(tmp_path, {"policy.de_minimis_usd": 200, "service.min_share": 1.0})
    assert r.objective == pytest.approx(17000.0, rel=1e-9)
    assert r.summary["kpis"]["share_within_target"] == pytest.approx(1.0)
    assert r.summary["kpis"]["lead_time_mean_hours"] == pytest.approx(36.0)


def test_service_half_share_splits_modes(tmp_path):
    """min_share 0.5: 500 orders bonded (fixed 5000 + 500 x 12) and 500 direct at 3 = 12500."""
    r = run(tmp_path, {"policy.de_minimis_usd": 200, "service.min_share": 0.5})
    assert r.objective == pytest.approx(12500.0, rel=1e-9)


def test_unreachable_service_target_is_explained_before_solving(tmp_path):
    """Bonded release 61 h + 12 h processing = 73 h > 72 h, direct mail 120 h: no path is in time."""
    with pytest.raises(ScenarioError, match="cannot be met.*01"):
        run(tmp_path, {"service.min_share": 0.5, "policy.bonded_clearance_hours": 61})


def test_single_window_cuts_clearance_fee_and_hours(tmp_path):
    """Clearance fee 2 per parcel, de minimis on, no site: direct = 3 + 2 = 5 -> 5000; the single
    window halves the fee: 4000. Direct lead time 72 + 48 = 120 h becomes 72 + 24 = 96 h."""
    over = {"policy.de_minimis_usd": 200, "costs.parcel_clearance_usd_per_order": 2, "policy.eligible_zones": []}
    a = run(tmp_path / "a", over)
    b = run(tmp_path / "b", {**over, "policy.single_window": 1})
    assert a.objective == pytest.approx(5000.0, rel=1e-9) and b.objective == pytest.approx(4000.0, rel=1e-9)
    assert a.summary["kpis"]["lead_time_mean_hours"] == pytest.approx(120.0)
    assert b.summary["kpis"]["lead_time_mean_hours"] == pytest.approx(96.0)


def test_max_sites_limits_the_network(tmp_path):
    """The two-site case of test_formulation (both open: 610) with max_sites 1: S1 only,
    100 + 400 + 100 x 2 degrees x 0.01 = 500 + 2 x KM_PER_DEGREE."""
    kw = dict(demand={"01": 100, "03": 100}, sites={"S1": 10.0, "S3": 12.0}, mfn=0.0, vat=0.0,
              levels=[("S1", "small", 1e6, 100.0), ("S3", "small", 1e6, 110.0)], parcel_usd_per_order=50.0,
              **{"costs.last_mile_usd_per_kg_km": 0.01})
    assert run(tmp_path / "a", **kw).objective == pytest.approx(610.0, rel=1e-9)
    r = run(tmp_path / "b", {"policy.max_sites": 1}, **kw)
    assert r.objective == pytest.approx(500 + 2 * KM_PER_DEGREE, rel=1e-9)


def test_list_parameter_rejects_unknown_codes(tmp_path):
    with pytest.raises(ScenarioError, match="unknown code"):
        run(tmp_path, {"policy.eligible_zones": ["01", "XX"]})


def test_set_accepts_every_declared_key_and_rejects_types():
    from model.scenario import parameter_keys

    for key, row in parameter_keys().iterrows():
        value = "*" if row["type"] == "list" else (row["default"] or row["min"] or "1")  # a value in range
        if row["type"] != "list" and not math.isfinite(float(value)):
            value = "1"
        load_scenario(overrides={key: value})
    with pytest.raises(ScenarioError, match="expects a number"):
        load_scenario(overrides={"policy.cbec_tax_factor": "high"})
    with pytest.raises(ScenarioError, match="outside"):
        load_scenario(overrides={"policy.cbec_tax_factor": 1.5})


def test_single_sourcing_forbids_splitting_a_zone_between_sites(tmp_path):
    """300 orders in zone 01, two sites of capacity 200 (fixed 10 each), 2 USD per order through
    either, direct mail 50, no taxes. Split: 20 + 300 x 2 = 620. Single sourcing: one site takes
    200 (10 + 400) and direct mail the other 100 (5000) = 5410."""
    kw = dict(demand={"01": 300}, sites={"S1": 10.0, "S3": 10.0}, mfn=0.0, vat=0.0, parcel_usd_per_order=50.0,
              levels=[("S1", "small", 200.0, 10.0), ("S3", "small", 200.0, 10.0)])
    assert run(tmp_path / "a", **kw).objective == pytest.approx(620.0, rel=1e-9)
    r = run(tmp_path / "b", {"service.single_sourcing": 1}, **kw)
    assert r.objective == pytest.approx(5410.0, rel=1e-9)
    out = r.flows[r.flows["leg"] == "outbound"]
    assert out["site"].nunique() == 1
