"""Where Vietnam should put bonded warehouses for cross-border e-commerce.

Public API::

    from model import load_scenario, solve, SolverOptions
    result = solve(load_scenario())          # the shipped default scenario
    result.summary["cost_breakdown"], result.sites, result.flows
"""
from .errors import DataError, Problem, ScenarioError
from .pipeline import Result, model_size, solve
from .results import write_results
from .scenario import DEFAULT_DATA_DIR, Scenario, load_scenario
from .solver import SolveReport, SolverOptions

__all__ = [
    "DEFAULT_DATA_DIR", "DataError", "Problem", "Result", "Scenario", "ScenarioError", "SolveReport",
    "SolverOptions", "load_scenario", "model_size", "solve", "write_results",
]
