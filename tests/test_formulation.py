"""Hand-computed scenarios: the optimum and its objective are worked out in each docstring."""
import pytest
from tiny import KM_PER_DEGREE, tables, write

from model import SolverOptions, load_scenario, solve

OPTS = SolverOptions(mip_rel_gap=1e-9)


def run(tmp_path, **kw):
    result = solve(load_scenario(write(tmp_path / "data", tables(**kw))), OPTS)
    assert result.status == "optimal"
    return result


def opened(result):
    return {(s["site"], s["level"]) for s in result.summary["sites_opened"]}


def test_fixed_cost_outweighs_last_mile(tmp_path):
    """Zones 01 (lat 10) and 03 (lat 12), 100 orders each; sites S1 at lat 10 (fixed 1000) and
    S3 at lat 12 (fixed 1100); last mile 0.01 USD/kg-km, 1 kg orders; handling 1 and bulk freight
    1 USD/order; direct mail 50 USD/order (never worth it).
    Open both: 2100 + 400 = 2500. Open S1 only: 1000 + 400 + 100 x 222.39 km x 0.01 = 1622.39.
    Open S3 only: 1722.39. So only S1 opens and the objective is 1400 + 2 x KM_PER_DEGREE."""
    r = run(tmp_path, demand={"01": 100, "03": 100}, sites={"S1": 10.0, "S3": 12.0},
            levels=[("S1", "small", 1e6, 1000.0), ("S3", "small", 1e6, 1100.0)],
            **{"costs.last_mile_usd_per_kg_km": 0.01})
    assert opened(r) == {("S1", "small")}
    assert r.objective == pytest.approx(1400 + 2 * KM_PER_DEGREE, rel=1e-9)
    assert r.summary["cost_breakdown"]["last_mile_cost"] == pytest.approx(2 * KM_PER_DEGREE, rel=1e-9)


def test_cheap_sites_all_open_when_transport_dominates(tmp_path):
    """Same as above but fixed costs 100 and 110: open both = 210 + 400 = 610 beats
    S1 only = 100 + 400 + 222.39 = 722.39."""
    r = run(tmp_path, demand={"01": 100, "03": 100}, sites={"S1": 10.0, "S3": 12.0},
            levels=[("S1", "small", 1e6, 100.0), ("S3", "small", 1e6, 110.0)],
            **{"costs.last_mile_usd_per_kg_km": 0.01})
    assert opened(r) == {("S1", "small"), ("S3", "small")}
    assert r.objective == pytest.approx(610.0, rel=1e-9)


def test_bonded_beats_direct_mail_at_volume(tmp_path):
    """1000 orders in zone 01; bonded = fixed 2000 + (handling 1 + freight 1) x 1000 = 4000;
    direct mail = 6 x 1000 = 6000. Bonded wins; at 200 orders bonded = 2400 and direct = 1200."""
    big = run(tmp_path / "a", demand={"01": 1000}, levels=[("S1", "small", 1e6, 2000.0)], parcel_usd_per_order=6.0)
    assert big.objective == pytest.approx(4000.0, rel=1e-9)
    assert big.summary["mode_share"]["bonded"] == pytest.approx(1.0)
    small = run(tmp_path / "b", demand={"01": 200}, levels=[("S1", "small", 1e6, 2000.0)], parcel_usd_per_order=6.0)
    assert small.objective == pytest.approx(1200.0, rel=1e-9)
    assert small.summary["mode_share"]["direct_mail"] == pytest.approx(1.0)
    assert opened(small) == set()


@pytest.mark.parametrize("mfn, expect_mode, expect_objective", [
    (0.03, "direct_mail", 1000 * (13 + 110 * 0.03)),
    (0.04, "bonded", 17000.0),
])
def test_higher_duty_rate_flips_to_bonded_at_threshold(tmp_path, mfn, expect_mode, expect_objective):
    """1000 orders of value 100 USD, VAT 10%. Bonded pays the FTA duty 0: per order handling 1 +
    freight 1 + VAT 10 = 12, plus fixed 5000 -> 17000. Direct mail pays MFN t without a
    certificate of origin: parcel 3 + duty 100t + VAT (100 + 100t) x 0.1 = 13 + 110t per order.
    Equal at t* = 4000 / 110000 = 0.03636: below it direct mail wins, above it bonded."""
    r = run(tmp_path, demand={"01": 1000}, levels=[("S1", "small", 1e6, 5000.0)], parcel_usd_per_order=3.0,
            mfn=mfn, fta=0.0, vat=0.10)
    assert r.summary["mode_share"][expect_mode] == pytest.approx(1.0)
    assert r.objective == pytest.approx(expect_objective, rel=1e-9)


