"""Rendering of a roll-out (model.studies.rollout): the Gantt chart of openings and upgrades, one
map per year, and report.md in words. Solves nothing."""
from __future__ import annotations

import math

import pandas as pd

from model import regimes
from model.core.formats import usd
from model.io.terms import label
from model.report.maps import province_geometry

LEVEL_COLOURS = {1: "#9ecae1", 2: "#4292c6", 3: "#08519c"}


def _fig(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _ranks(plan) -> dict:
    lv = plan.data.levels
    return {(k, name): r for k, name, r in zip(lv["site"], lv["level"], lv["rank"])}


def write_gantt(plan, path) -> None:
    """Rows = sites that open, columns = years; each bar coloured by level (darker = larger), a
    marker where the site opens (o) or steps up (^), bonded-fenced years hatched."""
    df = plan.sites
    years = plan.data.years
    sites = list(dict.fromkeys(df.sort_values(["year", "site"])["site"])) if len(df) else []
    fig = _fig(8, 1.2 + 0.35 * max(len(sites), 1))
    ax = fig.add_subplot(111)
    rank = _ranks(plan)
    for i, k in enumerate(sites):
        rows = df[df["site"] == k]
        for r in rows.itertuples():
            rk = rank[(k, r.level)]
            ax.barh(i, 1.0, left=r.year - 0.5, color=LEVEL_COLOURS.get(rk, "#08306b"), edgecolor="white",
                    hatch="//" if r.fenced_for_bonded else None)
            if r.change:
                ax.plot(r.year - 0.4, i, marker="o" if r.change == "open" else "^", color="black", markersize=5)
    ax.set_yticks(range(len(sites)))
    ax.set_yticklabels([f"{k} {df.loc[df['site'] == k, 'name'].iloc[0][:28]}" for k in sites], fontsize=7)
    ax.set_xticks(years)
    ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    ax.invert_yaxis()
    from matplotlib.patches import Patch

    names = plan.data.levels.drop_duplicates("rank").sort_values("rank")
    handles = [Patch(color=LEVEL_COLOURS.get(r, "#08306b"), label=n) for n, r in zip(names["level"], names["rank"])]
    handles.append(Patch(facecolor="white", edgecolor="black", hatch="//", label="fenced for bonded stock"))
    ax.legend(handles=handles, fontsize=7, loc="lower right")
    ax.set_title("Roll-out: o = opens, ^ = steps up a level", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def gantt_writer(plan) -> dict:
    return {"rollout.png": lambda p: write_gantt(plan, p)}


def write_year_map(plan, year: int, path) -> None:
    """Province outlines, every candidate site (grey) and the sites held in ``year`` (size = level,
    red = holds bonded stock)."""
    sc = plan.data.scenarios[year]
    fig = _fig(4.5, 7)
    ax = fig.add_subplot(111)
    geo = province_geometry(sc)
    if len(geo):
        geo.boundary.plot(ax=ax, linewidth=0.3, color="#888888")
    cand = sc.tables["sites"]
    ax.scatter(cand["lon"], cand["lat"], s=8, color="#cccccc", zorder=2)
    rows = plan.sites[plan.sites["year"] == year].merge(cand[["site", "lat", "lon"]], on="site")
    rank = _ranks(plan)
    size = [30 * rank[(k, lvl)] ** 1.5 for k, lvl in zip(rows["site"], rows["level"])]
    colour = ["#d62728" if "bonded" in str(h).split() else "#1f77b4" for h in rows["regimes_held"]]
    ax.scatter(rows["lon"], rows["lat"], s=size, c=colour, edgecolor="black", linewidth=0.5, zorder=3)
    for r in rows.itertuples():
        ax.annotate(r.site, (r.lon, r.lat), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_title(f"{year}: {len(rows)} sites (red: bonded stock)", fontsize=9)
    ax.set_aspect("equal")
    ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def year_map_writers(plan) -> dict:
    return {f"map_{t}.png": (lambda y: (lambda p: write_year_map(plan, y, p)))(t) for t in plan.data.years}


def _timeline_words(plan) -> list[str]:
    out = []
    for y, k, v in plan.data.timeline:
        out.append(f"from {y}: `{k}` = {v}")
    return out


def report_text(plan, myopic, summary: dict, brief: bool = False) -> str:
    """report.md: what opens when and why (the budget, the policy dates, demand growth)."""
    data, df, yr = plan.data, plan.sites, plan.years
    lines = [] if brief else [f"# Roll-out {data.years[0]}-{data.years[-1]}: {summary['scenario']}", ""]
    lines.append(f"Net present value of the plan: {usd(plan.npv)} at {data.discount_rate:.1%} a year "
                 f"({summary['status']}, gap {summary['gap'] if summary['gap'] is not None else 'n/a'}); capital "
                 f"expenditure {usd(summary['capex_usd'])} over the horizon.")
    if myopic is not None and myopic.npv is not None:
        lines.append(f"Planned one year at a time (myopic): {usd(myopic.npv)}; the cost of myopia is "
                     f"{usd(summary['cost_of_myopia_usd'])} ({summary['cost_of_myopia_share']:.2%} of the NPV; "
                     f"between {usd(summary['cost_of_myopia_range_usd'][0])} and "
                     f"{usd(summary['cost_of_myopia_range_usd'][1])} given the foresight solve's bound; each solve "
                     f"stops within a {summary['mip_rel_gap']:g} gap).")
    lines.append("")
    changes = df[df["change"] != ""] if len(df) else df
    for t in data.years:
        ch = changes[changes["year"] == t] if len(changes) else changes
        y = yr[yr["year"] == t].iloc[0]
        why = []
        if math.isfinite(data.budget[t]) and y["budget_used_share"] is not None and y["budget_used_share"] > 0.98:
            why.append(f"the budget binds ({usd(y['capex_usd'])} of {usd(data.budget[t])})")
        dates = [f"`{k}` = {v}" for yy, k, v in data.timeline if yy == t]
        if dates:
            why.append("the policy changes: " + ", ".join(dates))
        if t != data.years[0]:
            prev = yr[yr["year"] == t - 1]["demand_orders"]
            if len(prev) and prev.iloc[0] > 0:
                why.append(f"demand {y['demand_orders'] / prev.iloc[0] - 1:+.1%} on {t - 1}")
        what = "; ".join(f"{r.site} ({r.name[:40]}) {'opens' if r.change == 'open' else 'steps up'} at {r.level}"
                         f"{' holding ' + r.regimes_held if r.regimes_held else ''}, capex {usd(r.capex_usd)}"
                         for r in ch.itertuples()) or "no opening or upgrade"
        shares = ", ".join(f"{regimes.label(md)} {y[f'share_{md}']:.0%}" for md in regimes.MODES
                           if y[f"share_{md}"] > 0.005)
        lines.append(f"- **{t}**: {what}. {int(y['sites_open'])} sites open; {shares}; year cost "
                     f"{usd(y['year_cost_usd'])}, taxes {usd(y['taxes_usd'])}"
                     + (f". Why: {'; '.join(why)}." if why else "."))
    if brief:
        return "\n".join(lines)
    lines += ["", "## Policy timeline", ""]
    lines += [f"- {w}" for w in _timeline_words(plan)] or ["- none: the scenario's policy every year"]
    lines += ["", "## Net present value by term", "", "| term | USD (discounted) |", "|---|---|"]
    for term, v in summary["npv_parts_usd"].items():
        name = "annuity of the bonded fences" if term == "fence_annuity" else label(term)
        lines.append(f"| {name} | {usd(v)} |")
    lines += ["", "## How it is counted", "",
              f"Year t's cost is discounted by (1 + {data.discount_rate:g})^-(t - {data.years[0]}). "
              + summary["end_of_horizon"] + ". Capital expenditure (level steps at "
              + ", ".join(f"{k} {usd(v)}" for k, v in summary["level_capex_usd"].items())
              + f" cumulative, a bonded fence {usd(data.setup_capex)} once per site) is what the yearly budget "
              "limits; it is reported in cash beside the NPV (`capex_discounted_usd` in summary.json), not added "
              "to it, since its annuity already is. See docs/formulation.md, \"Roll-out\"."]
    if myopic is not None and len(myopic.sites):
        lines += ["", "## The myopic plan", ""]
        ch = myopic.sites[myopic.sites["change"] != ""]
        for t in data.years:
            c = ch[ch["year"] == t]
            lines.append(f"- {t}: " + ("; ".join(f"{r.site} {r.change} {r.level}" for r in c.itertuples())
                                       or "no change"))
    return "\n".join(lines) + "\n"


def plan_table(plan) -> pd.DataFrame:
    """Site x year levels, GenX-style (a level name, or empty)."""
    if not len(plan.sites):
        return pd.DataFrame()
    return plan.sites.pivot(index="site", columns="year", values="level").reindex(columns=plan.data.years)
