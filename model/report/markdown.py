"""report.md: the result in plain words for a policy maker, its status first and its limits last."""
from __future__ import annotations

import math

from model import regimes
from model.core.formats import quantity
from model.core.formats import usd as _usd
from model.core.names import named, site_names, zone_names, zone_regions
from model.io.outputs import md_text
from model.io.run_identity import identity_lines
from model.report.across_gap import across_gap_lines
from model.report.caveats import data_caveats, read_sources, robustness_caveats
from model.report.display import term_name
from model.report.insight_text import insight_markdown

#: The levers every scenario shows, besides each regime's own (Regime.levers).
GENERAL_LEVERS = (
    "policy.vat_rate", "policy.single_window", "policy.max_sites", "finance.cost_of_capital", "service.target_hours",
    "service.min_share", "demand.growth", "policy.dutiable_basis", "policy.declared_value_share", "policy.co2_cap_t",
)


def lever_keys() -> tuple[str, ...]:
    """The regimes' levers (in registry order), then the general ones."""
    return tuple(dict.fromkeys([*regimes.levers(), *GENERAL_LEVERS]))


def _lead_time_lines(k: dict) -> list[str]:
    """Lead time of each regime: what it carries, and its best route for every order (counterfactual)."""
    if k["lead_time_mean_hours"] is None:
        return ["No order is delivered: all demand is left unserved (why: `unmet` in summary.json)."]
    lines = [
        f"Orders arrive in {k['lead_time_mean_hours'] / 24:.2g} days on average "
        f"(95 % within {k['lead_time_p95_hours'] / 24:.2g} days); "
        f"**{k['share_within_target'] or 0:.0%}** arrive within the {k['service_target_hours']:.0f}-hour target.",
        "",
        "| regime | carries: mean (p5-p95) days | its best route for every order: mean (p5-p95) days |",
        "|---|---|---|",
    ]
    for md, v in (k.get("lead_time_days_by_mode") or {}).items():
        def cell(x):
            return "-" if not x else f"{x['mean']:.2g} ({x['p5']:.2g}-{x['p95']:.2g})"
        if v["carried"] or v["best_route"]:
            lines.append(f"| {regimes.label(md)} | {cell(v['carried'])} | {cell(v['best_route'])} |")
    return lines


def _regime_cost_lines(rows: list[dict]) -> list[str]:
    """Per origin and product: each regime's cost per order on its cheapest route, and which is cheapest."""
    if not rows:
        return []
    return ["", "## Cost per order of each regime (cheapest route, USD; fixed and compliance costs left out)", "",
            *regime_cost_table(rows, ["origin", "product", "orders per year"],
                               lambda r: [r["origin"], r["product"], f"{r['orders']:.3g}"])]


def regime_cost_table(rows: list[dict], head: list[str], first_cells) -> list[str]:
    """A Markdown table: ``head`` columns (``first_cells(row)``), then each regime's USD per order
    that some row has (3 significant figures) and the cheapest regime."""
    shown = [md for md in regimes.MODES if any(r.get(md) is not None for r in rows)]
    lines = ["| " + " | ".join([*head, *(regimes.label(md) for md in shown), "cheapest"]) + " |",
             "|" + "---|" * (len(head) + len(shown) + 1)]
    for r in rows:
        cells = ["-" if r.get(md) is None else f"{r[md]:.3g}" for md in shown]
        cheapest = regimes.label(r["cheapest"]) if r["cheapest"] else "-"
        lines.append("| " + " | ".join([*map(str, first_cells(r)), *cells, cheapest]) + " |")
    return lines


def _share_words(shares: dict) -> str:
    """'bonded CBEC stock 80 %, cross-border parcel 20 %': the regimes carrying a share, largest first."""
    parts = sorted(((v, md) for md, v in shares.items() if v > 5e-4), key=lambda x: -x[0])
    return ", ".join(f"{'not served' if md == 'unmet' else regimes.label(md)} {v:.0%}" for v, md in parts) or "none"


