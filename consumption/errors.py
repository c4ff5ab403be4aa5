"""Every exception the package raises on purpose, and the codes of input problems.

The library raises these; only the command line maps them to exit codes
(``cli.exit_code``). Each class is named for its condition.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Who reads the messages: Python callers know ``as_of=``, the command line ``--as-of``.
_SPELLING: ContextVar[str] = ContextVar("option_spelling", default="python")


def option(name: str, value: str | None = None) -> str:
    """An option (with a value, when given) as the reader of a message knows it.

    >>> option("as_of"), option("engine", "lp")
    ('as_of=', "engine='lp'")
    >>> with command_line():
    ...     option("as_of"), option("engine", "lp")
    ('--as-of', '--engine lp')
    """
    if _SPELLING.get() == "cli":
        flag = "--" + name.replace("_", "-")
        return flag if value is None else f"{flag} {value}"
    return f"{name}=" if value is None else f"{name}={value!r}"


@contextlib.contextmanager
def command_line() -> Iterator[None]:
    """Messages raised inside speak of command-line flags."""
    token = _SPELLING.set("cli")
    try:
        yield
    finally:
        _SPELLING.reset(token)


class Code(StrEnum):
    """Why an input is refused: the stable reason code of a :class:`Problem`.

    Tests and users match on these, never on message wording. The value is
    what a problem prints in brackets.
    """

    # The whole file.
    MISSING_FILE = "missing_file"
    UNREADABLE_FILE = "unreadable_file"
    EMPTY_FILE = "empty_file"
    MISSING_SHEET = "missing_sheet"
    BINARY_FILE = "binary_file"
    ENCODING = "encoding"
    UNREADABLE_CSV = "unreadable_csv"
    # The header.
    BAD_DELIMITER = "bad_delimiter"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    # Rows.
    RAGGED_ROW = "ragged_row"
    DUPLICATE_LOT = "duplicate_lot"
    DUPLICATE_ID = "duplicate_id"
    DUPLICATE_LANE = "duplicate_lane"
    DUPLICATE_LANE_RANK = "duplicate_lane_rank"
    SAME_LOCATION = "same_location"
    # Cells.
    EMPTY_VALUE = "empty_value"
    NOT_A_NUMBER = "not_a_number"
    THOUSANDS_SEPARATOR = "thousands_separator"
    DECIMAL_COMMA = "decimal_comma"
    NOT_FINITE = "not_finite"
    NEGATIVE = "negative"
    NOT_POSITIVE = "not_positive"
    TOO_LARGE = "too_large"
    TOO_MANY_DECIMALS = "too_many_decimals"
    NOT_AN_INTEGER = "not_an_integer"
    BAD_DATE = "bad_date"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    AMBIGUOUS_NUMBER = "ambiguous_number"
    BAD_PERCENT = "bad_percent"
    TWO_REQUIREMENTS = "two_requirements"
    NO_REQUIREMENT = "no_requirement"
    DUPLICATE_MRSL = "duplicate_mrsl"
    MRSL_KEY = "mrsl_key"
    MRSL_UNMATCHED = "mrsl_unmatched"
    DUPLICATE_ITEM = "duplicate_item"
    NO_TOTAL_SHELF_LIFE = "no_total_shelf_life"
    # Across columns and files.
    SHELF_LIFE_MISMATCH = "shelf_life_mismatch"
    LOCATION_ONE_SIDE = "location_one_side"
    # Across files: a notice, not a problem (a lane network may name locations that
    # hold no stock and no demand today).
    UNKNOWN_LOCATION = "unknown_location"
    # Warnings of a run (summary.json ``warnings``; exit code 3 under --strict).
    NO_SHARED_KEYS = "no_shared_keys"
    UNMATCHED_DEMAND = "unmatched_demand"


class ConsumptionError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input cell, row, column or file.

    ``code`` is the stable reason; ``message`` says the rule broken and the
    fix. ``file`` is the path the input was read from; a frame built in code
    has none and names its ``table`` instead. ``line`` is the line number as
    an editor shows it (the header is line 1), for files; ``row`` the 1-based
    data row, for frames built in code. Both are None for a problem of the
    whole file or table.

    >>> str(Problem(Code.NEGATIVE, "cannot be negative", table="inventory", row=3,
    ...             column="qty", value="-5"))
    "inventory frame, row 3, column 'qty': value '-5': cannot be negative [negative]"
    """

    code: Code
    message: str
    file: str = ""
    line: int | None = None
    column: str | None = None
    value: str | None = None
    table: str = ""
    row: int | None = None

    def __str__(self) -> str:
        where = self.file or (f"{self.table} frame" if self.table else "<input>")
        if self.line is not None:
            where += f", line {self.line}"
        elif self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        shown = "" if self.value is None else f": value {_quote(self.value)}"
        return f"{where}{shown}: {self.message} [{self.code}]"


