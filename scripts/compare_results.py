"""Side-by-side Markdown table of finished runs: python scripts/compare_results.py results/A results/B ...

Reads each folder's summary.json (written by solve.py). Used for the scenario table in docs/policy.md.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from model.regimes import MODES, PARCEL  # noqa: E402

def _g(x, n=3) -> str:
    """x to n significant figures, thousands separated (the data support no more)."""
    if x is not None and abs(x) < 1e-9:  # solver noise around 0
        x = 0.0
    return "-" if x is None else f"{float(f'{x:.{n}g}'):,.{max(0, n - 1 - int(f'{abs(x):e}'.split('e')[1]))}f}" if x else "0"


def _lead(s, md, which):
    v = ((s["kpis"].get("lead_time_days_by_mode") or {}).get(md) or {}).get(which)
    return "-" if not v else f"{_g(v['mean'], 2)} ({_g(v['p5'], 2)}-{_g(v['p95'], 2)})"


ROWS = [
    ("status", lambda s: s["status"]),
    ("gap", lambda s: f"{s['gap']:.1e}"),
    ("total cost, USD M/yr", lambda s: _g(s["objective"] / 1e6)),
    ("network cost without duties and VAT, USD M/yr", lambda s: _g(s["kpis"]["network_cost_usd"] / 1e6)),
    ("sites opened", lambda s: str(len(s["sites_opened"]))),
    ("parcel share of head / torso / tail orders", lambda s: " / ".join(
        f"{sum(v for m, v in d.items() if m in PARCEL):.0%}"
        for d in (s["kpis"].get("mode_share_by_class") or {}).values()) or "-"),
    ("sites holding head / torso / tail", lambda s: " / ".join(
        str(len({x["site"] for x in s["sites_opened"] for c in x.get("stocked_classes", [])
                 if c["item"].endswith(":" + k)})) for k in (s["kpis"].get("mode_share_by_class") or {})) or "-"),
    ("sites (level)", lambda s: ", ".join(f"{x['site']} ({x['level'][0]})" for x in s["sites_opened"]) or "none"),
    *[(f"{md.replace('_', ' ')} share", lambda s, md=md: f"{s['mode_share'].get(md, 0.0):.0%}") for md in MODES],
    *[(f"{md.replace('_', ' ')} lead time, days: carried (best route for all orders)",
       lambda s, md=md: f"{_lead(s, md, 'carried')} ({_lead(s, md, 'best_route')})") for md in MODES],
    ("share within 72 h", lambda s: f"{s['kpis']['share_within_target']:.0%}"),
    ("tax revenue, USD M", lambda s: _g(s["kpis"]["tax_revenue_usd"]["total"] / 1e6)),
    ("of which collected at entry, USD M", lambda s: _g(s["kpis"]["tax_revenue_usd"]["at_entry"] / 1e6)),
    ("effective tax rate (taxes / sale value)", lambda s: _g(s["kpis"]["effective_tax_rate"]["overall"], 2)),
    *[(f"effective tax rate, {md.replace('_', ' ')}",
       lambda s, md=md: _g(s["kpis"]["effective_tax_rate"]["by_regime"].get(md), 2)) for md in MODES],
    ("duties deferred to the sale, USD M", lambda s: _g(s["kpis"]["duties_deferred_usd"] / 1e6)),
    ("working capital, USD M", lambda s: _g(s["kpis"]["working_capital_usd"] / 1e6)),
    ("HiGHS seconds", lambda s: f"{s['solve_seconds']:.0f}"),
]


def compare_markdown(folders: list[Path]) -> str:
    summaries = [json.loads((Path(f) / "summary.json").read_text(encoding="utf-8")) for f in folders]
    lines = ["| | " + " | ".join(f"`{s['scenario']}`" for s in summaries) + " |",
             "|---|" + "---|" * len(summaries)]
    terms = list(summaries[0]["cost_breakdown"])
    for label, get in ROWS:
        lines.append(f"| {label} | " + " | ".join(get(s) for s in summaries) + " |")
    for t in terms:
        lines.append(f"| {t}, USD M | " + " | ".join(_g(s["cost_breakdown"].get(t, 0.0) / 1e6) for s in summaries) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(compare_markdown([Path(a) for a in sys.argv[1:]]), end="")
