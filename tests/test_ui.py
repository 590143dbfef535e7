"""The workspace (``python solve.py ui``) in a real browser: Debian's headless Chromium driven by Playwright.

One server for the module (``solve.py ui --no-browser`` on a free port of 127.0.0.1, stopped at the end),
on a tiny scenario: demand 1,000 orders in zone 01 and 500 in zone 03, two candidate sites, every cost
zero but 1 USD/kg linehaul, 1 USD handling and a fixed 2,000 USD: total 5,000 USD per year (the
command line's own answer, tests/test_named_runs.py's data plus a second zone). The child scenario sets
``costs.last_mile_base_usd_per_order = 2`` on its 1,500 orders: + 3,000 USD, total 8,000.

Every request the pages make is checked to go to 127.0.0.1 only (offline: no CDN, no tiles).
The tests run in file order: the scenario made by the first is run by the second and compared by the third.
"""
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from tiny import tables, write

from model import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
if CHROMIUM is None:
    pytest.skip("no Chromium on this machine (apt-get install chromium): the browser tests need one",
                allow_module_level=True)
TIMEOUT = 20_000  # ms: a page or a tiny run that takes longer is broken


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    write(root / "tinydata", tables(demand={"01": 1000, "03": 500}, sites={"S1": 10.0, "S2": 12.0},
                                    levels=[("S1", "small", 1e6, 2000.0), ("S2", "small", 1e6, 2000.0)],
                                    parcel_usd_per_order=6.0), with_geometry=True)
    (root / "scenarios").mkdir()
    (root / "scenarios" / "tiny.toml").write_text('name = "tiny"\ndata = "../tinydata"\n')
    port = _free_port()
    cmd = [sys.executable, str(ROOT / "solve.py"), "ui", "--no-browser", "--port", str(port),
           "--scenarios-dir", str(root / "scenarios"), "--user-dir", str(root / "mine"),
           "--results-dir", str(root / "results")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"the server stopped: {proc.stdout.read()}")
            time.sleep(0.1)
    else:
        proc.terminate()
        pytest.fail("the server did not answer within 15 s")
    yield {"url": url, "root": root}
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser, server):
    """A browser context whose requests may only go to the workspace; the test fails on any other."""
    ctx = browser.new_context()
    ctx.set_default_timeout(TIMEOUT)
    outside = []

    def guard(route):
        if urlparse(route.request.url).hostname == "127.0.0.1" or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", guard)
    yield ctx
    ctx.close()
    assert outside == [], f"requests left the machine: {outside}"


def _edit(page, grid: str, row_id: str, col: str, text: str) -> None:
    cell = page.locator(f'#{grid} .ag-center-cols-container .ag-row[row-id="{row_id}"] .ag-cell[col-id="{col}"]')
    cell.dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _wait_runs_idle(page, names: set) -> dict:
    """On the Runs page: the last state of each run in ``names`` once none is queued or running, and
    every progress text seen meanwhile."""
    seen: dict = {}
    end = time.time() + TIMEOUT / 1000
    while time.time() < end:
        rows = page.eval_on_selector_all("tr[data-run]", "rs => rs.map(r => [r.dataset.run, r.dataset.state, "
                                         "r.querySelector('.progress').innerText])")
        states = {}
        for name, state, progress in rows:
            if name in names and name not in states:  # newest first: the latest run of that name
                states[name] = state
                seen.setdefault(name, set()).add(progress)
        if set(states) == names and not {"queued", "running"} & set(states.values()):
            return {"states": states, "progress": seen}
        time.sleep(0.2)
    raise AssertionError(f"runs still active after {TIMEOUT / 1000:.0f} s: {states}")


def test_levers_create_a_scenario_from_another(context, server):
    mine = server["root"] / "mine"
    page = context.new_page()
    page.goto(server["url"] + "/levers?scenario=tiny")
    value = page.locator('#levers-grid .ag-row[row-id="costs.last_mile_base_usd_per_order"] .ag-cell[col-id="unit"]')
    assert value.inner_text() == "USD per order"  # the schema's unit beside the value
    # an out-of-range value: the command line's message at the cell, and nothing written
    _edit(page, "levers-grid", "policy.cbec_tax_factor", "value", "5")
    page.fill("#new-name", "bad-one")
    page.click("#save-scenario")
    msg = page.locator("#save-msg")
    msg.filter(has_text="outside").wait_for()
    assert "parameter 'policy.cbec_tax_factor' = 5 is outside [0, 1] (share)" in msg.inner_text()
    assert "cell-error" in page.locator('#levers-grid .ag-row[row-id="policy.cbec_tax_factor"] '
                                        '.ag-cell[col-id="value"]').get_attribute("class")
    assert not list(mine.glob("*bad-one*")) and not list(mine.glob(".pending*"))
    # a bad capacity in the site levels grid: the loader's message naming the file, row and column
    page.reload()
    page.get_by_text("site levels").click()
    _edit(page, "grid-site_levels", "0",
          "capacity_orders_per_year", "lots")
    page.fill("#new-name", "bad-two")
    page.click("#save-scenario")
    msg.filter(has_text="problem").wait_for()
    assert "site_levels.csv" in msg.inner_text() and "capacity_orders_per_year" in msg.inner_text()
    assert page.locator(".cell-error").count() >= 1
    assert not list(mine.glob("*bad-two*"))
    # one lever changed: saved as a file that extends its parent, which the command line loads
    page.reload()
    _edit(page, "levers-grid", "costs.last_mile_base_usd_per_order", "value", "2")
    page.fill("#new-name", "dearer-last-mile")
    page.click("#save-scenario")
    msg.filter(has_text="saved").wait_for()
    saved = mine / "dearer-last-mile.toml"
    text = saved.read_text()
    assert 'extends = "../scenarios/tiny.toml"' in text and "[costs]\nlast_mile_base_usd_per_order = 2" in text
    assert load_scenario(saved).param("costs.last_mile_base_usd_per_order") == 2.0
    page.goto(server["url"] + "/")
    assert "tiny" in page.locator("#scenario-row-dearer-last-mile").inner_text()  # listed with its parent


