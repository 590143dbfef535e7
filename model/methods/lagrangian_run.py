"""``python solve.py --method lagrangian | auto``: the Lagrangian method (:mod:`model.methods.lagrangian`)
behind the same result files as the exact path.

The method never builds the Pyomo model, so the tables the exact path reads from the solved
model (:func:`model.statistics.solution.site_table`, :func:`model.statistics.solution.flow_table`) are built here from
the plan's arrays through the same pieces (:func:`model.statistics.solution.sites_of_plan`,
:func:`model.statistics.solution.priced_leg`, :func:`model.statistics.solution.flow_rows`), and the summary's KPIs
through
:func:`model.pipeline.solution_fields`: same columns, units and KPI code. Each outbound flow
comes in on its cheapest inbound lane (the method's path cost), each row the plan sends to its
alternative goes by its cheapest direct-mail lane or is left unmet, whichever the method priced.
The cost breakdown is re-priced from those tables and must equal the plan's cost.

Scope (:func:`refusals`, checked on the scenario's parameters before any work): one period,
no service share, no CO2 cap, no single sourcing, SKU classes off; not with ``--stochastic``,
``--robustness``, ``--extra`` or the insight commands (they re-solve the exact model).

``--method auto`` (:func:`choose`) takes the Lagrangian method when the full model has more than
:data:`AUTO_VARIABLES` variables and the scenario is in its scope, else the exact path.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import sys
import time

import numpy as np
import pandas as pd

from model.core.errors import ScenarioError
from model.inputs.checks import check_finite_inputs
from model.inputs.classes import uses_classes
from model.methods.arc_pricing import BALANCE_KEY, per_order_cost
from model.methods.lagrangian import DEMAND_KEY, index_of, solve_by_lagrangian
from model.methods.lagrangian import full_model_size as size
from model.pipeline import prepare_inputs, run_fields, solution_fields
from model.statistics.solution import (
    FLOW_TOL,
    cost_breakdown_of_tables,
    flow_rows,
    priced_leg,
    sites_of_plan,
    unmet_leg,
)

log = logging.getLogger(__name__)

#: relative gap of --method lagrangian when --gap is not given (the benchmarks' target; the
#: exact path's 2e-3 would keep the subgradient and the local search running to the time limit)
LAGRANGIAN_GAP = 1e-2
#: --method auto: above this many variables of the full model, the Lagrangian method
AUTO_VARIABLES = 500_000
#: peak memory of the exact path per million variables (docs/performance.md, benchmark table:
#: province-s60-p8-t1 1,453 MB at 104,244 variables, province-s120-p12-t1 3,961 MB at 307,656:
#: 12.3 GB per million between them)
EXACT_GB_PER_MILLION_VARIABLES = 12.3

SCOPE = ("one period (periods = 1)", "no service share (service.min_share = 0)", "no CO2 cap (policy.co2_cap_t = inf)",
         "no single sourcing (service.single_sourcing = 0)", "SKU classes off (stock.sku_classes = 0)")


class MethodRefused(ScenarioError):
    """What ``--method lagrangian`` cannot do, one line per parameter or option (:func:`refusals`)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))

    def lines(self) -> list[str]:
        return self.problems


def refusals(scenario, args=None) -> list[str]:
    """One line per parameter of ``scenario`` (and option of ``args``, solve.py's namespace) that
    the Lagrangian method does not handle, naming it and what to set; [] when it can run."""

    p = scenario.param
    why = "the Lagrangian method (--method lagrangian)"
    out = []
    if int(p("periods")) != 1:
        out.append(f"periods = {p('periods')}: {why} solves the one-period model; set periods = 1 "
                   "(--set periods=1) or use --method exact")
    if uses_classes(scenario):
        out.append(f"stock.sku_classes = 1: {why} does not model SKU classes; set stock.sku_classes = 0 "
                   "(--set stock.sku_classes=0) for one average SKU per product, or use --method exact")
    if p("service.min_share") > 0:
        out.append(f"service.min_share = {p('service.min_share'):g}: {why} has no service constraint (it couples "
                   "sites and zones beyond its subproblems); set service.min_share = 0 or use --method exact")
    if p("service.single_sourcing"):
        out.append(f"service.single_sourcing = 1: {why} has no single-sourcing binaries; set "
                   "service.single_sourcing = 0 or use --method exact")
    if math.isfinite(p("policy.co2_cap_t")):
        out.append(f"policy.co2_cap_t = {p('policy.co2_cap_t'):g}: {why} has no CO2 cap; set policy.co2_cap_t = inf "
                   "or use --method exact")
    if args is not None:
        if getattr(args, "stochastic", False):
            out.append(f"--stochastic: {why} solves the deterministic model only; drop --method lagrangian "
                       "(the two-stage model is solved exactly)")
        if getattr(args, "robustness", 0):
            out.append(f"--robustness {args.robustness}: the search across the gap re-solves the exact model; "
                       "drop --robustness, or use --method exact")
        if getattr(args, "extra", None):
            out.append(f"--extra {args.extra}: added constraints need the Pyomo model, which {why} never builds; "
                       "drop --extra, or use --method exact")
    return out


