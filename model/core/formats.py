"""Numbers as a planner reads them: money in words (USD 4.56 bn), plain decimals in CSV files
(123456789.5, never 1.2e+08), and the solver status in words."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: significant digits kept in CSV files: more than any input carries, few enough to hide float noise
CSV_DIGITS = 12


def usd(x, precise: bool = False) -> str:
    """USD 4.56 bn / USD 12.3 M / USD 4,560 to 3 significant figures, what the data support
    (``precise``: 4); None -> 'n/a'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    n = 4 if precise else 3
    sign = "-" if x < 0 else ""
    x = abs(float(x))
    for scale, word in ((1e9, " bn"), (1e6, " M")):
        if x >= scale:
            v = x / scale
            return f"{sign}USD {v:.{max(0, n - 1 - int(math.floor(math.log10(v))))}f}{word}"
    return f"{sign}USD {float(f'{x:.{n}g}'):,.0f}"


def quantity(x: float) -> str:
    """A count to 3 significant figures, what the data support: 4.49 bn / 467 M / 12.3 k / 1,230."""
    x = float(f"{float(x):.3g}")  # rounded first: 999,999 is 1 M, not 1e+03 k
    for at, scale, word in ((1e9, 1e9, " bn"), (1e6, 1e6, " M"), (1e4, 1e3, " k")):  # 12.3 k from 10,000 up
        if abs(x) >= at:
            return f"{x / scale:.3g}{word}"
    return f"{float(f'{x:.3g}'):,.0f}"


def plain_decimal(x: float) -> str:
    """A float as a plain decimal with :data:`CSV_DIGITS` significant digits, trailing zeros
    dropped: 1.2e8 -> '120000000', 0.1 + 0.2 -> '0.3', 2.5e-7 -> '0.00000025'. For
    ``DataFrame.to_csv(float_format=plain_decimal)``; NaN is written as an empty cell by pandas."""
    if not math.isfinite(x):
        return "inf" if x > 0 else "-inf" if x < 0 else ""
    if x == 0:
        return "0"
    return np.format_float_positional(float(x), precision=CSV_DIGITS, unique=False, fractional=False, trim="-")


def to_csv(df, path, index: bool = False) -> None:
    """``df`` as CSV with plain decimals (:func:`plain_decimal`) and formula-like text cells escaped
    (:func:`escape_formulas`: a spreadsheet must not run a name as a formula)."""
    escape_formulas(df).to_csv(path, index=index, float_format=plain_decimal)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape_cell(v):
    if not isinstance(v, str) or not v.startswith(_FORMULA_START):
        return v
    try:
        float(v)  # "-12.5" stored as text is a number, not a formula: leave it
        return v
    except ValueError:
        return "'" + v


def escape_formulas(df):
    """A copy of ``df`` whose text cells starting with ``=``, ``+``, ``-``, ``@`` (or tab / CR)
    are prefixed with ``'`` so a spreadsheet shows them as text instead of running them.
    Numeric columns, and text that is a number (``-3``), are left as they are."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or isinstance(out[c].dtype, pd.StringDtype):
            out[c] = out[c].map(_escape_cell)
    if out.index.dtype == object:
        out.index = out.index.map(_escape_cell)
    return out
