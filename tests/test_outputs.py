"""Output folders (model.io.outputs): foreign folders survive, kills leave the old or the new result
complete, concurrent writers, names from data stay under their parent, strict JSON, escaped CSV
and Markdown (docs/robustness.md, "Outputs and status: what is guaranteed")."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from tiny import tables, write

import solve as cli
from model.core.formats import escape_formulas
from model.io.outputs import (
    MARKER,
    STEPS,
    OutputRefused,
    check_component,
    child_path,
    dumps,
    md_text,
    read_marker,
    safe_component,
    write_atomically,
)
from model.studies import compare

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ROOT / "model" / "io" / "outputs.py"

# A child process that loads model/io/outputs.py alone (no Pyomo) and writes three files.
CHILD = r"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("outputs", sys.argv[1])
o = importlib.util.module_from_spec(spec); spec.loader.exec_module(o)
tag = sys.argv[3]
o.write_atomically(sys.argv[2], {f"f{i}.txt": (lambda i: lambda p: p.write_text(f"{tag} {i}"))(i) for i in range(3)})
"""


def child(out, tag, **env):
    return subprocess.Popen([sys.executable, "-c", CHILD, str(OUTPUTS), str(out), tag],
                            env={**os.environ, **env}, stderr=subprocess.PIPE, text=True)


def complete_as(out: Path) -> str | None:
    """The tag of a complete result in ``out`` (all three files of one writer, marker complete), else None."""
    if not (read_marker(out) or {}).get("complete"):
        return None
    texts = [(out / f"f{i}.txt").read_text() if (out / f"f{i}.txt").is_file() else "" for i in range(3)]
    tags = {t.rsplit(" ", 1)[0] for t in texts}
    ok = len(tags) == 1 and all(t.endswith(f" {i}") for i, t in enumerate(texts))
    return tags.pop() if ok else None


def snapshot(root: Path, skip=()) -> dict:
    """Every path under ``root`` (but the top-level names in ``skip``) -> its bytes (None for a folder)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] in skip:
            continue
        out[str(rel)] = None if p.is_dir() and not p.is_symlink() else (
            os.readlink(p) if p.is_symlink() else p.read_bytes())
    return out


def leftovers(parent: Path, name="out"):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


# ----------------------------------------------------------------------------- foreign folders

@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    t = tables(sites={"S1": 10.0, "S2": 11.0})
    t["sites"].loc[0, "name"] = "=<img src=x onerror=alert(1)>"  # formula and HTML in a name from data
    return write(tmp_path_factory.mktemp("d") / "data", t)


def test_a_non_empty_foreign_out_survives_and_exits_2(tmp_path, tiny_data, capsys):
    v = tmp_path / "v"
    v.mkdir()
    (v / "notes.txt").write_text("notes")
    assert cli.main(["--data", str(tiny_data), "--out", str(v), "--no-map"]) == 2
    assert "not written by this tool" in capsys.readouterr().err
    assert [p.name for p in v.iterdir()] == ["notes.txt"] and (v / "notes.txt").read_text() == "notes"


def test_force_writes_beside_foreign_files_and_later_runs_keep_them(tmp_path, tiny_data):
    v = tmp_path / "v"
    v.mkdir()
    (v / "notes.txt").write_text("notes")
    assert cli.main(["--data", str(tiny_data), "--out", str(v), "--no-map", "--force"]) == 0
    assert (v / "notes.txt").read_text() == "notes" and (v / "summary.json").is_file()
    assert read_marker(v)["forced_into_foreign_folder"] is True
    (v / "more.txt").write_text("more")
    inode = v.stat().st_ino
    assert cli.main(["--data", str(tiny_data), "--out", str(v), "--no-map"]) == 0  # ours now: no --force needed
    assert (v / "notes.txt").read_text() == "notes" and (v / "more.txt").read_text() == "more"
    assert v.stat().st_ino == inode  # the user's folder is written into, never swapped away


def test_replacement_keeps_files_the_tool_did_not_write(tmp_path):
    out = tmp_path / "out"
    write_atomically(out, {"a.txt": lambda p: p.write_text("old")})
    (out / "mine.txt").write_text("user")
    (out / "sub").mkdir()
    (out / "sub" / "x").write_text("x")
    write_atomically(out, {"a.txt": lambda p: p.write_text("new")})
    assert (out / "a.txt").read_text() == "new" and (out / "mine.txt").read_text() == "user"
    assert (out / "sub" / "x").read_text() == "x"
    with pytest.raises(OutputRefused, match="mine.txt"):  # the new result would replace the user's file
        write_atomically(out, {"mine.txt": lambda p: p.write_text("tool")})
    assert (out / "mine.txt").read_text() == "user"


def test_out_through_a_file_is_refused(tmp_path, tiny_data, capsys):
    assert cli.main(["--data", str(tiny_data), "--out", "/dev/null/res", "--no-map"]) == 2
    assert "/dev/null is not a folder" in capsys.readouterr().err
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputRefused):
        write_atomically(f, {"a.txt": lambda p: p.write_text("a")}, force=True)
    assert f.read_text() == "x"


def test_a_folder_is_ours_only_by_a_valid_marker(tmp_path):
    """An unmarked folder holding a summary.json with an input_hash (as results of an early version
    did) is the user's: refused, and its .git/ and .notes are untouched (issue 31)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text(json.dumps({"scenario": "s", "input_hash": "abc"}))
    (out / "sites.csv").write_text("site\n")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / ".notes").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(OutputRefused, match="not written by this tool"):
        write_atomically(out, {"summary.json": lambda p: p.write_text("{}")})
    assert snapshot(tmp_path) == before


