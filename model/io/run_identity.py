"""Which run this is: its name, and every parameter that differs from its scenario file and from
the shipped defaults.

A run with ``--set`` is not its scenario: ``python solve.py --set policy.cbec_tax_factor=0.5``
is named ``default+cbec_tax_factor=0.5`` and writes ``results/default+cbec_tax_factor=0.5/``,
so the scenario's own run is never overwritten and a reader never takes one for the other.
report.md, summary.json (``run``, ``changes``) and results.xlsx open with these rows.
"""
from __future__ import annotations

import hashlib
import math
import re
from functools import lru_cache

import pandas as pd

from model.core.errors import ScenarioError
from model.io.scenario import DEFAULT_DATA_DIR, _parameters_from_table, parameter_keys

#: the longest label of changes kept whole in a folder name (beyond it: cut, plus a hash of the whole)
MAX_LABEL = 80


@lru_cache(maxsize=1)
def shipped_defaults() -> dict:
    """The parameters of the shipped default data (data/parameters.csv, else parameter_keys.csv's
    defaults): what "as shipped" means in a run's list of changes."""
    path = DEFAULT_DATA_DIR / "parameters.csv"
    if not path.is_file():  # an installed package without the data folder: the declared defaults only
        return {}
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return _parameters_from_table(df, DEFAULT_DATA_DIR)


def value_text(v) -> str:
    """A parameter value as a planner types it: 0.5, 01,79,92, * (all), 1 / 0, none (the tables)."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (list, tuple)):
        return ",".join(map(str, v)) if v else "(none)"
    if isinstance(v, float):
        return "inf" if math.isinf(v) and v > 0 else f"{v:g}"
    return str(v)


def _short_keys(keys) -> dict[str, str]:
    """Each dotted key by its last part where that is unique among ``keys`` (``cbec_tax_factor``)."""
    last = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: (tail if last.count(tail) == 1 else k) for k, tail in zip(keys, last)}


def change_label(changes: dict) -> str:
    """``cbec_tax_factor=0.5+vat_rate=0.1`` for ``{policy.cbec_tax_factor: 0.5, policy.vat_rate: 0.1}``,
    safe as one folder name; a label over :data:`MAX_LABEL` characters is cut and ends in a hash of
    the whole, so two different sets of changes never share a folder."""
    short = _short_keys(list(changes))
    text = "+".join(f"{short[k]}={value_text(v)}" for k, v in changes.items())
    text = re.sub(r"[^A-Za-z0-9_.,=+-]", "_", text)
    if len(text) > MAX_LABEL:
        text = text[:MAX_LABEL - 9] + "~" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return text


def check_run_name(name: str) -> str:
    """``--name`` checked as a folder name (letters, digits, '_', '-', '.', '+', '=', ','); ScenarioError otherwise."""
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.,=+-]*$", name or "") or ".." in name or len(name) > 120:
        raise ScenarioError(f"--name {name!r}: expected up to 120 letters, digits, '_', '-', '.', '+', '=' or ','")
    return name


def run_name(scenario) -> str:
    """The run's name and results folder: ``--name`` when given, else the scenario's name, followed by
    ``+`` and :func:`change_label` of what ``--set`` changed."""
    if scenario.run_name:
        return scenario.run_name
    if scenario.set_overrides:
        return f"{scenario.name}+{change_label(scenario.set_overrides)}"
    return scenario.name


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return a == b or (math.isnan(a) and math.isnan(float(b)))
    return a == b


def changes(scenario) -> list[dict]:
    """Every parameter whose value in this run differs from the scenario file's or from the shipped
    default, in parameter_keys.csv order: ``parameter``, ``value`` (this run), ``scenario_file``,
    ``shipped_default``, ``unit`` and ``set_here`` (True when ``--set`` changed it for this run)."""
    keys = parameter_keys()
    shipped = shipped_defaults()
    file_values = scenario.file_parameters or scenario.parameters
    rows = []
    for key in keys.index:
        if key not in scenario.parameters:
            continue
        value = scenario.parameters[key]
        in_file = file_values.get(key, value)
        default = shipped.get(key, in_file)
        if _same(value, in_file) and _same(value, default):
            continue
        rows.append({"parameter": key, "value": value, "scenario_file": in_file, "shipped_default": default,
                     "unit": keys.at[key, "unit"], "set_here": key in scenario.set_overrides})
    return rows


def identity_fields(scenario) -> dict:
    """summary.json's ``run`` (name) and ``changes`` (:func:`changes`)."""
    return {"run": run_name(scenario), "changes": changes(scenario)}


def identity_lines(summary: dict, markdown: bool = True) -> list[str]:
    """The opening of report.md: run, scenario, input hash, then a table of every parameter that
    differs from the scenario file or the shipped defaults (the ones ``--set`` changed first)."""
    run, scenario = summary.get("run") or summary.get("scenario"), summary.get("scenario")
    rows = sorted(summary.get("changes") or [], key=lambda r: not r.get("set_here"))
    set_here = [r for r in rows if r.get("set_here")]
    head = (f"Run `{run}`: scenario `{scenario}`" + (
        " with " + ", ".join(f"`{r['parameter']}` = {value_text(r['value'])} (scenario file: "
                             f"{value_text(r['scenario_file'])})" for r in set_here) + " set for this run"
        if set_here else " as its file sets it") + f"; input hash `{summary.get('input_hash')}`.")
    lines = [head, ""]
    if not rows:
        return lines + ["Every parameter is as shipped (data/parameters.csv).", ""]
    lines += ["| parameter | this run | scenario file | shipped default | unit |", "|---|---|---|---|---|"]
    for r in rows:
        mark = " (set for this run)" if r.get("set_here") else ""
        lines.append(f"| `{r['parameter']}`{mark} | **{value_text(r['value'])}** | {value_text(r['scenario_file'])} | "
                     f"{value_text(r['shipped_default'])} | {r['unit']} |")
    return lines + [""]
