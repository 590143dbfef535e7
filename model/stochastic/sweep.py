"""How the optimal mode split moves as demand and exchange-rate volatility rise.

    python -m model.stochastic sweep [SCENARIO] --cv 0,0.3,0.6 --fx 0,0.1,0.2 --scenarios 10 --gap 1e-2

Each (demand CV, FX sigma) point solves the extensive form with the same seed (the same
standard-normal shocks, rescaled), in parallel through :func:`model.core.parallel.map_jobs`.
Writes ``sweep.csv`` (one row per point: expected share of orders by mode, stock, dead
stock, expected cost, gap) and ``sweep.png`` (bonded and direct-mail shares against the
demand CV, one line per FX sigma) into ``--out`` (default ``results/<scenario>-volatility``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from model.core.errors import DataError, ScenarioError
from model.core.formats import to_csv
from model.core.parallel import JobFailure, map_jobs
from model.io.outputs import check_out_dir
from model.io.scenario import load_scenario
from model.network.roads import scenario_road_distances
from model.report.writer import write_atomically
from model.solving.highs import SolverOptions
from model.stochastic.analysis import solve_plan
from model.stochastic.run import mode_split
from model.stochastic.scenarios import generate_scenarios
from model.stochastic.twostage import build_data


def _point(job):
    scenario, cv, fx, n, options = job

    scen = generate_scenarios(scenario, n=n, demand_cv=cv, fx_sigma=fx)
    r = solve_plan(build_data(scenario, scenario_road_distances(scenario), scen), options)
    t = r.scenarios
    row = {"demand_cv": cv, "fx_sigma": fx, "scenarios": n, "status": r.report.status, "gap": r.report.gap,
           "expected_cost": r.objective, "seconds": r.report.solve_seconds}
    if r.objective is not None:
        p = t["probability"] / t["probability"].sum()
        row.update({f"{k}_share": v for k, v in mode_split(t).items()})
        row.update({"stock_orders": float(r.stock["stock_orders"].sum()),
                    "dead_stock_orders_mean": float((p * t["dead_stock_orders"]).sum()),
                    "sites_opened": sum(1 for v in r.first_stage["open"].values() if v >= 0.5)})
    return row


def plot(df: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for fx, g in df.sort_values("demand_cv").groupby("fx_sigma"):
        ax.plot(g["demand_cv"], 100 * g["bonded_share"], marker="o", label=f"bonded, FX sigma {fx:g}")
        ax.plot(
            g["demand_cv"], 100 * g["direct_mail_share"], marker="x", ls="--", label=f"direct mail, FX sigma {fx:g}"
        )
    ax.set_xlabel("demand coefficient of variation")
    ax.set_ylabel("expected share of orders (%)")
    ax.set_title("Mode split of the two-stage optimum")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:

    ap = argparse.ArgumentParser(prog="python -m model.stochastic sweep", description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?")
    ap.add_argument("--cv", default="0,0.3,0.6", help="demand CVs, comma-separated")
    ap.add_argument("--fx", default="0,0.1,0.2", help="FX sigmas, comma-separated")
    ap.add_argument("--scenarios", type=int, default=10)
    ap.add_argument("--gap", type=float, default=1e-2)
    ap.add_argument("--time-limit", type=float)
    ap.add_argument("--workers", type=int, help="parallel solves (default: cores)")
    ap.add_argument("--scheduler", help="an existing Dask scheduler address")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--force", action="store_true", help="write into a non-empty --out this tool did not write")
    a = ap.parse_args(argv)
    try:
        overrides = dict(p.split("=", 1) for p in a.set)
        scenario = load_scenario(a.scenario, overrides=overrides)
        options = SolverOptions(mip_rel_gap=a.gap, time_limit=a.time_limit, threads=1)
        out = a.out or Path("results") / f"{scenario.name}-volatility"
        check_out_dir(out, force=a.force)
    except (DataError, ScenarioError, ValueError) as exc:
        for line in (exc.lines() if hasattr(exc, "lines") else [str(exc)]):
            print(f"error: {line}", file=sys.stderr)
        return 2
    jobs = [(scenario, float(cv), float(fx), a.scenarios, options)
            for fx in a.fx.split(",") for cv in a.cv.split(",")]
    rows = map_jobs(_point, jobs, workers=a.workers, scheduler=a.scheduler,
                    on_done=lambda i, r: print(f"  point {i + 1}/{len(jobs)} done", flush=True))
    bad = [r for r in rows if isinstance(r, JobFailure)]
    for r in bad:
        print(f"error: {r.error}", file=sys.stderr)
    df = pd.DataFrame([r for r in rows if not isinstance(r, JobFailure)])
    out = a.out or Path("results") / f"{scenario.name}-volatility"
    write_atomically(out, {"sweep.csv": lambda p: to_csv(df, p), "sweep.png": lambda p: plot(df, p)},
                     force=a.force)
    print(df.to_string(index=False))
    print(f"Written {out}/sweep.csv and sweep.png")
    return 3 if bad else 0
