"""The workspace on the shipped data, end to end in headless Chromium, with a screenshot of each page.

    python scripts/ui_screenshots.py                 # docs/img/ui-*.png
    python scripts/ui_screenshots.py --out /tmp/shots

What a planner does (issue 28's "done when"): from status-quo-2026, change one lever
(policy.cbec_regulatory_exemption 0 -> 1, the draft decree's exemption from licences and inspections),
save it as a new scenario, run it and its parent, see the results and compare the two. Own scenarios
and runs go to a temporary folder, so the project's scenarios/ and results/ are untouched.
Every request must stay on 127.0.0.1.
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
CHILD = "status-quo-exemption"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_done(page, names: set, timeout: float = 300) -> dict:
    end = time.time() + timeout
    while time.time() < end:
        rows = page.eval_on_selector_all("tr[data-run]", "rs => rs.map(r => [r.dataset.run, r.dataset.state])")
        states = {}
        for name, state in rows:
            states.setdefault(name, state)
        if names <= set(states) and all(states[n] not in ("queued", "running") for n in names):
            return states
        time.sleep(0.5)
    raise SystemExit(f"runs not finished after {timeout:.0f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ui-shots-"))
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "solve.py"), "ui", "--no-browser", "--port", str(port),
                               "--user-dir", str(tmp / "mine"), "--results-dir", str(tmp / "results")])
    url = f"http://127.0.0.1:{port}"
    outside = []
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
            ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            ctx.set_default_timeout(120_000)

            def guard(route):
                if urlparse(route.request.url).hostname == "127.0.0.1":
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            ctx.route("**/*", guard)
            page = ctx.new_page()
            page.goto(url + "/levers?scenario=status-quo-2026")
            cell = page.locator('#levers-grid .ag-center-cols-container '
                                '.ag-row[row-id="policy.cbec_regulatory_exemption"] .ag-cell[col-id="value"]')
            cell.dblclick()
            page.keyboard.press("Control+A")
            page.keyboard.type("1")
            page.keyboard.press("Enter")
            page.fill("#new-name", CHILD)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(args.out / "ui-levers.png"))
            page.click("#save-run")
            page.locator("#save-msg").filter(has_text="queued").wait_for()
            page.goto(url + "/")
            page.click("#scenario-row-status-quo-2026 button")
            page.locator("#scenario-msg").filter(has_text="queued").wait_for()
            page.screenshot(path=str(args.out / "ui-scenarios.png"))
            page.goto(url + "/runs")
            states = wait_done(page, {CHILD, "status-quo-2026"})
            page.wait_for_timeout(1000)
            page.screenshot(path=str(args.out / "ui-runs.png"))
            print(states)
            page.goto(url + f"/results?run={CHILD}")
            page.frame_locator("#map-frame").locator(".js-plotly-plot").first.wait_for()
            page.wait_for_timeout(1500)
            page.screenshot(path=str(args.out / "ui-results.png"), full_page=True)
            page.goto(url + f"/compare?runs=status-quo-2026,{CHILD}")
            page.frame_locator("#compare-map-B").locator(".js-plotly-plot").first.wait_for()
            page.wait_for_timeout(1500)
            page.screenshot(path=str(args.out / "ui-compare.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"screenshots in {args.out}; requests that left the machine: {outside or 'none'}")
    return 1 if outside else 0


if __name__ == "__main__":
    sys.exit(main())
