"""report.md: the result in plain words for a policy maker."""
from __future__ import annotations

LEVER_KEYS = (
    "policy.cbec_tax_factor", "policy.cbec_duty_free", "policy.order_value_cap_usd", "policy.de_minimis_usd",
    "policy.eligible_zones", "policy.positive_list", "policy.bonded_duty_at_sale", "policy.bonded_clearance_hours",
    "policy.direct_clearance_hours", "policy.single_window", "policy.max_sites", "modes.general_trade",
    "finance.cost_of_capital", "service.target_hours", "service.min_share", "demand.growth",
    "policy.dutiable_basis", "policy.declared_value_share", "policy.co2_cap_t",
)


def _usd(x: float) -> str:
    if abs(x) >= 1e9:
        return f"USD {x / 1e9:,.2f} bn"
    if abs(x) >= 1e6:
        return f"USD {x / 1e6:,.1f} M"
    return f"USD {x:,.0f}"


def report_markdown(result) -> str:
    s = result.summary
    sc = result.scenario
    k = s["kpis"]
    shares = s["mode_share"]
    lines = [
        f"# Scenario `{s['scenario']}`",
        "",
        f"**Status:** {s['status']} (relative gap {s['gap']:.1e}). **Total cost:** {_usd(s['objective'])} per year "
        f"for {s['total_demand_orders']:,.0f} cross-border e-commerce orders "
        + (f"({s['objective'] / s['total_demand_orders']:.2f} USD per order)." if s["total_demand_orders"] > 0 else "."),
        "",
        "## How orders reach customers",
        "",
        f"- Bonded warehouses (stock first, duty paid when sold): **{shares['bonded']:.1%}** of orders.",
        f"- General trade (duty paid at import, stock duty-paid): **{shares['general_trade']:.1%}**.",
        f"- Direct mail from abroad after the sale: **{shares['direct_mail']:.1%}**.",
        f"- Not served: {s['unmet_share']:.1%}.",
        "",
        (f"Orders arrive in {k['lead_time_mean_hours']:.0f} hours on average (95 % within {k['lead_time_p95_hours']:.0f} h); "
         f"**{k['share_within_target'] or 0:.1%}** arrive within the {k['service_target_hours']:.0f}-hour target."
         if k["lead_time_mean_hours"] is not None else
         "No order is delivered: all demand is left unserved (why: `unmet` in summary.json)."),
        "",
        f"## Where to build ({len(s['sites_opened'])} sites)",
        "",
        "| site | name | province | level | orders per year | utilisation | fixed cost |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result.sites[result.sites["opened"]].itertuples():
        lines.append(f"| {r.site} | {r.name} | {r.province} | {r.level} | {r.throughput_orders:,.0f} | "
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
        lines.append(f"| {term} | {v:,.0f} | {v / s['objective'] if s['objective'] else 0:.1%} |")
    lines += ["", "## Policy levers in this scenario", "", "| parameter | value |", "|---|---|"]
    for key in LEVER_KEYS:
        v = sc.param(key)
        shown = ", ".join(v) if isinstance(v, list) else ("all" if v == "*" else f"{v:g}")
        lines.append(f"| `{key}` | {shown or '(none)'} |")
    if s.get("insight"):  # written by python solve.py alternatives | breakeven | regret
        from .insight.report import insight_markdown

        lines += insight_markdown(s)
    lines += ["", "Numbers rest on the default data's sources and assumptions (data/SOURCES.md).", ""]
    return "\n".join(lines)
