"""What every command line of the tool shares: ``--set`` pairs, ``--extra`` hooks, error lines,
parameter copies of a scenario, "did you mean" suggestions and the files a solved run writes.

solve.py, ``python solve.py sweep | compare | alternatives | breakeven | regret`` and
``--stochastic`` all use these, so a flag reads and fails the same way in each.
"""
from __future__ import annotations

import dataclasses
import difflib
import importlib
import importlib.util
import math
import sys
from pathlib import Path


# ---------------------------------------------------------------------------- suggestions

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


# ---------------------------------------------------------------------------- flags

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


def load_extra(spec: str | None):
    """``module:function`` (a module importable from the working directory, or a .py path) -> the function.

    None or '' -> None. The insight commands pass the spec text (not the function) to parallel
    workers, which load it themselves: a function from a .py file outside the package cannot be
    pickled by name.
    """
    if not spec:
        return None
    mod_name, sep, fn_name = spec.rpartition(":")
    if not sep or not mod_name or not fn_name:
        raise ValueError(f"--extra {spec!r}: expected MODULE:FUNCTION, e.g. examples/one_site_per_region.py:"
                         "at_least_one_site_per_region")
    if mod_name.endswith(".py"):
        path = Path(mod_name)
        if not path.is_file():
            raise ValueError(f"--extra {spec!r}: no file {mod_name}")
        spec_obj = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec_obj)
        try:
            spec_obj.loader.exec_module(module)
        except Exception as exc:  # a syntax error or an exception at import: the user's file, not a bug here
            raise ValueError(f"--extra {spec!r}: {mod_name} cannot be loaded: {type(exc).__name__}: {exc}") from exc
    else:
        if str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))
        try:
            module = importlib.import_module(mod_name)
        except Exception as exc:
            raise ValueError(f"--extra {spec!r}: cannot import {mod_name}: {type(exc).__name__}: {exc}") from exc
    fn = getattr(module, fn_name, None)
    if not callable(fn):
        functions = [n for n in dir(module) if callable(getattr(module, n)) and not n.startswith("_")]
        raise ValueError(f"--extra {spec!r}: {mod_name} has no function {fn_name}" + did_you_mean(fn_name, functions))
    return fn


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


#: argparse attribute -> (flag, rule, what is expected): checked by :func:`check_options` before any
#: work, so a bad value costs no solve (``alternatives --within=-1`` was refused after the base solve).
OPTION_RULES = {
    "gap": ("--gap", lambda v: _finite(v) and 0 <= v < 1, "a relative gap in [0, 1), e.g. 0.002"),
    "time_limit": ("--time-limit", lambda v: _finite(v) and v > 0, "a number of seconds > 0"),
    "threads": ("--threads", lambda v: v >= 1, "a number of threads >= 1"),
    "workers": ("--workers", lambda v: v >= 1, "a number of workers >= 1"),
    "progress": ("--progress", lambda v: _finite(v) and v >= 0.1,
                 "seconds between progress lines, at least 0.1 (--quiet hides them)"),
    "robustness": ("--robustness", lambda v: 0 <= v <= 1000, "a number of other site sets between 0 and 1000"),
    "within": ("--within", lambda v: _finite(v) and 0 <= v <= 10, "a fraction of the optimal cost >= 0, e.g. 0.02"),
    "max": ("--max", lambda v: 1 <= v <= 10000, "a number of alternatives >= 1"),
    "tol": ("--tol", lambda v: _finite(v) and v > 0, "a width > 0"),
}


def check_options(args, names=None) -> None:
    """ValueError naming the option for the first value of ``args`` outside its range
    (:data:`OPTION_RULES`); options not given (None) or not of this command are skipped."""
    for attr in names or OPTION_RULES:
        flag, ok, expected = OPTION_RULES[attr]
        v = getattr(args, attr, None)
        if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if not ok(v):
            raise ValueError(f"{flag} {v:g}: expected {expected}")


def print_error(exc) -> None:
    """Bad input on stderr, ``error: ...``: one line per problem (a DataError lists every problem of every file)."""
    for line in (exc.lines() if hasattr(exc, "lines") else [str(exc)]):
        print(f"error: {line}", file=sys.stderr)


def run_guarded(body) -> int:
    """Run ``body()`` with the exit codes of solve.py: 2 (and one line per problem) on bad input."""
    from .errors import DataError, ScenarioError

    try:
        return body()
    except (DataError, ScenarioError, ValueError) as exc:
        print_error(exc)
        return 2


# ---------------------------------------------------------------------------- scenarios

def with_parameters(scenario, overrides: dict, source: str = "override"):
    """A copy of ``scenario`` with parameters changed, each checked exactly as ``--set`` checks it
    (a bad key or value raises ScenarioError naming it; ``source`` says where it came from)."""
    from .scenario import _check_value

    checked = {k: _check_value(k, v, source) for k, v in overrides.items()}
    return dataclasses.replace(scenario, parameters={**scenario.parameters, **checked},
                               overrides={**scenario.overrides, **checked})



# ---------------------------------------------------------------------------- output files

def result_files(result, with_map: bool = True) -> dict:
    """``{file name: writer(path)}`` beside the tables of a solved run: the maps (model.maps) unless
    ``with_map`` is False. The command layer picks the renderers, so the studies never import them."""
    if not with_map:
        return {}
    from .maps import map_writers

    return map_writers(result)


def command_out_dir(root: Path, scenario_name: str, command: str | None = None) -> Path:
    """``results/<scenario>/`` for a plain solve, ``results/<scenario>/<command>/`` for an insight
    command, so no study ever writes over the base run."""
    out = Path(root) / "results" / scenario_name
    return out / command if command else out
