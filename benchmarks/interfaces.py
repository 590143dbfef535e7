"""Compare the three Pyomo -> HiGHS hand-off paths side by side (run on demand, not a test).

    python benchmarks/interfaces.py [--repeat 3] [--default-gap 1e-2]

For each interface: the OR-Library cap41..cap134 set (37 instances, solved to optimality) and
the default scenario (to --default-gap). Each measurement runs in a fresh process, so that
import and HiGHS thread-pool start-up are counted alike; medians over --repeat runs.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORLIB = ROOT / "tests" / "data" / "orlib"

CHILD = r"""
import json, sys, time
from pathlib import Path
from model.solving.highs import SolverOptions, solve_model
iface, what, gap = sys.argv[1], sys.argv[2], float(sys.argv[3])
out = {"interface": iface, "what": what, "handoff_s": 0.0, "solve_s": 0.0, "build_s": 0.0}
t0 = time.perf_counter()
if what == "orlib":
    from model.methods.orlib import build_cflp, read_cap
    obj = 0.0
    for f in sorted(Path(sys.argv[4]).glob("cap*.txt")):
        tb = time.perf_counter(); m = build_cflp(read_cap(f)); out["build_s"] += time.perf_counter() - tb
        r = solve_model(m, SolverOptions(mip_rel_gap=1e-7, interface=iface))
        out["handoff_s"] += r.handoff_seconds; out["solve_s"] += r.solve_seconds; obj += r.objective
    out["objective_sum"] = obj
else:
    from model import load_scenario
    from model.formulation import build_inputs, create_model
    from model.network.roads import scenario_road_distances
    sc = load_scenario()
    tb = time.perf_counter(); m = create_model(build_inputs(sc, scenario_road_distances(sc)))
    out["build_s"] = time.perf_counter() - tb
    r = solve_model(m, SolverOptions(mip_rel_gap=gap, interface=iface))
    out.update(handoff_s=r.handoff_seconds, solve_s=r.solve_seconds, objective_sum=r.objective, status=r.status)
out["total_s"] = time.perf_counter() - t0
print(json.dumps(out))
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--default-gap", type=float, default=1e-2)
    args = ap.parse_args()
    rows = []
    for what in ("orlib", "default"):
        for rep in range(args.repeat):
            for iface in ("matrix", "lp", "appsi"):  # interleaved, so drift hits every interface alike
                p = subprocess.run([sys.executable, "-c", CHILD, iface, what, str(args.default_gap), str(ORLIB)],
                                   capture_output=True, text=True, cwd=ROOT, check=True)
                rows.append(json.loads(p.stdout.strip().splitlines()[-1]))
    print("| instance set | interface | build s | hand-off s | HiGHS s | total s | objective |")
    print("|---|---|---|---|---|---|---|")
    for what in ("orlib", "default"):
        for iface in ("matrix", "lp", "appsi"):
            rs = [r for r in rows if r["what"] == what and r["interface"] == iface]
            med = {k: statistics.median(r[k] for r in rs) for k in ("build_s", "handoff_s", "solve_s", "total_s")}
            print(f"| {what} | {iface} | {med['build_s']:.2f} | {med['handoff_s']:.2f} | {med['solve_s']:.2f} | "
                  f"{med['total_s']:.2f} | {rs[0]['objective_sum']:,.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
