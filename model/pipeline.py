"""One pipeline: scenario -> road distances -> arc tables -> Pyomo model -> hook -> HiGHS -> tables -> summary."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import pandas as pd
import pyomo.environ as pyo

from model import regimes
from model.core.errors import DataError, ScenarioError
from model.formulation import ModelInputs, build_inputs, create_model
from model.inputs.build import check_service_reachable
from model.inputs.checks import check_finite_inputs
from model.io.run_identity import identity_fields
from model.io.scenario import Scenario, load_scenario
from model.network.roads import RoadDistances, scenario_road_distances
from model.solving.highs import SolveReport, SolverOptions, solve_model
from model.solving.infeasibility import explain_infeasible as explain
from model.solving.memo import solve_remembered
from model.statistics.diagnostics import capacity_check, explain_unmet
from model.statistics.kpis import (
    emissions_kpis,
    lead_time_by_mode,
    lead_time_kpis,
    mode_share_by_class,
    mode_share_by_item,
    money_kpis,
    network_cost_kpis,
    regime_costs,
    regime_costs_by_class,
    stock_pool_kpis,
    tax_kpis,
)
from model.statistics.solution import cost_breakdown, flow_table, mode_shares, site_table, stocked_classes

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
    infeasibility: dict | None = None  # model.solving.infeasibility.explain_infeasible, when HiGHS says infeasible
    restore: object = (
        None  # () -> loads this solution back into a model shared with later solves (model.studies.session)
    )

    @property
    def infeasibility_lines(self) -> list[str]:
        return list((self.infeasibility or {}).get("lines", []))

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


@dataclass
class Built:
    """A scenario's inputs and its Pyomo model (with the added constraints), ready to solve."""

    scenario: Scenario
    inputs: ModelInputs
    distances: RoadDistances
    model: pyo.ConcreteModel
    build: object          # () -> a fresh copy of the model (model.solving.infeasibility re-builds it)
    seconds: float


@dataclass
class Prepared:
    """A scenario's road distances and arc tables (:func:`prepare_inputs`), and the seconds they took."""

    distances: RoadDistances
    inputs: ModelInputs
    seconds: float


def prepare_inputs(scenario: Scenario, prune: bool = True) -> Prepared:
    """Road distances -> arc tables (:func:`model.formulation.build_inputs`), timed. ``prune``: the
    dominance pruning (off when an added-constraints hook may change which regime is cheapest)."""
    t0 = time.perf_counter()
    distances = scenario_road_distances(scenario)
    return Prepared(distances, build_inputs(scenario, distances, prune_dominated=prune), time.perf_counter() - t0)


def hook_keeps_pruning(extra_constraints) -> bool:
    """Whether the arc tables may be pruned for this hook: no hook, or one that declares
    ``keeps_pruning = True`` (it adds no cost and no constraint that tells a regime's arcs from their
    twins'). The pruning drops arcs dominated under the arc tables' own costs before the model is
    built; a hook that then makes one regime dearer could need an arc already dropped, so with any
    other hook the pruning is off and the summary says so (``pruning``)."""
    return extra_constraints is None or bool(getattr(extra_constraints, "keeps_pruning", False))