def full_model_size(inputs) -> dict:
    """The full Pyomo model's size as summary.json's ``model_size`` names it (variables, binaries,
    constraints), from :func:`model.methods.lagrangian.full_model_size`, without building it."""

    s = size(inputs)
    return {"variables": s["n_vars"], "binaries": s["n_bin"], "constraints": s["n_cons"]}


def exact_memory_gb(variables: int) -> float:
    """Peak memory the exact path would need, GB (:data:`EXACT_GB_PER_MILLION_VARIABLES`)."""
    return EXACT_GB_PER_MILLION_VARIABLES * variables / 1e6


def choose(scenario, args, prepared) -> tuple[str, str]:
    """``--method auto``: ("lagrangian" | "exact", the reason in one sentence)."""
    size = full_model_size(prepared.inputs)
    n = size["variables"]
    big = n > AUTO_VARIABLES
    why = (f"the full model has {n:,} variables ({'above' if big else 'at most'} the {AUTO_VARIABLES:,} of "
           f"--method auto; the exact path needs about {exact_memory_gb(n):.1f} GB)")
    if not big:
        return "exact", why
    refused = refusals(scenario, args)
    if refused:
        return "exact", why + "; the Lagrangian method cannot take this scenario (" + "; ".join(refused) + ")"
    return "lagrangian", why


# ---------------------------------------------------------------------------------------------
# The plan as the exact path's tables
# ---------------------------------------------------------------------------------------------

