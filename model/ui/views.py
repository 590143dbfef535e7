"""What the Results and Compare pages show, built from a run's own files (summary.json, sites.csv,
flows.csv, report.md, map.html) and the comparison of ``solve.py compare``: nothing is recomputed."""
from __future__ import annotations

import re
from pathlib import Path

import dash_ag_grid as dag
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from model import regimes
from model.core.formats import quantity, usd
from model.report.display import term_name
from model.studies.compare import read_run
from model.studies.compare_text import headline_rows, input_rows, letters, resolution, site_rows

CAVEAT_SECTIONS = ("What this answer rests on", "What holds across the gap")


#: numbers shown to 4 significant figures (the data support no more); sorting still uses the value
NUMBER = {"function": "params.value == null ? '' : "
                      "Number(params.value).toLocaleString('en-US', {maximumSignificantDigits: 4})"}


def grid(id_: str, df: pd.DataFrame, height: int = 320) -> dag.AgGrid:
    """A read-only sortable, filterable table."""
    def col(c):
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
            return {"field": c, "valueFormatter": NUMBER, "type": "numericColumn"}
        return {"field": c}

    return dag.AgGrid(id=id_, rowData=df.to_dict("records"), columnDefs=[col(c) for c in df.columns],
                      defaultColDef={"sortable": True, "filter": True, "resizable": True},
                      columnSize="autoSize", style={"height": f"{height}px"})


def _tile(key: str, label: str, value: str) -> html.Div:
    return html.Div([html.Div(label, className="tile-label"), html.Div(value, className="tile-value")],
                    className="tile", id=f"kpi-{key}")


def kpi_tiles(summary: dict, sites: pd.DataFrame) -> html.Div:
    """Total cost, network cost, taxes, each regime's share, sites opened, lead times, share within target."""
    k = summary.get("kpis") or {}
    taxes = (k.get("tax_revenue_usd") or {}).get("total")
    opened = sites[sites["opened"].astype(str).str.lower().isin(["true", "1"])]
    target = k.get("service_target_hours")
    tiles = [_tile("total", "Total cost per year", usd(summary.get("objective"))),
             _tile("network", "Network cost (without taxes)", usd(k.get("network_cost_usd"))),
             _tile("taxes", "Duties and VAT", usd(taxes)),
             _tile("sites", "Sites opened", f"{len(opened)}"),
             _tile("lead", "Lead time mean / p95",
                   f"{k.get('lead_time_mean_hours') or 0:.0f} h / {k.get('lead_time_p95_hours') or 0:.0f} h"),
             _tile("within", f"Orders within {target or 72:g} h",
                   f"{k['share_within_target']:.0%}" if k.get("share_within_target") is not None else "n/a")]
    for mode, share in (summary.get("mode_share") or {}).items():
        if share:
            tiles.append(_tile(f"share-{mode}", regimes.label(mode), f"{share:.0%}"))
    if summary.get("unmet_share"):
        tiles.append(_tile("unmet", "Unmet demand", f"{summary['unmet_share']:.0%}"))
    return html.Div(tiles, className="tiles", id="kpi-tiles")


def cost_chart(summary: dict) -> dcc.Graph:
    terms = [(term_name(t), v) for t, v in (summary.get("cost_breakdown") or {}).items() if v]
    fig = go.Figure(go.Bar(x=[v for _, v in terms], y=[t for t, _ in terms], orientation="h"))
    fig.update_layout(title="Cost breakdown, USD per year", height=120 + 28 * len(terms),
                      margin={"l": 220, "r": 20, "t": 40, "b": 30}, yaxis={"autorange": "reversed"})
    return dcc.Graph(figure=fig, id="cost-chart", config={"displaylogo": False})


def class_chart(summary: dict) -> dcc.Graph | None:
    """Each SKU class's split across the regimes (stacked)."""
    by_class = (summary.get("kpis") or {}).get("mode_share_by_class") or {}
    if not by_class:
        return None
    modes = sorted({m for shares in by_class.values() for m, v in shares.items() if v})
    fig = go.Figure([go.Bar(name=regimes.label(m) if m != "unmet" else "unmet", x=list(by_class),
                            y=[by_class[c].get(m, 0) for c in by_class]) for m in modes])
    fig.update_layout(barmode="stack", title="Regime shares by SKU class", height=320, yaxis={"tickformat": ".0%"},
                      margin={"l": 50, "r": 20, "t": 40, "b": 40})
    return dcc.Graph(figure=fig, id="class-chart", config={"displaylogo": False})


