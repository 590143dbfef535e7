"""Maps of a solved network: map.png (report), map.html (interactive, offline), sites/flows GeoJSON.

Use :func:`map_writers` to get ``{file name: writer(path)}`` for :func:`model.report.writer.write_results`,
or call the writers one by one. Only ``result.scenario``, ``result.sites``, ``result.flows`` and
``result.summary`` are read, so any object with those attributes works.

Geometry: ``provinces.geojson`` from the scenario's data folder, else the shipped
``data/provinces.geojson`` (CC BY-SA 4.0, Open Development Vietnam; see data/SOURCES.md).
Zones are placed at their administrative centre (``provinces.csv`` lat/lon).
"""
from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from model import regimes
from model.core.errors import DataError
from model.core.formats import quantity
from model.core.names import site_names, zone_names
from model.core.plain_text import plain_text
from model.io.geometry import shipped_geometry
from model.report.insight_text import robust_sites, site_notes

log = logging.getLogger(__name__)

CRS = "EPSG:4326"
PLOT_CRS = "EPSG:32648"  # UTM 48N: metres, so the scale bar is true
# Main view (lon/lat): the mainland and its near-shore islands. The Hoang Sa and Truong Sa
# archipelagos lie east of 110.5 E and are drawn in an inset.
MAIN_VIEW = (101.9, 8.2, 110.2, 23.6)
ARCHIPELAGO_LON = 110.5
INSET_VIEW = (107.9, 6.5, 117.4, 17.9)  # with the central coast for context
ARCHIPELAGOS = [("Quần đảo Hoàng Sa\n(Đà Nẵng)", 112.0, 17.25, "bottom"),
                ("Quần đảo Trường Sa\n(Khánh Hòa)", 114.3, 11.75, "bottom")]

ATTRIBUTION = ("Boundaries: Open Development Vietnam / Open Development Mekong (Dept. of Survey and Mapping), "
               "CC BY-SA 4.0; province centres: GeoNames, CC BY 4.0")
SITE_COLOUR = "#d7191c"      # an opened site that holds no regime (a hand-made or older result)
CLOSED_COLOUR = "#9e9e9e"
OTHER_REGIME_COLOUR = "#7f7f7f"
PROVINCE_BORDER = "#6b6b6b"  # clear borders between the provinces
GATEWAY_MARKERS = {"airport": "^", "seaport": "s", "land_border": "D"}
GATEWAY_LABELS = {"airport": "airport", "seaport": "seaport", "land_border": "land border"}
# Bonded share of a province's orders: light (0 %) to mid blue (100 %), light enough that
# the lines and markers drawn over it stay visible.
SHARE_COLOURS = ["#f7f4e8", "#c6e3d7", "#8cc3e0"]
SHARE_SCALE = [[0.0, SHARE_COLOURS[0]], [0.5, SHARE_COLOURS[1]], [1.0, SHARE_COLOURS[2]]]  # plotly
TOP_OUTBOUND = 40  # lines drawn in the PNG, largest first
TOP_INBOUND = 20
TOP_PARCEL = 20
DRAWN_LEGS = ("inbound", "outbound", "parcel")  # unmet orders have no line


# ----------------------------------------------------------------------------- tables

def province_geometry(scenario=None):
    """The provinces as a GeoDataFrame in EPSG:4326 (``code``, ``name_vi``, ``name_ascii``, geometry).

    The boundaries validated when the scenario was loaded (``scenario.geometry``, model.io.geometry);
    without a scenario (or one built by hand) the shipped file, validated the same way (a bad one
    raises DataError); no rows if there is no geometry at all."""
    import geopandas as gpd


    df = getattr(scenario, "geometry", None)
    if df is None:
        df, problems = shipped_geometry()
        if problems:
            raise DataError(problems)
    if df is None:
        return gpd.GeoDataFrame({"code": pd.Series(dtype=str), "name_vi": pd.Series(dtype=str),
                                 "name_ascii": pd.Series(dtype=str)}, geometry=[], crs=CRS)
    g = gpd.GeoDataFrame(df.copy(), geometry="geometry", crs=CRS)
    g["code"] = g["code"].astype(str)
    return g


def _zone_points(scenario) -> pd.DataFrame:
    p = scenario.tables["provinces"][["code", "name_ascii", "lat", "lon"]].copy()
    p["code"] = p["code"].astype(str)
    return p.set_index("code")


SERVING_LEGS = ("outbound", "parcel", "unmet")  # each demand order is on exactly one of these


def zone_shares(result) -> pd.DataFrame:
    """Per zone (province code): orders by mode (every regime of the registry, unmet and any other
    mode found), their total and each mode's share of the zone's orders."""
    f = result.flows
    f = f[f["leg"].isin(SERVING_LEGS)] if len(f) else f
    modes = [*regimes.MODES, "unmet"]
    if len(f):
        z = f.assign(zone=f["zone"].astype(str)).pivot_table(index="zone", columns="mode", values="orders",
                                                              aggfunc="sum", fill_value=0.0)
        modes += [m for m in z.columns if m not in modes]
        z = z.reindex(columns=modes, fill_value=0.0)
    else:
        z = pd.DataFrame(columns=modes, dtype=float)
    z.columns = [f"{m}_orders" for m in z.columns]
    z["total_orders"] = z.sum(axis=1)
    for m in modes:
        with np.errstate(invalid="ignore", divide="ignore"):
            z[f"{m}_share"] = np.where(z["total_orders"] > 0, z[f"{m}_orders"] / z["total_orders"], np.nan)
    z.index.name = "code"
    z.columns.name = None
    return z


def provinces_with_shares(result, geometry=None):
    g = (geometry if geometry is not None else province_geometry(result.scenario)).copy()
    z = zone_shares(result)
    missing = sorted(set(z.index[z["total_orders"] > 0]) - set(g["code"]))
    if missing:
        log.warning("maps: zones %s have demand but no polygon in the province geometry", ", ".join(missing))
    g = g.merge(z, left_on="code", right_index=True, how="left")
    for c in [c for c in z.columns if c.endswith("_orders")]:
        g[c] = g[c].fillna(0.0)
    return g


