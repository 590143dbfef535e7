"""report.md: the result in plain words for a policy maker."""
from __future__ import annotations

from . import regimes

LEVER_KEYS = (
    "policy.cbec_tax_factor", "policy.cbec_duty_factor", "policy.cbec_direct_purchase", "policy.order_value_cap_usd",
    "policy.de_minimis_usd", "policy.parcel_fta", "policy.origin_waiver_usd", "policy.vat_rate",
    "policy.eligible_zones", "policy.positive_list", "policy.bonded_duty_at_sale", "policy.bonded_clearance_hours",
    "policy.direct_clearance_hours", "policy.single_window", "policy.max_sites", "modes.general_trade",
    "finance.cost_of_capital", "service.target_hours", "service.min_share", "demand.growth",
    "policy.dutiable_basis", "policy.declared_value_share", "policy.co2_cap_t",
)


def _lead_time_lines(k: dict) -> list[str]:
    """Lead time of each regime: what it carries, and its best route for every order (counterfactual)."""
    lines = [f"Orders arrive in {k['lead_time_mean_hours'] / 24:.2g} days on average "
             f"(95 % within {k['lead_time_p95_hours'] / 24:.2g} days); "
             f"**{k['share_within_target']:.0%}** arrive within the {k['service_target_hours']:.0f}-hour target.", "",
             "| regime | carries: mean (p5-p95) days | its best route for every order: mean (p5-p95) days |",
             "|---|---|---|"]
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
    shown = [md for md in regimes.MODES if any(r.get(md) is not None for r in rows)]
    lines = ["", "## Cost per order of each regime (cheapest route, USD; fixed and compliance costs left out)", "",
             "| origin | product | orders per year | " + " | ".join(regimes.label(md) for md in shown) + " | cheapest |",
             "|---|---|---|" + "---|" * (len(shown) + 1)]
    for r in rows:
        cells = ["-" if r.get(md) is None else f"{r[md]:.3g}" for md in shown]
        lines.append(f"| {r['origin']} | {r['product']} | {r['orders']:.3g} | " + " | ".join(cells)
                     + f" | {regimes.label(r['cheapest']) if r['cheapest'] else '-'} |")
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


def _usd(x: float) -> str:
    """USD to 3 significant figures (the data support no more)."""
    if abs(x) >= 1e9:
        return f"USD {x / 1e9:.3g} bn"
    if abs(x) >= 1e6:
        return f"USD {x / 1e6:.3g} M"
    return f"USD {float(f'{x:.3g}'):,.0f}"


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
        f"({s['objective'] / s['total_demand_orders']:.2f} USD per order).",
        "",
        "## How orders reach customers",
        "",
        *[f"- {_cap(regimes.label(md))} ({regimes.REGISTRY[md].description}): **{shares[md]:.0%}** of orders."
          for md in regimes.MODES if shares.get(md, 0.0) > 0 or regimes.REGISTRY[md].enabled(sc.param)],
        f"- Not served: {s['unmet_share']:.0%}.",
        "",
        *_lead_time_lines(k),
        "",
        f"## Where to build ({len(s['sites_opened'])} sites)",
        "",
        "| site | name | province | level | orders per year | utilisation | fixed cost |",
        "|---|---|---|---|---|---|---|",
    ]
    from .outputs import md_text  # names come from sites.csv: no raw HTML or table pipes

    for r in result.sites[result.sites["opened"]].itertuples():
        lines.append(f"| {md_text(r.site)} | {md_text(r.name)} | {md_text(r.province)} | {md_text(r.level)} | "
                     f"{r.throughput_orders:,.0f} | "
                     f"{r.utilisation:.0%} | {_usd(r.fixed_cost_usd)} |")
    lines += [
        "",
        "## Taxes and money tied up",
        "",
        *_tax_lines(k),
        f"- Average working capital tied up in stock in Vietnam: {_usd(k['working_capital_usd'])}.",
        "",
        *_regime_cost_lines(s.get("regime_costs_usd_per_order") or []),
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
        shown = ", ".join(v) if isinstance(v, list) else ("all" if v == "*" else "(tables)" if v is None else f"{v:g}")
        lines.append(f"| `{key}` | {shown or '(none)'} |")
    if s.get("insight"):  # written by python solve.py alternatives | breakeven | regret
        from .insight.report import insight_markdown

        lines += insight_markdown(s)
    lines += ["", "Numbers rest on the default data's sources and assumptions (data/SOURCES.md).", ""]
    return "\n".join(lines)
