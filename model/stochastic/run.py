"""``python solve.py --stochastic``: solve the two-stage model, write summary.json, report.md and tables.

Output folder: ``results/<scenario>-stochastic/`` unless ``--out`` is given (so a stochastic
run never replaces the deterministic ``results/<scenario>/``). Files, written atomically:
``summary.json``, ``report.md``, ``scenarios.csv`` (one row per scenario: costs by term,
orders by mode, dead stock), ``stock.csv`` (first-stage stock by mode, site, origin,
product), ``sites.csv`` (sites opened by the stochastic and the deterministic plan).
"""
from __future__ import annotations

import dataclasses
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from model import regimes
from model.core.errors import DataError, ScenarioError, print_error
from model.core.formats import to_csv, usd
from model.core.names import with_names
from model.io.outputs import check_out_dir, write_json
from model.network.roads import scenario_road_distances
from model.report.markdown import banner, status_words
from model.report.writer import write_atomically
from model.stochastic.analysis import cvar, value_of_information
from model.stochastic.scenarios import load_scenario_set
from model.stochastic.twostage import STOCH_TERMS, build_data

MODES = (*regimes.MODES, "unmet")


def _usd(x) -> str:
    return usd(x, precise=True)


def _opened(first_stage: dict) -> list[dict]:
    return [{"site": k, "level": l} for (k, l), v in sorted(first_stage["open"].items()) if v >= 0.5]


def distribution(values, probs, alpha: float) -> dict:
    """Mean, standard deviation, 5/50/95 % quantiles, CVaR_alpha, best and worst of a discrete distribution."""
    v, p = np.asarray(values, float), np.asarray(probs, float) / np.sum(probs)
    order = np.argsort(v)
    cum = np.cumsum(p[order])

    def q(x):
        return float(v[order][min(np.searchsorted(cum, x - 1e-12), len(v) - 1)])

    mean = float(np.dot(v, p))
    return {"mean": mean, "std": float(np.sqrt(max(np.dot(p, (v - mean) ** 2), 0.0))), "p05": q(0.05),
            "p50": q(0.5), "p95": q(0.95), f"cvar_{alpha:g}": cvar(v, p, alpha), "best": float(v.min()),
            "worst": float(v.max())}


def mode_split(table: pd.DataFrame) -> dict:
    """Expected share of demand (orders) by mode."""
    p = table["probability"].to_numpy() / table["probability"].sum()
    total = float(np.dot(p, table["demand_orders"]))
    return {mdl: float(np.dot(p, table[f"{mdl}_orders"])) / total if total > 0 else 0.0 for mdl in MODES}


def _finite(x):
    return x if x is not None and math.isfinite(x) else None