def sites_gdf(result):
    """Every candidate site as a point with its sites.csv attributes (EPSG:4326)."""
    import geopandas as gpd

    s = result.sites.copy()
    for c in ("opened", "may_open", "force_open", *[f"{md}_ok" for md in regimes.STOCKED]):  # plain booleans in GeoJSON
        if c in s.columns:
            s[c] = s[c].fillna(False).astype(bool)
    s["level"] = s["level"].astype(object).where(s["level"].notna(), None)
    return gpd.GeoDataFrame(s, geometry=gpd.points_from_xy(s["lon"], s["lat"]), crs=CRS)


def regime_colour(mode: str) -> str:
    """The regime's own colour (its module's ``colour``, one per regime for its sites, flows and legend)."""
    r = regimes.REGISTRY.get(str(mode))
    return r.colour if r else OTHER_REGIME_COLOUR


#: flows.csv columns each GeoJSON flow feature carries (the names and the regime's words are added)
FLOW_PROPERTIES = ["mode", "leg", "origin", "gateway", "site", "zone", "product", "sku_class", "orders", "kg", "km",
                   "lead_hours", "usd_per_order", "cost_usd", "co2_t"]


def flows_gdf(result):
    """Every non-zero flow (EPSG:4326), one feature per flows.csv row, with its regime in words,
    site and province names and SKU class: inbound gateway -> site, outbound site -> zone centre
    and parcel gateway -> zone centre as LineStrings; stock (held at a site) and unmet (at the zone
    centre) as Points, so no leg is left out."""
    import geopandas as gpd
    from shapely import linestrings, points


    f = result.flows
    f = f[f["orders"] > 0].copy() if len(f) else f.copy()
    f = f[[c for c in FLOW_PROPERTIES if c in f.columns]].reset_index(drop=True)
    f.insert(1, "regime", f["mode"].map(lambda m: "not served" if m == "unmet" else regimes.label(str(m))))
    if "site" in f.columns:
        f.insert(f.columns.get_loc("site") + 1, "site_name", f["site"].astype(str).map(site_names(result.scenario)))
    if "zone" in f.columns:
        f.insert(f.columns.get_loc("zone") + 1, "zone_name", f["zone"].astype(str).map(zone_names(result.scenario)))
    sites = result.sites.set_index("site")[["lon", "lat"]]
    gws = result.scenario.tables["gateways"].set_index("gateway")[["lon", "lat"]]
    zones = _zone_points(result.scenario)[["lon", "lat"]]
    start = np.full((len(f), 2), np.nan)
    end = np.full((len(f), 2), np.nan)
    for leg, a, b in (("inbound", ("gateway", gws), ("site", sites)),
                      ("outbound", ("site", sites), ("zone", zones)),
                      ("parcel", ("gateway", gws), ("zone", zones)),
                      ("stock", ("site", sites), ("site", sites)),
                      ("unmet", ("zone", zones), ("zone", zones))):
        m = (f["leg"] == leg).to_numpy()
        if not m.any():
            continue
        start[m] = a[1].reindex(f.loc[m, a[0]].astype(str)).to_numpy()
        end[m] = b[1].reindex(f.loc[m, b[0]].astype(str)).to_numpy()
    if np.isnan(start).any() or np.isnan(end).any():
        bad = f[np.isnan(start).any(axis=1) | np.isnan(end).any(axis=1)].iloc[0]
        raise ValueError(f"flows: no coordinates for leg {bad['leg']} ({bad['gateway']}/{bad['site']}/{bad['zone']})")
    f = f.fillna({c: "" for c in ("origin", "gateway", "site", "site_name", "zone", "zone_name", "sku_class")
                  if c in f.columns})
    at_a_place = f["leg"].isin(["stock", "unmet"]).to_numpy()
    geom = np.empty(len(f), dtype=object)
    if at_a_place.any():
        geom[at_a_place] = points(start[at_a_place])
    if (~at_a_place).any():
        geom[~at_a_place] = linestrings(np.stack([start[~at_a_place], end[~at_a_place]], axis=1))
    return gpd.GeoDataFrame(f, geometry=list(geom), crs=CRS)


def _aggregate(f: pd.DataFrame, leg: str, a: str, b: str, top: int | None) -> pd.DataFrame:
    sel = f[f["leg"] == leg]
    if sel.empty:
        return pd.DataFrame(columns=["mode", a, b, "orders", "kg", "cost_usd"])
    keys = ["mode", a, b] if "mode" in sel.columns else [a, b]
    agg = sel.groupby(keys, as_index=False)[["orders", "kg", "cost_usd"]].sum()
    agg = agg.sort_values("orders", ascending=False)
    return agg.head(top) if top else agg


def main_lines(result, top_outbound=TOP_OUTBOUND, top_inbound=TOP_INBOUND, top_parcel=TOP_PARCEL) -> pd.DataFrame:
    """Flows aggregated over origin and product, largest first: leg, regime (``mode``), from/to ids and
    lon/lat, orders."""
    f = result.flows
    sites = result.sites.set_index("site")[["lon", "lat"]]
    gws = result.scenario.tables["gateways"].set_index("gateway")[["lon", "lat"]]
    zones = _zone_points(result.scenario)
    out = []
    for leg, a, pa, b, pb, top in (("outbound", "site", sites, "zone", zones, top_outbound),
                                   ("inbound", "gateway", gws, "site", sites, top_inbound),
                                   ("parcel", "gateway", gws, "zone", zones, top_parcel)):
        agg = _aggregate(f, leg, a, b, top) if len(f) else pd.DataFrame()
        if agg.empty:
            continue
        d = pd.DataFrame({"leg": leg, "mode": agg["mode"].astype(str) if "mode" in agg.columns else "",
                          "src": agg[a].astype(str), "dst": agg[b].astype(str),
                          "orders": agg["orders"].to_numpy(), "kg": agg["kg"].to_numpy()})
        d[["x0", "y0"]] = pa.reindex(d["src"]).to_numpy()
        d[["x1", "y1"]] = pb[["lon", "lat"]].reindex(d["dst"]).to_numpy()
        out.append(d)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(
        columns=["leg", "mode", "src", "dst", "orders", "kg", "x0", "y0", "x1", "y1"])


# ----------------------------------------------------------------------------- GeoJSON

