"""Root LP bound, root gap, nodes and time to each gap of the linking formulations, side by side.

    python benchmarks/root.py [--case NAME[:KEY=VALUE,...] ...] [--linking summed tight]
                              [--reps 3] [--gap 1e-4] [--time-limit 300] [--threads 1] [--out FILE.jsonl]
    python benchmarks/root.py --table FILE.jsonl

A case is ``default`` (the shipped data), a scenario of ``scenarios/`` by name or a generated
instance of ``benchmarks/instances.py`` (``inst/province-s20-p6-t1``), with optional overrides
after a colon (``china-like:stock.sku_classes=0``). Each (case, linking, repetition) runs
in a fresh Python process (HiGHS's thread pool is per process), interleaved so that the formulations
share the machine's load alike. The child builds the model as ``model.pipeline`` does, with
``create_model(inputs, linking)`` (``model.formulation.LINKINGS``), hands it to HiGHS through the LP
file and reports:

- ``lp``: the LP relaxation's optimum (integrality dropped, the root bound before HiGHS's cuts);
- ``root_bound``: HiGHS's dual bound at the end of the root node (cuts and presolve included), from
  its MIP callbacks while the node count is 0;
- ``objective``, ``bound``, ``gap``, ``nodes`` (``mip_node_count``), ``solve_s`` (HiGHS ``run()``);
- ``t_1e-2``, ``t_2e-3``, ``t_1e-3``, ``t_1e-4``: seconds of HiGHS until the incumbent was first within
  that gap of the bound (from the same callbacks), or null if never;
- ``lp_gap`` = (objective - lp) / objective and ``root_gap`` = (objective - root_bound) / objective;
- with ``--perfect-start``, ``start_solve_s`` and ``start_nodes``: the same solve again, started
  from the solution it found (``setSolution``): the most any MIP start (Lagrangian plan, rounded
  LP) could save.

The table gives medians over the repetitions and, for each case, each formulation's median time
over the first one's. The per-level split measured in docs/performance.md (``split``,
``adaptive``, ``zone``) was dropped; it is in commit f5d0de2 of branch issue-30. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

THRESHOLDS = (1e-2, 2e-3, 1e-3, 1e-4)


def _source(case: str):
    name, _, over = case.partition(":")
    path = None if name == "default" else ROOT / "scenarios" / f"{name}.toml"
    overrides = {}
    if name.startswith("inst/"):  # a generated instance of benchmarks/instances.py
        sys.path.insert(0, str(HERE))
        import instances

        inst = instances.materialise(name[5:])
        path, overrides = inst.data_dir, dict(inst.overrides)
    for item in filter(None, over.split(",")):
        key, _, value = item.partition("=")
        overrides[key] = float(value) if value.replace(".", "", 1).replace("e-", "", 1).isdigit() else value
    return path, overrides


def child(args) -> dict:

    from model import load_scenario
    from model.formulation import build_inputs, create_model
    from model.network.roads import scenario_road_distances
    from model.solving.highs import LiveModel, SolverOptions, _quiet_highs

    path, overrides = _source(args.child)
    t0 = time.perf_counter()
    sc = load_scenario(path, overrides=overrides or None)
    inputs = build_inputs(sc, scenario_road_distances(sc))
    opts = SolverOptions(mip_rel_gap=args.gap, time_limit=args.time_limit, threads=args.threads, interface="lp")
    m = create_model(inputs, linking=args.linking)
    build_s = time.perf_counter() - t0
    live = LiveModel(m, opts)
    h = live.h
    lp = h.getLp()
    n_bin = sum(1 for v in live.cols if v.is_integer())
    out = {"case": args.child, "linking": args.linking, "n_vars": len(live.cols), "n_cons": h.getNumRow(),
           "n_bin": n_bin, "build_s": build_s, "handoff_s": live.handoff_seconds}

    relaxed = _quiet_highs()
    relaxed.setOptionValue("threads", int(args.threads))  # HiGHS's thread pool is per process: one count
    lp.integrality_ = []
    relaxed.passModel(lp)
    t1 = time.perf_counter()
    relaxed.run()
    out["lp_s"] = time.perf_counter() - t1
    out["lp"] = float(relaxed.getInfo().objective_function_value)

    events = []  # (seconds, primal, dual, nodes)
    t_start = [time.perf_counter()]

    def record(e):
        d = e.data_out
        events.append((time.perf_counter() - t_start[0], d.mip_primal_bound, d.mip_dual_bound, d.mip_node_count))

    h.cbMipInterrupt.subscribe(record)
    h.cbMipImprovingSolution.subscribe(record)
    t_start[0] = time.perf_counter()
    rep = live.run(opts)
    info = h.getInfo()
    out.update(status=rep.status, objective=rep.objective, bound=rep.bound, gap=rep.gap, solve_s=rep.solve_seconds,
               nodes=int(info.mip_node_count))
    roots = [d for _, _, d, n in events if n == 0 and abs(d) < 1e300]
    if out["nodes"] <= 1 and rep.bound is not None:  # solved at the root: its bound is the final one
        roots.append(rep.bound)
    out["root_bound"] = max(roots) if roots else None  # the dual bound only rises
    for thr in THRESHOLDS:
        hit = next((t for t, p, d, _ in events if abs(p) < 1e300 and abs(d) < 1e300 and (p - d) <= thr * abs(p)), None)
        if hit is None and rep.gap is not None and rep.gap <= thr:
            hit = rep.solve_seconds
        out[f"t_{thr:g}"] = hit
    if args.perfect_start and rep.objective is not None:  # the most any MIP start could save: the optimum itself
        x = h.getSolution().col_value
        again = live.run(opts, start_vector=x)
        out.update(start_solve_s=again.solve_seconds, start_nodes=int(h.getInfo().mip_node_count))
    obj = rep.objective
    out["lp_gap"] = (obj - out["lp"]) / obj if obj else None
    out["root_gap"] = (obj - out["root_bound"]) / obj if obj and out["root_bound"] is not None else None
    return out


def _median(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def table(rows) -> str:
    cases = list(dict.fromkeys(r["case"] for r in rows))
    linkings = list(dict.fromkeys(r["linking"] for r in rows))
    head = ("| case | linking | runs | variables | binaries | LP bound, USD M | LP gap | root gap | nodes | "
            "t 2e-3 s | t 1e-4 s | HiGHS s | x first (HiGHS s) | build + hand-off s | objective, USD M | final gap |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]

    def f(x, fmt):
        return "" if x is None else format(x, fmt)

    for c in cases:
        base = None
        for lk in linkings:
            rs = [r for r in rows if r["case"] == c and r["linking"] == lk]
            if not rs:
                continue
            for r in rs:  # pre_s: the LP solved first by the adaptive split (commit f5d0de2), HiGHS time too
                r["highs_s"] = r["solve_s"] + r.get("pre_s", 0.0)
                r["model_s"] = r["build_s"] + r["handoff_s"]
                if r["nodes"] <= 1 and r.get("gap") is not None:  # solved at the root: the root gap is the final one
                    r["root_gap"] = r["gap"] if r["root_gap"] is None else min(r["root_gap"], r["gap"])
            t = _median(rs, "highs_s")
            base = t if base is None else base
            lines.append(f"| {c} | {lk} | {len(rs)} | {rs[0]['n_vars']:,} | {rs[0]['n_bin']:,} | "
                         f"{f(_median(rs, 'lp') / 1e6, ',.2f')} | {f(_median(rs, 'lp_gap'), '.2e')} | "
                         f"{f(_median(rs, 'root_gap'), '.2e')} | {f(_median(rs, 'nodes'), ',.0f')} | "
                         f"{f(_median(rs, 't_0.002'), '.1f')} | {f(_median(rs, 't_0.0001'), '.1f')} | {f(t, '.1f')} | "
                         f"{f(t / base if base else None, '.2f')} | {f(_median(rs, 'model_s'), '.1f')} | "
                         f"{f(_median(rs, 'objective') / 1e6, ',.2f')} | "
                         f"{f(_median(rs, 'gap'), '.1e')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", nargs="*", default=["default"])
    ap.add_argument("--linking", nargs="*", default=["summed", "tight"])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--gap", type=float, default=1e-4)
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--perfect-start", action="store_true",
                    help="solve again from the solution found (the most a MIP start could save)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--table", type=Path)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.table:
        print(table([json.loads(line) for line in args.table.read_text().splitlines() if line.strip()]))
        return 0
    if args.child:
        args.linking = args.linking[0]
        print(json.dumps(child(args)))
        return 0
    rows = []
    for rep in range(args.reps):
        for case in args.case:
            for lk in args.linking:
                cmd = [sys.executable, __file__, "--child", case, "--linking", lk, "--gap", str(args.gap),
                       "--time-limit", str(args.time_limit), "--threads", str(args.threads)]
                cmd += ["--perfect-start"] if args.perfect_start else []
                res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
                if res.returncode != 0:
                    print(f"{case} {lk}: failed\n{res.stderr[-2000:]}", file=sys.stderr)
                    continue
                row = json.loads(res.stdout.strip().splitlines()[-1])
                row["rep"] = rep
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
                if args.out:
                    with args.out.open("a") as fh:
                        fh.write(json.dumps(row) + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
