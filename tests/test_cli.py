"""solve.py: result files, one-line errors with exit status 2, atomic writes."""
import json
import subprocess
import sys
from pathlib import Path

from tiny import tables, write

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "solve.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_writes_summary_sites_and_flows(tmp_path):
    data = write(tmp_path / "d", tables(demand={"01": 1000}, levels=[("S1", "small", 1e6, 2000.0)],
                                        parcel_usd_per_order=6.0))
    out = tmp_path / "out"
    p = run("--data", data, "--out", out)
    assert p.returncode == 0, p.stderr
    summary = json.loads((out / "summary.json").read_text())
    for key in ("status", "objective", "bound", "gap", "build_seconds", "solve_seconds", "cost_breakdown",
                "sites_opened", "mode_share", "unmet_share"):
        assert key in summary
    assert summary["status"] == "optimal" and abs(summary["objective"] - 4000.0) < 1e-6
    assert [(s["site"], s["level"]) for s in summary["sites_opened"]] == [("S1", "small")]
    assert (out / "sites.csv").exists() and (out / "flows.csv").exists()
    assert "Sites opened (1)" in p.stdout


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    t = tables()
    t["demand"]["orders_per_year"] = ["many"]
    data = write(tmp_path / "d", t)
    p = run("--data", data, "--out", tmp_path / "out")
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "demand.csv, row 2, column 'orders_per_year'" in p.stderr
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_set_key_exits_2(tmp_path):
    p = run("--set", "policy.nonsense=1", "--out", tmp_path / "out")
    assert p.returncode == 2 and "unknown parameter" in p.stderr


def test_failed_write_leaves_previous_results_intact(tmp_path):
    from model.report.writer import write_atomically

    out = tmp_path / "res"
    write_atomically(out, {"a.txt": lambda p: p.write_text("old")})

    def boom(path):
        path.write_text("half")
        raise KeyboardInterrupt

    try:
        write_atomically(out, {"a.txt": lambda p: p.write_text("new"), "b.txt": boom})
    except KeyboardInterrupt:
        pass
    assert (out / "a.txt").read_text() == "old" and not (out / "b.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["res"]


def test_mistakes_in_five_files_are_all_printed_one_line_each(tmp_path):
    from test_robustness import EXPECTED_FIVE, five_mistakes

    p = run("--data", five_mistakes(tmp_path / "d"), "--out", tmp_path / "out", "--no-map")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 5 and all(line.startswith("error: ") for line in lines), p.stderr
    for file, row, column in EXPECTED_FIVE:
        assert sum(f"{file}, row {row}, column '{column}'" in line for line in lines) == 1, (file, p.stderr)
    assert not (tmp_path / "out").exists()


def test_no_incumbent_at_the_time_limit_exits_3_with_one_line(tmp_path):
    """HiGHS checks the limit before its presolve, so even a tiny scenario stops without a plan
    (the default scenario behaves alike, after seconds of building the model)."""
    data = write(tmp_path / "d", tables(demand={"01": 100.0, "02": 50.0}, sites={"S1": 10.0, "S2": 11.0}))
    p = run("--data", data, "--time-limit", "1e-6", "--out", tmp_path / "out", "--no-map")  # 0 is refused (exit 2)
    assert p.returncode == 3, p.stderr
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("error: no solution (no_solution;"), p.stderr
    assert not (tmp_path / "out").exists()


def test_time_limit_with_an_incumbent_is_a_warning_not_an_optimum(tmp_path):
    """Half a second on the default scenario: HiGHS normally holds an incumbent by then (exit 0,
    status time_limit, a warning). On a very slow machine it may have none: then exit 3, one line."""
    out = tmp_path / "out"
    p = run("--time-limit", "0.5", "--out", out, "--no-map")
    assert "Traceback" not in p.stderr
    if p.returncode == 3:
        assert p.stderr.count("\n") == 1 and "no solution" in p.stderr
        return
    assert p.returncode == 0, p.stderr
    summary = json.loads((out / "summary.json").read_text())
    if summary["status"] == "optimal":  # only ever when proven within the gap
        assert summary["gap"] <= summary["solver"]["mip_rel_gap"] + 1e-12
        return
    assert summary["status"] == "time_limit" and summary["objective"] is not None
    assert "\nRun default: time_limit, total cost" in p.stdout  # after the "Solving ..." line
    assert "warning: not proven optimal (time_limit)" in p.stderr


def test_infeasible_scenario_exits_3(tmp_path):
    t = tables(sites={"S1": 10.0, "S2": 11.0}, **{"policy.max_sites": 1})
    t["sites"]["force_open"] = True  # two sites forced open, at most one may open
    p = run("--data", write(tmp_path / "d", t), "--out", tmp_path / "out", "--no-map")
    lines = p.stderr.splitlines()
    assert p.returncode == 3 and lines[0].startswith("error: no solution (infeasible"), p.stderr
    # then the explanation (model.solving.infeasibility), one indented line per family that resolves it
    assert any("max_sites" in ln for ln in lines[1:]) and any("force_open" in ln for ln in lines[1:]), p.stderr
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "out").exists()
