"""Stock per SKU class (model/economics/assortment.py, model/inputs/classes.py): hand-computed cases."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tiny import tables, write

from model import SolverOptions, load_scenario, solve
from model.economics import assortment as A
from model.economics import costs

OPTS = SolverOptions(mip_rel_gap=1e-9)


def test_poisson_leftover_matches_its_closed_form():
    """E[(S - D)^+] for D ~ Poisson(2.3), S = 4: sum_{k<=4} (4 - k) P(k), summed term by term, equals
    S F(4) - lam F(3) (the closed form the model uses), and a non-integer S = 4.6 likewise."""
    lam = 2.3
    for s in (4.0, 4.6, 0.0):
        brute = sum((s - k) * stats.poisson.pmf(k, lam) for k in range(int(math.floor(s)) + 1))
        assert A.poisson_leftover(s, lam) == pytest.approx(brute, rel=1e-12, abs=1e-15)
    # the leftover rises as demand per SKU falls: with S = 4, lam 2.3 -> 1.82..., lam 0.1 -> about 3.9
    assert A.poisson_leftover(4.0, 0.1) == pytest.approx(4.0 - 0.1, abs=1e-6)


def test_negative_binomial_leftover_matches_a_term_by_term_sum():
    """Mean 5, variance 3 x 5: NB(r = 2.5, p = 1/3); E[(8 - D)^+] summed term by term."""
    lam, vmr, s = 5.0, 3.0, 8.0
    r, p = lam / (vmr - 1), 1 / vmr
    brute = sum((s - k) * stats.nbinom.pmf(k, r, p) for k in range(9))
    assert A.leftover(s, lam, vmr) == pytest.approx(brute, rel=1e-12)


def _no_floor(n_orders):
    """One SKU, no floor, no write-off (salvage 1): C(X) = v h (z sqrt(vmr mu P) + mu R / 2)."""
    mu_w = n_orders / (365 / 7)                      # 700 units a week nationally
    return A.ClassStock(n_sku=1, national_orders=n_orders, value=10.0, cv=math.sqrt(4 / mu_w), min_units=0.0,
                        lead_days=7.0, review_days=7.0, z=2.0, holding_rate=0.1, life_days=100.0, salvage=1.0)


def test_one_hub_against_two_square_root_law():
    """36,500 orders a year of one SKU (100 a day), L = R = 7 days, vmr = 4, z = 2, v = 10, h = 0.1.
    One hub: lam = 1,400, safety 2 sqrt(4 x 1,400) = 149.666, cycle 100 x 7 / 2 = 350: C = 10 x 0.1 x
    499.666 = 499.666 USD/yr. Two hubs at 50 a day: safety 2 sqrt(4 x 700) = 105.830 each, cycle 175:
    2 x 280.830 = 561.660. The safety stock grows by sqrt(2): 149.666 x (sqrt 2 - 1) = 61.993 more."""
    s = _no_floor(36_500.0)
    assert s.vmr == pytest.approx(4.0)
    one = float(s.cost(36_500.0))
    two = 2 * float(s.cost(18_250.0))
    assert one == pytest.approx(499.666, abs=1e-3)
    assert two == pytest.approx(561.660, abs=1e-3)
    assert two - one == pytest.approx(2 * math.sqrt(4 * 1400) * (math.sqrt(2) - 1), rel=1e-9)


def test_pwl_exact_at_its_points_and_within_its_stated_error():
    """The bands run through C at each of their points (geometric on the plan's range, 1/30 of the
    largest throughput up to it); band 1 starts at 0; the error on another grid is within 1 % of
    what pwl_error reports on its own; nested refinements (1, 2, 4, 8 bands) never make it worse."""
    s = A.ClassStock(n_sku=3000, national_orders=5e7, value=8.0, cv=0.3, min_units=12, lead_days=8, review_days=7,
                     z=1.645, holding_rate=0.08, life_days=540, salvage=0.3)
    errors = []
    for b in (1, 2, 4, 8):
        points = A.pwl_breaks(s, 5e7, b, tolerance=0.0)
        assert len(points) == b + 1 and points[0] == pytest.approx(5e7 / 30) and points[-1] == pytest.approx(5e7)
        segs = A.pwl_segments(s, points)
        assert segs[0].lo == 0.0
        for x in points:
            assert A.pwl_value(segs, float(x)) == pytest.approx(float(s.cost(x)), rel=1e-9)
        grid = np.geomspace(5e7 / 30, 5e7, 300)
        err = max(abs(A.pwl_value(segs, float(x)) - float(s.cost(x))) / float(s.cost(x)) for x in grid)
        assert err <= A.pwl_error(s, points) * 1.01  # pwl_error's grid is finer but finite
        errors.append(A.pwl_error(s, points))
    assert errors == sorted(errors, reverse=True) and errors[-1] < 0.05


def test_subadditivity_check():
    """f = 10 + x on (0, 10] (a fixed charge) is subadditive; f = x^2-like bands (0-1: slope 1,
    1-10: from 1 to 100) are not: f(2) = 12 > 2 f(1) = 2."""
    assert A.subadditive([A.Segment(0, 10, 10.0, 1.0)])
    assert not A.subadditive([A.Segment(0, 1, 0.0, 1.0), A.Segment(1, 10, 1 - 11.0, 11.0)])


def test_returns_two_orders():
    """Two orders of value 10, return rate 0.5. Stocked: reverse last mile 2 + inspection 1 + the 20 %
    not resold (2) = 5, x 0.5 = 2.5. Parcel: reverse last mile 2 + min(freight back 15, write-off 10)
    = 12, x 0.5 = 6. Together 8.5."""
    stocked = costs.stocked_returns_cost(0.5, 2.0, 1.0, 10.0, 0.8)
    parcel = costs.parcel_returns_cost(0.5, 2.0, 15.0, 10.0)
    assert stocked == pytest.approx(2.5)
    assert parcel == pytest.approx(6.0)
    assert stocked + parcel == pytest.approx(8.5)


def _two_classes(tmp_path, tail_skus, head_return_rate=0.0):
    """One zone (01), 1,000 orders a year of P1 (value 100, 1 kg), half head (1 SKU, cv 0.1) and half
    tail (``tail_skus`` SKUs, cv 1, floor 1 unit), one site S1 (fixed 1,000) at the zone; bulk freight
    1 + handling 1 = 2 per stocked order, parcel 50. No lead time beyond review (R = 7 days), h = 0.1,
    no write-off (salvage 1), no taxes."""
    t = tables(demand={"01": 1000.0}, **{"stock.review_days": 7, "stock.replenishment_days": 0,
                                         "stock.salvage_share": 1.0, "returns.inspection_usd_per_order": 1.0,
                                         "returns.resale_share": 0.8})
    t["sku_classes"] = pd.DataFrame({
        "product": ["P1", "P1"], "sku_class": ["head", "tail"], "sku_count": [1, tail_skus],
        "order_share": [0.5, 0.5], "demand_cv": [0.1, 1.0], "min_units_per_sku": [1.0, 1.0],
        "return_rate": [head_return_rate, 0.0], "sku_life_days": [365.0, 365.0]})
    return solve(load_scenario(write(tmp_path / "data", t)), OPTS)


def _head_stock_cost():
    """Head: 500 a year, mu R = 500 x 7 / 365 = 9.589; vmr 1; S = 9.589 + 1.645 sqrt(9.589);
    on hand S - mu R / 2; x v h = 100 x 0.1."""
    lam = 500 * 7 / 365
    z = stats.norm.ppf(0.95)
    return 10.0 * (lam + z * math.sqrt(lam) - lam / 2)


@pytest.mark.parametrize("tail_skus, tail_stocked", [(2300, True), (2500, False)])
def test_head_stocked_tail_mailed_at_threshold(tmp_path, tail_skus, tail_stocked):
    """The tail's 500 orders sell 500 / (365 n) a day per SKU, far below its floor of 1 unit, so its
    stock is the floor less half a review's sales: I = n - 500 x 7 / 730 units, C = 100 x 0.1 x I =
    10 n - 47.945 USD/yr. Stocking saves 50 - 2 = 48 per order against the parcel, 24,000 in all, so the
    tail is stocked while 10 n - 47.945 < 24,000: below n* = 2,404.8 SKUs. The head (C = 98.9) is stocked
    either way. Objective: 1,000 fixed + 500 x 2 + head stock + (tail: 500 x 2 + C, or 500 x 50)."""
    r = _two_classes(tmp_path, tail_skus)
    assert r.status == "optimal"
    f = r.flows
    mode_of = f.groupby("product")["mode"].agg(lambda s: set(s))
    head = "P1:head" if "P1:head" in mode_of.index else None
    if head is None:  # flows.csv splits the item into product and sku_class
        mode_of = f.groupby("sku_class")["mode"].agg(lambda s: set(s))
        head, tail = "head", "tail"
    else:
        tail = "P1:tail"
    assert mode_of[head] == {"bonded"}
    assert mode_of[tail] == ({"bonded"} if tail_stocked else {"direct_mail"})
    tail_cost = 500 * 2 + 10 * tail_skus - 500 * 7 / 73 if tail_stocked else 500 * 50
    assert r.objective == pytest.approx(1000 + 500 * 2 + _head_stock_cost() + tail_cost, rel=1e-6)


def test_stocked_returns_term_in_the_model(tmp_path):
    """Head return rate 0.5: each of its 500 stocked orders costs 0.5 x (reverse last mile 0 +
    inspection 1 + (1 - 0.8) x 100) = 10.5 in returns: 5,250 a year."""
    r = _two_classes(tmp_path, 2500, head_return_rate=0.5)
    assert r.summary["cost_breakdown"]["returns_cost"] == pytest.approx(5250.0, rel=1e-9)


def _class_folder(tmp_path):
    t = tables(demand={"01": 1000.0})
    t["sku_classes"] = pd.DataFrame({
        "product": ["P1", "P1"], "sku_class": ["head", "tail"], "sku_count": [1, 100], "order_share": [0.5, 0.5],
        "demand_cv": [0.1, 1.0], "min_units_per_sku": [1.0, 1.0], "return_rate": [0.0, 0.0],
        "sku_life_days": [365.0, 365.0]})
    return write(tmp_path / "data", t)


def test_commands_without_classes_refuse_them_by_name(tmp_path):
    """The monthly model, the mpi-sppy driver and the Lagrangian method name stock.sku_classes
    (the two-stage extensive form models the classes: tests/test_terms.py)."""
    from model.core.errors import ScenarioError
    from model.formulation import build_inputs
    from model.methods.lagrangian import check_scope
    from model.network.roads import scenario_road_distances
    from model.stochastic.sppy import check_scope as sppy_scope

    folder = _class_folder(tmp_path)
    with pytest.raises(ScenarioError, match="stock.sku_classes"):
        solve(load_scenario(folder, overrides={"periods": 12}), OPTS)
    sc = load_scenario(folder)
    with pytest.raises(ScenarioError, match="stock.sku_classes"):
        sppy_scope(sc)
    with pytest.raises(ValueError, match="stock.sku_classes"):
        check_scope(build_inputs(sc, scenario_road_distances(sc)))
    # switched off, the same folder is one average SKU per product again
    r = solve(load_scenario(folder, overrides={"stock.sku_classes": 0, "periods": 12}), OPTS)
    assert r.status == "optimal" and set(r.flows["sku_class"]) == {"all"}


def test_sku_classes_table_is_validated(tmp_path):
    """Order shares that do not sum to 1 are named with file, line and column."""
    from model.core.errors import DataError

    folder = _class_folder(tmp_path)
    t = pd.read_csv(folder / "sku_classes.csv")
    t.loc[1, "order_share"] = 0.4
    t.to_csv(folder / "sku_classes.csv", index=False)
    with pytest.raises(DataError, match=r"sku_classes.csv.*order_share"):
        load_scenario(folder)
