"""The insight sections of report.md and the site pop-up lines of map.html, from summary.json -> insight.

A neutral module: the renderers (model.report.markdown, model.report.maps) read what the insight commands
(model.studies) stored in summary.json through it, and it imports neither side.
"""
from __future__ import annotations

from model.core.formats import usd as _usd
from model.core.names import named
from model.io.outputs import md_text
from model.report.breakeven_text import switch_sentences, switch_summary


def _named(code, names: dict | None) -> str:
    """'79 Hồ Chí Minh' from a code and {code: name}, or the code alone (:func:`model.core.names.named`)."""
    return named(code, names or {})


def robust_sites(summary: dict) -> set:
    """Sites open in every near-optimal alternative (empty when alternatives were not run)."""
    return set(((summary.get("insight") or {}).get("alternatives") or {}).get("robust_sites") or [])


def site_notes(summary: dict) -> dict[str, list[str]]:
    """Site -> lines for its map pop-up: robust or not, regret, value of capacity (plain text)."""
    ins = summary.get("insight") or {}
    notes: dict[str, list[str]] = {}
    alt = ins.get("alternatives")
    if alt:
        for k in alt.get("sites_in_some", []):
            notes.setdefault(k, []).append("robust: open in every near-optimal alternative" if k in alt["robust_sites"]
                                           else "open in some near-optimal alternatives only")
    for r in (ins.get("regret") or {}).get("rows", []):
        if r["open_at_optimum"] and r["regret_closed_usd"] is not None:
            notes.setdefault(r["site"], []).append(f"regret if closed: {_usd(r['regret_closed_usd'])}/yr")
        elif not r["open_at_optimum"] and r["regret_open_usd"] is not None:
            notes.setdefault(r["site"], []).append(f"regret if forced open: {_usd(r['regret_open_usd'])}/yr")
    for k, v in ((ins.get("shadow_prices") or {}).get("capacity_value_usd_per_order") or {}).items():
        notes.setdefault(k, []).append(f"one more order/yr of capacity saves {v:,.2f} USD/yr")
    return notes