def _write_geojson(gdf, path: Path) -> None:
    # Through GDAL (pyogrio or fiona) so QGIS and geopandas read it back; GeoJSON is EPSG:4326.
    gdf.to_file(path, driver="GeoJSON")


def write_sites_geojson(result, path) -> None:
    _write_geojson(sites_gdf(result), Path(path))


def write_flows_geojson(result, path) -> None:
    _write_geojson(flows_gdf(result), Path(path))


# ----------------------------------------------------------------------------- PNG

def _title(result) -> str:
    s = result.summary
    obj = s.get("objective")
    cost = f"total cost {quantity(obj)} USD/year" if obj is not None else "no solution"
    return f"Run {s.get('run') or s.get('scenario', result.scenario.name)}: CBEC network, {cost}"


def _nice_length(km: float) -> float:
    exp = 10 ** math.floor(math.log10(km))
    return max(m * exp for m in (1, 2, 5) if m * exp <= km)


def _scale_bar(ax, x0, y0, length_m, label):
    from matplotlib.patches import Rectangle

    h = length_m * 0.03
    for i in range(4):
        ax.add_patch(Rectangle(
            (x0 + i * length_m / 4, y0), length_m / 4, h, facecolor="black" if i % 2 == 0 else "white",
            edgecolor="black", lw=0.8, zorder=20))
    for frac, txt in ((0, "0"), (0.5, f"{label / 2:g}"), (1, f"{label:g} km")):
        ax.text(x0 + frac * length_m, y0 + h * 1.6, txt, ha="center", va="bottom", fontsize=8, zorder=20)


def _overlap(a, b) -> bool:
    """Do boxes (x0, y0, x1, y1) overlap?"""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def ring_boxes(anchor, size, radius, rings=(2, 8, 16, 28, 42, 60, 80), directions=12):
    """Candidate label boxes (x0, y0, x1, y1) around a marker, nearest first: on rings ``rings``
    px beyond its edge, at ``directions`` angles, each box touching the ring on the marker's side."""
    (x, y), (w, h) = anchor, size
    for ring in rings:
        d = radius + ring
        for k in range(directions):
            ang = 2 * math.pi * k / directions
            cx, cy = x + d * math.cos(ang), y + d * math.sin(ang)
            bx = cx if math.cos(ang) > 0.3 else cx - w if math.cos(ang) < -0.3 else cx - w / 2
            by = cy if math.sin(ang) > 0.3 else cy - h if math.sin(ang) < -0.3 else cy - h / 2
            yield ring, (bx, by, bx + w, by + h)


def place_labels(anchors, sizes, radii, bounds=None, candidates=ring_boxes):
    """Non-overlapping places for labels beside point markers, all in pixels (pure geometry).

    ``anchors``: (x, y) of each marker; ``sizes``: (width, height) of each label; ``radii``: each
    marker's radius. Markers are taken largest first; each label takes the first of its
    ``candidates(anchor, size, radius)`` boxes (:func:`ring_boxes`: nearest first) that overlaps
    no label placed already and no other marker, and lies inside ``bounds`` (x0, y0, x1, y1).
    Returns per marker (candidate key, box), or None when no box is free (the label is then
    left out and listed instead).
    """
    n = len(anchors)
    markers = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(anchors, radii)]
    placed: list[tuple] = []
    out: list = [None] * n
    for i in sorted(range(n), key=lambda j: -radii[j]):
        for key, box in candidates(anchors[i], sizes[i], radii[i]):
            if bounds is not None and not (bounds[0] <= box[0] and box[2] <= bounds[2]
                                           and bounds[1] <= box[1] and box[3] <= bounds[3]):
                continue
            if any(_overlap(box, p) for p in placed) or any(_overlap(box, m) for j, m in enumerate(markers) if j != i):
                continue
            placed.append(box)
            out[i] = (key, box)
            break
    return out


