"""Each policy lever pinned by a hand-computed case (tiny scenarios of tests/tiny.py).

Base case unless a docstring says otherwise: 1000 orders in zone 01 of one product worth
100 USD (1 kg), VAT 10 %, FTA duty 0, MFN duty 20 %; one site S1 in zone 01 (fixed 5000,
handling 1) fed by sea at 1 USD/kg; direct mail 3 USD per parcel. Per order:
bonded = 1 + 1 + tax(100, 0, 10 %) = 12 -> 5000 + 12000 = 17000;
direct mail = 3 + 20 + (100 + 20) x 10 % = 35 -> 35000.
"""
import math

import pytest
from tiny import KM_PER_DEGREE, tables, write

from model import ScenarioError, SolverOptions, load_scenario, solve

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


def test_cbec_duty_factor_scales_duty_only(tmp_path):
    """FTA duty 10 %: bonded tax = 10 + 110 x 10 % = 21 -> 5000 + 23000 = 28000; duty factor 0:
    tax = 100 x 10 % = 10 -> 17000; factor 0.5: duty 5 + VAT 105 x 10 % = 15.5 -> 22500."""
    assert run(tmp_path / "a", fta=0.1).objective == pytest.approx(28000.0, rel=1e-9)
    assert run(tmp_path / "b", {"policy.cbec_duty_factor": 0}, fta=0.1).objective == pytest.approx(17000.0, rel=1e-9)
    assert run(tmp_path / "c", {"policy.cbec_duty_factor": 0.5}, fta=0.1).objective == pytest.approx(22500.0, rel=1e-9)


def test_cbec_tax_factor_scales_vat_only(tmp_path):
    """FTA duty 10 %, factor 0.7: duty 10 stays, VAT 110 x 10 % x 0.7 = 7.7 -> tax 17.7 per order ->
    5000 + 1000 x 19.7 = 24700 (a factor on duty + VAT would give 0.7 x 21 = 14.7 -> 21700)."""
    r = run(tmp_path, {"policy.cbec_tax_factor": 0.7}, fta=0.1)
    assert r.objective == pytest.approx(24700.0, rel=1e-9)
    assert r.summary["kpis"]["tax_revenue_usd"]["duty"] == pytest.approx(10000.0, rel=1e-9)
    assert r.summary["kpis"]["tax_revenue_usd"]["vat"] == pytest.approx(7700.0, rel=1e-9)


def test_vat_rate_overrides_every_tariff_row(tmp_path):
    """policy.vat_rate 0.13 over tariffs.csv's 10 %: bonded tax 13 -> 5000 + 15000 = 20000; the
    effective tax rate is 13 / 100 = 0.13, at the CBEC factor 0.7 it is 0.091 (China's 9.1 %)."""
    r = run(tmp_path / "a", {"policy.vat_rate": 0.13})
    assert r.objective == pytest.approx(20000.0, rel=1e-9)
    assert r.summary["kpis"]["effective_tax_rate"]["by_regime"]["bonded"] == pytest.approx(0.13, rel=1e-9)
    r = run(tmp_path / "b", {"policy.vat_rate": 0.13, "policy.cbec_tax_factor": 0.7})
    assert r.summary["kpis"]["effective_tax_rate"]["overall"] == pytest.approx(0.091, rel=1e-9)


def test_parcel_fta_under_the_origin_proof_waiver(tmp_path):
    """No site (only parcels). MFN 20 %: 3 + 20 + 12 = 35 -> 35000. policy.parcel_fta with the
    waiver at 100 USD (= the value, 'not exceeding'): FTA duty 0 -> 3 + 10 = 13 -> 13000; a waiver
    threshold just below the value: MFN again -> 35000."""
    over = {"policy.eligible_zones": [], "policy.parcel_fta": 1}
    assert run(tmp_path / "a", {"policy.eligible_zones": []}).objective == pytest.approx(35000.0, rel=1e-9)
    assert run(tmp_path / "b", {**over, "policy.origin_waiver_usd": 100}).objective == pytest.approx(13000.0, rel=1e-9)
    assert run(tmp_path / "c", {**over, "policy.origin_waiver_usd": 99.99}).objective == pytest.approx(
        35000.0, rel=1e-9
    )


