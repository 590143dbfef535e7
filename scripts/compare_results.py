"""Side-by-side Markdown table of finished runs: python scripts/compare_results.py results/A results/B ...

Reads each folder's summary.json (written by solve.py). Used for the scenario table in docs/policy.md.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROWS = [
    ("status", lambda s: s["status"]),
    ("gap", lambda s: f"{s['gap']:.1e}"),
    ("total cost, USD M/yr", lambda s: f"{s['objective'] / 1e6:,.1f}"),
    ("sites opened", lambda s: str(len(s["sites_opened"]))),
    ("sites (level)", lambda s: ", ".join(f"{x['site']} ({x['level'][0]})" for x in s["sites_opened"]) or "none"),
    ("bonded share", lambda s: f"{s['mode_share']['bonded']:.1%}"),
    ("general trade share", lambda s: f"{s['mode_share']['general_trade']:.1%}"),
    ("direct mail share", lambda s: f"{s['mode_share']['direct_mail']:.1%}"),
    ("mean lead time, h", lambda s: f"{s['kpis']['lead_time_mean_hours']:.0f}"),
    ("95th pct lead time, h", lambda s: f"{s['kpis']['lead_time_p95_hours']:.0f}"),
    ("share within 72 h", lambda s: f"{s['kpis']['share_within_target']:.1%}"),
    ("duties and VAT paid, USD M", lambda s: f"{s['kpis']['duties_and_vat_paid_usd'] / 1e6:,.0f}"),
    ("duties deferred, USD M", lambda s: f"{s['kpis']['duties_deferred_usd'] / 1e6:,.0f}"),
    ("financing saved, USD M", lambda s: f"{s['kpis']['duty_financing_saved_usd'] / 1e6:,.1f}"),
    ("working capital, USD M", lambda s: f"{s['kpis']['working_capital_usd'] / 1e6:,.0f}"),
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
        lines.append(f"| {t}, USD M | " + " | ".join(f"{s['cost_breakdown'][t] / 1e6:,.1f}" for s in summaries) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(compare_markdown([Path(a) for a in sys.argv[1:]]), end="")
