"""Near-optimal alternatives: other sets of opened sites whose cost is within a fraction of the optimum.

    python solve.py alternatives [SCENARIO] --within 0.02 --max 10 [--gap 2e-3]

Method: solve; then, up to ``--max`` times, re-solve with a no-good cut excluding every site set
found so far (sum over the set of (1 - y_k) + sum over the others of y_k >= 1, with y_k =
sum_l open[k,l]), a ceiling total_cost <= (1 + within) x the optimum, and no idle site (each open
site carries at least MIN_USE of its level's capacity, or of the total demand if less). Each re-solve returns
the cheapest site set not yet seen, so the list comes out ranked; it stops when the ceiling
makes the model infeasible. Levels may differ between alternatives with the same site set;
each set is reported at its best levels. Every solve stops within the MIP gap, so a ranking
between sets whose costs differ by less than about gap x objective is not resolved, and the
"optimum" itself is the best solution found within that gap.

Writes ``alternatives.csv`` (rank, sites, cost, difference to the optimum in total and per cost
term, KPIs) and summary.json -> insight -> alternatives (with the robust sites: open in every
alternative), report.md and map.html sections, into results/<scenario>/<command>/ (never over the base run).
"""
from __future__ import annotations

import argparse
import time

import pandas as pd

from model.core.errors import run_guarded
from model.io.terms import TERMS
from model.studies.common import (
    TIGHTEN,
    SiteRules,
    add_common_arguments,
    finish,
    prepare,
    solve_base,
    solve_job,
    summarise,
)

#: Every open site of an alternative carries at least this share of its level's capacity (or of the
#: total demand, if less). Without
#: it, a seen set plus one idle site (cost: that site's fixed cost, often less than the gap) passes
#: the no-good cut as a "new" set. 1 % of the smallest level is about 56,000 orders a year on the default.
MIN_USE = 0.01


def find_alternatives(scenario, options, within: float = 0.02, max_count: int = 10, hook: str | None = None,
                      base=None, progress=None, reuse: bool = True) -> dict:
    """Rank-ordered site sets within ``within`` (a fraction) of the optimum.

    ``base``: the summary (:func:`model.studies.common.summarise`) of the solved scenario, if
    already known. Returns {"rows": [summary dicts with rank, delta], "robust_sites", "stopped",
    "solves", "seconds"}. Rows are ranked by cost: rank 0 is the cheapest set found (normally the
    first solve; a later one when the first stopped within its gap above it), ``base`` marks the
    first solve (the network written to sites.csv). ``reuse``: keep one model in HiGHS and
    certify each re-solve by the first solve's bound (:mod:`model.studies.session`); False re-builds each.
    """
    if within < 0:
        raise ValueError(f"--within {within}: expected a fraction >= 0, e.g. 0.02 for 2 %")
    if max_count < 1:
        raise ValueError(f"--max {max_count}: expected at least 1")
    t0 = time.perf_counter()
    if base is None:
        base = solve_job({"scenario": scenario, "options": options, "rules": SiteRules(hook=hook), "reuse": reuse,
                          "tighten": TIGHTEN if reuse else None})
    if base["objective"] is None:
        raise ValueError(f"the scenario has no solution ({base['status']})")
    z0 = base["objective"]
    cap = z0 + within * abs(z0)
    rows = [{**base, "rank": 0}]
    stopped = f"found {max_count} alternatives (--max)"
    solves = 1
    for rank in range(1, max_count + 1):
        rules = SiteRules(exclude=[frozenset(r["sites"]) for r in rows], cost_cap=cap, hook=hook, min_use=MIN_USE)
        # each rule set restricts the first solve's model, so its bound bounds every re-solve
        res = solve_job({"scenario": scenario, "options": options, "rules": rules, "bound": base["bound"],
                         "reuse": reuse})
        solves += 1
        if progress:
            progress(rank, res)
        if res["objective"] is None:
            stopped = ("no other site set within the ceiling" if res["status"] == "infeasible"
                       else f"solve {rank} ended without a solution ({res['status']})")
            break
        rows.append({**res, "rank": rank})
    # Every solve stops within its gap, so a later set can cost less than the first one found:
    # rank by cost, rank 0 is the cheapest found, and differences are taken from it.
    rows[0]["base"] = True
    rows.sort(key=lambda r: r["objective"])
    best = rows[0]
    for rank, r in enumerate(rows):
        r["rank"] = rank
        r.setdefault("base", False)
    z0 = best["objective"]
    for r in rows:
        r["delta_usd"] = r["objective"] - z0
        r["delta_share"] = r["delta_usd"] / abs(z0) if z0 else 0.0
        r["delta_by_term"] = {t: r["cost_breakdown"].get(t, 0.0) - best["cost_breakdown"].get(t, 0.0) for t in TERMS}
    robust = sorted(set.intersection(*(set(r["sites"]) for r in rows)))
    ever = sorted(set.union(*(set(r["sites"]) for r in rows)))
    return {"rows": rows, "robust_sites": robust, "sites_in_some": ever, "stopped": stopped, "solves": solves,
            "seconds": round(time.perf_counter() - t0, 1), "within": within, "max": max_count,
            "gap": options.mip_rel_gap, "ceiling_usd": cap}


