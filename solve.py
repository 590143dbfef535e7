#!/usr/bin/env python
"""Solve a CBEC bonded-network scenario and write results/<scenario>/.

    python solve.py                       # the shipped default scenario
    python solve.py SCENARIO.toml         # a scenario file (or a data folder)
    python solve.py --data DIR --out DIR --time-limit 60 --gap 1e-4 --verbose
    python solve.py --no-map              # skip map.png, map.html, sites/flows.geojson
    python solve.py --extra mymod:fn      # add constraints: fn(model, scenario, inputs)
    python solve.py --stochastic          # two-stage model under demand / FX uncertainty
    python solve.py DATA --method lagrangian   # very large instances: a certified gap, no Pyomo model

Subcommands (each has its own --help):

    python solve.py sweep [SCENARIO] --grid KEY=V1,V2 ...   # policy sweeps (Dask)
    python solve.py compare A B [C ...]                     # finished runs or scenarios side by side
    python solve.py alternatives [SCENARIO] --within 0.02   # near-optimal site sets
    python solve.py breakeven KEY --range LO:HI             # where the chosen network changes
    python solve.py regret [SCENARIO]                       # cost of forcing each site open / closed
    python solve.py rollout [SCENARIO] --years 2026-2030    # multi-year roll-out under a budget and timeline
    python solve.py ui [--port 8050] [--no-browser]         # the workspace in the browser (127.0.0.1)

Exit status: 0 solved (optimal, or time limit with a solution: a warning is printed),
2 bad input, 3 no solution.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import tempfile
from pathlib import Path

from model.core.errors import print_error
from model.core.options import check_options
from model.core.text import did_you_mean, parse_set, suggest
from model.io.hooks import load_extra
from model.io.run_identity import check_run_name, identity_lines, run_name
from model.methods.lagrangian_run import AUTO_VARIABLES, EXACT_GB_PER_MILLION_VARIABLES, LAGRANGIAN_GAP
from model.methods.memory_guard import MemoryRefused, guard
from model.report.display import term_name
from model.solving.highs import DEFAULT_GAP

ROOT = Path(__file__).resolve().parent

# subcommand -> module whose ``main(argv) -> int`` runs it
SUBCOMMANDS = {
    "sweep": "model.studies.sweep",
    "compare": "model.studies.compare",
    "alternatives": "model.studies.alternatives",
    "breakeven": "model.studies.breakeven",
    "regret": "model.studies.regret",
    "rollout": "model.studies.rollout",
    "ui": "model.ui.app",
}
# one line each for --help (the sub-commands' own --help gives their options)
COMMANDS_HELP = f"""\
commands (python solve.py COMMAND --help for each one's options):
  (none)        solve one scenario and write results/<scenario>/ (this help)
  sweep         solve every point of a parameter grid in parallel, cached: results/<sweep>/
  compare       finished runs or scenarios side by side, with the sites that differ and a map
  alternatives  other site sets within a fraction of the optimal cost: results/<scenario>/alternatives/
  breakeven     values of one parameter at which the chosen network changes: results/<scenario>/breakeven/
  regret        cost of forcing each candidate site open or closed: results/<scenario>/regret/
  rollout       which site opens in which year, at which level, under a budget and a policy timeline, with
                the cost of myopic planning: results/<scenario>/rollout/
  ui            the planner's workspace in the browser on 127.0.0.1: scenarios, levers, runs, results, compare
  --stochastic  two-stage model under demand and exchange-rate uncertainty: results/<scenario>-stochastic/
  --method lagrangian  very large instances (district or commune zones): a plan with a certified gap,
                the full model never built (one period, no service share, CO2 cap, single sourcing
                or SKU classes); --method auto takes it above {AUTO_VARIABLES:,} variables

exit status: 0 solved (a time limit with a plan prints a warning), 2 bad input, 3 no solution.
"""
PROGRESS_SECONDS = 5.0  # a readable rate for the progress line


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python solve.py", description="Choose bonded CBEC warehouse sites for Vietnam.",
                                 epilog=COMMANDS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", help="scenario .toml file or data folder (default: the shipped data)")
    ap.add_argument("--data", type=Path, help="data folder with the same tables (replaces the scenario's)")
    ap.add_argument("--out", type=Path, help="output folder (default results/<run name>: the scenario's name, "
                    "then what --set changed, e.g. results/default+cbec_tax_factor=0.5)")
    ap.add_argument("--name", help="the run's name and folder under results/ (default: the scenario's name, then "
                    "what --set changed)")
    ap.add_argument("--results-dir", type=Path, default=ROOT / "results",
                    help="the folder runs are named under (default results/)")
    ap.add_argument(
        "--force",
        action="store_true",
        help="write into --out even if it is a non-empty folder this tool did not write (its files are kept)",
    )
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a parameter, e.g. --set policy.cbec_tax_factor=0.7 (repeatable)")
    ap.add_argument("--time-limit", type=float, help="HiGHS time limit, seconds (with --stochastic: for the whole "
                    "command; with --method lagrangian: for the method, after the arc tables are built)")
    ap.add_argument("--gap", type=float, default=None,
                    help=f"relative MIP gap (default {DEFAULT_GAP:g}; {LAGRANGIAN_GAP:g} with --method lagrangian, "
                         "where it is the certified gap to the full model's optimum)")
    ap.add_argument(
        "--method",
        choices=["exact", "lagrangian", "auto"],
        default="exact",
        help="exact (default): the Pyomo model solved by HiGHS. lagrangian: a Lagrangian bound and a "
        "feasible plan on arrays, never building the Pyomo model, with a certified gap "
        "(docs/performance.md; one period, no service share, CO2 cap, single sourcing or SKU "
        "classes: a scenario asking for one is refused by name). auto: lagrangian when the full model has "
        f"more than {AUTO_VARIABLES:,} variables (the exact path needs about "
        f"{EXACT_GB_PER_MILLION_VARIABLES:g} GB per million, "
        f"so {AUTO_VARIABLES / 1e6 * EXACT_GB_PER_MILLION_VARIABLES:.0f} GB "
        "there) and the scenario is in its scope, else exact",
    )
    ap.add_argument("--threads", type=int, help="HiGHS threads")
    ap.add_argument("--interface", default="lp", choices=["matrix", "lp", "appsi"],
                    help="how the model reaches HiGHS (default lp: fastest measured, docs/performance.md; "
                         "unused by --method lagrangian)")
    ap.add_argument("--verbose", action="store_true", help="log the model build and HiGHS's raw log (branch and bound)")
    ap.add_argument("--quiet", action="store_true", help="no progress line during the solve")
    ap.add_argument("--progress", type=float, default=PROGRESS_SECONDS, metavar="S",
                    help=f"seconds between progress lines on stderr (default {PROGRESS_SECONDS:g})")
    ap.add_argument("--map", action=argparse.BooleanOptionalAction, default=True,
                    help="also write map.png, map.html, sites.geojson and flows.geojson (default on; about 2 s)")
    ap.add_argument("--extra", metavar="MODULE:FUNCTION",
                    help="add constraints before solving: FUNCTION(model, scenario, inputs) (docs/extending.md)")
    ap.add_argument("--robustness", type=int, default=0, metavar="N",
                    help="after the solve, look for up to N other site sets within the gap and report what holds "
                         "across them (sites open in every plan, the range of each regime's share; N more solves)")
    ap.add_argument("--stochastic", action="store_true",
                    help="solve the two-stage model under demand and exchange-rate uncertainty (docs/uncertainty.md)")
    return ap.parse_args(argv)


def unknown_command(word: str) -> str | None:
    """An error line when ``word`` is neither a path nor a command: a misspelt sub-command, or a
    shipped scenario named without its folder and suffix (``china-like``)."""
    if word.startswith("-") or Path(word).exists():
        return None
    if not word.endswith(".toml") and "/" not in word and (hint := did_you_mean(word, SUBCOMMANDS)):
        return f"unknown command '{word}'{hint}; commands: {', '.join(SUBCOMMANDS)} (python solve.py --help)"
    shipped = {p.stem: str(p.relative_to(ROOT)) for p in sorted((ROOT / "scenarios").glob("*.toml"))}
    match = suggest(Path(word).stem, shipped)
    if match:
        return f"no scenario file or data folder '{word}' (did you mean '{shipped[match[0]]}'?)"
    return None


def print_summary(result, out_dir, extra_files=()) -> None:
    """The run in a few lines, numbers to 3 significant figures (full precision in summary.json)."""
    from model import regimes
    from model.core.formats import quantity, usd
    from model.report.across_gap import across_gap_lines

    s = result.summary
    for line in identity_lines(s)[:1]:  # the run, its scenario, what --set changed and the input hash
        print(line.replace("`", "'"))
    if s.get("method") == "lagrangian":
        t = s["seconds"]
        print(
            f"Run {s.get('run') or s['scenario']}: {s['status']} by the Lagrangian method, "
            f"total cost {usd(s['objective'])} per "
            f"year, bound {usd(s['bound'])}: certified gap {s['gap']:.1e} (asked {s['solver']['mip_rel_gap']:g}; "
            f"{s['iterations']} subgradient iterations; build {t['build']:.1f} s, method {t['method']:.1f} s)"
        )
        size = s["full_model_size"]
        print(f"Full model (never built): {size['variables']:,} variables ({size['binaries']} binary), "
              f"{size['constraints']:,} constraints")
    else:
        print(f"Run {s.get('run') or s['scenario']}: {s['status']}, total cost {usd(s['objective'])} per year "
              f"(gap {s['gap']:.1e}; build {s['build_seconds']:.1f} s, hand-off {s['handoff_seconds']:.1f} s, "
              f"HiGHS {s['solve_seconds']:.1f} s)")
        size = s["model_size"]
        print(
            f"Model: {size['variables']:,} variables ({size['binaries']} binary), {size['constraints']:,} constraints"
        )
    enabled = {md for md, r in (s.get("regimes") or {}).items() if r.get("enabled")}
    print(f"Demand {quantity(s['total_demand_orders'])} orders/year: " + ", ".join(
        f"{regimes.label(k)} {v:.0%}" for k, v in s["mode_share"].items() if v > 0 or k in enabled)
        + f", unmet {s['unmet_share']:.0%}")
    k = s.get("kpis") or {}
    if k.get("tax_revenue_usd"):
        print(
            f"Taxes {usd(k['tax_revenue_usd']['total'])} (effective rate {k['effective_tax_rate']['overall'] or 0:.3g} "
            f"of sale value); network cost without taxes {usd(k['network_cost_usd'])}"
        )
    sites = result.sites[result.sites["opened"]]
    print(f"Sites opened ({len(sites)}):")
    for r in sites.itertuples():
        held = getattr(r, "regimes_held", "") or ""
        print(f"  {r.site:<5} {r.level:<7} {r.name[:46]:<46} {quantity(r.throughput_orders):>7} orders "
              f"({r.utilisation:.0%} of capacity) {' + '.join(regimes.label(m) for m in held.split())}")
    for line in across_gap_lines(s):  # what holds across the gap, or how to check it
        print(line)
    print("Cost breakdown (USD/year):")
    for k_, v in s["cost_breakdown"].items():
        print(f"  {term_name(k_):<32} {usd(v):>14}  {v / s['objective'] if s['objective'] else 0:4.0%}")
    files = ["summary.json", "sites.csv", "flows.csv", "report.md", "results.xlsx", *extra_files]
    print(f"Results written to {out_dir}/ ({', '.join(files)})")


def keep_elsewhere(result, name: str) -> str:
    """After a failed write: the solve's tables (no maps) in a new folder of the system's temporary
    folder, and a line saying where (or that it could not be kept either)."""
    from model import write_results

    try:
        safe = Path(tempfile.mkdtemp(prefix=f"vn-cbec-{name[:40]}-")) / "result"
        write_results(result, safe)
        return f"the solve's result (summary.json, sites.csv, flows.csv, report.md, results.xlsx) was kept in {safe}"
    except (OSError, ValueError) as exc:
        return f"the solve's result could not be kept elsewhere either ({exc}); objective {result.objective}"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in SUBCOMMANDS and any(a == "--method" or a.startswith("--method=") for a in argv[1:]):
        print(f"error: python solve.py {argv[0]} has no --method: it re-solves the exact model (the Lagrangian "
              "method is for one solve: python solve.py SCENARIO --method lagrangian)", file=sys.stderr)
        return 2
    if argv and argv[0] in SUBCOMMANDS:
        import importlib
        return importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv[1:])
    if argv and (line := unknown_command(argv[0])):
        print(f"error: {line}", file=sys.stderr)
        return 2
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    from model import DataError, ScenarioError, SolverOptions, load_scenario, solve, write_results
    from model.io.outputs import check_out_dir
    from model.methods import lagrangian_run as lagr
    try:
        check_options(args)  # ranges first: nothing is read or solved with a bad option
        scenario = load_scenario(args.scenario, data_dir=args.data, overrides=parse_set(args.set))
        if args.method == "lagrangian":  # by name, before any work: what the method does not model
            refused = lagr.refusals(scenario, args)
            if refused:
                raise lagr.MethodRefused(refused)
        gap_given = args.gap is not None
        if not gap_given:
            args.gap = LAGRANGIAN_GAP if args.method == "lagrangian" else DEFAULT_GAP
        options = SolverOptions(time_limit=args.time_limit, mip_rel_gap=args.gap, threads=args.threads,
                                verbose=args.verbose, interface=args.interface,
                                progress_seconds=None if args.quiet else args.progress)
        extra_constraints = load_extra(args.extra)
        if args.name is not None:
            scenario = dataclasses.replace(scenario, run_name=check_run_name(args.name))
        out_dir = args.out or args.results_dir / run_name(scenario)  # a --set run never writes over its scenario's
        if not args.stochastic:  # --stochastic picks its own folder and checks it
            check_out_dir(out_dir, force=args.force)  # before solving: a refused --out costs no solve
    except (DataError, ScenarioError, ValueError) as exc:
        print_error(exc)
        return 2
    if args.stochastic:
        from model.stochastic import run_stochastic
        return run_stochastic(scenario, options, out_dir, args)
    try:
        prepared, method = None, args.method
        method, routed = guard(scenario, method, lagr.refusals(scenario, args))  # before any arc is built
        if routed:
            print(routed, flush=True)
            if not gap_given:
                args.gap = LAGRANGIAN_GAP
        if method == "auto":  # the arc tables tell the full model's size; either path then uses them
            from model.pipeline import prepare_inputs

            prepared = prepare_inputs(scenario)
            method, why = lagr.choose(scenario, args, prepared)
            print(f"--method auto: {method}, as {why}", flush=True)
            if method == "lagrangian" and not gap_given:
                args.gap = LAGRANGIAN_GAP
        if method == "lagrangian":
            if not args.verbose:
                print(f"Solving scenario '{scenario.name}' by the Lagrangian method to a certified {args.gap:g} gap "
                      "(the full model is never built; a commune-level instance took 6 minutes and 13 GB"
                      + ("" if args.quiet else "; progress on stderr, --quiet hides it") + ") ...", flush=True)
            result = lagr.solve_lagrangian(scenario, gap=args.gap, time_limit=args.time_limit, threads=args.threads,
                                           prepared=prepared,
                                           progress=None if args.quiet or args.verbose else lagr.progress_printer())
        else:
            if not args.verbose:
                print(f"Solving run '{run_name(scenario)}' with HiGHS to a {args.gap:g} relative gap "
                      "(how long depends on the data and the gap: the progress line shows the gap closing; "
                      + ("--verbose shows the solver's log" if args.quiet else
                         f"a progress line every {args.progress:g} s on stderr, --quiet hides it") + ") ...",
                      flush=True)
            result = solve(scenario, options, extra_constraints=extra_constraints, prepared=prepared)
    except (DataError, ScenarioError, MemoryRefused) as exc:
        print_error(exc)
        return 2
    if result.objective is None:
        print(f"error: no solution ({result.status}; HiGHS: {result.report.highs_status})", file=sys.stderr)
        for line in getattr(result, "infeasibility_lines", []):  # which constraint, where, by how much
            print(f"  {line}", file=sys.stderr)
        return 3
    from model.statistics.diagnostics import penalty_check, penalty_warning

    warning = penalty_warning(penalty_check(result.inputs))  # a penalty at or below a serving cost: said, not refused
    if warning:
        result.summary["warnings"] = [*result.summary.get("warnings", []), warning]
        print(f"warning: {warning}", file=sys.stderr)
    if args.robustness > 0:
        from model.studies.across_gap import across_the_gap

        print(f"Looking for up to {args.robustness} other site sets within the gap ...", flush=True)
        result.summary["across_gap"] = across_the_gap(result, options, args.robustness, hook=args.extra)
    extra = {}
    if args.map:
        from model.report.writer import result_files
        extra = result_files(result)
    try:
        write_results(result, out_dir, extra_files=extra, force=args.force)
    except ValueError as exc:  # OutputRefused: e.g. --out became foreign while solving
        print_error(exc)
        return 2
    except OSError as exc:  # disk full, a read-only or immutable folder: the solve is not lost
        print_error(f"{out_dir}: the results could not be written ({exc.strerror or exc}); nothing there changed")
        print_error(keep_elsewhere(result, scenario.name))
        return 2
    print_summary(result, out_dir, extra)
    if result.status != "optimal":
        print(
            f"warning: not proven optimal ({result.status}); gap {result.summary.get('gap')}, "
            f"bound {result.summary.get('bound')}; report.md opens with what that means for the plan",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