def _cheapest(arcs: pd.DataFrame, family: str, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Row of ``arcs`` with the least per-order cost in each group (-1 where a group has none):
    the lane the method priced (:func:`model.methods.arc_pricing.per_order_cost`)."""

    cost = per_order_cost(arcs, family)
    ok = group >= 0
    rows = np.flatnonzero(ok)
    order = rows[np.lexsort((cost[rows], group[rows]))]
    groups, first = np.unique(group[order], return_index=True)
    out = np.full(n_groups, -1, dtype=np.int64)
    out[groups] = order[first]
    return out


def plan_tables(lag, inputs, scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    """sites.csv and flows.csv of a :class:`model.methods.lagrangian.LagrangianSolve`'s plan."""

    p, plan = lag.problem, lag.plan
    pos = np.fromiter(plan.arc_flow.keys(), dtype=np.int64, count=len(plan.arc_flow))
    x = np.fromiter(plan.arc_flow.values(), dtype=float, count=len(plan.arc_flow))
    keep = x > FLOW_TOL
    pos, x = pos[keep], x[keep]
    outbound = inputs.outbound_arcs.iloc[p.arc[pos]].reset_index(drop=True).assign(orders=x)

    # inbound: each (mode, site, origin, product)'s orders on its cheapest lane
    inb = inputs.inbound_arcs
    bal = inb[BALANCE_KEY].drop_duplicates().reset_index(drop=True)
    lane = _cheapest(inb, "inbound", index_of(inb, bal, BALANCE_KEY), len(bal))
    b = index_of(outbound, bal, BALANCE_KEY)
    if (b < 0).any() or (lane[b] < 0).any():
        raise RuntimeError("an outbound flow of the plan has no inbound lane")
    by_b = np.bincount(b, weights=x, minlength=len(bal))
    used = np.flatnonzero(by_b > 0)
    inbound = inb.iloc[lane[used]].reset_index(drop=True).assign(orders=by_b[used])

    # the alternative: the cheapest direct-mail lane where the method priced direct mail, else unmet
    alt = np.where(plan.alt_flow > FLOW_TOL, plan.alt_flow, 0.0)
    direct_rows = np.flatnonzero((alt > 0) & p.alt_is_direct)
    dr = inputs.direct_arcs
    parts = [priced_leg(inbound, "inbound"), priced_leg(outbound, "outbound")]
    if len(direct_rows):
        mail = _cheapest(dr, "direct", index_of(dr, p.demand, DEMAND_KEY), p.n_rows)
        parts.append(priced_leg(dr.iloc[mail[direct_rows]].reset_index(drop=True).assign(orders=alt[direct_rows]),
                                "parcel"))
    unmet_rows = np.flatnonzero((alt > 0) & ~p.alt_is_direct)
    parts.append(unmet_leg(p.demand.iloc[unmet_rows][DEMAND_KEY].reset_index(drop=True).assign(orders=alt[unmet_rows]),
                           inputs.unmet_penalty))
    flows = flow_rows(parts, scenario)

    opened = {(p.sites[k], p.level_names[k][plan.level[k]]) for k in np.flatnonzero(plan.level >= 0)}
    rs = inputs.regime_sites
    # the plan pays the compliance of every regime with a cost at an open site (model.methods.lagrangian._fixed_cost)
    held = set() if rs is None else {(md, k) for md, k, l in rs[["mode", "site", "level"]].itertuples(index=False)
                                     if (k, l) in opened}
    sites = sites_of_plan(inputs, scenario, opened, held, outbound[["mode", "site", "orders"]], {})
    return sites, flows


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class LagrangianResult:
    """What :func:`model.report.writer.write_results`, the maps and solve.py's summary read of a run
    (as :class:`model.pipeline.Result`, without a Pyomo model or a HiGHS report)."""

    scenario: object
    inputs: object
    distances: object
    solve: object                 # model.methods.lagrangian.LagrangianSolve
    build_seconds: float
    sites: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    flows: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    summary: dict = dataclasses.field(default_factory=dict)
    model = None

    @property
    def status(self) -> str:
        return self.summary.get("status", "")

    @property
    def objective(self) -> float | None:
        return self.summary.get("objective")


def status_of(lag, gap: float, time_limit: float | None) -> str:
    """``optimal`` when the certified gap is within ``gap``; else ``time_limit`` when the method
    ran to ``time_limit``, ``gap_not_met`` when it stopped on its own (iterations, step size)."""
    if lag.gap <= gap * (1 + 1e-9) + 1e-12:
        return "optimal"
    if time_limit and lag.seconds["total"] >= 0.95 * time_limit:
        return "time_limit"
    return "gap_not_met"


def solve_lagrangian(scenario, gap: float = LAGRANGIAN_GAP, time_limit: float | None = None,
                     threads: int | None = None, prepared=None, progress=None) -> LagrangianResult:
    """Solve ``scenario`` by the Lagrangian method; its tables and summary as the exact path's.

    Raises :class:`MethodRefused` before any work when the scenario is outside the method's scope."""

    refused = refusals(scenario)
    if refused:
        raise MethodRefused(refused)

    prepared = prepared or prepare_inputs(scenario)
    inputs = prepared.inputs
    check_finite_inputs(inputs)
    lag = solve_by_lagrangian(inputs, gap=gap, time_limit=time_limit, threads=threads, progress=progress)
    result = LagrangianResult(scenario, inputs, prepared.distances, lag, prepared.seconds)
    t0 = time.perf_counter()
    result.sites, result.flows = plan_tables(lag, inputs, scenario)
    costs = cost_breakdown_of_tables(result.sites, result.flows)
    tables_s = time.perf_counter() - t0
    repriced = sum(costs.values())
    status = status_of(lag, gap, time_limit)
    p = lag.problem
    summary = {
        "scenario": scenario.name,
        "method": "lagrangian",
        "status": status,
        "objective": lag.objective,
        "bound": lag.bound,
        "gap": max(lag.gap, 0.0),  # (plan - bound) / plan; below 0 only by rounding
        "iterations": lag.iterations,
        "seconds": {
            "build": round(result.build_seconds, 3),
            **{k: round(v, 3) for k, v in lag.seconds.items() if k != "total"},
            "method": round(lag.seconds["total"], 3),
            "tables": round(tables_s, 3),
            "total": round(result.build_seconds + lag.seconds["total"] + tables_s, 3),
        },
        "build_seconds": round(result.build_seconds, 3),
        "solve_seconds": round(lag.seconds["total"], 3),
        "solver": {
            "name": "Lagrangian method (model/methods/lagrangian.py; HiGHS for the clustered MIP and repair LPs)",
            "mip_rel_gap": gap,
            "time_limit": time_limit,
            "threads": threads,
        },
        "full_model_size": {**full_model_size(inputs), "built": False},
        "lagrangian": {
            "initial_bound": lag.initial_bound,
            "arcs_full": p.arcs_full,
            "arcs_kept": len(p.arc),
            "arcs_dominated": p.arcs_dominated,
            "plan_repaired": bool(lag.plan.repaired),
            "repriced_objective": repriced,
            "scope": list(SCOPE),
            "not_given": [
                "model_size (the full model is never built: full_model_size)",
                "handoff_seconds and the HiGHS model status (no full model reaches HiGHS)",
            ],
        },
        **run_fields(scenario, inputs),
    }
    result.summary = summary
    summary.update(solution_fields(result, costs, {}))
    if abs(repriced - lag.objective) > 1e-6 * max(abs(lag.objective), 1.0):
        warning = (f"the plan's flows re-price to {repriced:,.2f} USD, not its cost {lag.objective:,.2f}: "
                   "a fault of this tool, please report it")
        log.warning(warning)
        summary["warnings"] = [*summary.get("warnings", []), warning]
    return result


def progress_printer(stream=None):
    """A ``progress(dict)`` for :func:`model.methods.lagrangian.solve_by_lagrangian`: one line on stderr."""
    stream = stream or sys.stderr
    t0 = time.perf_counter()

    def show(h: dict) -> None:
        gap = (h["plan_cost"] - h["best_L"]) / max(abs(h["plan_cost"]), 1e-10)
        print(f"  lagrangian iteration {h['iteration']}: bound {h['best_L']:,.0f}, plan {h['plan_cost']:,.0f} USD, "
              f"gap {gap:.2%} ({time.perf_counter() - t0:.0f} s)", file=stream, flush=True)

    return show