def test_run_shows_progress_then_the_results(context, server):
    page = context.new_page()
    page.goto(server["url"] + "/")
    page.click("#scenario-row-dearer-last-mile button")
    page.locator("#scenario-msg").filter(has_text="queued").wait_for()
    page.goto(server["url"] + "/runs")  # a new page load: the run lives in the server
    page.locator("#run-scenario").click()  # the parent, for the comparison below: solved while this test looks
    page.get_by_role("option", name="tiny", exact=True).click()
    page.click("#run-button")
    page.locator("#run-msg").filter(has_text="queued").wait_for()
    done = _wait_runs_idle(page, {"dearer-last-mile"})
    assert done["states"] == {"dearer-last-mile": "done"}
    assert any("total cost USD 8,000" in t for t in done["progress"]["dearer-last-mile"])
    row = page.locator('tr[data-run="dearer-last-mile"]').first
    assert str(server["root"] / "results" / "dearer-last-mile") in row.inner_text()
    row.get_by_role("link", name="results").click()
    page.locator("#kpi-total").wait_for()
    summary = json.loads((server["root"] / "results" / "dearer-last-mile" / "summary.json").read_text())
    assert summary["objective"] == pytest.approx(8000.0)  # 5,000 + 2 USD x 1,500 orders
    assert "USD 8,000" in page.locator("#kpi-total").inner_text()
    assert "100%" in page.locator("#kpi-share-bonded").inner_text()
    assert page.locator("#kpi-sites .tile-value").inner_text() == "1"
    page.frame_locator("#map-frame").locator(".js-plotly-plot").first.wait_for()  # the regime map, drawn
    assert "S1" in page.locator("#sites-grid").inner_text()
    assert "last mile" in page.locator("#cost-chart").inner_text()
    for f in ("results.xlsx", "sites.geojson", "flows.geojson", "report.md"):
        href = page.locator(f"#dl-{f.split('.')[0]}").get_attribute("href")
        assert page.request.get(server["url"] + href).status == 200
    escape = page.request.get(server["url"] + "/files/..%2F..%2F..%2Fetc/passwd")  # the app's page, no file
    assert "root:" not in escape.text()
    assert page.request.get(server["url"] + "/files/..dearer-last-mile/map.html").status == 404  # not a run name
    assert page.request.get(server["url"] + "/files/dearer-last-mile/sites.csv").status == 404  # not listed


def test_compare_a_scenario_with_its_parent(context, server):
    page = context.new_page()
    page.goto(server["url"] + "/runs")  # the parent was queued by the test above
    assert _wait_runs_idle(page, {"tiny"})["states"] == {"tiny": "done"}
    page.goto(server["url"] + "/compare?runs=tiny,dearer-last-mile")
    inputs = page.locator("#compare-inputs")
    inputs.wait_for()
    assert "costs.last_mile_base_usd_per_order" in inputs.inner_text()
    headline = page.locator("#compare-headline").inner_text()
    assert "total cost\nUSD/yr\n5,000\n8,000\n+3,000" in headline  # B - A: 2 USD x 1,500 orders
    assert "same sites" in page.locator("#compare-sites").inner_text()
    for tag in "AB":
        page.frame_locator(f"#compare-map-{tag}").locator(".js-plotly-plot").first.wait_for()


def test_two_tabs_cannot_start_a_run_twice_and_runs_cancel(context, server, browser):
    """The test holds the writers' lock on the results folder (model.io.outputs: flock on the parent of
    a run's folder), so the first run cannot finish however fast the machine is: it is still running
    when the second tab asks for the queued run again and when both are cancelled."""
    results = server["root"] / "results"
    before = {n: (results / n / "summary.json").stat().st_mtime_ns for n in ("tiny", "dearer-last-mile")}
    one, two, runs = context.new_page(), context.new_page(), context.new_page()
    for p in (one, two):
        p.goto(server["url"] + "/")
    runs.goto(server["url"] + "/runs")
    runs.locator("#run-table tr").first.wait_for()
    lock = os.open(results, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        one.click("#scenario-row-dearer-last-mile button")  # runs first: the two below wait in the queue
        one.click("#scenario-row-tiny button")
        two.click("#scenario-row-tiny button")
        one.locator("#scenario-msg").filter(has_text="queued").wait_for()
        assert "already queued" in two.locator("#scenario-msg").filter(has_text="already").inner_text()
        for name in ("dearer-last-mile", "tiny"):  # the running one, then the queued one
            runs.locator(f'tr[data-run="{name}"]').first.get_by_role("button", name="cancel").click()
        done = _wait_runs_idle(runs, {"tiny", "dearer-last-mile"})
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        os.close(lock)
    assert done["states"] == {"tiny": "cancelled", "dearer-last-mile": "cancelled"}
    after = {n: (results / n / "summary.json").stat().st_mtime_ns for n in before}
    assert after == before  # a cancelled run leaves the finished folders as they were
