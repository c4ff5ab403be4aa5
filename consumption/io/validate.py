"""The one validator: every input rule, applied to files and to frames built in code alike.

:mod:`consumption.io.schema` says *what* each table is; this module says *how*
it is checked. Rules run as numpy masks over whole columns (:class:`Cells`),
never row by row; only the cells that break a rule are explained, at most
``MAX_PROBLEMS`` per rule. A problem is first a :class:`Finding` at a data
row; whoever holds the input turns rows into places a planner can find: the
CSV reader into editor lines (:mod:`consumption.io.lines`), a frame built in
code into its row numbers.

Three kinds of rules:

* cell rules, by the column's kind (empty, unreadable, finite, whole,
  bounds, decimals): :func:`check_table`;
* row rules, from the table (unique keys, a lane between two places):
  :func:`check_table`;
* rules across the tables of one run (every quantity exact in the scaled
  unit both files need, dates within reach of ``as_of``): :func:`check_run`.

:func:`check_inputs` is the entry point for ``allocate``: frames read by
:mod:`consumption.io.read` passed the first two kinds when they were read
(their ``attrs`` say so), frames built in code pass them here.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from consumption import constants as c
from consumption.engine.text import duplicate_rows
from consumption.errors import Code, InputError, Problem, UsageError
from consumption.io import cells as cells_
from consumption.io import schema as s
from consumption.io.cells import Cells
from consumption.io.schema import Column, Kind, Table

# Stands for "line N" (files) or "row N" (frames) of another row in a message until
# that place is known; a NUL never occurs in a value (files holding one are refused).
OTHER = "\x00other\x00"
# Frames that passed the table rules when they were read carry this in ``attrs``.
ATTR_VALIDATED = "validated"
ATTR_LOCATOR = "locator"
_EXACT_FLOAT_LIMIT = 2**53  # beyond it a float no longer holds every integer
_SUM_LIMIT = 2**62  # prefix sums of scaled quantities must stay inside int64


@dataclass
class Finding:
    """A problem at a data row (0-based, in the input's own row order), before it is located.

    ``column`` is the canonical column name. ``message`` may hold ``OTHER``, to
    be replaced by the place of ``other_row``. ``hidden`` counts further
    problems of the same rule that are not explained, beyond the cap.
    """

    row: int
    code: Code
    column: str | None
    value: str | None
    message: str
    other_row: int | None = None
    hidden: int = 0


@dataclass
class TableCheck:
    """What :func:`check_table` found: the problems, and the rows with every cell empty."""

    findings: list[Finding]
    blank: np.ndarray


class Locator(Protocol):
    """Turns findings about one input into problems a planner can find."""

    def problems(self, findings: list[Finding]) -> list[Problem]: ...


# --- cell rules --------------------------------------------------------------------------


def check_table(table: Table, columns: dict[str, Cells], n_rows: int) -> TableCheck:
    """Every cell rule of every column present, then the row rules of the table.

    Rows with every cell empty (``,,,,`` from spreadsheets) are skipped, not errors.
    """
    empties = [cells.empty for cells in columns.values()]
    blank = np.logical_and.reduce(empties) if empties else np.zeros(n_rows, bool)
    findings = []
    for name, cells in columns.items():
        column = table.column(name)
        for code, rows in _rule_breaks(column, cells):
            findings += _explain_cells(column, code, rows[~blank[rows]], cells)
    findings += _row_rules(table, columns, blank)
    return TableCheck(findings, blank)


def _rule_breaks(column: Column, cells: Cells) -> list[tuple[Code, np.ndarray]]:
    """Every rule of the column's kind as a mask; a cell reports the first rule it breaks."""
    masks: list[tuple[Code, np.ndarray]] = []
    if not column.allow_empty:
        masks.append((Code.EMPTY_VALUE, cells.empty))
    unreadable = Code.BAD_DATE if column.kind is Kind.DATE else Code.NOT_A_NUMBER
    masks.append((unreadable, cells.unreadable))
    if column.kind not in (Kind.TEXT, Kind.DATE):
        masks += _number_rules(column, cells)
    seen = np.zeros(len(cells), bool)
    bad = []
    for code, mask in masks:
        if mask.any():
            fresh = mask & ~seen
            seen |= fresh
            bad.append((code, np.flatnonzero(fresh)))
    return bad


def _number_rules(column: Column, cells: Cells) -> list[tuple[Code, np.ndarray]]:
    """Finite; whole for days and ranks; within bounds; at most 6 decimals for quantities."""
    values = cells.values
    finite = np.isfinite(values)
    masks = [(Code.NOT_FINITE, ~finite & ~cells.empty & ~cells.unreadable)]
    if column.kind in (Kind.DAYS, Kind.POSITIVE_INTEGER):
        masks.append((Code.NOT_AN_INTEGER, finite & (values != np.floor(values))))
    low = minimum(column)
    if low is not None:
        masks.append((Code.NEGATIVE if low == 0 else Code.NOT_POSITIVE, finite & (values < low)))
    high = maximum(column)
    if high is not None:
        masks.append((Code.TOO_LARGE, finite & (np.abs(values) > high)))
    if column.kind is Kind.QUANTITY:
        masks.append((Code.TOO_MANY_DECIMALS, _too_many_decimals(cells, c.MAX_QTY_DECIMALS)))
    return masks


def minimum(column: Column) -> int | None:
    """The least value a number column accepts, by its kind (or its own minimum)."""
    if column.kind is Kind.POSITIVE_INTEGER:
        return 1
    if column.kind in (Kind.QUANTITY, Kind.MONEY):
        return 0
    return column.minimum


def maximum(column: Column) -> float | None:
    """The largest magnitude a number column accepts, by its kind."""
    limits = {
        Kind.QUANTITY: c.MAX_QTY,
        Kind.DAYS: c.MAX_DAYS,
        Kind.POSITIVE_INTEGER: c.MAX_POSITIVE_INTEGER,
    }
    return limits.get(column.kind)


def _too_many_decimals(cells: Cells, limit: int) -> np.ndarray:
    """Cells with more than ``limit`` decimals: counted on the text when there is text."""
    if cells.text is None:
        values = np.asarray(cells.values)
        if values.dtype.kind != "f":
            return np.zeros(len(values), bool)
        finite = np.where(np.isfinite(values), values, 0.0)
        return ~_whole(finite * 10.0**limit)
    return _too_many_decimals_in_text(cells.text, limit)


def _too_many_decimals_in_text(strings: pa.ChunkedArray, limit: int) -> np.ndarray:
    """Cells with more than ``limit`` decimals, trailing zeros not counted.

    The digits after the '.' are counted on the text, vectorised; only cells that
    look too long are measured again without their trailing zeros (and exponent
    forms such as ``1.5e-9`` one by one: they are rare).
    """
    dot = np.asarray(pc.find_substring(strings, ".").to_numpy(), np.int64)
    exponent = pc.match_substring(strings, "e", ignore_case=True).to_numpy()
    rows = np.flatnonzero(((dot >= 0) & (cells_.lengths(strings) - dot - 1 > limit)) | exponent)
    out = np.zeros(len(dot), bool)
    if not len(rows):
        return out
    text = cells_.trim(strings.take(rows))
    trimmed = pc.utf8_rtrim(text, characters="0")
    digits = cells_.lengths(trimmed) - np.asarray(pc.find_substring(trimmed, ".").to_numpy()) - 1
    for i in np.flatnonzero(exponent[rows]):
        digits[i] = _decimal_places(text[int(i)].as_py())
    out[rows] = digits > limit
    return out


def _decimal_places(text: str) -> int:
    try:
        exponent = Decimal(text).normalize().as_tuple().exponent
    except InvalidOperation:
        return 0
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _whole(values: np.ndarray) -> np.ndarray:
    # Decimal inputs such as 0.3 are not exact binary fractions: 0.3 * 10 is off
    # by an ulp or two. A tolerance of a few thousand ulps tells that from a
    # genuine fraction (12345678.25 is not whole) at every magnitude we accept.
    return np.abs(values - np.rint(values)) <= 1e-12 * np.maximum(1.0, np.abs(values))


# --- explaining bad cells ------------------------------------------------------------------


def _explain_cells(column: Column, code: Code, found: np.ndarray, cells: Cells) -> list[Finding]:
    """Explain the first ``MAX_PROBLEMS`` cells breaking a rule; count the rest."""
    shown = found[: c.MAX_PROBLEMS]
    findings = []
    for row, value in zip(shown, cells.written(shown), strict=True):
        refined, message = explain(column, code, value)
        findings.append(Finding(int(row), refined, column.name, value, message))
    if findings:
        findings[-1].hidden = len(found) - len(shown)
    return findings


def explain(column: Column, code: Code, value: str) -> tuple[Code, str]:
    """The reason code (refined for unreadable numbers) and the rule and fix for one cell."""
    what, text = column.description, value.strip()
    if code == Code.EMPTY_VALUE:
        return code, f"{what} is missing: fill in the cell"
    if code == Code.NOT_A_NUMBER:
        return _explain_unreadable_number(column, text)
    if code == Code.BAD_DATE:
        return code, f"{what} must be a date written YYYY-MM-DD: {_date_hint(text)}"
    if code == Code.NOT_FINITE:
        return code, f"{what} must be a finite number: write the actual value"
    if code == Code.NOT_AN_INTEGER:
        number = float(text)
        low, high = int(np.floor(number)), int(np.ceil(number))
        return code, f"{what} must be a whole number: write {low} or {high}"
    if code == Code.NEGATIVE:
        return code, f"{what} cannot be negative: write 0 or more"
    if code == Code.NOT_POSITIVE:
        return code, f"{what} counts from 1: write 1 or more"
    if code == Code.TOO_LARGE:
        limit = plain(maximum(column) or 0)
        sign = "±" if column.kind is Kind.DAYS and column.minimum is None else ""
        return code, f"{what} is beyond {sign}{limit}: check the value and its unit"
    rounded = plain(round(float(text), c.MAX_QTY_DECIMALS))
    return code, f"{what} has more than {c.MAX_QTY_DECIMALS} decimals: round it, e.g. to {rounded}"


def plain(number: float) -> str:
    """A number in plain notation (never scientific), without a needless '.0'."""
    return np.format_float_positional(number, trim="-")


_THOUSANDS = re.compile(
    r"[+-]?\d{1,3}(?P<sep>[,.' \u00a0\u202f])\d{3}(?:(?P=sep)\d{3})*(?P<decimals>[.,]\d+)?"
)
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")


def _explain_unreadable_number(column: Column, text: str) -> tuple[Code, str]:
    """Recognise thousands separators and decimal commas: the usual locale mix-ups."""
    what = column.description
    match = _THOUSANDS.fullmatch(text)
    if match and not (match["decimals"] or "").startswith(match["sep"]):
        fixed = text.replace(match["sep"], "").replace(",", ".")
        message = f"{what} must be written without thousands separators: write {fixed}"
        if match["sep"] == "," and not match["decimals"] and text.count(",") == 1:
            message += f" (or {text.replace(',', '.')} if ',' is the decimal point)"
        return Code.THOUSANDS_SEPARATOR, message
    if _DECIMAL_COMMA.fullmatch(text):
        fixed = text.replace(",", ".")
        return Code.DECIMAL_COMMA, f"{what} takes '.' as the decimal point, not ',': write {fixed}"
    example = {
        Kind.DAYS: "a whole number of days, e.g. 180",
        Kind.POSITIVE_INTEGER: "a whole number from 1, e.g. 1",
    }.get(column.kind, "a number, e.g. 1250 or 12.5")
    return Code.NOT_A_NUMBER, f"{what} must be {example}"


_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _date_hint(text: str) -> str:
    """The fix for a bad date, as precise as the text allows."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return "there is no such day in the calendar"
    if match := re.fullmatch(r"(\d{4}-\d{2}-\d{2})[T ].*", text):
        return f"leave out the time: write {match[1]}"
    if match := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text):
        return _iso_hint(int(match[1]), int(match[2]), int(match[3]))
    if match := re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", text):
        first, second, year = int(match[1]), int(match[2]), int(match[3])
        if first > 12 >= second:
            return _iso_hint(year, second, first)
        if second > 12 >= first:
            return _iso_hint(year, first, second)
        return f"write year-month-day, e.g. {year}-{second:02d}-{first:02d} if {first} is the day"
    if re.fullmatch(r"\d{5}", text):
        day = _EXCEL_EPOCH + dt.timedelta(days=int(text))
        return f"this looks like an Excel date number: format the column as yyyy-mm-dd ({day})"
    return "write it like 2026-03-31"


def _iso_hint(year: int, month: int, day: int) -> str:
    try:
        return f"write {dt.date(year, month, day).isoformat()}"
    except ValueError:
        return "there is no such day in the calendar"


# --- row rules ---------------------------------------------------------------------------------


def _row_rules(table: Table, columns: dict[str, Cells], blank: np.ndarray) -> list[Finding]:
    """Repeated keys (naming the row seen first) and lanes from a location to itself."""
    findings = []
    for unique in table.unique:
        keys = [name for name in unique.columns if name in columns]
        complete = all(
            name in columns or not table.column(name).required for name in unique.columns
        )
        if keys and complete:
            findings += _duplicates(table, unique.code, unique.fix, keys, columns, blank)
    if table.distinct is not None and set(table.distinct) <= columns.keys():
        findings += _same_on_both_sides(table.distinct, columns, blank)
    return findings


def _duplicates(
    table: Table,
    code: Code,
    fix: str,
    keys: list[str],
    columns: dict[str, Cells],
    blank: np.ndarray,
) -> list[Finding]:
    """One finding per repeated key, at the later row, naming the place of the first."""
    skip = blank.copy()
    for name in keys:  # a number that could not be read is no key (its cell is reported)
        if table.column(name).kind is not Kind.TEXT:
            skip |= columns[name].empty | columns[name].unreadable
    pairs = duplicate_rows(
        [columns[name].values for name in keys], skip=skip if skip.any() else None
    )
    shown = keys[-1]  # the lot, the id, the destination: what to change
    findings = []
    for row, first in pairs[: c.MAX_PROBLEMS]:
        key = ", ".join(f"{name} '{_key_text(columns[name], row)}'" for name in keys)
        message = f"the {table.name} row with {key} is already on {OTHER}: {fix}"
        value = columns[shown].written(np.array([row]))[0]
        findings.append(Finding(row, code, shown, value, message, first))
    if len(pairs) > c.MAX_PROBLEMS:
        findings[-1].hidden = len(pairs) - c.MAX_PROBLEMS
    return findings


def _key_text(cells: Cells, row: int) -> str:
    if isinstance(cells.values, pa.ChunkedArray | pa.Array):
        return str(cells.values[row].as_py())
    return cells.written(np.array([row]))[0].strip()


def _same_on_both_sides(
    pair: tuple[str, str], columns: dict[str, Cells], blank: np.ndarray
) -> list[Finding]:
    """Lanes whose origin is their destination: the engine serves a location's own lots first."""
    origin, target = columns[pair[0]].values, columns[pair[1]].values
    same = pc.fill_null(pc.equal(origin, target), False).to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(same & (cells_.lengths(origin) > 0) & ~blank)
    message = "a lane goes from one location to another: remove this row"
    findings = [
        Finding(int(row), Code.SAME_LOCATION, pair[1], origin[int(row)].as_py(), message)
        for row in bad[: c.MAX_PROBLEMS]
    ]
    if len(bad) > c.MAX_PROBLEMS:
        findings[-1].hidden = len(bad) - c.MAX_PROBLEMS
    return findings


# --- rules across the tables of a run ------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """The checked tables of one run, in canonical form, and what the checks decided.

    ``decimals`` is the scale every quantity of the run is held in (units of
    ``10**-decimals``); ``notices`` are harmless findings (skipped empty rows).
    """

    inventory: pd.DataFrame
    demand: pd.DataFrame
    lanes: pd.DataFrame | None
    decimals: int
    notices: tuple[str, ...] = ()


def check_inputs(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None,
    as_of: np.datetime64 | None,
) -> Inputs:
    """Check the tables of one run with every rule; raise one ``InputError`` for them all.

    Frames read by ``read_inventory`` and its kin passed the table rules when
    they were read; frames built in code pass them here and come back in the
    same canonical form.
    """
    tables = [(s.INVENTORY, inventory), (s.DEMAND, demand)]
    if lanes is not None:
        tables.append((s.LANES, lanes))
    frames: list[pd.DataFrame] = []
    problems: list[Problem] = []
    notices: list[str] = []
    uncounted = 0
    for table, given in tables:
        checked, found, beyond, notes = _checked_frame(table, given)
        frames.append(checked)
        problems += found
        uncounted += beyond
        notices += notes
    if problems:
        raise _error(problems, uncounted)
    run = [(table, frame) for (table, _), frame in zip(tables, frames, strict=True)]
    decimals = check_run(run, as_of)
    return Inputs(
        frames[0], frames[1], frames[2] if lanes is not None else None, decimals, tuple(notices)
    )


def is_validated(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is the frame a reader checked, with as many rows as it had then."""
    mark = frame.attrs.get(ATTR_VALIDATED)
    return isinstance(mark, dict) and mark == _mark(frame)


def mark_validated(frame: pd.DataFrame, locator: Locator) -> None:
    """Record in ``attrs`` that ``frame`` passed the table rules, and how to locate its rows."""
    frame.attrs[ATTR_VALIDATED] = _mark(frame)
    frame.attrs[ATTR_LOCATOR] = locator


def _mark(frame: pd.DataFrame) -> dict[str, Any]:
    # Rows added (a concat) or columns renamed since the check would void it.
    return {"rows": len(frame), "columns": [str(name) for name in frame.columns]}


def _checked_frame(
    table: Table, given: pd.DataFrame
) -> tuple[pd.DataFrame, list[Problem], int, list[str]]:
    """A table in canonical form, the problems of its table rules and how many more there
    are beyond the cap, and its notices (nothing to check for a frame read and checked)."""
    if is_validated(given):
        return given, [], 0, []
    locator = FrameLocator(table)
    missing = _missing_columns(table, given)
    if missing:
        return given, missing, 0, []
    columns = {
        column.name: cells_.of_series(column, given[column.name])
        for column in table.columns
        if column.name in given.columns
    }
    checked = check_table(table, columns, len(given))
    if checked.findings:
        return given, locator.problems(checked.findings), hidden(checked.findings), []
    values = {
        name: cells.kept if cells.kept is not None else cells.values
        for name, cells in columns.items()
    }
    frame = cells_.frame(table, values, checked.blank)
    notices = []
    kept = None
    if checked.blank.any():
        notice = f"{table.name}: {int(checked.blank.sum())} rows with every cell empty were skipped"
        warnings.warn(notice, stacklevel=4)
        notices.append(notice)
        kept = np.flatnonzero(~checked.blank)
    mark_validated(frame, FrameLocator(table, kept))
    return frame, [], 0, notices


def _missing_columns(table: Table, frame: pd.DataFrame) -> list[Problem]:
    present = ", ".join(map(str, frame.columns)) or "none"
    groups: list[tuple[Column, ...]] = [(column,) for column in table.columns if column.required]
    groups += [tuple(table.column(name) for name in group) for group in table.one_of]
    return [
        Problem(
            Code.MISSING_COLUMN,
            f"the {table.name} needs a column "
            + " or ".join(f"'{column.name}'" for column in group)
            + f" (columns present: {present}); rename the column or add it",
            table=table.name,
            column=group[0].name,
        )
        for group in groups
        if not any(column.name in frame.columns for column in group)
    ]


def check_run(tables: list[tuple[Table, pd.DataFrame]], as_of: np.datetime64 | None) -> int:
    """The rules across the tables of a run; return the decimals its quantities need.

    Dates need ``as_of`` and must lie within ``MAX_DAYS`` of it; every
    quantity, in units of the decimals the run needs, must stay exact in the
    engine's integers (values below 2**53, sums below 2**62).
    """
    _require_as_of(tables, as_of)
    problems: list[Problem] = []
    if as_of is not None:
        for table, frame in tables:
            problems += _dates_in_reach(table, frame, as_of)
    quantities = [(table, frame) for table, frame in tables if c.QTY in frame.columns]
    decimals = quantity_decimals(*(_numbers(frame[c.QTY]) for _, frame in quantities))
    for table, frame in quantities:
        problems += _exact_in_scale(table, frame, decimals)
    if problems:
        raise _error(problems)
    return decimals


def _require_as_of(tables: list[tuple[Table, pd.DataFrame]], as_of: np.datetime64 | None) -> None:
    dated = [
        f"{table.name} column {column.name}"
        for table, frame in tables
        for column in table.columns
        if column.kind is Kind.DATE and column.name in frame.columns
    ]
    if dated and as_of is None:
        raise UsageError(
            f"the input has dates ({', '.join(dated)}); give --as-of YYYY-MM-DD, "
            "the day the plan starts"
        )


def _dates_in_reach(table: Table, frame: pd.DataFrame, as_of: np.datetime64) -> list[Problem]:
    findings: list[Finding] = []
    for column in table.columns:
        if column.kind is not Kind.DATE or column.name not in frame.columns:
            continue
        days = day_numbers(frame[column.name], as_of)
        far = np.flatnonzero(~np.isnat(days) & (np.abs(days.astype(np.int64)) > c.MAX_DAYS))
        findings += [
            Finding(
                int(row),
                Code.BAD_DATE,
                column.name,
                str(frame[column.name].iloc[int(row)])[:10],
                f"{column.description} is more than {c.MAX_DAYS:,} days from --as-of "
                f"{as_of}: check the year",
            )
            for row in far[: c.MAX_PROBLEMS]
        ]
    return locate(frame, table).problems(findings) if findings else []


def day_numbers(values: pd.Series, as_of: np.datetime64) -> np.ndarray:
    """A date column as timedelta64[D] from ``as_of`` (NaT where empty); no nanosecond range."""
    days = np.asarray(values.to_numpy(), dtype="datetime64[s]").astype("datetime64[D]")
    return days - as_of.astype("datetime64[D]")


def quantity_decimals(*quantities: np.ndarray) -> int:
    """The fewest decimals (at most MAX_QTY_DECIMALS) that hold every quantity exactly.

    >>> quantity_decimals(np.array([1.5, 2.0]), np.array([3.25]))
    2
    """
    floats = tuple(q for q in quantities if q.dtype.kind == "f")
    for decimals in range(c.MAX_QTY_DECIMALS + 1):
        if all(_whole(q * 10.0**decimals).all() for q in floats):
            return decimals
    return c.MAX_QTY_DECIMALS


def _numbers(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
        return values.to_numpy(dtype=np.int64)
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _exact_in_scale(table: Table, frame: pd.DataFrame, decimals: int) -> list[Problem]:
    values = _numbers(frame[c.QTY])
    if not len(values):
        return []
    if values.dtype.kind in "iu" and decimals == 0:
        beyond = float(values.sum(dtype=np.float64)) >= _SUM_LIMIT
    else:
        scaled = np.rint(values * 10.0**decimals)
        beyond = scaled.max() >= _EXACT_FLOAT_LIMIT or scaled.sum() >= _SUM_LIMIT
    if not beyond:
        return []
    row = int(np.argmax(values))
    finding = Finding(
        row,
        Code.TOO_LARGE,
        c.QTY,
        str(frame[c.QTY].iloc[row]) if values.dtype.kind in "iu" else plain(values[row]),
        f"with the {decimals} decimals the quantities need, this quantity and the totals "
        "exceed what the engine holds exactly; use a larger unit or fewer decimals",
    )
    return locate(frame, table).problems([finding])


# --- where a problem is ------------------------------------------------------------------------


def locate(frame: pd.DataFrame, table: Table) -> Locator:
    """The locator of a frame: its file's lines when it was read, else its rows."""
    locator = frame.attrs.get(ATTR_LOCATOR)
    return locator if locator is not None else FrameLocator(table)


@dataclass
class FrameLocator:
    """Places in a frame built in code: its 1-based data rows and canonical column names.

    ``kept`` maps the rows of a checked frame back to the frame it was given,
    when rows with every cell empty were left out.
    """

    table: Table
    kept: np.ndarray | None = None

    def problems(self, findings: list[Finding]) -> list[Problem]:
        kept = self.kept

        def row_of(row: int) -> int:
            return int(kept[row] if kept is not None else row) + 1

        problems = [
            Problem(
                finding.code,
                finding.message.replace(OTHER, f"row {row_of(finding.other_row)}")
                if finding.other_row is not None
                else finding.message,
                table=self.table.name,
                row=row_of(finding.row),
                column=finding.column,
                value=finding.value,
            )
            for finding in findings
        ]
        return sorted(problems, key=lambda p: (p.row or 0, _position(self.table, p.column)))


def _position(table: Table, column: str | None) -> int:
    names = [col.name for col in table.columns]
    return names.index(column) if column in names else -1


def hidden(findings: list[Finding]) -> int:
    """Problems counted beyond the cap, over all rules."""
    return sum(f.hidden for f in findings)


def _error(problems: list[Problem], truncated: int = 0) -> InputError:
    shown = problems[: c.MAX_PROBLEMS]
    return InputError(shown, truncated=truncated + len(problems) - len(shown))
