"""Errors the tool raises on bad input, each naming where the problem is."""
from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One bad value: file, 1-based line number in the file (header = line 1), column, value, expectation.

    In a GeoJSON file ``feature`` names the feature (its 1-based number, and its code where known,
    e.g. ``"3 (code '01')"``) and ``column`` the property, or ``geometry``."""

    file: str
    row: int | None
    column: str | None
    value: object
    expected: str
    feature: object = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.feature is not None:
            where += f", feature {self.feature}"
        if self.column is not None:
            if self.feature is None:
                where += f", column '{self.column}'"
            else:
                where += ", geometry" if self.column == "geometry" else f", property '{self.column}'"
        value = self.value.item() if hasattr(self.value, "item") and hasattr(self.value, "dtype") else self.value
        got = "" if value is None else f" (got {value!r})"
        return f"{where}: expected {self.expected}{got}"


class DataError(ValueError):
    """Bad input data. ``problems`` lists every problem found, in every file (up to a limit);
    ``omitted`` counts the problems found beyond that limit and not listed."""

    def __init__(self, problems: list[Problem], omitted: int = 0):
        self.problems = list(problems)
        self.omitted = int(omitted)
        first = str(self.problems[0]) if self.problems else "bad input"
        more = len(self.problems) - 1 + self.omitted
        super().__init__(first + (f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""))

    def lines(self) -> list[str]:
        """One line per problem (file, row, column, expectation), then how many were not listed."""
        out = [str(p) for p in self.problems] or [str(self)]
        if self.omitted:
            out.append(f"... and {self.omitted} more problem{'s' if self.omitted > 1 else ''} not listed")
        return out

    @classmethod
    def single(cls, file, row, column, value, expected) -> "DataError":
        return cls([Problem(str(file), row, column, value, expected)])


class ScenarioError(ValueError):
    """A scenario file or parameter override that cannot be used."""


def print_error(exc) -> None:
    """Bad input on stderr, ``error: ...``: one line per problem (a DataError lists every problem of every file)."""
    for line in (exc.lines() if hasattr(exc, "lines") else [str(exc)]):
        print(f"error: {line}", file=sys.stderr)


def run_guarded(body) -> int:
    """Run ``body()`` with the exit codes of solve.py: 2 (and one line per problem) on bad input."""
    try:
        return body()
    except (DataError, ScenarioError, ValueError) as exc:
        print_error(exc)
        return 2