def alternatives_table(found: dict) -> pd.DataFrame:
    """One row per alternative: rank, sites (site:level), cost, differences, KPIs."""
    recs = []
    for r in found["rows"]:
        rec = {"rank": r["rank"], "this_run": r["base"], "n_sites": len(r["sites"]),
               "sites": " ".join(f"{k}:{lv}" for k, lv in sorted(r["sites"].items())),
               "cost_usd": r["objective"], "delta_usd": r["delta_usd"], "delta_share": r["delta_share"],
               "status": r["status"], "gap": r["gap"]}
        rec.update({f"delta_{t}": v for t, v in r["delta_by_term"].items()})
        rec.update(r["kpis"])
        recs.append(rec)
    return pd.DataFrame(recs)


def summary_section(found: dict) -> dict:
    base_sites = set(next(r for r in found["rows"] if r["base"])["sites"])
    rows = []
    for r in found["rows"]:
        s = set(r["sites"])
        main_terms = sorted(((t, v) for t, v in r["delta_by_term"].items() if abs(v) > 0.5),
                            key=lambda tv: -abs(tv[1]))[:3]
        rows.append(
            {
                "rank": r["rank"],
                "this_run": r["base"],
                "sites": r["sites"],
                "cost_usd": r["objective"],
                "delta_usd": r["delta_usd"],
                "delta_share": r["delta_share"],
                "opens": sorted(s - base_sites),
                "closes": sorted(base_sites - s),
                "main_differences": dict(main_terms),
                "delta_by_term": r["delta_by_term"],
                "kpis": r["kpis"],
                "gap": r["gap"],
            }
        )
    return {"within": found["within"], "max": found["max"], "gap": found["gap"], "ceiling_usd": found["ceiling_usd"],
            "found": len(found["rows"]) - 1, "stopped": found["stopped"], "robust_sites": found["robust_sites"],
            "sites_in_some": found["sites_in_some"], "solves": found["solves"], "seconds": found["seconds"],
            "rows": rows}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python solve.py alternatives",
                                 description="Other sets of opened sites within a fraction of the optimal cost.")
    add_common_arguments(ap)
    ap.add_argument("--within", type=float, default=0.02, help="fraction of the optimal cost (default 0.02 = 2 %%)")
    ap.add_argument("--max", type=int, default=10, help="most alternatives to find (default 10)")
    args = ap.parse_intermixed_args(argv)
    return run_guarded(lambda: _run(args))


def _run(args) -> int:
    scenario, options, hook = prepare(args, "alternatives")
    print(f"Alternatives of '{scenario.name}' within {args.within:.2%} of the optimum (up to {args.max}; "
          f"each solve to a {options.mip_rel_gap:g} gap: differences below it are not resolved) ...", flush=True)
    base = solve_base(scenario, options, hook, reuse=args.reuse, tighten=TIGHTEN if args.reuse else None,
                      results=args.results_dir)
    if base is None:
        return 3
    b = summarise(base)
    print(f"  optimum: {b['objective']:,.0f} USD/year, {len(b['sites'])} sites ({b['solve_seconds']:.1f} s)")

    def progress(rank, res):
        if res["objective"] is None:
            print(f"  solve {rank}: {res['status']} ({res['solve_seconds']:.1f} s)", flush=True)
        else:
            print(f"  #{rank}: {res['objective']:,.0f} USD/year ({res['objective'] / b['objective'] - 1:+.3%}), "
                  f"{len(res['sites'])} sites ({res['solve_seconds']:.1f} s)", flush=True)

    found = find_alternatives(scenario, options, args.within, args.max, hook, base=b, progress=progress,
                              reuse=args.reuse)
    table = alternatives_table(found)
    sections = {"alternatives": summary_section(found)}
    out = finish(base, options, args, "alternatives", sections, {"alternatives.csv": table})
    print(f"Found {len(found['rows']) - 1} alternative site set(s); stopped: {found['stopped']}. "
          f"{found['solves']} solves, {found['seconds']:.0f} s.")
    print("Robust sites (open in every set): " + (", ".join(found["robust_sites"]) or "none"))
    print(f"Results written to {out}/ (alternatives.csv, shadow_*.csv, summary.json -> insight, report.md)")
    return 0
