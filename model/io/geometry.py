"""``provinces.geojson``: the boundaries of the provincial units, read and validated like a table.

What a file must hold is declared in ``model/attrs/provinces_geojson.csv``: a FeatureCollection
whose features carry the ``code`` property of a row of provinces.csv (one feature per row and
one row per feature), a valid non-empty Polygon or MultiPolygon geometry, every vertex inside
the declared longitude / latitude box, and longitude / latitude coordinates (no ``crs`` member,
or CRS84 / EPSG:4326). Every problem is gathered (file, feature number and code, property) and
returned at once, like the tables' problems, before anything is solved.

The file is parsed with :mod:`json` and :mod:`shapely`, not through GDAL, so no path is ever
taken as a GDAL virtual file system (``/vsizip/``, ``/vsicurl/``): such paths are refused.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from model.core.errors import DataError, Problem
from model.core.paths import DEFAULT_DATA_DIR
from model.io.schema import table_attrs
from model.io.tables import MAX_PROBLEMS, decode_text

GEOMETRY_FILE = "provinces.geojson"
ATTRS_TABLE = "provinces_geojson"  # model/attrs/provinces_geojson.csv
SHIPPED_GEOMETRY = DEFAULT_DATA_DIR / GEOMETRY_FILE
_VERSION = re.compile(r"^\d+(\.\d+)*$")
_VIRTUAL = re.compile(r"^(/vsi[a-z0-9_]*/|[a-z][a-z0-9+.-]*://)", re.IGNORECASE)


def _attr(column: str):
    return next(a for a in table_attrs(ATTRS_TABLE) if a.column == column)


def crs_name(name) -> str:
    """``AUTHORITY:CODE`` of a CRS name or OGC URN: 'urn:ogc:def:crs:OGC:1.3:CRS84' -> 'OGC:CRS84'."""
    parts = [p for p in str(name).split(":") if p]
    if len(parts) < 2:
        return str(name).upper()
    authority = next((p for p in reversed(parts[:-1]) if not _VERSION.match(p)), "")
    return f"{authority}:{parts[-1]}".upper()


def is_virtual_path(path) -> bool:
    """True for a GDAL virtual file system path (``/vsizip/...``, ``/vsicurl/...``) or a URL."""
    return bool(_VIRTUAL.match(str(path)))


def _shape(geom: dict):
    """A shapely geometry from a GeoJSON geometry object, or the reason it is not one."""
    import shapely.geometry

    try:
        return shapely.geometry.shape(geom), None
    except Exception as exc:  # noqa: BLE001 - malformed coordinates raise ValueError, TypeError, IndexError, GEOSException...
        return None, f"{type(exc).__name__}: {exc}"[:120]


def _check_shape(shape, file: str, label) -> list[Problem]:
    """A parsed geometry: finite, non-empty, inside the declared box, valid."""
    import shapely
    from shapely.validation import explain_validity

    if shape.is_empty:
        return [Problem(file, None, "geometry", None, "a non-empty Polygon or MultiPolygon", feature=label)]
    xy = shapely.get_coordinates(shape)
    if not np.isfinite(xy).all():
        return [Problem(file, None, "geometry", None, "finite coordinates (no NaN or infinity)", feature=label)]
    out = []
    for axis, column in ((0, "lon"), (1, "lat")):
        a = _attr(column)
        lo, hi = float(xy[:, axis].min()), float(xy[:, axis].max())
        if lo < a.min or hi > a.max:
            out.append(Problem(file, None, "geometry", f"{column} {lo:g} to {hi:g}",
                               f"every vertex's {column} within [{a.min:g}, {a.max:g}] {a.unit} "
                               "(Vietnam's bounding box; coordinates as longitude, latitude)", feature=label))
    if not out and not shape.is_valid:
        out.append(Problem(file, None, "geometry", explain_validity(shape),
                           "a valid polygon (repair it, e.g. with QGIS 'Fix geometries' or shapely.make_valid)",
                           feature=label))
    return out


def read_geometry(path, zones=None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The boundaries in ``path`` and their problems (at most ``MAX_PROBLEMS``).

    Returns a DataFrame (the features' properties, ``code`` as text, and ``geometry``: shapely
    Polygons / MultiPolygons in longitude, latitude) when there is no problem, else None.
    ``zones`` (the codes of provinces.csv), when given, must match the features' codes one to one.
    """
    file = str(path)
    doc, problems = _read_document(path)
    if doc is None:
        return None, problems
    features, problems = _crs_and_features(doc, file)
    if features is None:
        return None, problems[:MAX_PROBLEMS]
    rows, first_of = [], {}
    for n, feat in enumerate(features, 1):
        row, found = _feature(feat, n, file, first_of)
        problems += found
        if row is not None:
            rows.append(row)
    if zones is not None:
        problems += _zone_problems(zones, first_of, file)
    if problems:
        return None, problems[:MAX_PROBLEMS]
    return pd.DataFrame(rows), []


