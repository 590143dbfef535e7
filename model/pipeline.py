"""One pipeline: scenario -> road distances -> arc tables -> Pyomo model -> hook -> HiGHS -> tables -> summary."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import pandas as pd
import pyomo.environ as pyo

from .formulation import ModelInputs, build_inputs, create_model
from .formulation.sets import check_service_reachable
from .network import RoadDistances, scenario_road_distances
from .kpis import emissions_kpis, lead_time_kpis, money_kpis
from .results import capacity_check, cost_breakdown, explain_unmet, flow_table, mode_shares, site_table
from .scenario import Scenario, load_scenario
from .solver import SolveReport, SolverOptions, solve_model

log = logging.getLogger(__name__)


def _version(pkg: str) -> str:
    try:
        return version(pkg)
    except PackageNotFoundError:
        return "unknown"


@dataclass
class Result:
    """A solved (or failed) scenario: the report, the tables and ``summary`` (what summary.json holds)."""

    scenario: Scenario
    report: SolveReport
    build_seconds: float
    inputs: ModelInputs
    model: pyo.ConcreteModel
    distances: RoadDistances
    sites: pd.DataFrame = field(default_factory=pd.DataFrame)
    flows: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.report.status

    @property
    def objective(self) -> float | None:
        return self.report.objective


def model_size(m: pyo.ConcreteModel) -> dict:
    """Variables, binaries and constraints of a Pyomo model."""
    n_vars = n_bin = 0
    for v in m.component_data_objects(pyo.Var, active=True):
        n_vars += 1
        n_bin += v.is_binary()
    n_cons = sum(1 for _ in m.component_data_objects(pyo.Constraint, active=True))
    return {"variables": n_vars, "binaries": n_bin, "constraints": n_cons}


def solve(scenario: Scenario | str | None = None, options: SolverOptions | None = None,
          extra_constraints=None) -> Result:
    """Solve a scenario (a :class:`Scenario`, a TOML path, a data folder, or None for the default).

    ``extra_constraints(model, scenario, inputs)`` may add constraints before solving.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    options = options or SolverOptions()
    t0 = time.perf_counter()
    distances = scenario_road_distances(scenario)
    inputs = build_inputs(scenario, distances)
    check_service_reachable(inputs)
    m = create_model(inputs)
    if extra_constraints is not None:
        extra_constraints(m, scenario, inputs)
    build_seconds = time.perf_counter() - t0
    log.info("model built in %.2f s", build_seconds)
    report = solve_model(m, options)
    log.info("HiGHS: %s in %.2f s, objective %s, gap %s", report.status, report.solve_seconds,
             report.objective, report.gap)
    result = Result(scenario, report, build_seconds, inputs, m, distances)
    _assign_solution(result)
    # what was asked, beside what was reached: report.md and compare judge the gap against it
    result.summary["solver"].update(mip_rel_gap=options.mip_rel_gap, time_limit=options.time_limit)
    return result


def _assign_solution(result: Result) -> None:
    r, m, inputs = result.report, result.model, result.inputs
    total_demand = float(inputs.demand["orders"].sum())
    summary = {
        "scenario": result.scenario.name,
        "status": r.status,
        "objective": r.objective,
        "bound": r.bound,
        "gap": r.gap,
        "build_seconds": round(result.build_seconds, 3),
        "handoff_seconds": round(r.handoff_seconds, 3),
        "solve_seconds": round(r.solve_seconds, 3),
        "solver": {"name": "HiGHS", "interface": r.interface, "model_status": r.highs_status},
        "model_size": model_size(m),
        "total_demand_orders": total_demand,
        "capacity_check": capacity_check(inputs),
        "parameters": result.scenario.parameters,
        "overrides": result.scenario.overrides,
        "input_hash": result.scenario.input_hash(),
        "versions": {"project": _version("vn-cbec-bonded"), "pyomo": _version("pyomo"), "highspy": _version("highspy")},
    }
    if r.objective is not None:
        result.sites = site_table(m, inputs, result.scenario)
        result.flows = flow_table(m, inputs, result.scenario)
        shares, unmet = mode_shares(result.flows, total_demand)
        opened = result.sites[result.sites["opened"]]
        sc = result.scenario
        summary.update({
            "cost_breakdown": cost_breakdown(m),
            "sites_opened": [{"site": k, "level": l, "utilisation": round(float(u), 6)}
                             for k, l, u in zip(opened["site"], opened["level"], opened["utilisation"])],
            "mode_share": shares,
            "unmet_share": unmet,
            "unmet": explain_unmet(result),
            "kpis": {
                **lead_time_kpis(result.flows, total_demand, sc.param("service.target_hours")),
                **money_kpis(result.flows, sc.tables["products"], sc.param("finance.cost_of_capital")),
                **emissions_kpis(result.flows, total_demand),
            },
        })
    else:
        summary.update({"cost_breakdown": {}, "sites_opened": [], "mode_share": {}, "unmet_share": None})
    result.summary = summary
