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
    from model.results import write_atomically

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