def sku_class_lines(s: dict) -> list[str]:
    """The "SKU classes" section: which regime carries each velocity class, how many sites hold it,
    and each regime's cost per order for it ([] without SKU classes)."""
    by_class = (s.get("kpis") or {}).get("mode_share_by_class") or {}
    costs = s.get("regime_costs_by_class_usd_per_order") or []
    if not costs and set(by_class) <= {"all"}:
        return []
    held: dict = {}  # class -> regime -> sites
    for site in s.get("sites_opened") or []:
        for x in site.get("stocked_classes") or []:
            cls = str(x["item"]).partition(":")[2] or "all"
            held.setdefault(cls, {}).setdefault(x["mode"], set()).add(site["site"])
    lines = ["", "## SKU classes", "",
             "Each product's orders are split into velocity classes (sku_classes.csv: head = the few fast "
             "SKUs, tail = the many slow ones); a site that stocks a class holds every SKU of it.", ""]
    for cls, shares in by_class.items():
        where = held.get(cls, {})
        sites = set().union(*where.values()) if where else set()
        at = ("; held at " + f"{len(sites)} site{'' if len(sites) == 1 else 's'} ("
              + ", ".join(f"{regimes.label(md)} at {len(v)}" for md, v in where.items()) + ")") if sites else \
            "; no site stocks it"
        lines.append(f"- **{md_text(cls)}**: {_share_words(shares)} of its orders{at}.")
    if costs:
        lines += ["", "Cost per order of each regime for each class (USD, its cheapest route, demand-weighted over "
                  "products, zones and origins; fixed and compliance costs left out; a stocked regime's cost "
                  "includes the class's stock as if one hub held all of it, the most pooling can save):", "",
                  *regime_cost_table(costs, ["class", "orders per year"],
                                     lambda r: [md_text(r["sku_class"]), quantity(r["orders"])])]
    pools = (s.get("kpis") or {}).get("stock_pools")
    if pools and pools.get("stock_cost_exact_usd"):
        lines += ["", f"The model prices the held classes' stock at {_usd(pools['stock_cost_pwl_usd'])} a year, "
                  f"against {_usd(pools['stock_cost_exact_usd'])} exactly at the plan's throughputs "
                  f"({pools['pwl_error_share']:+.1%}: its piecewise-linear form, docs/formulation.md)."]
    return lines


def _tax_lines(k: dict) -> list[str]:
    """Tax revenue (a transfer to the state, not a resource cost) by regime and when it is collected."""
    rev, rate = k["tax_revenue_usd"], k["effective_tax_rate"]
    by = ", ".join(f"{regimes.label(md)} {_usd(v)} ({rate['by_regime'][md]:.3g} of sale value)"
                   for md, v in rev["by_regime"].items() if v > 0 and rate["by_regime"].get(md) is not None)
    return [
        f"- Tax revenue (duty {_usd(rev['duty'])}, VAT {_usd(rev['vat'])}): {_usd(rev['total'])}, "
        f"an effective rate of {rate['overall'] or 0:.3g} of the goods' sale value; by regime: {by or 'none'}.",
        f"- Collected at entry, before the sale: {_usd(rev['at_entry'])} (general-trade import VAT is credited "
        f"later); at or after the sale: {_usd(rev['at_sale'])}. Taxes deferred to the sale in bonded stock: "
        f"{_usd(k['duties_deferred_usd'])}, saving {_usd(k['duty_financing_saved_usd'])} of financing.",
        f"- Cost of the network without duties and VAT (transfers, not resource costs): {_usd(k['network_cost_usd'])}.",
    ]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def proven(summary: dict) -> bool:
    """True when HiGHS proved the plan optimal within the asked relative gap."""
    asked = (summary.get("solver") or {}).get("mip_rel_gap")
    gap = summary.get("gap")
    if summary.get("status") != "optimal" or gap is None:
        return False
    return asked is None or gap <= asked * (1 + 1e-9) + 1e-12


def status_words(summary: dict) -> str:
    """The solver's status as a sentence: proven within which gap, or stopped and why."""
    gap, asked = summary.get("gap"), (summary.get("solver") or {}).get("mip_rel_gap")
    status = summary.get("status")
    if summary.get("method") == "lagrangian":
        if proven(summary):
            return (f"Solved by the Lagrangian method: the plan is certified within a relative gap of {gap:.2g} of "
                    f"the full model's optimum (asked {asked:.2g}): no plan is cheaper by more than that share of "
                    "the cost.")
        why = {"time_limit": "stopped at the time limit"}.get(status, "stopped before reaching the asked gap")
        return (f"Not proven: the Lagrangian method {why} with a plan (certified gap {gap:.1%}; asked "
                f"{asked:.2g}).")
    if proven(summary):
        within = f"{asked:.2g}" if asked is not None else f"{gap:.2g}"
        return (f"Solved: proven optimal within a relative gap of {within} (reached {gap:.2g}): no other plan "
                "is cheaper by more than that share of the cost.")
    what = {"time_limit": "stopped at the time limit", "optimal": "stopped outside the asked gap",
            "interrupted": "was stopped by Ctrl-C"}.get(
        status, f"stopped ({status})")
    gap_text = "no bound on how far it is from the best" if gap is None else f"gap {gap:.1%}"
    return f"Not proven: HiGHS {what} with a plan ({gap_text}; asked {asked:.2g})." if asked is not None else \
        f"Not proven: HiGHS {what} with a plan ({gap_text})."


