"""Text helpers every command shares: "did you mean" suggestions and ``KEY=VALUE`` pairs."""
from __future__ import annotations

import difflib


def suggest(word: str, choices, n: int = 3, cutoff: float = 0.6, aliases: dict | None = None) -> list[str]:
    """The known ``choices`` closest to a misspelt ``word`` (difflib ratio >= ``cutoff``, ignoring
    case), best first. ``aliases`` ({other name: choice}, e.g. a province's name -> its code)
    are matched too and give their choice. A dotted parameter key is also matched on its last
    part and as a prefix, so ``cbec_tax`` and ``policy.cbec_tax`` both find ``policy.cbec_tax_factor``.
    """
    lower: dict[str, str] = {}
    for c in map(str, choices):
        lower.setdefault(c.lower(), c)
    for alias, c in (aliases or {}).items():
        lower.setdefault(str(alias).lower(), str(c))
    w = str(word).lower()
    found: list[str] = []

    def add(c):
        if c not in found:
            found.append(c)

    for m in difflib.get_close_matches(w, list(lower), n=n, cutoff=cutoff):
        add(lower[m])
    dotted = {c.rsplit(".", 1)[-1]: lower[c] for c in lower if "." in c}
    if dotted:
        for m in difflib.get_close_matches(w.rsplit(".", 1)[-1], list(dotted), n=n, cutoff=cutoff):
            add(dotted[m])
        for c in lower:  # a prefix of a key: "policy.cbec_tax" -> "policy.cbec_tax_factor"
            if len(w) >= 4 and c.startswith(w):
                add(lower[c])
    return found[:n]


def did_you_mean(word: str, choices, aliases: dict | None = None, names: dict | None = None) -> str:
    """' (did you mean 'x' or 'y'?)' for the closest ``choices`` (see :func:`suggest`), or ''
    when none is close; ``names`` ({choice: name}) are shown beside the choices."""
    found = suggest(word, choices, aliases=aliases)
    if not found:
        return ""
    shown = [repr(f) + (f" ({names[f]})" if names and names.get(f) and names[f] != f else "") for f in found]
    return f" (did you mean {' or '.join(shown)}?)"


def parse_set(pairs, flag: str = "--set") -> dict:
    """``["KEY=VALUE", ...]`` -> {key: value text}; values are typed and range-checked later,
    against model/attrs/parameter_keys.csv, by load_scenario or :func:`with_parameters`."""
    out = {}
    for pair in pairs or []:
        key, sep, value = str(pair).partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag} {pair!r}: expected KEY=VALUE, e.g. {flag} policy.cbec_tax_factor=0.7")
        out[key.strip()] = value.strip()
    return out