def build_summary(scenario, vi: dict, scen_source: str, options=None) -> dict:
    rp, ev = vi["best"], vi["ev"]
    eev = vi["eev"]
    evaluated = ev.objective is not None and eev is not None and eev.objective is not None
    t = rp.scenarios
    probs = t["probability"].to_numpy()
    alpha = scenario.param("risk.alpha")
    report = vi["rp"].report
    p = t["probability"].to_numpy() / t["probability"].sum()
    return {
        "scenario": scenario.name,
        "model": "two-stage stochastic (extensive form, HiGHS)",
        "status": report.status,
        "objective": vi["rp_value"],
        "objective_measure": "expected cost" if scenario.param("risk.weight") <= 0 else
        f"(1 - {scenario.param('risk.weight'):g}) x expected cost + {scenario.param('risk.weight'):g} x CVaR_{alpha:g}",
        "bound": _finite(report.bound),
        "gap": report.gap if vi["rp_source"] == "extensive form" else
        (vi["rp_value"] - report.bound) / abs(vi["rp_value"]) if _finite(report.bound) is not None else None,
        "solver": {"mip_rel_gap": getattr(options, "mip_rel_gap", None),
                   "time_limit_total": vi.get("budget_seconds")},
        "rp_source": vi["rp_source"],
        "scenarios": {"count": len(t), "source": scen_source},
        "seconds": {k: round(v, 2) for k, v in vi["timings"].items()},
        "build_seconds": round(vi["rp"].build_seconds, 2),
        "handoff_seconds": round(report.handoff_seconds, 2),
        "solve_seconds": round(report.solve_seconds, 2),
        "model_size": vi["rp"].model_size,
        "value_of_stochastic_solution": vi["vss"],
        "expected_value_of_perfect_information": vi["evpi"],
        "not_determined": {k: v for k, v in (("value_of_stochastic_solution", vi.get("vss_note")),
                                             ("expected_value_of_perfect_information", vi.get("evpi_note"))) if v},
        "eev": vi["eev_value"], "ws": vi["ws_value"], "ev_objective": ev.objective,
        "cost_distribution": distribution(t["total_cost"], probs, alpha),
        "dead_stock_orders": distribution(t["dead_stock_orders"], probs, alpha),
        "dead_stock_usd": distribution(t["dead_stock_cost"], probs, alpha),
        "expected_cost_breakdown": {k: float(np.dot(p, t[k])) for k in STOCH_TERMS},
        "mode_share": mode_split(t),
        "stock_orders": float(rp.stock["stock_orders"].sum()),
        "sites_opened": _opened(rp.first_stage),
        "deterministic_plan": {
            "sites_opened": _opened(ev.first_stage),
            "stock_orders": float(ev.stock["stock_orders"].sum()),
            "mode_share_on_scenarios": mode_split(eev.scenarios),
            "cost_distribution": distribution(eev.scenarios["total_cost"], probs, alpha),
            "dead_stock_orders_mean": float(np.dot(p, eev.scenarios["dead_stock_orders"])),
        } if evaluated else None,
        "parameters": {k: v for k, v in scenario.parameters.items() if k.startswith(("uncertainty.", "risk."))},
        "input_hash": scenario.input_hash(),
    }


def _value(s: dict, key: str) -> str:
    """A VSS / EVPI amount, or 'not determined' and why."""
    if s[key] is None:
        return f"not determined ({(s.get('not_determined') or {}).get(key, 'a solve behind it did not finish')})"
    return _usd(s[key])


def _per_year(s: dict, key: str) -> str:
    return "" if s[key] is None else " per year"


