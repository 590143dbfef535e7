"""What a result's conclusions are worth across its MIP gap: other plans within the gap, and what
they share (sites open in every one, the range of each regime's share of orders).

``python solve.py --robustness N`` re-solves up to N times with a no-good cut on every site set
found so far and a ceiling of (1 + gap) x the best cost (:func:`model.studies.alternatives.
find_alternatives`): each re-solve returns another site set whose cost the gap cannot tell apart
from the plan's. A site open in every one of them is a conclusion; one open in some is not; a
regime share whose range is narrow holds across the gap.
"""
from __future__ import annotations

from model import regimes
from model.studies.alternatives import find_alternatives
from model.studies.common import summarise


def across_the_gap(result, options, max_count: int, hook: str | None = None) -> dict:
    """``summary.json`` -> ``across_gap`` for a solved ``result``: the plans within its gap."""

    within = max(options.mip_rel_gap, result.report.gap or 0.0)
    found = find_alternatives(result.scenario, options, within=within, max_count=max_count, hook=hook,
                              base=summarise(result))
    return across_gap_section(found, within)


def across_gap_section(found: dict, within: float) -> dict:
    """Plans, robust sites, sites in some plans, cost and share ranges of :func:`find_alternatives`' rows."""
    rows = found["rows"]
    costs = [r["objective"] for r in rows]
    ranges = {}
    for md in [*regimes.MODES, "unmet"]:
        v = [r["kpis"].get(f"{md}_share") for r in rows if r["kpis"].get(f"{md}_share") is not None]
        if v and max(v) > 0:
            ranges[md] = [min(v), max(v)]
    sites = [r["kpis"]["sites_opened"] for r in rows]
    return {"within": within, "plans": len(rows), "stopped": found["stopped"],
            "robust_sites": sorted(found["robust_sites"]), "sites_in_some": sorted(found["sites_in_some"]),
            "sites_opened_range": [min(sites), max(sites)], "cost_range_usd": [min(costs), max(costs)],
            "mode_share_range": ranges, "solves": found["solves"], "seconds": round(found["seconds"], 1)}
