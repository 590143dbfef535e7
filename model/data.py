"""Read a scenario's CSV tables and validate them against :mod:`model.schema`.

Every problem names the file, the line (the header is line 1), the column, the value and
what was expected. All the problems of one file are collected (up to ``MAX_PROBLEMS``)
before raising, so a planner can fix a spreadsheet in one pass.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .errors import DataError, Problem
from .schema import OPTIONAL_TABLES, TABLES, Attr, key_columns, table_attrs

MAX_PROBLEMS = 20
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}


def _line(index: int) -> int:
    return int(index) + 2


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")  # a BOM written by Excel is harmless
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError.single(path, line, None, raw[exc.start:exc.start + 4],
                               "UTF-8 text (this looks like another encoding, e.g. Windows-1258: "
                               "save the file as 'CSV UTF-8')") from None


def _coerce(series: pd.Series, attr: Attr, file: str, problems: list[Problem]) -> pd.Series:
    s = series.astype(str).str.strip()
    empty = s == ""
    if empty.any():
        if attr.required:
            for i in s.index[empty][:MAX_PROBLEMS]:
                problems.append(Problem(file, _line(i), attr.column, "", f"a value ({attr.type}{', ' + attr.unit if attr.unit else ''})"))
        elif attr.default != "":
            s = s.mask(empty, attr.default)
    if attr.type in ("float", "int"):
        num = pd.to_numeric(s.mask(s == "", np.nan), errors="coerce")
        bad = num.isna() & (s != "")
        bad |= ~np.isfinite(num.fillna(0.0))
        for i in s.index[bad][:MAX_PROBLEMS]:
            problems.append(Problem(file, _line(i), attr.column, series[i], f"a number{' in ' + attr.unit if attr.unit else ''}"))
        if attr.type == "int":
            frac = num.notna() & (num != num.round())
            for i in s.index[frac][:MAX_PROBLEMS]:
                problems.append(Problem(file, _line(i), attr.column, series[i], "a whole number"))
        return num.astype(float)
    if attr.type == "bool":
        low = s.str.lower()
        bad = ~low.isin(_TRUE | _FALSE) & (low != "")
        for i in s.index[bad][:MAX_PROBLEMS]:
            problems.append(Problem(file, _line(i), attr.column, series[i], "True or False"))
        return low.isin(_TRUE)
    return s


def _pandera_schema(table: str) -> pa.DataFrameSchema:
    columns = {}
    for a in table_attrs(table):
        checks = []
        if a.min is not None:
            checks.append(pa.Check.ge(a.min, error=f"a value >= {a.min:g}{' ' + a.unit if a.unit else ''}"))
        if a.max is not None:
            checks.append(pa.Check.le(a.max, error=f"a value <= {a.max:g}{' ' + a.unit if a.unit else ''}"))
        if a.allowed is not None:
            checks.append(pa.Check.isin(list(a.allowed), error=f"one of {', '.join(a.allowed)}"))
        columns[a.column] = pa.Column(checks=checks, nullable=not a.required or a.type in ("float", "int"))
    keys = key_columns(table)
    return pa.DataFrameSchema(columns, unique=keys or None, report_duplicates="exclude_first")


def read_table(path: Path | str, table: str) -> pd.DataFrame:
    """Read one CSV table, coerce each declared column to its type and check ranges and keys.

    Raises :class:`DataError` listing every problem found (file, line, column, value, expectation).
    """
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise DataError.single(file, None, None, None, f"the table '{table}.csv' to exist")
    text = _decode(path)
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError.single(file, None, None, None, f"comma-separated values with a header line ({exc})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    attrs = table_attrs(table)
    problems: list[Problem] = []
    for a in attrs:
        if a.column not in raw.columns:
            if a.required:
                problems.append(Problem(file, 1, a.column, None,
                                        f"a column '{a.column}' in the header ({a.description})"))
            else:
                raw[a.column] = a.default
    if problems:
        raise DataError(problems)
    df = pd.DataFrame({a.column: _coerce(raw[a.column], a, file, problems) for a in attrs}, index=raw.index)
    try:  # ranges, allowed values, unique keys (values that failed to coerce are NaN and skipped)
        _pandera_schema(table).validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        for fc in exc.failure_cases.itertuples(index=False):
            col = fc.column if isinstance(fc.column, str) and fc.column in df.columns else None
            idx = fc.index
            if fc.check == "multiple_fields_uniqueness" or str(fc.check).startswith("field_uniqueness"):
                expected = f"a unique key ({', '.join(key_columns(table))}); this one repeats an earlier row"
            else:
                expected = str(fc.check)
            problems.append(Problem(file, None if idx is None or pd.isna(idx) else _line(idx), col,
                                    fc.failure_case, expected))
            if len(problems) >= MAX_PROBLEMS:
                break
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise DataError(problems[:MAX_PROBLEMS])
    return df


def check_references(tables: dict[str, pd.DataFrame], data_dir: Path) -> None:
    """Every declared foreign key must name an existing row of the referenced table."""
    problems: list[Problem] = []
    for table, df in tables.items():
        for a in table_attrs(table):
            fk = a.foreign_key
            if fk is None or fk[0] not in tables:
                continue
            known = set(tables[fk[0]][fk[1]])
            bad = ~df[a.column].isin(known)
            for i in df.index[bad][:MAX_PROBLEMS]:
                problems.append(Problem(str(data_dir / f"{table}.csv"), _line(i), a.column, df.at[i, a.column],
                                        f"a {fk[1]} listed in {fk[0]}.csv"))
    if problems:
        raise DataError(problems[:MAX_PROBLEMS])


def check_consistency(tables: dict[str, pd.DataFrame], data_dir: Path) -> None:
    """Rules that span rows: origin shares sum to 1; FTA rate not above MFN; force flags agree."""
    problems: list[Problem] = []
    src = tables["sourcing"]
    sums = src.groupby("product")["share"].sum()
    for product, total in sums.items():
        if abs(total - 1.0) > 1e-6:
            i = src.index[src["product"] == product][0]
            problems.append(Problem(str(data_dir / "sourcing.csv"), _line(i), "share", round(float(total), 9),
                                    f"the shares of product '{product}' to sum to 1"))
    tar = tables["tariffs"]
    for i in tar.index[tar["fta_duty_rate"] > tar["mfn_duty_rate"] + 1e-12][:MAX_PROBLEMS]:
        problems.append(Problem(str(data_dir / "tariffs.csv"), _line(i), "fta_duty_rate", tar.at[i, "fta_duty_rate"],
                                "a preferential rate not above mfn_duty_rate"))
    sites = tables["sites"]
    for i in sites.index[sites["force_open"] & sites["force_closed"]]:
        problems.append(Problem(str(data_dir / "sites.csv"), _line(i), "force_closed", True,
                                "force_open and force_closed not both True"))
    levels = tables["site_levels"]
    for i in sites.index[~sites["site"].isin(set(levels["site"]))]:
        problems.append(Problem(str(data_dir / "sites.csv"), _line(i), "site", sites.at[i, "site"],
                                "a site with at least one row in site_levels.csv"))
    lanes = tables["lanes"]
    gw_type = tables["gateways"].set_index("gateway")["type"]
    expect = {"seaport": {"sea"}, "airport": {"air"}, "land_border": {"road", "rail"}}
    for i in lanes.index:
        g = lanes.at[i, "gateway"]
        if g in gw_type.index and lanes.at[i, "mode"] not in expect[gw_type[g]]:
            problems.append(Problem(str(data_dir / "lanes.csv"), _line(i), "mode", lanes.at[i, "mode"],
                                    f"a mode that can enter a {gw_type[g]} ({', '.join(sorted(expect[gw_type[g]]))})"))
    season = tables.get("seasonality")
    if season is not None:
        if sorted(season["month"]) != list(range(1, 13)):
            problems.append(Problem(str(data_dir / "seasonality.csv"), None, "month", sorted(season["month"]),
                                    "one row for each month 1..12"))
        elif abs(season["share"].sum() - 1.0) > 1e-6:
            problems.append(Problem(str(data_dir / "seasonality.csv"), None, "share", round(float(season["share"].sum()), 9),
                                    "monthly shares that sum to 1"))
    if problems:
        raise DataError(problems[:MAX_PROBLEMS])


def load_tables(data_dir: Path | str) -> dict[str, pd.DataFrame]:
    """Read and validate every table of a data folder."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError.single(data_dir, None, None, None, "a data folder holding the scenario's CSV tables")
    tables = {t: read_table(data_dir / f"{t}.csv", t) for t in TABLES}
    tables.update({t: read_table(data_dir / f"{t}.csv", t) for t in OPTIONAL_TABLES if (data_dir / f"{t}.csv").is_file()})
    check_references(tables, data_dir)
    check_consistency(tables, data_dir)
    return tables
