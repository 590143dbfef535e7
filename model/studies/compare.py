"""Finished runs or scenarios side by side: KPIs and costs, the sites that differ, a map.

    python solve.py compare results/default scenarios/china-like.toml [--out DIR] [--gap G]

Each argument is a finished run (a folder with ``summary.json`` and ``sites.csv``: a
``results/<scenario>/`` folder or a sweep point ``results/<sweep>/points/<key>/``), the name of
a folder under ``results/``, or a scenario (``.toml`` file or data folder), which is solved first
(in parallel through :func:`model.core.parallel.map_jobs` with ``--workers``). The first run is the
reference ``A``. Written atomically to ``--out`` (default ``results/compare-<A>-<B>...``):
``compare.md``, ``compare.csv`` (metric x run, with the difference to A), ``sites.csv``
(site x run, the level opened) and ``compare_map.png`` (per other run: sites opened only in A,
only in that run, in both).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.core.errors import DataError, ScenarioError, print_error
from model.core.formats import to_csv
from model.core.options import check_options
from model.core.parallel import JobFailure, map_jobs
from model.core.paths import PROJECT_DIR
from model.core.plain_text import plain_text
from model.io.outputs import check_out_dir, child_path, md_text
from model.io.run_identity import run_name
from model.io.scenario import load_scenario
from model.io.summary_check import check_sites, check_summary
from model.io.terms import TERMS
from model.pipeline import solve
from model.report.maps import label_sites, province_geometry
from model.report.writer import write_atomically
from model.report.xlsx_format import format_sheet
from model.solving.highs import DEFAULT_GAP, SolverOptions
from model.statistics.kpis import flat_kpis
from model.studies.compare_text import (
    IN_GAP,
    comparison_lines,
    comparison_markdown,
    headline_rows,
    input_rows,
    letters,
    resolution,
    run_gap,
)

ROOT = PROJECT_DIR


@dataclass
class Run:
    """A solved run: its name, summary.json as a dict, and its sites table (one row per candidate)."""

    name: str
    summary: dict
    sites: pd.DataFrame
    source: str


def _is_run_folder(path: Path) -> bool:
    return path.is_dir() and (path / "summary.json").is_file() and (path / "sites.csv").is_file()


def _read_json_object(path: Path) -> dict:
    """A JSON file holding an object; ValueError naming the file otherwise."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: expected a readable JSON file ({exc})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a JSON object (got a {type(doc).__name__})")
    return doc


def read_run(folder: Path | str) -> Run:
    """A finished run folder (summary.json + sites.csv); a sweep point is named by its values.

    Bad files (not JSON, not an object, a sites table without ``site``/``opened``/``level``)
    raise ValueError naming the file. The name comes from the data, so it is only a label:
    folder names built from it go through :func:`model.io.outputs.safe_component`."""
    folder = Path(folder)
    summary = check_summary(_read_json_object(folder / "summary.json"), folder / "summary.json")
    try:
        sites = pd.read_csv(folder / "sites.csv", dtype={"site": str, "province": str, "level": str})
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{folder / 'sites.csv'}: expected a readable CSV table ({exc})") from None
    sites = check_sites(sites, folder / "sites.csv")  # lat/lon for the map, opened True/False: by row and column
    name = str(summary.get("run") or summary.get("scenario") or folder.name)
    if (folder / "point.json").is_file():  # a sweep point: its varied values say more than the scenario name
        point = _read_json_object(folder / "point.json").get("point") or {}
        if not isinstance(point, dict):
            raise ValueError(f"{folder / 'point.json'}: expected 'point' to be an object of parameter values")
        name = ",".join(f"{str(k).split('.')[-1]}={v}" for k, v in point.items()) or folder.name
    return Run(name, summary, sites, str(folder))


def _solve_source(item) -> Run:
    """Solve a scenario (.toml or data folder) for comparison (runs on a Dask worker)."""
    source, options = item

    result = solve(load_scenario(source), options)
    if result.objective is None:
        raise RuntimeError(f"{source}: no solution ({result.status})")
    return Run(run_name(result.scenario), result.summary, result.sites, str(source))