def build_model(scenario: Scenario | str | None = None, extra_constraints=None, prepared: Prepared | None = None
                ) -> Built:
    """Road distances -> arc tables -> checks -> Pyomo model -> ``extra_constraints(model, scenario,
    inputs)``; a failing hook is a ScenarioError naming it. ``prepared``: the arc tables already
    built for this scenario (``python solve.py --method auto`` builds them to measure the model
    first); their seconds count in the build time."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    t0 = time.perf_counter()
    prune = hook_keeps_pruning(extra_constraints)
    if prepared is None or (prepared.inputs.pruned and not prune):
        prepared = prepare_inputs(scenario, prune=prune)  # timed from t0 already
    else:
        t0 -= prepared.seconds
    distances, inputs = prepared.distances, prepared.inputs
    check_finite_inputs(inputs)  # a NaN or inf coefficient, named by table and row, before HiGHS
    check_service_reachable(inputs)

    def build():
        m = create_model(inputs)
        if extra_constraints is not None:
            try:
                extra_constraints(m, scenario, inputs)
            except (DataError, ScenarioError):
                raise
            except Exception as exc:  # the researcher's hook failed: bad input, not a crash of the tool
                name = getattr(extra_constraints, "__name__", type(extra_constraints).__name__)
                raise ScenarioError(f"added constraints ({name}, e.g. an --extra hook) raised {type(exc).__name__}: "
                                    f"{exc}") from exc
        return m

    m = build()
    seconds = time.perf_counter() - t0
    log.info("model built in %.2f s", seconds)
    return Built(scenario, inputs, distances, m, build, seconds)


def solve(scenario: Scenario | str | None = None, options: SolverOptions | None = None,
          extra_constraints=None, explain_infeasible: bool = True, prepared: Prepared | None = None,
          remember: bool = False) -> Result:
    """Solve a scenario (a :class:`Scenario`, a TOML path, a data folder, or None for the default).

    ``extra_constraints(model, scenario, inputs)`` may add constraints before solving.
    ``explain_infeasible``: when HiGHS says infeasible, find which constraint family causes it
    (:mod:`model.solving.infeasibility`, up to five more solves); off for the insight re-solves, where
    an infeasible rule set is an expected outcome. ``prepared``: see :func:`build_model`.
    ``remember`` (the points of a sweep): a model identical to one this process has solved takes
    that solution instead of a new solve (:func:`model.studies.session.solve_remembered`); the summary
    says so (``solver.reused_solution``).
    """
    options = options or SolverOptions()
    b = build_model(scenario, extra_constraints, prepared)
    reused = None
    if remember and options.interface != "appsi":  # appsi hands HiGHS no matrix to compare

        report, reused = solve_remembered(b.model, options)
    else:
        report = solve_model(b.model, options)
    log.info("HiGHS: %s in %.2f s, objective %s, gap %s", report.status, report.solve_seconds,
             report.objective, report.gap)
    result = Result(b.scenario, report, b.seconds, b.inputs, b.model, b.distances)
    if report.status == "infeasible" and explain_infeasible:
        result.infeasibility = explain(b.build, b.inputs, options)
    assign(result, options)
    if reused is not None:
        result.summary["solver"]["reused_solution"] = reused
    return result


def assign(result: Result, options: SolverOptions) -> Result:
    """The tables and summary of a solved model (its Pyomo variables hold the solution)."""
    _assign_solution(result)
    # what was asked, beside what was reached: report.md and compare judge the gap against it
    result.summary["solver"].update(mip_rel_gap=options.mip_rel_gap, time_limit=options.time_limit)
    return result


def _assign_solution(result: Result) -> None:
    r, m, inputs = result.report, result.model, result.inputs
    summary = {
        "scenario": result.scenario.name,
        "method": "exact",
        "status": r.status,
        "objective": r.objective,
        "bound": r.bound,
        "gap": r.gap,
        "build_seconds": round(result.build_seconds, 3),
        "handoff_seconds": round(r.handoff_seconds, 3),
        "solve_seconds": round(r.solve_seconds, 3),
        "solver": {"name": "HiGHS", "interface": r.interface, "model_status": r.highs_status},
        "model_size": model_size(m),
        **run_fields(result.scenario, inputs),
    }
    if r.objective is not None:
        result.sites = site_table(m, inputs, result.scenario)
        result.flows = flow_table(m, inputs, result.scenario)
        summary.update(solution_fields(result, cost_breakdown(m), stocked_classes(m)))
    else:
        summary.update({"cost_breakdown": {}, "sites_opened": [], "mode_share": {}, "unmet_share": None})
        if result.infeasibility is not None:
            summary["infeasibility"] = result.infeasibility
    result.summary = summary


def run_fields(scenario: Scenario, inputs: ModelInputs) -> dict:
    """The summary.json fields of a run that do not depend on its solution: demand, the capacity
    check, the parameters and overrides, the input hash and the package versions."""
    return {
        "total_demand_orders": float(inputs.demand["orders"].sum()),
        "channel": regimes.channel(scenario.param),
        "pruning": "on"
        if getattr(inputs, "pruned", True)
        else "off: an added-constraints hook (--extra) may change which regime is cheapest, "
        "so no arc was dropped as dominated",
        "capacity_check": capacity_check(inputs),
        "parameters": scenario.parameters,
        "overrides": scenario.overrides,
        **identity_fields(scenario),  # run name, every parameter that differs from the file or as shipped
        "input_hash": scenario.input_hash(),
        "versions": {"project": _version("vn-cbec-bonded"), "pyomo": _version("pyomo"), "highspy": _version("highspy")},
    }


def solution_fields(result, costs: dict, held: dict) -> dict:
    """The summary.json fields of a plan, from its tables (``result.sites``, ``result.flows``, read
    with ``result.inputs`` and ``result.scenario``), its cost per term (``costs``) and the SKU
    classes each site holds (``held``, :func:`model.statistics.solution.stocked_classes`). Shared by the exact
    path and the Lagrangian one (``model.methods.lagrangian_run``), so a KPI is computed once."""
    inputs, sc = result.inputs, result.scenario
    total_demand = float(inputs.demand["orders"].sum())
    shares, unmet = mode_shares(result.flows, total_demand)
    opened = result.sites[result.sites["opened"]]
    products = sc.tables["products"]
    its = inputs.items
    return {
        "cost_breakdown": costs,
        "sites_opened": [{"site": k, "level": l, "utilisation": round(float(u), 6),
                          "stocked_classes": [{"item": i, "mode": md} for md, i in held.get(k, [])]}
                         for k, l, u in zip(opened["site"], opened["level"], opened["utilisation"])],
        "mode_share": shares,
        "unmet_share": unmet,
        "unmet": explain_unmet(result),
        "kpis": {
            **lead_time_kpis(result.flows, total_demand, sc.param("service.target_hours")),
            **money_kpis(result.flows, products, sc.param("finance.cost_of_capital")),
            **tax_kpis(result.flows, products, regimes.MODES),
            **network_cost_kpis(costs),
            "lead_time_days_by_mode": lead_time_by_mode(result.flows, inputs.regime_paths, inputs.demand,
                                                        regimes.MODES),
            **emissions_kpis(result.flows, total_demand),
            "mode_share_by_class": mode_share_by_class(
                result.flows, regimes.MODES, None if its is None else its["sku_class"].unique().tolist()),
            "mode_share_by_item": mode_share_by_item(
                result.flows, regimes.MODES, None if its is None else its.index.tolist()),
            **stock_pool_kpis(result.flows, inputs.class_stocks),
        },
        "regimes": {md: {"label": r.label, "enabled": bool(r.enabled(sc.param))}
                    for md, r in regimes.REGISTRY.items()},
        "regime_costs_usd_per_order": regime_costs(inputs.regime_paths, inputs.demand, regimes.MODES),
        "regime_costs_by_class_usd_per_order": regime_costs_by_class(inputs.regime_paths, inputs.demand, its,
                                                                     regimes.MODES),
    }
