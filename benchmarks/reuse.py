"""Many solves of one command against one plain solve, with and without the kept model, side by side.

    python benchmarks/reuse.py [--gap 2e-3] [--repeat 1] [--only plain,alternatives,regret,sweep,breakeven]
                               [--skip 'regret --no-reuse,sweep 3x3 --warm-start']
                               [--scenario SCENARIO] [--json FILE]

Every row is a whole command (``python solve.py ...``) in a fresh process, one worker, all at the
same gap, so imports, building, HiGHS and writing the results are counted alike; wall seconds
are medians over ``--repeat`` runs, and each ratio is to the median plain solve of the same run.
Rows:

- ``plain``: ``python solve.py`` (build, solve, every result file and map);
- ``alternatives --max 3``, ``regret``, ``breakeven`` (``--grid 3 --tol 0.1`` on
  policy.cbec_tax_factor 0.5:1), each with the kept model (default) and with ``--no-reuse``;
  ``regret --workers 2`` (its default on 2 cores: a local Dask cluster);
- ``sweep`` 3 x 3 (policy.cbec_tax_factor 0.5,0.75,1 x policy.bonded_clearance_hours 4,24,48),
  ``--workers 1``, cold and ``--warm-start``.

Besides the seconds, each row records what the command found (the objective and site count of
the plain solve, the alternatives' costs, the regrets' sum, the sweep's objectives) so the two
paths' answers can be set side by side: at a non-zero gap they may differ within it.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ["--grid", "policy.cbec_tax_factor=0.5,0.75,1", "--grid", "policy.bonded_clearance_hours=4,24,48"]


def commands(gap: str, scenario: list[str]) -> dict[str, list[str]]:
    g = ["--gap", gap]
    return {
        "plain": [*scenario, *g, "--quiet"],
        "alternatives": ["alternatives", *scenario, "--max", "3", *g],
        "alternatives --no-reuse": ["alternatives", *scenario, "--max", "3", *g, "--no-reuse"],
        "regret": ["regret", *scenario, "--workers", "1", *g],
        "regret --no-reuse": ["regret", *scenario, "--workers", "1", *g, "--no-reuse"],
        "regret --workers 2": ["regret", *scenario, "--workers", "2", *g],
        "breakeven": ["breakeven", "policy.cbec_tax_factor", "--range", "0.5:1", "--grid", "3", "--tol", "0.1",
                      "--workers", "1", *g, *scenario],
        "breakeven --no-reuse": ["breakeven", "policy.cbec_tax_factor", "--range", "0.5:1", "--grid", "3",
                                 "--tol", "0.1", "--workers", "1", *g, "--no-reuse", *scenario],
        "sweep 3x3": ["sweep", *scenario, *SWEEP, "--workers", "1", *g, "--quiet", "--no-plots"],
        "sweep 3x3 --warm-start": ["sweep", *scenario, *SWEEP, "--workers", "1", *g, "--quiet", "--no-plots",
                                   "--warm-start"],
    }


def answers(name: str, out: Path) -> dict:
    """What the command found, read from its result files."""
    try:
        if name.startswith("sweep"):
            import pandas as pd

            t = pd.read_csv(out / "points.csv")
            return {"objectives": [round(float(v)) for v in t["objective"]], "statuses": sorted(set(t["status"]))}
        s = json.loads((out / "summary.json").read_text())
        res = {"objective": round(s["objective"]), "sites": len(s["sites_opened"])}
        ins = s.get("insight", {})
        if "alternatives" in ins:
            res["alternatives"] = [round(r["cost_usd"]) for r in ins["alternatives"]["rows"]]
            res["robust_sites"] = ins["alternatives"]["robust_sites"]
        if "regret" in ins:
            rows = ins["regret"]["rows"]
            res["regret_open_sum"] = round(sum(r["regret_open_usd"] or 0 for r in rows))
            res["regret_closed_sum"] = round(sum(r["regret_closed_usd"] or 0 for r in rows))
            res["solves"] = ins["regret"]["solves"]
        if "breakeven" in ins:
            b = next(iter(ins["breakeven"].values()))
            res["switches"] = [[round(x["below"], 4), round(x["above"], 4)] for x in b["switches"]]
            res["solves"] = b["solves"] + b.get("fixed_site_solves", 0)
        return res
    except (OSError, ValueError, KeyError) as exc:
        return {"error": str(exc)}


def run_one(name: str, argv: list[str]) -> tuple[float, dict, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, str(ROOT / "solve.py"), *argv, "--out", str(out)], cwd=ROOT,
                           capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if p.returncode:
            print(f"{name}: exit {p.returncode}\n{p.stderr[-2000:]}", file=sys.stderr)
        return wall, answers(name, out), p.returncode


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gap", default="2e-3", help="relative MIP gap of every solve (default 2e-3, the default)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", help="comma-separated row names (prefixes), e.g. plain,alternatives")
    ap.add_argument("--skip", help="comma-separated row names (exact) to leave out, e.g. 'regret --no-reuse'")
    ap.add_argument("--scenario", help="scenario file or data folder (default: the shipped data)")
    ap.add_argument("--json", type=Path, help="write the rows here too")
    args = ap.parse_args(argv)
    cmds = commands(args.gap, [args.scenario] if args.scenario else [])
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        cmds = {k: v for k, v in cmds.items() if k == "plain" or any(k.startswith(w) for w in wanted)}
    if args.skip:
        skipped = {w.strip() for w in args.skip.split(",")} - {"plain"}
        cmds = {k: v for k, v in cmds.items() if k not in skipped}
    rows = []
    for name, cmd in cmds.items():
        walls, found = [], {}
        for _ in range(args.repeat):
            wall, found, rc = run_one(name, cmd)
            walls.append(wall if rc == 0 else float("nan"))
        rows.append({"command": name, "median_s": statistics.median(walls), "runs": walls, "found": found})
        print(f"{name:<28} {rows[-1]['median_s']:8.1f} s  {json.dumps(found)}", flush=True)
    plain = next(r["median_s"] for r in rows if r["command"] == "plain")
    print(f"\n| command (gap {args.gap}, one worker) | wall s (median of {args.repeat}) | x plain solve |")
    print("|---|---|---|")
    for r in rows:
        r["ratio"] = r["median_s"] / plain
        print(f"| {r['command']} | {r['median_s']:.1f} | {r['ratio']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