def insight_markdown(summary: dict, zone_names: dict | None = None, site_names: dict | None = None,
                     zone_regions: dict | None = None) -> list[str]:
    """report.md lines for every insight section present (none when no insight command has run);
    ``zone_names`` / ``site_names`` ({code: name}) put names beside the codes, ``zone_regions``
    ({code: region}) groups the provinces of a break-even switch. Every code, name and note from
    data goes through :func:`model.outputs.md_text` (no raw HTML, links or pipes)."""
    md = md_text
    ins = summary.get("insight") or {}
    lines: list[str] = []

    def sites(codes) -> str:
        return ", ".join(md(_named(k, site_names)) for k in codes)

    alt = ins.get("alternatives")
    if alt:
        lines += ["", "## Near-optimal alternatives", "",
                  f"Other sets of sites costing at most {alt['within']:.1%} more than the network of this run "
                  f"(each solve to a {alt['gap']:g} relative gap, so differences below about "
                  f"{_usd(alt['gap'] * alt['rows'][0]['cost_usd'])} are not resolved). Found {alt['found']}; "
                  f"the search stopped because: {md(alt['stopped'])} ({alt['solves']} solves, "
                  f"{alt['seconds']:.0f} s).", "",
                  "Opens and closes compare each set with the network of this run (rank marked *); cost "
                  "differences are taken from the cheapest set found.", "",
                  "| rank | sites | cost per year | more than the cheapest | opens | closes | main cost differences |",
                  "|---|---|---|---|---|---|---|"]
        for r in alt["rows"]:
            diffs = ", ".join(f"{t.replace('_cost', '').replace('_', ' ')} {'+' if v >= 0 else ''}{_usd(v)}"
                              for t, v in r["main_differences"].items()) or "-"
            lines.append(
                f"| {r['rank']}{'*' if r.get('this_run') else ''} | {len(r['sites'])} | {_usd(r['cost_usd'])} | "
                f"{_usd(r['delta_usd'])} ({r['delta_share']:.2%}) | {', '.join(map(md, r['opens'])) or '-'} | "
                f"{', '.join(map(md, r['closes'])) or '-'} | {diffs} |"
            )
        robust = alt["robust_sites"]
        lines += ["", (f"**Robust choices** (open in every one of these networks): {sites(robust)}."
                       if robust else "No site is open in every one of these networks.")]
        flexible = sorted(set(alt["sites_in_some"]) - set(robust))
        if flexible:
            lines.append(f"Open in some only (a choice the costs do not settle): {sites(flexible)}.")
    for key, be in (ins.get("breakeven") or {}).items():
        lines += ["", f"## Break-even values of `{key}`", ""]
        lines += [f"- {md(t)}" for s in be["switches"] for t in switch_sentences(
            s, key, be["unit"], zone_names, zone_regions, site_names, len(zone_names) if zone_names else None)]
        lines += [""] if be["switches"] else []
        lines += [f"Searched {be['range'][0]:g} to {be['range'][1]:g} ({be['unit']}): {be['grid']} evenly spaced "
                  f"solves, then bisection to a resolution of {be['tol']:.4g}; {be['solves']} solves "
                  f"(+ {be.get('fixed_site_solves', 0)} with the sites fixed, to tell switches from near-ties) in "
                  f"{be['seconds']:.0f} s, each to a {be['gap']:g} gap."]
        if not be["switches"]:
            lines.append("The chosen sites and the main mode of every province stay the same over the whole range.")
        else:
            lines += ["", "| between | and | cost below | cost above | what changes |", "|---|---|---|---|---|"]
            for s in be["switches"]:
                lines.append(f"| {s['below']:.4g} | {s['above']:.4g} | {_usd(s['objective_below'])} | "
                             f"{_usd(s['objective_above'])} | {md(switch_summary(s))} |")
        ties = be.get("near_ties") or []
        if ties:
            lines += ["", f"Near-ties (not switches): at {len(ties)} place(s) the solves returned different site sets "
                      f"that each cost within the {be['gap']:g} gap of the other when re-solved at the other's value "
                      "with their sites fixed, so the costs do not settle the choice there:", ""]
            for t in ties:
                lines.append(f"- between {t['below']:.4g} and {t['above']:.4g}: {md(t['text'])}")
    reg = ins.get("regret")
    if reg:
        rows = [r for r in reg["rows"] if r["regret_open_usd"] is not None or r["regret_closed_usd"] is not None]
        lines += [
            "",
            "## Regret of each site",
            "",
            "What it would cost per year to overrule the optimum for one site: close a recommended site, or "
            f"open one that was left out (each solve to a {reg['gap']:g} gap: amounts below about "
            f"{_usd(reg['gap'] * reg['base_objective'])} are not resolved; {reg['solves']} solves, "
            f"{reg['seconds']:.0f} s).",
            "",
            "| site | recommended | cost of closing it | cost of forcing it open | note |",
            "|---|---|---|---|---|",
        ]

        def key(r):
            return -(r["regret_closed_usd"] or 0) if r["open_at_optimum"] else (r["regret_open_usd"] or 0)

        for r in sorted(rows, key=lambda r: (not r["open_at_optimum"], key(r))):
            lines.append(f"| {md(_named(r['site'], site_names))} | {'yes' if r['open_at_optimum'] else 'no'} | "
                         f"{_usd(r['regret_closed_usd']) if r['open_at_optimum'] else '-'} | "
                         f"{'-' if r['open_at_optimum'] else _usd(r['regret_open_usd'])} | {md(r['note'] or '')} |")
    sp = ins.get("shadow_prices")
    if sp:
        lines += ["", "## Shadow prices (sites fixed as recommended)", "",
                  "Value of one more unit at the recommended network, from the LP with the site decisions fixed; "
                  "they hold for small changes only."]
        cap = {k: v for k, v in sp["capacity_value_usd_per_order"].items() if v and v > 1e-9}
        if cap:
            lines += ["", "| site | one more order per year of capacity saves (USD per year) |", "|---|---|"]
            lines += [f"| {md(_named(k, site_names))} | {v:,.2f} |"
                      for k, v in sorted(cap.items(), key=lambda kv: -kv[1])]
        else:
            lines.append("No site is short of capacity: one more unit of capacity saves nothing.")
        zones = sp["demand_marginal_usd_per_order_by_zone"]
        if zones:
            ranked = sorted(zones.items(), key=lambda kv: -kv[1])
            head = "Marginal cost of serving one more order (USD per order, average over products and origins; " \
                   "per zone, origin and product in shadow_demand.csv): "
            if len(ranked) <= 10:
                body = ", ".join(f"{md(_named(z, zone_names))} {v:,.2f}" for z, v in ranked)
            else:
                body = ("highest " + ", ".join(f"{md(_named(z, zone_names))} {v:,.2f}" for z, v in ranked[:5])
                        + "; lowest "
                        + ", ".join(f"{md(_named(z, zone_names))} {v:,.2f}" for z, v in ranked[-5:][::-1]))
            lines += ["", head + body + "."]
        for s in sp.get("service", []):
            lines.append(f"Service target ({s['scope']}): one more percentage point of orders within the target costs "
                         f"{_usd(s['usd_per_point'])} per year ({s['usd_per_order']:,.2f} USD per order moved).")
    return lines
