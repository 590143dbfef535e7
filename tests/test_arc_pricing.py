"""Arc pricing (model/methods/arc_pricing.py): a restricted arc set, and a lower bound valid for all arcs.

Tiny case: zones 01, 02, 03 at lat 10, 11, 12 (111.2 km apart), 100 orders each; site S1 at
lat 10 with capacity 150, S2 at lat 12 with ample capacity, fixed cost 1000 each; last mile
0.01 USD per kg-km, so a zone's nearest site is cheapest. Starting from each zone's nearest
site only, zone 01 cannot get all its orders from S1 (full at 150): the arc S2 -> 01 must be
priced in, or the LP pays direct mail (50 USD) for what S1 cannot hold.
"""
import pytest
import tiny

from model import load_scenario
from model.formulation import build_inputs, create_model
from model.methods.arc_pricing import nearest_mask, solve_with_arc_pricing
from model.network.roads import scenario_road_distances
from model.solving.highs import SolverOptions, solve_lp_duals, solve_model

EXACT = SolverOptions(mip_rel_gap=0.0)


@pytest.fixture
def full(tmp_path):
    data = tiny.write(tmp_path / "tiny", tiny.tables(
        demand={"01": 100.0, "02": 100.0, "03": 100.0}, sites={"S1": 10.0, "S2": 12.0},
        levels=[("S1", "small", 150.0, 1000.0), ("S2", "small", 1e6, 1000.0)],
        **{"costs.last_mile_usd_per_kg_km": 0.01}))
    sc = load_scenario(data)
    return build_inputs(sc, scenario_road_distances(sc))


def test_nearest_mask_keeps_each_zones_nearest_site(full):
    kept = full.outbound_arcs[nearest_mask(full, 1)]
    assert dict(zip(kept["zone"], kept["site"]))["01"] == "S1"
    assert dict(zip(kept["zone"], kept["site"]))["03"] == "S2"
    assert len(kept) == 3


def test_pricing_brings_in_the_missing_arc_and_reaches_the_full_optimum(full):
    m = create_model(full)
    full_opt = solve_model(m, EXACT).objective
    full_lp = solve_lp_duals(create_model(full), relax_integers=True)[0].objective
    r = solve_with_arc_pricing(full, EXACT, nearest=1)  # gap 0: price until no arc is negative
    assert r.rounds[0]["negative_arcs"] >= 1 and len(r.rounds) >= 2
    assert r.report.objective == pytest.approx(full_opt, rel=1e-9)
    # converged: the bound is the full model's LP relaxation, computed independently
    assert r.rounds[-1]["negative_arcs"] == 0
    assert r.full_lp_bound == pytest.approx(full_lp, rel=1e-7)
    assert r.full_lp_bound <= full_opt + 1e-6
    assert r.certified_gap == pytest.approx((full_opt - full_lp) / full_opt, abs=1e-7)


def test_bound_is_valid_when_pricing_stops_early(full):
    """One round only: the LP of the restricted model overstates the full LP (it pays direct mail),
    but the priced bound stays below the full LP relaxation."""
    full_lp = solve_lp_duals(create_model(full), relax_integers=True)[0].objective
    r = solve_with_arc_pricing(full, EXACT, nearest=1, max_rounds=1)
    assert r.rounds[0]["lp_objective"] > full_lp + 1.0
    assert r.full_lp_bound <= full_lp + 1e-6