def resolve(arg: str) -> tuple[str, Path]:
    """('run', folder) or ('scenario', path) for one command-line argument; ValueError if neither.
    A bare name is a shipped scenario (scenarios/<name>.toml) first, so its saved run is used only
    when it was solved on the same inputs (:func:`saved_run`); else a folder under results/."""
    path = Path(arg)
    if _is_run_folder(path):
        return "run", path
    if path.is_file() and path.suffix == ".toml" or path.is_dir() and (path / "parameters.csv").is_file():
        return "scenario", path
    if "/" not in arg and (ROOT / "scenarios" / f"{arg}.toml").is_file():
        return "scenario", ROOT / "scenarios" / f"{arg}.toml"
    if _is_run_folder(ROOT / "results" / arg):
        return "run", ROOT / "results" / arg
    raise ValueError(f"{arg}: not a finished run (a folder with summary.json and sites.csv), a name under "
                     "results/, a scenario .toml file or a data folder")


def saved_run(source: Path, options: SolverOptions, results: Path | None = None) -> Path | None:
    """``results/<run>/`` of scenario ``source`` when it holds a run on the same inputs (same input
    hash) solved at least as tightly as ``options`` asks, so it is read instead of solved again."""
    return saved_run_of(load_scenario(source), options, results)


def saved_run_of(scenario, options: SolverOptions, results: Path | None = None) -> Path | None:
    """:func:`saved_run` for a loaded scenario (with its ``--set`` changes): ``results/<run name>/``
    when its summary.json has the scenario's input hash, a solution, and a gap at most the one asked."""
    folder = (results or ROOT / "results") / run_name(scenario)
    if not _is_run_folder(folder):
        return None
    try:
        summary = _read_json_object(folder / "summary.json")
    except ValueError:
        return None
    gap = run_gap(summary)
    if summary.get("input_hash") != scenario.input_hash() or summary.get("objective") is None or gap is None:
        return None
    return folder if gap <= (options.mip_rel_gap or 0.0) * (1 + 1e-9) + 1e-12 else None


def load_runs(args: list[str], options: SolverOptions | None = None, workers: int | None = 1,
              reuse: bool = True) -> list[Run]:
    """Runs in argument order: finished ones read, scenarios solved (in parallel when workers > 1),
    unless ``reuse`` and results/ holds their run on the same inputs (:func:`saved_run`)."""
    options = options or SolverOptions()
    kinds = [resolve(a) for a in args]
    if reuse:
        for i, (kind, path) in enumerate(kinds):
            if kind == "scenario" and (folder := saved_run(path, options)) is not None:
                print(f"{args[i]}: reusing {folder} (same input hash, solved to a gap within {options.mip_rel_gap:g})",
                      file=sys.stderr)
                kinds[i] = ("run", folder)
    runs: list = [read_run(p) if kind == "run" else None for kind, p in kinds]
    todo = [i for i, (kind, _) in enumerate(kinds) if kind == "scenario"]
    solved = map_jobs(_solve_source, [(kinds[i][1], options) for i in todo], workers=workers)
    for i, r in zip(todo, solved):
        if isinstance(r, JobFailure):
            raise ValueError(f"{args[i]}: {r.error}")
        runs[i] = r
    seen: dict[str, int] = {}
    for r in runs:  # names label the columns: make them unique
        seen[r.name] = seen.get(r.name, 0) + 1
        if seen[r.name] > 1:
            r.name = f"{r.name}#{seen[r.name]}"
    return runs


# ----------------------------------------------------------------------------- tables

def metric_rows(s: dict) -> dict:
    """The comparable figures of one summary: status, objective, gap, sites, costs, shares, KPIs."""
    out = {"status": s.get("status"), "objective": s.get("objective"), "gap": s.get("gap"),
           "n_sites": len(s.get("sites_opened") or [])}
    out.update({k: v for k, v in (s.get("cost_breakdown") or {}).items()})
    out.update({f"mode_share_{k}": v for k, v in (s.get("mode_share") or {}).items()})
    out["unmet_share"] = s.get("unmet_share")
    out.update(flat_kpis(s.get("kpis")))  # nested breakdowns (per mode, per class): one column each
    return out


NOISE = 1e-9  # relative: differences smaller than this are float noise


def is_money(metric: str) -> bool:
    """Metrics in USD per year (the objective, cost terms, money KPIs): resolved only to the gap."""
    name = metric.rsplit(".", 1)[-1]
    return metric == "objective" or name in TERMS or name.endswith("_usd")


