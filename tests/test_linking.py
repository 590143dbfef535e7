"""The strong_linking rows tightened to each level's capacity (issue 30): the same optimum as the
summed rows, and a stronger LP bound, both worked out by hand in the docstrings."""
import pyomo.environ as pyo
import pytest
from pyomo.repn import generate_standard_repn
from tiny import tables, write

from model import SolverOptions, load_scenario
from model.formulation import build_inputs, create_model
from model.network.roads import scenario_road_distances
from model.solving.highs import solve_model

OPTS = SolverOptions(mip_rel_gap=1e-9)
LEVELS = [("S1", "small", 500, 1000.0), ("S1", "large", 5000, 1500.0)]


def _model(tmp_path, linking, **kw):
    sc = load_scenario(write(tmp_path / "data", tables(**kw)))
    return create_model(build_inputs(sc, scenario_road_distances(sc)), linking=linking)


def _lp(m) -> float:
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(m)
    report = solve_model(m, OPTS)
    assert report.status == "optimal"
    return report.objective


@pytest.mark.parametrize("linking", ["summed", "tight"])
def test_tight_linking_keeps_the_optimum(tmp_path, linking):
    """S1 with levels small (capacity 500, fixed 1000) and large (5000, 1500); 800 orders in zone 01
    at 2 USD an order through S1 (handling 1 + bulk freight 1), or 20 by direct mail. Small + 300 by
    mail = 1000 + 500 x 2 + 300 x 20 = 8000; large = 1500 + 800 x 2 = 3100; nothing open = 16000.
    Both linkings give 3100 at the large level (the arc's demand 800 exceeds the small level's 500,
    so the tightened row's small coefficient is 500, not 800)."""
    m = _model(tmp_path, linking, demand={"01": 800}, levels=LEVELS, parcel_usd_per_order=20.0)
    report = solve_model(m, OPTS)
    assert report.status == "optimal"
    assert report.objective == pytest.approx(3100.0, rel=1e-9)
    assert m.open["S1", "large"].value == pytest.approx(1.0)
    row = m.strong_linking[next(iter(m.strong_linking))]
    coefs = {v.name: c for v, c in zip(*_linear(row.body))}
    expect = (800.0, 800.0) if linking == "summed" else (500.0, 800.0)
    small, large = (-coefs[n] for n in (m.open["S1", "small"].name, m.open["S1", "large"].name))
    assert (small, large) == pytest.approx(expect)


def _linear(expr):
    repn = generate_standard_repn(expr, compute_values=True)
    return repn.linear_vars, repn.linear_coefs


def test_tight_linking_raises_the_lp_bound_to_the_optimum(tmp_path):
    """The case above, integrality dropped. Cost = 16000 + 1000 y_s + 1500 y_L - 18 x (x orders
    through S1, each saving 20 - 2 = 18 against mail).

    Summed rows: x <= 800 (y_s + y_L), x <= 500 y_s + 5000 y_L, y_s + y_L <= 1. All 800 orders through
    S1 need y_s + y_L = 1 and 500 y_s + 5000 y_L >= 800: y_L = 300/4500 = 1/15, y_s = 14/15, fixed
    cost (14000 + 1500) / 15 = 1033.33, LP = 16000 - 14400 + 1033.33 = 2633.33 (the large level
    alone pays 1500 for the same 800 orders; less flow saves 18 an order for at most 1000/500 = 2 of
    fixed cost an order of small capacity, so this is the optimum).

    Tightened: x <= 500 y_s + 800 y_L. A unit of y_s moves 500 orders for 1000 (net 8000), a unit
    of y_L 800 for 1500 (net 12900), y_s + y_L <= 1: y_L = 1, LP = 3100 = the integer optimum."""
    kw = dict(demand={"01": 800}, levels=LEVELS, parcel_usd_per_order=20.0)
    assert _lp(_model(tmp_path / "a", "summed", **kw)) == pytest.approx(16000 - 14400 + 15500 / 15, rel=1e-9)
    assert _lp(_model(tmp_path / "b", "tight", **kw)) == pytest.approx(3100.0, rel=1e-9)


def test_unknown_linking_is_refused(tmp_path):
    with pytest.raises(ValueError, match="linking 'hull'"):
        _model(tmp_path, "hull", demand={"01": 800}, levels=LEVELS)
