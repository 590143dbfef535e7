"""``python solve.py ui``: the planner's workspace in the browser, on 127.0.0.1, offline.

Dash (its JavaScript, plotly.js and AG Grid served by the app itself: no CDN) over the existing
pieces: scenario files that ``extends`` their parent (``workspace``), the command line in a background
process (``runs``), a run's own files and ``solve.py compare``'s tables (``views``). Pages: Scenarios,
Levers and inputs, Runs, Results, Compare.
"""
from __future__ import annotations

import argparse
import logging
import threading
import webbrowser
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import dash_ag_grid as dag
import flask
import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from model.core.errors import ScenarioError
from model.io.outputs import OutputRefused
from model.ui.runs import RunQueue
from model.ui.views import compare_page, results_page
from model.ui.workspace import EDITABLE_TABLES, RUN_FILES, Workspace

HOST = "127.0.0.1"  # the workspace writes files: never reachable from another machine
PAGES = [("/", "Scenarios"), ("/levers", "Levers and inputs"), ("/runs", "Runs"), ("/results", "Results"),
         ("/compare", "Compare")]
STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222}
nav{background:#1f3a5f;padding:8px 16px} nav a{color:#fff;margin-right:18px;text-decoration:none;font-weight:600}
main{padding:12px 20px} .tiles{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.tile{border:1px solid #ccd;border-radius:6px;padding:8px 12px;min-width:150px;background:#f6f8fb}
.tile-label{font-size:12px;color:#556} .tile-value{font-size:20px;font-weight:600}
.map{width:100%;height:520px;border:1px solid #ccd} .sides{display:flex;gap:10px} .side{flex:1}
.sides .map{height:420px} .msg{margin:8px 0;padding:6px 10px;background:#eef5ee}
.msg.error{background:#fbeaea;color:#8a1010;white-space:pre-wrap} .cell-error{background:#f8c9c9!important}
.msg:empty{display:none} .cell-changed{background:#fff3c4!important;font-weight:600}
.charts{display:flex;flex-wrap:wrap} .download{margin-right:16px} button{margin:4px 6px 4px 0}
table.simple td,table.simple th{border-bottom:1px solid #dde;padding:4px 10px;text-align:left}
"""


def _query(search: str | None) -> dict:
    return {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}


def _nav() -> html.Nav:
    return html.Nav([dcc.Link(label, href=href, id=f"nav-{label.split()[0].lower()}") for href, label in PAGES])


# ----------------------------------------------------------------------------- pages

def scenarios_page(ws: Workspace) -> html.Div:
    rows = ws.scenarios()
    table = html.Table([html.Tr([html.Th(h) for h in ("scenario", "whose", "extends", "file", "")])] + [
        html.Tr([html.Td(r["name"]), html.Td(r["kind"]), html.Td(r["extends"]), html.Td(r["path"]),
                 html.Td([dcc.Link("levers", href="/levers?" + urlencode({"scenario": r["name"]})), " ",
                          html.Button("run", id={"type": "run-scenario", "name": r["name"]})])],
                id=f"scenario-row-{r['name']}")
        for r in rows], className="simple", id="scenario-table")
    return html.Div([html.H2("Scenarios"),
                     html.P("The shipped scenarios and your own (saved in " + str(ws.user_dir) + "). Make one from "
                            "another on Levers and inputs: it is saved as a file that extends its parent, so "
                            "python solve.py FILE runs it too."),
                     table, html.Div(id="scenario-msg", className="msg")])


def levers_page(ws: Workspace, scenario: str | None) -> html.Div:
    names = [s["name"] for s in ws.scenarios()]
    scenario = scenario if scenario in names else (names[0] if names else None)
    return html.Div([
        html.H2("Levers and inputs"),
        html.Div(["Start from ", dcc.Dropdown(names, scenario, id="lever-parent", clearable=False,
                                              style={"width": "320px", "display": "inline-block"})]),
        html.P("Change any value (double-click it; changed values are marked); every parameter shows its unit, "
               "range, default, source and help (hover for all of it). Nothing is written until the new scenario "
               "is valid."),
        html.Div(["New scenario name ", dcc.Input(id="new-name", type="text", placeholder="e.g. half-vat"),
                  html.Button("Save as a new scenario", id="save-scenario"),
                  html.Button("Save and run", id="save-run")]),
        html.Div(id="save-msg", className="msg"),
        dcc.Tabs([
            dcc.Tab(label="Parameters", children=[dag.AgGrid(
                id="levers-grid", getRowId="params.data.key",
                columnDefs=[{"field": "key", "pinned": "left", "width": 300},
                            {"field": "value", "editable": True, "width": 140,
                             "cellClassRules": {"cell-error": "params.data._error", "cell-changed":
                                                "!params.data._error && params.value != params.data._orig"},
                             "tooltipField": "_error"},
                            {"field": "unit", "width": 150}, {"field": "range", "width": 110},
                            {"field": "default", "width": 90},
                            {"field": "source", "width": 160, "tooltipField": "source"},
                            {"field": "help", "tooltipField": "help", "flex": 1, "minWidth": 300}],
                defaultColDef={"resizable": True, "filter": True},
                dashGridOptions={"domLayout": "autoHeight", "tooltipShowDelay": 200}, style={})],
                    id="tab-parameters"),
            *[dcc.Tab(label=t.replace("_", " "), children=[html.Div(id=f"grid-{t}", children=dag.AgGrid(
                id={"type": "table-grid", "table": t}, defaultColDef={"editable": True, "resizable": True,
                                                                    "filter": True},
                dashGridOptions={"tooltipShowDelay": 200}, style={"height": "380px"}))], id=f"tab-{t}")
              for t in EDITABLE_TABLES],
        ]),
        dcc.Store(id="lever-original"), dcc.Store(id="table-original"),
    ])


def runs_page(ws: Workspace) -> html.Div:
    names = [s["name"] for s in ws.scenarios()]
    return html.Div([
        html.H2("Runs"),
        html.P("One solve at a time, the command line underneath (python solve.py SCENARIO); queued runs wait. "
               "Leaving or reloading the page does not stop a run."),
        html.Div([dcc.Dropdown(names, names[0] if names else None, id="run-scenario", clearable=False,
                               style={"width": "320px", "display": "inline-block"}),
                  html.Button("Run", id="run-button")]),
        html.Div(id="run-msg", className="msg"),
        html.Div(id="run-table"),
        dcc.Interval(id="run-tick", interval=500), dcc.Store(id="run-rows"),
    ])


def _runs_table(rows: list[dict]) -> html.Table:
    head = html.Tr([html.Th(h) for h in ("#", "run", "state", "progress", "time", "folder", "")])
    body = []
    for r in rows:
        action = (html.Button("cancel", id={"type": "cancel", "id": r["id"]}) if r["state"] in ("queued", "running")
                  else dcc.Link("results", href="/results?" + urlencode({"run": r["name"]}))
                  if r["state"] == "done" else "")
        body.append(html.Tr([html.Td(r["id"]), html.Td(r["name"]), html.Td(r["state"], className="state"),
                             html.Td(r["progress"] or r["message"], className="progress"), html.Td(r["elapsed"]),
                             html.Td(r["folder"]), html.Td(action)], id=f"run-row-{r['id']}",
                            **{"data-run": r["name"], "data-state": r["state"]}))
    return html.Table([head, *body], className="simple")


def results_shell(ws: Workspace, run: str | None) -> html.Div:
    runs = ws.finished_runs()
    run = run if run in runs else (runs[0] if runs else None)
    body = html.P("no finished run yet: start one on Runs")
    if run:
        try:
            body = results_page(run, ws.run_folder(run))
        except (ValueError, OSError) as exc:
            body = html.Div(str(exc), className="msg error")
    return html.Div([html.H2("Results"),
                     dcc.Dropdown(runs, run, id="results-run", clearable=False, style={"width": "420px"}),
                     html.Div(body, id="results-body")])


def compare_shell(ws: Workspace, chosen: list[str]) -> html.Div:
    runs = ws.finished_runs()
    return html.Div([html.H2("Compare"),
                     html.P("Two or more finished runs; the first is the reference (A)."),
                     dcc.Dropdown(runs, [r for r in chosen if r in runs], id="compare-runs", multi=True),
                     html.Div(id="compare-body")])


# ----------------------------------------------------------------------------- the app

def create_app(ws: Workspace, queue: RunQueue) -> Dash:
    app = Dash(__name__, title="vn-cbec-bonded workspace", serve_locally=True, suppress_callback_exceptions=True,
               update_title=None)
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + STYLE + "</style>")
    app.layout = html.Div([dcc.Location(id="url"), _nav(), html.Main(id="page")])

    @app.server.route("/files/<run>/<name>")
    def run_file(run, name):  # the map and the downloads of a finished run, nothing else
        if name not in RUN_FILES:
            flask.abort(404)
        try:
            folder = ws.run_folder(run)
        except OutputRefused:
            flask.abort(404)
        if not (folder / name).is_file():
            flask.abort(404)
        return flask.send_from_directory(folder, name, as_attachment=name != "map.html")

    @app.callback(Output("page", "children"), Input("url", "pathname"), State("url", "search"))
    def page(path, search):
        q = _query(search)
        if path == "/levers":
            return levers_page(ws, q.get("scenario"))
        if path == "/runs":
            return runs_page(ws)
        if path == "/results":
            return results_shell(ws, q.get("run"))
        if path == "/compare":
            return compare_shell(ws, [r for r in q.get("runs", "").split(",") if r])
        return scenarios_page(ws)

    def start(name: str) -> str:
        try:
            path = ws.scenario_path(name)
            run, msg = queue.submit(name, path)
        except (ScenarioError, ValueError) as exc:
            return f"error: {exc}"
        return msg

    @app.callback(Output("scenario-msg", "children"), Input({"type": "run-scenario", "name": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def run_from_list(clicks):
        if not ctx.triggered_id or not any(clicks):
            return no_update
        return start(ctx.triggered_id["name"])

    @app.callback(Output("levers-grid", "rowData"), Output("lever-original", "data"),
                  Output({"type": "table-grid", "table": ALL}, "rowData"),
                  Output({"type": "table-grid", "table": ALL}, "columnDefs"), Output("table-original", "data"),
                  Input("lever-parent", "value"))
    def load_levers(parent):
        rows, tables = ws.inputs(parent)
        data = [df.assign(_errors="").to_dict("records") for df in tables.values()]
        cols = [[{"field": c, "cellClassRules": {"cell-error": f"params.data._errors.split('|').includes('{c}')"},
                  "tooltipField": "_errors_text"} for c in df.columns] for df in tables.values()]
        original = {t: df.to_dict("records") for t, df in tables.items()}
        return rows, {r["key"]: r["value"] for r in rows}, data, cols, original

    @app.callback(Output("save-msg", "children"), Output("save-msg", "className"),
                  Output("levers-grid", "rowData", allow_duplicate=True),
                  Output({"type": "table-grid", "table": ALL}, "rowData", allow_duplicate=True),
                  Input("save-scenario", "n_clicks"), Input("save-run", "n_clicks"),
                  State("lever-parent", "value"), State("new-name", "value"), State("levers-grid", "rowData"),
                  State("lever-original", "data"), State({"type": "table-grid", "table": ALL}, "rowData"),
                  State("table-original", "data"), prevent_initial_call=True)
    def save(_a, _b, parent, name, rows, original, table_rows, table_original):
        changes = {r["key"]: str(r["value"]).strip() for r in rows if str(r["value"]).strip() != original[r["key"]]}
        tables = {}
        for t, trs in zip(EDITABLE_TABLES, table_rows):
            edited = [{k: v for k, v in r.items() if not k.startswith("_")} for r in trs or []]
            if edited != table_original.get(t):
                tables[t] = pd.DataFrame(edited, columns=list(table_original[t][0]) if table_original[t] else None)
        if not changes and not tables:
            return "change at least one value first", "msg error", no_update, [no_update] * len(table_rows)
        saved = ws.save_child(parent, (name or "").strip(), changes, tables or None)
        marked = [{**r, "_error": (saved.parameter_errors or {}).get(r["key"], "")} for r in rows]
        table_marks = [no_update] * len(table_rows)
        if saved.table_problems:
            table_marks = []
            for t, trs in zip(EDITABLE_TABLES, table_rows):
                bad = {}
                for p in saved.table_problems:
                    if Path(str(p.file)).stem == t and p.row:
                        bad.setdefault(p.row - 2, []).append(p)
                table_marks.append([{**r, "_errors": "|".join(str(p.column) for p in bad.get(i, [])),
                                     "_errors_text": "; ".join(str(p) for p in bad.get(i, []))}
                                    for i, r in enumerate(trs or [])])
            text = "\n".join(str(p) for p in saved.table_problems)
            return saved.message + "\n" + text, "msg error", marked, table_marks
        if saved.path is None:
            return saved.message, "msg error", marked, table_marks
        msg = saved.message
        if ctx.triggered_id == "save-run":
            msg += "; " + start(saved.path.stem)
        return [msg, " ", dcc.Link("open Runs", href="/runs")], "msg", marked, table_marks

    @app.callback(Output("run-msg", "children"), Input("run-button", "n_clicks"), State("run-scenario", "value"),
                  prevent_initial_call=True)
    def run_clicked(_n, name):
        return start(name)

    @app.callback(Output("run-msg", "children", allow_duplicate=True),
                  Input({"type": "cancel", "id": ALL}, "n_clicks"), prevent_initial_call=True)
    def cancel(clicks):
        if not ctx.triggered_id or not any(c for c in clicks if c):
            return no_update
        return queue.cancel(int(ctx.triggered_id["id"]))

    @app.callback(Output("run-table", "children"), Output("run-rows", "data"), Input("run-tick", "n_intervals"),
                  State("run-rows", "data"))
    def tick(_n, last):
        rows = queue.rows()
        if rows == last:  # redrawn only on a change: a button under the pointer stays where it is
            return no_update, no_update
        return _runs_table(rows), rows

    @app.callback(Output("url", "search"), Input("results-run", "value"), prevent_initial_call=True)
    def choose_result(run):
        return "?" + urlencode({"run": run}) if run else no_update

    @app.callback(Output("results-body", "children"), Input("results-run", "value"), prevent_initial_call=True)
    def show_result(run):
        try:
            return results_page(run, ws.run_folder(run))
        except (ValueError, OSError) as exc:
            return html.Div(str(exc), className="msg error")

    @app.callback(Output("compare-body", "children"), Input("compare-runs", "value"))
    def show_compare(runs):
        runs = runs or []
        if len(runs) < 2:
            return html.P("choose two or more runs")
        try:
            return compare_page(runs, [ws.run_folder(r) for r in runs])
        except (ValueError, OSError, KeyError) as exc:
            return html.Div(str(exc), className="msg error")

    return app


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python solve.py ui", description="The planner's workspace in the browser, "
                                 f"on http://{HOST}:PORT, offline (stop it with Ctrl-C).")
    ap.add_argument("--port", type=int, default=8050, help="port on 127.0.0.1 (default 8050)")
    ap.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    ap.add_argument("--scenarios-dir", type=Path, help="the shipped scenarios (default scenarios/)")
    ap.add_argument("--user-dir", type=Path, help="where your own scenarios are saved (default scenarios/mine/)")
    ap.add_argument("--results-dir", type=Path, help="the folder runs are written under (default results/)")
    ap.add_argument("--no-map", action="store_true", help="runs without map.html (faster; the Results page says so)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    defaults = Workspace()
    ws = Workspace(args.scenarios_dir or defaults.shipped_dir, args.user_dir or defaults.user_dir,
                   args.results_dir or defaults.results_dir)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request (the Runs page polls)
    queue = RunQueue(ws.results_dir, ("--no-map",) if args.no_map else ())
    app = create_app(ws, queue)
    url = f"http://{HOST}:{args.port}/"
    print(f"The workspace is at {url} (Ctrl-C stops it; scenarios in {ws.user_dir}, runs in {ws.results_dir})",
          flush=True)
    if not args.no_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    try:  # a port in use: the server says so and exits 1
        app.run(host=HOST, port=args.port, debug=False)
    finally:
        queue.stop()
    return 0
