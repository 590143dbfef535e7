"""Read a scenario's CSV tables and validate them against :mod:`model.io.schema`.

Every problem names the file, the line (the header is line 1), the column, the value and
what was expected. Every table is read even when an earlier one is bad: the problems of each
file (up to ``MAX_PROBLEMS`` a file) and of the cross-table checks that the loaded tables
allow are gathered into one :class:`DataError` (up to ``MAX_TOTAL_PROBLEMS``), so a planner
can fix a folder of spreadsheets in one pass.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from model.core.errors import DataError, Problem
from model.io.schema import OPTIONAL_TABLES, TABLES, Attr, key_columns, table_attrs

MAX_PROBLEMS = 20          # per file (or per cross-table check)
MAX_TOTAL_PROBLEMS = 50    # in one DataError; the rest are counted, not listed
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _line(index: int) -> int:
    return int(index) + 2


#: Control characters no text table holds: C0 except tab, line feed and carriage return; DEL; C1.
#: A NUL or one of these means a binary or damaged file, or a wrong encoding.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def decode_text(raw: bytes, file: str, kind: str = "CSV UTF-8") -> str:
    """``raw`` as UTF-8 text (a leading BOM dropped), else :class:`DataError` naming ``file`` and the line
    of the first byte that is not UTF-8 or of the first control character (NUL, ESC, ...)."""
    try:
        text = raw.decode("utf-8-sig")  # a BOM written by Excel is harmless
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError.single(file, line, None, raw[exc.start:exc.start + 4],
                               "UTF-8 text (this looks like another encoding, e.g. Windows-1258: "
                               f"save the file as '{kind}')") from None
    bad = CONTROL_CHARS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise DataError.single(file, line, None, bad.group(),
                               "UTF-8 text without control characters (a NUL or other control byte means a "
                               f"binary or damaged file: save it again as '{kind}')")
    return text


def _decode(path: Path) -> str:
    return decode_text(path.read_bytes(), str(path))


def _ragged_lines(text: str, file: str) -> list[Problem]:
    """Lines whose number of fields differs from the header's (pandas would shift or pad them)."""
    try:
        reader = csv.reader(io.StringIO(text), skipinitialspace=True)
        header = next(reader, None)
        if header is None:
            return [Problem(file, None, None, None, "comma-separated values with a header line (the file is empty)")]
        problems = []
        for fields in reader:
            if fields and len(fields) != len(header):
                problems.append(Problem(file, reader.line_num, None, len(fields),
                                        f"{len(header)} comma-separated fields, as in the header"))
                if len(problems) >= MAX_PROBLEMS:
                    break
        return problems
    except csv.Error as exc:
        return [Problem(file, None, None, None, f"comma-separated values ({exc})")]


def _listed(index, problems: list[Problem], file: str, column: str):
    """The first ``MAX_PROBLEMS`` rows of ``index`` to report one by one; for the rest one line saying
    how many more rows of the column have the same problem (so no problem goes unmentioned)."""
    yield from index[:MAX_PROBLEMS]
    if len(index) > MAX_PROBLEMS:
        more = len(index) - MAX_PROBLEMS
        problems.append(Problem(file, None, column, f"{more} more row{'s' if more > 1 else ''} like those listed",
                                f"valid values in every row (only the first {MAX_PROBLEMS} rows of a problem are "
                                "listed)"))


def _coerce(series: pd.Series, attr: Attr, file: str, problems: list[Problem]) -> pd.Series:
    s = series.astype(str).str.strip()
    empty = s == ""
    if empty.any():
        if attr.required:
            for i in _listed(s.index[empty], problems, file, attr.column):
                problems.append(
                    Problem(
                        file, _line(i), attr.column, "", f"a value ({attr.type}{', ' + attr.unit if attr.unit else ''})"
                    )
                )
        elif attr.default != "":
            s = s.mask(empty, attr.default)
    if attr.type in ("float", "int"):
        num = pd.to_numeric(s.mask(s == "", np.nan), errors="coerce")
        bad = num.isna() & (s != "")
        bad |= ~np.isfinite(num.fillna(0.0))
        for i in _listed(s.index[bad], problems, file, attr.column):
            problems.append(
                Problem(file, _line(i), attr.column, series[i], f"a number{' in ' + attr.unit if attr.unit else ''}")
            )
        if attr.type == "int":
            frac = num.notna() & (num != num.round())
            for i in _listed(s.index[frac], problems, file, attr.column):
                problems.append(Problem(file, _line(i), attr.column, series[i], "a whole number"))
        return num.astype(float)
    if attr.type == "bool":
        low = s.str.lower()
        bad = ~low.isin(_TRUE | _FALSE) & (low != "")
        for i in _listed(s.index[bad], problems, file, attr.column):
            problems.append(Problem(file, _line(i), attr.column, series[i], "True or False"))
        return low.isin(_TRUE)
    return s


