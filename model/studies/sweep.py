"""Policy sweeps: solve every point of a parameter grid in parallel (Dask), cached by input hash.

    python solve.py sweep [SCENARIO] --grid policy.cbec_tax_factor=0.5:1:0.25 \\
                                     --grid policy.bonded_clearance_hours=4,24,48 [--workers 2]

Each point is the base scenario with the point's values applied exactly like ``--set KEY=VALUE``
(typed and range-checked against model/attrs/parameter_keys.csv); a bad value becomes a failed
point with its reason. Points run through :func:`model.core.parallel.map_jobs`: a local Dask cluster
(``--workers N``) or an existing one (``--scheduler tcp://host:8786``).

The sweep folder (``results/<sweep>/``) holds:

- ``points/<key>/``: one finished point (``point.json``, ``summary.json``, ``sites.csv``); ``key``
  hashes the point's full inputs (every table, every parameter, the solver options), so a rerun
  skips finished points and a changed input solves afresh. A failed point leaves
  ``failed.json`` (its reason) and is retried by the next run.
- ``points.csv`` / ``points.parquet``: one row per point (varied parameters, status, objective,
  gap, seconds, each cost term and KPI in USD/year, orders, hours, the sites opened);
  ``sites_by_point.csv``: point x candidate site, the level opened (empty when closed).
- ``plot_<key>.png`` (total cost and KPIs against each varied parameter, one line per value of
  a second one), ``sites_heatmap.png`` (which sites open at which point) and ``sweep.md``.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import logging
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model import regimes
from model.core.errors import DataError, ScenarioError, print_error
from model.core.formats import to_csv
from model.core.options import check_options
from model.core.parallel import JobFailure, _guarded, map_jobs
from model.core.paths import PROJECT_DIR
from model.core.plain_text import plain_text
from model.core.text import did_you_mean, parse_set
from model.io.outputs import check_component, child_path, claim_folder, dumps, md_text, safe_component
from model.io.scenario import Scenario, load_scenario, parameter_keys, with_parameters
from model.io.summary_check import check_summary
from model.io.terms import TERMS
from model.pipeline import solve
from model.report.writer import write_atomically
from model.solving.highs import DEFAULT_GAP, SolverOptions
from model.statistics.kpis import flat_kpis

log = logging.getLogger(__name__)

ROOT = PROJECT_DIR
POINTS_DIR = "points"
# HiGHS options that change the answer; `verbose` only changes what is printed.
HASHED_OPTIONS = ("time_limit", "mip_rel_gap", "threads", "interface", "random_seed")
#: Most points one sweep may hold (a grid beyond it is refused before anything is built).
MAX_POINTS = 10_000
SITE_COLUMNS = ["site", "name", "province", "lat", "lon", "opened", "level", "capacity_orders",
                "throughput_orders", "utilisation", "fixed_cost_usd"]


# ----------------------------------------------------------------------------- the grid

def _fmt(x: float) -> str:
    """A grid value as text, without float noise (0.1 + 2 x 0.2 -> '0.5')."""
    x = float(f"{x:.12g}")
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def parse_grid_spec(spec: str) -> tuple[str, list[str]]:
    """``KEY=V1,V2,...`` or ``KEY=START:STOP:STEP`` (STOP included) -> (key, values as text).

    Values of a list parameter (``policy.eligible_zones``) are separated by ``|`` instead,
    since a comma separates the codes of one value: ``policy.eligible_zones=01,79|01|*``.
    """
    key, sep, values = spec.partition("=")
    key = key.strip()
    if not sep or not key or not values.strip():
        raise ValueError(f"--grid {spec!r}: expected KEY=V1,V2,... or KEY=START:STOP:STEP")
    keys = parameter_keys()
    if key not in keys.index:
        raise ValueError(f"--grid {spec!r}: unknown parameter '{key}'{did_you_mean(key, keys.index)} "
                         "(every key: docs/policy.md)")
    if keys.at[key, "type"] == "list":
        out = [v.strip() for v in values.split("|")]
    elif values.count(":") == 2 and "," not in values:
        try:
            start, stop, step = (float(v) for v in values.split(":"))
        except ValueError:
            raise ValueError(f"--grid {spec!r}: START:STOP:STEP must be three numbers") from None
        if not step > 0 or stop < start:
            raise ValueError(f"--grid {spec!r}: expected STEP > 0 and STOP >= START")
        if not all(math.isfinite(v) for v in (start, stop, step)):
            raise ValueError(f"--grid {spec!r}: START, STOP and STEP must be finite numbers")
        n = int(math.floor((stop - start) / step + 1e-9)) + 1
        if n > MAX_POINTS:
            raise ValueError(f"--grid {spec!r}: {n:,} values, more than the {MAX_POINTS:,} points a sweep may hold")
        out = [_fmt(start + i * step) for i in range(n)]
    else:
        out = [v.strip() for v in values.split(",")]
    if any(v == "" for v in out):
        raise ValueError(f"--grid {spec!r}: an empty value")
    if len(set(out)) != len(out):
        raise ValueError(f"--grid {spec!r}: a value is repeated")
    return key, out


def grid_points(specs: list[str]) -> list[dict[str, str]]:
    """The Cartesian product of the ``--grid`` specs, the first key varying slowest."""
    grid: dict[str, list[str]] = {}
    for spec in specs:
        key, values = parse_grid_spec(spec)
        if key in grid:
            raise ValueError(f"--grid: parameter '{key}' given twice")
        grid[key] = values
    n = math.prod(len(v) for v in grid.values())
    if n > MAX_POINTS:
        raise ValueError(
            f"--grid: {' x '.join(str(len(v)) for v in grid.values())} = {n:,} points, more than the "
            f"{MAX_POINTS:,} a sweep may hold (model.studies.sweep.MAX_POINTS); split it into several sweeps"
        )
    return [dict(zip(grid, combo)) for combo in itertools.product(*grid.values())]


def read_points(path: Path | str) -> list[dict[str, str]]:
    """``--points FILE.csv``: one column per parameter key, one row per point; an empty cell keeps
    the base scenario's value."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--points {path}: no such file")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    keys = parameter_keys()
    unknown = [c for c in df.columns if c not in keys.index]
    if unknown:
        raise ValueError(
            f"{path}: unknown parameter column(s) "
            + ", ".join(f"'{c}'{did_you_mean(c, keys.index)}" for c in unknown)
            + " (every key: docs/policy.md)"
        )
    if df.empty:
        raise ValueError(f"{path}: no points (one row per point expected)")
    if len(df) > MAX_POINTS:
        raise ValueError(f"{path}: {len(df):,} points, more than the {MAX_POINTS:,} a sweep may hold")
    return [{k: v.strip() for k, v in row.items() if v.strip() != ""} for row in df.to_dict("records")]


