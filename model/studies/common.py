"""Shared pieces of the decision-insight commands: site rules added to the model (forced sites,
no-good cuts, a cost ceiling), one re-solve reduced to a small picklable summary, scenario
copies with changed parameters, the command-line options they share, and writing the insight
into the run's results folder next to the base solution.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

import pandas as pd
import pyomo.environ as pyo

from model import load_scenario
from model.core.formats import to_csv
from model.core.names import with_names
from model.core.options import check_options
from model.core.paths import PROJECT_DIR
from model.core.text import parse_set
from model.formulation.facility import min_use_terms, site_is_open
from model.io.hooks import load_extra  # noqa: F401  (re-exported)
from model.io.outputs import check_out_dir, command_out_dir, owned_files
from model.io.run_identity import run_name
from model.pipeline import solve
from model.report.writer import result_files, write_results
from model.solving.highs import DEFAULT_GAP, SolverOptions
from model.studies.compare import read_run, saved_run_of
from model.studies.compare_text import run_gap
from model.studies.session import cannot_force_open, session_for
from model.studies.shadow import shadow_prices, shadow_section

log = logging.getLogger(__name__)

#: Default relative MIP gap of the insight studies: the plain solve's (model.solving.highs.DEFAULT_GAP,
#: why: docs/performance.md), so a study resolves what a plan does. Differences in cost below about
#: this share of the objective are not resolved (each re-solve stops within it); 1e-3 took about
#: 210 s a solve on the default against 8 s at 2e-3.
INSIGHT_GAP = DEFAULT_GAP

#: The solve whose bound certifies a command's re-solves (alternatives, regret) aims at this share
#: of the gap, for at most as long again as reaching the gap took (model.solving.highs.Tightener): each
#: re-solve then stops at a solution within gap x (1 - TIGHTEN) of the optimum's cost, often one
#: an earlier run met (the session's pool). On the default: 12.8 s against 7.1 s for the base,
#: 0.5-6 s against 8-12 s for each of three alternatives (docs/performance.md, "Re-solves").
TIGHTEN = 0.75
ROOT = PROJECT_DIR


# ---------------------------------------------------------------------------- rules

@dataclasses.dataclass
class SiteRules:
    """Constraints on the open sites, added through ``solve(..., extra_constraints=rules)``.

    - ``force``: {site: 1 (open at some level) or 0 (closed)};
    - ``exclude``: site sets no longer allowed (no-good cuts on y_k = sum_l open[k,l]:
      sum_{k in S} (1 - y_k) + sum_{k not in S} y_k >= 1);
    - ``cost_cap``: total_cost <= cost_cap (USD per year);
    - ``min_use``: every open site carries at least this share of its level's capacity (or of the
      total demand, if less: :func:`min_use_terms`), so that a set with an idle site, which costs its fixed cost more
      than the same set without it, is not taken for a different network;
    - ``hook``: a researcher's ``module:function`` applied first (``--extra``).
    """

    force: dict = dataclasses.field(default_factory=dict)
    exclude: list = dataclasses.field(default_factory=list)
    cost_cap: float | None = None
    hook: str | None = None
    min_use: float | None = None

    def __call__(self, m, scenario, inputs) -> None:
        user = load_extra(self.hook)
        if user is not None:
            user(m, scenario, inputs)
        m.insight_rules = pyo.ConstraintList()
        candidates = list(m.SITES)
        for k, state in self.force.items():
            if k not in m.SITES:
                if state:
                    raise ValueError(cannot_force_open(k))
                continue
            m.insight_rules.add(site_is_open(m, k) == int(state))
        for chosen in self.exclude:
            chosen = set(chosen)
            m.insight_rules.add(sum(1 - site_is_open(m, k) for k in candidates if k in chosen)
                                + sum(site_is_open(m, k) for k in candidates if k not in chosen) >= 1)
        if self.cost_cap is not None:
            m.insight_rules.add(m.total_cost.expr <= self.cost_cap)
        if self.min_use:
            for terms in min_use_terms(m, self.min_use).values():
                m.insight_rules.add(sum(c * v for v, c in terms) >= 0)



# ---------------------------------------------------------------------------- one solve, summarised

def dominant_modes(flows: pd.DataFrame) -> dict:
    """Zone -> the mode that serves most of its orders (bonded, general_trade, direct_mail, unmet)."""
    if flows is None or not len(flows):
        return {}
    f = flows[flows["leg"].isin(["outbound", "parcel", "unmet"])]
    by = f.groupby(["zone", "mode"])["orders"].sum().reset_index()
    by = by.sort_values(["zone", "orders", "mode"], ascending=[True, False, True])
    return dict(zip(by.drop_duplicates("zone")["zone"], by.drop_duplicates("zone")["mode"]))


def product_modes(flows: pd.DataFrame) -> dict:
    """Product -> {mode: orders} over every zone (the break-even sentences name the products that move)."""
    if flows is None or not len(flows):
        return {}
    f = flows[flows["leg"].isin(["outbound", "parcel", "unmet"])]
    by = f.groupby(["product", "mode"])["orders"].sum()
    out: dict = {}
    for (p, md), v in by.items():
        out.setdefault(str(p), {})[str(md)] = float(v)
    return out


def summarise(result) -> dict:
    """A solved scenario reduced to what the studies compare (small, picklable)."""
    r = result.report
    out = {"status": r.status, "objective": r.objective, "bound": r.bound, "gap": r.gap,
           "solve_seconds": round(r.solve_seconds + r.handoff_seconds + result.build_seconds, 2)}
    if r.objective is None:
        return {**out, "sites": {}, "cost_breakdown": {}, "kpis": {}, "dominant_mode": {}, "product_modes": {}}
    s = result.summary
    opened = result.sites[result.sites["opened"]]
    kp = s.get("kpis", {})
    return {**out,
            "sites": dict(zip(opened["site"], opened["level"])),
            "cost_breakdown": s["cost_breakdown"],
            "kpis": {"sites_opened": int(len(opened)),
                     **{f"{k}_share": v for k, v in s["mode_share"].items()},
                     "unmet_share": s["unmet_share"],
                     "share_within_target": kp.get("share_within_target"),
                     "lead_time_mean_hours": kp.get("lead_time_mean_hours")},
            "dominant_mode": dominant_modes(result.flows), "product_modes": product_modes(result.flows)}


def solve_job(job: dict) -> dict:
    """One re-solve: ``job`` = {scenario, options, rules: SiteRules, and optionally bound, start,
    tighten, reuse}. Top-level so Dask can ship it.

    By default the scenario's model is built once per process and kept in HiGHS
    (:mod:`model.studies.session`): the rules become bound changes and rows, ``bound`` (a lower bound of
    the unrestricted model, valid for its restrictions) lets HiGHS stop at the first solution
    within the gap of it, ``start`` (variable name -> value) is a MIP start. ``reuse=False``
    builds and solves afresh (the cold path, kept for comparison: docs/performance.md).
    """

    options = job["options"]
    if job.get("reuse", True) and options.interface != "appsi":

        rules = job["rules"]
        session = session_for(job["scenario"], options, rules.hook)
        return summarise(session.solve(rules, options, start=job.get("start"), bound=job.get("bound"),
                                       tighten=job.get("tighten")))
    start = job.get("start")
    if start:
        options = dataclasses.replace(options, start=start)
    return summarise(solve(job["scenario"], options, extra_constraints=job["rules"], explain_infeasible=False))


def site_start(scenario, sites: dict, force: dict | None = None) -> dict:
    """A partial MIP start from a plan's open sites ({site: level}): every ``open[k, l]`` given (1 at
    the plan's level, else 0), with ``force`` applied ({k: 0} closes k; {k: 1} opens a closed k at
    its cheapest level). HiGHS fixes these and solves for the rest; a start it cannot complete
    only costs the time to try."""
    levels = scenario.tables["site_levels"]
    plan = dict(sites)
    for k, state in (force or {}).items():
        if not state:
            plan.pop(k, None)
        elif k not in plan:
            own = levels[levels["site"] == k]
            if len(own):
                plan[k] = own.sort_values("fixed_cost_usd_per_year")["level"].iloc[0]
    return {f"open[{k},{lv}]": float(plan.get(k) == lv) for k, lv in zip(levels["site"], levels["level"])}


# ---------------------------------------------------------------------------- command line

def add_common_arguments(ap: argparse.ArgumentParser, scenario_positional: bool = True) -> None:
    if scenario_positional:
        ap.add_argument("scenario", nargs="?", help="scenario .toml file or data folder (default: the shipped data)")
    else:
        ap.add_argument("--scenario", help="scenario .toml file or data folder (default: the shipped data)")
    ap.add_argument("--data", type=Path, help="data folder (replaces the scenario's)")
    ap.add_argument(
        "--out",
        type=Path,
        help="results folder (default results/<run name>/<command>: the scenario's name, then what --set changed)",
    )
    ap.add_argument(
        "--force",
        action="store_true",
        help="write into --out even if it is a non-empty folder this tool did not write (its files are kept)",
    )
    ap.add_argument("--results-dir", type=Path, default=ROOT / "results",
                    help="where runs are saved (default results/): a saved run of the scenario on the same inputs "
                         "and at least as tight is reused for the base solve, and the output goes to "
                         "<results-dir>/<run name>/<command> unless --out is given")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a parameter (repeatable)")
    ap.add_argument("--gap", type=float, default=INSIGHT_GAP,
                    help=f"relative MIP gap of every solve (default {INSIGHT_GAP:g}; cost differences below about "
                         "gap x objective are not resolved)")
    ap.add_argument("--time-limit", type=float, help="HiGHS time limit per solve, seconds")
    ap.add_argument("--threads", type=int, help="HiGHS threads")
    ap.add_argument("--extra", metavar="MODULE:FUNCTION", help="add constraints to every solve (docs/extending.md)")
    ap.add_argument("--map", action=argparse.BooleanOptionalAction, default=True,
                    help="also write map.png, map.html (insight in the pop-ups), sites/flows.geojson")
    ap.add_argument("--verbose", action="store_true", help="log each solve")
    ap.add_argument("--no-reuse", dest="reuse", action="store_false",
                    help="build and solve every re-solve afresh instead of keeping one model in HiGHS (slower; "
                         "for comparison, docs/performance.md)")


def add_parallel_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--workers", type=int, default=None,
                    help="parallel solves on a local Dask cluster (default: the number of cores; 1 = in this process)")
    ap.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://host:8786")


def prepare(args, command: str):
    """(scenario, options, hook spec) from the parsed arguments; ValueError/DataError on bad input
    (a foreign ``--out``, or ``results/<scenario>/<command>/``, refused before any solve)."""

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    check_options(args)  # --within, --max, --workers, --gap ...: before any load or solve
    scenario = load_scenario(args.scenario, data_dir=args.data, overrides=parse_set(args.set))
    if not 0 < args.gap < 1:
        raise ValueError(f"--gap {args.gap}: expected a relative gap between 0 and 1")
    load_extra(args.extra)  # fail early, in this process, on a bad spec
    options = SolverOptions(time_limit=args.time_limit, mip_rel_gap=args.gap, threads=args.threads,
                            verbose=False)

    check_out_dir(out_dir(args, scenario, command), force=getattr(args, "force", False))  # before any solve
    return scenario, options, args.extra


def out_dir(args, scenario, command: str) -> Path:
    """``--out``, else ``<--results-dir>/<run name>/<command>/`` (never over the base run)."""
    results = getattr(args, "results_dir", None)
    if args.out:
        return Path(args.out)
    return Path(results) / run_name(scenario) / command if results else command_out_dir(ROOT, run_name(scenario),
                                                                                          command)


# ---------------------------------------------------------------------------- output

def write_insight(base, out_dir: Path, sections: dict[str, dict], tables: dict[str, pd.DataFrame],
                  extra_files: dict | None = None, force: bool = False) -> Path:
    """Write the base run's results with ``summary.json`` -> ``insight`` -> each of ``sections``.

    ``extra_files``: more ``{name: writer(path)}`` (the maps, from model.report.writer.result_files).
    Sections written earlier by the other insight commands into the same folder (``--out``) are
    kept when they were computed on the same inputs (same ``input_hash``), with their table
    files, so the report can hold all three. Everything lands in one atomic swap
    (model.report.writer.write_results).
    """

    out_dir = Path(out_dir)
    insight: dict = {}
    keep_files: dict = {}
    ours = set(owned_files(out_dir))  # never re-use a foreign folder's files, nor one the user edited
    if "summary.json" in ours:
        try:
            old = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        old = old if isinstance(old, dict) else {}  # a tampered summary (a list, a number): nothing kept
        earlier = old.get("insight")
        if old.get("input_hash") == base.summary.get("input_hash") and isinstance(earlier, dict):
            insight = dict(earlier)
            names = insight.pop("_files", [])
            for name in names if isinstance(names, list) else []:
                if isinstance(name, str) and name in ours and name not in tables:  # checked plain names only
                    data = (out_dir / name).read_bytes()
                    keep_files[name] = (lambda d: (lambda p: Path(p).write_bytes(d)))(data)
            insight = {k: v for k, v in insight.items() if isinstance(v, dict)}  # each section is an object
    for section, content in sections.items():
        if section == "breakeven":  # one entry per parameter studied
            content = {**insight.get("breakeven", {}), **content}
        insight[section] = content
    insight["_files"] = sorted(set(keep_files) | set(tables))
    base.summary["insight"] = insight
    files = dict(keep_files)
    for name, df in tables.items():
        files[name] = (lambda d: (lambda p: to_csv(with_names(d, base.scenario), p)))(df)
    files.update(extra_files or {})
    return write_results(base, out_dir, extra_files=files, force=force)


def saved_base(scenario, options, hook, results: Path | None) -> tuple[Path, dict, dict] | None:
    """(folder, its summary, its opened sites {site: level}) of the plain run of ``scenario`` saved under
    ``results`` on the same inputs and to a gap at most the one asked (model.studies.compare.saved_run_of,
    the rule ``compare`` uses); None without one, or with an ``--extra`` hook (the saved run has none)."""
    if results is None or hook:
        return None
    folder = saved_run_of(scenario, options, Path(results))
    if folder is None:
        return None
    run = read_run(folder)
    if run.summary.get("bound") is None:
        return None
    opened = run.sites[run.sites["opened"].astype(str).str.lower().isin(["true", "1"])]
    return folder, run.summary, dict(zip(opened["site"].astype(str), opened["level"].astype(str)))


def solve_base(scenario, options, hook, what: str = "", reuse: bool = True, tighten: float | None = None,
               results: Path | None = None):
    """The scenario solved with the command's rules (``--extra``), or None after printing why there is
    no solution (status, and which constraint, where and by how much: model.solving.infeasibility).

    ``reuse``: solve it in the process's kept session (:mod:`model.studies.session`), the model the
    command's re-solves then change, so it is built once; ``tighten``: see
    :meth:`model.studies.session.ModelSession.solve` (:data:`TIGHTEN`). ``results``: a results folder
    (``--results-dir``) whose saved run of the scenario, when it is on the same inputs and at least as
    tight (:func:`saved_base`), is reused: its sites are the MIP start and its bound certifies them, so
    HiGHS stops at the first solution instead of proving the gap again (said on stderr)."""
    base = None
    if reuse and options.interface != "appsi":
        session = session_for(scenario, options, hook)
        saved = saved_base(scenario, options, hook, results)
        if saved is not None:
            folder, summary, sites = saved
            print(f"reusing the saved run {folder} (same input hash, gap {run_gap(summary):.3g} within the "
                  f"{options.mip_rel_gap:g} asked): its sites start the base solve and its bound certifies them",
                  file=sys.stderr, flush=True)
            # stop only at a plan as good as the saved one (its own gap, not the one asked), so the base is
            # the saved plan (within float noise) rather than another plan within the gap of it
            reached = (float(summary["objective"]) - float(summary["bound"])) / max(abs(float(summary["objective"])),
                                                                                     1e-9)
            own = dataclasses.replace(options, mip_rel_gap=min(options.mip_rel_gap, max(reached, 0.0) + 1e-7))
            base = session.solve(SiteRules(hook=hook), own, start=site_start(scenario, sites),
                                 bound=float(summary["bound"]))
        else:
            base = session.solve(SiteRules(hook=hook), options, tighten=tighten)
        if base.objective is None:
            base = None  # solved again below, to say why
    if base is None:
        base = solve(scenario, options, extra_constraints=SiteRules(hook=hook))
    if base.objective is None:
        print(f"error: no solution{what} ({base.status})", file=sys.stderr)
        for line in base.infeasibility_lines:
            print(f"  {line}", file=sys.stderr)
        return None
    return base


def finish(base, options, args, command: str, sections: dict, tables: dict) -> Path:
    """Add the shadow prices of the optimum to ``sections`` and ``tables``, and write it all into
    ``--out`` or ``results/<scenario>/<command>/`` (never over the base run)."""

    if base.restore is not None:  # a kept model: its variables hold the last re-solve
        base.restore()
    sp_section, sp_tables = shadow_section(shadow_prices(base, options))
    out = out_dir(args, base.scenario, command)
    write_insight(base, out, {**sections, "shadow_prices": sp_section}, {**tables, **sp_tables},
                  extra_files=result_files(base, args.map), force=getattr(args, "force", False))
    return Path(out)
