"""Regret of each site: the optimal cost with the site forced open, and forced closed, against the optimum.

    python solve.py regret [SCENARIO] [--gap 2e-3] [--workers N] [--scheduler tcp://host:8786]

For a site closed at the optimum the forced-closed cost is the optimum itself, and for a site
open at the optimum the forced-open cost is; only the other one is re-solved, one solve per
candidate, in parallel (model.core.parallel.map_jobs: a local Dask cluster or an existing one).
``regret_open`` = cost(forced open) - optimum: what insisting on the site costs;
``regret_closed`` = cost(forced closed) - optimum: what losing it costs (its value to the
network). Each solve stops within the MIP gap, so each regret is known to lie within
[bound of the forced solve - optimum, cost of the forced solve - bound of the optimum];
both ends are reported. Sites that cannot open (force_closed, bonded_allowed,
policy.eligible_zones) and forced-open sites keep their status and are labelled.

Writes ``regret.csv`` and summary.json -> insight -> regret, plus the shadow prices of the
optimum, report.md and map.html sections, into results/<scenario>/<command>/ (never over the base run).
"""
from __future__ import annotations

import argparse
import sys
import time

import pandas as pd
import pyomo.environ as pyo

from model.core.errors import run_guarded
from model.core.parallel import JobFailure, map_jobs
from model.studies.common import (
    TIGHTEN,
    SiteRules,
    add_common_arguments,
    add_parallel_arguments,
    finish,
    prepare,
    site_start,
    solve_base,
    solve_job,
    summarise,
)
from model.studies.session import session_for


def site_regret(scenario, options, base: dict, candidates: pd.DataFrame, hook: str | None = None,
                workers: int | None = None, scheduler: str | None = None, on_done=None,
                reuse: bool = True, idle: dict | None = None) -> pd.DataFrame:
    """One row per candidate site (``candidates``: result.sites of the optimum).

    ``base``: summary of the optimum (:func:`model.studies.common.summarise`). Costs in USD per
    year; ``*_low``/``*_high``: the interval the MIP gaps leave for each regret. ``reuse``: each
    process keeps one model in HiGHS (:mod:`model.studies.session`); every forced solve starts from the
    optimum's sites with the one change, and is certified by the optimum's bound when it can be
    (forcing restricts the model, so that bound holds for it). False re-builds each solve.

    ``workers`` None: 1 with the kept model (measured on 2 cores: 75 s in this process against
    101 s on a local cluster of 2), else the number of cores.

    ``idle``: {closed site: what opening it idle adds to the optimum} (:func:`idle_open_costs`).
    A site whose idle cost is at most gap x bound is not re-solved: its regret lies in
    [0, idle + optimum - bound], no wider than the interval a solve to the gap may return
    (cost - bound <= gap x cost), so the solve could not resolve it (the row says so).
    Every regret is >= 0 (forcing restricts the model), so the low ends are floored at 0.
    """
    z0, b0 = base["objective"], base["bound"] if base["bound"] is not None else base["objective"]
    screened = screened_sites(idle, options.mip_rel_gap, b0)
    jobs, rows = [], []

    def forced(site, state):
        job = {"scenario": scenario, "options": options, "rules": SiteRules(force={site: state}, hook=hook),
               "reuse": reuse}
        if reuse:
            job.update(bound=base["bound"], start=site_start(scenario, base["sites"], {site: state}))
        return job

    for r in candidates.itertuples():
        row = {"site": r.site, "name": r.name, "province": r.province, "open_at_optimum": bool(r.opened),
               "level_at_optimum": r.level if r.opened else None, "may_open": bool(r.may_open),
               "force_open": bool(r.force_open), "forced_open_usd": None, "forced_closed_usd": None,
               "forced_level": None, "forced_sites": None, "resolved": None, "status": "", "note": ""}
        if not r.may_open:
            row.update(forced_closed_usd=z0, note=f"cannot open ({r.reason})" if getattr(r, "reason", "") else
                       "cannot open in this scenario")
        elif r.opened:
            row["forced_open_usd"] = z0
            if r.force_open:
                row["note"] = "forced open by sites.csv (force_open); closing it is not allowed"
            else:
                row["resolved"] = "closed"
                jobs.append((len(rows), forced(r.site, 0)))
        else:
            row["forced_closed_usd"] = z0
            row["resolved"] = "open"
            f = screened.get(r.site)
            if f is not None:
                row.update(forced_open_usd=z0 + f, forced_open_bound_usd=b0, status="screened",
                           note=f"not re-solved: opening it idle adds USD {f:,.0f} a year, within the gap "
                                f"(gap x bound = USD {options.mip_rel_gap * b0:,.0f})")
            else:
                jobs.append((len(rows), forced(r.site, 1)))
        rows.append(row)
    if workers is None and scheduler is None and reuse:
        workers = 1  # the kept model lives in this process; a local cluster would build one per worker
    results = map_jobs(solve_job, [j for _, j in jobs], workers=workers, scheduler=scheduler, on_done=on_done)
    for (i, _), res in zip(jobs, results):
        row = rows[i]
        key = "forced_closed_usd" if row["resolved"] == "closed" else "forced_open_usd"
        if isinstance(res, JobFailure):
            row["status"], row["note"] = "failed", res.error
            continue
        row["status"] = res["status"]
        row["solve_seconds"] = res["solve_seconds"]
        if res["objective"] is None:
            row["note"] = f"no solution when forced {row['resolved']} ({res['status']})"
            continue
        row[key] = res["objective"]
        row[key.replace("_usd", "_bound_usd")] = res["bound"]
        row["forced_level"] = res["sites"].get(row["site"])
        row["forced_sites"] = " ".join(sorted(res["sites"]))
    df = pd.DataFrame(rows)
    for side in ("open", "closed"):
        cost = pd.to_numeric(df[f"forced_{side}_usd"], errors="coerce")
        bound = pd.to_numeric(df.get(f"forced_{side}_bound_usd", pd.Series(index=df.index, dtype=float)),
                              errors="coerce").fillna(cost)
        df[f"regret_{side}_usd"] = cost - z0
        resolved = df["resolved"] == side
        df[f"regret_{side}_low_usd"] = (bound - z0).clip(lower=0.0).where(resolved, 0.0).where(cost.notna())
        df[f"regret_{side}_high_usd"] = (cost - b0).where(resolved, 0.0).where(cost.notna())
    return df


