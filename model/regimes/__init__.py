"""Fulfilment regimes, one module each, read by the rest of the code through :data:`REGISTRY`.

A new regime is one new module declaring a :class:`Regime`, added to ``_MODULES`` below (or
:func:`register`-ed at run time, e.g. by a plug-in or a test); the arc tables (:mod:`model.inputs`),
results, KPIs, report, workbook and maps read everything about it from the registry: its rules,
lanes, colour, levers and words (docs/extending.md). Order = report order.
"""
from __future__ import annotations

from model.regimes import bonded, cbec_direct, general_trade, parcel
from model.regimes.access import CHANNELS, Access, channel
from model.regimes.base import Goods, Regime, Taxes

_MODULES = (bonded, general_trade, parcel, cbec_direct)
REGISTRY: dict[str, Regime] = {m.REGIME.name: m.REGIME for m in _MODULES}
#: Regimes that hold stock at a site, and those that send one parcel per order.
STOCKED = tuple(n for n, r in REGISTRY.items() if r.stocked)
PARCEL = tuple(n for n, r in REGISTRY.items() if not r.stocked)
MODES = tuple(REGISTRY)


def _derive() -> None:
    global STOCKED, PARCEL, MODES
    STOCKED = tuple(n for n, r in REGISTRY.items() if r.stocked)
    PARCEL = tuple(n for n, r in REGISTRY.items() if not r.stocked)
    MODES = tuple(REGISTRY)


def register(regime: Regime) -> None:
    """Add ``regime`` to the registry (after the shipped ones); the name must be new."""
    if regime.name in REGISTRY:
        raise ValueError(f"a regime named {regime.name!r} is registered already")
    REGISTRY[regime.name] = regime
    _derive()


def unregister(name: str) -> None:
    """Remove a regime added by :func:`register`."""
    REGISTRY.pop(name)
    _derive()


def levers() -> tuple[str, ...]:
    """The parameter keys of every registered regime's levers, in registry order."""
    return tuple(dict.fromkeys(k for r in REGISTRY.values() for k in r.levers))


def label(mode: str) -> str:
    """Words for a mode name ('unmet' and unknown names as they are, underscores spaced)."""
    r = REGISTRY.get(mode)
    return r.label if r else mode.replace("_", " ")


def enabled(p) -> list[Regime]:
    """The regimes that exist under the policy ``p`` (a parameter getter) and that the demand's
    seller channel (``demand.local_import``) may use."""
    return [r for r in REGISTRY.values() if r.enabled(p) and channel(p) in r.channels]


__all__ = [
    "CHANNELS",
    "Access",
    "channel",
    "REGISTRY",
    "STOCKED",
    "PARCEL",
    "MODES",
    "register",
    "unregister",
    "levers",
    "Goods",
    "Regime",
    "Taxes",
    "label",
    "enabled",
]
