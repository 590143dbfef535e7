"""What a result's conclusions are worth across its MIP gap: other plans within the gap, and what
they share (sites open in every one, the range of each regime's share of orders).

``python solve.py --robustness N`` re-solves up to N times with a no-good cut on every site set
found so far and a ceiling of (1 + gap) x the best cost (:func:`model.insight.alternatives.
find_alternatives`): each re-solve returns another site set whose cost the gap cannot tell apart
from the plan's. A site open in every one of them is a conclusion; one open in some is not; a
regime share whose range is narrow holds across the gap.
"""
from __future__ import annotations

from . import regimes


def across_the_gap(result, options, max_count: int, hook: str | None = None) -> dict:
    """``summary.json`` -> ``across_gap`` for a solved ``result``: the plans within its gap."""
    from .insight.alternatives import find_alternatives
    from .insight.common import summarise

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


def across_gap_lines(s: dict, text=str) -> list[str]:
    """What holds across the gap, in words (the body of report.md's section "What holds across the
    gap" and of the printed summary's lines), or how to check it when it was not checked.
    ``text`` shows a site code (report.md passes model.outputs.md_text: codes come from data)."""
    a = s.get("across_gap")
    gap = (s.get("solver") or {}).get("mip_rel_gap")
    if not a and s.get("method") == "lagrangian":
        return [f"Not checked: other plans within the certified {s.get('gap') or 0:.2g} gap may open other sites or "
                "split the regimes differently. `--robustness` re-solves the exact model, so it is not available "
                "with --method lagrangian."]
    if not a:
        return [f"Not checked: other plans within the {gap:g} gap may open other sites or split the regimes "
                "differently. `python solve.py --robustness 3` re-solves for up to 3 other site sets within "
                "the gap and reports what they share (docs/insight.md)." if gap else "Not checked."]
    share = "; ".join(f"{regimes.label(md)} {lo:.0%}-{hi:.0%}" if abs(hi - lo) >= 0.005 else
                      f"{regimes.label(md)} {lo:.0%} in every plan" for md, (lo, hi) in a["mode_share_range"].items())
    lo, hi = a["sites_opened_range"]
    return [f"{a['plans']} plan{'' if a['plans'] == 1 else 's'} within {a['within']:.2g} of the best cost "
            f"({text(a['stopped'])}; {a['solves']} solves, {a['seconds']:.0f} s):",
            f"- sites open in every plan: {', '.join(map(text, a['robust_sites'])) or 'none'}; in some only: "
            f"{', '.join(map(text, sorted(set(a['sites_in_some']) - set(a['robust_sites'])))) or 'none'};",
            f"- sites opened: {lo}" + (f"-{hi}" if hi != lo else "") + ";",
            f"- share of orders: {share or 'none'}."]
