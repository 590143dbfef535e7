"""summary.json and sites.csv of a finished run, read back from disk and trusted only after a check.

``compare`` and the sweep cache read results that may have been edited by hand or damaged:
every field they use is checked for its JSON shape here, and a wrong one is a ValueError naming
the file and the key (exit 2), never a TypeError deep in a table or a plot.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

_NUMBER = "a number (or null)"
#: key -> (shape, what is expected)
SUMMARY_FIELDS = {
    "scenario": ("str", "a text"),
    "status": ("str", "a text such as \"optimal\""),
    "objective": ("number", _NUMBER), "bound": ("number", _NUMBER), "gap": ("number", _NUMBER),
    "unmet_share": ("number", _NUMBER), "total_demand_orders": ("number", _NUMBER),
    "cost_breakdown": ("numbers", "an object of cost term -> number"),
    "mode_share": ("numbers", "an object of mode -> share"),
    "kpis": ("object", "an object of KPI -> value"),
    "solver": ("object", "an object of solver options"),
    "parameters": ("object", "an object of parameter -> value"),
    "insight": ("object", "an object"),
    "sites_opened": ("list", "a list of sites"),
    "input_hash": ("str", "a text"),
}


def _is_number(v) -> bool:
    if v is None or v in ("inf", "-inf"):  # strict JSON writes infinities as these strings
        return True
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)


def _ok(shape: str, v) -> bool:
    if shape == "str":
        return v is None or isinstance(v, str)
    if shape == "number":
        return _is_number(v)
    if shape == "numbers":
        return v is None or isinstance(v, dict) and all(_is_number(x) for x in v.values())
    if shape == "object":
        return v is None or isinstance(v, dict)
    if shape == "list":
        return v is None or isinstance(v, list)
    raise AssertionError(shape)


def check_summary(doc, path: Path | str, required=()) -> dict:
    """``doc`` (summary.json read from ``path``) if every known field has its shape
    (:data:`SUMMARY_FIELDS`) and every key of ``required`` is present; else ValueError naming
    the file and the key."""
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a JSON object (got a {type(doc).__name__})")
    for key in required:
        if key not in doc:
            raise ValueError(f"{path}: expected the key '{key}'")
    for key, (shape, expected) in SUMMARY_FIELDS.items():
        if key in doc and not _ok(shape, doc[key]):
            shown = repr(doc[key])
            raise ValueError(f"{path}: key '{key}': expected {expected} (got {shown[:60]}"
                             f"{'...' if len(shown) > 60 else ''})")
    return doc


_TRUE, _FALSE = {"true", "1", "1.0"}, {"false", "0", "0.0", ""}


def check_sites(df: pd.DataFrame, path: Path | str, columns=("site", "opened", "level", "lat", "lon")) -> pd.DataFrame:
    """sites.csv of a run with ``columns`` present, ``opened`` True/False and ``lat``/``lon`` numbers;
    ValueError naming the file, row and column otherwise. Returns a copy with those typed."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: expected the column(s) {', '.join(missing)}")
    df = df.copy()
    if "opened" in df.columns:
        text = df["opened"].astype(str).str.strip().str.lower()
        bad = ~text.isin(_TRUE | _FALSE)
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise ValueError(f"{path}, row {i + 2}, column 'opened': expected True or False "
                             f"(got {df['opened'].iloc[i]!r})")
        df["opened"] = text.isin(_TRUE)
    for c in ("lat", "lon", "capacity_orders", "throughput_orders"):
        if c in df.columns:
            num = pd.to_numeric(df[c], errors="coerce")
            bad = num.isna() & df[c].notna() & (df[c].astype(str).str.strip() != "")
            if bad.any():
                i = int(bad.to_numpy().nonzero()[0][0])
                raise ValueError(f"{path}, row {i + 2}, column '{c}': expected a number (got {df[c].iloc[i]!r})")
            df[c] = num
    return df