def _quote(value: str, limit: int = 40) -> str:
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(text)


class InputError(ConsumptionError):
    """The inputs break the rules of SPEC §5; nothing was computed or written."""

    def __init__(self, problems: list[Problem], truncated: int = 0) -> None:
        self.problems = list(problems)
        self.truncated = truncated
        super().__init__(self.report())

    @property
    def codes(self) -> list[Code]:
        return [p.code for p in self.problems]

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.truncated:
            lines.append(f"... and {self.truncated} more problems not shown")
        return "\n".join(lines)


class UsageError(ConsumptionError):
    """The options or the scenario file ask for something that cannot be done."""


class MissingDependencyError(UsageError):
    """An optional feature needs a package that is not installed; the message says which extra."""


class StrictStopError(ConsumptionError):
    """The run warned and ``strict`` asked to stop: nothing was written."""

    def __init__(self, warnings: list[dict[str, str]]) -> None:
        self.warnings = list(warnings)
        super().__init__("; ".join(w["message"] for w in self.warnings))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.warnings,))


class PartitionError(ConsumptionError):
    """A partition of a cluster run failed for a reason other than its input; names its items."""


class NoRunError(UsageError):
    """A folder given as a run's output holds no run (no summary.json where it should be)."""


class NotFoundError(UsageError):
    """A lot or demand line asked about is not in the run, or is in it more than once."""


class InvariantError(ConsumptionError):
    """A computed result breaks an invariant (conservation, eligibility): a bug, never bad input."""


class OutputError(ConsumptionError):
    """The outputs cannot be written to their folder (full, read-only, forbidden)."""


class OutputLockedError(ConsumptionError):
    """Another run kept the output folder locked for longer than this run would wait."""


class KeyOverflowError(ConsumptionError):
    """Columns have too many distinct values to be packed into one 64-bit sort key."""


class SolverError(ConsumptionError):
    """An LP solver failed to run or gave back something that does not fit the model."""


class AnaplanConfigError(UsageError):
    """The Anaplan configuration is missing, unreadable or asks for something impossible."""


class AnaplanAuthError(ConsumptionError):
    """Anaplan refused the credentials, or its authentication service did not answer."""


class AnaplanApiError(ConsumptionError):
    """The Anaplan API refused a request, or did not answer after every retry."""


class AnaplanTaskError(ConsumptionError):
    """An import or process ran and failed; its failure dump, when there is one, is saved."""


class ExportChangedError(ConsumptionError):
    """An Anaplan export changed since it was written, or is not of the folder's current run."""


class AnaplanModelError(ConsumptionError):
    """The model is not set up to take the export as it is (a file with another encoding
    or separator than the export's); the message says what to change in Anaplan."""


class SyncBusyError(ConsumptionError):
    """Another ``consumption sync`` holds this model's lock: nothing was done; try later."""


class SyncStageError(ConsumptionError):
    """A stage of ``consumption sync`` (pull, run, push) failed; ``code`` is its exit code
    and ``cause`` what went wrong."""

    def __init__(self, stage: str, code: int, cause: BaseException) -> None:
        self.stage = stage
        self.code = code
        self.cause = cause
        super().__init__(f"{stage} failed: {cause}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.stage, self.code, self.cause))
