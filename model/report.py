"""report.md: the result in plain words for a policy maker, its status first and its limits last."""
from __future__ import annotations

import math

from .caveats import data_caveats, read_sources, robustness_caveats
from .formats import usd as _usd
from .insight_text import insight_markdown
from .names import named, site_names, zone_names

LEVER_KEYS = (
    "policy.cbec_tax_factor", "policy.cbec_duty_free", "policy.order_value_cap_usd", "policy.de_minimis_usd",
    "policy.eligible_zones", "policy.positive_list", "policy.bonded_duty_at_sale", "policy.bonded_clearance_hours",
    "policy.direct_clearance_hours", "policy.single_window", "policy.max_sites", "modes.general_trade",
    "finance.cost_of_capital", "service.target_hours", "service.min_share", "demand.growth",
    "policy.dutiable_basis", "policy.declared_value_share", "policy.co2_cap_t",
)


#: how report.md names each mode; a mode not listed here is named from its code
MODE_LABELS = {
    "bonded": "Bonded warehouses (stock first, duty paid when sold)",
    "general_trade": "General trade (duty paid at import, stock duty-paid)",
    "direct_mail": "Direct mail from abroad after the sale",
}


def mode_label(mode: str) -> str:
    return MODE_LABELS.get(mode, mode.replace("_", " ").capitalize())


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
    if proven(summary):
        within = f"{asked:.2g}" if asked is not None else f"{gap:.2g}"
        return (f"Solved: proven optimal within a relative gap of {within} (reached {gap:.2g}): no other plan "
                "is cheaper by more than that share of the cost.")
    what = {"time_limit": "stopped at the time limit", "optimal": "stopped outside the asked gap"}.get(
        status, f"stopped ({status})")
    gap_text = "no bound on how far it is from the best" if gap is None else f"gap {gap:.1%}"
    return f"Not proven: HiGHS {what} with a plan ({gap_text}; asked {asked:.2g})." if asked is not None else \
        f"Not proven: HiGHS {what} with a plan ({gap_text})."


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
    lines = [f"> **Warning: this plan is not proven good.** Taken as it is, {how_far}. "
             "The sites and flows below are feasible, but a cheaper network may open other sites or none of "
             "these, so do not build from it: rerun with a longer `--time-limit` or a looser `--gap`."]
    if sites_opened == 0 and summary.get("status") != "optimal":
        lines[0] += " It opens no site, which may only reflect where the search stopped."
    return lines + [""]


def report_markdown(result) -> str:
    s = result.summary
    sc = result.scenario
    k = s["kpis"]
    shares = s["mode_share"]
    zones = zone_names(sc)
    opened = result.sites[result.sites["opened"]]
    lines = [
        f"# Scenario `{s['scenario']}`",
        "",
        f"**Status:** {status_words(s)}",
        "",
        *banner(s, len(opened)),
        f"**Total cost:** {_usd(s['objective'])} per year "
        f"for {s['total_demand_orders']:,.0f} cross-border e-commerce orders "
        f"({s['objective'] / s['total_demand_orders']:.2f} USD per order).",
        "",
        "## How orders reach customers",
        "",
        *[f"- {mode_label(m)}: **{v:.1%}** of orders." for m, v in shares.items()],
        f"- Not served: {s['unmet_share']:.1%}.",
        "",
        f"Orders arrive in {k['lead_time_mean_hours']:.0f} hours on average (95 % within {k['lead_time_p95_hours']:.0f} h); "
        f"**{k['share_within_target']:.1%}** arrive within the {k['service_target_hours']:.0f}-hour target.",
        "",
        f"## Where to build ({len(opened)} site{'' if len(opened) == 1 else 's'})" if proven(s) else
        f"## Sites in this unproven plan ({len(opened)})",
        "",
        "| site | name | province | level | orders per year | utilisation | fixed cost |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in opened.itertuples():
        lines.append(f"| {r.site} | {r.name} | {named(r.province, zones)} | {r.level} | {r.throughput_orders:,.0f} | "
                     f"{r.utilisation:.0%} | {_usd(r.fixed_cost_usd)} |")
    lines += [
        "",
        "## Taxes and money tied up",
        "",
        f"- Duties and VAT paid: {_usd(k['duties_and_vat_paid_usd'])}.",
        f"- Of these, paid at the sale instead of at import (deferred in bonded warehouses): "
        f"{_usd(k['duties_deferred_usd'])}; financing saved by the deferral: {_usd(k['duty_financing_saved_usd'])}.",
        f"- Average working capital tied up in stock in Vietnam: {_usd(k['working_capital_usd'])}.",
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
        lines.append(f"| {term} | {v:,.0f} | {v / s['objective']:.1%} |")
    lines += ["", "## Policy levers in this scenario", "", "| parameter | value |", "|---|---|"]
    for key in LEVER_KEYS:
        v = sc.param(key)
        shown = (", ".join(named(z, zones) if key == "policy.eligible_zones" else z for z in v) if isinstance(v, list)
                 else ("all" if v == "*" else f"{v:g}"))
        lines.append(f"| `{key}` | {shown or '(none)'} |")
    if s.get("insight"):  # written by python solve.py alternatives | breakeven | regret
        lines += insight_markdown(s, zones, site_names(sc))
    lines += ["", "## What this answer rests on", "", "Inputs behind the largest costs (from the data folder's "
              "SOURCES.md):", ""]
    lines += [f"- {x}" for x in data_caveats(s, read_sources(sc.data_dir), str(sc.data_dir))]
    lines += ["", "How far the conclusions hold:", ""]
    lines += [f"- {x}" for x in robustness_caveats(s, result.sites, (s.get("solver") or {}).get("mip_rel_gap"))]
    lines.append("")
    return "\n".join(lines)