def report_markdown(s: dict) -> str:
    cd = s["cost_distribution"]
    dp = s["deterministic_plan"] or {
        "sites_opened": [],
        "stock_orders": float("nan"),
        "dead_stock_orders_mean": float("nan"),
        "mode_share_on_scenarios": {},
        "cost_distribution": {},
    }
    alpha_key = next(k for k in cd if k.startswith("cvar_"))
    ms, dms = s["mode_share"], dp["mode_share_on_scenarios"]
    dcd = {k: dp["cost_distribution"].get(k, float("nan")) for k in cd}
    sites = ", ".join(f"{x['site']} ({x['level']})" for x in s["sites_opened"]) or "none"
    dsites = ", ".join(f"{x['site']} ({x['level']})" for x in dp["sites_opened"]) or "none"
    gap = "n/a" if s["gap"] is None else f"{s['gap']:.1e}"
    lines = [
        f"# Scenario `{s['scenario']}` under uncertainty (two-stage model)",
        "",
        f"Sites and stock are committed before the year's demand and USD/VND rate are known; "
        f"{s['scenarios']['count']} scenarios ({s['scenarios']['source']}). Model: docs/uncertainty.md.",
        "",
        f"**Status:** {status_words(s)} {s['objective_measure'].capitalize()} **{_usd(s['objective'])}** per year "
        f"(best bound {_usd(s['bound']) if s['bound'] is not None else 'n/a'}, gap {gap}; from the {s['rp_source']}).",
        "",
        *banner(s, len(s["sites_opened"])),
        "## What uncertainty is worth",
        "",
        f"- **Value of the stochastic solution (VSS): {_value(s, 'value_of_stochastic_solution')}**"
        f"{_per_year(s, 'value_of_stochastic_solution')}: "
        f"what planning with the scenarios saves against the deterministic plan (forecast demand) "
        f"run on the same scenarios ({_usd(s['eev'])}).",
        f"- **Expected value of perfect information (EVPI): {_value(s, 'expected_value_of_perfect_information')}**"
        f"{_per_year(s, 'expected_value_of_perfect_information')}: what knowing each year's demand and rate in "
        f"advance would save (wait-and-see {_usd(s['ws'])}).",
        "",
        "## Cost distribution over the scenarios (USD per year)",
        "",
        "| plan | mean | 5 % | median | 95 % | CVaR | worst |",
        "|---|---|---|---|---|---|---|",
        f"| stochastic | {cd['mean']:,.0f} | {cd['p05']:,.0f} | {cd['p50']:,.0f} | {cd['p95']:,.0f} | "
        f"{cd[alpha_key]:,.0f} | {cd['worst']:,.0f} |",
        f"| deterministic | {dcd['mean']:,.0f} | {dcd['p05']:,.0f} | {dcd['p50']:,.0f} | {dcd['p95']:,.0f} | "
        f"{dcd[alpha_key]:,.0f} | {dcd['worst']:,.0f} |",
        "",
        f"CVaR is the mean of the worst {1 - float(alpha_key[5:]):.0%} of scenarios.",
        "",
        "## Stock and dead stock",
        "",
        f"- Stock pre-positioned: {s['stock_orders']:,.0f} orders (deterministic plan: {dp['stock_orders']:,.0f}).",
        f"- Dead stock (unsold at year end): mean {s['dead_stock_orders']['mean']:,.0f} orders "
        f"({_usd(s['dead_stock_usd']['mean'])}), 95 % {s['dead_stock_orders']['p95']:,.0f}, worst "
        f"{s['dead_stock_orders']['worst']:,.0f} orders "
        f"(deterministic plan: mean {dp['dead_stock_orders_mean']:,.0f}).",
        "",
        "## Mode split (expected share of orders)",
        "",
        "| plan | " + " | ".join(regimes.label(md) for md in MODES) + " |",
        "|---|" + "---|" * len(MODES),
        "| stochastic | " + " | ".join(f"{ms.get(md, 0.0):.0%}" for md in MODES) + " |",
        "| deterministic | " + " | ".join(f"{dms[md]:.0%}" if md in dms else "n/a" for md in MODES) + " |",
        "",
        "## Sites",
        "",
        f"- Stochastic plan ({len(s['sites_opened'])}): {sites}",
        f"- Deterministic plan ({len(dp['sites_opened'])}): {dsites}",
        "",
        "## Expected cost breakdown (USD per year)",
        "",
        *[f"- {k}: {v:,.0f}" for k, v in s["expected_cost_breakdown"].items()],
        "",
        f"Solved in {s['seconds'].get('total', sum(s['seconds'].values())):.0f} s "
        f"(extensive form {s['seconds'].get('rp_seconds', 0):.0f} s, "
        f"deterministic plan and its evaluation {s['seconds'].get('ev_seconds', 0):.0f} s, "
        f"wait-and-see {s['seconds'].get('ws_seconds', 0):.0f} s).",
        "",
    ]
    return "\n".join(lines)


