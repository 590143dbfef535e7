"""Two-stage stochastic model: sites and stock before demand and the exchange rate are known.

``python solve.py --stochastic`` calls :func:`run_stochastic`; ``python -m model.stochastic``
has the sweep; ``mpiexec -n 2 python -m model.stochastic.sppy`` solves many scenarios with
mpi-sppy. docs/uncertainty.md describes the model, the outputs and the measured run times.
"""
from __future__ import annotations

from model.stochastic.analysis import cvar, risk_measure, solve_plan, value_of_information
from model.stochastic.run import run_stochastic
from model.stochastic.scenarios import (
           ScenarioSet,
           generate_scenarios,
           load_scenario_set,
           mean_scenario,
           read_scenarios_csv,
)
from model.stochastic.twostage import STOCH_TERMS, TwoStageData, build_data, build_model

__all__ = ["STOCH_TERMS", "ScenarioSet", "TwoStageData", "build_data", "build_model", "cvar", "generate_scenarios",
           "load_scenario_set", "mean_scenario", "read_scenarios_csv", "risk_measure", "run_stochastic",
           "solve_plan", "value_of_information"]
