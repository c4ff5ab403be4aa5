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

:func:`consumption.io.prepare.check_inputs` applies them all to the tables of
a run: frames read by :mod:`consumption.io.read` passed the first two kinds
when they were read (their ``attrs`` say so), frames built in code pass them
there.
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
from consumption.engine.model import Instance
from consumption.engine.quantities import number
from consumption.engine.text import duplicate_rows
from consumption.errors import Code, InputError, Problem, UsageError, option
from consumption.io import cells as cells_
from consumption.io import schema as s
from consumption.io.cells import Cells
from consumption.io.formats import FileOptions
from consumption.io.schema import Column, Kind, Table

# Stands for "line N" (files) or "row N" (frames) of another row in a message until
# that place is known; a NUL never occurs in a value (files holding one are refused).
OTHER = "\x00other\x00"
# Frames that passed the table rules when they were read carry this in ``attrs``.
ATTR_VALIDATED = "validated"
ATTR_LOCATOR = "locator"
# A frame built in code from rows of files (a cluster partition) may say where each row came
# from: a Locator under this key names those places instead of the frame's own rows.
ATTR_ROWS = "rows_from"
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
    if cells.ambiguous is not None:
        masks.append((Code.AMBIGUOUS_NUMBER, cells.ambiguous))
    if cells.percent is not None:
        masks.append((Code.BAD_PERCENT, (cells.percent < 0) | (cells.percent > 100)))
    if column.kind is Kind.DATE:
        masks.append((Code.DATE_OUT_OF_RANGE, _out_of_range(cells.values)))
    elif column.kind is not Kind.TEXT:
        masks += _number_rules(column, cells)
    seen = np.zeros(len(cells), bool)
    bad = []
    for code, mask in masks:
        if mask.any():
            fresh = mask & ~seen
            seen |= fresh
            bad.append((code, np.flatnonzero(fresh)))
    return bad


_FIRST = np.datetime64(c.FIRST_DATE, "s")
_LAST = np.datetime64(c.LAST_DATE, "s")


def _out_of_range(dates: np.ndarray) -> np.ndarray:
    """Dates outside FIRST_DATE..LAST_DATE (placeholders such as 9999-12-31, typos)."""
    return ~np.isnat(dates) & ((dates < _FIRST) | (dates > _LAST))


def _number_rules(column: Column, cells: Cells) -> list[tuple[Code, np.ndarray]]:
    """Finite; whole for days and ranks; within bounds; at most 6 decimals for quantities."""
    values = cells.values
    finite = np.isfinite(values)
    # A share of the total shelf life ("75%") has no days yet: its own rule checks it.
    shares = np.zeros(len(values), bool) if cells.percent is None else ~np.isnan(cells.percent)
    masks = [(Code.NOT_FINITE, ~finite & ~cells.empty & ~cells.unreadable & ~shares)]
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
        Kind.PERCENT: 100,
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
        refined, message = explain(column, code, value, cells.options)
        findings.append(Finding(int(row), refined, column.name, value, message))
    if findings:
        findings[-1].hidden = len(found) - len(shown)
    return findings


def explain(
    column: Column, code: Code, value: str, options: FileOptions | None = None
) -> tuple[Code, str]:
    """The reason code (refined for unreadable numbers) and the rule and fix for one cell."""
    options = options or FileOptions()
    what, text = column.description, value.strip()
    if code == Code.EMPTY_VALUE:
        return code, f"{what} is missing: fill in the cell"
    if code == Code.NOT_A_NUMBER:
        if options.regional:
            return code, _explain_regional_number(column, text, options)
        return _explain_unreadable_number(column, text)
    if code == Code.AMBIGUOUS_NUMBER:
        grouped = text.replace(".", "")
        return code, (
            f"{what} {text} could be {grouped} (thousands grouped by '.') or "
            f"{text.lstrip('+')} (a decimal point): this file is semicolon-separated, as "
            f"files with decimal commas are; say which with {option('decimal', ',')} and "
            f"{option('thousands', '.')}, or {option('decimal', '.')}"
        )
    if code == Code.BAD_DATE:
        if options.date_format is not None:
            example = _PROBE_DATE.strftime(options.date_format)
            return code, (
                f"{what} must be a date written as {options.date_format} (like {example}), "
                f"as {option('date_format')} says: there is no such date, or it is written "
                "another way"
            )
        return code, f"{what} must be a date written YYYY-MM-DD: {_date_hint(text)}"
    if code == Code.DATE_OUT_OF_RANGE:
        return code, (
            f"{what} is outside the dates consumption takes ({c.FIRST_DATE} to {c.LAST_DATE}): "
            "write the real date (a placeholder such as 9999-12-31 would be read as a date)"
        )
    if code == Code.NOT_FINITE:
        return code, f"{what} must be a finite number: write the actual value"
    if code == Code.NOT_AN_INTEGER:
        try:
            number = float(text)
        except ValueError:  # written with a unit: "1.25 months" is 37.5 days
            return code, f"{what} must come to a whole number of days: write it in days"
        low, high = int(np.floor(number)), int(np.ceil(number))
        return code, f"{what} must be a whole number: write {low} or {high}"
    if code == Code.BAD_PERCENT:
        return code, f"{what} as a share of the total shelf life must be from 0% to 100%"
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