#: a gap up to this multiple of the one asked is "close": the banner says how far, it does not warn off
CLOSE = 1.5


def banner(summary: dict, sites_opened: int | None = None) -> list[str]:
    """A warning block for report.md when the plan is not proven within the asked gap (else [])."""
    if proven(summary):
        return []
    gap, bound, obj = summary.get("gap"), summary.get("bound"), summary.get("objective")
    if gap is None or bound is None or not math.isfinite(bound):
        how_far = "HiGHS found no lower bound, so how much cheaper the best plan is remains unknown"
    else:
        how_far = (f"the best possible plan may cost up to {gap:.1%} less than this one (it costs at least "
                   f"{_usd(bound)} per year, against {_usd(obj)} here)")
    asked = (summary.get("solver") or {}).get("mip_rel_gap")
    if gap is not None and asked and bound is not None and math.isfinite(bound) and gap <= CLOSE * asked:
        # a gap just above the one asked: say how far, not "do not build" (0.24 % against 0.2 %)
        return [f"> **Note: proven within {gap:.2%} of the best possible plan, a little above the {asked:.2%} "
                f"asked** ({(gap - asked) * 100:.2f} percentage points more): the best plan may cost up to "
                f"{_usd(obj - bound)} a year less than this one ({_usd(obj)}). Conclusions that hinge on cost "
                f"differences smaller than that are not resolved; a longer `--time-limit` closes it.", ""]
    lines = [f"> **Warning: this plan is not proven good.** Taken as it is, {how_far}. "
             "The sites and flows below are feasible, but a cheaper network may open other sites or none of "
             "these, so do not build from it: rerun with a longer `--time-limit` or a looser `--gap`."]
    if sites_opened == 0 and summary.get("status") != "optimal":
        lines[0] += " It opens no site, which may only reflect where the search stopped."
    return lines + [""]


def method_lines(s: dict) -> list[str]:
    """The "Method" section of a ``--method lagrangian`` run: what was solved, how far the plan is
    from the optimum, and what the method does not model ([] for the exact path)."""
    if s.get("method") != "lagrangian":
        return []
    size, lag, t = s.get("full_model_size") or {}, s.get("lagrangian") or {}, s.get("seconds") or {}
    return [
        "## Method: Lagrangian relaxation (`--method lagrangian`)", "",
        f"The full model ({size.get('variables', 0):,} variables, {size.get('binaries', 0):,} binary, "
        f"{size.get('constraints', 0):,} constraints) was **never built**. `model/methods/lagrangian.py` priced each "
        f"outbound arc with its cheapest inbound lane ({lag.get('arcs_kept', 0):,} of {lag.get('arcs_full', 0):,} "
        "arcs can beat direct mail or the unmet penalty), found a feasible plan (HiGHS on zones clustered by "
        "their costs, split back over the zones, then re-assigned) and a lower bound on the optimum of the full "
        f"model by Lagrangian relaxation of the demand rows ({s.get('iterations', 0)} subgradient iterations; "
        f"arc tables {t.get('build', 0):.0f} s, method {t.get('method', 0):.0f} s).", "",
        f"- Plan cost {_usd(s['objective'])}, lower bound {_usd(s['bound'])}: **certified gap "
        f"{s['gap']:.2%}** (asked {(s.get('solver') or {}).get('mip_rel_gap', 0):.2g}). The best plan of the full "
        "model costs between the two.",
        "- Each open site pays the compliance cost of every regime that may be held there (no hold decision "
        "per regime): a feasible choice, included in the plan cost and so in the gap.",
        "- Scope: " + ", ".join(lag.get("scope") or []) + ". A scenario asking for a service share, a CO2 cap, "
        "single sourcing, SKU classes or months is refused by name before any work (`--method exact` solves it), "
        "so none of them applies to this plan.",
        "- Not available with this method: `--robustness`, `--extra`, `--stochastic` and the insight commands "
        "(`alternatives`, `breakeven`, `regret`), which re-solve the exact model; summary.json has no "
        "`model_size` or HiGHS status (no model reached HiGHS), `full_model_size` instead.", "",
    ]


