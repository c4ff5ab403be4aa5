"""Domain exceptions. The library raises them; only the CLI maps them to exit codes."""

from __future__ import annotations

from dataclasses import dataclass


class ConsumptionError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input cell, row, column or file.

    ``code`` is a stable reason code (tests assert on it); ``message`` says the
    rule broken and the fix. ``line`` is the line number as an editor shows it
    (the header is line 1); ``None`` when the problem is about the whole file.
    """

    code: str
    message: str
    file: str = ""
    line: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column '{self.column}'"
        shown = "" if self.value is None else f": value {_quote(self.value)}"
        return f"{where}{shown}: {self.message} [{self.code}]"


def _quote(value: str, limit: int = 40) -> str:
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(text)


class InputError(ConsumptionError):
    """The input files break the rules of SPEC §5; nothing was computed or written."""

    def __init__(self, problems: list[Problem], truncated: int = 0) -> None:
        self.problems = list(problems)
        self.truncated = truncated
        super().__init__(self.report())

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.truncated:
            lines.append(f"... and {self.truncated} more problems not shown")
        return "\n".join(lines)


class UsageError(ConsumptionError):
    """The options or the scenario file ask for something that cannot be done."""


class InvariantError(ConsumptionError):
    """A computed result breaks an invariant (conservation, eligibility): a bug, never bad input."""