# ----------------------------------------------------------------------------- points and their keys

def point_scenario(base: Scenario, point: dict[str, str]) -> Scenario:
    """The base scenario with the point's values, checked exactly as ``--set`` / load_scenario's
    ``overrides`` check them; a bad value raises ScenarioError naming the key and the range."""
    return with_parameters(base, point, "--grid")


def hashed_options(options: SolverOptions) -> dict:
    return {k: getattr(options, k) for k in HASHED_OPTIONS}


def point_key(scenario_hash: str, options: SolverOptions, warm_start: bool = False) -> str:
    """16 hex digits of SHA-256 over the scenario's input hash (tables + parameters), the solver
    options that change the answer, and whether points are warm-started (a MIP start may lead
    HiGHS to a different solution within the gap)."""
    doc = {"scenario": scenario_hash, "options": hashed_options(options), "warm_start": bool(warm_start)}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _bad_point_key(base: Scenario, point: dict, options: SolverOptions) -> str:
    """A key for a point whose values do not load (no scenario hash exists for it)."""
    doc = {"base": base.input_hash(), "point": point, "options": hashed_options(options)}
    return "bad-" + hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:12]


@dataclass
class PointJob:
    """One point to solve: its key, the varied values (text), the scenario and the options."""

    key: str
    point: dict
    scenario: Scenario
    options: SolverOptions


# ----------------------------------------------------------------------------- the work on a worker

def _open_start(sites: pd.DataFrame | None) -> dict | None:
    """A MIP start from a solved point's sites: ``open[k,l]`` = 1 for the level opened, else absent.

    The variable names are Pyomo's (``open[K01,small]``); variables absent from the start are
    completed by HiGHS (it fixes the given integers and solves for the rest)."""
    if sites is None or not len(sites):
        return None
    opened = sites[sites["opened"].astype(bool)]
    return {f"open[{k},{l}]": 1.0 for k, l in zip(opened["site"], opened["level"])} or None


def solve_point(job: PointJob, start: dict | None = None) -> dict:
    """Solve one point (runs on a Dask worker): summary (as summary.json), sites table, seconds.

    ``start``: a MIP start (variable name -> value), used only when the solver supports it.
    """

    t0 = time.perf_counter()
    options = dataclasses.replace(job.options, start=start) if start else job.options
    # a point whose model equals one solved on this worker takes its solution (model.studies.session)
    result = solve(job.scenario, options, remember=True)
    sites = result.sites[[c for c in SITE_COLUMNS if c in result.sites.columns]].copy() if len(result.sites) else None
    return {"summary": result.summary, "sites": sites, "wall_seconds": time.perf_counter() - t0,
            "warm_started": bool(start)}


