"""What holds across the gap (model/studies/across_gap.py, ``solve.py --robustness N``): a hand-made tie."""
import pytest
from tiny import tables, write

from model import SolverOptions, load_scenario, solve
from model.report.across_gap import across_gap_lines
from model.studies.across_gap import across_the_gap


def test_two_equal_sites_neither_is_robust(tmp_path):
    """Zone 02 (lat 11) lies midway between S1 (lat 10) and S3 (lat 12), both with fixed cost 100:
    opening either one costs the same (one site serves all; two cost 100 more), so the gap cannot
    choose between them: no site is open in every plan, each is in some, one site is opened in every
    plan, and bonded carries every order in both."""
    t = tables(demand={"02": 100.0}, sites={"S1": 10.0, "S3": 12.0},
               levels=[("S1", "small", 1e6, 100.0), ("S3", "small", 1e6, 100.0)],
               **{"costs.last_mile_usd_per_kg_km": 0.01})
    sc = load_scenario(write(tmp_path / "d", t))
    opts = SolverOptions(mip_rel_gap=1e-6)
    r = solve(sc, opts)
    a = across_the_gap(r, opts, max_count=3)
    assert a["plans"] == 2
    assert a["robust_sites"] == [] and a["sites_in_some"] == ["S1", "S3"]
    assert a["sites_opened_range"] == [1, 1]
    assert a["cost_range_usd"][0] == pytest.approx(a["cost_range_usd"][1], rel=1e-9)
    assert a["mode_share_range"] == {"bonded": [pytest.approx(1.0), pytest.approx(1.0)]}
    text = "\n".join(across_gap_lines({"across_gap": a, "solver": {"mip_rel_gap": 1e-6}}))
    assert "sites open in every plan: none" in text and "bonded CBEC stock 100% in every plan" in text


def test_unchecked_result_says_how_to_check():
    lines = across_gap_lines({"solver": {"mip_rel_gap": 2e-3}})
    assert any("--robustness" in x and "0.002" in x for x in lines)