def _read_document(path) -> tuple[dict | None, list[Problem]]:
    """The GeoJSON FeatureCollection in ``path`` as a dict, or None and why it cannot be read."""
    file = str(path)
    if is_virtual_path(file):
        return None, [Problem(file, None, None, None, "a plain file path (GDAL virtual file systems such as "
                                                      "/vsizip/ or /vsicurl/, and URLs, are refused)")]
    path = Path(path)
    if not path.is_file():
        return None, [Problem(file, None, None, None, f"a GeoJSON file '{GEOMETRY_FILE}' of the province boundaries")]
    raw = path.read_bytes()
    if not raw.strip():
        return None, [Problem(file, None, None, None, "a GeoJSON FeatureCollection (the file is empty)")]
    try:
        text = decode_text(raw, file, kind="GeoJSON, UTF-8")
        doc = json.loads(text)
    except DataError as exc:
        return None, exc.problems
    except json.JSONDecodeError as exc:
        return None, [Problem(file, exc.lineno, None, None, f"valid JSON, a GeoJSON FeatureCollection ({exc.msg} at "
                                                            f"line {exc.lineno}, column {exc.colno}; truncated?)")]
    except RecursionError:
        return None, [Problem(file, None, None, None, "a GeoJSON FeatureCollection (the JSON nests too deeply)")]
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        got = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        return None, [Problem(file, None, None, got, "a GeoJSON FeatureCollection ('type': 'FeatureCollection')")]
    return doc, []


def _crs_and_features(doc: dict, file: str) -> tuple[list | None, list[Problem]]:
    """The features of ``doc`` (None if there are none) and the problems of its ``crs``."""
    problems: list[Problem] = []
    if doc.get("crs") is not None:
        crs = doc["crs"]
        props = crs.get("properties") if isinstance(crs, dict) else None
        name = props.get("name") if isinstance(props, dict) else None
        allowed = _attr("crs").allowed
        if name is None or crs_name(name) not in allowed:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    name if name is not None else crs,
                    f"a 'crs' of longitude / latitude on WGS 84 ({' or '.join(allowed)}): reproject the file, "
                    "e.g. ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson",
                )
            )
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        problems.append(Problem(file, None, None, None if features is None else f"{len(features)} features"
                                if isinstance(features, list) else type(features).__name__,
                                "a non-empty 'features' list: one feature per row of provinces.csv"))
        return None, problems
    return features, problems