def test_duty_de_minimis_exempts_duty_not_vat(tmp_path):
    """No site; express parcels at or below 100 USD duty-free: 3 + 0 + 100 x 10 % = 13 -> 13000."""
    r = run(tmp_path, {"policy.eligible_zones": [], "policy.duty_de_minimis_usd": 100})
    assert r.objective == pytest.approx(13000.0, rel=1e-9)
    assert r.summary["kpis"]["tax_revenue_usd"]["duty"] == pytest.approx(0.0, abs=1e-9)


def test_cbec_direct_purchase_gives_parcels_the_cbec_rates(tmp_path):
    """China-like factors (duty 0, VAT 0.7): a CBEC direct-purchase parcel costs 3 + 0.7 x 10 = 10 per
    order -> 10000, cheaper than bonded (5000 + 1000 x 9 = 14000); without the lever parcels pay MFN."""
    over = {"policy.cbec_tax_factor": 0.7, "policy.cbec_duty_factor": 0}
    assert run(tmp_path / "a", over).objective == pytest.approx(14000.0, rel=1e-9)
    r = run(tmp_path / "b", {**over, "policy.cbec_direct_purchase": 1})
    assert r.objective == pytest.approx(10000.0, rel=1e-9)
    assert r.summary["mode_share"]["cbec_direct"] == pytest.approx(1.0)


def test_order_value_cap_removes_cbec_treatment_above_it(tmp_path):
    """Cap 50 USD < order value 100: the 0.7 factor does not apply -> 17000, not 14000."""
    r = run(tmp_path, {"policy.cbec_tax_factor": 0.7, "policy.order_value_cap_usd": 50})
    assert r.objective == pytest.approx(17000.0, rel=1e-9)


def test_de_minimis_exempts_cheap_parcels(tmp_path):
    """De minimis 200 USD > value: parcels pay no tax, 3 per order -> 3000, all direct mail."""
    r = run(tmp_path, {"policy.de_minimis_usd": 200})
    assert r.objective == pytest.approx(3000.0, rel=1e-9)
    assert r.summary["mode_share"]["direct_mail"] == pytest.approx(1.0)


def test_de_minimis_includes_the_threshold(tmp_path):
    """Decision 78/2010 exempted consignments of 'VND 1 M or less': a 100 USD parcel at a 100 USD
    threshold pays nothing -> 3000 (a strict '<' would tax it: bonded 17000)."""
    assert run(tmp_path, {"policy.de_minimis_usd": 100}).objective == pytest.approx(3000.0, rel=1e-9)


def test_no_eligible_zone_means_no_bonded_site(tmp_path):
    """eligible_zones = [] and no general trade: only direct mail, 35000, no site opens."""
    r = run(tmp_path, {"policy.eligible_zones": []})
    assert r.objective == pytest.approx(35000.0, rel=1e-9)
    assert r.summary["sites_opened"] == []


def test_empty_positive_list_keeps_products_out_of_bonded(tmp_path):
    r = run(tmp_path, {"policy.positive_list": []})
    assert r.objective == pytest.approx(35000.0, rel=1e-9)


def test_general_trade_duty_on_customs_value_and_vat_credited(tmp_path):
    """73 days in stock, r = 0.1, FTA duty 10 %, customs value 0.7 x 100 = 70; inventory 100 x 0.1 x
    73/365 = 2 per order for any stock mode. Bonded (taxed at sale on the price): 1 + 1 + 10 + 110 x
    10 % + 2 = 25 -> 30000. General trade (no bonded site): duty 70 x 10 % = 7 financed 73 days
    (7 x 0.1 x 0.2 = 0.14), import VAT 77 x 10 % = 7.7 credited after 20 days (7.7 x 0.1 x 20/365),
    VAT kept by the state = output VAT 100 x 10 % = 10 -> 5000 + 1000 x (1 + 1 + 7 + 10 + 2) + 140 +
    1000 x 7.7 x 0.1 x 20/365 = 26182.19: general trade wins when both are allowed."""
    over = {"policy.dutiable_basis": ["bonded", "direct_mail"], "finance.vat_credit_days": 20,
            "policy.declared_value_share": 0.7}
    assert run(tmp_path / "b", over, days_in_stock=73.0, fta=0.1).objective == pytest.approx(30000.0, rel=1e-9)
    over["modes.general_trade"] = 1
    r = run(tmp_path / "g", over, days_in_stock=73.0, fta=0.1)
    financing = 1000 * (7 * 0.1 * 73 / 365 + 7.7 * 0.1 * 20 / 365)
    assert r.objective == pytest.approx(5000 + 1000 * (1 + 1 + 7 + 10 + 2) + financing, rel=1e-9)
    assert r.summary["mode_share"]["general_trade"] == pytest.approx(1.0)
    assert r.summary["cost_breakdown"]["duty_financing_cost"] == pytest.approx(financing, rel=1e-9)
    assert r.summary["kpis"]["duties_deferred_usd"] == pytest.approx(0.0, abs=1e-9)
    rev = r.summary["kpis"]["tax_revenue_usd"]
    assert rev["at_entry"] == pytest.approx(1000 * (7 + 7.7), rel=1e-9)  # gross of the later credit
    assert rev["at_sale"] == pytest.approx(1000 * (17 - 14.7), rel=1e-9)


