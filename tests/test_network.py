"""Road graph: published city-pair distances, connectivity, leaves, hours, stand-in graph, bad data."""
import math
import shutil

import networkx as nx
import pandas as pd
import pytest

from model import load_scenario
from model.core.errors import DataError
from model.io.corridors import load_corridors
from model.io.scenario import DEFAULT_DATA_DIR
from model.network.roads import (
    corridor_graph,
    great_circle_km,
    road_graph,
    road_km,
    scenario_road_distances,
    waypoint_km,
)

KM_PER_DEGREE = 6371.0088 * math.pi / 180

#: Published road distances between well-known places (waypoint ids of data/road_waypoints.csv),
#: the same table as docs/data.md. The graph's shortest-path km must be within 10 %.
CITY_PAIRS = [
    # from,          to,             km,   source
    ("ha_noi", "ho_chi_minh", 1760, "Citizendium, 'Hanoi': 1760 km north of Saigon/Ho Chi Minh City"),
    ("ha_noi", "hai_phong", 102, "tourism.com.vn, 'Hai Phong City': 102 km southeast of Ha Noi"),
    ("ha_noi", "da_nang", 764, "Citizendium, 'Da Nang': Hanoi 764 km to the north (National Highway 1)"),
    ("ho_chi_minh", "can_tho", 169, "Can Tho University, ICAS conference page: 169 km from Ho Chi Minh City"),
    ("ha_noi", "lang_son", 160, "gptravelvietnam.com, 'Lang Son': approximately 160 km from Hanoi"),
    ("ha_noi", "lao_cai", 260, "Lao Cai city portal (tplaocai.laocai.gov.vn): approximately 260 km northwest of Hanoi"),
    (
        "da_nang",
        "ho_chi_minh",
        964,
        "Citizendium, 'Da Nang': Ho Chi Minh City 964 km to the south (National Highway 1)",
    ),
    ("ho_chi_minh", "vung_tau", 125, "Wikivoyage, 'Vung Tau': about 125 km from Ho Chi Minh City"),
    ("ha_noi", "vinh", 300, "Wikipedia, 'Vinh': about 300 km south of Hanoi"),
    ("nha_trang", "ho_chi_minh", 448, "thanhcongtours.com, 'Nha Trang': 448 km from Ho Chi Minh City"),
]


@pytest.fixture(scope="module")
def corridors():
    return load_corridors(DEFAULT_DATA_DIR)


@pytest.fixture(scope="module")
def default_distances():
    sc = load_scenario()
    return sc, scenario_road_distances(sc)


def test_great_circle_one_degree_of_latitude():
    assert great_circle_km(10.0, 106.0, 11.0, 106.0) == pytest.approx(KM_PER_DEGREE, rel=1e-12)


@pytest.mark.parametrize("a, b, published, source", CITY_PAIRS, ids=[f"{a}-{b}" for a, b, *_ in CITY_PAIRS])
def test_city_pair_within_ten_percent_of_published(a, b, published, source):
    (km,) = waypoint_km(DEFAULT_DATA_DIR, [(a, b)])
    assert abs(km / published - 1) <= 0.10, f"{a}-{b}: graph {km:.0f} km vs published {published} km ({source})"


def test_corridor_graph_is_connected_and_holds_every_centre(corridors):
    g = corridor_graph(corridors)
    assert nx.is_connected(g)
    wps = corridors["road_waypoints"]
    prov = load_scenario().tables["provinces"]
    centres = wps[wps["centre_of"] != ""].set_index("centre_of")
    assert sorted(centres.index) == sorted(prov["code"])
    for r in prov.itertuples():
        assert (centres.at[r.code, "lat"], centres.at[r.code, "lon"]) == (r.lat, r.lon)


def test_island_phu_quoc_is_reached_by_ferry(corridors):
    g = corridor_graph(corridors)
    path = nx.shortest_path(g, "wp:can_tho", "wp:phu_quoc", weight="km")
    assert g.edges[path[-2], path[-1]]["road_class"] == "ferry"


def test_published_km_is_used_where_given(corridors):
    g = corridor_graph(corridors)
    e = g.edges["wp:noi_bai", "wp:lao_cai"]
    assert e["published"] and e["km"] == 245


