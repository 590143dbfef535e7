"""Where Vietnam should put bonded warehouses for cross-border e-commerce.

Public API::

    from model import load_scenario, solve, SolverOptions
    result = solve(load_scenario())          # the shipped default scenario
    result.summary["cost_breakdown"], result.sites, result.flows
"""
from model.core.errors import DataError, Problem, ScenarioError
from model.io.scenario import DEFAULT_DATA_DIR, Scenario, load_scenario
from model.pipeline import Result, model_size, solve
from model.report.writer import write_results
from model.solving.highs import SolveReport, SolverOptions

__all__ = [
    "DEFAULT_DATA_DIR", "DataError", "Problem", "Result", "Scenario", "ScenarioError", "SolveReport",
    "SolverOptions", "load_scenario", "model_size", "solve", "write_results",
]