#: Largest magnitude of a number in a table whose column declares no bound (model/attrs/): HiGHS
#: refuses a matrix value from 1e15 (its large_matrix_value; a capacity or demand of 1e15 orders
#: failed in readModel, 1e13 solved), so quantities in orders stop at 1e12, far beyond any
#: country's parcel volume; other numbers (costs, checked up to 1e16) at 1e15.
ORDERS_MAX = 1e12
MAX_MAGNITUDE = 1e15


def _pandera_schema(table: str) -> pa.DataFrameSchema:
    columns = {}
    for a in table_attrs(table):
        checks = []
        if a.min is not None:
            checks.append(pa.Check.ge(a.min, error=f"a value >= {a.min:g}{' ' + a.unit if a.unit else ''}"))
        if a.max is not None:
            checks.append(pa.Check.le(a.max, error=f"a value <= {a.max:g}{' ' + a.unit if a.unit else ''}"))
        elif a.type in ("float", "int"):  # 1e300 orders reached HiGHS and failed there: refused here, by cell
            top = ORDERS_MAX if a.unit.startswith("orders") else MAX_MAGNITUDE
            checks.append(pa.Check(lambda s, top=top: ~np.isfinite(s) | (s <= top),  # inf: reported as not finite
                                   error=f"a value <= {top:g}{' ' + a.unit if a.unit else ''} (larger "
                                         "numbers are beyond what the solver represents)"))
        if a.min is None and a.type in ("float", "int"):
            checks.append(pa.Check(lambda s: ~np.isfinite(s) | (s >= -MAX_MAGNITUDE),
                                   error=f"a value >= {-MAX_MAGNITUDE:g}"))
        if a.allowed is not None:
            checks.append(pa.Check.isin(list(a.allowed), error=f"one of {', '.join(a.allowed)}"))
        columns[a.column] = pa.Column(checks=checks, nullable=not a.required or a.type in ("float", "int"))
    keys = key_columns(table)
    return pa.DataFrameSchema(columns, unique=keys or None, report_duplicates="exclude_first")


def read_table(path: Path | str, table: str) -> pd.DataFrame:
    """Read one CSV table, coerce each declared column to its type and check ranges and keys.

    Raises :class:`DataError` listing every problem found (file, line, column, value, expectation).
    """
    df, problems = _read_table(path, table)
    if problems:
        raise DataError(problems)
    return df


def _kind(path: Path) -> str:
    """What a path that exists but is no regular file is, in words."""
    return ("folder" if path.is_dir() else "named pipe (FIFO)" if path.is_fifo() else "socket" if path.is_socket()
            else "device" if path.is_block_device() or path.is_char_device() else "special file")


def _read_table(path: Path | str, table: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The table and its problems (at most ``MAX_PROBLEMS``). The table is None when the file
    cannot be read as a table (missing, not UTF-8, not CSV, required columns missing); otherwise
    it is returned even with problems (bad values as NaN), so other tables' references to its
    keys can still be checked."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        what = (f"the table '{table}.csv' as a regular file (this is a {_kind(path)}, which is not read)"
                if path.exists() else f"the table '{table}.csv' to exist")
        return None, [Problem(file, None, None, None, what)]
    try:
        text = _decode(path)
    except DataError as exc:
        return None, exc.problems
    ragged = _ragged_lines(text, file)
    if ragged:
        return None, ragged
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True, index_col=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        return None, [Problem(file, None, None, None, f"comma-separated values with a header line ({exc})")]
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
        return None, problems
    if raw.empty:  # every table needs a row: an empty demand, lanes or sites table has nothing to plan with
        hint = (": a network without warehouses is sites with force_closed = True, or policy.eligible_zones = []"
                if table in ("sites", "site_levels") else "")
        return None, [Problem(file, None, None, None, f"at least one row below the header (the table "
                              f"'{table}.csv' is empty{hint})")]
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
    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    return df, problems[:MAX_PROBLEMS]


