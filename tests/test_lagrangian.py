"""The Lagrangian method for very large instances (model/methods/lagrangian.py).

Tiny case (tests/tiny.py): zones 01, 02, 03 at lat 10, 11, 12 (111.1951 km apart), one product
of 1 kg; sites S1 at lat 10 and S2 at lat 12. Path cost from a site = bulk line-haul 1 +
handling 1 + last mile 0.01 USD/kg-km x km (taxes, trucking, stock days are 0): 2 USD next
door, 3.111951 one degree away, 4.223902 two degrees away. Direct mail: 50 USD + last mile
from the gateway at lat 10.
"""
import numpy as np
import pandas as pd
import pytest
import tiny

from model import load_scenario
from model.formulation import build_inputs, create_model
from model.methods.lagrangian import (
    evaluate_plan,
    flow_problem,
    index_of,
    initial_multipliers,
    lagrangian,
    solve_by_lagrangian,
)
from model.network.roads import scenario_road_distances
from model.solving.highs import SolverOptions, solve_model

EXACT = SolverOptions(mip_rel_gap=0.0)
ONE = 0.01 * tiny.KM_PER_DEGREE  # last mile over one degree, USD per 1-kg order


def inputs(tmp_path, demand=None, levels=None, **params):
    data = tiny.write(tmp_path / "tiny", tiny.tables(
        demand=demand or {"01": 100.0, "02": 100.0, "03": 100.0}, sites={"S1": 10.0, "S2": 12.0},
        levels=levels or [("S1", "small", 150.0, 1000.0), ("S2", "small", 1e6, 1000.0)],
        **{"costs.last_mile_usd_per_kg_km": 0.01, **params}))
    sc = load_scenario(data)
    return build_inputs(sc, scenario_road_distances(sc))


def optimum_with_sites(full, open_levels=None):
    """The full Pyomo model solved exactly (open levels fixed when given)."""
    m = create_model(full)
    if open_levels is not None:
        for kl in m.SITE_LEVELS:
            m.open[kl].fix(1 if kl in open_levels else 0)
    return solve_model(m, EXACT).objective


def test_index_of_matches_rows_on_several_columns_and_marks_the_missing():
    table = pd.DataFrame({"a": ["x", "y", "x"], "b": [1, 1, 2]})
    rows = pd.DataFrame({"a": ["x", "x", "y", "z", "y"], "b": [2, 1, 1, 1, 2]})
    assert index_of(rows, table, ["a", "b"]).tolist() == [2, 0, 1, -1, -1]


def test_initial_bound_is_each_order_on_its_cheapest_path_with_fixed_cost_spread_over_capacity(tmp_path):
    """phi(S1) = 1000 / 150, phi(S2) = 1000 / 1e6 = 0.001 USD/order: zone 01 is cheapest from S2
    (4.223902 + 0.001 beats 2 + 6.667), 02 from S2 (3.111951 + 0.001), 03 from S2 (2 + 0.001)."""
    p = flow_problem(inputs(tmp_path))
    lam0 = initial_multipliers(p)
    assert lam0 == pytest.approx([2 + 2 * ONE + 0.001, 2 + ONE + 0.001, 2.001], rel=1e-9)
    assert lagrangian(p, lam0).value == pytest.approx(100 * (6 + 3 * ONE + 0.003), rel=1e-9)


@pytest.mark.parametrize("clusters", [0, 100])
def test_bound_is_below_and_plan_at_the_exact_optimum(tmp_path, clusters):
    """Opening S2 alone costs 1000 + 100 x (4.223902 + 3.111951 + 2); both sites cost 2000 + more.
    ``clusters=0``: the plan comes from every site open and the local search, the bound from the
    subgradient steps; 100 clusters (more than the 3 zones): the MIP on the zones themselves."""
    full = inputs(tmp_path)
    opt = optimum_with_sites(full)
    assert opt == pytest.approx(1000 + 100 * (6 + 3 * ONE), rel=1e-9)
    r = solve_by_lagrangian(full, gap=1e-9, max_iterations=300, clusters=clusters)
    assert r.initial_bound <= r.bound <= opt * (1 + 1e-9)
    assert r.objective == pytest.approx(opt, rel=1e-9)
    assert r.sites_opened()["site"].tolist() == ["S2"]
    assert r.gap == pytest.approx((r.objective - r.bound) / r.objective)


