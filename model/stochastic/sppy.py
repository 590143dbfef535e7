"""The two-stage model through mpi-sppy: progressive hedging (PH) hub + Lagrangian bound spoke.

For many scenarios, across MPI ranks (ranks = a multiple of the number of cylinders, 2 here)::

    mpiexec -n 2 python -m model.stochastic.sppy --num-scens 100 --max-iterations 10 --out results/sppy-100
    # as root in a container: mpiexec --allow-run-as-root --oversubscribe -n 2 ...
    # any scenario or parameter: --scenario scenarios/china-like.toml --set uncertainty.demand_cv=0.4

Each scenario is :func:`model.stochastic.twostage.build_model` over that one scenario; the
nonanticipative (first-stage) variables are ``open``, ``stock`` (and ``eta`` with CVaR).
HiGHS cannot solve PH's quadratic proximal term with binaries, so the proximal terms are
linearised (``--linearize-proximal-terms``, on by default here). The Lagrangian spoke gives
the lower bound. The upper bound: PH's consensus ``xbar`` (the probability-weighted mean of the
scenario solutions PH ended with, recomputed after the last iteration) is rounded into a plan (per site
the level with the largest ``xbar``, opened if the site's ``xbar`` summed over levels is >= 0.5; stock at unopened sites
dropped and scaled down to the capacity built) and that plan is evaluated on every
scenario, the scenarios shared over all ranks. The final gap is (upper - lower) / upper.

The module also has mpi-sppy's ``generic_cylinders`` interface (``scenario_creator``,
``scenario_names_creator``, ``kw_creator``, ``inparser_adder``, ``scenario_denouement``),
so ``python -m mpi4py -m mpisppy.generic_cylinders --module-name model.stochastic.sppy ...``
works too.
"""
from __future__ import annotations

import sys
import time
from functools import lru_cache, partial
from pathlib import Path

import numpy as np

from model.core.text import parse_set
from model.inputs.classes import refuse_classes
from model.io.outputs import write_json
from model.io.scenario import load_scenario
from model.network.roads import scenario_road_distances
from model.report.writer import write_atomically
from model.solving.highs import SolverOptions
from model.stochastic.analysis import risk_measure, solve_plan
from model.stochastic.run import distribution, mode_split
from model.stochastic.scenarios import load_scenario_set
from model.stochastic.twostage import build_data, build_model

# ---- data: one build per process, cached ---------------------------------------------------

def check_scope(scenario) -> None:
    """Refuse SKU classes: PH would need the pools' binaries (stock_class, stock_band) as
    first-stage variables and their PWL cost in the first-stage cost; only the extensive form
    (``python solve.py --stochastic``) models them."""
    refuse_classes(scenario, "the mpi-sppy driver (model.stochastic.sppy; the extensive form, "
                             "python solve.py --stochastic, does)")


@lru_cache(maxsize=4)
def _data(scenario_path: str | None, overrides: tuple, num_scens: int):

    ov = dict(overrides)
    ov["uncertainty.scenarios"] = num_scens
    sc = load_scenario(scenario_path, overrides=ov)
    check_scope(sc)
    return sc, build_data(sc, scenario_road_distances(sc), load_scenario_set(sc))


def scenario_names_creator(num_scens, start=None):
    start = start or 0
    return [f"s{i:03d}" for i in range(start, start + num_scens)]


def scenario_creator(scenario_name, scenario_path=None, overrides=(), num_scens=None):
    """One scenario's two-stage model with its root node attached (mpi-sppy)."""
    import mpisppy.utils.sputils as sputils

    _, data = _data(scenario_path, tuple(overrides), int(num_scens))
    m = build_model(data, [scenario_name], probabilities={scenario_name: 1.0})
    nonants = [m.open, m.stock] + ([m.eta] if hasattr(m, "eta") else [])
    sputils.attach_root_node(m, m.first_stage_cost, nonants)
    m._mpisppy_probability = float(data.scenarios.probability[scenario_name])
    return m


def _overrides(pairs) -> tuple:

    return tuple(parse_set(pairs).items())


def inparser_adder(cfg):
    cfg.num_scens_required()
    cfg.add_to_config("scenario", description="scenario .toml or data folder (default: the shipped data)",
                      domain=str, default=None)
    cfg.add_to_config("set", description="KEY=VALUE parameter overrides, comma-separated", domain=str, default="")


