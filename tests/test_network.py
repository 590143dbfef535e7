"""Road graph: connected, shortest paths, circuity, along-meridian distances known by hand."""
import math

import networkx as nx
import pandas as pd
import pytest

from model import load_scenario
from model.network import great_circle_km, road_graph, road_km, scenario_road_distances

KM_PER_DEGREE = 6371.0088 * math.pi / 180


def test_great_circle_one_degree_of_latitude():
    assert great_circle_km(10.0, 106.0, 11.0, 106.0) == pytest.approx(KM_PER_DEGREE, rel=1e-12)


def test_chain_distance_is_sum_of_edges_times_circuity():
    """Five nodes one degree apart on a meridian: end to end is 4 degrees x circuity, whichever
    edges the graph keeps (distances along a meridian add up)."""
    nodes = pd.DataFrame({"lat": [10.0, 11.0, 12.0, 13.0, 14.0], "lon": 106.0}, index=list("abcde"))
    g = road_graph(nodes, circuity=1.3, neighbours=1)
    assert nx.is_connected(g)
    km = road_km(g, ["a"], ["e"]).loc["a", "e"]
    assert km == pytest.approx(4 * KM_PER_DEGREE * 1.3, rel=1e-12)


def test_graph_is_connected_even_with_one_neighbour():
    nodes = pd.DataFrame({"lat": [10, 10.1, 20, 20.1], "lon": [106, 106, 105, 105.1]}, index=list("abcd"))
    assert nx.is_connected(road_graph(nodes, 1.0, neighbours=1))


def test_default_network_road_km_not_shorter_than_circuity_times_straight_line():
    sc = load_scenario()
    d = scenario_road_distances(sc)
    prov = sc.tables["provinces"].set_index("code")
    sites = sc.tables["sites"].set_index("site")
    c = sc.param("network.circuity_factor")
    for k in sites.index[:5]:
        for z in prov.index:
            straight = great_circle_km(sites.at[k, "lat"], sites.at[k, "lon"], prov.at[z, "lat"], prov.at[z, "lon"])
            assert d.site_zone.at[k, z] >= c * straight - 1e-6
    hn_hcm = d.site_zone.at["K02", "79"]  # Hanoi ICD cluster -> Ho Chi Minh City
    assert 1500 < hn_hcm < 2100  # the real road distance is about 1,650-1,700 km
