"""An insight command reuses the saved run of its scenario (model.studies.common.solve_base with
``--results-dir``): same input hash and a gap at least as tight -> the saved sites start the base solve and
the saved bound certifies them, said on stderr; another input hash or a tighter gap -> solved afresh.
Everything under tmp_path (``--results-dir``, ``--out``): nothing touches results/."""
import json
import sys
from pathlib import Path

import pytest
from tiny import tables, write

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import solve as cli  # noqa: E402  (solve.py: the command line)


def _data(tmp_path):
    """three sites, 100 orders in zones 01 and 03 (tests/test_insight.py three_sites: optimum {S1,S3}, 610)."""
    tabs = tables(demand={"01": 100, "03": 100}, sites={"S1": 10.0, "S2": 11.0, "S3": 12.0},
                  levels=[("S1", "small", 1e6, 100.0), ("S2", "small", 1e6, 150.0), ("S3", "small", 1e6, 110.0)],
                  **{"costs.last_mile_usd_per_kg_km": 0.01})
    return write(tmp_path / "three", tabs)


def test_alternatives_reuses_the_saved_run_with_the_same_inputs_and_says_so(tmp_path, capsys):
    data, results = _data(tmp_path), tmp_path / "results"
    assert cli.main([str(data), "--results-dir", str(results), "--gap", "1e-6", "--no-map"]) == 0
    saved = json.loads((results / "three" / "summary.json").read_text(encoding="utf-8"))
    capsys.readouterr()
    out = tmp_path / "alt"
    assert cli.main(["alternatives", str(data), "--within", "0.2", "--no-map", "--gap", "1e-4",
                     "--results-dir", str(results), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"reusing the saved run {results / 'three'}" in err
    base = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert base["input_hash"] == saved["input_hash"]
    assert base["objective"] == pytest.approx(saved["objective"], rel=1e-9)
    assert saved["objective"] == pytest.approx(610.0, rel=1e-6)  # {S1,S3}: fixed 210 + bonded 400
    assert base["bound"] >= saved["bound"] - 1e-9  # the saved bound certifies the base
    assert [r["sites"] for r in base["insight"]["alternatives"]["rows"]][:2] == [{"S1": "small", "S3": "small"},
                                                                                 {"S1": "small"}]


def test_no_reuse_on_other_inputs_or_a_tighter_gap(tmp_path, capsys):
    data, results = _data(tmp_path), tmp_path / "results"
    assert cli.main([str(data), "--results-dir", str(results), "--gap", "1e-3", "--no-map"]) == 0
    capsys.readouterr()
    assert cli.main(["regret", str(data), "--no-map", "--gap", "1e-6", "--workers", "1",  # tighter than the saved
                     "--results-dir", str(results), "--out", str(tmp_path / "r1")]) == 0
    assert "reusing" not in capsys.readouterr().err
    assert cli.main(["regret", str(data), "--no-map", "--gap", "1e-3", "--workers", "1", "--set",
                     "costs.last_mile_usd_per_kg_km=0.02",  # other inputs: another run name and hash
                     "--results-dir", str(results), "--out", str(tmp_path / "r2")]) == 0
    assert "reusing" not in capsys.readouterr().err
    assert not (results / "three" / "regret").exists()  # --out: nothing written beside the saved run