def caveats(folder: Path) -> str:
    """The report's sections on what the answer rests on and what holds across the gap (Markdown)."""
    path = folder / "report.md"
    if not path.is_file():
        return "(no report.md in this run)"
    parts = re.split(r"^(## .*)$", path.read_text(encoding="utf-8"), flags=re.M)
    out = [f"{h}\n{body}" for h, body in zip(parts[1::2], parts[2::2]) if h[3:].strip() in CAVEAT_SECTIONS]
    return "\n".join(out) or "(the report states no caveats)"


def map_frame(run: str, folder: Path, id_: str = "map-frame") -> html.Iframe | html.Div:
    if not (folder / "map.html").is_file():
        return html.Div("this run has no map.html (run without --no-map)", className="note")
    return html.Iframe(src=f"/files/{run}/map.html", id=id_, className="map")


def results_page(run: str, folder: Path) -> html.Div:
    r = read_run(folder)
    s = r.summary
    shown = r.sites[r.sites["opened"].astype(str).str.lower().isin(["true", "1"])]
    site_cols = [c for c in ("site", "name", "province_name", "site_type", "level", "throughput_orders",
                             "utilisation", "regimes_held", "fixed_cost_usd") if c in shown.columns]
    flows = (pd.read_csv(folder / "flows.csv", dtype={"zone": str, "site": str}) if (folder / "flows.csv").is_file()
             else pd.DataFrame())
    flow_cols = [c for c in ("mode", "leg", "origin", "gateway", "site", "site_name", "zone", "zone_name", "product",
                             "orders", "lead_hours", "usd_per_order", "cost_usd") if c in flows.columns]
    downloads = [html.A(f, href=f"/files/{run}/{f}", download=f, className="download", id=f"dl-{f.split('.')[0]}")
                 for f in ("results.xlsx", "sites.geojson", "flows.geojson", "report.md") if (folder / f).is_file()]
    return html.Div([
        html.H2(f"Run {r.name}", id="results-title"),
        html.P(f"{s.get('status')}, gap {s.get('gap') or 0:.1e}; demand {quantity(s.get('total_demand_orders') or 0)} "
               f"orders per year; folder {folder}"),
        kpi_tiles(s, r.sites),
        html.H3("Map"), map_frame(run, folder),
        html.H3("Sites opened"), grid("sites-grid", shown[site_cols], 260),
        html.H3("Flows"), grid("flows-grid", flows[flow_cols], 320),
        html.Div([cost_chart(s), class_chart(s)], className="charts"),
        html.H3("Caveats"), dcc.Markdown(caveats(folder), id="caveats"),
        html.H3("Downloads"), html.Div(downloads, id="downloads"),
    ])


def compare_page(names: list[str], folders: list[Path]) -> html.Div:
    runs = [read_run(f) for f in folders]
    tags = letters(len(runs))
    legend = html.Ul([html.Li(f"{t} = {n}") for t, n in zip(tags, names)])
    inputs = input_rows(runs)
    sites = site_rows(runs)
    return html.Div([
        legend,
        html.H3("Inputs that differ"),
        grid("compare-inputs", inputs, 200) if len(inputs) else html.P("the runs have the same inputs",
                                                                         id="compare-inputs"),
        html.H3("Headline (B - A: the difference to the first run)"),
        grid("compare-headline", headline_rows(runs, resolution(runs)), 640),
        html.H3("Sites that differ"),
        grid("compare-sites", sites, 220) if len(sites) else html.P("every run opens the same sites at the same "
                                                                    "levels with the same regimes",
                                                                    id="compare-sites"),
        html.H3("Maps"),
        html.Div([html.Div([html.H4(f"{t}: {n}"), map_frame(n, f, f"compare-map-{t}")], className="side")
                  for t, n, f in zip(tags, names, folders)], className="sides"),
    ])