# ----------------------------------------------------------------------------- kills and concurrency

@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2-exchange", "two-renames"])
def test_a_kill_at_every_step_leaves_the_old_or_the_new_result(tmp_path, exchange):
    env = {} if exchange else {"VN_CBEC_WRITER_NO_EXCHANGE": "1"}
    out = tmp_path / "out"
    assert child(out, "old", **env).wait() == 0 and complete_as(out) == "old"
    for step in STEPS:
        p = child(out, f"new-{step}", VN_CBEC_WRITER_EXIT_AT=step, **env)
        assert p.wait() == 137, (step, p.stderr.read())
        state = complete_as(out)
        if exchange or step != "swapped":
            assert state in ("old", f"new-{step}"), (step, state)
        else:  # the fallback's window between its two renames: the next write restores the old result
            assert not out.exists()
        assert child(out, "old", **env).wait() == 0, step  # the next run succeeds ...
        assert complete_as(out) == "old"
        assert leftovers(tmp_path) == [], (step, leftovers(tmp_path))  # ... and removes the temp folders


def test_sigkill_while_writing_leaves_the_old_result(tmp_path):
    out = tmp_path / "out"
    assert child(out, "old").wait() == 0
    p = child(out, "new", VN_CBEC_WRITER_PAUSE_AT="first_file")
    deadline = time.time() + 30
    while not list(tmp_path.glob(".out.tmp-*/.paused")):
        assert time.time() < deadline and p.poll() is None
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert complete_as(out) == "old"
    assert leftovers(tmp_path)  # the killed writer's temp folder is still there ...
    assert child(out, "next").wait() == 0 and complete_as(out) == "next"
    assert leftovers(tmp_path) == []  # ... until the next write


def test_concurrent_writers_to_one_out_all_succeed(tmp_path):
    out = tmp_path / "out"
    procs = [child(out, f"w{i}") for i in range(8)]
    codes = [p.wait() for p in procs]
    errors = [p.stderr.read() for p in procs]
    assert codes == [0] * 8, errors
    assert complete_as(out) in {f"w{i}" for i in range(8)}
    assert leftovers(tmp_path) == []


def test_failed_writer_leaves_the_previous_result_and_no_temp_folder(tmp_path):
    out = tmp_path / "out"
    write_atomically(out, {"a.txt": lambda p: p.write_text("old")})

    def boom(p):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(out, {"a.txt": lambda p: p.write_text("new"), "b.txt": boom})
    assert (out / "a.txt").read_text() == "old" and leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- names from data

@pytest.mark.parametrize("name", ["x/../../../victim", "..", "../x", "/etc/passwd", "a\\b", ".hidden", ""])
def test_safe_component_is_one_path_component(tmp_path, name):
    c = safe_component(name)
    assert "/" not in c and "\\" not in c and c not in (".", "..") and not c.startswith(".")
    assert child_path(tmp_path, name).parent == tmp_path
    if name != c:
        with pytest.raises(OutputRefused):
            check_component(name, "--name")


def test_child_path_refuses_a_symlink_out_of_the_parent(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "link").symlink_to(tmp_path)
    with pytest.raises(OutputRefused, match="outside"):
        child_path(tmp_path / "results", "link")