_PROBE_DATE = dt.date(2026, 12, 31)


def _explain_regional_number(column: Column, text: str, options: FileOptions) -> str:
    decimal = options.decimal or "."
    grouping = f", thousands grouped by {options.thousands!r}" if options.thousands else ""
    example = "1" + (options.thousands or "") + "250" + decimal + "5"
    return (
        f"{column.description} must be a number written with {decimal!r} as the decimal mark"
        f"{grouping} (like {example}), as this file's options say"
    )


def _explain_unreadable_number(column: Column, text: str) -> tuple[Code, str]:
    """Recognise thousands separators and decimal commas: the usual locale mix-ups."""
    what = column.description
    match = _THOUSANDS.fullmatch(text)
    if match and not (match["decimals"] or "").startswith(match["sep"]):
        fixed = text.replace(match["sep"], "").replace(",", ".")
        message = (
            f"{what} must be written without thousands separators: write {fixed}, or say "
            f"how the file groups thousands with {option('thousands', repr(match['sep']))}"
        )
        if match["sep"] == "," and not match["decimals"] and text.count(",") == 1:
            message += (
                f" (or {text.replace(',', '.')} if ',' is the decimal point: "
                f"{option('decimal', ',')})"
            )
        return Code.THOUSANDS_SEPARATOR, message
    if _DECIMAL_COMMA.fullmatch(text):
        fixed = text.replace(",", ".")
        return Code.DECIMAL_COMMA, (
            f"{what} takes '.' as the decimal point, not ',': write {fixed}, or read the "
            f"file with {option('decimal', ',')}"
        )
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
    if table.exclusive:
        findings += _exclusive(table, columns, blank)
    return findings


def _exclusive(table: Table, columns: dict[str, Cells], blank: np.ndarray) -> list[Finding]:
    """At most one of ``table.exclusive`` per row (and one at least, if the table says so)."""
    present = [name for name in table.exclusive if name in columns]
    if not present:
        return []
    filled = np.zeros(len(blank), np.int64)
    for name in present:
        filled += ~columns[name].empty
    names = " and ".join(table.exclusive)
    findings = []
    for code, mask, message in (
        (
            Code.TWO_REQUIREMENTS,
            (filled > 1) & ~blank,
            f"this row gives both {names}: keep the one that holds",
        ),
        (
            Code.NO_REQUIREMENT,
            (filled == 0) & ~blank if table.one_per_row else np.zeros(len(blank), bool),
            f"this row gives no requirement: fill in {' or '.join(table.exclusive)}",
        ),
    ):
        rows = np.flatnonzero(mask)
        shown = present[-1]
        for row in rows[: c.MAX_PROBLEMS]:
            value = columns[shown].written(np.array([row]))[0]
            findings.append(Finding(int(row), code, shown, value, message))
        if len(rows) > c.MAX_PROBLEMS:
            findings[-1].hidden = len(rows) - c.MAX_PROBLEMS
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


def checked_frame(
    table: Table, given: pd.DataFrame
) -> tuple[pd.DataFrame, list[Problem], int, list[str]]:
    """A table in canonical form, the problems of its table rules and how many more there
    are beyond the cap, and its notices (nothing to check for a frame read and checked)."""
    if is_validated(given):
        return given, [], 0, []
    rows_from = given.attrs.get(ATTR_ROWS)
    locator: Locator = rows_from if rows_from is not None else FrameLocator(table)
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
    frame = cells_.frame(table, cells_.checked_values(columns), checked.blank)
    notices = []
    kept = None
    if checked.blank.any():
        notice = f"{table.name}: {int(checked.blank.sum())} rows with every cell empty were skipped"
        warnings.warn(notice, stacklevel=4)
        notices.append(notice)
        kept = np.flatnonzero(~checked.blank)
    # Rows from files keep their places; the check left no empty row out of such a frame.
    mark_validated(
        frame, rows_from if rows_from is not None and kept is None else FrameLocator(table, kept)
    )
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


