"""Maps: map.png is a real picture, the GeoJSON layers read back, map.html works offline.

One tiny solve (tests/tiny.py) at module scope: two candidate sites on the 106 E meridian, S1
with too little capacity, so zone 01's and 02's orders split between bonded and direct mail.
"""
import re
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pytest
from tiny import tables, write

from model import SolverOptions, load_scenario, regimes, solve
from model.report.maps import DRAWN_LEGS, MAP_FILES, SITE_COLOUR, _PngMap, map_writers, zone_shares
from model.report.writer import write_results


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    t = tables(demand={"01": 1000.0, "02": 500.0}, sites={"S1": 10.0, "S2": 12.0},
               levels=[("S1", "small", 1200.0, 2000.0), ("S2", "small", 1e6, 1e6)], parcel_usd_per_order=6.0)
    return solve(load_scenario(write(tmp_path_factory.mktemp("data"), t)), SolverOptions(mip_rel_gap=1e-6))


@pytest.fixture(scope="module")
def out(result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("res") / "tiny"
    write_results(result, folder, extra_files=map_writers(result))
    return folder


def test_scenario_mixes_bonded_and_direct_mail(result):
    z = zone_shares(result)
    assert result.sites.set_index("site").loc["S1", "opened"] and not result.sites.set_index("site").loc["S2", "opened"]
    assert z.loc["01", "total_orders"] + z.loc["02", "total_orders"] == pytest.approx(1500.0)
    assert z["bonded_orders"].sum() == pytest.approx(1200.0) and z["direct_mail_orders"].sum() == pytest.approx(300.0)
    assert np.all((z["bonded_share"] >= 0) & (z["bonded_share"] <= 1))


def test_all_files_written_atomically_with_the_tables(out):
    names = {p.name for p in out.iterdir()}
    assert {"summary.json", "sites.csv", "flows.csv", *MAP_FILES} <= names
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp folder left


def test_png_is_a_real_picture(out):
    from PIL import Image

    img = Image.open(out / "map.png")
    assert img.format == "PNG" and img.width >= 1000 and img.height >= 1000
    px = np.asarray(img.convert("RGB")).reshape(-1, 3).astype(int)
    assert px.std(axis=0).max() > 20  # not blank
    assert len(np.unique(px[::7], axis=0)) > 50  # many colours: shading, lines, text


def _pixels_of(px, colour: str) -> int:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(px - rgb).sum(axis=1) <= 6).sum())


def test_png_colours_sites_and_flows_by_the_regime_they_hold(out, result):
    """S1 holds bonded stock (sites.csv regimes_held), zones 01 and 02 also get direct mail: each
    regime's registry colour fills many pixels (the site's disc, the flows), the old one-colour-for-every-
    site red none."""
    from PIL import Image

    px = np.asarray(Image.open(out / "map.png").convert("RGB")).reshape(-1, 3).astype(int)
    held = {md for h in result.sites.loc[result.sites["opened"], "regimes_held"] for md in str(h).split()}
    assert held == {"bonded"}
    for md in held:  # the site's disc (and its flows, and the legend)
        assert _pixels_of(px, regimes.REGISTRY[md].colour) > 100, md
    assert _pixels_of(px, regimes.REGISTRY["direct_mail"].colour) > 50  # the dashed parcel legs and the legend
    assert _pixels_of(px, SITE_COLOUR) == 0  # every opened site holds a regime: none in the fallback colour


def test_png_legend_has_one_entry_per_regime_present(result):
    from matplotlib.figure import Figure

    m = _PngMap(result, None)
    fig = Figure()
    legend_ax = fig.add_axes([0, 0, 1, 1])
    m.draw_legend(fig, legend_ax)
    texts = [t.get_text() for t in legend_ax.get_legend().get_texts()]
    labels = [regimes.label(md) for md in ("bonded", "direct_mail")]
    assert [t for t in texts if t in {r.label for r in regimes.REGISTRY.values()}] == labels


def test_geojson_layers_read_back(out, result):
    sites = gpd.read_file(out / "sites.geojson")
    assert sites.crs.to_epsg() == 4326
    assert len(sites) == len(result.sites) == 2
    assert set(sites.geometry.geom_type) == {"Point"}
    for col in ("site", "opened", "level", "throughput_orders", "utilisation", "fixed_cost_usd"):
        assert col in sites.columns
    s1 = sites.set_index("site").loc["S1"]
    assert bool(s1["opened"]) and s1["throughput_orders"] == pytest.approx(1200.0)
    assert s1.geometry.x == pytest.approx(106.0) and s1.geometry.y == pytest.approx(10.0)

    flows = gpd.read_file(out / "flows.geojson")
    assert flows.crs.to_epsg() == 4326
    f = result.flows
    assert len(flows) == int((f["leg"].isin(DRAWN_LEGS) & (f["orders"] > 0)).sum())
    assert set(flows["leg"]) == {"inbound", "outbound", "parcel"}
    assert set(flows.geometry.geom_type) == {"LineString"}
    assert flows["orders"].sum() == pytest.approx(f.loc[f["leg"].isin(DRAWN_LEGS), "orders"].sum())
    out02 = flows[(flows["leg"] == "outbound") & (flows["zone"] == "02")]
    assert len(out02) and list(out02.geometry.iloc[0].coords) == [(106.0, 10.0), (106.0, 11.0)]  # S1 -> zone 02