def check_references(tables: dict[str, pd.DataFrame], data_dir: Path) -> None:
    """Every declared foreign key must name an existing row of the referenced table.

    An empty value of a required column is not reported again here (reading reports it).
    """
    targets = tables
    problems: list[Problem] = []
    for table, df in tables.items():
        for a in table_attrs(table):
            fk = a.foreign_key
            if fk is None or fk[0] not in targets:
                continue
            known = set(targets[fk[0]][fk[1]])
            bad = ~df[a.column].isin(known)
            if a.required:
                bad &= df[a.column] != ""
            for i in df.index[bad][:MAX_PROBLEMS]:
                problems.append(Problem(str(data_dir / f"{table}.csv"), _line(i), a.column, df.at[i, a.column],
                                        f"{_article(fk[1])} {fk[1]} listed in {fk[0]}.csv"))
    if problems:
        raise DataError(problems[:MAX_PROBLEMS])


def check_consistency(tables: dict[str, pd.DataFrame], data_dir: Path) -> None:
    """Rules that span rows: origin shares sum to 1; FTA rate not above MFN; force flags agree.

    Each rule runs only when the tables it reads are present (a table that failed to load is
    left out by :func:`collect_tables`, and its own problems are reported instead).
    """
    problems: list[Problem] = []
    if "sourcing" in tables:
        src = tables["sourcing"]
        sums = src.groupby("product")["share"].sum()
        for product, total in sums.items():
            if abs(total - 1.0) > 1e-6:
                i = src.index[src["product"] == product][0]
                problems.append(Problem(str(data_dir / "sourcing.csv"), _line(i), "share", round(float(total), 9),
                                        f"the shares of product '{product}' to sum to 1"))
        if "products" in tables:  # every product needs an origin, else its demand silently vanishes
            prod = tables["products"]
            for i in prod.index[~prod["product"].isin(set(src["product"]))][:MAX_PROBLEMS]:
                problems.append(Problem(str(data_dir / "products.csv"), _line(i), "product", prod.at[i, "product"],
                                        "a product with at least one origin in sourcing.csv"))
    if "tariffs" in tables:
        tar = tables["tariffs"]
        for i in tar.index[tar["fta_duty_rate"] > tar["mfn_duty_rate"] + 1e-12][:MAX_PROBLEMS]:
            problems.append(
                Problem(
                    str(data_dir / "tariffs.csv"),
                    _line(i),
                    "fta_duty_rate",
                    tar.at[i, "fta_duty_rate"],
                    "a preferential rate not above mfn_duty_rate",
                )
            )
        if "sourcing" in tables:  # a (origin, product) that is sourced needs its tariff line
            src = tables["sourcing"]
            have = set(zip(tar["origin"], tar["product"]))
            missing = [i for i in src.index if (src.at[i, "origin"], src.at[i, "product"]) not in have]
            for i in missing[:MAX_PROBLEMS]:
                problems.append(Problem(str(data_dir / "sourcing.csv"), _line(i), "origin", src.at[i, "origin"],
                                        f"an (origin, product) pair with a row in tariffs.csv "
                                        f"(none for {src.at[i, 'origin']}, {src.at[i, 'product']})"))
    if "sites" in tables:
        sites = tables["sites"]
        for i in sites.index[sites["force_open"] & sites["force_closed"]]:
            problems.append(Problem(str(data_dir / "sites.csv"), _line(i), "force_closed", True,
                                    "force_open and force_closed not both True"))
        if "site_levels" in tables:
            levels = tables["site_levels"]
            for i in sites.index[~sites["site"].isin(set(levels["site"]))]:
                problems.append(Problem(str(data_dir / "sites.csv"), _line(i), "site", sites.at[i, "site"],
                                        "a site with at least one row in site_levels.csv"))
    if "lanes" in tables and "gateways" in tables:
        lanes = tables["lanes"]
        gw_type = tables["gateways"].set_index("gateway")["type"]
        expect = {"seaport": {"sea"}, "airport": {"air"}, "land_border": {"road", "rail"}}
        for i in lanes.index:
            g = lanes.at[i, "gateway"]
            if g in gw_type.index and lanes.at[i, "mode"] not in expect[gw_type[g]]:
                problems.append(
                    Problem(
                        str(data_dir / "lanes.csv"),
                        _line(i),
                        "mode",
                        lanes.at[i, "mode"],
                        f"a mode that can enter a {gw_type[g]} ({', '.join(sorted(expect[gw_type[g]]))})",
                    )
                )
    if "site_levels" in tables:  # all zero: no site can hold stock (the stock curves need a capacity > 0)
        lv = tables["site_levels"]
        if len(lv) and not (lv["capacity_orders_per_year"] > 0).any():
            problems.append(Problem(str(data_dir / "site_levels.csv"), None, "capacity_orders_per_year", 0.0,
                                    "at least one row with capacity_orders_per_year > 0 (every capacity is zero: "
                                    "no site can open; to plan without warehouses set force_closed in sites.csv)"))
    if "demand" in tables:  # all zero: nothing to plan (and every share of total demand would divide by 0)
        dem = tables["demand"]
        if len(dem) and not (dem["orders_per_year"] > 0).any():
            problems.append(Problem(str(data_dir / "demand.csv"), None, "orders_per_year", 0.0,
                                    "at least one row with orders_per_year > 0 (every demand is zero: "
                                    "there is nothing to plan)"))
    classes = tables.get("sku_classes")
    if classes is not None:
        f = str(data_dir / "sku_classes.csv")
        for product, total in classes.groupby("product", sort=False)["order_share"].sum().items():
            if abs(total - 1.0) > 1e-6:
                i = classes.index[classes["product"] == product][0]
                problems.append(Problem(f, _line(i), "order_share", round(float(total), 9),
                                        f"the order shares of product '{product}' to sum to 1"))
        if "products" in tables:  # a product without classes would lose its demand
            prod = tables["products"]
            for i in prod.index[~prod["product"].isin(set(classes["product"]))][:MAX_PROBLEMS]:
                problems.append(Problem(str(data_dir / "products.csv"), _line(i), "product", prod.at[i, "product"],
                                        "a product with at least one row in sku_classes.csv (or no sku_classes.csv)"))
    season = tables.get("seasonality")
    if season is not None:
        if sorted(season["month"]) != list(range(1, 13)):
            problems.append(Problem(str(data_dir / "seasonality.csv"), None, "month", sorted(season["month"]),
                                    "one row for each month 1..12"))
        elif abs(season["share"].sum() - 1.0) > 1e-6:
            problems.append(
                Problem(
                    str(data_dir / "seasonality.csv"),
                    None,
                    "share",
                    round(float(season["share"].sum()), 9),
                    "monthly shares that sum to 1",
                )
            )
    if problems:
        raise DataError(problems[:MAX_PROBLEMS])


