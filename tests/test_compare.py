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
    assert "## Sites whose level or regime differs" in md and "| S1 | small: bonded CBEC stock | - |" in md
    assert (out / "compare_map.png").stat().st_size > 1000
    assert "Sites whose level or regime differs (2)" in capsys.readouterr().out


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


def _policy_pair(folder):
    """Two scenario files on one tiny data folder (one product, 100 USD, 1 kg, MFN duty 10 %, VAT
    10 %, 30 days in stock; parcels 60 USD an order so stock wins): A ("status-quo") sets VAT 8 %,
    no bonded zone and general trade on; B ("pilot") extends A with VAT 10 %, bonded everywhere and
    half the CBEC VAT, so S1's stock moves from general trade to bonded (bonded pays its taxes at
    the sale, so B collects none at entry)."""
    t = tiny.tables(demand={"01": 1000.0, "02": 500.0}, sites={"S1": 10.0, "S2": 12.0},
                    levels=[("S1", "small", 1e6, 100.0), ("S2", "small", 1e6, 100.0)], vat=0.1, mfn=0.1,
                    parcel_usd_per_order=60.0, days_in_stock=30)
    tiny.write(folder / "data", t)
    (folder / "a.toml").write_text('name = "status-quo"\ndata = "data"\n[policy]\nvat_rate = 0.08\n'
                                   'eligible_zones = []\n[modes]\ngeneral_trade = 1\n')
    (folder / "b.toml").write_text('name = "pilot"\nextends = "a.toml"\n[policy]\nvat_rate = 0.1\n'
                                   'eligible_zones = "*"\ncbec_tax_factor = 0.5\n')
    return folder / "a.toml", folder / "b.toml"


def test_compare_names_differing_inputs_and_regime_changes_in_120_columns(tmp_path, capsys):
    a, b = _policy_pair(tmp_path)
    assert compare.main([str(a), str(b), "--out", str(tmp_path / "cmp"), "--gap", "1e-6", "--no-map"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines() if str(tmp_path) not in line) <= 120  # but the folder's name
    inputs = out.split("Inputs that differ:")[1].split("Headline")[0]
    row = next(line.split() for line in inputs.splitlines() if "policy.vat_rate" in line)
    assert row == ["policy.vat_rate", "share", "0.08", "0.1"]
    assert "policy.cbec_tax_factor" in inputs and "policy.eligible_zones" in inputs
    assert "service.target_hours" not in inputs  # equal in both: not listed
    sites = out.split("Sites whose level or regime differs (1):")[1]
    assert "S1" in sites and "small: general trade" in sites and "small: bonded CBEC stock" in sites
    assert "regime" in sites
    headline = out.split("Headline")[1].split("Sites whose")[0]
    at_entry = next(line.split() for line in headline.splitlines() if "of which at entry" in line)
    # B is all bonded, which pays at the sale: nothing at entry, so -100 % of A's entry taxes
    assert at_entry[-3] == "0" and at_entry[-1] == "-100.0%" and at_entry[-2].startswith("-")
    assert len(headline.strip().splitlines()) <= 25
    table = pd.read_csv(tmp_path / "cmp" / "compare.csv", index_col="metric")
    assert len(table) > 30  # every metric in the file, not on the terminal
    assert not table.astype(str).apply(lambda c: c.str.startswith("[")).any().any()  # no Python list in a cell
    book = pd.read_excel(tmp_path / "cmp" / "compare.xlsx", sheet_name=None)
    assert list(book) == ["runs", "inputs that differ", "headline", "every metric", "sites"]
    assert len(book["every metric"]) == len(table)


def test_a_difference_below_the_gap_is_marked_not_hidden():
    from model.studies.compare_text import headline_rows

    def run(objective):
        return compare.Run("x", {"objective": objective, "gap": 0.002, "solver": {"mip_rel_gap": 0.002}},
                           pd.DataFrame(), "")
    rows = headline_rows([run(1.0e9), run(1.001e9)], money_resolution=0.002 * 1.001e9)
    total = rows.set_index("metric").loc["total cost"]
    assert total["B - A"] == "+1.00 M*" and total["B / A"] == "+0.1%"


@pytest.mark.slow
def test_shipped_status_quo_against_the_pilot():
    """The shipped scenarios (two full solves unless results/ holds them on the same inputs)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    p = subprocess.run([sys.executable, str(root / "solve.py"), "compare", "status-quo-2026", "pilot-hn-hcm-ct",
                        "--out", "/tmp/compare-status-quo-pilot", "--force"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert max(map(len, p.stdout.splitlines())) <= 120
    assert "policy.vat_rate" in p.stdout.split("Headline")[0]
