"""The multi-year roll-out against one year's solve, on the same scenario and gap (docs/performance.md, "Roll-out").

    python benchmarks/rollout.py [--scenario scenarios/cbec-pilot-2027.toml] [--gaps 5e-3,1e-3] [--years 2026-2030]
                                 [--threads N] [--json FILE]

For each gap: one year's solve (the last year of the horizon, the largest demand, under its
timeline policy: ``model.pipeline.solve``) and the roll-out with perfect foresight over the years
(``model.studies.rollout.solve_rollout``): seconds to build the inputs and the model, HiGHS
seconds, the gap reached, the model's size. In one process, one after the other.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.formulation.rollout import create_rollout_model  # noqa: E402
from model.inputs.rollout import parse_years, rollout_data  # noqa: E402
from model.io.scenario import load_scenario  # noqa: E402
from model.pipeline import model_size, solve  # noqa: E402
from model.solving.highs import SolverOptions, solve_model  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "cbec-pilot-2027.toml"))
    ap.add_argument("--gaps", default="5e-3,1e-3")
    ap.add_argument("--years", default="2026-2030")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    first, last = parse_years(args.years)
    sc = load_scenario(args.scenario, overrides={"rollout.first_year": first, "rollout.last_year": last})
    t0 = time.perf_counter()
    data = rollout_data(sc)
    inputs_s = time.perf_counter() - t0
    rows = []
    for gap in [float(g) for g in args.gaps.split(",")]:
        opts = SolverOptions(mip_rel_gap=gap, threads=args.threads)
        one = solve(data.scenarios[last], opts)
        rows.append({"run": f"one year ({last})", "gap_asked": gap, "build_s": round(one.build_seconds, 2),
                     "highs_s": round(one.report.solve_seconds, 2), "gap": one.report.gap,
                     "objective": one.report.objective, **model_size(one.model)})
        t1 = time.perf_counter()
        m = create_rollout_model(data)
        build_s = time.perf_counter() - t1
        rep = solve_model(m, opts)
        rows.append({"run": f"roll-out {first}-{last}", "gap_asked": gap,
                     "build_s": round(inputs_s + build_s, 2), "highs_s": round(rep.solve_seconds, 2),
                     "handoff_s": round(rep.handoff_seconds, 2), "gap": rep.gap, "objective": rep.objective,
                     **model_size(m)})
        print(rows[-2], rows[-1], sep="\n", flush=True)
    print("| run | gap asked | variables | binaries | constraints | build s | HiGHS s | gap reached |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['gap_asked']:g} | {r['variables']:,} | {r['binaries']:,} | {r['constraints']:,} | "
              f"{r['build_s']} | {r['highs_s']} | {r['gap']:.1e} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
