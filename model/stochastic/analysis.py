"""Solve the extensive form and measure what uncertainty is worth: VSS, EVPI, cost and dead-stock distributions.

- RP (recourse problem): the two-stage optimum over the scenarios.
- EV plan: sites and stock of the deterministic model (forecast demand, planned rate);
  EEV = its cost evaluated on the scenarios (first stage fixed, second stage re-optimised).
  VSS = EEV - RP >= 0.
- WS (wait and see): each scenario solved knowing its demand and rate; EVPI = RP - WS >= 0.

With ``risk.weight`` > 0 every number above is the objective's risk measure
``(1 - w) E[cost] + w CVaR_alpha[cost]`` of the cost distribution, not only its mean; it is
monotone, so VSS and EVPI stay non-negative.

MIP gaps: the RP incumbent may be worse than the EV plan when the EF stops at a gap; the EV
plan is feasible for the RP, so RP = the better of the two (``rp_source`` says which). Each
WS value is likewise the better of its own solve and the RP plan's cost in that scenario.
Both keep VSS, EVPI >= 0 exactly, not only up to the gap.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from model import regimes
from model.core.parallel import JobFailure, map_jobs
from model.pipeline import model_size
from model.solving.highs import SolveReport, SolverOptions, solve_model
from model.stochastic.scenarios import ScenarioSet, mean_scenario
from model.stochastic.twostage import (
    DIRECT_FX_TERMS,
    DIRECT_SALE_TERMS,
    FIRST_STAGE_TERMS,
    SALE_TERMS,
    STOCH_TERMS,
    TwoStageData,
    build_model,
    first_stage_values,
)


def cvar(costs, probs, alpha: float) -> float:
    """CVaR_alpha of a discrete distribution: the probability-weighted mean of the worst (1 - alpha) tail (USD)."""
    c, p = np.asarray(costs, float), np.asarray(probs, float)
    order = np.argsort(-c)
    c, p = c[order], p[order] / p.sum()
    tail = 1.0 - alpha
    if tail <= 0:
        return float(c[0])
    take = np.minimum(p, np.maximum(tail - np.concatenate([[0.0], np.cumsum(p)[:-1]]), 0.0))
    return float((take * c).sum() / tail)


def risk_measure(costs, probs, weight: float, alpha: float) -> float:
    """(1 - weight) x mean + weight x CVaR_alpha (USD); weight 0 = the mean."""
    mean = float(np.dot(costs, np.asarray(probs) / np.sum(probs)))
    return mean if weight <= 0 else (1 - weight) * mean + weight * cvar(costs, probs, alpha)


@dataclass
class PlanResult:
    """A solved two-stage model: its report, first stage and one row per scenario (costs by term, modes)."""

    report: SolveReport
    build_seconds: float
    first_stage: dict | None
    scenarios: (
        pd.DataFrame
    )  # scenario, probability, fx, demand_orders, <STOCH_TERMS>, total_cost, <mode>_orders per regime, ...
    stock: pd.DataFrame         # mode, site, origin, product, gateway, stock_orders, mean_sold_orders, mean_dead_orders
    model_size: dict

    @property
    def objective(self):
        return self.report.objective


def _values(var, keys):
    return np.array([var[k].value or 0.0 for k in keys], dtype=float)


def scenario_table(m, data: TwoStageData, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per scenario: every cost term (USD), orders by mode, dead stock (orders, USD); and the stock table."""
    sk, sale, dm = data.stock_keys, data.sale_arcs, data.direct_arcs
    sk_keys = list(m.STOCK)
    stock = _values(m.stock, sk_keys)
    pos = {q: i for i, q in enumerate(sk_keys)}
    sale_keys = list(m.SALE)
    sale_pos = np.array([pos[(a[0], a[1], a[3], a[4])] for a in sale_keys], dtype=int)
    sale_idx = pd.MultiIndex.from_frame(sale[["mode", "site", "zone", "origin", "product"]])
    sale = sale.set_index(sale_idx).loc[sale_keys] if len(sale_keys) else sale
    dm_keys = list(m.DIRECT)
    dm = dm.set_index(pd.MultiIndex.from_frame(dm[["origin", "zone", "product"]])).loc[dm_keys] if dm_keys else dm
    dem_keys = list(m.DEMAND)
    lv = data.inputs.site_levels.set_index(["site", "level"])["fixed_cost"]
    fixed = float(sum(round(m.open[kl].value or 0.0) * lv.loc[kl] for kl in m.SITE_LEVELS))
    compliance = float(pyo.value(m.compliance_cost))
    pools = float(pyo.value(m.stock_cost))  # the SKU-class pools' stock, paid with it (0 without classes)
    first = {t: float(np.dot(sk[t].to_numpy(), stock)) for t in FIRST_STAGE_TERMS}
    sale_mode = sale["mode"].to_numpy() if len(sale_keys) else np.zeros(0, object)
    dm_mode = dm["mode"].to_numpy() if len(dm_keys) else np.zeros(0, object)
    rows, sold_total = [], np.zeros(len(sk_keys))
    dead_cost = sk["dead_stock_cost"].to_numpy()
    for s in names:
        f = float(data.scenarios.fx[s])
        p = float(data.scenarios.probability[s])
        sell = _values(m.sell, [(s, *a) for a in sale_keys])
        direct = _values(m.direct, [(s, *a) for a in dm_keys])
        unmet = _values(m.unmet, [(s, *d) for d in dem_keys])
        sold = np.bincount(sale_pos, weights=sell, minlength=len(sk_keys)) if len(sale_keys) else np.zeros(len(sk_keys))
        left = np.maximum(stock - sold, 0.0)
        sold_total += p * sold
        r = {"scenario": s, "probability": p, "fx": f, "usd_vnd_factor": f,
             "demand_orders": float(data.scenarios.demand.loc[data.scenarios.demand["scenario"] == s, "orders"].sum()),
             "fixed_cost": fixed, "compliance_cost": compliance, "stock_cost": pools, **first}
        # each term: what is paid with the stock, per order sold, and per parcel (in foreign currency x fx)
        for t in SALE_TERMS if len(sale_keys) else ():
            r[t] = r.get(t, 0.0) + float(np.dot(sale[t].to_numpy(), sell))
        for t in DIRECT_SALE_TERMS:
            r[t] = r.get(t, 0.0) + float(np.dot(dm[t].to_numpy(), direct))
        for t in DIRECT_FX_TERMS:
            r[t] = r.get(t, 0.0) + f * float(np.dot(dm[t].to_numpy(), direct))
        r["duty_tax_cost"] += f * float(np.dot(sale["sale_tax"].to_numpy(), sell)) if len(sale_keys) else 0.0
        r["direct_mail_goods_fx_cost"] = (f - 1.0) * float(np.dot(dm["value"].to_numpy(), direct))
        r["dead_stock_cost"] = float(np.dot(dead_cost, left))
        r["unmet_penalty"] = data.inputs.unmet_penalty * float(unmet.sum())
        r["total_cost"] = sum(r.get(t, 0.0) for t in STOCH_TERMS)
        r.update({t: r.get(t, 0.0) for t in STOCH_TERMS})
        for md in regimes.MODES:  # orders by regime: <mode>_orders
            r[f"{md}_orders"] = float(sell[sale_mode == md].sum() + direct[dm_mode == md].sum())
        r["unmet_orders"] = float(unmet.sum())
        r["stock_orders"] = float(stock.sum())
        r["dead_stock_orders"] = float(left.sum())
        rows.append(r)
    table = pd.DataFrame(rows)
    st = sk[["mode", "site", "origin", "product", "gateway"]].copy()
    st["stock_orders"] = stock
    st["mean_sold_orders"] = sold_total / max(sum(float(data.scenarios.probability[s]) for s in names), 1e-300)
    st["mean_dead_orders"] = np.maximum(st["stock_orders"] - st["mean_sold_orders"], 0.0)
    return table, st[st["stock_orders"] > 1e-6].reset_index(drop=True)