def _fake_run(folder: Path, scenario) -> Path:
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps({"scenario": scenario, "status": "optimal", "objective": 1.0}))
    pd.DataFrame({"site": ["S1"], "opened": [True], "level": ["small"], "lat": [10.0], "lon": [106.0]}).to_csv(
        folder / "sites.csv", index=False)
    return folder


def test_a_tampered_scenario_name_cannot_leave_results(tmp_path, monkeypatch):
    monkeypatch.setattr(compare, "ROOT", tmp_path / "repo")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep")
    a = _fake_run(tmp_path / "runs" / "a", "x/../../../victim")
    b = _fake_run(tmp_path / "runs" / "b", "../../victim")
    assert compare.main([str(a), str(b), "--no-map"]) == 0
    made = list((tmp_path / "repo" / "results").iterdir())
    assert len(made) == 1 and made[0].parent == tmp_path / "repo" / "results" and (made[0] / "compare.md").is_file()
    assert [p.name for p in victim.iterdir()] == ["keep.txt"]
    assert "../" not in made[0].name


def test_compare_input_whose_summary_is_a_list_exits_2(tmp_path, capsys):
    a = _fake_run(tmp_path / "a", "a")
    b = _fake_run(tmp_path / "b", "b")
    (b / "summary.json").write_text("[1, 2]")
    assert compare.main([str(a), str(b), "--no-map", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "summary.json: expected a JSON object (got a list)" in err and "Traceback" not in err
    (b / "summary.json").write_text("{not json")
    assert compare.main([str(a), str(b), "--no-map", "--out", str(tmp_path / "o")]) == 2


def test_compare_refuses_a_foreign_out(tmp_path, capsys):
    a, b = _fake_run(tmp_path / "a", "a"), _fake_run(tmp_path / "b", "b")
    o = tmp_path / "o"
    o.mkdir()
    (o / "mine").write_text("x")
    assert compare.main([str(a), str(b), "--no-map", "--out", str(o)]) == 2
    assert [p.name for p in o.iterdir()] == ["mine"]


# ----------------------------------------------------------------------------- strict JSON, CSV, Markdown

def test_strict_json_has_no_infinity_or_nan():
    text = dumps({"a": float("inf"), "b": [float("-inf"), float("nan")], "c": 1.5})
    assert json.loads(text) == {"a": "inf", "b": ["-inf", None], "c": 1.5}
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict constant {c}"))


def test_summary_json_of_a_run_is_strict_json(tmp_path, tiny_data):
    out = tmp_path / "out"
    assert cli.main(["--data", str(tiny_data), "--out", str(out), "--no-map"]) == 0
    text = (out / "summary.json").read_text()
    s = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict constant {c}"))
    assert s["parameters"]["policy.max_sites"] == "inf"  # uncapped: the string "inf", not Infinity
    json.dumps(s, allow_nan=False)
    # the site name from data is escaped as a formula in sites.csv and as HTML in report.md
    sites = (out / "sites.csv").read_text()
    assert ",'=<img src=x onerror=alert(1)>," in sites
    report = (out / "report.md").read_text()
    assert "<img" not in report and "=&lt;img src=x onerror=alert(1)&gt;" in report


def test_formula_cells_are_escaped_but_numbers_are_not():
    df = pd.DataFrame({"name": ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "plain", "-5", "-1.5e3"],
                       "value": [-1.0, -2.0, 3.0, -4.0, 5.0, -6.0, -7.0]})
    out = escape_formulas(df)
    assert list(out["name"]) == ["'=1+2", "'+cmd", "'-2+3", "'@SUM(A1)", "plain", "-5", "-1.5e3"]
    assert list(out["value"]) == list(df["value"])


def test_markdown_text_from_data_is_escaped():
    assert md_text("<script>alert(1)</script> | x") == "&lt;script&gt;alert(1)&lt;/script&gt; \\| x"


def test_marker_names_the_files_written(tmp_path):
    out = write_atomically(tmp_path / "o", {"a.txt": lambda p: p.write_text("a")}, kind="test")
    m = json.loads((out / MARKER).read_text())
    assert m["files"] == ["a.txt"] and m["kind"] == "test" and m["complete"] is True


def test_replacing_a_result_written_meanwhile_by_another_run_is_not_silent(tmp_path, caplog):
    out = write_atomically(tmp_path / "o", {"a.txt": lambda p: p.write_text("theirs")})
    m = json.loads((out / MARKER).read_text())
    (out / MARKER).write_text(json.dumps({**m, "pid": 1}))  # as if another process wrote it after we started
    with caplog.at_level("WARNING", logger="model.io.outputs"):
        write_atomically(out, {"a.txt": lambda p: p.write_text("ours")})
    assert "replacing a result written by another run (process 1" in caplog.text


def test_hidden_folders_beside_a_result_are_never_touched(tmp_path):
    """.r6.20241201/ and .r6.old.1/ (the user's backups) and an unmarked .r6.tmp-1-abcdef12/ stay
    byte-identical when r6 is written again; a real leftover of a killed writer is removed."""
    out = write_atomically(tmp_path / "r6", {"summary.json": lambda p: p.write_text("{}")})
    for name in (".r6.20241201", ".r6.old.1", ".r6.backup-2025", ".r6.tmp-1-abcdef12"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "sites.csv").write_text("site\n")
    (tmp_path / ".r6.tmp-2-abcdef12").mkdir()  # what a writer killed before its first file leaves
    before = snapshot(tmp_path, skip=("r6", ".r6.tmp-2-abcdef12"))
    write_atomically(out, {"summary.json": lambda p: p.write_text("{}")})
    assert snapshot(tmp_path, skip=("r6", ".r6.tmp-2-abcdef12")) == before
    assert not (tmp_path / ".r6.tmp-2-abcdef12").exists()


@pytest.mark.parametrize("command", [["regret"], ["alternatives"], ["breakeven", "policy.cbec_tax_factor"], [],
                                     ["sweep"]])
def test_every_command_refuses_a_foreign_out_before_solving(tmp_path, tiny_data, command, capsys):
    v = tmp_path / "v"
    v.mkdir()
    (v / "notes.txt").write_text("notes")
    extra = {"breakeven": ["--range", "0.5:1"], "sweep": ["--grid", "demand.growth=1,2"]}.get(
        command[0] if command else "", [])
    stochastic = [] if command else ["--stochastic"]
    assert cli.main([*command, str(tiny_data), *extra, *stochastic, "--out", str(v)]) == 2
    assert "not written by this tool" in capsys.readouterr().err
    assert [p.name for p in v.iterdir()] == ["notes.txt"]


# ----------------------------------------------------------------------------- forged markers (issue 31)

def _marker(folder: Path, **fields) -> None:
    doc = {"tool": "vn-cbec-bonded", "kind": "result", "complete": True, "pid": 1,
           "written_at": "2026-01-01T00:00:00+00:00",
           **fields}
    (folder / MARKER).write_text(json.dumps(doc))


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_a_forged_marker_cannot_delete_files_outside_out(tmp_path, tiny_data, force, capsys):
    """A marker listing an absolute path and ../victim (as a folder we were once forced into) made a
    plain run delete both: now the marker is invalid, the folder foreign, and nothing outside the
    results we write changes."""
    victim, near = tmp_path / "elsewhere" / "victim.txt", tmp_path / "victim"
    victim.parent.mkdir()
    victim.write_text("far")
    near.write_text("near")
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"PK thesis")
    _marker(out, files=[str(victim), "../victim", "thesis.docx"], forced_into_foreign_folder=True)
    before = snapshot(tmp_path, skip=("out",))
    before_thesis = (out / "thesis.docx").read_bytes()
    rc = cli.main(["--data", str(tiny_data), "--out", str(out), "--no-map", *(["--force"] if force else [])])
    err = capsys.readouterr().err
    assert snapshot(tmp_path, skip=("out",)) == before
    assert (out / "thesis.docx").read_bytes() == before_thesis
    if force:
        assert rc == 0 and (out / "summary.json").is_file()
    else:
        assert rc == 2 and "marker file is not valid" in err and "Traceback" not in err