def _feature(feat, n: int, file: str, first_of: dict) -> tuple[dict | None, list[Problem]]:
    """Row ``n`` (1-based) of the table: the feature's properties, its text ``code`` and its shapely
    ``geometry`` (None when missing or bad), and its problems; ``first_of`` (code -> first feature)
    is updated to catch a code given twice. None for an object that is not a Feature."""
    problems: list[Problem] = []
    allowed_types = _attr("geometry").allowed
    text_props = [a.column for a in table_attrs(ATTRS_TABLE) if a.type in ("key", "str")]
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        got = feat.get("type") if isinstance(feat, dict) else type(feat).__name__
        problems.append(Problem(file, None, None, got, "a GeoJSON Feature ('type': 'Feature')", feature=n))
        return None, problems
    props = feat.get("properties")
    code, label = None, n
    if not isinstance(props, dict):
        problems.append(Problem(file, None, "code", None, "a 'properties' object holding 'code'", feature=n))
        props = {}
    elif isinstance(props.get("code"), str) and props["code"].strip():
        code = props["code"].strip()
        label = f"{n} (code {code!r})"
    else:
        code = props.get("code")
        problems.append(Problem(file, None, "code", code,
                                "a property 'code' holding the text code of a provincial unit in provinces.csv, "
                                "e.g. \"01\" (a number loses its leading zero)", feature=n))
        code = None
    for c in text_props:
        if c != "code" and props.get(c) is not None and not isinstance(props[c], str):
            problems.append(Problem(file, None, c, props[c], "text", feature=label))
    geom = feat.get("geometry")
    shape = None
    if geom is None:
        problems.append(
            Problem(
                file,
                None,
                "geometry",
                None,
                f"a {' or '.join(allowed_types)} (the geometry is null)",
                feature=label,
            )
        )
    elif not isinstance(geom, dict) or geom.get("type") not in allowed_types:
        got = geom.get("type") if isinstance(geom, dict) else type(geom).__name__
        problems.append(
            Problem(file, None, "geometry", got, f"a {' or '.join(allowed_types)} geometry", feature=label)
        )
    else:
        shape, why = _shape(geom)
        if shape is None:
            problems.append(Problem(file, None, "geometry", why, f"a {geom['type']} with well-formed coordinates "
                                    "([[lon, lat], ...] rings of at least 4 positions)", feature=label))
        else:
            problems += _check_shape(shape, file, label)
    if code is not None:
        if code in first_of:
            problems.append(Problem(file, None, "code", code, f"one feature per code (feature {first_of[code]} "
                                    "has it too)", feature=label))
        else:
            first_of[code] = n
    return {**props, "code": code, "geometry": shape}, problems


def _zone_problems(zones, first_of: dict, file: str) -> list[Problem]:
    """The features' codes against provinces.csv's zones, one to one."""
    problems: list[Problem] = []
    zones = [str(z) for z in zones]
    known = set(zones)
    for code, n in first_of.items():
        if code not in known:
            problems.append(Problem(file, None, "code", code, "a code listed in provinces.csv",
                                    feature=f"{n} (code {code!r})"))
    for z in zones:
        if z not in first_of:
            problems.append(Problem(file, None, None, None, f"a feature with code {z!r}, a zone of provinces.csv "
                                    "(every zone needs exactly one)"))
    return problems


@lru_cache(maxsize=4)
def _shipped(path: str, mtime_ns: int, size: int) -> tuple[pd.DataFrame | None, tuple[Problem, ...]]:
    df, problems = read_geometry(path)
    return df, tuple(problems)


def shipped_geometry() -> tuple[pd.DataFrame | None, list[Problem]]:
    """The shipped ``data/provinces.geojson`` (validated, not matched to any provinces.csv; read once
    per process while the file is unchanged); (None, []) if it is absent."""
    if not SHIPPED_GEOMETRY.is_file():
        return None, []
    st = SHIPPED_GEOMETRY.stat()
    df, problems = _shipped(str(SHIPPED_GEOMETRY), st.st_mtime_ns, st.st_size)
    return (None if df is None else df.copy()), list(problems)


def scenario_geometry(data_dir: Path, zones=None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The boundaries a scenario's maps draw: the data folder's ``provinces.geojson``, checked against
    ``zones``; else the shipped file (checked, not matched: a test folder may hold a few zones)."""
    path = Path(data_dir) / GEOMETRY_FILE
    if path.exists() or path.is_symlink():
        return read_geometry(path, zones)
    return shipped_geometry()