def check_run(
    tables: list[tuple[Table, pd.DataFrame]],
    as_of: np.datetime64 | None,
    prefer: str | None = None,
) -> int:
    """The rules across the tables of a run; return the decimals its quantities need.

    Dates need ``as_of``; a shelf life and an expiry date on one row agree;
    the location is on both sides or on neither; every quantity, in units of
    the decimals the run needs, stays exact in the engine's integers (values
    below 2**53, sums below 2**62).
    """
    _require_as_of(tables, as_of)
    problems: list[Problem] = []
    problems += _one_sided_location(tables)
    uncounted = 0
    if as_of is not None:
        found, uncounted = _shelf_life_against_expiry(tables[0][1], as_of)
        problems += found
    quantities = [(table, frame) for table, frame in tables if c.QTY in frame.columns]
    decimals = quantity_decimals(*(_numbers(frame[c.QTY]) for _, frame in quantities))
    for table, frame in quantities:
        problems += _exact_in_scale(table, frame, decimals)
    if problems:
        raise error(problems, uncounted)
    return decimals


def _one_sided_location(tables: list[tuple[Table, pd.DataFrame]]) -> list[Problem]:
    """A location on one side only would match nothing on the other: 0% fill, silently."""
    (_, inventory), (_, demand) = tables[0], tables[1]
    lots, lines = c.LOCATION in inventory.columns, c.LOCATION in demand.columns
    if lots == lines:
        return []
    has, lacks = (inventory, demand) if lots else (demand, inventory)
    lacking = s.DEMAND if lots else s.INVENTORY
    name = _source(lacks, lacking)
    return [
        Problem(
            Code.LOCATION_ONE_SIDE,
            f"{_source(has, s.INVENTORY if lots else s.DEMAND)} has a location column but "
            f"{name} has none, so no line would match a lot: add the location to {name}, "
            "or remove it from the other file when there is only one",
            file=str(lacks.attrs.get("source") or ""),
            table=lacking.name,
            column=c.LOCATION,
        )
    ]


def _source(frame: pd.DataFrame, table: Table) -> str:
    return str(frame.attrs.get("source") or f"the {table.name} frame")


def _shelf_life_against_expiry(
    inventory: pd.DataFrame, as_of: np.datetime64
) -> tuple[list[Problem], int]:
    """Both given on a row, they must say the same: which one is right is not ours to guess.

    Returns the problems shown and how many more there are.
    """
    if not {c.SHELF_LIFE, c.EXPIRY_DATE} <= set(inventory.columns):
        return [], 0
    days = day_numbers(inventory[c.EXPIRY_DATE], as_of).astype(np.int64)
    shelf = inventory[c.SHELF_LIFE].to_numpy(dtype=np.int64)
    bad = np.flatnonzero(days != shelf)
    findings = [
        Finding(
            int(row),
            Code.SHELF_LIFE_MISMATCH,
            c.SHELF_LIFE,
            str(shelf[row]),
            f"a shelf life of {shelf[row]} days disagrees with the expiry date "
            f"{str(inventory[c.EXPIRY_DATE].iloc[int(row)])[:10]}, {days[row]} days from "
            f"{option('as_of')} {as_of}: correct one of them, or say which wins with "
            f"{option('prefer', c.PREFER_EXPIRY)} or {option('prefer', c.PREFER_SHELF_LIFE)}",
        )
        for row in bad[: c.MAX_PROBLEMS]
    ]
    shown = locate(inventory, s.INVENTORY).problems(findings) if findings else []
    return shown, max(0, len(bad) - c.MAX_PROBLEMS)


def _require_as_of(tables: list[tuple[Table, pd.DataFrame]], as_of: np.datetime64 | None) -> None:
    dated = [
        f"{table.name} column {column.name}"
        for table, frame in tables
        for column in table.columns
        if column.kind is Kind.DATE and column.name in frame.columns
    ]
    if dated and as_of is None:
        raise UsageError(
            f"the input has dates ({', '.join(dated)}); give {option('as_of', 'YYYY-MM-DD')}, "
            "the day the plan starts"
        )


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


