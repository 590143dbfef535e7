"""Errors the tool raises on bad input, each naming where the problem is."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One bad value: file, 1-based line number in the file (header = line 1), column, value, expectation."""

    file: str
    row: int | None
    column: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        got = "" if self.value is None else f" (got {self.value!r})"
        return f"{where}: expected {self.expected}{got}"


class DataError(ValueError):
    """Bad input data. ``problems`` lists every problem found in the file (up to a limit)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "bad input"
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""))

    @classmethod
    def single(cls, file, row, column, value, expected) -> "DataError":
        return cls([Problem(str(file), row, column, value, expected)])


class ScenarioError(ValueError):
    """A scenario file or parameter override that cannot be used."""