def test_bonded_premium_and_compliance_only_on_bonded(tmp_path):
    """Days 0, no duty. Bonded: 1 + 1 + 10 = 12 -> 17000. General trade: the same 12 plus import VAT
    70 x 10 % financed 35 days (0.0671) -> 17067.1, so bonded wins by the deferral alone. A bonded
    release premium of 0.5 per order, or a bonded compliance cost of 2000 a year at the site, flips it
    to general trade, whose cost does not change (17067.1): neither is charged to general trade."""
    gt = 5000 + 1000 * (12 + 7 * 0.1 * 35 / 365)
    over = {"modes.general_trade": 1, "policy.dutiable_basis": ["bonded", "direct_mail"], "finance.vat_credit_days": 35}
    r = run(tmp_path / "a", over)
    assert r.objective == pytest.approx(17000.0, rel=1e-9) and r.summary["mode_share"]["bonded"] == pytest.approx(1.0)
    r = run(tmp_path / "b", {**over, "costs.bonded_release_usd_per_order": 0.5})
    assert r.objective == pytest.approx(gt, rel=1e-9) and r.summary["mode_share"]["general_trade"] == pytest.approx(1.0)
    r = run(tmp_path / "c", over, levels=[("S1", "small", 1e6, 5000.0, 2000.0)])
    assert r.objective == pytest.approx(gt, rel=1e-9) and r.summary["cost_breakdown"]["compliance_cost"] == 0.0
    r = run(tmp_path / "d", {"finance.vat_credit_days": 35}, levels=[("S1", "small", 1e6, 5000.0, 2000.0)])
    assert r.objective == pytest.approx(19000.0, rel=1e-9)  # bonded only: it pays the compliance
    assert r.summary["cost_breakdown"]["compliance_cost"] == pytest.approx(2000.0)


def test_bonded_duty_at_entry_is_financed(tmp_path):
    """policy.bonded_duty_at_sale = 0: bonded tax 10 is financed 73 days: 0.2 per order -> 19200."""
    r = run(tmp_path, {"policy.bonded_duty_at_sale": 0}, days_in_stock=73.0)
    assert r.objective == pytest.approx(19200.0, rel=1e-9)
    assert r.summary["kpis"]["duties_deferred_usd"] == pytest.approx(0.0, abs=1e-9)


def test_bonded_paid_at_entry_uses_the_cbec_tax_on_the_haul_too(tmp_path):
    """Site one degree north of the gateway: the haul takes 111.195 km / 50 km/h = 2.2239 h. Paid at
    entry with CBEC factor 0.7, the tax 7 is financed over 73 days + the haul:
    1000 x 7 x 0.1 x (73 + 2.2239 / 24) / 365 (the full tax 10 on the haul would add 0.076)."""
    r = run(tmp_path, {"policy.bonded_duty_at_sale": 0, "policy.cbec_tax_factor": 0.7}, days_in_stock=73.0,
            sites={"S1": 11.0})
    haul_days = KM_PER_DEGREE / 50 / 24
    assert r.summary["cost_breakdown"]["duty_financing_cost"] == pytest.approx(
        1000 * 7 * 0.1 * (73 + haul_days) / 365, rel=1e-9)


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
    from model.io.scenario import parameter_keys

    keys = parameter_keys()
    overrides = {}
    for key, row in keys.iterrows():
        value = "*" if row["type"] == "list" else (row["default"] or row["min"] or "1")  # a value in range
        if row["type"] == "optional number" and value == "none":
            value = "0.1"
        if row["type"] != "list" and not math.isfinite(float(value)):
            value = "1"
        overrides[key] = value
    # one load (of the shipped data) for all of them: load_scenario checks each override on its own
    sc = load_scenario(overrides=overrides)
    assert set(sc.overrides) == set(keys.index)
    for key, value in overrides.items():
        if keys.at[key, "type"] in ("number", "integer", "optional number"):
            assert sc.param(key) == float(value), key
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


