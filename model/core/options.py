"""Ranges of the command-line options every command shares, checked before any work.

A bad value costs no load and no solve: ``alternatives --within=-1`` was refused only after the
30-60 s base solve, ``--robustness -1`` was ignored, ``regret --workers 0`` accepted, and
``--progress -1`` (or ``nan``) printed millions of lines.
"""
from __future__ import annotations

import math
import numbers


def _finite(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


#: argparse attribute -> (flag, rule, what is expected): checked by :func:`check_options` before any
#: work, so a bad value costs no solve (``alternatives --within=-1`` was refused after the base solve).
OPTION_RULES = {
    "gap": ("--gap", lambda v: _finite(v) and 0 <= v < 1, "a relative gap in [0, 1), e.g. 0.002"),
    "time_limit": ("--time-limit", lambda v: _finite(v) and v > 0, "a number of seconds > 0"),
    "threads": ("--threads", lambda v: float(v).is_integer() and v >= 1, "a whole number of threads >= 1"),
    "workers": ("--workers", lambda v: v >= 1, "a number of workers >= 1"),
    "progress": ("--progress", lambda v: _finite(v) and v >= 0.1,
                 "seconds between progress lines, at least 0.1 (--quiet hides them)"),
    "robustness": ("--robustness", lambda v: 0 <= v <= 1000, "a number of other site sets between 0 and 1000"),
    "within": ("--within", lambda v: _finite(v) and 0 <= v <= 10, "a fraction of the optimal cost >= 0, e.g. 0.02"),
    "max": ("--max", lambda v: 1 <= v <= 10000, "a number of alternatives >= 1"),
    "tol": ("--tol", lambda v: _finite(v) and v > 0, "a width > 0"),
}


def check_value(attr: str, v) -> None:
    """ValueError naming the option unless ``v`` is a number within the range of ``attr``
    (:data:`OPTION_RULES`); for values that did not come through argparse (e.g. SolverOptions)."""
    flag, ok, expected = OPTION_RULES[attr]
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not ok(v):  # numpy numbers too
        raise ValueError(f"{flag} {v!r}: expected {expected}")


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