def kw_creator(cfg):
    pairs = [p for p in (cfg.get("set") or "").split(",") if p.strip()]
    return {"scenario_path": cfg.get("scenario"), "overrides": _overrides(pairs), "num_scens": cfg.num_scens}


def scenario_denouement(rank, scenario_name, scenario):
    pass


def rho_setter(scenario, rho_factor=1.0):
    """Rho per nonant, Watson & Woodruff's cost-proportional rule rho = c / (spread of x): for ``open``
    the fixed cost (a 0/1 spread); for ``stock`` its cost per order over a tenth of the largest
    demand it could serve (the spread of scenario solutions is of that order at a CV of 0.1-0.5)."""
    m = scenario
    out = [(id(m.open[kl]), rho_factor * max(m._fixed_cost_coef[kl], 1.0)) for kl in m.SITE_LEVELS]
    out += [(id(m.stock[q]), rho_factor * max(m._stock_cost_coef[q], 1e-3) / max(0.1 * m._stock_size.get(q, 0.0), 1.0))
            for q in m.STOCK]
    return out


# ---- the driver -------------------------------------------------------------------------------

def _config(argv):
    import mpisppy.utils.config as config

    cfg = config.Config()
    cfg.popular_args()
    cfg.two_sided_args()
    cfg.ph_args()
    cfg.lagrangian_args()
    cfg.xhatshuffle_args()
    inparser_adder(cfg)
    cfg.add_to_config("out", description="folder for summary.json (written atomically by rank 0)", domain=str,
                      default=None)
    cfg.add_to_config("rho_factor", description="multiplier on the cost-proportional rho of every nonant",
                      domain=float, default=1.0)
    cfg.add_to_config("subproblem_gap", description="relative MIP gap of each scenario solve", domain=float,
                      default=1e-3)
    # defaults that work with HiGHS (docs/uncertainty.md); the command line can change each
    cfg.solver_name = "highs"
    cfg.default_rho = 1.0
    cfg.max_iterations = 10
    cfg.linearize_proximal_terms = True
    cfg.linearize_binary_proximal_terms = True
    cfg.lagrangian = True
    cfg.rel_gap = 1e-3
    cfg.import_argparse(cfg.create_parser("python -m model.stochastic.sppy").parse_args(argv))
    return cfg


def xbar_plan(ph, data) -> dict:
    """PH's consensus rounded to a feasible plan (see the module docstring)."""
    s = next(iter(ph.local_scenarios.values()))
    xbar = {id(v): float(s._mpisppy_model.xbars[ndn_i].value) for ndn_i, v in s._mpisppy_data.nonant_indices.items()}
    lv = data.inputs.site_levels
    best, site_open = {}, {}
    for kl in s.SITE_LEVELS:
        x = xbar[id(s.open[kl])]
        site_open[kl[0]] = site_open.get(kl[0], 0.0) + x
        if kl[0] not in best or x > best[kl[0]][1]:
            best[kl[0]] = (kl, x)
    force = set(data.inputs.sites.loc[data.inputs.sites["force_open"], "site"])
    # open a site when it is open in most scenarios (its levels' xbar summed): scenarios that
    # agree on the site but not on its level must not close it
    opened = {kl: 1 for k, (kl, x) in best.items() if site_open[k] >= 0.5 or k in force}
    cap = dict(zip(zip(lv["site"], lv["level"]), lv["capacity"].astype(float)))
    stock = {q: max(xbar[id(s.stock[q])], 0.0) for q in s.STOCK}
    for (k, l) in opened:
        total = sum(v for q, v in stock.items() if q[1] == k)
        if total > cap[k, l]:
            for q in stock:
                if q[1] == k:
                    stock[q] *= cap[k, l] / total
    return {"open": opened, "stock": stock}


def evaluate_plan(plan, data, names, comm, options):
    """Expected cost of a fixed plan: each rank solves its share of the scenario LPs; sums reduced."""

    mine = names[comm.Get_rank()::comm.Get_size()]
    rows = []
    for name in mine:
        r = solve_plan(data, options, names=[name], first_stage=plan)
        if r.objective is None:
            raise RuntimeError(f"plan evaluation failed in scenario {name}: {r.report.status}")
        rows.append(r.scenarios.iloc[0].to_dict())
    allrows = comm.allgather(rows)
    return [r for part in allrows for r in part]