def test_lead_time_by_regime_includes_the_route_it_does_not_use(tmp_path):
    """Base case, all bonded: bonded carries 1000 orders at 24 h release + 12 h processing = 1.5 days;
    direct mail carries nothing, yet its best route is reported: 3 days + 48 h clearance = 5 days."""
    k = run(tmp_path).summary["kpis"]["lead_time_days_by_mode"]
    assert k["bonded"]["carried"]["mean"] == pytest.approx(1.5) and k["bonded"]["carried"]["orders"] == 1000
    assert k["direct_mail"]["carried"] is None
    assert k["direct_mail"]["best_route"]["mean"] == pytest.approx(5.0)
    assert k["direct_mail"]["best_route"]["coverage"] == pytest.approx(1.0)


def test_regime_costs_per_order_name_the_cheapest(tmp_path):
    """Base case: bonded 1 + 1 + 10 = 12 USD per order (fixed cost left out), direct mail 35."""
    rows = run(tmp_path).summary["regime_costs_usd_per_order"]
    assert len(rows) == 1 and rows[0]["cheapest"] == "bonded"
    assert rows[0]["bonded"] == pytest.approx(12.0) and rows[0]["direct_mail"] == pytest.approx(35.0)


def test_waiting_cost_lets_the_faster_regime_win_where_it_is_worth_it(tmp_path):
    """De minimis 200: a parcel costs 3 (no tax) against bonded 12 + 5 per order of fixed cost, so
    parcels win (3000). A day of waiting costing 10 % of the 100 USD value: bonded waits 36 h (1.5
    days: +15 per order), the parcel 120 h (5 days: +50): bonded 5000 + 1000 x 27 = 32000 against
    53000 for parcels, so bonded wins; the waiting_cost term is 15000."""
    over = {"policy.de_minimis_usd": 200}
    r = run(tmp_path / "a", over)
    assert r.objective == pytest.approx(3000.0, rel=1e-9) and r.summary["mode_share"]["direct_mail"] == 1.0
    r = run(tmp_path / "b", {**over, "service.waiting_cost_share_per_day": 0.1})
    assert r.objective == pytest.approx(32000.0, rel=1e-9) and r.summary["mode_share"]["bonded"] == 1.0
    assert r.summary["cost_breakdown"]["waiting_cost"] == pytest.approx(15000.0, rel=1e-9)
    r = run(tmp_path / "c", {**over, "service.waiting_cost_by_product": ["P1:0.1"]})
    assert r.objective == pytest.approx(32000.0, rel=1e-9)  # the same share, given per product


def test_lead_time_is_built_end_to_end(tmp_path):
    """Sortation 6 h and local delivery 6 h in every regime, 24 h origin processing for parcels, and a
    province of the area of a disc of radius 100 km (mean distance 2/3 x 100 km at 50 km/h = 1.333 h):
    bonded 24 + 12 + 12 + 1.333 = 49.33 h; the parcel's best route 72 + 48 + 24 + 12 + 1.333 = 157.33 h."""
    tabs = tables(**{**BASE, "service.sortation_hours": 6, "service.local_delivery_hours": 6,
                     "service.origin_processing_hours": 24})
    tabs["provinces"]["area_km2"] = math.pi * 100.0 ** 2
    r = solve(load_scenario(write(tmp_path / "d", tabs)), OPTS)
    k = r.summary["kpis"]["lead_time_days_by_mode"]
    assert k["bonded"]["carried"]["mean"] == pytest.approx((48 + 4 / 3) / 24, rel=1e-9)
    assert k["direct_mail"]["best_route"]["mean"] == pytest.approx((156 + 4 / 3) / 24, rel=1e-9)
