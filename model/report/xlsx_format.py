"""How a table looks in Excel: number formats from the unit in each header (or a row's ``unit``),
a frozen header and a filter on every column. Shared by results.xlsx and compare.xlsx."""
from __future__ import annotations

import re

import pandas as pd

from model.io.outputs import cells_as_values

#: unit -> Excel number format of a column of that unit (its header names the unit)
FORMATS = {"USD/year": "#,##0", "USD": "#,##0", "USD/order": "#,##0.00", "share": "0.0%",
           "share of orders": "0.0%", "share of sale value": "0.0%", "orders/year": "#,##0", "kg/year": "#,##0",
           "km": "#,##0", "hours": "0.0", "days": "0.0", "deg": "0.0000", "t CO2e/year": "#,##0.0",
           "kg CO2e per order": "0.000", "s": "0.0", "sites": "0", "pools": "0"}


_UNIT_IN_HEADER = re.compile(r"\(([^()]+)\)\s*$")


def number_format(unit: str, with_unit: bool = False) -> str | None:
    """The Excel format of a number in ``unit``; ``with_unit`` appends the unit's text (for sheets
    whose value column mixes units: summary, KPIs)."""
    fmt = FORMATS.get(unit)
    if fmt is None:
        return None
    if with_unit and "%" not in fmt:
        fmt += f'" {unit}"'
    return fmt


def format_sheet(sheet, df: pd.DataFrame) -> None:
    """Frozen header, a filter on every column, widths to read the header, and number formats: a
    column's from the unit in its header, or each row's from a ``unit`` column beside ``value``.
    Every text cell is stored as text (model.io.outputs.cells_as_values): a name ``=HYPERLINK(...)``
    from data is never a live formula, in results.xlsx or compare.xlsx."""
    cells_as_values(sheet)
    sheet.freeze_panes = "A2"
    if len(df.columns):
        sheet.auto_filter.ref = sheet.dimensions
    for j, col in enumerate(df.columns, start=1):
        m = _UNIT_IN_HEADER.search(str(col))
        fmt = number_format(m.group(1)) if m else None
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    cell.number_format = fmt
    if "value" in df.columns and "unit" in df.columns:
        j = list(df.columns).index("value") + 1
        for i, unit in enumerate(df["unit"], start=2):
            cell = sheet.cell(row=i, column=j)
            fmt = number_format(str(unit), with_unit=True)
            if fmt and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = fmt
    for col in sheet.columns:  # wide enough to read the header
        width = max(len(str(c.value)) if c.value is not None else 0 for c in col[:50])
        sheet.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 60)