def main(argv=None) -> int:
    import mpisppy.utils.cfg_vanilla as vanilla
    from mpi4py import MPI
    from mpisppy.spin_the_wheel import WheelSpinner


    comm = MPI.COMM_WORLD
    t0 = time.perf_counter()
    cfg = _config(sys.argv[1:] if argv is None else argv)
    cfg.solver_options = f"mip_rel_gap={cfg.subproblem_gap}" + (f" {cfg.solver_options}" if cfg.solver_options else "")
    kw = kw_creator(cfg)
    names = scenario_names_creator(cfg.num_scens)
    sc, data = _data(kw["scenario_path"], kw["overrides"], cfg.num_scens)
    beans = (cfg, scenario_creator, scenario_denouement, names)
    rho = partial(rho_setter, rho_factor=cfg.rho_factor)
    hub = vanilla.ph_hub(*beans, scenario_creator_kwargs=kw, rho_setter=rho)
    spokes = []
    if cfg.lagrangian:
        spokes.append(vanilla.lagrangian_spoke(*beans, scenario_creator_kwargs=kw, rho_setter=rho))
    if cfg.xhatshuffle:
        spokes.append(vanilla.xhatshuffle_spoke(*beans, scenario_creator_kwargs=kw))
    wheel = WheelSpinner(hub, spokes)
    wheel.spin()
    t_ph = time.perf_counter() - t0
    if wheel.on_hub():
        # PH forms xbar only inside its iterations (mpisppy.phbase.iterk_loop), not after iteration 0:
        # average the last scenario solutions here, on every hub rank (a collective on the hub's
        # communicator), so the rounded plan is the consensus of the solutions PH ended with
        wheel.spcomm.opt.Compute_Xbar()
    plan = xbar_plan(wheel.spcomm.opt, data) if wheel.on_hub() and wheel.spcomm.cylinder_rank == 0 else None
    plan = comm.bcast(plan, root=0)
    outer = comm.bcast(wheel.BestOuterBound if comm.Get_rank() == 0 else None, root=0)
    inner_spoke = comm.bcast(wheel.BestInnerBound if comm.Get_rank() == 0 else None, root=0)
    t1 = time.perf_counter()
    rows = evaluate_plan(plan, data, names, comm, SolverOptions(mip_rel_gap=cfg.subproblem_gap, threads=1))
    t_eval = time.perf_counter() - t1
    if comm.Get_rank() != 0:
        return 0
    import pandas as pd

    table = pd.DataFrame(rows).set_index("scenario").loc[names].reset_index()
    probs = table["probability"].to_numpy()
    upper = risk_measure(table["total_cost"], probs, data.risk_weight, data.risk_alpha)
    if inner_spoke is not None and np.isfinite(inner_spoke) and inner_spoke < upper:
        upper_source, upper = "xhatshuffle spoke", float(inner_spoke)
    else:
        upper_source = "PH xbar rounded, evaluated on every scenario"
    gap = (upper - outer) / abs(upper) if outer is not None and np.isfinite(outer) else None
    summary = {
        "scenario": sc.name, "model": "two-stage stochastic (mpi-sppy: PH hub + Lagrangian spoke)",
        "ranks": comm.Get_size(), "scenarios": cfg.num_scens, "ph_iterations_limit": cfg.max_iterations,
        "upper_bound": upper, "upper_bound_source": upper_source, "lower_bound": outer, "gap": gap,
        "seconds": {"ph": round(t_ph, 2), "plan_evaluation": round(t_eval, 2),
                    "total": round(time.perf_counter() - t0, 2)},
        "sites_opened": [{"site": k, "level": l} for (k, l) in sorted(plan["open"])],
        "stock_orders": float(sum(plan["stock"].values())),
        "cost_distribution": distribution(table["total_cost"], probs, data.risk_alpha),
        "mode_share": mode_split(table),
        "dead_stock_orders_mean": float(np.dot(probs / probs.sum(), table["dead_stock_orders"])),
        "parameters": {k: v for k, v in sc.parameters.items() if k.startswith(("uncertainty.", "risk."))},
    }
    print(f"mpi-sppy on {comm.Get_size()} ranks, {cfg.num_scens} scenarios: upper {upper:,.0f} ({upper_source}), "
          f"lower {outer:,.0f}, gap {gap if gap is not None else float('nan'):.2e}; PH {t_ph:.1f} s, "
          f"evaluation {t_eval:.1f} s", flush=True)
    if cfg.out:
        write_atomically(Path(cfg.out), {
            "summary.json": lambda p: write_json(p, summary),
            "scenarios.csv": lambda p: table.to_csv(p, index=False)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