def solve_plan(data: TwoStageData, options: SolverOptions | None = None, names=None,
               first_stage: dict | None = None, deadline: float | None = None, share: float = 1.0,
               max_limit: float | None = None) -> PlanResult:
    """Build and solve the EF over ``names`` (all by default), optionally with the first stage fixed.

    ``deadline`` (wall clock, ``time.time()``): HiGHS gets ``share`` of the time left once the
    model is built (at most ``max_limit`` s); with no time left the solve is not run (status
    ``no_solution``, HiGHS status "not run: no time left")."""

    options = options or SolverOptions()
    names = list(data.scenarios.names if names is None else names)
    t0 = time.perf_counter()
    m = build_model(data, names, first_stage=first_stage)
    build = time.perf_counter() - t0
    if deadline is not None:
        left = deadline - time.time()
        if left < MIN_SOLVE_SECONDS:
            return PlanResult(
                SolveReport("no_solution", None, None, None, 0.0, 0.0, "not run: no time left", options.interface),
                build,
                None,
                pd.DataFrame(),
                pd.DataFrame(),
                model_size(m),
            )
        limit = left * share if max_limit is None else min(left * share, max_limit)
        options = dataclasses.replace(options, time_limit=max(limit, MIN_SOLVE_SECONDS))
    report = solve_model(m, options)
    if report.objective is None:
        return PlanResult(report, build, None, pd.DataFrame(), pd.DataFrame(), model_size(m))
    table, stock = scenario_table(m, data, names)
    return PlanResult(report, build, first_stage_values(m), table, stock, model_size(m))