def screened_sites(idle: dict | None, gap: float, bound: float) -> dict:
    """{site: idle cost} of the sites of ``idle`` whose idle opening adds at most gap x bound: not re-solved."""
    return {k: f for k, f in (idle or {}).items() if f <= gap * bound}


def idle_open_costs(result, options, hook: str | None = None) -> dict:
    """{site closed in ``result``: USD a year that opening it idle, at its cheapest level, adds to
    the plan} for the sites where that plan stays feasible (model.studies.session.ModelSession.idle_open_costs)."""

    values = {v.name: v.value for v in result.model.component_data_objects(pyo.Var, active=True)}
    closed = result.sites.loc[result.sites["may_open"] & ~result.sites["opened"], "site"]
    return session_for(result.scenario, options, hook).idle_open_costs(values, closed)


def summary_section(df: pd.DataFrame, base: dict, options, seconds: float, solves: int) -> dict:
    def num(x):
        return None if pd.isna(x) else float(x)

    rows = [{"site": r.site, "open_at_optimum": r.open_at_optimum, "regret_open_usd": num(r.regret_open_usd),
             "regret_closed_usd": num(r.regret_closed_usd), "regret_open_range_usd": [num(r.regret_open_low_usd),
                                                                                     num(r.regret_open_high_usd)],
             "regret_closed_range_usd": [num(r.regret_closed_low_usd), num(r.regret_closed_high_usd)],
             "note": r.note} for r in df.itertuples()]
    return {"base_objective": base["objective"], "base_bound": base["bound"], "gap": options.mip_rel_gap,
            "solves": solves, "seconds": round(seconds, 1),
            "unit": "USD per year: forced cost minus the optimum", "rows": rows}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python solve.py regret",
        description="Cost of forcing each candidate site open, and closed, against the optimum.",
    )
    add_common_arguments(ap)
    add_parallel_arguments(ap)
    args = ap.parse_intermixed_args(argv)
    return run_guarded(lambda: _run(args))


def _run(args) -> int:
    scenario, options, hook = prepare(args, "regret")
    t0 = time.perf_counter()
    print(f"Regret of each site in '{scenario.name}' (each solve to a {options.mip_rel_gap:g} gap: regrets smaller "
          "than about gap x objective are not resolved) ...", flush=True)
    base = solve_base(scenario, options, hook, reuse=args.reuse, tighten=TIGHTEN if args.reuse else None,
                      results=args.results_dir)
    if base is None:
        return 3
    b = summarise(base)
    print(
        f"  optimum: {b['objective']:,.0f} USD/year, {len(b['sites'])} sites ({b['solve_seconds']:.1f} s)", flush=True
    )
    idle = idle_open_costs(base, options, hook) if args.reuse else None
    screened = len(screened_sites(idle, options.mip_rel_gap, b["bound"] if b["bound"] is not None else b["objective"]))
    n_jobs = int((base.sites["may_open"] & ~(base.sites["opened"] & base.sites["force_open"])).sum()) - screened
    done = []
    try:
        from tqdm import tqdm

        bar = tqdm(total=n_jobs, desc="forced solves", unit="solve", file=sys.stderr)
    except ImportError:  # pragma: no cover
        bar = None

    def on_done(i, res):
        done.append(i)
        if bar is not None:
            bar.update(1)

    df = site_regret(scenario, options, b, base.sites, hook, workers=args.workers, scheduler=args.scheduler,
                     on_done=on_done, reuse=args.reuse, idle=idle)
    if bar is not None:
        bar.close()
    seconds = time.perf_counter() - t0
    sections = {"regret": summary_section(df, b, options, seconds, len(done) + 1)}
    out = finish(base, options, args, "regret", sections, {"regret.csv": df})
    print(f"{'site':<6}{'open':>5} {'regret if forced open':>24} {'regret if forced closed':>25}  note")
    for r in df.itertuples():
        ro = "" if pd.isna(r.regret_open_usd) else f"{r.regret_open_usd:,.0f}"
        rc = "" if pd.isna(r.regret_closed_usd) else f"{r.regret_closed_usd:,.0f}"
        print(f"{r.site:<6}{'yes' if r.open_at_optimum else 'no':>5} {ro:>24} {rc:>25}  {r.note}")
    print(f"{len(done) + 1} solves in {seconds:.0f} s. USD per year; differences below about "
          f"{options.mip_rel_gap * b['objective']:,.0f} USD (the gap) are not resolved.")
    print(f"Results written to {out}/ (regret.csv, shadow_*.csv, summary.json -> insight, report.md)")
    return 0
