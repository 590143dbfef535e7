"""What a run's answer rests on: the inputs marked ASSUMPTION in the data's SOURCES.md behind
its largest cost terms, and how far its conclusions hold (solver resolution, near-optimal
alternatives, full sites, unmet demand, the one-period and deterministic model).

Pure functions of summary.json, the result's tables and the SOURCES.md text; report.md
prints them under "What this answer rests on".
"""
from __future__ import annotations

import math
import re
from pathlib import Path

from model.core.formats import usd
from model.io import terms as cost_terms

_FLAG = re.compile(r"ASSUMPTION|low confidence", re.IGNORECASE)
FULL = 0.995  # utilisation at which a site counts as full


def flagged_inputs(sources_text: str) -> dict[str, str]:
    """Inputs SOURCES.md marks as ASSUMPTION or low confidence -> 'assumption' / 'low confidence'.

    A table counts when its section (``## name.csv ...``) says so anywhere; a parameter when its
    row of the parameters table (``| key | value | source |``) does.
    """
    out: dict[str, str] = {}
    section = None
    for line in sources_text.splitlines():
        head = re.match(r"^##\s+(.*)$", line)
        if head:
            names = re.findall(r"[\w.-]+\.csv", head.group(1))
            section = names[0] if names else None
            continue
        hit = _FLAG.search(line)
        if not hit:
            continue
        kind = "assumption" if "ASSUMPTION" in line.upper() else "low confidence"
        row = re.match(r"^\|\s*([a-z_]+\.[a-z0-9_.]+)\s*\|", line)
        if row and section == "parameters.csv":
            key = row.group(1)
        elif section:
            key = section
        else:
            continue
        if out.get(key) != "assumption":
            out[key] = kind
    return out


def read_sources(data_dir) -> str | None:
    """The text of ``<data_dir>/SOURCES.md``, or None when the folder has none."""
    path = Path(data_dir) / "SOURCES.md"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def data_caveats(summary: dict, sources_text: str | None, data_dir: str = "the data folder", top: int = 4) -> list[str]:
    """Lines on the inputs behind the ``top`` largest cost terms of this run and which are assumptions."""
    if sources_text is None:
        return [f"The data folder {data_dir} has no SOURCES.md: where its numbers come from is not stated, "
                "so treat every cost below as unverified."]
    flags = flagged_inputs(sources_text)
    objective = summary.get("objective") or 0.0
    terms = sorted(((t, v) for t, v in (summary.get("cost_breakdown") or {}).items() if v and v > 0),
                   key=lambda tv: -tv[1])[:top]
    lines = []
    for term, value in terms:
        inputs = cost_terms.inputs(term)
        marked = [f"`{i}` ({flags[i]})" for i in inputs if i in flags]
        share = f"{value / objective:.0%} of the cost" if objective else ""
        if marked:
            lines.append(f"{term.replace('_', ' ')} ({share}) rests on " + ", ".join(marked) + ".")
        elif inputs:
            lines.append(f"{term.replace('_', ' ')} ({share}) rests on " + ", ".join(f"`{i}`" for i in inputs)
                         + ", with sources in SOURCES.md.")
    n = len(flags)
    if n:
        lines.append(f"In all, SOURCES.md marks {n} inputs as assumptions or low confidence; read it (and "
                     "docs/data.md) before quoting a number.")
    return lines


def robustness_caveats(summary: dict, sites=None, asked_gap: float | None = None) -> list[str]:
    """Lines on how far this run's conclusions hold (see the module docstring)."""
    lines = []
    obj, gap = summary.get("objective"), summary.get("gap")
    resolution = max(g for g in (gap, asked_gap, 0.0) if g is not None and math.isfinite(g))
    if obj is not None and resolution > 0:
        lines.append(
            f"Cost differences below about {usd(resolution * abs(obj))} per year ({resolution:.2g} of "
            "the total, the solver's gap) are not resolved: another plan within that is as good to the solver."
        )
    alt = (summary.get("insight") or {}).get("alternatives")
    if alt:
        robust = alt.get("robust_sites") or []
        lines.append(f"{len(robust)} of the sites are open in every one of the {alt.get('found', 0) + 1} site sets "
                     f"within {alt.get('within', 0):.1%} of the optimum (section below): those are robust; "
                     "the others are a choice the costs do not settle.")
    elif summary.get("method") == "lagrangian":  # the insight commands re-solve the exact model
        size = (summary.get("full_model_size") or {}).get("variables")
        lines.append("Whether other site sets cost about the same, and how the network moves with a lever, has not "
                     "been checked: the insight commands (`alternatives`, `breakeven`, `regret`) re-solve the exact "
                     "model" + (f" ({size:,} variables here)" if size else "") + ", so they answer both only where "
                     "the exact path fits in memory (about 12 GB per million variables, docs/performance.md).")
    elif summary.get("sites_opened"):
        lines.append("Whether other site sets cost about the same has not been checked for this run: "
                     "`python solve.py alternatives` lists them and names the sites open in all (docs/insight.md).")
    if not (summary.get("insight") or {}).get("breakeven") and summary.get("method") != "lagrangian":
        lines.append("How the network moves with a lever or an uncertain input (a tax factor, a cost) has not been "
                     "traced: `python solve.py breakeven KEY --range LO:HI` finds where it changes.")
    if sites is not None and len(sites):
        opened = sites[sites["opened"].astype(bool)]
        full = opened[opened["utilisation"] >= FULL]
        if len(full):
            lines.append(f"{len(full)} of the {len(opened)} opened sites run at full capacity: the number and size "
                         "of sites follow the assumed capacity of each level (`site_levels.csv`).")
    unmet = summary.get("unmet_share")
    if unmet:
        lines.append(f"{unmet:.1%} of orders are not served; summary.json -> unmet says where and why.")
    params = summary.get("parameters") or {}
    if params.get("periods", 1) == 1:
        lines.append("One-period model: flows are yearly averages, so seasonal peaks are not sized for "
                     "(`--set periods=12` plans month by month).")
    lines.append("Demand and the exchange rate are taken as known; `python solve.py --stochastic` plans "
                 "against scenarios of both (docs/uncertainty.md).")
    if summary.get("overrides"):
        lines.append("Set for this run: " + ", ".join(f"`{k}` = {v}" for k, v in summary["overrides"].items()) + ".")
    return lines
