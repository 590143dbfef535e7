"""Road distances over a networkx graph of province centres, gateways and sites.

The graph is a stand-in for the main road corridors: every node is joined to its
``NEIGHBOURS`` nearest nodes (great-circle), plus the edges of a minimum spanning tree
so that the graph is connected; each edge's length is its great-circle km times the
circuity factor (road km per straight-line km). Distances are shortest paths, so a trip
from Ha Noi to Ho Chi Minh City follows the chain of coastal provinces instead of the
straight line. See docs/network.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088
NEIGHBOURS = 4


def great_circle_km(lat1, lon1, lat2, lon2):
    """Haversine distance in km (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def road_graph(nodes: pd.DataFrame, circuity: float, neighbours: int = NEIGHBOURS) -> nx.Graph:
    """Road graph over ``nodes`` (index = node id; columns lat, lon). Edge attribute ``km``."""
    ids = list(nodes.index)
    lat, lon = nodes["lat"].to_numpy(float), nodes["lon"].to_numpy(float)
    d = great_circle_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    complete = nx.Graph()
    g = nx.Graph()
    for i, u in enumerate(ids):
        g.add_node(u, lat=lat[i], lon=lon[i])
        for j in range(i + 1, len(ids)):
            complete.add_edge(u, ids[j], km=float(d[i, j]))
    for i, u in enumerate(ids):
        order = np.argsort(d[i])
        for j in order[1:neighbours + 1]:
            g.add_edge(u, ids[j], km=float(d[i, j]) * circuity)
    for u, v, data in nx.minimum_spanning_edges(complete, weight="km", data=True):
        g.add_edge(u, v, km=data["km"] * circuity)
    return g


def road_km(graph: nx.Graph, sources, targets) -> pd.DataFrame:
    """Shortest-path road km from each source (rows) to each target (columns)."""
    targets = list(targets)
    rows = {}
    for s in sources:
        lengths = nx.single_source_dijkstra_path_length(graph, s, weight="km")
        rows[s] = [lengths[t] for t in targets]
    return pd.DataFrame.from_dict(rows, orient="index", columns=targets)


@dataclass
class RoadDistances:
    """Road km tables of a scenario (index = from, columns = to) and the graph they come from."""

    graph: nx.Graph
    site_zone: pd.DataFrame
    gateway_zone: pd.DataFrame
    gateway_site: pd.DataFrame


def scenario_road_distances(scenario) -> RoadDistances:
    """Road km from sites to zones and from gateways to zones and sites."""
    t = scenario.tables
    zones = [f"zone:{c}" for c in t["provinces"]["code"]]
    sites = [f"site:{k}" for k in t["sites"]["site"]]
    gws = [f"gateway:{k}" for k in t["gateways"]["gateway"]]
    nodes = pd.concat([
        t["provinces"].set_index("code")[["lat", "lon"]].set_axis(zones),
        t["gateways"].set_index("gateway")[["lat", "lon"]].set_axis(gws),
        t["sites"].set_index("site")[["lat", "lon"]].set_axis(sites),
    ])
    g = road_graph(nodes, scenario.param("network.circuity_factor"))

    def strip(df: pd.DataFrame) -> pd.DataFrame:
        return df.rename(index=lambda s: s.split(":", 1)[1], columns=lambda s: s.split(":", 1)[1])

    return RoadDistances(
        graph=g,
        site_zone=strip(road_km(g, sites, zones)),
        gateway_zone=strip(road_km(g, gws, zones)),
        gateway_site=strip(road_km(g, gws, sites)),
    )
