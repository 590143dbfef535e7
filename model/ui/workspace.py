"""The planner's folders as the workspace sees them: the shipped scenarios, the user's own, the runs.

Presentation only: a scenario is written as a TOML file that ``extends`` its parent (the command line
runs it too), checked by :func:`model.io.scenario.load_scenario` before it is given its name, so a
planner sees the command line's own message and nothing invalid is ever left under its name. Every
name typed in the browser goes through :func:`model.io.outputs.check_component` and
:func:`model.io.outputs.child_path`: nothing is written outside the workspace's folders.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from model.core.errors import DataError, Problem, ScenarioError
from model.core.paths import RESULTS_DIR, SCENARIOS_DIR
from model.io.outputs import check_component, child_path
from model.io.run_identity import shipped_defaults, value_text
from model.io.scenario import load_scenario, parameter_keys, read_scenario_file
from model.io.tables import collect_tables

#: the input tables a planner edits in the browser (the rest are kept as the parent's)
EDITABLE_TABLES = ("sites", "site_levels", "demand", "products")
#: files of a run folder the browser may fetch (map, downloads)
RUN_FILES = ("map.html", "map.png", "results.xlsx", "sites.geojson", "flows.geojson", "report.md", "summary.json")
_PENDING = ".pending-"  # a scenario being checked: hidden (never listed), renamed into place when valid


@dataclass
class Saved:
    """What :meth:`Workspace.save_child` did: the file written, or the problems (nothing written)."""

    path: Path | None = None
    message: str = ""
    parameter_errors: dict | None = None  # key -> message
    table_problems: list | None = None  # Problem of the tables (their files named as in the saved folder)


@dataclass
class Workspace:
    shipped_dir: Path = SCENARIOS_DIR
    user_dir: Path = SCENARIOS_DIR / "mine"
    results_dir: Path = RESULTS_DIR

    def __post_init__(self):
        self.shipped_dir, self.user_dir, self.results_dir = (Path(p).resolve() for p in
                                                             (self.shipped_dir, self.user_dir, self.results_dir))

    # ------------------------------------------------------------------ scenarios

    def scenarios(self) -> list[dict]:
        """Shipped then own scenarios: ``name``, ``kind``, ``path``, ``extends`` (the parent's file stem)."""
        out = []
        for kind, folder in (("shipped", self.shipped_dir), ("mine", self.user_dir)):
            for p in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
                if p.name.startswith("."):
                    continue
                text = p.read_text(encoding="utf-8", errors="replace")
                parent = re.search(r'^extends\s*=\s*"([^"]*)"', text, re.M)
                out.append({"name": p.stem, "kind": kind, "path": str(p),
                            "extends": Path(parent.group(1)).stem if parent else ""})
        return out

    def scenario_path(self, name: str) -> Path:
        """The file of scenario ``name`` (own first, then shipped); ScenarioError if there is none."""
        check_component(str(name), "scenario")
        for folder in (self.user_dir, self.shipped_dir):
            p = folder / f"{name}.toml"
            if p.is_file():
                return p
        raise ScenarioError(f"no scenario '{name}' in {self.user_dir} or {self.shipped_dir}")

    def inputs(self, name: str) -> tuple[list[dict], dict[str, pd.DataFrame]]:
        """:meth:`levers` and the editable tables (text, as in the files) of scenario ``name``, loaded once."""
        scenario = load_scenario(self.scenario_path(name))
        tables = {t: pd.read_csv(Path(scenario.data_dir) / f"{t}.csv", dtype=str, keep_default_na=False)
                  for t in EDITABLE_TABLES}
        return self.levers(scenario), tables

    @staticmethod
    def levers(scenario) -> list[dict]:
        """Every declared parameter with this scenario's value, unit, range, default (as shipped in data/),
        source (the data folder's parameters.csv, else the schema's) and help."""
        keys = parameter_keys()
        shipped = shipped_defaults()
        table = scenario.tables.get("parameters")  # the data folder's own source of each value, where it gives one
        sources = (dict(zip(table["key"], table["source"].fillna("").astype(str)))
                   if table is not None and "source" in table.columns else {})
        rows = []
        for key, r in keys.iterrows():
            value = scenario.parameters.get(key)
            rows.append({"key": key, "value": value_text(value), "unit": r["unit"],
                         "range": f"[{r['min']}, {r['max']}]" if r["min"] != "" or r["max"] != "" else "",
                         "default": value_text(shipped[key]) if key in shipped else r["default"],
                         "source": sources.get(key) or r["source"], "help": r["description"],
                         "type": r["type"], "_error": "", "_orig": value_text(value)})
        return rows

    def save_child(self, parent: str, name: str, changes: dict, tables: dict | None = None) -> Saved:
        """Scenario ``name`` in the user's folder: ``extends`` ``parent`` and sets ``changes`` (key -> text
        as typed); ``tables`` (name -> DataFrame of text) replace the parent's tables in a data folder of its
        own. Checked by the command line's loader first; on any problem nothing is left behind."""
        try:
            check_component(str(name), "scenario name")
        except ValueError as exc:
            return Saved(message=str(exc))
        if any(s["name"] == name for s in self.scenarios()):
            return Saved(message=f"a scenario named '{name}' exists already: choose another name")
        parent_path = self.scenario_path(parent)
        self.user_dir.mkdir(parents=True, exist_ok=True)
        final = child_path(self.user_dir, f"{name}.toml")
        pending = child_path(self.user_dir, f"{_PENDING}{name}.toml")
        data_final = child_path(self.user_dir, f"{name}-data")
        data_pending = child_path(self.user_dir, f"{_PENDING}{name}-data")
        try:
            lines = [f"# made in the workspace (python solve.py ui) from {parent_path.stem}",
                     f'name = "{name}"', f"extends = {json.dumps(os.path.relpath(parent_path, self.user_dir))}"]
            if tables:
                problems = self._pending_data(parent_path, data_pending, tables)
                if problems:
                    return Saved(message=f"{len(problems)} problem(s) in the tables: nothing saved",
                                 table_problems=problems)
                lines.append(f'data = "{data_final.name}"')
            lines += _toml_sections(changes)
            pending.write_text("\n".join(lines) + "\n", encoding="utf-8")
            try:
                if tables:  # the loader reads the data folder the file names: give it its name first
                    os.replace(data_pending, data_final)
                load_scenario(pending)
            except (ScenarioError, DataError) as exc:
                if tables and data_final.exists():
                    shutil.rmtree(data_final)
                text = str(exc).replace(str(pending), str(final))
                bad = {k: text for k in changes if f"'{k}'" in text}
                return Saved(message=text, parameter_errors=bad)
            os.replace(pending, final)
            return Saved(path=final, message=f"saved {final} (extends {parent_path.stem})")
        finally:
            pending.unlink(missing_ok=True)
            if data_pending.exists():
                shutil.rmtree(data_pending)

    def _pending_data(self, parent_path: Path, folder: Path, tables: dict) -> list[Problem]:
        """A copy of the parent's data folder with ``tables`` replaced; its problems, by table name."""
        _, data, _ = read_scenario_file(parent_path)
        source = Path(data or load_scenario(parent_path).data_dir)
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(source, folder)
        for table, df in tables.items():
            if table not in EDITABLE_TABLES:
                raise ValueError(f"table {table!r} is not editable here")
            df.to_csv(folder / f"{table}.csv", index=False)
        _, problems = collect_tables(folder)
        final = str(folder).replace(_PENDING, "")  # named as the folder it would have become
        return [Problem(str(p.file).replace(str(folder), final), p.row, p.column, p.value, p.expected)
                for p in problems]

    # ------------------------------------------------------------------ runs

    def run_folder(self, run: str) -> Path:
        """The folder of finished run ``run`` under the results folder (a checked name)."""
        return child_path(self.results_dir, check_component(str(run), "run"))

    def finished_runs(self) -> list[str]:
        """Names of the run folders (summary.json + sites.csv) under the results folder, newest first."""
        if not self.results_dir.is_dir():
            return []
        runs = [p for p in self.results_dir.iterdir()
                if p.is_dir() and (p / "summary.json").is_file() and (p / "sites.csv").is_file()]
        return [p.name for p in sorted(runs, key=lambda p: -(p / "summary.json").stat().st_mtime)]


def _toml_value(kind: str, text: str) -> str:
    """The TOML literal of a value typed in the grid: a number or switch as itself when it reads as one,
    else a string, so the loader's own check words the error."""
    text = str(text).strip()
    if kind in ("number", "integer", "optional number", "bool"):
        try:
            x = float(text)
            if math.isfinite(x):
                return text if re.fullmatch(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?", text) else repr(x)
            return "inf" if x > 0 else "-inf"
        except ValueError:
            if kind == "bool" and text.lower() in ("true", "false"):
                return text.lower()
    return json.dumps(text, ensure_ascii=False)


def _toml_sections(changes: dict) -> list[str]:
    """``[section]`` blocks of dotted keys ``section.name`` -> typed text."""
    keys = parameter_keys()
    by_section: dict[str, list[str]] = {}
    for key, text in changes.items():
        section, _, leaf = key.rpartition(".")
        kind = keys.at[key, "type"] if key in keys.index else ""
        by_section.setdefault(section, []).append(f"{leaf} = {_toml_value(kind, text)}")
    out = []
    for section, rows in by_section.items():
        out += ["", f"[{section}]", *rows] if section else rows
    return out
