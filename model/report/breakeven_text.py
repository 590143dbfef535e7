"""One sentence per break-even switch, for report.md and the ``breakeven`` command's output:

    bonded CBEC stock replaces general trade for cosmetics and supplements fmcg below a CBEC tax factor
    of 0.66 (0.63-0.69) in 12 provinces: Red River Delta (Hà Nội, Hải Phòng), Mekong Delta (Cần Thơ).

Reads a switch as ``model.studies.breakeven`` stores it (``below``, ``above``, ``change`` and ``shifts``:
the zones grouped by the pair of regimes they move between, with the products that move); zones by
name, grouped by region, instead of one line per zone code.
"""
from __future__ import annotations

from model import regimes
from model.core.names import named

#: words written in capitals when a parameter key becomes words
_ACRONYMS = {"cbec", "vat", "fta", "mfn", "co2", "usd", "gdp"}
#: units not repeated after the number (a share or a switch reads without one)
_NO_UNIT = {"", "share", "0 or 1", "nan", "None"}


def parameter_words(key: str) -> str:
    """'policy.cbec_tax_factor' -> 'CBEC tax factor'."""
    return " ".join(w.upper() if w in _ACRONYMS else w for w in key.split(".")[-1].split("_"))


def interval_text(below: float, above: float, unit: str = "") -> str:
    """'0.66 (0.63-0.69)': the midpoint, then the interval, to the fewest significant digits that
    tell its two ends apart (the resolution of the search, no more)."""
    digits = 2
    while digits < 8 and f"{below:.{digits}g}" == f"{above:.{digits}g}":
        digits += 1
    mid = (below + above) / 2
    tail = "" if str(unit) in _NO_UNIT else f" {unit}"
    return f"{mid:.{digits}g}{tail} ({below:.{digits}g}-{above:.{digits}g})"


def _words(items: list[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def zones_text(zones: list[str], zone_names: dict | None = None, zone_regions: dict | None = None,
               every_zone: int | None = None) -> str:
    """'12 provinces: Red River Delta (01 Hà Nội, 31 Hải Phòng), Mekong Delta (92 Cần Thơ)';
    'every province' when ``zones`` are all ``every_zone`` of them."""
    if every_zone and len(zones) == every_zone:
        return f"every province ({len(zones)})"
    names = zone_names or {}
    groups: dict[str, list[str]] = {}
    for z in sorted(zones, key=str):
        groups.setdefault((zone_regions or {}).get(str(z), ""), []).append(named(z, names))
    body = "; ".join(f"{region} ({', '.join(zs)})" if region else ", ".join(zs)
                     for region, zs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])))
    return f"{len(zones)} province{'s' if len(zones) != 1 else ''}: {body}"


def _regime(mode) -> str:
    return "no delivery" if mode in (None, "unmet") else regimes.label(mode)


def shifts_of(switch: dict) -> list[dict]:
    """The switch's ``shifts``; for a switch stored before they existed, its zone changes grouped by pair of
    regimes (without products)."""
    if "shifts" in switch:
        return switch["shifts"]
    groups: dict[tuple, list] = {}
    for z, (a, b) in ((switch.get("change") or {}).get("mode_changes") or {}).items():
        groups.setdefault((a, b), []).append(z)
    return [{"below": a, "above": b, "zones": zs, "products": []}
            for (a, b), zs in sorted(groups.items(), key=lambda kv: -len(kv[1]))]


def switch_sentences(switch: dict, key: str, unit: str = "", zone_names: dict | None = None,
                     zone_regions: dict | None = None, site_names: dict | None = None,
                     every_zone: int | None = None) -> list[str]:
    """The sentences of one switch: one per pair of regimes that trade zones there, then one for the
    sites it opens or closes (none when nothing changes)."""
    at = f"a {parameter_words(key)} of {interval_text(switch['below'], switch['above'], unit)}"
    out = []
    for sh in shifts_of(switch):
        products = (" for every product" if sh.get("every_product") else
                    f" for {_words([p.replace('_', ' ') for p in sh['products']])}" if sh.get("products") else "")
        out.append(f"{_regime(sh['below'])} replaces {_regime(sh['above'])}{products} below {at}, in "
                   f"{zones_text(sh['zones'], zone_names, zone_regions, every_zone)}.")
    ch = switch.get("change") or {}
    sites = [f"opens {_words([named(k, site_names or {}) for k in ch['opens']])}"] if ch.get("opens") else []
    sites += [f"closes {_words([named(k, site_names or {}) for k in ch['closes']])}"] if ch.get("closes") else []
    if sites:
        out.append(f"Above {at} the plan {' and '.join(sites)}.")
    return out or [f"At {at} nothing the plan shows changes."]


def switch_summary(switch: dict) -> str:
    """A short table cell: 'bonded → general trade in 12 provinces; opens K02'."""
    parts = [f"{_regime(sh['below'])} \u2192 {_regime(sh['above'])} in {len(sh['zones'])} province"
             f"{'s' if len(sh['zones']) != 1 else ''}" for sh in shifts_of(switch)]
    ch = switch.get("change") or {}
    parts += [f"opens {', '.join(ch['opens'])}"] if ch.get("opens") else []
    parts += [f"closes {', '.join(ch['closes'])}"] if ch.get("closes") else []
    return "; ".join(parts) or "no change"
