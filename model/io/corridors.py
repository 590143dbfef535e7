"""The road corridor tables of a data folder (road_classes, road_waypoints, road_edges), read and
validated like the other tables; the graph itself is built in :mod:`model.network.roads`."""
from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd

from model.core.errors import DataError, Problem
from model.io.tables import check_references, read_table

ROAD_TABLES = ("road_classes", "road_waypoints", "road_edges")


def load_corridors(data_dir: Path | str) -> dict[str, pd.DataFrame] | None:
    """The validated corridor tables of a data folder, or None if it has no ``road_edges.csv``.

    Validated like the other tables (``model/attrs/road_*.csv``: types, ranges, unique keys,
    references), plus: no edge joins a node to itself and the corridor graph is connected.
    """
    data_dir = Path(data_dir)
    if not (data_dir / "road_edges.csv").is_file():
        return None
    tables = {t: read_table(data_dir / f"{t}.csv", t) for t in ROAD_TABLES}
    check_references(tables, data_dir)
    edges = tables["road_edges"]
    file = str(data_dir / "road_edges.csv")
    problems = [Problem(file, int(i) + 2, "to", edges.at[i, "to"], "a node other than 'from'")
                for i in edges.index[edges["from"] == edges["to"]]]
    pairs = edges.apply(lambda r: frozenset((r["from"], r["to"])), axis=1)
    problems += [Problem(file, int(i) + 2, "to", edges.at[i, "to"], "an edge not listed before in the other direction")
                 for i in edges.index[pairs.duplicated()]]
    # two different waypoints 0 km apart would make every route through them free (and, at 0 hours,
    # leave the shortest paths undefined): a published length is positive, a blank one is estimated
    if "km" in edges:
        zero = edges.index[edges["km"].notna() & (edges["km"] <= 0)]
        problems += [Problem(file, int(i) + 2, "km", edges.at[i, "km"], "a positive road length (leave it blank "
                             "to use the great-circle km x the road class's circuity)") for i in zero[:20]]
        if len(zero) > 20:
            problems.append(Problem(file, None, "km", f"{len(zero) - 20} more rows like those listed",
                                    "a positive road length in every row"))
    if problems:
        raise DataError(problems)
    g = nx.Graph()
    g.add_nodes_from(tables["road_waypoints"]["waypoint"])
    g.add_edges_from(zip(edges["from"], edges["to"]))
    parts = sorted(nx.connected_components(g), key=len, reverse=True)
    if len(parts) > 1:
        cut = sorted(set().union(*parts[1:]))
        raise DataError.single(file, None, None, ", ".join(cut[:10]),
                               "edges that connect every waypoint to the main network (these are cut off)")
    return tables
