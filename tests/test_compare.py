"""`compare` (model/studies/compare.py) on two tiny hand-checkable scenarios.

Both: one zone (01) with 100 orders of a 1 kg, 100 USD product; sites S1 (lat 10) and S3
(lat 12); no trucking or last-mile cost; bulk 1 USD/kg, handling 1 USD/order, VAT 10 % paid at
the sale (FTA duty 0, CBEC tax factor 1): bonded costs 1 + 1 + 10 = 12 USD/order = 1200 USD/yr
from either site, direct mail 71 USD/order. So the cheaper site opens:
A: fixed costs S1 1000, S3 2000 -> S1 opens, objective 2200 USD/yr;
B: fixed costs S1 3000, S3 1500 -> S3 opens, objective 2700 USD/yr (B - A = 500).
"""
import pandas as pd
import pytest
import tiny

from model import load_scenario, solve, write_results
from model.solving.highs import SolverOptions
from model.studies import compare


def _scenario(folder, s1_fixed, s3_fixed):
    return tiny.write(folder, tiny.tables(sites={"S1": 10.0, "S3": 12.0},
                                          levels=[("S1", "small", 1e6, s1_fixed), ("S3", "small", 1e6, s3_fixed)],
                                          mfn=0.1, fta=0.0, vat=0.1, bulk_usd_per_kg=1.0, handling=1.0))


def test_compare_a_finished_run_with_a_scenario(tmp_path, capsys):
    a_data = _scenario(tmp_path / "a", 1000.0, 2000.0)
    b_data = _scenario(tmp_path / "b", 3000.0, 1500.0)
    run_a = write_results(solve(load_scenario(a_data), SolverOptions(mip_rel_gap=0.0)), tmp_path / "results_a")
    out = tmp_path / "cmp"
    rc = compare.main([str(run_a), str(b_data), "--out", str(out), "--gap", "0"])
    assert rc == 0
    table = pd.read_csv(out / "compare.csv", index_col="metric")
    assert float(table.loc["objective", "a"]) == pytest.approx(2200.0)
    assert float(table.loc["objective", "b"]) == pytest.approx(2700.0)
    assert float(table.loc["objective", "b - a"]) == pytest.approx(500.0)
    assert float(table.loc["fixed_cost", "b - a"]) == pytest.approx(500.0)  # the only cost that differs
    assert float(table.loc["duty_tax_cost", "b - a"]) == pytest.approx(0.0)
    sites = pd.read_csv(out / "sites.csv", keep_default_na=False)
    assert sites.set_index("site")[["a", "b"]].to_dict("index") == {"S1": {"a": "small", "b": ""},
                                                                    "S3": {"a": "", "b": "small"}}
    assert sites["differs"].all()
    md = (out / "compare.md").read_text()
    assert "## Sites that differ" in md and "| S1 | small | - |" in md
    assert (out / "compare_map.png").stat().st_size > 1000
    assert "Sites that differ (2)" in capsys.readouterr().out


def test_differences_only_a_only_b_both():
    def run(name, levels):
        sites = pd.DataFrame({"site": list(levels), "opened": [lv != "" for lv in levels.values()],
                              "level": list(levels.values()), "lat": 10.0, "lon": 106.0})
        return compare.Run(name, {}, sites, name)

    a = run("A", {"K1": "small", "K2": "large", "K3": "small", "K4": ""})
    b = run("B", {"K1": "small", "K2": "small", "K3": "", "K4": "medium"})
    assert compare.differences(a, b) == {"only_a": ["K3"], "only_b": ["K4"], "both": ["K1"],
                                         "both_other_level": ["K2"]}


def test_compare_bad_argument_is_exit_2(tmp_path, capsys):
    assert compare.main([str(tmp_path / "nothing"), str(tmp_path / "nothing2")]) == 2
    assert "not a finished run" in capsys.readouterr().err


def test_nested_kpis_flatten_to_one_column_each():
    """A per-class, per-mode breakdown becomes one column per (class, mode); flat values stay."""
    from model.studies.compare import metric_rows

    row = metric_rows({"status": "optimal", "objective": 1.0, "kpis": {
        "share_within_target": 0.5, "mode_share_by_class": {"tail": {"direct_mail": 0.7, "general_trade": 0.3}}}})
    assert row["share_within_target"] == 0.5
    assert row["mode_share_by_class_tail_direct_mail"] == 0.7
    assert row["mode_share_by_class_tail_general_trade"] == 0.3
    assert "mode_share_by_class_tail" not in row
