"""The multi-year roll-out: which site opens in which year, at which level, under a yearly budget
and the policy timeline; and the same years planned myopically (one at a time, earlier choices
fixed) for the cost of myopia (docs/formulation.md, "Roll-out").

    python solve.py rollout [SCENARIO] [--years 2026-2030] [--budget-usd X] [--gap G] [--time-limit S]
                            [--out DIR] [--set KEY=VALUE] [--no-map] [--no-myopic]

Writes results/<run>/rollout/: rollout.csv, years.csv, summary.json, rollout.png (Gantt chart),
report.md and, unless --no-map, one map per year (map_<year>.png).
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyomo.environ as pyo

from model import regimes
from model.core.errors import run_guarded
from model.core.paths import PROJECT_DIR
from model.core.text import parse_set
from model.formulation.rollout import RolloutStart, create_rollout_model, year_block
from model.inputs.rollout import RolloutData, parse_years, restrict, rollout_data
from model.io.outputs import check_out_dir, command_out_dir, write_csv, write_json
from model.io.run_identity import run_name
from model.io.scenario import load_scenario
from model.io.terms import TERMS
from model.report.rollout import gantt_writer, report_text, year_map_writers
from model.report.writer import write_atomically
from model.solving.highs import SolveReport, SolverOptions, solve_model
from model.statistics.kpis import lead_time_kpis, tax_kpis
from model.statistics.solution import flow_table, mode_shares, site_table

log = logging.getLogger(__name__)
TOL = 1e-6
#: default gap of the roll-out's solves: at 5e-3 the shipped pilot roll-out's plan still opened three
#: idle sites in its last year (their cost is inside the gap); 1e-3 (docs/performance.md, "Roll-out")
ROLLOUT_GAP = 1e-3


@dataclass
class RolloutPlan:
    """A solved roll-out (perfect foresight, or the myopic plan stitched from one-year solves)."""

    data: RolloutData
    reports: list[SolveReport]
    sites: pd.DataFrame = field(default_factory=pd.DataFrame)    # rollout.csv
    years: pd.DataFrame = field(default_factory=pd.DataFrame)    # years.csv
    year_results: dict = field(default_factory=dict)             # year -> (sites table, flows table)
    npv: float | None = None
    model: object = None                                         # the foresight model (None for myopic)
    values: dict = field(default_factory=dict)                   # variable name -> value (a MIP start)

    @property
    def status(self) -> str:
        st = [r.status for r in self.reports]
        return "optimal" if all(s == "optimal" for s in st) else next(s for s in st if s != "optimal")

    @property
    def gap(self) -> float | None:
        gaps = [r.gap for r in self.reports if r.gap is not None]
        return max(gaps) if gaps else None


def _val(x) -> float:
    v = pyo.value(x, exception=False)
    return 0.0 if v is None else float(v)


def _ranks(m, data: RolloutData, t: int) -> dict:
    """site -> highest level rank held in year t (0 = none)."""
    out: dict = {}
    for k, r in m.STEPS:
        if _val(m.z[k, r, t]) > 0.5:
            out[k] = max(out.get(k, 0), r)
    return out


def _extract(m, data: RolloutData, sink: RolloutPlan, start: RolloutStart) -> RolloutStart:
    """Append the solved years of ``m`` to ``sink``; return the state after its last year."""
    lv = data.levels.set_index(["site", "rank"])
    names = dict(zip(data.scenarios[data.years[0]].tables["sites"]["site"],
                     data.scenarios[data.years[0]].tables["sites"]["name"]))
    before = dict(start.ranks)
    fenced_before = set(start.fenced)
    carry = start.carry
    rows, yrows = [], []
    for t in data.years:
        b, inputs, sc = year_block(m, t), data.inputs[t], data.scenarios[t]
        sites, flows = site_table(b, inputs, sc), flow_table(b, inputs, sc)
        sink.year_results[t] = (sites, flows)
        ranks = _ranks(m, data, t)
        fenced = {k for k in m.FENCE_SITES if _val(m.fenced[k, t]) > 0.5}
        by_site = sites.set_index("site")
        for k, r in sorted(ranks.items()):
            r0 = before.get(k, 0)
            step = float(lv.loc[(k, r), "capex"] - (lv.loc[(k, r0), "capex"] if r0 else 0.0))
            step += data.setup_capex if (k in fenced and k not in fenced_before) else 0.0
            through = float(by_site.at[k, "throughput_orders"]) if k in by_site.index else 0.0
            rows.append({"site": k, "name": names.get(k, k), "year": t, "level": lv.loc[(k, r), "level"],
                         "change": "open" if r0 == 0 else ("upgrade" if r > r0 else ""),
                         "regimes_held": by_site.at[k, "regimes_held"] if k in by_site.index else "",
                         "fenced_for_bonded": k in fenced, "throughput_orders": through,
                         "capacity_orders": float(lv.loc[(k, r), "capacity"]), "capex_usd": step})
        demand = float(inputs.demand["orders"].sum())
        shares, unmet = mode_shares(flows, demand)
        taxes = tax_kpis(flows, sc.tables["products"], regimes.MODES)["tax_revenue_usd"]
        lead = lead_time_kpis(flows, demand, sc.param("service.target_hours"))
        terms = {term: _val(m.site_fixed_cost[t]) if term == "fixed_cost" else _val(getattr(b, term))
                 for term in TERMS}
        capex = _val(m.capex[t])
        budget = data.budget[t]
        carry_out = _val(m.carry[t]) if hasattr(m, "carry") else 0.0
        available = budget + (carry if data.carry_over else 0.0)
        yrows.append({
            "year": t, "demand_orders": demand, "sites_open": len(ranks),
            "new_sites": sum(1 for k in ranks if before.get(k, 0) == 0),
            "upgrades": sum(1 for k, r in ranks.items() if 0 < before.get(k, 0) < r),
            **{f"{term}_usd": v for term, v in terms.items()}, "fence_annuity_usd": _val(m.fence_annuity[t]),
            "year_cost_usd": _val(m.year_cost[t]), "discount_factor": data.discount[t],
            "discounted_cost_usd": data.discount[t] * _val(m.year_cost[t]),
            "taxes_usd": taxes["total"],
            **{f"share_{md}": shares.get(md, 0.0) for md in regimes.MODES}, "share_unmet": unmet,
            "lead_time_mean_hours": lead["lead_time_mean_hours"], "lead_time_p95_hours": lead["lead_time_p95_hours"],
            "capex_usd": capex, "budget_usd": budget,
            "budget_used_share": capex / available if math.isfinite(available) and available > 0 else None,
            "carry_out_usd": carry_out,
        })
        before, fenced_before, carry = ranks, fenced_before | fenced, carry_out
    sink.sites = pd.concat([sink.sites, pd.DataFrame(rows)], ignore_index=True)
    sink.years = pd.concat([sink.years, pd.DataFrame(yrows)], ignore_index=True)
    return RolloutStart(ranks=before, fenced=frozenset(fenced_before), carry=carry)


def solve_rollout(data: RolloutData, options: SolverOptions, start: RolloutStart | None = None) -> RolloutPlan:
    """The roll-out with perfect foresight over ``data.years``: one MIP."""
    start = start or RolloutStart()
    m = create_rollout_model(data, start)
    report = solve_model(m, options)
    plan = RolloutPlan(data, [report])
    if report.objective is not None:
        _extract(m, data, plan, start)
        plan.npv = float(plan.years["discounted_cost_usd"].sum())
    plan.model = m
    return plan


def solve_myopic(data: RolloutData, options: SolverOptions) -> RolloutPlan:
    """The same years one at a time, each with the earlier years' sites, levels, fences and budget
    carried in and fixed: what a planner who looks one year ahead builds."""
    plan = RolloutPlan(data, [])
    state = RolloutStart()
    for t in data.years:
        one = restrict(data, [t])
        m = create_rollout_model(one, state)
        report = solve_model(m, options)
        plan.reports.append(report)
        if report.objective is None:
            return plan
        # the one-year model names its variables as the roll-out does (z[k,l,t], y<t>.open[k,l], ...)
        plan.values.update({v.name: v.value for v in m.component_data_objects(pyo.Var, active=True)
                            if v.value is not None})
        state = _extract(m, one, plan, state)
    plan.npv = float(plan.years["discounted_cost_usd"].sum())
    return plan


def npv_parts(plan: RolloutPlan) -> dict:
    """The net present value by term (USD, discounted), and the cash view of capital spending."""
    y = plan.years
    d = y["discount_factor"]
    parts = {term: float((y[f"{term}_usd"] * d).sum()) for term in TERMS}
    parts["fence_annuity"] = float((y["fence_annuity_usd"] * d).sum())
    return parts


def summary(plan: RolloutPlan, myopic: RolloutPlan | None, options: SolverOptions, scenario, seconds: float) -> dict:
    data = plan.data
    p = scenario.param
    out = {
        "scenario": scenario.name, "run": run_name(scenario), "command": "rollout",
        "years": data.years, "status": plan.status, "gap": plan.gap, "mip_rel_gap": options.mip_rel_gap,
        "npv_usd": plan.npv, "npv_bound_usd": plan.reports[0].bound if plan.reports else None,
        "npv_parts_usd": npv_parts(plan) if plan.npv is not None else {},
        "discount_rate": data.discount_rate,
        "end_of_horizon": "each level's fit-out is paid through its annuity in fixed_cost_usd_per_year and each "
                          "bonded fence through its annuity (rollout.asset_life_years at rollout.discount_rate), "
                          "counted only for the years of the horizon in which the capacity is held: a build is "
                          "charged for the years it is used, never for the years after the horizon",
        "capex_usd": float(plan.years["capex_usd"].sum()) if len(plan.years) else None,
        "capex_discounted_usd": float((plan.years["capex_usd"] * plan.years["discount_factor"]).sum())
        if len(plan.years) else None,
        "budget_usd_per_year": data.budget[data.years[0]], "budget_carry_over": data.carry_over,
        "max_openings_per_year": data.max_openings, "earliest_year": data.earliest,
        "timeline": [{"year": y, "key": k, "value": v} for y, k, v in data.timeline],
        "level_capex_usd": dict(zip(data.levels.drop_duplicates("level")["level"],
                                    data.levels.drop_duplicates("level")["capex"])),
        "bonded_setup_capex_usd": data.setup_capex, "bonded_setup_annuity_usd": data.setup_annuity,
        "demand_growth": p("rollout.demand_growth"),
        "solve_seconds": [round(r.solve_seconds, 3) for r in plan.reports],
        "seconds": round(seconds, 1),
        "input_hash": scenario.input_hash(),
    }
    if myopic is not None:
        out["myopic"] = {"status": myopic.status, "gap": myopic.gap, "npv_usd": myopic.npv,
                         "npv_parts_usd": npv_parts(myopic) if myopic.npv is not None else {},
                         "capex_usd": float(myopic.years["capex_usd"].sum()) if len(myopic.years) else None,
                         "solve_seconds": [round(r.solve_seconds, 3) for r in myopic.reports]}
        if myopic.npv is not None and plan.npv is not None:
            out["cost_of_myopia_usd"] = myopic.npv - plan.npv
            out["cost_of_myopia_share"] = (myopic.npv - plan.npv) / plan.npv if plan.npv else None
            # the foresight optimum lies between its bound and its plan, so the myopic plan (as solved)
            # costs this much more than the optimum
            bound = out["npv_bound_usd"]
            out["cost_of_myopia_range_usd"] = [myopic.npv - plan.npv, myopic.npv - bound if bound is not None
                                               else None]
    return out


# ---------------------------------------------------------------------------- command line

def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python solve.py rollout",
                                 description="Multi-year roll-out: which site opens in which year, at which size.")
    ap.add_argument("scenario", nargs="?", help="scenario .toml file or data folder (default: the shipped data)")
    ap.add_argument("--years", help="FIRST-LAST, e.g. 2026-2030 (default: rollout.first_year-rollout.last_year)")
    ap.add_argument("--budget-usd", type=float, help="capital budget per year, USD (default rollout.budget_usd)")
    ap.add_argument("--data", type=Path, help="data folder (replaces the scenario's)")
    ap.add_argument("--out", type=Path, help="results folder (default results/<run name>/rollout)")
    ap.add_argument("--force", action="store_true", help="write into --out even if this tool did not write it")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a parameter (repeatable)")
    ap.add_argument("--gap", type=float, default=ROLLOUT_GAP,
                    help=f"relative MIP gap of each solve (default {ROLLOUT_GAP:g}; docs/performance.md, Roll-out)")
    ap.add_argument("--time-limit", type=float, help="HiGHS time limit per solve, seconds")
    ap.add_argument("--threads", type=int, help="HiGHS threads")
    ap.add_argument("--map", action=argparse.BooleanOptionalAction, default=True,
                    help="also write one map per year, map_<year>.png (default on)")
    ap.add_argument("--myopic", action=argparse.BooleanOptionalAction, default=True,
                    help="also plan the years one at a time and report the cost of myopia (default on)")
    ap.add_argument("--verbose", action="store_true", help="HiGHS log")
    ap.add_argument("--quiet", action="store_true", help="no progress line during the solves")
    ap.add_argument("--progress", type=float, default=10.0, metavar="S",
                    help="seconds between progress lines on stderr (default 10)")
    return ap.parse_intermixed_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_guarded(lambda: _run(args))


def _run(args) -> int:
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    overrides = parse_set(args.set)
    if args.years:
        first, last = parse_years(args.years)
        overrides.update({"rollout.first_year": first, "rollout.last_year": last})
    if args.budget_usd is not None:
        overrides["rollout.budget_usd"] = args.budget_usd
    scenario = load_scenario(args.scenario, data_dir=args.data, overrides=overrides)
    options = SolverOptions(time_limit=args.time_limit, mip_rel_gap=args.gap, threads=args.threads,
                            verbose=args.verbose, progress_seconds=None if args.quiet else args.progress)
    out = Path(args.out or command_out_dir(PROJECT_DIR, run_name(scenario), "rollout"))
    check_out_dir(out, force=args.force)
    t0 = time.perf_counter()
    data = rollout_data(scenario)
    print(f"Roll-out of '{scenario.name}' over {data.years[0]}-{data.years[-1]} (gap {options.mip_rel_gap:g}) ...",
          flush=True)
    myopic = solve_myopic(data, options) if args.myopic else None
    # the myopic plan is a plan of the roll-out too: HiGHS starts from it, so foresight never does worse
    start = myopic.values if myopic is not None and myopic.npv is not None else None
    plan = solve_rollout(data, dataclasses.replace(options, start=start))
    if plan.npv is None:
        print(f"error: no roll-out plan ({plan.status})")
        return 3
    seconds = time.perf_counter() - t0
    s = summary(plan, myopic, options, scenario, seconds)
    files = {
        "rollout.csv": lambda p: write_csv(plan.sites, p, index=False),
        "years.csv": lambda p: write_csv(plan.years, p, index=False),
        "summary.json": lambda p: write_json(p, s),
        "report.md": lambda p: p.write_text(report_text(plan, myopic, s), encoding="utf-8"),
        **gantt_writer(plan),
    }
    if myopic is not None and len(myopic.sites):
        files["rollout_myopic.csv"] = lambda p: write_csv(myopic.sites, p, index=False)
    if args.map:
        files.update(year_map_writers(plan))
    write_atomically(out, files, force=args.force, kind="rollout")
    print(report_text(plan, myopic, s, brief=True))
    print(f"Results written to {out}/ ({', '.join(sorted(files))})")
    return 0
