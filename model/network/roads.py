"""Road distances and driving hours over a networkx graph of Vietnam's main road corridors.

The corridor graph is data (docs/network.md): ``road_waypoints.csv`` (corridor nodes: the 34
administrative centres and junction or town waypoints), ``road_edges.csv`` (the road between two
nodes, its class and, where published, its km) and ``road_classes.csv`` (circuity and truck
speed per class). An edge without a published km is great-circle km x the circuity of its
class. Province centres (zones), gateways and sites are *leaves*: each is joined to its
nearest corridor node by an access edge of great-circle km x ``network.circuity_factor``,
and leaves attached to the same corridor node are also joined directly. A leaf is never
on the way between two other nodes, so the access edges cannot short-cut the corridors.
Routes are the fastest (least driving hours); the km tables hold the km of those routes.

A data folder without ``road_edges.csv`` (e.g. a small test scenario) gets the old stand-in:
each node joined to its ``NEIGHBOURS`` nearest nodes plus a minimum spanning tree
(:func:`road_graph`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from model.core.cache import LRUCache
from model.io.corridors import ROAD_TABLES, load_corridors

EARTH_RADIUS_KM = 6371.0088
NEIGHBOURS = 4
#: The corridor tables of a data folder, in loading order (references point backwards).
#: Class of the access edges that join zones, gateways and sites to the corridors.
ACCESS = "access"


def great_circle_km(lat1, lon1, lat2, lon2):
    """Haversine distance in km (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


# ---------------------------------------------------------------------------------------------
# Stand-in graph (data folders without road tables)
# ---------------------------------------------------------------------------------------------

def road_graph(nodes: pd.DataFrame, circuity: float, neighbours: int = NEIGHBOURS,
               speed_kmh: float = 50.0) -> nx.Graph:
    """Stand-in road graph over ``nodes`` (index = node id; columns lat, lon): each node joined
    to its ``neighbours`` nearest nodes, plus a minimum spanning tree. Edge attributes ``km``
    (great-circle x ``circuity``) and ``hours`` (km / ``speed_kmh``, one speed everywhere)."""
    ids = list(nodes.index)
    lat, lon = nodes["lat"].to_numpy(float), nodes["lon"].to_numpy(float)
    d = great_circle_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    complete = nx.Graph()
    g = nx.Graph()

    def add(u, v, km):
        g.add_edge(u, v, km=km, hours=km / speed_kmh, road_class="stand-in")

    for i, u in enumerate(ids):
        g.add_node(u, lat=lat[i], lon=lon[i])
        for j in range(i + 1, len(ids)):
            complete.add_edge(u, ids[j], km=float(d[i, j]))
    for i, u in enumerate(ids):
        order = np.argsort(d[i])
        for j in order[1:neighbours + 1]:
            add(u, ids[j], float(d[i, j]) * circuity)
    for u, v, data in nx.minimum_spanning_edges(complete, weight="km", data=True):
        add(u, v, data["km"] * circuity)
    return g


# ---------------------------------------------------------------------------------------------
# Corridor graph
# ---------------------------------------------------------------------------------------------

def corridor_graph(tables: dict[str, pd.DataFrame]) -> nx.Graph:
    """Graph of the corridor tables: nodes ``wp:<waypoint>`` (lat, lon), edges with ``km``,
    ``hours``, ``road_class``, ``route`` and ``published`` (True where km is a published length)."""
    classes = tables["road_classes"].set_index("road_class")
    wps = tables["road_waypoints"].set_index("waypoint")
    g = nx.Graph()
    for w, r in wps.iterrows():
        g.add_node(f"wp:{w}", lat=float(r["lat"]), lon=float(r["lon"]), kind="waypoint", name=r["name"])
    for r in tables["road_edges"].itertuples(index=False):
        a, b = wps.loc[r[0]], wps.loc[r[1]]  # from, to
        cls = classes.loc[r.road_class]
        published = not pd.isna(r.km)
        km = (
            float(r.km)
            if published
            else float(great_circle_km(a["lat"], a["lon"], b["lat"], b["lon"])) * cls["circuity"]
        )
        g.add_edge(f"wp:{r[0]}", f"wp:{r[1]}", km=km, hours=km / cls["speed_kmh"], road_class=r.road_class,
                   route=r.route, published=published)
    return g


def attach_leaves(g: nx.Graph, leaves: pd.DataFrame, circuity: float, speed_kmh: float) -> nx.Graph:
    """Add ``leaves`` (index = node id; columns lat, lon) to the corridor graph ``g`` (in place).

    Each leaf is joined to its nearest corridor node by an access edge (great-circle km x
    ``circuity``, driven at ``speed_kmh``); leaves attached to the same corridor node are also
    joined directly (never longer than going through that node, by the triangle inequality).
    """
    corridor = [n for n, d in g.nodes(data=True) if d.get("kind") == "waypoint"]
    clat = np.array([g.nodes[n]["lat"] for n in corridor])
    clon = np.array([g.nodes[n]["lon"] for n in corridor])
    lat, lon = leaves["lat"].to_numpy(float), leaves["lon"].to_numpy(float)
    d = great_circle_km(lat[:, None], lon[:, None], clat[None, :], clon[None, :])
    nearest = d.argmin(axis=1)
    groups: dict[str, list[int]] = {}
    ids = list(leaves.index)
    for i, leaf in enumerate(ids):
        hub = corridor[nearest[i]]
        km = float(d[i, nearest[i]]) * circuity
        g.add_node(leaf, lat=lat[i], lon=lon[i], kind="leaf", attached_to=hub)
        g.add_edge(leaf, hub, km=km, hours=km / speed_kmh, road_class=ACCESS, route="access", published=False)
        groups.setdefault(hub, []).append(i)
    for members in groups.values():
        for x, i in enumerate(members):
            for j in members[x + 1:]:
                km = float(great_circle_km(lat[i], lon[i], lat[j], lon[j])) * circuity
                g.add_edge(ids[i], ids[j], km=km, hours=km / speed_kmh, road_class=ACCESS, route="local",
                           published=False)
    return g


# ---------------------------------------------------------------------------------------------
# Shortest paths
# ---------------------------------------------------------------------------------------------

def road_km(graph: nx.Graph, sources, targets) -> pd.DataFrame:
    """Road km of the route from each source (rows) to each target (columns); see :func:`road_km_hours`."""
    return road_km_hours(graph, sources, targets)[0]


def road_km_hours(graph: nx.Graph, sources, targets) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Road km and driving hours of the *fastest* route (least hours, as carriers drive: an
    expressway is preferred to a shorter mountain road). On a graph whose speeds are all equal
    (the stand-in) this is the shortest route.

    Dijkstra runs in scipy's compiled ``csgraph`` (networkx took 35 s for 88 sources on the
    3,300-zone benchmark graph, docs/performance.md); km are summed along each route from the
    source, edge by edge, in the same order as before, so the tables are unchanged.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    targets, sources = list(targets), list(sources)
    nodes = list(graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    edges = list(graph.edges(data=True))
    u = [index[a] for a, _, _ in edges]
    v = [index[b] for _, b, _ in edges]
    hrs = [d["hours"] for _, _, d in edges]
    kms = [d["km"] for _, _, d in edges]
    u, v = np.array(u, dtype=np.int64), np.array(v, dtype=np.int64)
    # an explicit zero could be read as "no edge": a leaf on top of its corridor node gets the least positive float
    w = np.maximum(np.array(hrs, dtype=float), np.finfo(float).tiny)
    n = len(nodes)
    H = csr_matrix((np.concatenate([w, w]), (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n))
    edge_km = {**dict(zip(zip(u.tolist(), v.tolist()), kms)), **dict(zip(zip(v.tolist(), u.tolist()), kms))}
    src = [index[s] for s in sources]
    tgt = np.array([index[t] for t in targets], dtype=np.int64)
    dist, pred = dijkstra(H, directed=True, indices=src, return_predecessors=True)
    km_rows, h_rows = {}, {}
    for row, s in enumerate(sources):
        km = np.full(n, np.inf)
        km[src[row]] = 0.0
        p = pred[row]
        for x in np.argsort(dist[row], kind="stable").tolist():  # parents settle before children
            if p[x] >= 0:
                km[x] = km[p[x]] + edge_km[p[x], x]
        h_rows[s] = dist[row, tgt]
        km_rows[s] = km[tgt]
    km = pd.DataFrame.from_dict(km_rows, orient="index", columns=targets)
    hours = pd.DataFrame.from_dict(h_rows, orient="index", columns=targets)
    return km, hours


@dataclass
class RoadDistances:
    """Road km tables of a scenario (index = from, columns = to) and the graph they come from.

    The ``*_hours`` tables hold the driving hours of the same routes (same shape; None only if
    built by hand without them). ``source`` says which graph was used: "corridors" or "stand-in".
    """

    graph: nx.Graph
    site_zone: pd.DataFrame
    gateway_zone: pd.DataFrame
    gateway_site: pd.DataFrame
    site_zone_hours: pd.DataFrame | None = None
    gateway_zone_hours: pd.DataFrame | None = None
    gateway_site_hours: pd.DataFrame | None = None
    source: str = "corridors"


#: Road distances kept per process, by what they are computed from (:func:`network_key`): the points of
#: a sweep or a break-even search differ in prices, not in places, so they share one computation.
DISTANCE_CACHE_SIZE = 4
#: The process's road distances by network_key (a caller may pass its own LRUCache instead).
DISTANCES: LRUCache = LRUCache(DISTANCE_CACHE_SIZE)


def network_key(scenario) -> str:
    """SHA-256 (16 hex digits) of what the road distances depend on: the places (provinces,
    gateways, sites: codes and coordinates), the corridor tables and the circuity and speed."""
    h = hashlib.sha256()
    t = scenario.tables
    for name, cols in (("provinces", ["code", "lat", "lon"]), ("gateways", ["gateway", "lat", "lon"]),
                       ("sites", ["site", "lat", "lon"])):
        h.update(name.encode())
        h.update(pd.util.hash_pandas_object(t[name][cols], index=False).values.tobytes())
    for name in ROAD_TABLES:
        if name in t:
            h.update(name.encode())
            h.update(pd.util.hash_pandas_object(t[name], index=False).values.tobytes())
    h.update(repr((scenario.param("network.circuity_factor"), scenario.param("network.truck_speed_kmh"))).encode())
    return h.hexdigest()[:16]


def scenario_road_distances(scenario, cache: LRUCache | None = None) -> RoadDistances:
    """Road km and driving hours from sites to zones and from gateways to zones and sites; computed
    once per process for the same places, corridors, circuity and speed (:func:`network_key`).
    The tables returned are shared: read them, do not change them."""
    cache = DISTANCES if cache is None else cache
    return cache.get_or_make(network_key(scenario), lambda: _scenario_road_distances(scenario))


def _scenario_road_distances(scenario) -> RoadDistances:
    t = scenario.tables
    zones = [f"zone:{c}" for c in t["provinces"]["code"]]
    sites = [f"site:{k}" for k in t["sites"]["site"]]
    gws = [f"gateway:{k}" for k in t["gateways"]["gateway"]]
    nodes = pd.concat([
        t["provinces"].set_index("code")[["lat", "lon"]].set_axis(zones),
        t["gateways"].set_index("gateway")[["lat", "lon"]].set_axis(gws),
        t["sites"].set_index("site")[["lat", "lon"]].set_axis(sites),
    ])
    circuity = scenario.param("network.circuity_factor")
    speed = scenario.param("network.truck_speed_kmh")
    # load_scenario has read and validated the corridor tables (they are in the input hash too)
    corridors = {t: scenario.tables[t] for t in ROAD_TABLES} if "road_edges" in scenario.tables else None
    if corridors is None:
        g, source = road_graph(nodes, circuity, speed_kmh=speed), "stand-in"
    else:
        access_speed = access_speed_kmh(corridors, speed)
        g, source = attach_leaves(corridor_graph(corridors), nodes, circuity, access_speed), "corridors"

    def strip(df: pd.DataFrame) -> pd.DataFrame:
        return df.rename(index=lambda s: s.split(":", 1)[1], columns=lambda s: s.split(":", 1)[1])

    sz, szh = road_km_hours(g, sites, zones)
    gz, gzh = road_km_hours(g, gws, zones)
    gs, gsh = road_km_hours(g, gws, sites)
    return RoadDistances(graph=g, site_zone=strip(sz), gateway_zone=strip(gz), gateway_site=strip(gs),
                         site_zone_hours=strip(szh), gateway_zone_hours=strip(gzh), gateway_site_hours=strip(gsh),
                         source=source)


def access_speed_kmh(corridors: dict[str, pd.DataFrame], default: float) -> float:
    """Speed on access edges: the ``access`` row of road_classes.csv if any, else ``default``
    (``network.truck_speed_kmh``)."""
    classes = corridors["road_classes"].set_index("road_class")
    return float(classes.at[ACCESS, "speed_kmh"]) if ACCESS in classes.index else float(default)


def waypoint_km(data_dir: Path | str, pairs) -> list[float]:
    """Road km of the fastest corridor route between pairs of waypoint ids (for checks against
    published distances)."""
    g = corridor_graph(load_corridors(data_dir))
    return [float(road_km(g, [f"wp:{a}"], [f"wp:{b}"]).iloc[0, 0]) for a, b in pairs]
