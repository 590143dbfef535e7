"""The cost terms of the objective, declared once in ``model/attrs/terms.csv`` and read here by
everything that prices, sums, checks or explains a cost: the objective, the arc pricing and
presolve, the per-order diagnostics, the two-stage model, the KPIs, the caveats and the finite
checks (docs/formulation.md, "Objective").

One row per (term, family): ``family`` is the table or variable that carries the term (``inbound``,
``outbound``, ``direct`` arc tables, ``stock`` positions of the monthly model, ``facility`` and
``pools`` Pyomo expressions, ``penalty`` for unmet demand), ``column`` its coefficient column there.
``kind`` says what the money is: ``logistics``, ``regulatory`` (market access: importer of record,
registration, labels, inspection), ``tax`` (a transfer to the state), ``capital`` (cost of capital
and ageing), ``service`` (the buyer's wait), ``facility`` or ``penalty``. ``stage`` says when the
two-stage model pays it: with the ``stock``, at the ``sale``, at the sale in the scenario's exchange
rate (``fx``), or ``split`` (taxes: the part paid at entry with the stock, the rest at the sale).
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from model.core.paths import ATTRS_DIR

TERMS_FILE = ATTRS_DIR / "terms.csv"
#: Families whose coefficient columns are USD per order on an arc of the one-period model.
ARC_FAMILIES = ("inbound", "outbound", "direct")
KINDS = ("logistics", "regulatory", "tax", "capital", "service", "facility", "penalty")
STAGES = ("stock", "sale", "fx", "split")


@lru_cache(maxsize=1)
def term_table() -> pd.DataFrame:
    """The term table, checked: known kinds and stages, one row per (term, family)."""
    t = pd.read_csv(TERMS_FILE, dtype=str, keep_default_na=False)
    for col, allowed in (("kind", KINDS), ("stage", STAGES)):
        bad = t.index[~t[col].isin(allowed)]
        if len(bad):
            i = bad[0]
            raise ValueError(f"{TERMS_FILE}, line {i + 2}, column {col}: {t.at[i, col]!r} is not one of {allowed}")
    dup = t.index[t.duplicated(["term", "family"])]
    if len(dup):
        raise ValueError(f"{TERMS_FILE}, line {dup[0] + 2}: ({t.at[dup[0], 'term']}, {t.at[dup[0], 'family']}) twice")
    return t


def _terms() -> tuple[str, ...]:
    return tuple(dict.fromkeys(term_table()["term"]))


#: The objective's terms in report order; each is a named Pyomo Expression.
TERMS: tuple[str, ...] = _terms()


def columns(family: str, stage: str | tuple[str, ...] | None = None) -> list[str]:
    """Coefficient columns of ``family`` (USD per order) that are objective terms, in term order;
    only those paid at ``stage`` (one or several) when given."""
    t = term_table()
    t = t[t["family"] == family]
    if stage is not None:
        t = t[t["stage"].isin((stage,) if isinstance(stage, str) else stage)]
    return t["column"].tolist()


def sources() -> dict[str, list[tuple[str, str]]]:
    """term -> [(family, column)] for the terms carried by flows (arcs and the monthly stock)."""
    t = term_table()
    t = t[t["family"].isin((*ARC_FAMILIES, "stock"))]
    return {term: list(zip(g["family"], g["column"])) for term, g in t.groupby("term", sort=False)}


def of_kind(*kinds: str) -> tuple[str, ...]:
    """Terms of the given kinds, in report order."""
    t = term_table()
    return tuple(dict.fromkeys(t.loc[t["kind"].isin(kinds), "term"]))


#: Transfers, not resource costs: duties and VAT go to the state, the penalty is a modelling device.
TRANSFERS = of_kind("tax", "penalty")
#: Terms priced on flows (not the facility expressions or the unmet penalty).
FLOW_TERMS = tuple(t for t in TERMS if set(term_table().loc[term_table()["term"] == t, "family"])
                   - {"facility", "penalty"})


def label(term: str) -> str:
    """Display name of a term."""
    t = term_table()
    hit = t.loc[t["term"] == term, "label"]
    return hit.iloc[0] if len(hit) else term.replace("_", " ")


def inputs(term: str) -> tuple[str, ...]:
    """The input tables and parameter keys a term is computed from (for the caveats)."""
    t = term_table()
    keys = [k for cell in t.loc[t["term"] == term, "inputs"] for k in cell.split(";") if k]
    return tuple(dict.fromkeys(keys))


def computed_from() -> dict[str, str]:
    """Coefficient column -> how it is computed, for messages that name a column."""
    t = term_table()
    return dict(zip(t["column"], t["computed_from"]))
