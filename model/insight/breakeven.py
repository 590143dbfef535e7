"""Break-even values: where, as one parameter moves, the chosen network changes.

    python solve.py breakeven KEY --range LO:HI [--tol T] [--grid N] [SCENARIO]
    python solve.py breakeven policy.cbec_tax_factor --range 0.3:1.0

The network at a value is its *signature*: the set of opened sites and the dominant mode
(the one serving most orders) of every zone. Method: solve at ``--grid`` evenly spaced
values from LO to HI (in parallel, model.parallel.map_jobs); for every pair of neighbours
whose signatures differ, bisect by re-solving at the midpoint until the interval is no wider
than ``--tol`` (default (HI - LO) / 100); a midpoint unlike both ends splits the search in
two, so several switches inside one grid step are all found. Each switch is reported as an
interval [below, above] of width <= tol with what changes there (sites opened or closed,
zones whose dominant mode changes). Resolution and cost: each switch costs about
log2(grid step / tol) solves after the grid; the command prints the total. A switch between
two grid points with the same signature and back again (a network that changes, then returns)
is missed: refine ``--grid`` to look for those. Each solve stops within the MIP gap, so
near-ties between site sets (cost differences below about gap x objective) can appear as
spurious switches; compare with ``alternatives``.
"""
from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
import pandas as pd

from ..parallel import JobFailure, map_jobs
from ..scenario import parameter_keys
from .common import (SiteRules, add_common_arguments, add_parallel_arguments, default_out, prepare, run_guarded,
                     solve_job, with_parameters, write_insight)
from .shadow import shadow_prices, shadow_section


def signature(res: dict) -> tuple:
    """(opened sites, dominant mode per zone) of a solve summary; comparable and hashable."""
    return frozenset(res["sites"]), tuple(sorted(res["dominant_mode"].items()))


def describe_change(a: dict, b: dict) -> dict:
    """What differs from solve summary ``a`` (below) to ``b`` (above)."""
    sa, sb = set(a["sites"]), set(b["sites"])
    ma, mb = a["dominant_mode"], b["dominant_mode"]
    modes = {z: [ma.get(z), mb.get(z)] for z in sorted(set(ma) | set(mb)) if ma.get(z) != mb.get(z)}
    return {"opens": sorted(sb - sa), "closes": sorted(sa - sb), "mode_changes": modes}


def change_text(ch: dict) -> str:
    parts = []
    if ch["opens"]:
        parts.append("opens " + ", ".join(ch["opens"]))
    if ch["closes"]:
        parts.append("closes " + ", ".join(ch["closes"]))
    if ch["mode_changes"]:
        parts.append("; ".join(f"zone {z}: {a} -> {b}" for z, (a, b) in ch["mode_changes"].items()))
    return ", ".join(parts) or "no change"


def find_breakeven(scenario, key: str, lo: float, hi: float, options, tol: float | None = None, grid: int = 5,
                   hook: str | None = None, workers: int | None = None, scheduler: str | None = None,
                   progress=None) -> dict:
    """Switch points of parameter ``key`` in [lo, hi] (see the module docstring).

    Returns {"key", "range", "tol", "grid", "switches": [{below, above, estimate, change, ...}],
    "points": [{value, objective, sites, dominant_mode, ...}], "solves", "seconds"}.
    """
    keys = parameter_keys()
    if key not in keys.index:
        raise ValueError(f"breakeven: unknown parameter '{key}' (known: {', '.join(keys.index)})")
    if keys.at[key, "type"] == "list":
        raise ValueError(f"breakeven: parameter '{key}' is a list; bisection needs a number")
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"--range {lo}:{hi}: expected LO < HI, both finite")
    with_parameters(scenario, {key: lo}), with_parameters(scenario, {key: hi})  # range-checked, names the key
    tol = (hi - lo) / 100 if tol is None else float(tol)
    if tol <= 0:
        raise ValueError(f"--tol {tol}: expected > 0")
    if grid < 2:
        raise ValueError(f"--grid {grid}: expected at least 2 points")
    t0 = time.perf_counter()
    evaluated: dict[float, dict] = {}

    def evaluate(values):
        values = [v for v in dict.fromkeys(values) if v not in evaluated]
        jobs = [{"scenario": with_parameters(scenario, {key: v}), "options": options,
                 "rules": SiteRules(hook=hook)} for v in values]
        out = map_jobs(solve_job, jobs, workers=workers if len(jobs) > 1 else 1, scheduler=scheduler)
        for v, res in zip(values, out):
            if isinstance(res, JobFailure):
                raise RuntimeError(f"solve at {key} = {v:g} failed: {res.error}")
            if res["objective"] is None:
                raise RuntimeError(f"no solution at {key} = {v:g} ({res['status']})")
            evaluated[v] = res
            if progress:
                progress(v, res)

    evaluate([float(v) for v in np.linspace(lo, hi, grid)])
    pending = []
    pts = sorted(evaluated)
    for a, b in zip(pts, pts[1:]):
        if signature(evaluated[a]) != signature(evaluated[b]):
            pending.append((a, b))
    switches = []
    while pending:
        todo = [(a, b) for a, b in pending if b - a > tol]
        switches += [(a, b) for a, b in pending if b - a <= tol]
        # every open interval's midpoint in one parallel batch
        evaluate([(a + b) / 2 for a, b in todo])
        pending = []
        for a, b in todo:
            mid = (a + b) / 2
            sa, sm, sb = signature(evaluated[a]), signature(evaluated[mid]), signature(evaluated[b])
            if sm != sa:
                pending.append((a, mid))
            if sm != sb:
                pending.append((mid, b))
    switches.sort()
    out_switches = []
    for a, b in switches:
        ch = describe_change(evaluated[a], evaluated[b])
        out_switches.append({"below": a, "above": b, "estimate": (a + b) / 2, "width": b - a,
                             "objective_below": evaluated[a]["objective"], "objective_above": evaluated[b]["objective"],
                             "change": ch, "text": change_text(ch)})
    points = [{"value": v, **{k: evaluated[v][k] for k in ("objective", "bound", "gap", "status", "sites",
                                                            "dominant_mode", "kpis", "solve_seconds")}}
              for v in sorted(evaluated)]
    return {"key": key, "unit": keys.at[key, "unit"], "range": [lo, hi], "tol": tol, "grid": grid,
            "gap": options.mip_rel_gap, "switches": out_switches, "points": points, "solves": len(evaluated),
            "seconds": round(time.perf_counter() - t0, 1)}