def report_markdown(result) -> str:
    s = result.summary
    sc = result.scenario
    k = s["kpis"]
    shares = s["mode_share"]
    zones = zone_names(sc)
    opened = result.sites[result.sites["opened"]]
    lines = [
        f"# Run `{s.get('run') or s['scenario']}`",
        "",
        *identity_lines(s),
        f"**Status:** {status_words(s)}",
        "",
        *banner(s, len(opened)),
        *method_lines(s),
        *([f"**Pruning {s['pruning']}.** Every arc was built (docs/formulation.md).", ""]
          if str(s.get("pruning", "on")).startswith("off") else []),
        f"**Total cost:** {_usd(s['objective'])} per year "
        f"for {quantity(s['total_demand_orders'])} cross-border e-commerce orders "
        + (
            f"({s['objective'] / s['total_demand_orders']:.2f} USD per order)." if s["total_demand_orders"] > 0 else "."
        ),
        "",
        "## What holds across the gap",
        "",
        *across_gap_lines(s, md_text),
        "",
        "## How orders reach customers",
        "",
        *[
            f"- {_cap(regimes.label(md))} ({regimes.REGISTRY[md].description}): **{shares[md]:.0%}** of orders."
            for md in regimes.MODES
            if shares.get(md, 0.0) > 0 or regimes.REGISTRY[md].enabled(sc.param)
        ],
        *[
            f"- {_cap(regimes.label(md))}: **{v:.0%}** of orders."
            for md, v in shares.items()
            if md not in regimes.REGISTRY
        ],  # a mode of an older or hand-made result
        f"- Not served: {s['unmet_share']:.0%}.",
        "",
        *_lead_time_lines(k),
        "",
        f"## Where to build ({len(opened)} site{'' if len(opened) == 1 else 's'})"
        if proven(s)
        else f"## Sites in this unproven plan ({len(opened)})",
        "",
        "| site | name | province | level | orders per year | utilisation | fixed cost |",
        "|---|---|---|---|---|---|---|",
    ]

    for r in opened.itertuples():
        lines.append(
            f"| {md_text(r.site)} | {md_text(r.name)} | {md_text(named(r.province, zones))} | {md_text(r.level)} | "
            f"{quantity(r.throughput_orders)} | "
            f"{r.utilisation:.0%} | {_usd(r.fixed_cost_usd)} |"
        )
    lines += [
        "",
        "## Taxes and money tied up",
        "",
        *_tax_lines(k),
        f"- Average working capital tied up in stock in Vietnam: {_usd(k['working_capital_usd'])}.",
        "",
        *_regime_cost_lines(s.get("regime_costs_usd_per_order") or []),
        *sku_class_lines(s),
        "",
        "## Transport emissions",
        "",
        f"- {k['co2_t']:,.0f} tonnes CO2e per year ({k['co2_kg_per_order'] or 0:.2f} kg per delivered order): "
        + ", ".join(f"{m.replace('_', ' ')} {v:,.0f} t" for m, v in k["co2_t_by_mode"].items())
        + (f"; cap {sc.param('policy.co2_cap_t'):,.0f} t." if sc.param("policy.co2_cap_t") != float("inf") else "."),
        "- International leg (great-circle km x the mode's factor) and road legs to each province's centre; "
        "not the last mile inside a province (factors and sources: docs/policy.md, `co2.*`).",
        "",
        "## Cost breakdown",
        "",
        "| term | USD per year | share |",
        "|---|---|---|",
    ]
    for term, v in s["cost_breakdown"].items():
        lines.append(f"| {term_name(term)} | {v:,.0f} | {v / s['objective'] if s['objective'] else 0:.1%} |")
    lines += ["", "## Policy levers in this scenario", "", "| parameter | value |", "|---|---|"]
    for key in lever_keys():
        v = sc.param(key)
        shown = (", ".join(md_text(named(z, zones) if key == "policy.eligible_zones" else z) for z in v)
                 if isinstance(v, list)
                 else ("all" if v == "*" else "(tables)" if v is None else f"{v:g}"))
        lines.append(f"| `{key}` | {shown or '(none)'} |")
    if s.get("insight"):  # written by python solve.py alternatives | breakeven | regret
        lines += insight_markdown(s, zones, site_names(sc), zone_regions(sc))
    lines += ["", "## What this answer rests on", "", "Inputs behind the largest costs (from the data folder's "
              "SOURCES.md):", ""]
    lines += [f"- {x}" for x in data_caveats(s, read_sources(sc.data_dir), str(sc.data_dir))]
    lines += ["", "How far the conclusions hold:", ""]
    lines += [f"- {x}" for x in robustness_caveats(s, result.sites, (s.get("solver") or {}).get("mip_rel_gap"))]
    lines.append("")
    return "\n".join(lines)