def solve_chain(jobs: list, start_sites: pd.DataFrame | None = None) -> list:
    """Solve points in order, each warm-started from the previous point's sites (one Dask job).

    A failing point is recorded and the chain goes on (from the last good solution)."""

    out = []
    start = _open_start(start_sites)
    for job in jobs:
        rec = _guarded(lambda j: solve_point(j, start), job)
        out.append(rec)
        if isinstance(rec, dict) and rec["sites"] is not None:
            start = _open_start(rec["sites"])
    return out


# ----------------------------------------------------------------------------- the cache on disk

def _write_file_atomically(path: Path, write) -> None:
    """``write(tmp_path)`` then rename over ``path``: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_KEY_RE = __import__("re").compile(r"^(bad-)?[0-9a-f]{12,16}$")


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class CacheEntryInvalid(Exception):
    """A cached point that cannot be trusted (why: the message); it is solved again."""


class PointCache:
    """``<sweep>/points/<key>/``: a finished point (summary.json) or a failed one (failed.json).

    ``point.json`` records the scenario's ``input_hash`` and a SHA-256 of every other file of the
    point; :meth:`load` re-checks both, so an edited, truncated or unreadable entry is solved
    again (and named in the log), never reported as the point's result. (It detects edits and
    corruption, not a forger who also rewrites point.json.)
    """

    def __init__(self, sweep_dir: Path):
        self.dir = Path(sweep_dir) / POINTS_DIR

    def folder(self, key: str) -> Path:
        if not _KEY_RE.match(key):  # keys are hashes: never a path from data
            raise ValueError(f"sweep point key {key!r}: expected hex digits")
        return self.dir / key

    def done(self, key: str) -> bool:
        return (self.folder(key) / "summary.json").is_file()

    def load(self, key: str, input_hash: str | None = None) -> dict:
        """The cached record, checked; CacheEntryInvalid (with the reason) if it cannot be trusted."""
        f = self.folder(key)
        try:
            meta = json.loads((f / "point.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CacheEntryInvalid("point.json is missing") from None
        except (OSError, ValueError) as exc:
            raise CacheEntryInvalid(f"point.json is not readable JSON ({exc})") from None
        if not isinstance(meta, dict) or not isinstance(meta.get("files"), dict):
            raise CacheEntryInvalid("point.json has no file checksums (written by an older version)")
        if meta.get("key") != key:
            raise CacheEntryInvalid(f"point.json is for point {meta.get('key')!r}")
        if input_hash is not None and meta.get("input_hash") != input_hash:
            raise CacheEntryInvalid(f"made from inputs {meta.get('input_hash')!r}, not the current {input_hash!r}")
        unchecked = [n for n in ("summary.json", "sites.csv", "failed.json")
                     if (f / n).exists() and n not in meta["files"]]
        if unchecked:  # an emptied list would let edited files load without a checksum
            raise CacheEntryInvalid(f"point.json lists no checksum for {', '.join(unchecked)}")
        if not isinstance(meta.get("status"), (str, type(None))):
            raise CacheEntryInvalid(f"point.json: status {meta.get('status')!r} is not a text")
        for name, digest in meta["files"].items():
            if not isinstance(name, str) or not isinstance(digest, str) or Path(name).name != name:
                raise CacheEntryInvalid(f"point.json lists a file outside the point: {name!r}")
            try:
                ok = _sha256(f / name) == digest
            except OSError:
                raise CacheEntryInvalid(f"{name} is missing or unreadable") from None
            if not ok:
                raise CacheEntryInvalid(f"{name} does not match its checksum (edited or damaged)")
        try:
            summary = json.loads((f / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CacheEntryInvalid(f"summary.json is not readable JSON ({exc})") from None
        try:
            check_summary(summary, "summary.json", required=("status", "objective"))
        except ValueError as exc:
            raise CacheEntryInvalid(f"not a result summary ({exc})") from None
        sites = None
        if (f / "sites.csv").is_file():
            try:
                sites = pd.read_csv(f / "sites.csv", dtype={"site": str, "province": str, "level": str})
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                raise CacheEntryInvalid(f"sites.csv is not a readable table ({exc})") from None
            missing = [c for c in ("site", "opened", "level", "capacity_orders", "throughput_orders")
                       if c not in sites.columns]
            if missing:
                raise CacheEntryInvalid(f"sites.csv lacks column(s) {', '.join(missing)}")
        return {"summary": summary, "sites": sites, "wall_seconds": meta.get("wall_seconds"),
                "warm_started": meta.get("warm_started", False)}

    def store(self, key: str, point: dict, options: SolverOptions, record, input_hash: str | None = None) -> None:
        """Write one point's folder atomically (model.report.writer.write_atomically), with checksums."""

        meta = {"key": key, "point": point, "options": hashed_options(options), "input_hash": input_hash}
        texts: dict[str, bytes] = {}
        if isinstance(record, JobFailure):
            meta.update(status="failed", error=record.error)
            texts["failed.json"] = dumps({**meta, "traceback": record.traceback}).encode()
        else:
            meta.update(status=record["summary"]["status"], wall_seconds=record["wall_seconds"],
                        warm_started=record["warm_started"])
            texts["summary.json"] = dumps(record["summary"]).encode()
        files = {name: (lambda b: (lambda p: p.write_bytes(b)))(b) for name, b in texts.items()}
        digests = {name: hashlib.sha256(b).hexdigest() for name, b in texts.items()}
        if not isinstance(record, JobFailure) and record["sites"] is not None:
            def sites_csv(p, df=record["sites"]):
                to_csv(df, p)
                digests["sites.csv"] = _sha256(p)
            files["sites.csv"] = sites_csv
        files["point.json"] = lambda p: p.write_text(dumps({**meta, "files": digests}), encoding="utf-8")
        # force: a point found damaged or edited (its checksums) is replaced by the new solve, by design
        write_atomically(self.folder(key), files, kind="sweep-point", force=True)


