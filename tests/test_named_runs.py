"""Named runs (model/io/run_identity.py): a ``--set`` run goes to its own folder and says what it changed;
a scenario file may ``extends`` another."""
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from tiny import tables, write

from model import ScenarioError, load_scenario
from model.io.run_identity import change_label, changes, run_name

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "solve.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def _digest(folder: Path) -> dict:
    """Every file under ``folder`` -> SHA-256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_set_run_never_touches_the_scenarios_run_and_names_its_change(tmp_path):
    data = write(tmp_path / "tinydata", tables(demand={"01": 1000}, levels=[("S1", "small", 1e6, 2000.0)],
                                               parcel_usd_per_order=6.0))
    results = tmp_path / "results"
    first = run(data, "--results-dir", results, "--no-map")
    assert first.returncode == 0, first.stderr
    before = _digest(results / "tinydata")
    assert "report.md" in before and "results.xlsx" in before
    second = run(data, "--results-dir", results, "--no-map", "--set", "policy.cbec_tax_factor=0.5")
    assert second.returncode == 0, second.stderr
    assert _digest(results / "tinydata") == before  # byte-identical: the base run was not rewritten
    own = results / "tinydata+cbec_tax_factor=0.5"
    assert "Results written to" in second.stdout and str(own) in second.stdout
    report = (own / "report.md").read_text(encoding="utf-8")
    head = report.split("**Status:**")[0]  # the change is named before anything else
    assert head.startswith("# Run `tinydata+cbec_tax_factor=0.5`")
    assert "`policy.cbec_tax_factor` = 0.5 (scenario file: 1) set for this run" in head
    assert "input hash `" in head
    summary = json.loads((own / "summary.json").read_text())
    assert summary["run"] == "tinydata+cbec_tax_factor=0.5" and summary["scenario"] == "tinydata"
    row = next(r for r in summary["changes"] if r["parameter"] == "policy.cbec_tax_factor")
    assert row == {"parameter": "policy.cbec_tax_factor", "value": 0.5, "scenario_file": 1.0,
                   "shipped_default": 1.0, "unit": "share", "set_here": True}
    base = json.loads((results / "tinydata" / "summary.json").read_text())
    assert base["run"] == "tinydata" and not any(r["set_here"] for r in base["changes"])


def test_name_picks_the_folder(tmp_path):
    data = write(tmp_path / "d", tables(demand={"01": 100}))
    p = run(data, "--results-dir", tmp_path / "r", "--no-map", "--set", "policy.cbec_tax_factor=0.5",
            "--name", "half-vat")
    assert p.returncode == 0, p.stderr
    assert json.loads((tmp_path / "r" / "half-vat" / "summary.json").read_text())["run"] == "half-vat"
    bad = run(data, "--results-dir", tmp_path / "r", "--name", "../up")
    assert bad.returncode == 2 and "--name '../up'" in bad.stderr


def test_labels_are_readable_and_distinct():
    assert change_label({"policy.cbec_tax_factor": 0.5, "policy.eligible_zones": ["01", "79"]}) == \
        "cbec_tax_factor=0.5+eligible_zones=01,79"
    long_a = change_label({"policy.eligible_zones": [f"{i:02d}" for i in range(40)]})
    long_b = change_label({"policy.eligible_zones": [f"{i:02d}" for i in range(41)]})
    assert len(long_a) <= 80 and long_a != long_b


def test_extends_writes_only_the_differences(tmp_path):
    """pilot-like file extending status-quo-2026: it inherits vat_rate 0.08 and the data folder,
    and its own cbec_tax_factor wins over the parent's 1.0."""
    child = tmp_path / "half.toml"
    child.write_text(f'extends = "{ROOT / "scenarios" / "status-quo-2026.toml"}"\n[policy]\ncbec_tax_factor = 0.5\n')
    sc = load_scenario(child)
    assert sc.name == "half" and run_name(sc) == "half"
    assert sc.param("policy.vat_rate") == 0.08 and sc.param("policy.cbec_tax_factor") == 0.5
    assert sc.data_dir == (ROOT / "data").resolve()
    rows = {r["parameter"]: r for r in changes(sc)}
    assert rows["policy.vat_rate"]["shipped_default"] is None and not rows["policy.vat_rate"]["set_here"]
    by_name = tmp_path / "byname.toml"
    by_name.write_text('extends = "status-quo-2026"\n')  # a shipped scenario by its name
    assert load_scenario(by_name).param("policy.vat_rate") == 0.08
    loop = tmp_path / "loop.toml"
    loop.write_text('extends = "loop.toml"\n')
    with pytest.raises(ScenarioError, match="extends itself"):
        load_scenario(loop)
    missing = tmp_path / "missing.toml"
    missing.write_text('extends = "nowhere"\n')
    with pytest.raises(ScenarioError, match="extends = 'nowhere'"):
        load_scenario(missing)
