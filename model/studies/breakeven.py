"""Break-even values: where, as one parameter moves, the chosen network changes.

    python solve.py breakeven KEY --range LO:HI [--tol T] [--grid N] [SCENARIO]
    python solve.py breakeven policy.cbec_tax_factor --range 0.3:1.0

The network at a value is its *signature*: the set of opened sites and the dominant mode
(the one serving most orders) of every zone. Method: solve at ``--grid`` evenly spaced
values from LO to HI (in parallel, model.core.parallel.map_jobs); for every pair of neighbours
whose signatures differ, bisect by re-solving at the midpoint until the interval is no wider
than ``--tol`` (default (HI - LO) / 100); a midpoint unlike both ends splits the search in
two, so several switches inside one grid step are all found. Each switch is reported as an
interval [below, above] of width <= tol with what changes there (sites opened or closed,
zones whose dominant mode changes, grouped by the pair of regimes in ``shifts`` with the products that
move: model.report.breakeven_text says each in one sentence). Resolution and cost: each switch costs about
log2(grid step / tol) solves after the grid; the command prints the total. A switch between
two grid points with the same signature and back again (a network that changes, then returns)
is missed: refine ``--grid`` to look for those.

Near-ties. Each solve stops within the MIP gap, so two values may return different site sets
that cost the same to within the gap (on the default data ten site sets lie within 0.02 % of
the optimum). Before a difference in site sets counts as a switch, each network is re-solved
at the other value with its sites fixed (open or closed; levels free): the switch is
*resolved* only if each network costs more than ``gap x objective`` above the other's solution
at the other's value, i.e. each is beaten at the other end. Otherwise the pair is a *near-tie*
(reported with both cross costs, not bisected): the chosen network does not change there by
more than the solver resolves. Changes of the dominant mode are always switches (the flows are an
LP, solved exactly), also where the site sets on either side are a near-tie.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

from model.core.errors import run_guarded
from model.core.names import site_names, zone_names, zone_regions
from model.core.parallel import JobFailure, map_jobs
from model.core.text import did_you_mean
from model.io.scenario import parameter_keys, with_parameters
from model.report.breakeven_text import switch_sentences
from model.studies.common import (
    SiteRules,
    add_common_arguments,
    add_parallel_arguments,
    finish,
    prepare,
    solve_base,
    solve_job,
)


def signature(res: dict) -> tuple:
    """(opened sites, dominant mode per zone) of a solve summary; comparable and hashable."""
    return frozenset(res["sites"]), tuple(sorted(res["dominant_mode"].items()))


def describe_change(a: dict, b: dict) -> dict:
    """What differs from solve summary ``a`` (below) to ``b`` (above)."""
    sa, sb = set(a["sites"]), set(b["sites"])
    ma, mb = a["dominant_mode"], b["dominant_mode"]
    modes = {z: [ma.get(z), mb.get(z)] for z in sorted(set(ma) | set(mb)) if ma.get(z) != mb.get(z)}
    return {"opens": sorted(sb - sa), "closes": sorted(sa - sb), "mode_changes": modes}


#: a product "moves" between two regimes at a switch when at least this share of its orders leaves the one
#: and joins the other (below it, the change is float noise or a single zone's rounding)
MOVED_SHARE = 0.005


def mode_shifts(a: dict, b: dict) -> list[dict]:
    """The zones whose dominant mode changes from summary ``a`` (below) to ``b`` (above), grouped by
    (mode below, mode above), most zones first, each with the products whose orders move that way
    (``product_modes``: at least :data:`MOVED_SHARE` of the product's orders leave the one and join the other)
    and ``every_product`` when that is all of them (and there are several)."""
    groups: dict[tuple, list] = {}
    for z, (ma, mb) in describe_change(a, b)["mode_changes"].items():
        groups.setdefault((ma, mb), []).append(z)
    pa, pb = a.get("product_modes") or {}, b.get("product_modes") or {}

    def moved(p, ma, mb) -> bool:
        oa, ob = pa.get(p, {}), pb.get(p, {})
        total = max(sum(oa.values()), sum(ob.values()), 1e-9)
        return (oa.get(ma, 0) - ob.get(ma, 0) > MOVED_SHARE * total
                and ob.get(mb, 0) - oa.get(mb, 0) > MOVED_SHARE * total)

    every = sorted(set(pa) | set(pb))
    out = []
    for (ma, mb), zones in sorted(groups.items(), key=lambda kv: (-len(kv[1]), str(kv[0]))):
        products = [p for p in every if moved(p, ma, mb)]
        out.append({"below": ma, "above": mb, "zones": zones, "products": products,
                    "every_product": len(every) > 1 and products == every})
    return out


def change_text(ch: dict) -> str:
    parts = []
    if ch["opens"]:
        parts.append("opens " + ", ".join(ch["opens"]))
    if ch["closes"]:
        parts.append("closes " + ", ".join(ch["closes"]))
    if ch["mode_changes"]:
        groups: dict[tuple, list] = {}
        for z, ab in ch["mode_changes"].items():
            groups.setdefault(tuple(ab), []).append(z)
        parts.append("; ".join(f"{a} -> {b} in zone{'s' if len(zs) > 1 else ''} {' '.join(zs)}"
                               for (a, b), zs in groups.items()))
    return ", ".join(parts) or "no change"


def find_breakeven(scenario, key: str, lo: float, hi: float, options, tol: float | None = None, grid: int = 5,
                   hook: str | None = None, workers: int | None = None, scheduler: str | None = None,
                   progress=None, reuse: bool = True) -> dict:
    """Switch points of parameter ``key`` in [lo, hi] (see the module docstring).

    Returns {"key", "range", "tol", "grid", "switches": [{below, above, estimate, change, ...}],
    "points": [{value, objective, sites, dominant_mode, ...}], "solves", "seconds"}.
    """
    keys = parameter_keys()
    if key not in keys.index:
        raise ValueError(
            f"breakeven: unknown parameter '{key}'{did_you_mean(key, keys.index)} (every key: docs/policy.md)"
        )
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
                 "rules": SiteRules(hook=hook), "reuse": reuse} for v in values]
        out = map_jobs(solve_job, jobs, workers=workers if len(jobs) > 1 else 1, scheduler=scheduler)
        for v, res in zip(values, out):
            if isinstance(res, JobFailure):
                raise RuntimeError(f"solve at {key} = {v:g} failed: {res.error}")
            if res["objective"] is None:
                raise RuntimeError(f"no solution at {key} = {v:g} ({res['status']})")
            evaluated[v] = res
            if progress:
                progress(v, res)

    crossed: dict[tuple[float, float], float] = {}  # (network found at v, value w) -> its cost at w
    near_ties: dict[tuple[float, float], dict] = {}

    def cross_evaluate(pairs):
        """Cost of the network found at v when solved at w, sites fixed, for each (v, w) not known yet."""
        todo = [(v, w) for v, w in dict.fromkeys(pairs) if (v, w) not in crossed]
        force = {v: {k: 1 for k in evaluated[v]["sites"]} for v, _ in todo}
        # fixing the sites restricts the model at w, so the bound of the free solve at w bounds it
        jobs = [{"scenario": with_parameters(scenario, {key: w}), "options": options, "reuse": reuse,
                 "rules": SiteRules(hook=hook, force={**{k: 0 for k in candidates}, **force[v]}),
                 **({"bound": evaluated[w]["bound"]} if reuse else {})} for v, w in todo]
        out = map_jobs(solve_job, jobs, workers=workers if len(jobs) > 1 else 1, scheduler=scheduler)
        for (v, w), res in zip(todo, out):
            ok = not isinstance(res, JobFailure) and res["objective"] is not None
            crossed[(v, w)] = res["objective"] if ok else math.inf

    def differ(pairs):
        """The pairs (a, b) whose networks differ by more than the solver resolves (module docstring)."""
        sites_differ = [(a, b) for a, b in pairs if set(evaluated[a]["sites"]) != set(evaluated[b]["sites"])]
        cross_evaluate([p for a, b in sites_differ for p in ((a, b), (b, a))])
        kept = []
        for a, b in pairs:
            if signature(evaluated[a]) == signature(evaluated[b]):
                continue
            if (a, b) in sites_differ:
                margin = options.mip_rel_gap
                beaten_at_b = crossed[(a, b)] > evaluated[b]["objective"] + margin * abs(evaluated[b]["objective"])
                beaten_at_a = crossed[(b, a)] > evaluated[a]["objective"] + margin * abs(evaluated[a]["objective"])
                if not (beaten_at_a and beaten_at_b):
                    near_ties[(a, b)] = {"below": a, "above": b, "cost_below_network_at_above": crossed[(a, b)],
                                         "objective_above": evaluated[b]["objective"],
                                         "cost_above_network_at_below": crossed[(b, a)],
                                         "objective_below": evaluated[a]["objective"],
                                         "change": describe_change(evaluated[a], evaluated[b])}
                    if evaluated[a]["dominant_mode"] == evaluated[b]["dominant_mode"]:
                        continue  # the sites differ by less than the solver resolves, and nothing else does
                    # the site sets tie, but the zones' regimes change: that is a switch (the flows are an LP)
            kept.append((a, b))
        return kept

    evaluate([float(v) for v in np.linspace(lo, hi, grid)])
    candidates = sorted({k for res in evaluated.values() for k in res["sites"]} | set(_candidate_sites(scenario)))
    pts = sorted(evaluated)
    pending = differ(list(zip(pts, pts[1:])))
    switches = []
    while pending:
        todo = [(a, b) for a, b in pending if b - a > tol]
        switches += [(a, b) for a, b in pending if b - a <= tol]
        # every open interval's midpoint in one parallel batch
        evaluate([(a + b) / 2 for a, b in todo])
        halves = [h for a, b in todo for h in ((a, (a + b) / 2), ((a + b) / 2, b))]
        pending = differ(halves)
    switches.sort()
    out_switches = []
    for a, b in switches:
        ch = describe_change(evaluated[a], evaluated[b])
        out_switches.append({"below": a, "above": b, "estimate": (a + b) / 2, "width": b - a,
                             "objective_below": evaluated[a]["objective"], "objective_above": evaluated[b]["objective"],
                             "change": ch, "shifts": mode_shifts(evaluated[a], evaluated[b]),
                             "text": change_text(ch)})
    points = [{"value": v, **{k: evaluated[v][k] for k in ("objective", "bound", "gap", "status", "sites",
                                                            "dominant_mode", "kpis", "solve_seconds")}}
              for v in sorted(evaluated)]
    ties = [{**t, "text": change_text(t["change"])} for _, t in sorted(near_ties.items())]
    return {"key": key, "unit": keys.at[key, "unit"], "range": [lo, hi], "tol": tol, "grid": grid,
            "gap": options.mip_rel_gap, "switches": out_switches, "near_ties": ties, "points": points,
            "solves": len(evaluated), "fixed_site_solves": len(crossed),
            "seconds": round(time.perf_counter() - t0, 1)}


def _candidate_sites(scenario) -> list:
    """Every candidate site of the scenario (sites.csv)."""
    return list(scenario.tables["sites"]["site"])


def points_table(found: dict) -> pd.DataFrame:
    recs = []
    for p in found["points"]:
        recs.append({"parameter": found["key"], "value": p["value"], "objective_usd": p["objective"],
                     "status": p["status"], "gap": p["gap"], "n_sites": len(p["sites"]),
                     "sites": " ".join(f"{k}:{lv}" for k, lv in sorted(p["sites"].items())),
                     **{k: v for k, v in p["kpis"].items() if k != "sites_opened"}})
    return pd.DataFrame(recs)


def switches_table(found: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "parameter": found["key"],
                "below": s["below"],
                "above": s["above"],
                "estimate": s["estimate"],
                "objective_below_usd": s["objective_below"],
                "objective_above_usd": s["objective_above"],
                "opens": " ".join(s["change"]["opens"]),
                "closes": " ".join(s["change"]["closes"]),
                "mode_changes": "; ".join(f"{z}:{a}->{b}" for z, (a, b) in s["change"]["mode_changes"].items()),
            }
            for s in found["switches"]
        ],
        columns=[
            "parameter",
            "below",
            "above",
            "estimate",
            "objective_below_usd",
            "objective_above_usd",
            "opens",
            "closes",
            "mode_changes",
        ],
    )


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
    lo, hi = _parse_range(args.range)
    scenario, options, hook = prepare(args, "breakeven")
    print(f"Break-even of {args.key} in [{lo:g}, {hi:g}] for '{scenario.name}' (each solve to a "
          f"{options.mip_rel_gap:g} gap) ...", flush=True)

    def progress(v, res):
        print(f"  {args.key} = {v:.6g}: {res['objective']:,.0f} USD/year, {len(res['sites'])} sites "
              f"({res['solve_seconds']:.1f} s)", flush=True)

    found = find_breakeven(scenario, args.key, lo, hi, options, args.tol, args.grid, hook, args.workers,
                           args.scheduler, progress, reuse=args.reuse)
    base = solve_base(scenario, options, hook, " for the scenario itself", reuse=args.reuse,
                      results=args.results_dir)
    if base is None:
        return 3
    section = {k: v for k, v in found.items() if k != "points"}
    section["points"] = [{k: p[k] for k in ("value", "objective", "gap", "sites")} for p in found["points"]]
    stem = "breakeven_" + args.key.replace(".", "_")
    tables = {f"{stem}.csv": switches_table(found), f"{stem}_points.csv": points_table(found)}
    out = finish(base, options, args, "breakeven", {"breakeven": {args.key: section}}, tables)
    print(f"{len(found['switches'])} switch(es) of {args.key} in [{lo:g}, {hi:g}], resolution {found['tol']:.4g} "
          f"({found['unit']}); {found['solves']} solves and {found['fixed_site_solves']} fixed-site solves in "
          f"{found['seconds']:.0f} s (plus the scenario itself):")
    names = {"zone_names": zone_names(scenario), "zone_regions": zone_regions(scenario),
             "site_names": site_names(scenario), "every_zone": len(scenario.tables["provinces"])}
    for s in found["switches"]:
        for line in switch_sentences(s, args.key, found["unit"], **names):
            print(f"  {line}")
    for t in found["near_ties"]:
        print(f"  near-tie between {t['below']:.6g} and {t['above']:.6g} ({t['text']}): each network costs within "
              f"the {found['gap']:g} gap of the other at its value, not a resolved switch")
    print(f"Results written to {out}/ ({stem}.csv, {stem}_points.csv, summary.json -> insight, report.md)")
    return 0
