"""Capacitated facility location benchmarks: OR-Library (Beasley's ``cap`` files) and Holmberg's
single-source instances (``p1``..``p71``): readers, model, CLI.

The model reuses the facility family of the CBEC model (:mod:`model.formulation.facility`):
``open[k,l]`` (one level per site), ``throughput_capacity`` and ``strong_linking``. Demand is
splittable; ``assign[k,j]`` is the fraction of customer j's demand served from site k.

Cost convention (capinfo): the file gives, for each customer j and site i, the cost of
allocating *all* of j's demand to i, so serving a fraction x of it costs ``c[i,j] x``.

    python -m model.methods.orlib FILE [FILE ...] [--capacity N] [--time-limit S] [--single-source]

prints one JSON line per file: instance, objective, status, seconds (and bound, gap).
For capa/capb/capc, whose capacity field is the word ``capacity``, ``--capacity`` sets it (by
default each of the four values of Beasley's Table 1 is solved in turn) and the instance is
named ``<file>_<capacity>`` as in the published optima.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyomo.environ as pyo

from model.formulation.facility import add_facility_decisions, add_strong_linking, add_throughput_capacity
from model.solving.highs import SolverOptions, solve_model

#: Beasley (1988) Table 1: the four capacities each of capa/capb/capc stands for.
TABLE1_CAPACITIES = {
    "capa": (8000, 10000, 12000, 14000),
    "capb": (5000, 6000, 7000, 8000),
    "capc": (5000, 5750, 6500, 7250),
}


@dataclass
class CFLPInstance:
    name: str
    capacity: np.ndarray     # per site
    fixed_cost: np.ndarray   # per site
    demand: np.ndarray       # per customer
    cost: np.ndarray         # sites x customers: cost of serving all of customer j from site i


def read_cap(path: Path | str, capacity: float | None = None) -> CFLPInstance:
    """Read a Beasley ``cap`` file (tolerates CRLF, NUL padding, numbers written ``49.``)."""
    path = Path(path)
    tokens = path.read_bytes().replace(b"\x00", b" ").decode("ascii").split()
    pos = 0

    def take():
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        return tok

    m, n = int(take()), int(take())
    caps, fixed = np.empty(m), np.empty(m)
    symbolic = False
    for i in range(m):
        tok = take()
        if tok.lower() == "capacity":
            symbolic = True
            if capacity is None:
                raise ValueError(f"{path}: capacities are the word 'capacity'; give --capacity N "
                                 "(Beasley's Table 1 values, e.g. 8000 for capa)")
            caps[i] = capacity
        else:
            caps[i] = float(tok) if capacity is None else capacity
        fixed[i] = float(take())
    demand = np.empty(n)
    cost = np.empty((m, n))
    for j in range(n):
        demand[j] = float(take())
        for i in range(m):
            cost[i, j] = float(take())
    name = path.stem + (f"_{capacity:g}" if capacity is not None and symbolic else "")
    return CFLPInstance(name, caps, fixed, demand, cost)


def read_holmberg(path: Path | str) -> CFLPInstance:
    """Read a Holmberg et al. (1999) single-source instance: m n; m x (capacity, fixed);
    n demands; the m x n cost matrix facility-major (tolerates CRLF, NUL padding, ``49.``)."""
    path = Path(path)
    tokens = [float(t) for t in path.read_bytes().replace(b"\x00", b" ").decode("ascii").split()]
    m, n = int(tokens[0]), int(tokens[1])
    pos = 2
    pairs = np.array(tokens[pos:pos + 2 * m]).reshape(m, 2)
    pos += 2 * m
    demand = np.array(tokens[pos:pos + n])
    pos += n
    cost = np.array(tokens[pos:pos + m * n]).reshape(m, n)
    if cost.shape != (m, n):
        raise ValueError(f"{path}: expected {m} x {n} costs after the demands")
    return CFLPInstance(path.name, pairs[:, 0].copy(), pairs[:, 1].copy(), demand, cost)


def read_instance(path: Path | str, capacity: float | None = None) -> CFLPInstance:
    """OR-Library ``cap*.txt`` files or Holmberg ``p*`` files (no extension)."""
    path = Path(path)
    return read_cap(path, capacity) if path.suffix == ".txt" else read_holmberg(path)


def build_cflp(inst: CFLPInstance, single_source: bool = False) -> pyo.ConcreteModel:
    """min sum f_i open_i + sum c_ij assign_ij  s.t. demand, capacity, strong linking.

    ``assign[i,j]`` is the *fraction* of customer j's demand served from site i (so the
    linking rows have unit coefficients: HiGHS solves this scaling markedly faster than the
    same model in demand units, see docs/performance.md).
    """
    m = pyo.ConcreteModel(name=inst.name)
    sites = range(len(inst.capacity))
    customers = [j for j in range(len(inst.demand)) if inst.demand[j] > 0]
    add_facility_decisions(m, {(i, "single"): float(inst.capacity[i]) for i in sites},
                           {(i, "single"): float(inst.fixed_cost[i]) for i in sites})
    arcs = [(i, j) for j in customers for i in sites]
    m.assign = pyo.Var(arcs, within=pyo.Binary if single_source else pyo.NonNegativeReals)
    m.assignment_cost = pyo.Expression(expr=sum(float(inst.cost[a]) * m.assign[a] for a in arcs))
    m.total_cost = pyo.Objective(expr=m.fixed_cost + m.assignment_cost)
    m.demand_balance = pyo.Constraint(customers, rule=lambda m, j: sum(m.assign[i, j] for i in sites) == 1)
    add_throughput_capacity(m, {i: [float(inst.demand[j]) * m.assign[i, j] for j in customers] for i in sites})
    add_strong_linking(m, m.assign, {a: 1.0 for a in arcs})
    # Valid because every customer must be served in full: the open capacity covers total demand.
    # HiGHS does not derive this cut itself; on capa (100 x 1000) it lifts the root bound.
    m.capacity_cover = pyo.Constraint(
        expr=sum(float(inst.capacity[i]) * m.open[i, "single"] for i in sites) >= float(inst.demand.sum()))
    return m


def solve_cap(path, capacity=None, options: SolverOptions | None = None, single_source: bool = False) -> dict:
    t0 = time.perf_counter()
    inst = read_instance(path, capacity)
    m = build_cflp(inst, single_source)
    rep = solve_model(m, options or SolverOptions(mip_rel_gap=1e-9))
    return {"instance": inst.name, "objective": rep.objective, "status": rep.status,
            "seconds": round(time.perf_counter() - t0, 3), "bound": rep.bound, "gap": rep.gap}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m model.methods.orlib", description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--capacity", type=float, action="append",
                    help="capacity for capa/capb/capc (repeat to solve several variants)")
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--gap", type=float, default=1e-9, help="relative MIP gap (default 1e-9: prove optimality)")
    ap.add_argument("--interface", default="lp", choices=["matrix", "lp", "appsi"])
    ap.add_argument("--threads", type=int, default=None, help="HiGHS threads")
    ap.add_argument("--single-source", action="store_true",
                    help="each customer served by exactly one site (binary assignment)")
    args = ap.parse_args(argv)
    opts = SolverOptions(time_limit=args.time_limit, mip_rel_gap=args.gap, interface=args.interface,
                         threads=args.threads)
    rc = 0
    for f in args.files:
        if f.suffix in (".csv", ".md") or not f.is_file():
            continue  # e.g. optima.csv or SOURCES.md when called with a glob
        symbolic = f.suffix == ".txt" and b"capacity" in f.read_bytes()[:4000]
        caps = (args.capacity or TABLE1_CAPACITIES.get(f.stem, [None])) if symbolic else [None]
        for cap in caps:
            try:
                print(json.dumps(solve_cap(f, cap, opts, args.single_source)), flush=True)
            except (ValueError, IndexError) as exc:
                print(json.dumps({"instance": f.stem, "objective": None, "status": "error", "seconds": 0.0,
                                  "error": str(exc)}), flush=True)
                rc = 2
    return rc


if __name__ == "__main__":
    sys.exit(main())