def _ws_job(job):
    """One wait-and-see solve (a Dask job: module-level, picklable arguments)."""
    data, name, options, deadline, max_limit = job
    r = solve_plan(data.with_scenarios(data.scenarios.subset([name])), options, deadline=deadline, max_limit=max_limit)
    return name, r.objective, r.report.bound, r.report.status


#: shares of the time budget (of what is left when each part starts): the extensive form, the
#: deterministic plan, its evaluation on the scenarios; the wait-and-see solves share the rest
BUDGET_SHARES = {"rp": 0.5, "ev": 0.25, "eev": 1 / 3}
MIN_SOLVE_SECONDS = 0.5  # with less time left a solve is not started


def finished(report: SolveReport | None) -> bool:
    """A solve that ended proven optimal (within its gap)."""
    return report is not None and report.status == "optimal"


def value_of_information(data: TwoStageData, options: SolverOptions | None = None, workers: int | None = None,
                         scheduler: str | None = None, progress=None, budget_seconds: float | None = None) -> dict:
    """RP, EV plan and EEV, WS; VSS and EVPI, with seconds for each part (see the module docstring).

    ``budget_seconds``: a time limit for all the solves together (split by :data:`BUDGET_SHARES`;
    each solve's limit is its share of what is left), instead of ``options.time_limit`` per solve.
    VSS (EVPI) is None, with the reason in ``vss_note`` (``evpi_note``), when a solve behind it
    did not finish: the extensive form, the EV plan or EEV (the extensive form or a WS solve).
    """

    options = options or SolverOptions()
    deadline = None if budget_seconds is None else time.time() + budget_seconds

    sc = data.scenarios
    names, probs = sc.names, sc.probability.loc[sc.names].to_numpy()
    w, a = data.risk_weight, data.risk_alpha
    say = progress or (lambda msg: None)
    timings = {}

    def limit_text(share):
        return "" if deadline is None else f" ({share:.0%} of the {max(deadline - time.time(), 0):.0f} s left)"

    say(f"extensive form: {len(names)} scenarios{limit_text(BUDGET_SHARES['rp'])} ...")
    t = time.perf_counter()
    rp = solve_plan(data, options, deadline=deadline, share=BUDGET_SHARES["rp"])
    timings["rp_seconds"] = time.perf_counter() - t
    if rp.objective is None:
        return {"rp": rp, "status": rp.report.status}

    say(f"deterministic plan (forecast demand, planned rate){limit_text(BUDGET_SHARES['ev'])} ...")
    t = time.perf_counter()
    ev = solve_plan(
        data.with_scenarios(mean_scenario_like(data)), options, deadline=deadline, share=BUDGET_SHARES["ev"]
    )
    eev = (solve_plan(data, options, first_stage=ev.first_stage, deadline=deadline, share=BUDGET_SHARES["eev"])
           if ev.objective is not None else None)
    timings["ev_seconds"] = time.perf_counter() - t
    rp_value = risk_measure(rp.scenarios["total_cost"], probs, w, a)
    rp_source = "extensive form"
    best = rp
    eev_value = None
    if eev is not None and eev.objective is not None:
        eev_value = risk_measure(eev.scenarios["total_cost"], probs, w, a)
        if eev_value < rp_value:  # the EF stopped at a gap above the EV plan: the EV plan is the better RP incumbent
            best, rp_value, rp_source = eev, eev_value, "EV plan (better than the EF incumbent at its gap)"

    if workers is None and scheduler is None and len(data.sale_arcs) * len(names) < 200_000:
        workers = 1  # small models: starting a Dask cluster costs more than the solves
    rounds = math.ceil(len(names) / max(workers or 2, 1))  # the solves run this many after one another
    per_solve = None if deadline is None else max(deadline - time.time(), 0.0) / rounds
    say(f"wait-and-see: {len(names)} scenario solves"
        + ("" if per_solve is None else f" (up to {per_solve:.1f} s each)") + " ...")
    t = time.perf_counter()
    ws_options = dataclasses.replace(options, threads=1 if (workers or 2) > 1 else options.threads,
                                     progress_seconds=None)
    jobs = [(data, s, ws_options, deadline, per_solve) for s in names]
    out = map_jobs(_ws_job, jobs, workers=workers, scheduler=scheduler)
    timings["ws_seconds"] = time.perf_counter() - t
    failed = [f.error for f in out if isinstance(f, JobFailure)]
    if failed:
        raise RuntimeError(f"wait-and-see solves failed: {failed[0]}")
    ws = pd.DataFrame(out, columns=["scenario", "objective", "bound", "status"]).set_index("scenario").loc[names]
    plan_cost = best.scenarios.set_index("scenario").loc[names, "total_cost"]
    # the RP plan is feasible in each WS problem (and stands in for a WS solve without a plan)
    ws["value"] = np.fmin(ws["objective"].astype(float), plan_cost)
    ws_value = risk_measure(ws["value"], probs, w, a)

    def unfinished(parts):
        return "; ".join(
            f"the {what} {'has no solution' if r is None or r.objective is None else 'stopped: ' + r.report.status}"
            + ("" if r is None or r.report.gap is None else f" (gap {r.report.gap:.2g})")
            for what, r in parts
            if r is None or not finished(r.report)
        )

    # a better EV plan than the EF incumbent still leaves the true RP unknown: the EF must finish
    vss_note = unfinished([("extensive form", rp), ("deterministic plan", ev),
                           ("deterministic plan on the scenarios (EEV)", eev)])
    ws_open = [s for s, st in ws["status"].items() if st != "optimal"]
    evpi_note = "; ".join(x for x in (unfinished([("extensive form", rp)]),
                                      f"{len(ws_open)} of {len(names)} wait-and-see solves did not finish"
                                      if ws_open else "") if x)
    vss = eev_value - rp_value if not vss_note and eev_value is not None else None
    evpi = rp_value - ws_value if not evpi_note else None
    return {
        "rp": rp, "best": best, "rp_source": rp_source, "ev": ev, "eev": eev, "ws": ws,
        "rp_value": rp_value, "eev_value": eev_value, "ws_value": ws_value,
        "vss": vss, "evpi": evpi, "vss_note": vss_note or None, "evpi_note": evpi_note or None,
        "timings": timings, "status": rp.report.status, "budget_seconds": budget_seconds,
    }


def mean_scenario_like(data: TwoStageData) -> ScenarioSet:
    """The probability-weighted mean demand of the scenario set at the mean exchange rate (the EV problem)."""
    sc = data.scenarios
    d = sc.demand.merge(sc.probability.rename("probability"), left_on="scenario", right_index=True)
    d = (
        d.assign(orders=d["orders"] * d["probability"])
        .groupby(["zone", "origin", "product"], as_index=False)["orders"]
        .sum()
    )
    fx = float(np.dot(sc.fx.loc[sc.names], sc.probability.loc[sc.names]))
    return ScenarioSet(["mean"], d.assign(scenario="mean"), pd.Series({"mean": fx}), pd.Series({"mean": 1.0}),
                       "mean of " + sc.source)


__all__ = ["PlanResult", "cvar", "risk_measure", "scenario_table", "solve_plan", "value_of_information",
           "mean_scenario", "mean_scenario_like"]
