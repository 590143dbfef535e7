"""Fulfilment regimes, one module each, read by the rest of the code through :data:`REGISTRY`.

A new regime is one new module declaring a :class:`Regime`, added to ``_MODULES`` below; the
arc tables (:mod:`model.inputs.build`), results, KPIs, report and maps iterate over the
registry. Order = report order.
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
    "Goods",
    "Regime",
    "Taxes",
    "label",
    "enabled",
]