@pytest.mark.parametrize("checksums", [None, {"thesis.docx": "0" * 64}], ids=["no-checksums", "wrong-checksum"])
def test_a_marker_naming_a_user_file_does_not_delete_it(tmp_path, checksums):
    """A marker listing thesis.docx (a plain name in the folder): the file is not the tool's unless its
    bytes match the checksum recorded at write time, so a rewrite keeps it."""
    out = write_atomically(tmp_path / "out", {"summary.json": lambda p: p.write_text("a")})
    (out / "thesis.docx").write_bytes(b"PK thesis")
    m = json.loads((out / MARKER).read_text())
    m["files"] = ["summary.json", "thesis.docx"]
    if checksums is None:
        m.pop("checksums")
    else:
        m["checksums"].update(checksums)
    (out / MARKER).write_text(json.dumps(m))
    if checksums is not None:  # listed with a checksum it does not match: refused before any work, named
        with pytest.raises(OutputRefused, match="thesis.docx changed since this tool wrote it"):
            write_atomically(out, {"summary.json": lambda p: p.write_text("new")})
        assert (out / "thesis.docx").read_bytes() == b"PK thesis"
    write_atomically(out, {"summary.json": lambda p: p.write_text("new")}, force=checksums is not None)
    assert (out / "thesis.docx").read_bytes() == b"PK thesis" and (out / "summary.json").read_text() == "new"