def test_plan_cost_equals_the_full_model_with_the_plans_sites_fixed(tmp_path):
    """Cheap sites (fixed cost 10): both open; the plan's cost is the Pyomo model's optimum with
    those sites fixed, and with two zone clusters the clustered MIP is the one that finds it."""
    full = inputs(tmp_path, levels=[("S1", "small", 150.0, 10.0), ("S2", "small", 1e6, 10.0)])
    r = solve_by_lagrangian(full, gap=1e-9, max_iterations=100, clusters=2)
    opened = {(row.site, row.level) for row in r.sites_opened().itertuples()}
    assert opened == {("S1", "small"), ("S2", "small")}
    assert r.objective == pytest.approx(optimum_with_sites(full, opened), rel=1e-9)
    assert r.objective == pytest.approx(optimum_with_sites(full), rel=1e-9)
    assert r.bound <= r.objective * (1 + 1e-9)


def test_an_over_full_site_is_repaired_to_its_capacity(tmp_path):
    """300 orders in zone 01, S1 (capacity 150) the only site open: 150 from S1 at 2 USD, the
    other 150 by direct mail at 50 USD."""
    full = inputs(tmp_path, demand={"01": 300.0})
    p = flow_problem(full)
    plan = evaluate_plan(p, np.array([p.sites.index("S1") == k for k in range(len(p.sites))]))
    assert plan.repaired
    assert sum(plan.arc_flow.values()) == pytest.approx(150.0)
    assert plan.cost == pytest.approx(1000 + 150 * 2 + 150 * 50, rel=1e-9)
    assert plan.cost == pytest.approx(optimum_with_sites(full, {("S1", "small")}), rel=1e-9)


@pytest.mark.parametrize("key,value", [("service.min_share", 0.5), ("service.single_sourcing", 1),
                                       ("policy.co2_cap_t", 1e6)])
def test_rows_outside_the_relaxation_are_refused_by_name(tmp_path, key, value):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        flow_problem(inputs(tmp_path, **{key: value}))


def test_clustered_plan_split_over_its_zones_is_feasible_and_costs_what_it_says(tmp_path):
    """Two clusters for three zones, so two zones share one: the clustered MIP's flows,
    split over the member zones by demand, meet every demand row and every site's capacity, and
    the plan's cost recomputed here from its flows is its stated cost, no less than the optimum."""
    from model.methods.lagrangian import aggregate_plan, cluster_zones

    full = inputs(tmp_path, demand={"01": 100.0, "02": 60.0, "03": 100.0},
                  levels=[("S1", "small", 150.0, 10.0), ("S2", "small", 1e6, 10.0)])
    p = flow_problem(full)
    assert len(set(cluster_zones(p, 2).tolist())) == 2
    plan = aggregate_plan(p, clusters=2, gap=0.0)
    arcs = np.array(list(plan.arc_flow), dtype=int)
    flow = np.array(list(plan.arc_flow.values()))
    served = np.bincount(p.arc_row[arcs], weights=flow, minlength=p.n_rows) + plan.alt_flow
    assert served == pytest.approx(p.D, rel=1e-9)
    through = np.bincount(p.arc_site[arcs], weights=flow, minlength=len(p.sites))
    for k in range(len(p.sites)):
        assert through[k] <= (p.caps[k][plan.level[k]] if plan.level[k] >= 0 else 0.0) * (1 + 1e-9)
    fixed = sum(p.fixed[k][plan.level[k]] for k in range(len(p.sites)) if plan.level[k] >= 0)
    assert plan.cost == pytest.approx(fixed + p.cost[arcs] @ flow + p.alt @ plan.alt_flow, rel=1e-12)
    assert plan.cost >= optimum_with_sites(full) * (1 - 1e-9)


def test_plan_pays_the_compliance_of_the_regime_it_holds(tmp_path):
    """The case of test_bound_is_below_and_plan_at_the_exact_optimum with a bonded compliance cost of
    300 a year at each site: the plan (S2 alone) costs the full model's optimum, compliance included,
    1000 + 300 + 100 x (6 + 3 ONE); the bound stays below it."""
    full = inputs(tmp_path, levels=[("S1", "small", 150.0, 1000.0, 300.0), ("S2", "small", 1e6, 1000.0, 300.0)])
    opt = optimum_with_sites(full)
    assert opt == pytest.approx(1300 + 100 * (6 + 3 * ONE), rel=1e-9)
    r = solve_by_lagrangian(full, gap=1e-9, max_iterations=300, clusters=0)
    assert r.objective == pytest.approx(opt, rel=1e-9)
    assert r.bound <= opt * (1 + 1e-9)