def label_sites(ax, x, y, labels, radius_pt, fontsize=7.5) -> tuple[list, list]:
    """Site ids beside their markers on ``ax`` (data coordinates ``x``, ``y``), none overlapping
    another label or marker (:func:`place_labels`, real text extents); a label set away from its
    marker gets a leader line. Returns (the annotations, the labels left out for want of room)."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    k = fig.dpi / 72  # points -> pixels
    px = ax.transData.transform(np.column_stack([x, y])) if len(x) else np.zeros((0, 2))
    sizes = []
    for lab in labels:
        t = ax.text(0, 0, lab, fontsize=fontsize, fontweight="bold")
        bb = t.get_window_extent(renderer)
        t.remove()
        sizes.append((bb.width + 4 * k, bb.height + 2 * k))  # the white box's padding
    radii = [float(r) * k for r in radius_pt]
    spots = place_labels([tuple(p) for p in px], sizes, radii, bounds=tuple(ax.bbox.extents))
    notes, left_out = [], []
    for i, spot in enumerate(spots):
        if spot is None:
            left_out.append(labels[i])
            continue
        ring, box = spot
        ax0, ay0 = px[i]
        centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        far = ring > 2  # away from its marker: a leader line says whose label it is
        notes.append(ax.annotate(
            labels[i], (x[i], y[i]), xytext=((centre[0] - ax0) / k, (centre[1] - ay0) / k),
            textcoords="offset points", ha="center", va="center", fontsize=fontsize, fontweight="bold", zorder=12,
            bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.85),
            arrowprops=dict(arrowstyle="-", color="#444444", lw=0.6, shrinkA=0, shrinkB=radii[i] / k) if far else None))
    return notes, left_out


class _PngMap:
    """What every panel of map.png draws from: the provinces in plotting metres, the flows drawn,
    and the scales of marker sizes and line widths."""

    def __init__(self, result, geometry):
        import geopandas as gpd  # noqa: F401  (geopandas and matplotlib only when a PNG is drawn)
        from matplotlib.colors import LinearSegmentedColormap, Normalize

        self.result = result
        self.prov_m = provinces_with_shares(result, geometry).to_crs(PLOT_CRS)
        self.cmap = LinearSegmentedColormap.from_list("bonded_share", SHARE_COLOURS)
        self.norm = Normalize(0, 1)
        self.sites = result.sites
        self.opened = self.sites[self.sites["opened"].astype(bool)]
        self.gws = result.scenario.tables["gateways"]
        self.lines = main_lines(result)
        self.max_thr = max(float(self.opened["throughput_orders"].max()) if len(self.opened) else 0.0, 1.0)
        self.max_line = max(float(self.lines["orders"].max()) if len(self.lines) else 0.0, 1.0)

    @staticmethod
    def to_m(lon, lat):
        import geopandas as gpd

        pts = gpd.GeoSeries(gpd.points_from_xy(np.atleast_1d(lon), np.atleast_1d(lat)), crs=CRS).to_crs(PLOT_CRS)
        return pts.x.to_numpy(), pts.y.to_numpy()

    @staticmethod
    def view_m(bbox):
        import geopandas as gpd
        from shapely.geometry import box

        return gpd.GeoSeries([box(*bbox)], crs=CRS).to_crs(PLOT_CRS).total_bounds

    def site_size(self, thr):
        return 40 + 560 * np.sqrt(np.asarray(thr, dtype=float) / self.max_thr)

    def line_width(self, orders):
        return 0.6 + 6.5 * np.asarray(orders, dtype=float) / self.max_line

    def draw_provinces(self, a):
        prov_m = self.prov_m
        has = prov_m["total_orders"] > 0
        if (~has).any():
            prov_m[~has].plot(ax=a, facecolor="#e6e6e6", edgecolor="#bbbbbb", linewidth=0.5, hatch="///")
        if has.any():
            prov_m[has].plot(ax=a, column="bonded_share", cmap=self.cmap, norm=self.norm, edgecolor="#7a7a7a",
                             linewidth=0.4)

    def draw_main(self, ax, legend_ax):
        """Provinces, flows, sites, gateways, scale bar, north arrow and attribution."""
        self.draw_provinces(ax)
        vx0, vy0, vx1, vy1 = self.view_m(MAIN_VIEW)
        ax.set_xlim(vx0, vx1)
        ax.set_ylim(vy0, vy1)
        ax.set_aspect("equal")
        ax.apply_aspect()
        # each flow in its regime's colour; parcel legs (gateway -> province, no site) dashed
        for leg, style, z in (("parcel", "--", 4), ("inbound", "-", 5), ("outbound", "-", 6)):
            sel = self.lines[self.lines["leg"] == leg].sort_values("orders")
            if sel.empty:
                continue
            x0, y0 = self.to_m(sel["x0"], sel["y0"])
            x1, y1 = self.to_m(sel["x1"], sel["y1"])
            for a0, b0, a1, b1, w, md in zip(x0, y0, x1, y1, self.line_width(sel["orders"]), sel["mode"]):
                ax.plot([a0, a1], [b0, b1], color=regime_colour(md), lw=w, ls=style, alpha=0.75,
                        solid_capstyle="round", zorder=z)
        self.draw_points(ax, legend_ax)
        for axis in (ax,):
            axis.set_xticks([])
            axis.set_yticks([])
            axis.set_xlabel("")
            axis.set_ylabel("")
            axis.set_facecolor("#f4f8fb")
        # scale bar and north arrow (bottom left, over the Gulf of Thailand)
        length_km = _nice_length((vx1 - vx0) / 1000 / 4)
        _scale_bar(ax, vx0 + 0.05 * (vx1 - vx0), vy0 + 0.03 * (vy1 - vy0), length_km * 1000, length_km)
        ax.annotate("N", xy=(0.08, 0.2), xytext=(0.08, 0.13), xycoords="axes fraction", ha="center", va="center",
                    fontsize=12, fontweight="bold", arrowprops=dict(facecolor="black", width=3, headwidth=10))
        ax.text(0.99, 0.005, ATTRIBUTION.replace(" (Dept", "\n(Dept").replace("; ", ";\n"), transform=ax.transAxes,
                ha="right", va="bottom", fontsize=6.5, color="#555555", zorder=20,
                bbox=dict(boxstyle="square,pad=0.2", fc="white", ec="none", alpha=0.7))

    def draw_points(self, ax, legend_ax):
        """Candidate sites, gateways and the opened sites (sized by throughput, labelled where there is room)."""
        sites, opened, gws = self.sites, self.opened, self.gws
        closed = sites[~sites["opened"].astype(bool)]
        if len(closed):
            x, y = self.to_m(closed["lon"], closed["lat"])
            ax.scatter(x, y, s=22, facecolor="white", edgecolor=CLOSED_COLOUR, linewidth=1.0, zorder=7)
        for gtype, marker in GATEWAY_MARKERS.items():
            g = gws[gws["type"] == gtype]
            if len(g):
                x, y = self.to_m(g["lon"], g["lat"])
                ax.scatter(x, y, s=38, marker=marker, facecolor="#333333", edgecolor="white", linewidth=0.7, zorder=11)
        other = gws[~gws["type"].isin(list(GATEWAY_MARKERS))]
        if len(other):
            x, y = self.to_m(other["lon"], other["lat"])
            ax.scatter(x, y, s=34, marker="P", facecolor="#333333", edgecolor="white", linewidth=0.7, zorder=11)
        if len(opened):
            x, y = self.to_m(opened["lon"], opened["lat"])
            size = self.site_size(opened["throughput_orders"])
            self.draw_held(ax, x, y, size)
            _, unlabelled = label_sites(ax, x, y, list(opened["site"]), np.sqrt(size) / 2)
            if unlabelled:  # no room beside the marker: named under the legend instead
                legend_ax.text(0.0, 0.0, "Not labelled (no room): " + ", ".join(unlabelled), fontsize=7.5,
                               transform=legend_ax.transAxes, va="bottom", wrap=True)

    def held(self) -> list[list[str]]:
        """The regimes each opened site holds (sites.csv ``regimes_held``), in registry order."""
        col = self.opened["regimes_held"] if "regimes_held" in self.opened.columns else pd.Series("", self.opened.index)
        order = {md: i for i, md in enumerate(regimes.MODES)}
        return [sorted(str(h or "").split(), key=lambda md: (order.get(md, len(order)), md)) for h in col.fillna("")]

    def regimes_shown(self) -> list[str]:
        """Every regime held at an opened site or carried by a drawn flow, in registry order."""
        present = {md for h in self.held() for md in h} | set(self.lines["mode"].astype(str)) - {""}
        return [md for md in regimes.MODES if md in present] + sorted(present - set(regimes.MODES))

    def draw_held(self, ax, x, y, size) -> None:
        """Opened sites, each filled with the colour of the regime it holds; a site holding several
        shows them as concentric discs (the first largest), as map.html does. Sites holding none
        (a hand-made or older result) keep SITE_COLOUR."""
        for xi, yi, si, held in zip(x, y, size, self.held()):
            for depth, md in enumerate(held or [None]):
                ax.scatter([xi], [yi], s=si * 0.62 ** (2 * depth), facecolor=regime_colour(md) if md else SITE_COLOUR,
                           edgecolor="black", linewidth=0.9, alpha=0.95, zorder=9 + 0.01 * depth)

    def draw_inset(self, inset):
        """Hoang Sa and Truong Sa archipelagos, the islands ringed so they stay visible at this scale."""
        self.draw_provinces(inset)
        ix0, iy0, ix1, iy1 = self.view_m(INSET_VIEW)
        inset.set_xlim(ix0, ix1)
        inset.set_ylim(iy0, iy1)
        inset.set_aspect("equal")
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_xlabel("")
        inset.set_ylabel("")
        inset.set_facecolor("#f4f8fb")
        parts = self.prov_m[["code", "geometry"]].explode(index_parts=False)
        lon_m = self.to_m(ARCHIPELAGO_LON, 12.0)[0][0]
        far = parts[parts.geometry.centroid.x > lon_m]
        if len(far):
            c = far.geometry.centroid
            inset.scatter(c.x, c.y, s=9, facecolor="none", edgecolor="#444444", linewidth=0.5, zorder=3)
        for label, lon, lat, va in ARCHIPELAGOS:
            x, y = self.to_m(lon, lat)
            inset.text(x[0], y[0], label, ha="center", va=va, fontsize=8.5, zorder=5)
        mx1 = self.view_m(MAIN_VIEW)[2]
        inset.axvline(mx1, color="#888888", lw=0.8, ls=":")
        inset.text(mx1, iy0, " edge of\n main map", fontsize=7, color="#666666", va="bottom", ha="left")
        inset.set_title("Hoàng Sa and Trường Sa archipelagos (islands ringed)", fontsize=9)

    def draw_legend(self, fig, legend_ax):
        """Site sizes, gateways, flow legs, line width and the colour bar of the bonded share."""
        from matplotlib.cm import ScalarMappable
        from matplotlib.lines import Line2D
        from matplotlib.ticker import PercentFormatter

        gws, lines, max_thr = self.gws, self.lines, self.max_thr
        # one entry per regime present (its sites and its flows share the colour), then sizes in grey
        # (a disc for a regime held at sites, a dashed line for a parcel regime)
        handles = [Line2D([], [], ls="-" if md in regimes.STOCKED else "--", lw=3,
                          marker="o" if md in regimes.STOCKED else "", ms=9, color=regime_colour(md),
                          mfc=regime_colour(md), mec="black", label=regimes.label(md)) for md in self.regimes_shown()]
        handles += [Line2D([], [], ls="", marker="o", ms=math.sqrt(float(self.site_size(v))), mfc="#bdbdbd",
                           mec="black", label=f"site opened, {quantity(v)} orders/yr")
                    for v in sorted({max_thr, max_thr / 4, max_thr / 16}, reverse=True)]
        handles.append(
            Line2D([], [], ls="", marker="o", ms=5, mfc="white", mec=CLOSED_COLOUR, label="candidate, not opened"))
        handles += [Line2D([], [], ls="", marker=m, ms=8, mfc="#333333", mec="white",
                           label=f"gateway: {GATEWAY_LABELS[t]}")
                    for t, m in GATEWAY_MARKERS.items() if (gws["type"] == t).any()]
        for leg, style, text, top in (
                ("outbound", "-", "site \u2192 province (outbound)", TOP_OUTBOUND),
                ("inbound", "-", "gateway \u2192 site (inbound)", TOP_INBOUND),
                ("parcel", "--", "gateway \u2192 province (parcel)", TOP_PARCEL)):
            sel = lines[lines["leg"] == leg]
            if len(sel):
                handles.append(Line2D([], [], color="#555555", ls=style, lw=2,
                                      label=f"{text}, top {min(top, len(sel))}"))
        handles.append(Line2D([], [], color="#777777", lw=float(self.line_width(self.max_line)),
                              label=f"line width: {quantity(self.max_line)} orders/yr"))
        legend_ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=8.5, labelspacing=1.1,
                         borderpad=0.2, handletextpad=1.0)
        cax = fig.add_axes([0.665, 0.12, 0.30, 0.016])
        cb = fig.colorbar(ScalarMappable(norm=self.norm, cmap=self.cmap), cax=cax, orientation="horizontal")
        cb.set_label("bonded share of the province's orders (hatched: no demand)", fontsize=8.5)
        cb.ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        cb.ax.tick_params(labelsize=8)

    def subtitle(self) -> str:
        """Regime shares, unmet share, sites opened and status, in one line."""
        s = self.result.summary
        shares = s.get("mode_share") or {}
        enabled = {md for md, r in (s.get("regimes") or {}).items() if r.get("enabled")}
        n = len(self.opened)
        return (", ".join(f"{regimes.label(k)} {v:.0%}" for k, v in shares.items() if v > 0 or k in enabled)
                + f", unmet {s.get('unmet_share') or 0:.0%} of {quantity(s.get('total_demand_orders', 0))} orders/yr; "
                f"{n} site{'s' if n != 1 else ''} opened; status {s.get('status', '?')}")


@plain_text
def write_png(result, path, geometry=None, dpi=130) -> None:
    """Static map for reports (matplotlib Agg, no tiles): the main view, the archipelagos inset and
    the legend (:class:`_PngMap` draws each)."""
    # A bare Figure on the Agg canvas: no pyplot, so no global backend switch and no GUI.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    m = _PngMap(result, geometry)
    fig = Figure(figsize=(11, 12.5), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0.02, 0.03, 0.62, 0.90])
    inset = fig.add_axes([0.645, 0.43, 0.34, 0.40])
    legend_ax = fig.add_axes([0.645, 0.03, 0.34, 0.39])
    legend_ax.axis("off")
    m.draw_main(ax, legend_ax)
    m.draw_inset(inset)
    m.draw_legend(fig, legend_ax)
    fig.suptitle(_title(result), fontsize=13, fontweight="bold", y=0.985)
    fig.text(0.5, 0.948, m.subtitle(), ha="center", fontsize=9.5)
    fig.savefig(path, dpi=dpi, format="png")


# ----------------------------------------------------------------------------- HTML

#: map.html at its first view: pixels per degree of latitude (900 px high, 17.5 degrees shown)
HTML_PX_PER_DEG_LAT = 48.0
HTML_FONT_PX = 10


def html_label_boxes(anchor, size, radius):
    """Plotly's eight ``textposition`` boxes around a marker (pixels), as it draws them: beside
    the marker's edge, or centred on it along one axis."""
    (x, y), (w, h), r = anchor, size, radius
    for vert in ("top", "middle", "bottom"):
        for horiz in ("right", "left", "center"):
            if vert == "middle" and horiz == "center":
                continue
            x0 = x + r if horiz == "right" else x - r - w if horiz == "left" else x - w / 2
            y0 = y + r if vert == "top" else y - r - h if vert == "bottom" else y - h / 2
            yield f"{vert} {horiz}", (x0, y0, x0 + w, y0 + h)


