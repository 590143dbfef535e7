"""Measure build, hand-off and HiGHS time, peak memory and size of each benchmark instance.

    python benchmarks/run.py --list
    python benchmarks/run.py [--instance NAME_OR_GLOB ...] [--json] [--gap G] [--time-limit S]
                             [--threads N] [--interface lp|matrix|appsi] [--nearest-sites K] [--price-arcs]
                             [--lagrangian] [--no-floor] [--out FILE.jsonl]
    python benchmarks/run.py --table FILE.jsonl      # markdown table of saved JSON lines

Each instance runs in a fresh Python process, so imports, HiGHS start-up and peak memory are
per instance (peak RSS = ``ru_maxrss`` of that child, from ``os.wait4``). The child builds the
model as ``model.pipeline.solve`` does (load, road distances, arc tables, Pyomo), hands it to
HiGHS and solves it; then it writes the very model HiGHS received to an MPS file. The
**floor** is a second fresh process that reads that MPS file with highspy alone and solves it
with the same options (gap, time limit, seed, threads): ``ratio = total_s / floor_solve_s``.

With ``--json`` one JSON line per instance on stdout with at least ``instance``, ``n_vars``,
``n_cons``, ``n_bin``, ``build_s``, ``handoff_s``, ``solve_s``, ``total_s``, ``floor_solve_s``,
``peak_rss_mb``, ``gap`` (seconds are wall seconds; ``build_s`` = road distances + arc tables
+ Pyomo model; ``total_s`` = load + build + hand-off + HiGHS + reading the solution back).
Without ``--json`` a markdown table. Not part of the test suite: big instances take minutes.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import instances  # noqa: E402  (benchmarks/ is not a package)

KEYS = ("instance", "n_vars", "n_cons", "n_bin", "build_s", "handoff_s", "solve_s", "total_s", "floor_solve_s",
        "peak_rss_mb", "gap")


def machine() -> dict:
    """Cores and memory of this machine (GiB), for the table header."""
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = round(int(next(l for l in f if l.startswith("MemTotal")).split()[1]) / 2**20, 1)
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "mem_gib": mem, "python": platform.python_version()}


# ---------------------------------------------------------------------------------------------
# Child processes
# ---------------------------------------------------------------------------------------------

def _options(args):
    from model.solving.highs import SolverOptions

    return SolverOptions(time_limit=args.time_limit, mip_rel_gap=args.gap, threads=args.threads,
                         interface=args.interface)


def child_measure(args) -> dict:
    """Build and solve one instance in this process; write the HiGHS model to ``args.mps``."""
    import model.solving.highs as solver

    inst = instances.materialise(args.child)
    opts = _options(args)
    captured = []
    make_highs = solver._highs

    def capture(options):  # keep the Highs object, to write the model it was handed
        h = make_highs(options)
        captured.append(h)
        return h

    solver._highs = capture
    out = {"instance": inst.name}
    t0 = time.perf_counter()
    if inst.kind == "orlib":
        from model.methods.orlib import build_cflp, read_cap

        data = read_cap(inst.path)
        t1 = time.perf_counter()
        m = build_cflp(data)
        t4 = time.perf_counter()
        out.update(load_s=t1 - t0)
    else:
        from model import load_scenario
        from model.formulation import build_inputs, create_model
        from model.inputs.build import check_service_reachable
        from model.network.roads import scenario_road_distances

        sc = load_scenario(inst.data_dir, overrides=inst.overrides or None, name=inst.name)
        t1 = time.perf_counter()
        distances = scenario_road_distances(sc)
        t2 = time.perf_counter()
        if args.lagrangian:  # Lagrangian bound + feasible plan on arrays, no Pyomo model (model/methods/lagrangian.py)
            from model.methods.lagrangian import full_model_size, solve_by_lagrangian

            inputs = build_inputs(sc, distances)
            t3 = time.perf_counter()
            lag = solve_by_lagrangian(inputs, gap=opts.mip_rel_gap, time_limit=args.time_limit, threads=args.threads)
            t5 = time.perf_counter()
            out.update(load_s=t1 - t0, distances_s=t2 - t1, arcs_s=t3 - t2, build_s=t3 - t1, handoff_s=0.0,
                       solve_s=t5 - t3, total_s=t5 - t0, status="certified gap" if lag.gap <= opts.mip_rel_gap
                       else "stopped", objective=lag.objective, bound=lag.bound, gap=lag.gap,
                       initial_bound=lag.initial_bound, iterations=lag.iterations, method="lagrangian",
                       lagrangian_seconds=lag.seconds, sites_opened=len(lag.sites_opened()),
                       repaired=lag.plan.repaired, peak_rss_mb_self=_self_rss_mb(),
                       **full_model_size(inputs))  # the full model is never built
            return out
        if args.price_arcs:  # exact bound over all arcs, from a priced subset (model/methods/arc_pricing.py)
            from model.methods.arc_pricing import solve_with_arc_pricing

            inputs = build_inputs(sc, distances)
            check_service_reachable(inputs)
            t3 = time.perf_counter()
            priced = solve_with_arc_pricing(inputs, opts, nearest=args.nearest_sites or 5)
            m, report = priced.model, priced.report
            t4 = t3 + priced.pricing_seconds
            out.update(load_s=t1 - t0, distances_s=t2 - t1, arcs_s=t3 - t2, pricing_s=priced.pricing_seconds,
                       pyomo_s=priced.build_seconds, arcs_full=priced.arcs_full, arcs_kept=priced.arcs_kept,
                       full_lp_bound=priced.full_lp_bound, certified_gap=priced.certified_gap,
                       pricing_rounds=priced.rounds)
        else:
            kw = {"nearest_sites": args.nearest_sites} if args.nearest_sites else {}
            inputs = build_inputs(sc, distances, **kw)
            check_service_reachable(inputs)
            t3 = time.perf_counter()
            m = create_model(inputs)
            t4 = time.perf_counter()
            out.update(load_s=t1 - t0, distances_s=t2 - t1, arcs_s=t3 - t2, pyomo_s=t4 - t3)
    if inst.kind == "orlib" or not args.price_arcs:
        report = solver.solve_model(m, opts)
    t5 = time.perf_counter()
    out.update(build_s=t4 - t1, handoff_s=report.handoff_seconds, solve_s=report.solve_seconds, total_s=t5 - t0,
               status=report.status, objective=report.objective, bound=report.bound, gap=report.gap,
               peak_rss_mb_self=_self_rss_mb())
    if inst.optimum is not None and report.objective is not None:
        out.update(optimum=inst.optimum, rel_error=abs(report.objective - inst.optimum) / abs(inst.optimum))
    # Size as HiGHS saw it, and the floor's input file (after the timings: not counted)
    if captured:
        h = captured[-1]
        out.update(n_vars=h.getNumCol(), n_cons=h.getNumRow(),
                   n_bin=int(sum(1 for x in h.getLp().integrality_ if int(x) != 0)))
        if args.mps:
            h.writeModel(args.mps)
    else:  # appsi: no Highs object of ours; Pyomo's MPS writer gives the same model
        import pyomo.environ as pyo

        out.update(n_vars=sum(1 for _ in m.component_data_objects(pyo.Var, active=True)),
                   n_cons=sum(1 for _ in m.component_data_objects(pyo.Constraint, active=True)),
                   n_bin=sum(1 for v in m.component_data_objects(pyo.Var, active=True) if v.is_integer()))
        if args.mps:
            m.write(args.mps, io_options={"symbolic_solver_labels": False})
    return out


def child_floor(args) -> dict:
    """HiGHS alone: read the MPS file, solve with the same options."""
    from model.solving.highs import _highs, _report_status

    h = _highs(_options(args))
    t0 = time.perf_counter()
    h.readModel(args.floor)
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    is_mip = any(int(x) != 0 for x in h.getLp().integrality_)
    status, objective, bound, gap = _report_status(h, is_mip)
    return {"floor_read_s": t1 - t0, "floor_solve_s": t2 - t1, "floor_status": status,
            "floor_objective": objective, "floor_gap": gap}


def _self_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# ---------------------------------------------------------------------------------------------
# Parent
# ---------------------------------------------------------------------------------------------

def run_child(argv: list[str], wall_limit: float | None) -> tuple[dict | None, float, str]:
    """Run ``run.py <argv>`` in a fresh process; (its JSON line, its peak RSS in MB, its stderr tail)."""
    with tempfile.TemporaryFile("w+") as err, tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *argv], stdout=out, stderr=err,
                             cwd=ROOT)
        timer = threading.Timer(wall_limit, p.kill) if wall_limit else None
        if timer:
            timer.start()
        try:
            _, status, usage = os.wait4(p.pid, 0)  # this child's own rusage, not all children's
        finally:
            if timer:
                timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        lines = [l for l in out.read().splitlines() if l.startswith("{")]
        tail = err.read()[-2000:]
    rss = usage.ru_maxrss / 1024
    if p.returncode != 0 or not lines:
        return None, rss, tail or f"exit status {p.returncode}"
    return json.loads(lines[-1]), rss, tail


def measure(name: str, args) -> dict:
    inst = instances.get(name)
    gap = args.gap if args.gap is not None else inst.default_gap
    common = ["--gap", repr(gap), "--interface", args.interface]
    if args.time_limit is not None:
        common += ["--time-limit", repr(args.time_limit)]
    if args.threads is not None:
        common += ["--threads", str(args.threads)]
    wall = None if args.time_limit is None else 3 * args.time_limit + 1200  # a hung child is killed
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        mps = os.path.join(tmp, "model.mps")
        extra = ["--nearest-sites", str(args.nearest_sites)] if args.nearest_sites else []
        extra += ["--price-arcs"] if args.price_arcs else []
        extra += ["--lagrangian"] if args.lagrangian else []
        res, rss, err = run_child(["--child", name, "--mps", "" if args.no_floor else mps, *common, *extra], wall)
        if res is None:
            return {"instance": name, **{k: None for k in KEYS[1:]}, "status": "error", "error": err.strip()[-500:]}
        res.update(peak_rss_mb=round(rss, 1), gap_target=gap, time_limit=args.time_limit, interface=args.interface,
                   nearest_sites=args.nearest_sites, price_arcs=args.price_arcs, **machine())
        res["floor_solve_s"] = None
        if not args.no_floor and not args.lagrangian:  # the Lagrangian method hands HiGHS no full model
            floor, frss, ferr = run_child(["--floor", mps, *common], wall)
            if floor is None:
                res["floor_error"] = ferr.strip()[-500:]
            else:
                res.update(floor, floor_peak_rss_mb=round(frss, 1))
                res["ratio"] = res["total_s"] / res["floor_solve_s"] if res["floor_solve_s"] else None
    for k in list(res):
        if isinstance(res[k], float) and k.endswith("_s"):
            res[k] = round(res[k], 3)
    return res


def select(patterns: list[str] | None) -> list[str]:
    """Instance names: each pattern is a name (any valid one) or a glob over the standard set."""
    if not patterns:
        return instances.list_instances()
    names = []
    for pat in patterns:
        if any(ch in pat for ch in "*?["):
            hits = fnmatch.filter(instances.list_instances(), pat)
            if not hits:
                raise SystemExit(f"--instance {pat!r}: matches no instance of --list")
            names += hits
        else:
            try:
                instances.get(pat)
            except KeyError as exc:
                raise SystemExit(str(exc.args[0])) from None
            names.append(pat)
    return list(dict.fromkeys(names))


def _fmt(v, spec="") -> str:
    if v is None:
        return "-"
    return format(v, spec)


def table(rows: list[dict]) -> str:
    """Markdown table of measured rows."""
    head = ("| instance | variables | constraints | binaries | build s | hand-off s | HiGHS s | total s | "
            "floor s | total / floor | peak RSS MB | gap | status |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        ratio = r.get("ratio")
        lines.append(
            f"| {r['instance']} | {_fmt(r.get('n_vars'), ',')} | {_fmt(r.get('n_cons'), ',')} | "
            f"{_fmt(r.get('n_bin'), ',')} | {_fmt(r.get('build_s'), '.2f')} | {_fmt(r.get('handoff_s'), '.2f')} | "
            f"{_fmt(r.get('solve_s'), '.2f')} | {_fmt(r.get('total_s'), '.2f')} | "
            f"{_fmt(r.get('floor_solve_s'), '.2f')} | {_fmt(ratio, '.2f')} | {_fmt(r.get('peak_rss_mb'), ',.0f')} | "
            f"{_fmt(r.get('gap'), '.1e')} | {r.get('status', '-')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", action="store_true", help="name the standard instances and exit")
    ap.add_argument("--instance", nargs="+", metavar="NAME", help="instances (names or globs, e.g. 'orlib-*')")
    ap.add_argument("--json", action="store_true", help="one JSON line per instance on stdout")
    ap.add_argument("--gap", type=float, default=None,
                    help="relative gap (default per instance: 1e-4 default, 1e-2 generated, 1e-7 OR-Library)")
    ap.add_argument("--time-limit", type=float, default=None, help="HiGHS time limit, seconds (ours and the floor)")
    ap.add_argument("--threads", type=int, default=None, help="HiGHS threads")
    ap.add_argument("--interface", default="lp", choices=("lp", "matrix", "appsi"))
    ap.add_argument("--nearest-sites", type=int, default=None, metavar="K",
                    help="HEURISTIC: keep each zone's arcs to its K nearest sites only (build_inputs nearest_sites)")
    ap.add_argument(
        "--price-arcs",
        action="store_true",
        help="EXACT bound for huge instances: start from --nearest-sites K (default 5) per zone, price "
        "every other arc by LP duality, report certified_gap against all arcs (model/methods/arc_pricing.py)",
    )
    ap.add_argument(
        "--lagrangian",
        action="store_true",
        help="Lagrangian bound + feasible plan with a certified gap, no full model (model/methods/lagrangian.py; "
        "one period, no service/CO2/single-sourcing rows); no floor",
    )
    ap.add_argument("--no-floor", action="store_true", help="skip the HiGHS-alone floor")
    ap.add_argument("--out", type=Path, help="also write the JSON lines to this file (atomically)")
    ap.add_argument("--table", type=Path, metavar="FILE", help="print a markdown table of saved JSON lines and exit")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--floor", help=argparse.SUPPRESS)
    ap.add_argument("--mps", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        print(json.dumps(child_measure(args)), flush=True)
        return 0
    if args.floor:
        print(json.dumps(child_floor(args)), flush=True)
        return 0
    if args.list:
        print("\n".join(instances.list_instances()))
        return 0
    if args.table:
        rows = [json.loads(l) for l in args.table.read_text().splitlines() if l.strip()]
        m = machine()
        print(f"Machine: {m['cores']} cores, {m['mem_gib']} GiB, Python {m['python']}\n")
        print(table(rows))
        return 0
    rows = []
    for name in select(args.instance):
        if not args.json:
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
        r = measure(name, args)
        rows.append(r)
        if args.json:
            print(json.dumps(r), flush=True)
        if args.out:
            _write_lines(args.out, rows)
    if not args.json:
        print(table(rows))
    return 0 if all(r.get("status") != "error" for r in rows) else 1


def _write_lines(path: Path, rows: list[dict]) -> None:
    """All rows so far, written to a temporary file then renamed (never a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write("".join(json.dumps(r) + "\n" for r in rows))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


if __name__ == "__main__":
    sys.exit(main())
