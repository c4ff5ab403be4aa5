"""Excel workbooks and Parquet files: inputs whose cells come typed, read into the same checks.

A CSV file is text; a workbook cell is already a number, a date or text, and a
Parquet column has one type. Both are turned into what the CSV reader makes of
a file (column names as written, and per canonical column either typed values
or text for :func:`consumption.io.cells.of_text`), so that every rule of
:mod:`consumption.io.validate` applies unchanged and a problem names the file,
the row as the planner sees it (the Excel row number; the 1-based row of a
Parquet file) and the planner's own header.

Workbooks are read by python-calamine (the ``[excel]`` extra): it parses
``.xlsx``, ``.xlsm``, ``.xls`` and ``.ods`` in compiled code: on a sheet of
100,000 lots it read 13.7× faster than openpyxl's read-only rows (9.8× with date
cells; ``benchmarks/bench_read.py``, results in ``benchmarks/RESULTS.md``).
A workbook cell's number is written out with the file's decimal mark and a
date cell with its date format, so that text cells and typed cells of one
column are read by one rule; a date cell with a time of day keeps it, and is
refused as a date with a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from consumption.errors import Code, InputError, MissingDependencyError, Problem
from consumption.io import cells as cells_
from consumption.io.cells import Cells
from consumption.io.formats import FileOptions
from consumption.io.header import Header, Matched, match_columns
from consumption.io.schema import Table
from consumption.io.source import fail
from consumption.io.validate import OTHER, Finding

PARQUET_MAGIC: Final = b"PAR1"
# Zip (.xlsx, .xlsm, .ods) and OLE2 (.xls) containers.
WORKBOOK_MAGIC: Final = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
WORKBOOK_SUFFIXES: Final = (".xlsx", ".xlsm", ".xls", ".ods")


@dataclass(frozen=True)
class TypedColumns:
    """What a workbook sheet or a Parquet file holds, ready for the rules of its table.

    ``first_row`` is the row number of the first data row as the planner sees
    it (3 for a sheet whose header is in Excel row 2; 1 for Parquet).
    """

    columns: dict[str, Cells]
    count: int
    matched: Matched
    header: Header
    first_row: int


def kind_of(raw: bytes, file: str) -> str | None:
    """'parquet', 'workbook', or None for text (the CSV reader's case)."""
    if raw.startswith(PARQUET_MAGIC):
        return "parquet"
    if raw.startswith(WORKBOOK_MAGIC) and Path(file).suffix.lower() in WORKBOOK_SUFFIXES:
        return "workbook"
    return None


# --- Parquet -------------------------------------------------------------------------------------


def read_parquet(file: str, table: Table, options: FileOptions) -> TypedColumns:
    """The columns of a Parquet file that ``table`` uses, typed as the file stores them."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(file)
    except (pa.ArrowException, OSError) as error:
        fail(Problem(Code.UNREADABLE_FILE, f"not a readable Parquet file ({error})", file))
    names = tuple(parquet.schema_arrow.names)
    header = Header(names, "", 0, 0, 1)
    matched = match_columns(header, table, file, options.columns)
    wanted = [names[i] for i in matched.index.values()]
    data = parquet.read(columns=wanted) if wanted else None
    columns: dict[str, Cells] = {}
    for name, position in matched.index.items():
        assert data is not None
        array = data.column(names[position])
        columns[name] = _of_arrow(table, name, array, options)
    count = parquet.metadata.num_rows
    return TypedColumns(columns, count, matched, header, first_row=1)


def _of_arrow(table: Table, name: str, array: pa.ChunkedArray, options: FileOptions) -> Cells:
    """One Parquet column: text through the text rules and the file's conventions, numbers
    and dates as they are."""
    column = table.column(name)
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return cells_.of_text(column, pc.fill_null(array, ""), options, delimiter="")
    if pa.types.is_dictionary(kind):
        return _of_arrow(table, name, pc.cast(array, pa.large_string()), options)
    series = array.to_pandas(date_as_object=False)
    return cells_.of_series(column, series)


# --- Excel ---------------------------------------------------------------------------------------


def read_workbook(file: str, table: Table, options: FileOptions) -> TypedColumns:
    """The sheet ``options.sheet`` names (default: the first) as typed columns."""
    try:
        import python_calamine
    except ImportError as error:
        raise MissingDependencyError(
            "reading Excel workbooks needs the excel extra: pip install 'consumption[excel]'"
        ) from error
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(file)
    except Exception as error:  # calamine raises its own classes for every broken file
        fail(Problem(Code.UNREADABLE_FILE, f"not a readable workbook ({error})", file))
    sheets = list(workbook.sheet_names)
    sheet = options.sheet or (sheets[0] if sheets else None)
    if sheet not in sheets:
        shown = ", ".join(repr(name) for name in sheets) or "none"
        message = f"the workbook has no sheet {sheet!r}; its sheets: {shown}"
        fail(Problem(Code.MISSING_SHEET, message, file))
    # Not skipping the empty area keeps row i of the list as Excel row i + 1.
    rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return _sheet_columns(rows, table, file, options)


def _sheet_columns(
    rows: list[list[Any]], table: Table, file: str, options: FileOptions
) -> TypedColumns:
    # calamine hands the sheet's range as equally long rows of Python objects.
    widths = set(map(len, rows))
    width = max(widths, default=0)
    if len(widths) > 1:
        rows = [row + [""] * (width - len(row)) for row in rows]
    grid = np.empty((len(rows), width), dtype=object)
    if rows and width:
        grid[:, :] = rows
    filled = grid != ""
    used = np.flatnonzero(filled.any(axis=1))
    if len(used) == 0:
        message = "the sheet is empty: it needs a header row naming the columns, then data rows"
        fail(Problem(Code.EMPTY_FILE, message, file))
    top = int(used[0])
    names = tuple(_header_text(value) for value in grid[top])
    while names and not names[-1]:  # trailing empty header cells are the sheet's width
        names = names[:-1]
    header = Header(names, "", top + 1, 0, top + 2)
    matched = match_columns(header, table, file, options.columns)
    body = grid[top + 1 :]
    columns = {
        name: cells_.of_text(
            table.column(name), _cell_text(body[:, position], options), options, delimiter=""
        )
        for name, position in matched.index.items()
    }
    return TypedColumns(columns, len(body), matched, header, first_row=top + 2)


def _header_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _cell_text(values: np.ndarray, options: FileOptions) -> pa.ChunkedArray:
    """A sheet column as text written the way the file's options read it back."""
    kinds = _type_names(values)
    text = np.full(len(values), "", dtype=object)
    strings = kinds == "str"
    text[strings] = values[strings]
    numbers = (kinds == "float") | (kinds == "int")
    if numbers.any():
        written = pc.cast(pa.array(values[numbers].astype(np.float64)), pa.string())
        # A whole float prints as "1500" in Arrow; the decimal mark is the file's.
        if options.decimal == ",":
            written = pc.replace_substring(written, ".", ",")
        text[numbers] = np.asarray(written.to_numpy(zero_copy_only=False), dtype=object)
    booleans = kinds == "bool"
    text[booleans] = np.where(values[booleans].astype(bool), "TRUE", "FALSE")
    moments = (kinds == "datetime") | (kinds == "date")
    if moments.any():
        text[moments] = _date_text(values[moments], options.date_format)
    other = ~(strings | numbers | booleans | moments)
    if other.any():  # times of day and durations: shown as written, refused by the rules
        text[other] = [str(value) for value in values[other]]
    return pa.chunked_array([pa.array(text, pa.large_string())])


_TYPE_NAME = np.frompyfunc(lambda value: type(value).__name__, 1, 1)


def _type_names(values: np.ndarray) -> np.ndarray:
    """The Python type of every cell, by name (``bool`` apart from ``int``)."""
    return _TYPE_NAME(values) if len(values) else np.array([], dtype=object)


def _date_text(values: np.ndarray, date_format: str | None) -> np.ndarray:
    """Date cells in the file's date format; a date and time kept whole (then refused)."""
    pattern = date_format or "%Y-%m-%d"
    text = np.empty(len(values), dtype=object)
    days = _type_names(values) == "date"
    if days.any():
        dates = pa.array(list(values[days]), pa.date32())
        text[days] = pc.strftime(dates, format=pattern).to_numpy(zero_copy_only=False)
    if (~days).any():
        exact = pa.array(list(values[~days]), pa.timestamp("us"))
        stamps = pc.cast(exact, pa.timestamp("s"), safe=False)
        midnight = pc.equal(pc.cast(pc.cast(stamps, pa.date32()), pa.timestamp("s")), stamps)
        as_date = pc.strftime(stamps, format=pattern)
        with_time = pc.strftime(stamps, format="%Y-%m-%d %H:%M:%S")
        shown = pc.if_else(midnight, as_date, with_time)
        text[~days] = shown.to_numpy(zero_copy_only=False)
    return text


# --- where a problem is ------------------------------------------------------------------------


@dataclass
class SheetLocator:
    """Places in a workbook sheet or a Parquet file: the row as the planner sees it.

    ``first_row`` is the number of the first data row; ``kept`` maps the rows of
    the checked frame back to the file's rows when empty rows were left out.
    """

    file: str
    first_row: int
    headers: Mapping[str, str]
    kept: np.ndarray | None = None

    def problems(self, findings: list[Finding]) -> list[Problem]:
        return [self._problem(finding) for finding in findings]

    def _row(self, row: int) -> int:
        return int(self.kept[row] if self.kept is not None else row) + self.first_row

    def _problem(self, finding: Finding) -> Problem:
        message = finding.message
        if finding.other_row is not None:
            message = message.replace(OTHER, f"row {self._row(finding.other_row)}")
        column = None if finding.column is None else self.headers.get(finding.column)
        column = column if column is not None else finding.column
        row = self._row(finding.row)
        return Problem(finding.code, message, self.file, None, column, finding.value, row=row)

    def for_frame(self, kept: np.ndarray | None) -> SheetLocator:
        return replace(self, kept=kept)


def raise_sheet_problems(
    header_problems: list[Problem], findings: list[Finding], locator: SheetLocator, limit: int
) -> None:
    """Every problem of a sheet or Parquet file, in row order, as one InputError."""
    problems = list(header_problems) + locator.problems(findings)
    problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    hidden = sum(f.hidden for f in findings)
    shown = problems[:limit]
    raise InputError(shown, truncated=hidden + len(problems) - len(shown))


__all__ = ["SheetLocator", "TypedColumns", "kind_of", "read_parquet", "read_workbook"]
