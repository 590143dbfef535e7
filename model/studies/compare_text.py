"""What ``compare`` prints and writes first: the inputs that differ, about 20 headline rows with
absolute and relative deltas, and the sites whose level or regime differs, by name.

Every table fits a 120-column terminal: the runs are columns A, B, C ... (named above the table),
and a table too wide for 120 columns is printed in blocks of runs, the first column repeated. A
difference smaller than what the runs resolve (money: their larger gap x the larger total cost) is
shown with its value and marked ``*``, never hidden as 0.
"""
from __future__ import annotations

import math
import string

import pandas as pd

from model import regimes
from model.core.formats import usd
from model.io.run_identity import value_text
from model.io.scenario import parameter_keys

WIDTH = 120  # the terminal the printed tables fit
IN_GAP = "*"  # marks a difference smaller than what the runs resolve


def letters(n: int) -> list[str]:
    """Column names of ``n`` runs: A, B, ..., Z, AA, AB, ..."""
    out = []
    for i in range(n):
        out.append(string.ascii_uppercase[i] if i < 26 else string.ascii_uppercase[i // 26 - 1] +
                   string.ascii_uppercase[i % 26])
    return out


# ----------------------------------------------------------------------------- inputs

def input_rows(runs) -> pd.DataFrame:
    """The parameters whose values differ between the runs: ``parameter``, ``unit``, then one
    column per run (its value as typed, ``none`` = the tables' own), from each summary's
    ``parameters``. When every parameter agrees but the input hashes differ, one row says the data
    tables differ."""
    keys = parameter_keys()
    params = [r.summary.get("parameters") or {} for r in runs]
    names = letters(len(runs))
    rows = []
    for key in dict.fromkeys(k for p in params for k in p):  # first-seen order
        shown = [value_text(p[key]) if key in p else "(not recorded)" for p in params]
        if len(set(shown)) > 1:
            rows.append({"parameter": key, "unit": keys.at[key, "unit"] if key in keys.index else "",
                         **dict(zip(names, shown))})
    hashes = [str(r.summary.get("input_hash") or "") for r in runs]
    if len(set(hashes)) > 1:
        rows.append({"parameter": "input hash (tables + parameters)", "unit": "", **dict(zip(names, hashes))})
    return pd.DataFrame(rows, columns=["parameter", "unit", *names])


# ----------------------------------------------------------------------------- headline

def _get(s: dict, *path):
    x = s
    for p in path:
        if not isinstance(x, dict):
            return None
        x = x.get(p)
    return x if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def headline_metrics(runs) -> list[tuple[str, str, str, callable]]:
    """(label, unit, kind, getter(summary)) of the headline rows; kind: money | share | count | hours | t.
    Each regime any run uses gets its share row."""
    modes = [md for md in regimes.MODES if any((r.summary.get("mode_share") or {}).get(md) for r in runs)]
    rows = [
        ("total cost", "USD/yr", "money", lambda s: _get(s, "objective")),
        ("network cost without taxes", "USD/yr", "money", lambda s: _get(s, "kpis", "network_cost_usd")),
        ("duties and VAT collected", "USD/yr", "money", lambda s: _get(s, "kpis", "tax_revenue_usd", "total")),
        ("  of which at entry", "USD/yr", "money", lambda s: _get(s, "kpis", "tax_revenue_usd", "at_entry")),
        ("effective tax rate", "of value", "share", lambda s: _get(s, "kpis", "effective_tax_rate", "overall")),
        ("fixed + compliance cost", "USD/yr", "money",
         lambda s: _sum(_get(s, "cost_breakdown", "fixed_cost"), _get(s, "cost_breakdown", "compliance_cost"))),
        ("transport to the sites", "USD/yr", "money",
         lambda s: _sum(_get(s, "cost_breakdown", "linehaul_cost"), _get(s, "cost_breakdown", "trucking_cost"))),
        ("last mile", "USD/yr", "money", lambda s: _get(s, "cost_breakdown", "last_mile_cost")),
        (f"{regimes.label('direct_mail')} postage", "USD/yr", "money",
         lambda s: _get(s, "cost_breakdown", "direct_mail_cost")),
        ("stock and inventory", "USD/yr", "money",
         lambda s: _sum(_get(s, "cost_breakdown", "stock_cost"), _get(s, "cost_breakdown", "inventory_cost"))),
        *[(f"share {regimes.label(md)}", "of orders", "share", lambda s, md=md: _get(s, "mode_share", md))
          for md in modes],
        ("share not served", "of orders", "share", lambda s: _get(s, "unmet_share")),
        ("sites opened", "sites", "count", lambda s: float(len(s.get("sites_opened") or []))),
        ("lead time, mean", "hours", "hours", lambda s: _get(s, "kpis", "lead_time_mean_hours")),
        ("lead time, 95th percentile", "hours", "hours", lambda s: _get(s, "kpis", "lead_time_p95_hours")),
        ("share within the target (72 h)", "of orders", "share", lambda s: _get(s, "kpis", "share_within_target")),
        ("working capital in stock", "USD", "money", lambda s: _get(s, "kpis", "working_capital_usd")),
        ("transport CO2", "t CO2e/yr", "t", lambda s: _get(s, "kpis", "co2_t")),
    ]
    targets = {_get(r.summary, "kpis", "service_target_hours") for r in runs} - {None}
    if len(targets) == 1:  # the target's own hours when every run has the same one
        hours = targets.pop()
        rows = [(f"share within the target ({hours:g} h)", *x[1:]) if x[0].startswith("share within") else x
                for x in rows]
    return rows


def _sum(*xs):
    xs = [x for x in xs if x is not None]
    return float(sum(xs)) if xs else None


def _fmt(kind: str, x, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    sign = "+" if signed and x > 0 else ""
    if kind == "money":
        return sign + usd(x).replace("USD ", "")
    if kind == "share":
        return f"{x * 100:+.1f} pt" if signed else f"{x:.1%}"
    if kind == "hours":
        return f"{sign}{x:.3g}"
    if kind == "count":
        return f"{sign}{x:.0f}"
    return f"{sign}{x:.3g}"


def run_gap(summary: dict) -> float | None:
    """The relative gap a run is known to: the larger of the gap asked and the gap reached."""
    gaps = [g for g in (summary.get("gap"), (summary.get("solver") or {}).get("mip_rel_gap"))
            if isinstance(g, (int, float)) and math.isfinite(g)]
    return max(gaps) if gaps else None


def resolution(runs) -> float:
    """USD: the smallest money difference the runs resolve, their larger gap x the larger total cost."""
    gaps = [g for g in (run_gap(r.summary) for r in runs) if g is not None]
    objective = max((abs(r.summary["objective"]) for r in runs if r.summary.get("objective") is not None),
                    default=0.0)
    return max(gaps, default=0.0) * objective


def headline_rows(runs, money_resolution: float) -> pd.DataFrame:
    """One row per headline metric: ``metric``, ``unit``, each run's value (text), and for each
    other run ``<X> - A`` (marked :data:`IN_GAP` when a money difference is below
    ``money_resolution``) and ``<X> / A`` (relative change)."""
    names = letters(len(runs))
    out = []
    for label, unit, kind, get in headline_metrics(runs):
        values = [get(r.summary) for r in runs]
        if all(v is None for v in values):
            continue
        row = {"metric": label, "unit": unit, **{n: _fmt(kind, v) for n, v in zip(names, values)}}
        a = values[0]
        for n, v in zip(names[1:], values[1:]):
            d = None if a is None or v is None else v - a
            text = _fmt(kind, d, signed=True) if d else ("0" if d == 0 else "-")
            if d and kind == "money" and abs(d) <= money_resolution:
                text += IN_GAP
            row[f"{n} - A"] = text
            row[f"{n} / A"] = (f"{d / abs(a):+.1%}" if d and a and kind != "share" else "")
        out.append(row)
    return pd.DataFrame(out)


# ----------------------------------------------------------------------------- sites

def _held(run) -> dict[str, str]:
    """Site -> 'large: general trade + bonded CBEC stock' for every site the run opens."""
    s = run.sites
    opened = s[s["opened"].astype(str).str.lower().isin(["true", "1"])]
    held = opened["regimes_held"] if "regimes_held" in opened.columns else pd.Series("", index=opened.index)
    return {str(k): (str(lv), " + ".join(regimes.label(m) for m in str(h).split()) if isinstance(h, str) else "")
            for k, lv, h in zip(opened["site"], opened["level"], held)}


def site_rows(runs) -> pd.DataFrame:
    """The sites whose level or regimes differ between the runs: ``site`` (id and name), then per
    run 'level: regimes' or '-' (closed), then ``what changes`` in words (level, regime, opened/closed)."""
    held = [_held(r) for r in runs]
    names_of: dict = {}
    for r in runs:
        if "name" in r.sites.columns:
            names_of.update(
                {str(k): str(n) for k, n in zip(r.sites["site"], r.sites["name"]) if str(k) not in names_of}
            )
    letters_ = letters(len(runs))
    rows = []
    for site in sorted(set().union(*held)):
        states = [h.get(site) for h in held]
        if len({s for s in states}) == 1:
            continue
        what = []
        levels = {s[0] for s in states if s}
        kinds = {s[1] for s in states if s}
        if any(s is None for s in states):
            what.append("opened / closed")
        if len(levels) > 1:
            what.append("level")
        if len(kinds) > 1:
            what.append("regime")
        name = names_of.get(site, "")
        rows.append({"site": f"{site} {name}" if name and name != site else site,
                     **{n: (f"{s[0]}: {s[1]}" if s and s[1] else s[0] if s else "-") for n, s in zip(letters_, states)},
                     "what changes": ", ".join(what)})
    return pd.DataFrame(rows, columns=["site", *letters_, "what changes"])


# ----------------------------------------------------------------------------- text

def _clip(text: str, width: int) -> str:
    text = str(text)
    return text if len(text) <= width else text[:max(1, width - 1)] + "~"


def fit_table(df: pd.DataFrame, first: list[str], max_width: int = WIDTH, cap: dict | None = None) -> list[str]:
    """``df`` as fixed-width text lines no longer than ``max_width``: the ``first`` columns are
    repeated in every block, the others split into as many blocks as needed; each column is as
    wide as its longest cell, capped by ``cap`` ({column: width}, cells clipped with '~')."""
    cap = cap or {}
    width = {c: min(max([len(str(c)), *(len(str(v)) for v in df[c])]), cap.get(c, 10 ** 6)) for c in df.columns}
    fixed = sum(width[c] + 2 for c in first)
    if fixed > max_width // 2:  # the first columns leave room for at least half the line
        scale = (max_width // 2) / fixed
        for c in first:
            width[c] = max(8, int(width[c] * scale) - 2)
        fixed = sum(width[c] + 2 for c in first)
    for c in df.columns:
        width[c] = min(width[c], max_width - fixed - 2)
    blocks, block, used = [], [], fixed
    for c in [c for c in df.columns if c not in first]:
        if block and used + width[c] + 2 > max_width:
            blocks.append(block)
            block, used = [], fixed
        block.append(c)
        used += width[c] + 2
    blocks.append(block)
    lines = []
    for i, cols in enumerate(blocks):
        if i:
            lines.append("")
        shown = [*first, *cols]

        def line(cells):
            return "  ".join(
                (f"{_clip(v, width[c]):<{width[c]}}" if c in first else f"{_clip(v, width[c]):>{width[c]}}")
                for c, v in zip(shown, cells)
            ).rstrip()
        lines.append(line(shown))
        lines += [line([row[c] for c in shown]) for _, row in df.iterrows()]
    return [f"  {x}" if x else x for x in lines]


def comparison_lines(runs, warning: str | None = None) -> list[str]:
    """The comparison as a planner reads it, for a 120-column terminal: the runs, the inputs that
    differ, the headline rows, the sites whose level or regime differs."""
    names = letters(len(runs))
    res = resolution(runs)
    lines = ["Runs (A is the reference):"]
    lines += [f"  {n} = {_clip(r.name, 50)}  ({_clip(r.source, WIDTH - 62)})" for n, r in zip(names, runs)]
    lines += ["", "Inputs that differ:"]
    inputs = input_rows(runs)
    if len(inputs):
        lines += fit_table(inputs, ["parameter", "unit"], cap={"parameter": 36, "unit": 16})
        lines.append("  (differences in results below come from all of these together)")
    else:
        lines.append("  none: the runs have the same tables and parameters")
    lines += ["", "Headline (money in USD per year; shares of orders; A's value, then each run's change):"]
    lines += fit_table(headline_rows(runs, res), ["metric", "unit"], cap={"metric": 32})
    known = any(run_gap(r.summary) is not None for r in runs)
    lines.append(f"  {IN_GAP} within what the runs resolve (their gap x the total cost = {usd(res)}): "
                 "a plan within the gap may differ by as much" if res else
                 "  (the runs are solved to a zero gap: every difference is resolved)" if known else
                 "  (the runs' gaps are unknown: no difference is marked as unresolved)")
    if warning:
        lines.append(f"  {warning}")
    sites = site_rows(runs)
    lines += ["", f"Sites whose level or regime differs ({len(sites)}):" if len(sites) else
              "Sites: every run opens the same sites at the same levels, holding the same regimes."]
    if len(sites):
        lines += fit_table(sites, ["site"], cap={"site": 40})
    return lines


def comparison_markdown(runs, warning: str | None, md_text) -> list[str]:
    """The same three sections as Markdown tables (``md_text`` escapes text from the data)."""
    names = letters(len(runs))
    res = resolution(runs)

    def table(df: pd.DataFrame) -> list[str]:
        return ["| " + " | ".join(md_text(c) for c in df.columns) + " |", "|" + "---|" * len(df.columns),
                *["| " + " | ".join(md_text(v) for v in row) + " |" for row in df.astype(str).itertuples(index=False)]]

    lines = ["## Runs", "", *[f"- {n} = `{md_text(r.name)}` ({md_text(r.source)})" for n, r in zip(names, runs)], "",
             "## Inputs that differ", ""]
    inputs = input_rows(runs)
    lines += table(inputs) if len(inputs) else ["None: the runs have the same tables and parameters."]
    lines += ["", "## Headline", "", "Money in USD per year. " + (
        f"{IN_GAP}: a difference within what the runs resolve (their gap x the total cost = {usd(res)})." if res
        else ""), ""]
    if warning:
        lines += [f"> **{md_text(warning)}**", ""]
    lines += table(headline_rows(runs, res))
    sites = site_rows(runs)
    lines += ["", "## Sites whose level or regime differs", ""]
    lines += table(sites) if len(sites) else ["None: every run opens the same sites at the same levels and regimes."]
    return lines + [""]