def gap_warning(runs: list[Run]) -> str | None:
    """A warning when the runs were solved to different gaps (None when they agree within 10 %)."""
    gaps = {r.name: run_gap(r.summary) for r in runs}
    known = [g for g in gaps.values() if g is not None]
    if len(known) < 2 or max(known) <= min(known) * 1.1 + 1e-12:
        return None
    return ("warning: the runs were solved to different gaps (" + ", ".join(
        f"{n} {g:.2g}" if g is not None else f"{n} unknown" for n, g in gaps.items())
        + f"): cost differences below {max(known):.2g} of the total are not resolved (marked {IN_GAP})")


def compare_table(runs: list[Run]) -> pd.DataFrame:
    """Metric x run (USD/year, shares, hours), ``<run> - A`` for each other run's numbers, and
    ``resolution``: the smallest difference the runs resolve (money: the larger run gap x the
    larger objective; other numbers: float noise). Differences within float noise are 0."""
    cols = {r.name: metric_rows(r.summary) for r in runs}
    table = pd.DataFrame(cols)  # rows: union of metrics, in first-seen order
    table.index.name = "metric"
    a = runs[0].name
    gaps = [g for g in (run_gap(r.summary) for r in runs) if g is not None]
    objective = max((abs(r.summary["objective"]) for r in runs if r.summary.get("objective") is not None), default=0.0)
    scale = pd.DataFrame({r.name: pd.to_numeric(table[r.name], errors="coerce").abs() for r in runs}).max(axis=1)
    noise = NOISE * scale.fillna(0.0).clip(lower=1.0)
    money = pd.Series([is_money(m) for m in table.index], index=table.index)
    resolution = noise.where(~money, max(gaps, default=0.0) * objective).where(lambda x: x > noise, noise)
    for r in runs[1:]:
        num_a = pd.to_numeric(table[a], errors="coerce")
        num_r = pd.to_numeric(table[r.name], errors="coerce")
        d = num_r - num_a
        table[f"{r.name} - {a}"] = d.where(~(d.abs() <= noise), 0.0)
    table["resolution"] = resolution
    return table


def below_resolution(table: pd.DataFrame) -> pd.DataFrame:
    """True where a difference column's value is within the metric's resolution (shown as ~0)."""
    diff_cols = [c for c in table.columns if " - " in str(c)]
    return pd.DataFrame({c: pd.to_numeric(table[c], errors="coerce").abs() <= table["resolution"] for c in diff_cols})


def opened_levels(run: Run) -> dict[str, str]:
    s = run.sites
    opened = s[s["opened"].astype(str).str.lower().isin(["true", "1"])]
    return dict(zip(opened["site"].astype(str), opened["level"].astype(str)))


def opened_regimes(run: Run) -> dict[str, str]:
    """Site -> the regimes it holds ('bonded general_trade'; sites.csv ``regimes_held``) for open sites."""
    s = run.sites
    opened = s[s["opened"].astype(str).str.lower().isin(["true", "1"])]
    held = opened["regimes_held"] if "regimes_held" in opened.columns else pd.Series("", index=opened.index)
    return {str(k): " ".join(sorted(str(h).split())) if isinstance(h, str) else ""
            for k, h in zip(opened["site"], held)}


def site_table(runs: list[Run]) -> pd.DataFrame:
    """Site x run: the level opened ('' when closed) and ``<run> regimes`` held; ``differs`` when
    the runs disagree on either."""
    levels = {r.name: opened_levels(r) for r in runs}
    held = {r.name: opened_regimes(r) for r in runs}
    sites = sorted(set().union(*levels.values()))
    names: dict = {}
    for r in runs:
        if "name" in r.sites.columns:
            for k, n in zip(r.sites["site"].astype(str), r.sites["name"].astype(str)):
                names.setdefault(k, n)
    df = pd.DataFrame({"site": sites, "name": [names.get(k, "") for k in sites]})
    for r in runs:
        df[r.name] = [levels[r.name].get(k, "") for k in sites]
    for r in runs:
        df[f"{r.name} regimes"] = [held[r.name].get(k, "") for k in sites]
    df["differs"] = (df[[r.name for r in runs]].nunique(axis=1) > 1) | \
        (df[[f"{r.name} regimes" for r in runs]].nunique(axis=1) > 1)
    return df