def html_label_positions(sites: pd.DataFrame, marker_px) -> list[str | None]:
    """Plotly ``textposition`` per opened site ('top right', 'middle left', ...) so that no label
    overlaps another label or marker at the first view of map.html (:func:`place_labels` on
    estimated pixels: :data:`HTML_PX_PER_DEG_LAT`, a 10 px font), or None: no room, not labelled."""
    lat = sites["lat"].to_numpy(float)
    lon = sites["lon"].to_numpy(float)
    k_lat = HTML_PX_PER_DEG_LAT
    k_lon = k_lat * math.cos(math.radians(16.0))  # the scale ratio of the map's axes
    anchors = list(zip(lon * k_lon, lat * k_lat))
    sizes = [html_label_size(t) for t in sites["site"]]
    radii = list(np.broadcast_to(np.asarray(marker_px, float) / 2, len(sites)))
    return [None if spot is None else spot[0]
            for spot in place_labels(anchors, sizes, radii, candidates=html_label_boxes)]


def html_label_size(text: str) -> tuple[float, float]:
    """Estimated pixels of a label in map.html (10 px font)."""
    return 0.62 * HTML_FONT_PX * len(str(text)) + 4, HTML_FONT_PX * 1.3


def _rings(geom, tol):
    """Exterior rings of a (multi)polygon, simplified, as lists of lon and lat with None breaks."""
    g = geom.simplify(tol, preserve_topology=True) if tol else geom
    polys = getattr(g, "geoms", [g])
    xs, ys = [], []
    for p in polys:
        if p.is_empty:
            continue
        x, y = p.exterior.coords.xy
        xs += [round(v, 4) for v in x] + [None]
        ys += [round(v, 4) for v in y] + [None]
    return xs, ys