def collect_tables(data_dir: Path | str) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read every table of a data folder; return the tables that loaded and every problem found.

    A table with problems is left out of the returned tables; the reference and consistency
    checks then run on the tables that did load (a reference into a table that failed is not
    checked, since its own problems are reported). Raises :class:`DataError` only when
    ``data_dir`` is not a folder.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError.single(data_dir, None, None, None, "a data folder holding the scenario's CSV tables")
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    names = [*TABLES, *(t for t in OPTIONAL_TABLES if (data_dir / f"{t}.csv").is_file())]
    bad_tables: dict[str, pd.DataFrame] = {}  # read, but with bad values: their keys are still known
    for t in names:
        df, found = _read_table(data_dir / f"{t}.csv", t)
        if found:
            problems.extend(found)
            if df is not None:
                bad_tables[t] = df
        else:
            tables[t] = df
    try:  # references from every table read, clean or not, into any table read
        check_references({**bad_tables, **tables}, data_dir)
    except DataError as exc:
        problems.extend(exc.problems)
    try:  # rules across rows: only on clean tables
        check_consistency(tables, data_dir)
    except DataError as exc:
        problems.extend(exc.problems)
    return tables, problems


def raise_problems(problems: list[Problem]) -> None:
    """Raise one :class:`DataError` listing ``problems`` (at most ``MAX_TOTAL_PROBLEMS``), if any."""
    if problems:
        raise DataError(problems[:MAX_TOTAL_PROBLEMS], omitted=max(0, len(problems) - MAX_TOTAL_PROBLEMS))


def load_tables(data_dir: Path | str) -> dict[str, pd.DataFrame]:
    """Read and validate every table of a data folder; one :class:`DataError` lists the problems of all files."""
    tables, problems = collect_tables(data_dir)
    raise_problems(problems)
    return tables