def differences(a: Run, b: Run) -> dict[str, list[str]]:
    """Sites opened only in a, only in b, in both at the same level, in both at another level."""
    la, lb = opened_levels(a), opened_levels(b)
    return {"only_a": sorted(set(la) - set(lb)), "only_b": sorted(set(lb) - set(la)),
            "both": sorted(k for k in set(la) & set(lb) if la[k] == lb[k]),
            "both_other_level": sorted(k for k in set(la) & set(lb) if la[k] != lb[k])}


# ----------------------------------------------------------------------------- map

@plain_text
def write_compare_map(runs: list[Run], path: Path) -> None:
    """One panel per other run: sites opened only in A (red), only in it (blue), in both (green;
    hollow when the level differs), over the province outlines."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    a, others = runs[0], runs[1:]
    coords = {}
    for r in runs:
        for row in r.sites.itertuples(index=False):
            coords.setdefault(str(row.site), (float(row.lon), float(row.lat)))
    try:
        geometry = province_geometry(None)
    except Exception:  # no geometry file: the markers alone still show the differences
        geometry = None
    fig = Figure(figsize=(6 * len(others), 8.5), dpi=110)
    FigureCanvasAgg(fig)
    panels = []
    for i, b in enumerate(others):
        ax = fig.add_subplot(1, len(others), i + 1)
        if geometry is not None:
            geometry.plot(ax=ax, color="#f4f1e6", edgecolor="#b5ad98", linewidth=0.4)
        d = differences(a, b)
        style = {"only_a": ("#d62728", "o", "full"), "only_b": ("#1f77b4", "o", "full"),
                 "both": ("#2ca02c", "o", "full"), "both_other_level": ("#2ca02c", "o", "none")}
        shown = []
        for kind, ks in d.items():
            colour, marker, fill = style[kind]
            for k in ks:
                x, y = coords[k]
                ax.plot(x, y, marker=marker, ms=9, color=colour, fillstyle=fill, mew=2, linestyle="none")
                shown.append(k)
        panels.append((ax, shown))
        ax.set_title(f"A = {a.name}  vs  B = {b.name}", fontsize=10)
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        ax.set_aspect("equal")
        handles = [Line2D([], [], marker="o", ms=8, color=c, fillstyle=f, mew=2, linestyle="none", label=lab)
                   for (c, _, f), lab in zip(style.values(), (
                       f"only in A ({len(d['only_a'])})", f"only in B ({len(d['only_b'])})",
                       f"in both ({len(d['both'])})", f"in both, other level ({len(d['both_other_level'])})"))]
        ax.legend(handles=handles, loc="lower left", fontsize=8)
    fig.tight_layout()

    for ax, shown in panels:  # labels last, once the axes have their final size: none overlaps
        ax.apply_aspect()
        _, left_out = label_sites(ax, np.array([coords[k][0] for k in shown]),
                                  np.array([coords[k][1] for k in shown]), shown, [4.5 + 1] * len(shown), fontsize=7)
        if left_out:
            ax.text(0.99, 0.01, "not labelled (no room): " + ", ".join(left_out), transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=7)
    fig.savefig(path, format="png")


# ----------------------------------------------------------------------------- report

def _cell(v) -> str:
    if v is None or isinstance(v, float) and math.isnan(v):
        return ""
    if isinstance(v, float):
        if abs(v) >= 1e4:
            return f"{v:,.0f}"
        return np.format_float_positional(v, precision=4, unique=False, fractional=False, trim="-")
    return str(v)


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as text cells: a difference within the resolution keeps its value, marked
    :data:`IN_GAP` (not resolved by the runs' gaps, but not hidden); float noise is 0."""
    below = below_resolution(table)
    out = table.drop(columns="resolution").astype(object).map(_cell)
    for c in below.columns:
        marked = below[c] & table[c].notna() & (pd.to_numeric(table[c], errors="coerce") != 0)
        out.loc[marked, c] = out.loc[marked, c] + IN_GAP
    return out


def compare_markdown(runs: list[Run], table: pd.DataFrame, sites: pd.DataFrame) -> str:

    shown = shown_table(table)
    lines = [
        "# Comparison",
        "",
        *comparison_markdown(runs, gap_warning(runs), md_text),
        "## Every metric",
        "",
        "Money in USD/year, shares of orders, lead times in hours. "
        f"{IN_GAP}: a difference below what the runs resolve (money: their gap x the objective).",
        "",
        "| metric | " + " | ".join(md_text(c) for c in shown.columns) + " |",
        "|---|" + "---|" * len(shown.columns),
    ]
    for metric, row in shown.iterrows():
        lines.append(f"| {md_text(metric)} | " + " | ".join(md_text(v) for v in row) + " |")
    lines += ["", "## Map", "", "![Sites opened only in A, only in B, in both](compare_map.png)", ""]
    return "\n".join(lines)