def _html_provinces(fig, prov, simplify_deg: float) -> None:
    """One filled trace per province, coloured by its bonded share, its regime shares on hover."""
    import plotly.graph_objects as go
    from plotly.colors import sample_colorscale

    modes = [c[:-6] for c in prov.columns if c.endswith("_share")]
    for r in prov.itertuples():
        xs, ys = _rings(r.geometry, simplify_deg)
        share = r.bonded_share
        colour = "#eeeeee" if not (share == share) else sample_colorscale(SHARE_SCALE, [float(share)])[0]
        text = (f"<b>{r.name_vi}</b> ({r.code})<br>orders {r.total_orders:,.0f}/yr<br>"
                + (", ".join(f"{m.replace('_', ' ')} {getattr(r, m + '_share'):.1%}" for m in modes)
                   if share == share else "no demand in this scenario"))
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=colour,
                                 line=dict(color=PROVINCE_BORDER, width=0.8), hoveron="fills", text=text,
                                 hoverinfo="text", name=r.name_ascii, legendgroup="provinces",
                                 showlegend=False))


def _html_flows(fig, result) -> tuple[pd.DataFrame, list[str], set]:
    """The flows, one colour per regime, dashed for parcels; (the drawn flows aggregated, the regimes
    shown, the regimes some opened site holds)."""
    import plotly.graph_objects as go

    sites = result.sites
    gws = result.scenario.tables["gateways"]
    # flows: one colour per regime, dashed for parcels; a trace per regime, product, leg and width class
    # (segments joined by gaps), so the controls above the map can show or hide a regime or a product
    flows = result.flows
    drawn = flows[flows["leg"].isin(DRAWN_LEGS) & (flows["orders"] > 0)] if len(flows) else flows
    pts = {"site": result.sites.set_index("site")[["lon", "lat"]], "gateway": gws.set_index("gateway")[["lon", "lat"]],
           "zone": _zone_points(result.scenario)[["lon", "lat"]]}
    ends = {"inbound": ("gateway", "site"), "outbound": ("site", "zone"), "parcel": ("gateway", "zone")}
    agg = (drawn.groupby(["mode", "leg", "product", *sorted({c for v in ends.values() for c in v})], dropna=False,
                         as_index=False)["orders"].sum() if len(drawn) else
           pd.DataFrame(columns=["mode", "leg", "product", "orders"]))
    max_line = max(float(agg["orders"].max()) if len(agg) else 0.0, 1.0)
    shown_regimes = [md for md in [*regimes.MODES, *sorted(set(agg["mode"]) - set(regimes.MODES))]
                     if md in set(agg["mode"]) or (result.summary.get("mode_share") or {}).get(md, 0) > 0]
    held = sites["regimes_held"].fillna("").astype(str) if "regimes_held" in sites.columns else \
        pd.Series("", index=sites.index)
    opened = sites["opened"].astype(bool)
    stocked_here = {md for h in held[opened] for md in h.split()}
    shown_regimes += [md for md in sorted(stocked_here) if md not in shown_regimes]
    legend_done: set = set()
    for md in shown_regimes:
        colour = regime_colour(md)
        for leg in ("inbound", "outbound", "parcel"):
            sel = agg[(agg["mode"] == md) & (agg["leg"] == leg)]
            a, b = ends[leg]
            for product, by_product in sel.groupby("product"):
                width_class = np.minimum((by_product["orders"].to_numpy(float) / max_line * 3).astype(int), 2)
                for w in sorted(set(width_class)):
                    part = by_product[width_class == w]
                    xs, ys, texts = [], [], []
                    for r in part.itertuples():
                        x0, y0 = pts[a].loc[str(getattr(r, a))]
                        x1, y1 = pts[b].loc[str(getattr(r, b))]
                        xs += [x0, x1, None]
                        ys += [y0, y1, None]
                        t = (f"{regimes.label(md)}, {leg}: {getattr(r, a)} → {getattr(r, b)}<br>{product}: "
                             f"{r.orders:,.0f} orders/yr")
                        texts += [t, t, None]
                    show = md not in stocked_here and md not in legend_done
                    legend_done.add(md)
                    fig.add_trace(go.Scatter(
                        x=xs, y=ys, mode="lines", line=dict(color=colour, width=1 + 2.5 * w,
                                                            dash="dash" if leg == "parcel" else "solid"),
                        opacity=0.75, name=regimes.label(md), legendgroup=md, showlegend=show, hoverinfo="text",
                        text=texts, meta={"kind": "flow", "regime": md, "product": str(product), "leg": leg}))
    return agg, shown_regimes, stocked_here