def test_leaves_never_short_cut_the_corridors(default_distances, corridors):
    """Zones, gateways and sites hang off the corridors: km between corridor nodes is the same
    with and without them."""
    _, d = default_distances
    bare = corridor_graph(corridors)
    for src in ["wp:ha_noi", "wp:ho_chi_minh", "wp:da_nang", "wp:hai_phong"]:
        with_leaves = nx.single_source_dijkstra_path_length(d.graph, src, weight="km")
        without = nx.single_source_dijkstra_path_length(bare, src, weight="km")
        for n, km in without.items():
            assert with_leaves[n] == pytest.approx(km, rel=1e-12)
    leaves = [n for n, a in d.graph.nodes(data=True) if a.get("kind") == "leaf"]
    assert len(leaves) == 34 + 14 + 24


def test_default_road_km_not_shorter_than_straight_line(default_distances):
    sc, d = default_distances
    assert d.source == "corridors"
    prov = sc.tables["provinces"].set_index("code")
    sites = sc.tables["sites"].set_index("site")
    for k in sites.index:
        straight = great_circle_km(sites.at[k, "lat"], sites.at[k, "lon"], prov["lat"], prov["lon"])
        assert (d.site_zone.loc[k, prov.index].to_numpy() >= straight.to_numpy() - 1e-6).all()
    assert 1500 < d.site_zone.at["K02", "79"] < 1900  # Hanoi ICD cluster -> Ho Chi Minh City
    assert d.gateway_site.at["SGN", "K16"] < 5  # the airport and its cargo zone


def test_hours_tables_match_km_and_class_speeds(default_distances, corridors):
    sc, d = default_distances
    speeds = list(corridors["road_classes"]["speed_kmh"]) + [sc.param("network.truck_speed_kmh")]
    for km, hours in [(d.site_zone, d.site_zone_hours), (d.gateway_zone, d.gateway_zone_hours),
                      (d.gateway_site, d.gateway_site_hours)]:
        assert hours.shape == km.shape and (hours.index == km.index).all() and (hours.columns == km.columns).all()
        assert (hours.to_numpy() >= km.to_numpy() / max(speeds) - 1e-9).all()
        assert (hours.to_numpy() <= km.to_numpy() / min(speeds) + 1e-9).all()


def test_disconnected_waypoint_is_reported(tmp_path):
    data = tmp_path / "d"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    with open(data / "road_waypoints.csv", "a", encoding="utf-8") as f:
        f.write("nowhere,Nowhere,15.0,105.0,,test\n")
    with pytest.raises(DataError, match=r"road_edges\.csv.*nowhere"):
        load_corridors(data)


def test_edge_to_unknown_waypoint_is_reported(tmp_path):
    data = tmp_path / "d"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    with open(data / "road_edges.csv", "a", encoding="utf-8") as f:
        f.write("ha_noi,atlantis,expressway,,,\n")
    with pytest.raises(DataError, match=r"road_edges\.csv.*atlantis"):
        load_corridors(data)


# Stand-in graph, used for data folders without road_edges.csv (e.g. tests/tiny.py) ------------

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


def test_folder_without_road_tables_uses_the_stand_in(tmp_path):
    from tiny import tables, write

    sc = load_scenario(write(tmp_path / "d", tables(sites={"S1": 11.0})))
    d = scenario_road_distances(sc)
    assert d.source == "stand-in"
    assert d.site_zone.at["S1", "03"] == pytest.approx(KM_PER_DEGREE, rel=1e-12)
    assert d.site_zone_hours.at["S1", "03"] == pytest.approx(KM_PER_DEGREE / sc.param("network.truck_speed_kmh"))


def test_a_road_edge_of_zero_km_is_refused_naming_its_row(tmp_path):
    """Two waypoints 0 km apart would make every route through them free: refused at load, naming
    road_edges.csv, the row and the column, not reported later as non-finite arc tables."""
    import shutil

    import pandas as pd

    from model.core.errors import DataError
    from model.io.scenario import DEFAULT_DATA_DIR, load_scenario

    folder = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, folder)
    edges = pd.read_csv(folder / "road_edges.csv", dtype=str, keep_default_na=False)
    edges.loc[2, "km"] = "0"
    edges.to_csv(folder / "road_edges.csv", index=False)
    with pytest.raises(DataError) as err:
        load_scenario(folder)
    [line] = [line for line in err.value.lines() if "road_edges.csv" in line]
    assert "row 4, column 'km'" in line and "positive road length" in line