def write_outputs(out_dir: Path, summary: dict, vi: dict, scenario=None, force: bool = False) -> None:
    """The files of the module docstring; with ``scenario``, site and province names beside the codes."""
    rp, ev = vi["best"], vi["ev"]

    def named(df):
        return with_names(df, scenario) if scenario is not None and len(df) else df

    sites = pd.DataFrame(
        [{"plan": "stochastic", **x} for x in summary["sites_opened"]]
        + [{"plan": "deterministic", **x} for x in (summary["deterministic_plan"] or {}).get("sites_opened", [])]
    )
    files = {
        "summary.json": lambda p: write_json(p, summary),  # strict JSON (model.io.outputs)
        "report.md": lambda p: p.write_text(report_markdown(summary), encoding="utf-8"),
        "scenarios.csv": lambda p: to_csv(rp.scenarios, p),
        "stock.csv": lambda p: to_csv(named(pd.concat([rp.stock.assign(plan="stochastic"),
                                                      ev.stock.assign(plan="deterministic")])), p),
        "sites.csv": lambda p: to_csv(named(sites), p),
    }
    write_atomically(Path(out_dir), files, force=force)


def run_stochastic(scenario, options, out_dir, args=None, scenarios_csv=None, workers=None) -> int:
    """Solve, evaluate VSS and EVPI, write the outputs. Exit code: 0 solved, 2 bad input, 3 no solution."""

    if args is not None and getattr(args, "out", None) is None:
        out_dir = Path(out_dir).parent / f"{scenario.name}-stochastic"
    force = bool(getattr(args, "force", False))
    t0 = time.perf_counter()
    try:
        check_out_dir(out_dir, force=force)  # before solving
        scen = load_scenario_set(scenario, scenarios_csv)
        data = build_data(scenario, scenario_road_distances(scenario), scen)
    except (DataError, ScenarioError, ValueError) as exc:
        print_error(exc)
        return 2
    # --time-limit is the budget of the whole command, split over its solves (analysis.Budget)
    budget = None if options.time_limit is None else max(options.time_limit - (time.perf_counter() - t0), 0.0)
    print(f"Two-stage model of '{scenario.name}': {len(scen.names)} scenarios ({scen.source}), "
          f"gap {options.mip_rel_gap:g}" + ("" if budget is None else f", {options.time_limit:g} s in all"), flush=True)
    vi = value_of_information(data, dataclasses.replace(options, time_limit=None), workers=workers,
                              progress=lambda m: print("  " + m, flush=True), budget_seconds=budget)
    if vi["rp"].objective is None:
        print(f"error: no solution ({vi['status']}; HiGHS: {vi['rp'].report.highs_status})", file=sys.stderr)
        return 3
    summary = build_summary(scenario, vi, scen.source, options)
    summary["seconds"]["total"] = round(time.perf_counter() - t0, 2)
    try:
        write_outputs(out_dir, summary, vi, scenario, force=force)
    except ValueError as exc:  # OutputRefused
        print_error(exc)
        return 2
    cd = summary["cost_distribution"]
    ms = summary["mode_share"]
    print(f"Scenario {scenario.name} (stochastic): {summary['status']}, {summary['objective_measure']} "
          f"{summary['objective']:,.0f} USD/year (bound {summary['bound'] or float('nan'):,.0f}, "
          f"gap {summary['gap'] if summary['gap'] is not None else float('nan'):.2e})")
    print(f"VSS {_value(summary, 'value_of_stochastic_solution')}, "
          f"EVPI {_value(summary, 'expected_value_of_perfect_information')} (USD/year)")
    print(f"Cost: mean {cd['mean']:,.0f}, 95 % {cd['p95']:,.0f}, worst {cd['worst']:,.0f}; dead stock mean "
          f"{summary['dead_stock_orders']['mean']:,.0f} orders")
    print("Mode split: " + ", ".join(f"{k.replace('_', ' ')} {v:.1%}" for k, v in ms.items()))
    print(f"Sites opened ({len(summary['sites_opened'])}): "
          + ", ".join(f"{x['site']} {x['level']}" for x in summary["sites_opened"]))
    print(f"Results written to {out_dir}/ (summary.json, report.md, scenarios.csv, stock.csv, sites.csv) "
          f"in {summary['seconds']['total']:.0f} s")
    if summary["status"] != "optimal":
        print(f"warning: extensive form not proven optimal ({summary['status']}); gap {summary['gap']}",
              file=sys.stderr)
    return 0