def _html_sites(fig, result, shown_regimes: list[str], stocked_here: set) -> list[str]:
    """Candidate and opened sites (coloured by each regime they hold, sized by throughput, labelled
    where there is room) and the robust ring; returns the opened sites left unlabelled."""
    import plotly.graph_objects as go

    sites = result.sites
    held = sites["regimes_held"].fillna("").astype(str) if "regimes_held" in sites.columns else \
        pd.Series("", index=sites.index)
    opened = sites["opened"].astype(bool)
    # sites: coloured by each regime they hold (a site holding two shows both, one inside the other),
    # size by throughput; one legend entry per regime, which also shows or hides its flows
    max_thr = max(float(sites.loc[opened, "throughput_orders"].max()) if opened.any() else 0.0, 1.0)


    notes = site_notes(result.summary)

    def site_text(r):
        extra = "".join(f"<br>{line}" for line in notes.get(r.site, []))
        if not r.opened:
            return f"<b>{r.site}</b> {r.name}<br>{r.site_type}, not opened" + extra
        held_words = " + ".join(regimes.label(m) for m in str(getattr(r, "regimes_held", "") or "").split()) or "none"
        return (f"<b>{r.site}</b> {r.name}<br>level {r.level}, {r.site_type}<br>holds {held_words}<br>"
                f"throughput {r.throughput_orders:,.0f} orders/yr<br>utilisation {r.utilisation:.0%} of "
                f"{r.capacity_orders:,.0f}<br>fixed cost {r.fixed_cost_usd:,.0f} USD/yr" + extra)

    closed = sites[~opened]
    if len(closed):
        fig.add_trace(go.Scatter(x=closed["lon"], y=closed["lat"], mode="markers", name="candidate, not opened",
                                 hovertext=[site_text(r) for r in closed.itertuples()], hoverinfo="text",
                                 marker=dict(size=7, color="white", line=dict(color=CLOSED_COLOUR, width=1)),
                                 meta={"kind": "candidates"}))
    open_sites = sites[opened]
    size_all = pd.Series(9 + 30 * np.sqrt(open_sites["throughput_orders"].to_numpy(dtype=float) / max_thr),
                         index=open_sites.index)
    positions = pd.Series(html_label_positions(open_sites, size_all.to_numpy()) if len(open_sites) else [],
                          index=open_sites.index, dtype=object)
    unlabelled: list[str] = [f"{k} {n}" for k, n, pos in zip(open_sites["site"], open_sites["name"], positions)
                             if pos is None]
    labelled: set = set()
    order = [md for md in shown_regimes if md in stocked_here]
    for depth, md in enumerate(order):
        s_ = open_sites[held[opened].str.split().map(lambda h, md=md: md in h)]
        if not len(s_):
            continue
        rank = s_.index.map(lambda i: sum(m in held[i].split() for m in order[:depth]))  # regimes drawn under it
        size = size_all[s_.index] * (0.62 ** rank.to_numpy())
        text = [k if positions[i] and k not in labelled else "" for i, k in zip(s_.index, s_["site"])]
        labelled.update(k for k in text if k)
        fig.add_trace(go.Scatter(
            x=s_["lon"], y=s_["lat"], mode="markers+text", name=f"{regimes.label(md)} (size: throughput)",
            legendgroup=md, text=text, textposition=[positions[i] or "top right" for i in s_.index],
            textfont=dict(size=10), hovertext=[site_text(r) for r in s_.itertuples()], hoverinfo="text",
            marker=dict(size=size, color=regime_colour(md), line=dict(color="black", width=1)),
            meta={"kind": "site", "regime": md}))
    bare = open_sites[held[opened].str.strip() == ""]
    if len(bare):  # opened without a stocked regime (a hand-made or older result)
        fig.add_trace(go.Scatter(x=bare["lon"], y=bare["lat"], mode="markers+text", name="site opened",
                                 text=list(bare["site"]), textposition="top right",
                                 hovertext=[site_text(r) for r in bare.itertuples()], hoverinfo="text",
                                 marker=dict(size=size_all[bare.index], color=SITE_COLOUR,
                                             line=dict(color="black", width=1)), meta={"kind": "site"}))
    robust = sites[sites["site"].isin(robust_sites(result.summary))]
    if len(robust):  # a ring around the sites open in every near-optimal alternative
        fig.add_trace(go.Scatter(x=robust["lon"], y=robust["lat"], mode="markers", hoverinfo="skip",
                                 name="robust: open in every near-optimal alternative",
                                 marker=dict(symbol="circle-open", size=44, color="#1a9850", line=dict(width=3))))
    return unlabelled