def test_capacity_level_chosen_by_volume(tmp_path):
    """Levels small (cap 500, fixed 1000) and large (cap 5000, fixed 1500) at S1; 800 orders;
    direct mail 20/order. Small + 300 direct = 1000 + 500 x 2 + 300 x 20 = 8000;
    large = 1500 + 800 x 2 = 3100. Large wins, and only one level opens."""
    r = run(tmp_path, demand={"01": 800}, levels=[("S1", "small", 500, 1000.0), ("S1", "large", 5000, 1500.0)],
            parcel_usd_per_order=20.0)
    assert opened(r) == {("S1", "large")}
    assert r.objective == pytest.approx(3100.0, rel=1e-9)


def test_capacity_shortfall_is_unmet_at_penalty(tmp_path):
    """One site of capacity 300, 500 orders, direct mail 2000/order (dearer than the 1000
    penalty): 300 bonded (fixed 10 + 300 x 2) and 200 unmet (200 x 1000) = 200610."""
    r = run(tmp_path, demand={"01": 500}, levels=[("S1", "small", 300, 10.0)], parcel_usd_per_order=2000.0)
    assert r.summary["unmet_share"] == pytest.approx(0.4)
    assert r.objective == pytest.approx(200610.0, rel=1e-9)
    [why] = r.summary["unmet"]
    assert (why["zone"], why["orders"], why["reason"]) == ("01", pytest.approx(200.0), "capacity_short")


def test_forced_open_site_opens_even_when_unused(tmp_path):
    """Direct mail at 1/order is cheapest; S1 is forced open, so its fixed cost 1000 is paid:
    objective 1000 + 100 x 1 = 1100."""
    t = tables(demand={"01": 100}, levels=[("S1", "small", 1e6, 1000.0)], parcel_usd_per_order=1.0)
    t["sites"]["force_open"] = True
    r = solve(load_scenario(write(tmp_path / "d", t)), OPTS)
    assert opened(r) == {("S1", "small")}
    assert r.objective == pytest.approx(1100.0, rel=1e-9)


def test_site_not_allowed_gets_no_facility(tmp_path):
    """S1 is cheaper (bonded 4000 vs direct 6000 as above) but not allowed to host a bonded
    facility, so every order goes by direct mail: 6000."""
    t = tables(demand={"01": 1000}, levels=[("S1", "small", 1e6, 2000.0)], parcel_usd_per_order=6.0)
    t["sites"]["bonded_allowed"] = False
    r = solve(load_scenario(write(tmp_path / "d", t)), OPTS)
    assert r.objective == pytest.approx(6000.0, rel=1e-9)
    assert r.sites.loc[0, "reason"].startswith("not allowed to host a bonded facility")


def test_pruning_dominated_gateways_keeps_the_optimum(tmp_path):
    """Two bulk and two parcel lanes, one of each dearer: keeping only the cheapest gateway per
    (origin, site, product) and (origin, zone, product) leaves the objective unchanged."""
    from model.formulation import build_inputs, create_model
    from model.network.roads import scenario_road_distances
    from model.solving.highs import solve_model

    t = tables(demand={"01": 300, "03": 200}, sites={"S1": 10.0, "S3": 12.0}, parcel_usd_per_order=4.0,
               levels=[("S1", "small", 1e6, 500.0), ("S3", "small", 1e6, 400.0)],
               **{"costs.last_mile_usd_per_kg_km": 0.01, "costs.truck_usd_per_kg_km": 0.002})
    extra = t["gateways"].iloc[[0, 1]].assign(gateway=["SEA2", "AIR2"], lat=[12.0, 12.0])
    t["gateways"] = __import__("pandas").concat([t["gateways"], extra], ignore_index=True)
    lanes = t["lanes"]
    t["lanes"] = __import__("pandas").concat([lanes, lanes.assign(gateway=["SEA2", "AIR2"],
                                                                  cost_usd_per_kg=[1.2, 0.0])], ignore_index=True)
    sc = load_scenario(write(tmp_path / "d", t))
    dist = scenario_road_distances(sc)
    objs = []
    for prune in (False, True):
        inputs = build_inputs(sc, dist, prune_dominated=prune)
        m = create_model(inputs)
        objs.append((len(inputs.inbound_arcs), solve_model(m, OPTS).objective))
    (n_full, full), (n_pruned, pruned) = objs
    assert n_pruned < n_full
    assert pruned == pytest.approx(full, rel=1e-9)
