"""Every input table's columns, declared once as data (``model/attrs/<table>.csv``).

Each attrs row gives: column, type (key|str|float|int|bool|category), unit, required,
default, min, max, references (``table.column`` or allowed values ``a|b|c``) and a
description. The declarations drive validation in :mod:`model.io.tables` and the data
dictionary in ``docs/data-dictionary.md`` (``python -m model.io.schema > docs/data-dictionary.md``).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from model.core.paths import ATTRS_DIR

#: The tables of a scenario's data folder, in loading order (references point backwards).
TABLES = (
    "parameters",
    "provinces",
    "products",
    "origins",
    "sourcing",
    "demand",
    "tariffs",
    "gateways",
    "lanes",
    "sites",
    "site_levels",
)

#: The province boundaries (provinces.geojson), declared like a table in attrs/provinces_geojson.csv.
GEOMETRY_TABLE = "provinces_geojson"

#: Tables a data folder may leave out: monthly demand shares (uniform when absent).
OPTIONAL_TABLES = ("seasonality", "sku_classes", "market_access")


@dataclass(frozen=True)
class Attr:
    column: str
    type: str
    unit: str
    required: bool
    default: object
    min: float | None
    max: float | None
    references: str
    description: str

    @property
    def foreign_key(self) -> tuple[str, str] | None:
        """(table, column) this column refers to, if any."""
        if self.references and "." in self.references and "|" not in self.references:
            table, column = self.references.split(".", 1)
            return table, column
        return None

    @property
    def allowed(self) -> tuple[str, ...] | None:
        """Allowed values of a categorical column, if declared."""
        if self.references and "." not in self.references:
            return tuple(self.references.split("|"))
        return None


def _num(x) -> float | None:
    return None if pd.isna(x) or x == "" else float(x)


@lru_cache(maxsize=None)
def table_attrs(table: str) -> tuple[Attr, ...]:
    """The declared columns of ``table``, in file order."""
    df = pd.read_csv(ATTRS_DIR / f"{table}.csv", dtype=str, keep_default_na=False)
    return tuple(
        Attr(
            column=r.column,
            type=r.type,
            unit=r.unit,
            required=r.required == "True",
            default=r.default,
            min=_num(r.min),
            max=_num(r.max),
            references=r.references,
            description=r.description,
        )
        for r in df.itertuples(index=False)
    )


def key_columns(table: str) -> list[str]:
    return [a.column for a in table_attrs(table) if a.type == "key"]


def data_dictionary_markdown() -> str:
    """The data dictionary of every table, as Markdown."""
    out = ["# Data dictionary", "", "Generated from `model/attrs/*.csv` by `python -m model.io.schema`.", ""]
    for table in TABLES + OPTIONAL_TABLES + (GEOMETRY_TABLE,):
        title = f"## `{table}.csv`" if table != GEOMETRY_TABLE else (
            "## `provinces.geojson` (optional: the shipped one is used when a data folder has none)\n\n"
            "A GeoJSON FeatureCollection, one feature per row of `provinces.csv` and the reverse. Rows `code`, "
            "`name_vi`, `name_ascii` are feature properties; `geometry` the allowed geometry types; `lon`, `lat` "
            "the range of every vertex; `crs` the accepted coordinate reference systems (`model/io/geometry.py`).")
        out += [title, "", "| column | type | unit | required | default | range | refers to | description |",
                "|---|---|---|---|---|---|---|---|"]
        for a in table_attrs(table):
            rng = ""
            if a.min is not None or a.max is not None:
                rng = f"[{'' if a.min is None else f'{a.min:g}'}, {'' if a.max is None else f'{a.max:g}'}]"
            out.append(f"| `{a.column}` | {a.type} | {a.unit} | {'yes' if a.required else 'no'} | {a.default} | {rng} "
                       f"| {a.references} | {a.description} |")
        out.append("")
    keys = pd.read_csv(ATTRS_DIR / "parameter_keys.csv", dtype=str, keep_default_na=False).fillna("")
    if "choices" not in keys.columns:
        keys["choices"] = ""
    out += ["## Scenario parameters (rows of `parameters.csv`, overridable with `--set KEY=VALUE`)", "",
            "A key without a default must have a row in the data folder's `parameters.csv`; the others",
            "take the default below unless `parameters.csv`, the scenario TOML or `--set` says otherwise.",
            "Types: `number` (finite; `inf` only where the range's max is inf), `integer` (a whole number),",
            "`bool` (0 or 1, true or false; a Python bool once loaded), `list` (codes, `*` = all); `choices`",
            "lists the only values allowed.", "",
            "| key | type | unit | range | default | description | source of the default |",
            "|---|---|---|---|---|---|---|"]
    for r in keys.itertuples(index=False):
        rng = "{" + ", ".join(r.choices.split("|")) + "}" if r.choices else f"[{r.min}, {r.max}]"
        out.append(f"| `{r.key}` | {r.type} | {r.unit} | {rng} | {r.default} | {r.description} | {r.source} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(data_dictionary_markdown(), end="")