def _html_gateways(fig, gws) -> None:
    """Gateways by type (airport, seaport, land border)."""
    import plotly.graph_objects as go

    for gtype, symbol in (("airport", "triangle-up"), ("seaport", "square"), ("land_border", "diamond")):
        g = gws[gws["type"] == gtype]
        if len(g):
            fig.add_trace(
                go.Scatter(
                    x=g["lon"],
                    y=g["lat"],
                    mode="markers",
                    name=f"gateway: {GATEWAY_LABELS[gtype]}",
                    marker=dict(symbol=symbol, size=9, color="#333333", line=dict(color="white", width=1)),
                    text=[f"<b>{a}</b> {n}<br>{gtype}" for a, n in zip(g["gateway"], g["name"])],
                    hoverinfo="text",
                )
            )


def _paper_note(text: str, x: float, y: float, xanchor: str, yanchor: str, **style) -> dict:
    """A plotly annotation placed in paper coordinates, without an arrow."""
    return dict(text=text, x=x, y=y, xref="paper", yref="paper", showarrow=False, xanchor=xanchor,
                yanchor=yanchor, **style)


def write_html(result, path, geometry=None, simplify_deg=0.01) -> None:
    """Interactive map (plotly, JS inlined: works offline, no tile server): provinces, flows, sites
    and gateways, with check boxes above it to show or hide each regime and product."""
    import plotly.graph_objects as go

    fig = go.Figure()
    _html_provinces(fig, provinces_with_shares(result, geometry), simplify_deg)
    agg, shown_regimes, stocked_here = _html_flows(fig, result)
    unlabelled = _html_sites(fig, result, shown_regimes, stocked_here)
    _html_gateways(fig, result.scenario.tables["gateways"])
    # colour bar for the shading (an invisible marker trace carries it)
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                             marker=dict(colorscale=SHARE_SCALE, cmin=0, cmax=1, color=[0], showscale=True,
                                         colorbar=dict(title="bonded share", tickformat=".0%", len=0.5, y=0.25,
                                                       x=1.0))))
    mid_lat = 16.0
    annotations = []
    if unlabelled:  # no room for these labels at the first view: a list instead (hover names them too)
        annotations.append(_paper_note("<b>Sites not labelled (no room; hover over a marker)</b><br>"
                                       + "<br>".join(unlabelled), 0.62, 0.30, "left", "top", align="left",
                                       font=dict(size=10), bgcolor="rgba(255,255,255,0.85)"))
    fig.update_layout(
        title=dict(text=_title(result), x=0.5),
        xaxis=dict(visible=False, range=[101.8, 117.5]),
        yaxis=dict(visible=False, range=[6.3, 23.8], scaleanchor="x", scaleratio=1 / math.cos(math.radians(mid_lat))),
        plot_bgcolor="#f4f8fb",
        paper_bgcolor="white",
        height=900,
        hovermode="closest",
        legend=dict(x=0.62, y=0.98, bgcolor="rgba(255,255,255,0.85)"),
        margin=dict(l=10, r=10, t=50, b=10),
        annotations=[
            _paper_note(ATTRIBUTION + ". Hoàng Sa and Trường Sa archipelagos in the east (zoom in).", 0, 0, "left",
                        "bottom", font=dict(size=10, color="#555555")),
            *annotations,
        ],
    )
    fig.write_html(str(path), include_plotlyjs=True, full_html=True, post_script=toggle_script(
                       shown_regimes, sorted(set(agg["product"].astype(str))) if len(agg) else []),
                   config={"displaylogo": False, "scrollZoom": True, "responsive": True})


def toggle_script(modes: list[str], products: list[str]) -> str:
    """JavaScript run after the plot is drawn: a check box per regime and per product above the map;
    a trace whose ``meta`` names an unticked regime or product is hidden (Plotly.restyle)."""
    import json

    boxes = {"regime": [(md, regimes.label(md), regime_colour(md)) for md in modes],
             "product": [(p, p.replace("_", " "), "#333333") for p in products]}
    return """
(function () {
  var gd = document.getElementById('{plot_id}');
  var groups = %s;
  var on = {regime: {}, product: {}};
  var bar = document.createElement('div');
  bar.id = 'map-controls';
  bar.style.cssText = 'font: 13px sans-serif; padding: 4px 10px; line-height: 1.8';
  Object.keys(groups).forEach(function (kind) {
    var row = document.createElement('div');
    row.appendChild(document.createTextNode(kind === 'regime' ? 'Regimes: ' : 'Products: '));
    groups[kind].forEach(function (g) {
      on[kind][g[0]] = true;
      var label = document.createElement('label');
      label.style.cssText = 'margin-right: 12px; color: ' + g[2];
      var box = document.createElement('input');
      box.type = 'checkbox'; box.checked = true; box.dataset.kind = kind; box.dataset.value = g[0];
      box.className = 'map-toggle';
      box.addEventListener('change', function () { on[kind][g[0]] = box.checked; apply(); });
      label.appendChild(box);
      label.appendChild(document.createTextNode(' ' + g[1]));
      row.appendChild(label);
    });
    bar.appendChild(row);
  });
  gd.parentNode.insertBefore(bar, gd);
  function apply() {
    var idx = [], vis = [];
    gd.data.forEach(function (t, i) {
      var m = t.meta || {};
      if (m.kind !== 'flow' && m.kind !== 'site') { return; }
      var show = (m.regime === undefined || on.regime[m.regime] !== false) &&
                 (m.product === undefined || on.product[m.product] !== false);
      idx.push(i); vis.push(show);
    });
    if (idx.length) { Plotly.restyle(gd, {visible: vis}, idx); }
  }
})();
""" % json.dumps(boxes)


# ----------------------------------------------------------------------------- all files

MAP_FILES = ("map.png", "map.html", "sites.geojson", "flows.geojson")


def map_writers(result) -> dict:
    """``{file name: writer(path)}`` for every map file; the province geometry is read once."""
    cache = {}

    def geom():
        if "g" not in cache:
            cache["g"] = province_geometry(result.scenario)
        return cache["g"]

    return {
        "map.png": lambda p: write_png(result, p, geom()),
        "map.html": lambda p: write_html(result, p, geom()),
        "sites.geojson": lambda p: write_sites_geojson(result, p),
        "flows.geojson": lambda p: write_flows_geojson(result, p),
    }


def write_maps(result, out_dir) -> dict[str, Path]:
    """Write every map file into ``out_dir`` (not atomically; see write_results for that)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, writer in map_writers(result).items():
        writer(out_dir / name)
        paths[name] = out_dir / name
    return paths
