"""Caches and inputs that are not trusted blindly: the sweep cache's checksums, sweep names and
grid sizes, uncertainty_scenarios.csv, an unreachable --scheduler (docs/robustness.md)."""
import json

import pytest
import tiny

import solve as cli
from model import load_scenario
from model.core import parallel
from model.solving.highs import SolverOptions
from model.stochastic import read_scenarios_csv
from model.studies import sweep

EXACT = SolverOptions(mip_rel_gap=0.0)


@pytest.fixture
def data(tmp_path):
    return tiny.write(tmp_path / "tiny", tiny.tables())


def _run(data, out):
    return sweep.run_sweep(load_scenario(data), [{"demand.growth": "1"}, {"demand.growth": "2"}], out, EXACT,
                           workers=1, quiet=True, plots=False)


@pytest.fixture
def swept(data, tmp_path):
    out = tmp_path / "sw"
    first = _run(data, out)
    assert first.solved == 2 and not first.rejected
    return out, first


def _point(out, first, i=0):
    return out / "points" / first.points["point"].iloc[i]


def test_untouched_cache_is_used(data, swept):
    out, first = swept
    again = _run(data, out)
    assert again.cached == 2 and again.solved == 0 and not again.rejected


def test_a_tampered_summary_is_detected_and_solved_again(data, swept):
    out, first = swept
    f = _point(out, first) / "summary.json"
    s = json.loads(f.read_text())
    true_objective = s["objective"]
    s["objective"] = 1.0
    f.write_text(json.dumps(s))
    again = _run(data, out)
    assert again.solved == 1 and [k for k, _ in again.rejected] == [first.points["point"].iloc[0]]
    assert "checksum" in again.rejected[0][1]
    assert again.points["objective"].iloc[0] == pytest.approx(true_objective)
    assert json.loads(f.read_text())["objective"] == pytest.approx(true_objective)  # the entry is repaired


@pytest.mark.parametrize("damage", ["invalid_json", "missing_point_json", "garbage_sites", "summary_list",
                                    "other_inputs"])
def test_a_damaged_cache_entry_is_solved_again_without_a_traceback(data, swept, damage):
    out, first = swept
    p = _point(out, first)
    if damage == "invalid_json":
        (p / "summary.json").write_text("{not json")
    elif damage == "missing_point_json":
        (p / "point.json").unlink()
    elif damage == "garbage_sites":
        (p / "sites.csv").write_bytes(b"\xff\xfe garbage \x00,,,\n\"unclosed")
    elif damage == "summary_list":
        (p / "summary.json").write_text("[]")
    else:  # an entry made from other inputs, under this key
        meta = json.loads((p / "point.json").read_text())
        meta["input_hash"] = "0" * 16
        (p / "point.json").write_text(json.dumps(meta))
    again = _run(data, out)
    assert again.solved == 1 and len(again.rejected) == 1 and again.failed == 0
    assert again.points["status"].iloc[0] == "optimal"


def test_sweep_name_that_leaves_results_is_refused(data, capsys):
    assert cli.main(["sweep", str(data), "--grid", "demand.growth=1,2", "--name", "../../x"]) == 2
    assert "--name '../../x'" in capsys.readouterr().err


def test_sweep_refuses_a_foreign_out(data, tmp_path, capsys):
    o = tmp_path / "o"
    o.mkdir()
    (o / "thesis.tex").write_text("x")
    assert cli.main(["sweep", str(data), "--grid", "demand.growth=1,2", "--out", str(o)]) == 2
    assert [p.name for p in o.iterdir()] == ["thesis.tex"]


def test_a_billion_point_grid_is_refused_at_once():
    with pytest.raises(ValueError, match="more than the 10,000"):
        sweep.parse_grid_spec("demand.growth=0:1000000000:1")
    with pytest.raises(ValueError, match="points, more than"):
        sweep.grid_points(["demand.growth=" + ",".join(map(str, range(1, 1001))),
                           "policy.cbec_tax_factor=" + ",".join(f"{i / 1000}" for i in range(1000))])


def test_an_unreachable_scheduler_exits_2(data, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(parallel, "SCHEDULER_TIMEOUT", "0.2s")  # nothing listens there: any wait is enough
    rc = cli.main(["sweep", str(data), "--grid", "demand.growth=1,2", "--out", str(tmp_path / "s"),
                   "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert rc == 2 and "--scheduler tcp://127.0.0.1:9: cannot connect" in err and "Traceback" not in err
    rc = cli.main(["regret", str(data), "--out", str(tmp_path / "r"), "--no-map", "--scheduler", "tcp://127.0.0.1:9"])
    assert rc == 2 and "cannot connect" in capsys.readouterr().err


# ----------------------------------------------------------------------------- uncertainty_scenarios.csv

GOOD = "scenario,zone,product,orders_per_year,usd_vnd\ns1,01,P1,100,25000\n"


@pytest.mark.parametrize("content,where", [
    (b"", "empty"),
    (b"scenario,zone,product,orders_per_year,usd_vnd\n", "at least one scenario row"),
    (b"scenario,zone,product,orders_per_year,usd_vnd\ns1,01,P1,100\n", "row 2: expected 5 comma-separated fields"),
    ("scenario,zone,product,orders_per_year,usd_vnd\nH\u00e0 N\u00f4i,01,P1,100,25000\n".encode("latin-1"),
     "row 2: expected UTF-8 text"),
    (b"scenario,zone,product,orders_per_year,usd_vnd\ns1,01,P1,inf,25000\n", "column 'orders_per_year'"),
    (b"scenario,zone,product,orders_per_year,usd_vnd\ns1,01,P1,100,inf\n", "column 'usd_vnd'"),
])
def test_bad_uncertainty_scenarios_csv_is_named(data, tmp_path, content, where):
    f = tmp_path / "u.csv"
    f.write_bytes(content)
    with pytest.raises(ValueError) as e:
        read_scenarios_csv(load_scenario(data), f)
    lines = e.value.lines()
    assert any(str(f) in line and where in line for line in lines), lines


def test_good_uncertainty_scenarios_csv_reads(data, tmp_path):
    f = tmp_path / "u.csv"
    f.write_text(GOOD)
    assert read_scenarios_csv(load_scenario(data), f).names == ["s1"]


def test_bad_uncertainty_scenarios_csv_through_the_command_line_exits_2(data, tmp_path, capsys):
    (data / "uncertainty_scenarios.csv").write_bytes(b"scenario,zone\n")
    assert cli.main([str(data), "--stochastic", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "uncertainty_scenarios.csv" in err and "Traceback" not in err
