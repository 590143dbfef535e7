"""Display names a planner reads, one place for report.md, the printed summary and results.xlsx:
a regime is "cross-border parcel" everywhere, never ``direct_mail`` in one and words in another.
The files keep their codes (``mode``, cost-term columns) for programs; the names sit beside them."""
from __future__ import annotations

from . import regimes

#: objective term -> its name (the terms: model.formulation.TERMS)
TERM_NAMES = {
    "fixed_cost": "fixed cost of the sites",
    "compliance_cost": "bonded compliance",
    "linehaul_cost": "international linehaul",
    "trucking_cost": "trucking gateway to site",
    "handling_cost": "handling at the sites",
    "last_mile_cost": "last mile",
    "direct_mail_cost": f"{regimes.label('direct_mail')} postage",
    "duty_tax_cost": "duties and VAT",
    "duty_financing_cost": "financing of duties paid early",
    "inventory_cost": "capital in goods in transit",
    "waiting_cost": "customer waiting",
    "stock_cost": "stock held",
    "returns_cost": "returns",
    "unmet_penalty": "unserved orders (penalty)",
}

#: flows.csv leg -> its name
LEG_NAMES = {"inbound": "inbound to a site", "outbound": "site to province", "parcel": "parcel to province",
             "stock": "stock held", "unmet": "not served"}


def term_name(term: str) -> str:
    """'cross-border parcel postage' for ``direct_mail_cost``; an unknown term with its underscores spaced."""
    return TERM_NAMES.get(term, term.replace("_", " "))


def mode_name(mode) -> str:
    """A regime's name ('unmet' -> 'not served')."""
    return "not served" if mode == "unmet" else regimes.label(str(mode))


def regimes_name(codes) -> str:
    """'general trade + bonded CBEC stock' for sites.csv's 'general_trade bonded'."""
    return " + ".join(mode_name(m) for m in str(codes or "").split())