def points_table(found: dict) -> pd.DataFrame:
    recs = []
    for p in found["points"]:
        recs.append({"parameter": found["key"], "value": p["value"], "objective_usd": p["objective"],
                     "status": p["status"], "gap": p["gap"], "n_sites": len(p["sites"]),
                     "sites": " ".join(f"{k}:{lv}" for k, lv in sorted(p["sites"].items())),
                     **{k: v for k, v in p["kpis"].items() if k != "sites_opened"}})
    return pd.DataFrame(recs)


def switches_table(found: dict) -> pd.DataFrame:
    return pd.DataFrame([{"parameter": found["key"], "below": s["below"], "above": s["above"],
                          "estimate": s["estimate"], "objective_below_usd": s["objective_below"],
                          "objective_above_usd": s["objective_above"], "opens": " ".join(s["change"]["opens"]),
                          "closes": " ".join(s["change"]["closes"]),
                          "mode_changes": "; ".join(f"{z}:{a}->{b}" for z, (a, b) in s["change"]["mode_changes"].items())}
                         for s in found["switches"]],
                        columns=["parameter", "below", "above", "estimate", "objective_below_usd",
                                 "objective_above_usd", "opens", "closes", "mode_changes"])


def _parse_range(text: str) -> tuple[float, float]:
    lo, sep, hi = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return float(lo), float(hi)
    except ValueError:
        raise ValueError(f"--range {text!r}: expected LO:HI, e.g. 0.3:1.0") from None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python solve.py breakeven",
                                 description="Values of a parameter at which the chosen network changes (bisection).")
    ap.add_argument("key", help="parameter key, e.g. policy.cbec_tax_factor (docs/policy.md)")
    add_common_arguments(ap)
    ap.add_argument("--range", required=True, metavar="LO:HI", help="interval searched, e.g. 0.3:1.0")
    ap.add_argument("--tol", type=float, help="width of each reported switch interval (default (HI-LO)/100)")
    ap.add_argument("--grid", type=int, default=5, help="evenly spaced first solves, ends included (default 5)")
    add_parallel_arguments(ap)
    args = ap.parse_intermixed_args(argv)
    return run_guarded(lambda: _run(args))


def _run(args) -> int:
    from ..pipeline import solve

    lo, hi = _parse_range(args.range)
    scenario, options, hook = prepare(args)
    print(f"Break-even of {args.key} in [{lo:g}, {hi:g}] for '{scenario.name}' (each solve to a "
          f"{options.mip_rel_gap:g} gap) ...", flush=True)

    def progress(v, res):
        print(f"  {args.key} = {v:.6g}: {res['objective']:,.0f} USD/year, {len(res['sites'])} sites "
              f"({res['solve_seconds']:.1f} s)", flush=True)

    found = find_breakeven(scenario, args.key, lo, hi, options, args.tol, args.grid, hook, args.workers,
                           args.scheduler, progress)
    base = solve(scenario, options, extra_constraints=SiteRules(hook=hook))
    if base.objective is None:
        print(f"error: no solution for the scenario itself ({base.status})", file=sys.stderr)
        return 3
    section = {k: v for k, v in found.items() if k != "points"}
    section["points"] = [{k: p[k] for k in ("value", "objective", "gap", "sites")} for p in found["points"]]
    stem = "breakeven_" + args.key.replace(".", "_")
    tables = {f"{stem}.csv": switches_table(found), f"{stem}_points.csv": points_table(found)}
    sp_section, sp_tables = shadow_section(shadow_prices(base, options))
    tables.update(sp_tables)
    out = args.out or default_out(scenario)
    write_insight(base, out, {"breakeven": {args.key: section}, "shadow_prices": sp_section}, tables,
                  with_map=args.map)
    print(f"{len(found['switches'])} switch(es) of {args.key} in [{lo:g}, {hi:g}], resolution {found['tol']:.4g} "
          f"({found['unit']}); {found['solves']} solves in {found['seconds']:.0f} s (plus the scenario itself):")
    for s in found["switches"]:
        print(f"  between {s['below']:.6g} and {s['above']:.6g}: {s['text']}")
    print(f"Results written to {out}/ ({stem}.csv, {stem}_points.csv, summary.json -> insight, report.md)")
    return 0