def write_comparison(runs: list[Run], out_dir: Path, map_png: bool = True,
                     force: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """compare.md, compare.csv, sites.csv and compare_map.png, written atomically."""

    table, sites = compare_table(runs), site_table(runs)
    files = {
        "compare.csv": lambda p: to_csv(table, p, index=True),
        "compare.xlsx": lambda p: write_compare_workbook(runs, table, sites, p),
        "sites.csv": lambda p: to_csv(sites, p),
        "compare.md": lambda p: p.write_text(compare_markdown(runs, table, sites), encoding="utf-8"),
    }
    if map_png:
        files["compare_map.png"] = lambda p: write_compare_map(runs, p)
    write_atomically(Path(out_dir), files, force=force, kind="compare")
    return table, sites


def write_compare_workbook(runs: list[Run], table: pd.DataFrame, sites: pd.DataFrame, path: Path) -> None:
    """compare.xlsx: the runs, the inputs that differ, the headline rows, every metric (numbers, as
    compare.csv) and the sites; frozen headers and filters (model.report.xlsx_format)."""
    names = letters(len(runs))
    sheets = {
        "runs": pd.DataFrame({"column": names, "run": [r.name for r in runs], "source": [r.source for r in runs],
                              "input hash": [r.summary.get("input_hash") for r in runs],
                              "gap": [run_gap(r.summary) for r in runs]}),
        "inputs that differ": input_rows(runs),
        "headline": headline_rows(runs, resolution(runs)),
        "every metric": table.reset_index(),
        "sites": sites,
    }
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, df in sheets.items():
            df.to_excel(xl, sheet_name=name, index=False)
            format_sheet(xl.sheets[name], df)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python solve.py compare",
                                 description="Finished runs or scenarios side by side (the first is A).")
    ap.add_argument(
        "runs", nargs="+", metavar="RUN", help="results folder, name under results/, scenario .toml or data folder"
    )
    ap.add_argument("--out", type=Path, help="output folder (default results/compare-<A>-<B>...)")
    ap.add_argument(
        "--gap",
        type=float,
        default=DEFAULT_GAP,
        help="relative MIP gap for scenarios solved here (default %(default)g)",
    )
    ap.add_argument("--time-limit", type=float, help="HiGHS time limit per scenario solved here, seconds")
    ap.add_argument("--workers", type=int, default=1, help="solve the scenarios in parallel on a local Dask cluster")
    ap.add_argument("--map", action=argparse.BooleanOptionalAction, default=True, help="write compare_map.png")
    ap.add_argument(
        "--force",
        action="store_true",
        help="write into --out even if it is a non-empty folder this tool did not write (its files are kept)",
    )
    return ap.parse_args(argv)


def main(argv=None) -> int:
    """Exit status: 0 compared, 2 bad input (an argument that is neither a run nor a scenario)."""
    args = parse_args(sys.argv[1:] if argv is None else list(argv))
    if len(args.runs) < 2:
        print("error: compare needs at least two runs or scenarios", file=sys.stderr)
        return 2

    try:
        check_options(args)
        options = SolverOptions(mip_rel_gap=args.gap, time_limit=args.time_limit)
        if args.out is not None:
            check_out_dir(args.out, force=args.force)  # before solving anything
        runs = load_runs(args.runs, options, args.workers)
        # run names come from data (summary.json's scenario, point.json's values): one safe component
        out = args.out or child_path(ROOT / "results", "-".join(["compare", *(r.name for r in runs)])[:120])
        table, sites = write_comparison(runs, out, map_png=args.map, force=args.force)
    except (DataError, ScenarioError, ValueError) as exc:
        print_error(exc)
        return 2
    warning = gap_warning(runs)
    if warning:
        print(warning, file=sys.stderr)
    for line in comparison_lines(runs, warning):  # fits 120 columns; every metric in compare.csv
        print(line)
    print(f"Written to {out}/")  # on its own line: only a long folder name can pass 120 columns
    print(
        f"  compare.md, compare.csv and compare.xlsx (every metric), sites.csv{', compare_map.png' if args.map else ''}"
    )
    return 0