# ----------------------------------------------------------------------------- the sweep

@dataclass
class SweepOutcome:
    points: pd.DataFrame        # one row per point (points.csv)
    sites: pd.DataFrame         # point x site (sites_by_point.csv)
    solved: int                 # points solved in this run
    cached: int                 # points read from the cache
    failed: int                 # points that failed (bad value, error, lost worker)
    wall_seconds: float
    rejected: list = dataclasses.field(default_factory=list)  # (key, reason): cache entries not trusted, re-solved


def _chains(
    entries: list[tuple[dict, str]], todo: dict[str, PointJob], varied: list[str]
) -> list[tuple[list, str | None]]:
    """Points to solve grouped along the last varied key (neighbours differ in that key only), in
    grid order; each chain with the key of the finished point just before it, if any (its start)."""
    groups: dict[tuple, list[str]] = {}
    for point, key in entries:
        groups.setdefault(tuple(point.get(k) for k in varied[:-1]), []).append(key)
    chains = []
    for keys in groups.values():
        chain, before = [], None
        for key in keys:
            if key in todo:
                chain.append(todo[key])
            elif chain:  # a finished point splits the chain: the rest starts from it
                chains.append((chain, before))
                chain, before = [], key
            else:
                before = key
        if chain:
            chains.append((chain, before))
    return chains


