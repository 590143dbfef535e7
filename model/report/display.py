"""Display names a planner reads, one place for report.md, the printed summary and results.xlsx:
a regime is "cross-border parcel" everywhere, never ``direct_mail`` in one and words in another.
The files keep their codes (``mode``, cost-term columns) for programs; the names sit beside them."""
from __future__ import annotations

from model import regimes
from model.io import terms

#: flows.csv leg -> its name
LEG_NAMES = {"inbound": "inbound to a site", "outbound": "site to province", "parcel": "parcel to province",
             "stock": "stock held", "unmet": "not served"}


def term_name(term: str) -> str:
    """'cross-border parcel postage' for ``direct_mail_cost`` (model/attrs/terms.csv); an unknown term with its
    underscores spaced."""
    return terms.label(term)


def mode_name(mode) -> str:
    """A regime's name ('unmet' -> 'not served')."""
    return "not served" if mode == "unmet" else regimes.label(str(mode))


def regimes_name(codes) -> str:
    """'general trade + bonded CBEC stock' for sites.csv's 'general_trade bonded'."""
    return " + ".join(mode_name(m) for m in str(codes or "").split())