def test_html_is_self_contained(out):
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in html and "S1" in html
    assert not re.search(r"<script[^>]+src\s*=\s*[\"']?(https?:)?//", html, re.I)
    assert not re.search(r"<link[^>]+href\s*=\s*[\"']?(https?:)?//", html, re.I)
    assert not re.search(r"@import\s+(url\()?[\"']?(https?:)?//", html, re.I)
    assert (out / "map.html").stat().st_size < 8e6


def _chromium_dom(html_path, tmp_path, inject=""):
    """Load a copy of the page in headless Chromium; window errors are written into the DOM."""
    page = tmp_path / "page.html"
    catcher = ("<script>window.__errors=[];window.addEventListener('error',function(e){"
               "document.documentElement.setAttribute('data-js-errors',"
               "(document.documentElement.getAttribute('data-js-errors')||'')+'|'+e.message);});</script>")
    page.write_text(html_path.read_text(encoding="utf-8").replace("<head>", "<head>" + catcher + inject, 1),
                    encoding="utf-8")
    p = subprocess.run([shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
                        f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
                        "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    return p.stdout


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium not installed (apt-get install chromium)")
def test_html_loads_in_headless_chromium_without_script_errors(out, tmp_path):
    dom = _chromium_dom(out / "map.html", tmp_path)
    assert 'class="main-svg"' in dom or "class='main-svg'" in dom  # plotly drew the map
    errors = re.search(r'<html[^>]*data-js-errors="([^"]*)"', dom)
    assert errors is None, errors.group(1)
    # the error catcher itself works
    bad = _chromium_dom(out / "map.html", tmp_path, "<script>undefinedFunction()</script>")
    assert re.search(r'<html[^>]*data-js-errors="[^"]*undefinedFunction', bad)


_PROBE = """<script>
window.addEventListener('load', function () { setTimeout(function () {
  var gd = document.querySelector('.plotly-graph-div');
  var legend = Array.prototype.map.call(document.querySelectorAll('.legendtext'),
                                        function (e) { return e.textContent; });
  var colours = {};
  gd.data.forEach(function (t) { var m = t.meta || {}; if (m.regime) {
    colours[m.regime] = (colours[m.regime] || []).concat(
      [(t.marker && t.marker.color) || (t.line && t.line.color)]); } });
  var box = document.querySelector('input.map-toggle[data-kind="regime"][data-value="direct_mail"]');
  box.click();
  var after = gd.data.filter(function (t) { return t.meta && t.meta.kind === 'flow'; }).map(function (t) {
    return [t.meta.regime, t.visible === false ? 'hidden' : 'shown']; });
  document.documentElement.setAttribute('data-probe', JSON.stringify({legend: legend, colours: colours, after: after}));
}, 500); });
</script>"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium not installed (apt-get install chromium)")
def test_html_legend_per_regime_and_toggling_a_regime_hides_its_flows(out, result, tmp_path):
    """The tiny plan holds bonded stock at S1 and sends 300 orders by cross-border parcel: each regime
    has a legend entry and a colour of its own; unticking 'cross-border parcel' hides its flows only."""
    import html
    import json

    from model import regimes

    dom = _chromium_dom(out / "map.html", tmp_path, _PROBE)
    found = re.search(r'<html[^>]*data-probe="([^"]*)"', dom)
    assert found, "the probe did not run"
    probe = json.loads(html.unescape(found.group(1)))
    in_plan = [md for md, v in result.summary["mode_share"].items() if v > 0]
    assert sorted(in_plan) == ["bonded", "direct_mail"]
    for md in in_plan:
        assert any(regimes.label(md) in text for text in probe["legend"]), (md, probe["legend"])
        assert len(set(probe["colours"][md])) == 1, probe["colours"]
    assert probe["colours"]["bonded"][0] != probe["colours"]["direct_mail"][0]
    states = {(md, state) for md, state in probe["after"]}
    assert ("direct_mail", "hidden") in states and ("direct_mail", "shown") not in states
    assert ("bonded", "shown") in states and ("bonded", "hidden") not in states


def test_flows_geojson_carries_names_regime_class_and_stock_legs(tmp_path):
    """With SKU classes the stock legs are in flows.csv; every one of them is a Point feature at its site."""
    from model.report.maps import flows_gdf

    class Fake:
        pass

    r = Fake()
    t = tables(demand={"01": 1000.0}, sites={"S1": 10.0})
    r.scenario = load_scenario(write(tmp_path / "d", t))
    r.sites = __import__("pandas").DataFrame({"site": ["S1"], "name": ["Site one"], "lon": [106.0], "lat": [10.0]})
    r.flows = __import__("pandas").DataFrame({
        "mode": ["bonded", "bonded", "direct_mail"], "leg": ["outbound", "stock", "parcel"], "origin": ["O1", "", "O1"],
        "gateway": ["", "", "AIR"], "site": ["S1", "S1", ""], "zone": ["01", "", "01"], "product": "P1",
        "sku_class": ["head", "head", "tail"], "orders": [900.0, 900.0, 100.0]})
    g = flows_gdf(r)
    assert list(g["leg"]) == ["outbound", "stock", "parcel"]
    assert list(g.geometry.geom_type) == ["LineString", "Point", "LineString"]
    assert list(g["regime"]) == ["bonded CBEC stock", "bonded CBEC stock", "cross-border parcel"]
    assert list(g["sku_class"]) == ["head", "head", "tail"]
    assert g["site_name"].iloc[0] == "S1" and g["zone_name"].iloc[0] == "Một"
    g.to_file(tmp_path / "flows.geojson", driver="GeoJSON")  # mixed geometries write and read back
    assert len(gpd.read_file(tmp_path / "flows.geojson")) == 3