def test_marker_records_a_checksum_per_file_and_an_edited_file_is_the_users(tmp_path):
    out = write_atomically(tmp_path / "out", {"a.txt": lambda p: p.write_text("a"),
                                              "b.txt": lambda p: p.write_text("b")})
    m = json.loads((out / MARKER).read_text())
    assert m["files"] == ["a.txt", "b.txt"] and set(m["checksums"]) == {"a.txt", "b.txt"}
    (out / "b.txt").write_text("my edit")  # an edited result file: no longer the tool's to delete
    with pytest.raises(OutputRefused, match="b.txt changed since"):  # said before any work
        write_atomically(out, {"a.txt": lambda p: p.write_text("a2")})
    write_atomically(out, {"a.txt": lambda p: p.write_text("a2")}, force=True)  # kept beside the new result
    assert (out / "b.txt").read_text() == "my edit"
    with pytest.raises(OutputRefused, match="changed since"):
        write_atomically(out, {"b.txt": lambda p: p.write_text("b2")})
    assert (out / "b.txt").read_text() == "my edit"


def test_hidden_files_inside_a_result_survive_byte_identical(tmp_path, tiny_data):
    out = tmp_path / "out"
    assert cli.main(["--data", str(tiny_data), "--out", str(out), "--no-map"]) == 0
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / ".notes").write_text("mine")
    before = {k: v for k, v in snapshot(out).items() if k.startswith(".git") or k == ".notes"}
    assert cli.main(["--data", str(tiny_data), "--out", str(out), "--no-map"]) == 0
    assert {k: v for k, v in snapshot(out).items() if k.startswith(".git") or k == ".notes"} == before


@pytest.mark.parametrize("where", ["same", "parent"])
def test_out_is_never_the_data_folder_or_one_holding_it(tmp_path, where, capsys):
    data = write(tmp_path / "proj" / "data", tables())
    before = snapshot(tmp_path)
    out = data if where == "same" else data.parent
    rc = cli.main(["--data", str(data), "--out", str(out), "--no-map", "--force"])
    err = capsys.readouterr().err
    assert rc == 2 and "never written over their inputs" in err and "Traceback" not in err
    assert snapshot(tmp_path) == before


def test_data_without_out_does_not_replace_the_default_result(tmp_path, monkeypatch, tiny_data):
    monkeypatch.setattr(cli, "ROOT", tmp_path)
    default = tmp_path / "results" / "default"
    write_atomically(default, {"summary.json": lambda p: p.write_text('{"scenario": "default"}')})
    before = snapshot(default)
    assert cli.main(["--data", str(tiny_data), "--no-map"]) == 0
    assert snapshot(default) == before
    assert (tmp_path / "results" / tiny_data.name / "summary.json").is_file()


def test_a_symlinked_out_is_named_as_such(tmp_path, tiny_data, capsys):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    assert cli.main(["--data", str(tiny_data), "--out", str(tmp_path / "link"), "--no-map"]) == 2
    err = capsys.readouterr().err
    assert "symbolic link" in err and "not empty" not in err


# ----------------------------------------------------------------------------- workbook cells are values

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "=cmd|' /C calc'!A0", "=1+2"]


def test_no_formula_cell_in_the_workbook_whatever_the_names(tmp_path):
    """Site and province names that are formulas (a link, a DDE payload) are stored as text in
    every sheet of results.xlsx: read back, no cell is a formula and the text is unchanged."""
    from openpyxl import load_workbook

    t = tables(demand={"01": 100.0, "02": 50.0}, sites={"S1": 10.0, "S2": 11.0})
    t["sites"]["name"] = FORMULAS[:2]
    for col in ("name_vi", "name_ascii"):
        t["provinces"][col] = FORMULAS
    data = write(tmp_path / "d", t)
    out = tmp_path / "out"
    assert cli.main(["--data", str(data), "--out", str(out), "--no-map"]) == 0
    book = load_workbook(out / "results.xlsx")
    texts = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    assert set(FORMULAS[:2]) <= texts  # the site names, as text
    assert FORMULAS[0] in texts or FORMULAS[1] in texts or FORMULAS[2] in texts  # province names too