def run_sweep(base: Scenario, points: list[dict[str, str]], out_dir: Path | str, options: SolverOptions | None = None,
              workers: int | None = None, scheduler: str | None = None, warm_start: bool = False,
              force: bool = False, quiet: bool = False, plots: bool = True, command: str = "") -> SweepOutcome:
    """Solve every point not yet in ``out_dir``'s cache, then write the tables, plots and sweep.md."""
    from tqdm import tqdm

    options = options or SolverOptions()
    out_dir = claim_folder(Path(out_dir), "sweep", force=force)  # refuses a foreign non-empty folder
    cache = PointCache(out_dir)
    t0 = time.perf_counter()
    varied = list(dict.fromkeys(k for p in points for k in p))
    keys: list[str] = []
    records: dict[str, object] = {}
    todo: dict[str, PointJob] = {}
    hashes: dict[str, str] = {}
    rejected: list[tuple[str, str]] = []  # cache entries solved again, and why
    for point in points:
        try:
            sc = point_scenario(base, point)
        except (ScenarioError, DataError) as exc:  # a bad value: a failed point, recorded with its reason
            key = _bad_point_key(base, point, options)
            keys.append(key)
            records[key] = JobFailure(f"{type(exc).__name__}: {exc}", "")
            cache.store(key, point, options, records[key])
            continue
        input_hash = sc.input_hash()
        key = point_key(input_hash, options, warm_start)
        keys.append(key)
        if key in records or key in todo:
            continue  # the same inputs twice (e.g. a repeated row of a points file)
        if cache.done(key) and not force:
            try:
                records[key] = cache.load(key, input_hash)
                continue
            except CacheEntryInvalid as exc:
                log.warning("sweep point %s %s: cache entry not trusted (%s); solving it again", key, point, exc)
                rejected.append((key, str(exc)))
        todo[key] = PointJob(key, point, sc, options)
        hashes[key] = input_hash
    cached = len(records) - sum(isinstance(r, JobFailure) for r in records.values())
    counts = {"failed": len(records) - cached, "cached": cached}
    n_unique = len(set(keys))
    bar = tqdm(total=n_unique, initial=n_unique - len(todo), disable=quiet, unit="point",
               desc=out_dir.name, file=sys.stderr, dynamic_ncols=True)
    bar.set_postfix(counts)
    if quiet:
        log.warning("sweep %s: %d points, %d from the cache, %d bad, %d to solve", out_dir.name, n_unique,
                    cached, counts["failed"], len(todo))

    def finish(job: PointJob, rec) -> None:
        records[job.key] = rec
        cache.store(job.key, job.point, options, rec, hashes.get(job.key))
        counts["failed"] += isinstance(rec, JobFailure)
        bar.update(1)
        bar.set_postfix(counts)
        if quiet:
            what = f"failed: {rec.error}" if isinstance(rec, JobFailure) else \
                f"{rec['summary']['status']}, objective {rec['summary']['objective']}, {rec['wall_seconds']:.1f} s"
            log.warning("point %s %s: %s", job.key, job.point, what)

    try:
        if warm_start and varied:
            chains = _chains(list(zip(points, keys)), todo, varied)
            items = [(chain, records[before]["sites"] if before and isinstance(records.get(before), dict) else None)
                     for chain, before in chains]

            def on_chain(i, recs):
                if isinstance(recs, JobFailure):  # the whole chain was lost (the worker died)
                    recs = [recs] * len(chains[i][0])
                for job, rec in zip(chains[i][0], recs):
                    finish(job, rec)

            map_jobs(_run_chain, items, workers=workers, scheduler=scheduler, on_done=on_chain)
        else:
            jobs = list(todo.values())
            map_jobs(solve_point, jobs, workers=workers, scheduler=scheduler,
                     on_done=lambda i, rec: finish(jobs[i], rec))
    finally:
        bar.close()
    table, sites = tidy_tables(points, keys, records, varied)
    outcome = SweepOutcome(table, sites, len(todo), cached, counts["failed"], time.perf_counter() - t0, rejected)
    write_outputs(out_dir, outcome, varied, plots=plots, command=command)
    return outcome


def _run_chain(item):
    chain, start_sites = item
    return solve_chain(chain, start_sites)


# ----------------------------------------------------------------------------- tidy tables

def _typed(values: list) -> list:
    """Varied values as numbers when they all are numbers, else as text."""
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        return [v if isinstance(v, str) else " ".join(v) if isinstance(v, list) else str(v) for v in values]


def _point_row(rec) -> dict:
    if isinstance(rec, JobFailure):
        return {"status": "failed", "error": rec.error}
    s = rec["summary"]
    row = {"status": s["status"], "error": "", "objective": s.get("objective"), "bound": s.get("bound"),
           "gap": s.get("gap"),
           "seconds": sum(s.get(k) or 0.0 for k in ("build_seconds", "handoff_seconds", "solve_seconds")),
           "wall_seconds": rec.get("wall_seconds"), "warm_started": bool(rec.get("warm_started"))}
    row.update({k: v for k, v in (s.get("cost_breakdown") or {}).items()})
    row.update(flat_kpis(s.get("kpis")))  # nested breakdowns (per mode, per class): one column each
    row.update({f"mode_share_{k}": v for k, v in (s.get("mode_share") or {}).items()})
    row["unmet_share"] = s.get("unmet_share")
    opened = s.get("sites_opened") or []
    row["n_sites"] = len(opened) if s.get("objective") is not None else None
    row["sites_opened"] = " ".join(f"{o['site']}:{o['level']}" for o in opened)
    return row