def error(problems: list[Problem], truncated: int = 0) -> InputError:
    shown = problems[: c.MAX_PROBLEMS]
    return InputError(shown, truncated=truncated + len(problems) - len(shown))


# --- warnings: inputs that run, but whose keys hardly meet ----------------------------------------


def coverage_warnings(inst: Instance) -> list[dict[str, str]]:
    """Demand that no inventory could ever serve, because the keys of the two files do not meet.

    Codes that share nothing (``000100045`` against ``100045``, ``sku-a`` against
    ``SKU-A``) give a quiet 0% fill; said aloud here, with the five largest
    unmatched items and what they resemble on the other side.
    """
    total = int(inst.line_qty.sum())
    if inst.n_lines == 0 or total == 0:
        return []
    if inst.n_lots == 0:
        return [
            {
                "code": Code.UNMATCHED_DEMAND.value,
                "message": (
                    f"the inventory holds no lots, so all the demand "
                    f"({number(total, inst.decimals):,}) is short; check the inventory file"
                ),
            }
        ]
    stocked = np.zeros(len(inst.items), dtype=bool)
    stocked[inst.lot_item] = True
    matched = stocked[inst.line_item]
    warnings = []
    missing = int(inst.line_qty[~matched].sum())
    if missing and missing >= c.UNMATCHED_DEMAND_SHARE * total:
        warnings.append(_unmatched_items(inst, stocked, missing, total))
    elif inst.has_location and len(inst.lanes.source) == 0 and inst.n_lots:
        at_location = np.isin(inst.line_group, inst.lot_group)
        if not at_location.any():
            warnings.append(_unmatched_locations(inst))
    return warnings


def _top(codes: np.ndarray, qty: np.ndarray, size: int, count: int = 5) -> list[tuple[int, int]]:
    """The ``count`` codes with the most quantity: (code, quantity)."""
    sums = np.bincount(codes, weights=qty, minlength=size)
    order = np.argsort(-sums, kind="stable")[:count]
    return [(int(k), int(sums[k])) for k in order if sums[k] > 0]


def _unmatched_items(
    inst: Instance, stocked: np.ndarray, missing: int, total: int
) -> dict[str, str]:
    unmatched = ~stocked[inst.line_item]
    top = _top(inst.line_item[unmatched], inst.line_qty[unmatched], len(inst.items))
    names = [str(inst.items[k].as_py()) for k, _ in top]
    hints = _lookalikes(inst.items.filter(pa.array(stocked)), names)
    shown = ", ".join(
        f"'{name}' ({number(qty, inst.decimals):,}{hint})"
        for (_, qty), name, hint in zip(top, names, hints, strict=True)
    )
    share = 100 * missing / total
    return {
        "code": Code.UNMATCHED_DEMAND.value,
        "message": (
            f"{share:.0f}% of the demand ({number(missing, inst.decimals):,} of "
            f"{number(total, inst.decimals):,}) is for items with no inventory at all; the "
            f"largest: {shown}; check that both files code items the same way"
        ),
    }


def _lookalikes(stocked: pa.Array, names: list[str]) -> list[str]:
    """For each unmatched item, an inventory item it resembles, and how they differ."""
    forms = [
        ("leading zeros differ", lambda a: pc.utf8_ltrim(a, characters="0")),
        ("case differs", pc.utf8_lower),
        (
            "spaces differ",
            lambda a: pc.replace_substring_regex(pc.utf8_trim_whitespace(a), r"\s+", " "),
        ),
    ]
    hints = [""] * len(names)
    for why, form in forms:
        found = pc.index_in(form(pa.array(names, pa.large_string())), value_set=form(stocked))
        for i, at in enumerate(found.to_pylist()):
            if at is not None and not hints[i]:
                hints[i] = f"; inventory has '{stocked[at].as_py()}': {why}"
    return hints


def _unmatched_locations(inst: Instance) -> dict[str, str]:
    lines = _top(inst.line_location, inst.line_qty, inst.n_locations)
    lots = _top(inst.lot_location, inst.lot_qty, inst.n_locations)

    def names(top: list[tuple[int, int]]) -> str:
        return ", ".join(f"'{inst.locations[k].as_py()}'" for k, _ in top)

    return {
        "code": Code.NO_SHARED_KEYS.value,
        "message": (
            "no demand line has stock of its item at its location, and there are no lanes: "
            f"demand is at {names(lines)}, stock at {names(lots)}; check the location codes "
            f"of both files, or give the lanes between them ({option('lanes')})"
        ),
    }
