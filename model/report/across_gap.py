"""What holds across a result's MIP gap, in words (computed by :mod:`model.studies.across_gap`)."""
from __future__ import annotations

from model import regimes


def across_gap_lines(s: dict, text=str) -> list[str]:
    """What holds across the gap, in words (the body of report.md's section "What holds across the
    gap" and of the printed summary's lines), or how to check it when it was not checked.
    ``text`` shows a site code (report.md passes model.io.outputs.md_text: codes come from data)."""
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