def tidy_tables(
    points: list[dict], keys: list[str], records: dict, varied: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """points.csv (one row per point) and sites_by_point.csv (point x candidate site)."""
    rows, site_rows = [], []
    for point, key in zip(points, keys):
        rec = records[key]
        rows.append({"point": key, **{k: point.get(k, "") for k in varied}, **_point_row(rec)})
        if isinstance(rec, dict) and rec.get("sites") is not None:
            s = rec["sites"]
            for r in s.itertuples(index=False):
                opened = bool(r.opened)
                site_rows.append({"point": key, **{k: point.get(k, "") for k in varied}, "site": r.site,
                                  "opened": opened, "level": r.level if opened else "",
                                  "capacity_orders": r.capacity_orders if opened else 0.0,
                                  "throughput_orders": r.throughput_orders})
    table = pd.DataFrame(rows)
    sites = pd.DataFrame(site_rows, columns=["point", *varied, "site", "opened", "level", "capacity_orders",
                                             "throughput_orders"])
    for k in varied:
        table[k] = _typed(list(table[k]))
        if len(sites):
            sites[k] = _typed(list(sites[k]))
    return table, sites


# ----------------------------------------------------------------------------- outputs

METRIC_LABELS = {
    "objective": "total cost (USD/year)",
    "n_sites": "sites opened",
    **{f"mode_share_{md}": f"{regimes.label(md)} share of orders" for md in regimes.MODES},
    "unmet_share": "unmet share of orders",
    "lead_time_mean_hours": "mean lead time (hours)",
    "lead_time_p95_hours": "95th-percentile lead time (hours)",
    "share_within_target": "share within the lead-time target",
    "duties_and_vat_paid_usd": "duties and VAT paid (USD/year)",
    "duties_deferred_usd": "duties deferred to the sale (USD/year)",
    "duty_financing_saved_usd": "duty financing saved (USD/year)",
    "working_capital_usd": "working capital in stock (USD)",
    "co2_t": "transport CO2e (t/year)",
    "co2_kg_per_order": "transport CO2e (kg/order)",
}


def echoes(table: pd.DataFrame, metric: str, x: str) -> bool:
    """True when column ``metric`` is column ``x`` again (a KPI that repeats a swept parameter, e.g.
    ``service_target_hours`` against ``service.target_hours``): equal wherever both are numbers."""
    a = pd.to_numeric(table[metric], errors="coerce")
    b = pd.to_numeric(table[x], errors="coerce")
    both = a.notna() & b.notna()
    return b[both].nunique() >= 2 and bool(np.allclose(a[both], b[both], rtol=1e-9, atol=0.0))


def plot_metrics(table: pd.DataFrame, varied: list[str] | tuple = ()) -> list[str]:
    """Metric columns worth plotting: total cost, sites opened, mode shares and every numeric KPI;
    never a varied parameter itself nor a KPI that only repeats one (:func:`echoes`), which would be a
    parameter plotted against itself (a key such as ``policy.order_value_cap_usd`` ends like a KPI)."""
    skip = {"bound", "gap", "seconds", "wall_seconds", "service_target_hours", *varied}

    cols = [c for c in METRIC_LABELS if c in table.columns]
    cols += [c for c in table.columns if c not in cols and c not in skip and c not in TERMS
             and c.endswith(("_usd", "_hours", "_t", "_kg_per_order", "_share")) and c != "unmet_share"]
    return [c for c in cols if pd.api.types.is_numeric_dtype(table[c]) and table[c].notna().any()
            and not any(echoes(table, c, k) for k in varied if k in table.columns)]


def _canvas(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    return FigureCanvasAgg(fig)


@plain_text
def write_parameter_plot(table: pd.DataFrame, x: str, varied: list[str], path: Path) -> str:
    """Each metric against ``x``, one line per value of the next varied key (the others at their
    first value). Returns a one-line caption."""
    from matplotlib.figure import Figure

    others = [k for k in varied if k != x]
    hue = others[0] if others else None
    df = table[table["status"] != "failed"].copy()
    fixed = {}
    for k in others[1:]:  # more than two varied keys: hold the rest at their first value
        fixed[k] = df[k].iloc[0] if len(df) else None
        df = df[df[k] == fixed[k]]
    metrics = plot_metrics(table, varied)
    ncols = 3
    nrows = max(1, math.ceil(len(metrics) / ncols))
    fig = Figure(figsize=(5 * ncols, 3.4 * nrows), dpi=110)
    _canvas(fig)
    groups = [(None, df)] if hue is None else list(df.groupby(hue, sort=True))
    for i, metric in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        for value, g in groups:
            g = g.sort_values(x)
            ax.plot(g[x], g[metric], marker="o", label=None if hue is None else f"{hue} = {value:g}"
                    if isinstance(value, float) else f"{hue} = {value}")
        ax.set_title(METRIC_LABELS.get(metric, metric), fontsize=10)
        ax.set_xlabel(x, fontsize=9)
        ax.grid(alpha=0.3)
        if i == 0 and hue is not None:
            ax.legend(fontsize=8)
    caption = f"Total cost and KPIs against {x}" + (f", one line per {hue}" if hue else "")
    if fixed:
        caption += " (" + ", ".join(f"{k} = {v}" for k, v in fixed.items()) + ")"
    fig.suptitle(caption, fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.97))  # leave room for the title
    fig.savefig(path)
    return caption


def _point_label(row, varied) -> str:
    return ", ".join(f"{k.split('.')[-1]}={row[k]:g}" if isinstance(row[k], float) else
                     f"{k.split('.')[-1]}={row[k]}" for k in varied) or row["point"]


@plain_text
def write_site_heatmap(table: pd.DataFrame, sites: pd.DataFrame, varied: list[str], path: Path) -> None:
    """Points (rows) x sites opened anywhere (columns); colour = capacity opened (M orders/year),
    letter = the level's initial."""
    from matplotlib.figure import Figure

    opened = sites[sites["opened"]]
    cols = sorted(opened["site"].unique())
    done = table[table["status"] != "failed"]
    labels = [_point_label(r, varied) for _, r in done.iterrows()]
    mat = np.zeros((len(done), len(cols)))
    text = [[""] * len(cols) for _ in range(len(done))]
    pos = {k: j for j, k in enumerate(cols)}
    row_of = {p: i for i, p in enumerate(done["point"])}
    for r in opened.itertuples(index=False):
        if r.point in row_of:
            i, j = row_of[r.point], pos[r.site]
            mat[i, j] = r.capacity_orders / 1e6
            text[i][j] = str(r.level)[:1].upper()
    fig = Figure(figsize=(max(5.0, 0.45 * len(cols) + 3), max(2.5, 0.32 * len(done) + 1.5)), dpi=110)
    _canvas(fig)
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(mat, aspect="auto", cmap="Blues", vmin=0)
    ax.set_xticks(range(len(cols)), cols, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(done)):
        for j in range(len(cols)):
            if text[i][j]:
                ax.text(j, i, text[i][j], ha="center", va="center", fontsize=7,
                        color="white" if mat[i, j] > 0.6 * max(mat.max(), 1e-9) else "black")
    fig.colorbar(im, ax=ax, label="capacity opened (M orders/year)")
    ax.set_title("Sites opened at each point (letter = level)")
    fig.tight_layout()
    fig.savefig(path)


def _md_table(df: pd.DataFrame) -> str:
    def cell(v):
        if isinstance(v, float):
            return "" if math.isnan(v) else f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
        return md_text(v)  # text from data (varied values, error messages): no raw HTML, pipes escaped
    lines = ["| " + " | ".join(md_text(c) for c in df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def write_outputs(out_dir: Path, o: SweepOutcome, varied: list[str], plots: bool = True, command: str = "") -> None:
    """points.csv, points.parquet, sites_by_point.csv, plots and sweep.md, each written atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".*.*"):  # temporary files of a write that was killed: .points.csv.<random>.csv
        if stale.is_file() and stale.name.startswith((".points.", ".sites_by_point.", ".sweep.md.", ".plot_",
                                                      ".sites_heatmap.")):
            stale.unlink(missing_ok=True)
    _write_file_atomically(out_dir / "points.csv", lambda p: to_csv(o.points, p))
    try:
        _write_file_atomically(out_dir / "points.parquet", lambda p: o.points.to_parquet(p, index=False))
    except ImportError:  # pyarrow missing: the CSV holds the same table
        log.warning("points.parquet not written: pandas needs pyarrow for Parquet (pip install pyarrow)")
    _write_file_atomically(out_dir / "sites_by_point.csv", lambda p: to_csv(o.sites, p))
    images = []
    done = o.points[o.points["status"] != "failed"]
    if plots and len(done):
        for x in varied:
            if pd.api.types.is_numeric_dtype(o.points[x]) and done[x].nunique() > 1:
                name = "plot_" + x.replace(".", "_") + ".png"
                caption = []
                _write_file_atomically(out_dir / name,
                                       lambda p: caption.append(write_parameter_plot(o.points, x, varied, p)))
                images.append((name, caption[0]))
        if (o.sites["opened"]).any():
            _write_file_atomically(out_dir / "sites_heatmap.png",
                                   lambda p: write_site_heatmap(o.points, o.sites, varied, p))
            images.append(("sites_heatmap.png", "Sites opened at each point"))
    shown = ["point", *varied, "status", "objective", "gap", "n_sites", "sites_opened"]
    lines = [f"# Sweep `{out_dir.name}`", ""]
    if command:
        lines += ["```", command, "```", ""]
    lines += [f"{len(o.points)} points over {', '.join(f'`{k}`' for k in varied) or 'no parameter'}: "
              f"{o.solved} sent to the solver in the last run, {o.cached} read from the cache, "
              f"{o.failed} failed; last run {o.wall_seconds:.1f} s wall time.",
              "", "Tables: [points.csv](points.csv) (and points.parquet), "
              "[sites_by_point.csv](sites_by_point.csv). Costs in USD/year.", "",
              _md_table(o.points[[c for c in shown if c in o.points.columns]]), ""]
    fails = o.points[o.points["status"] == "failed"]
    if len(fails):
        lines += ["## Failed points", ""]
        lines += [f"- `{r['point']}` ({', '.join(f'{k}={r[k]}' for k in varied)}): {r['error']}"
                  for _, r in fails.iterrows()]
        lines.append("")
    for name, caption in images:
        lines += [f"## {caption}", "", f"![{caption}]({name})", ""]
    _write_file_atomically(out_dir / "sweep.md", lambda p: p.write_text("\n".join(lines), encoding="utf-8"))


# ----------------------------------------------------------------------------- command line

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="python solve.py sweep",
        description="Solve every point of a parameter grid in parallel (Dask); finished points are cached.")
    ap.add_argument("scenario", nargs="?", help="scenario .toml file or data folder (default: the shipped data)")
    ap.add_argument("--data", type=Path, help="data folder (replaces the scenario's)")
    ap.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2|KEY=START:STOP:STEP",
                    help="a varied parameter (repeatable; the grid is their Cartesian product). "
                         "List parameters separate values with '|'")
    ap.add_argument("--points", type=Path, metavar="FILE.csv", help="points, one row each (columns: parameter keys)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a fixed override for every point")
    ap.add_argument("--name", help="sweep name (default sweep-<scenario>-<varied keys>)")
    ap.add_argument("--out", type=Path, help="sweep folder (default results/<name>)")
    ap.add_argument(
        "--workers", type=int, help="local Dask workers (default: the number of cores; 1 = in this process)"
    )
    ap.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://127.0.0.1:8786")
    ap.add_argument("--time-limit", type=float, help="HiGHS time limit per point, seconds")
    ap.add_argument("--gap", type=float, default=DEFAULT_GAP, help="relative MIP gap (default %(default)g)")
    ap.add_argument("--threads", type=int, help="HiGHS threads per point")
    ap.add_argument("--interface", default="lp", choices=["matrix", "lp", "appsi"])
    ap.add_argument("--warm-start", action="store_true",
                    help="solve neighbours along the last --grid key in sequence, each from the previous sites")
    ap.add_argument("--force", action="store_true",
                    help="solve every point again (ignore the cache), and write into --out even if this tool did "
                         "not make that folder (its files are kept)")
    ap.add_argument("--plots", action=argparse.BooleanOptionalAction, default=True, help="write the PNG plots")
    ap.add_argument("--quiet", action="store_true", help="log lines instead of the progress bar")
    return ap.parse_args(argv)


def _default_name(scenario: Scenario, varied: list[str]) -> str:
    return "-".join(["sweep", scenario.name, *(k.split(".")[-1] for k in varied)])[:120]


def main(argv=None) -> int:
    """Exit status: 0 every point solved, 1 some points failed (tables still written), 2 bad input."""
    args = parse_args(sys.argv[1:] if argv is None else list(argv))
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    import distributed  # noqa: F401  (importing it sets its log level; lower it afterwards)
    logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO lines would break the progress bar
    try:
        check_options(args)
        if bool(args.grid) == bool(args.points):
            raise ValueError("give --grid KEY=VALUES (repeatable) or --points FILE.csv, not both and not neither")
        points = grid_points(args.grid) if args.grid else read_points(args.points)
        base = load_scenario(args.scenario, data_dir=args.data, overrides=parse_set(args.set))
        if args.workers is not None and args.workers < 1:
            raise ValueError("--workers: expected a number >= 1")
        varied = list(dict.fromkeys(k for p in points for k in p))
        name = check_component(args.name, "--name") if args.name else safe_component(_default_name(base, varied))
        out_dir = args.out or child_path(ROOT / "results", name)
        options = SolverOptions(time_limit=args.time_limit, mip_rel_gap=args.gap, threads=args.threads,
                                interface=args.interface)
        claim_folder(out_dir, "sweep", force=args.force)
    except (DataError, ScenarioError, ValueError) as exc:
        print_error(exc)
        return 2
    command = "python solve.py sweep " + " ".join(sys.argv[2:] if argv is None else list(argv))
    try:
        o = run_sweep(base, points, out_dir, options, workers=args.workers, scheduler=args.scheduler,
                      warm_start=args.warm_start, force=args.force, quiet=args.quiet, plots=args.plots,
                      command=command)
    except ValueError as exc:  # e.g. an unreachable --scheduler
        print_error(exc)
        return 2
    for key, why in o.rejected:
        print(f"warning: sweep point {key}: cache entry not trusted ({why}); solved again", file=sys.stderr)
    print(f"Sweep {name}: {len(o.points)} points, {o.cached} from the cache, {o.failed} failed, "
          f"{o.wall_seconds:.1f} s. Written to {out_dir}/ (points.csv, points.parquet, sites_by_point.csv, sweep.md)")
    return 1 if o.failed else 0
