"""``--format xlsx``: the run's tables in one Excel workbook, through xlsxwriter.

One sheet per table (lots, demand, allocations, risk, risk by period when the
run has dates, summary), each with a frozen header row and an autofilter.
Columns keep their types: quantities and days are numbers, dates are dates,
text is text. Every text cell is written as a string, never as a formula, so
that a lot id or customer name starting with ``=``, ``+``, ``-`` or ``@``
cannot run anything when the workbook is opened.

Each column is turned into Python values once, with numpy and pandas (dates to
Excel serial days, missing values to None); xlsxwriter then writes the rows in
its constant-memory mode, one row at a time. A table longer than a sheet
holds continues on the next sheet (``lots 2``, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from consumption import constants as C
from consumption.errors import MissingDependencyError

EXTRA_HINT = "install it with: pip install 'consumption[report]'"
# Rows of one sheet, the header included (Excel's limit).
SHEET_ROWS = 1_048_576
# Excel counts days from 1899-12-30 (its 1900 leap-year quirk included).
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_DATE_FORMAT = "yyyy-mm-dd"
_WIDTH_MIN, _WIDTH_MAX = 8, 60


def write_workbook(
    path: Path, tables: Sequence[tuple[str, pd.DataFrame]], summary: Mapping[str, Any]
) -> None:
    """Write each (sheet name, table) and the run's summary into the workbook at ``path``."""
    xlsxwriter = _xlsxwriter()
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,  # "=cmd|..." stays text
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    book = xlsxwriter.Workbook(str(path), options)
    try:
        formats = {
            "date": book.add_format({"num_format": _DATE_FORMAT}),
            "header": book.add_format({"bold": True}),
        }
        for name, frame in tables:
            _write_table(book, formats, name, frame)
        _write_summary(book, formats, summary)
    finally:
        book.close()


def _xlsxwriter() -> Any:
    try:
        import xlsxwriter
    except ImportError as error:
        raise MissingDependencyError(
            f"--format xlsx needs xlsxwriter, not installed; {EXTRA_HINT}"
        ) from error
    return xlsxwriter


def _cells(values: pd.Series) -> tuple[list[Any], str]:
    """A column as Python values (None where missing) and how to write them."""
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        days = values.to_numpy(dtype="datetime64[D]")
        serial = (days - _EXCEL_EPOCH).astype(np.float64)
        cells = pd.Series(serial).where(~np.isnat(days), None).tolist()
        return [None if c is None or c != c else c for c in cells], "date"
    if pd.api.types.is_bool_dtype(dtype):
        return values.astype(object).where(values.notna(), None).tolist(), "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return values.astype(object).where(values.notna(), None).tolist(), "number"
    text = values.astype(object).where(values.notna(), None)
    return [None if v is None or v == "" else str(v) for v in text.tolist()], "text"


def _write_table(book: Any, formats: Mapping[str, Any], name: str, frame: pd.DataFrame) -> None:
    columns = [str(c) for c in frame.columns]
    prepared = [_cells(frame[c]) for c in frame.columns]
    per_sheet = SHEET_ROWS - 1
    parts = max(1, -(-len(frame) // per_sheet))
    for part in range(parts):
        sheet = book.add_worksheet(name if part == 0 else f"{name} {part + 1}")
        lo, hi = part * per_sheet, min(len(frame), (part + 1) * per_sheet)
        writers = [_writer(sheet, kind, formats) for _, kind in prepared]
        for col, (title, (cells, kind)) in enumerate(zip(columns, prepared, strict=True)):
            width = _width(title, cells[lo : min(hi, lo + 1000)], kind)
            sheet.set_column(col, col, width)
        sheet.write_row(0, 0, columns, formats["header"])
        rows = zip(*(cells[lo:hi] for cells, _ in prepared), strict=True)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value is not None:
                    writers[c](r, c, value)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(hi - lo, 1), max(len(columns) - 1, 0))


def _writer(sheet: Any, kind: str, formats: Mapping[str, Any]) -> Callable[[int, int, Any], Any]:
    if kind == "date":
        date = formats["date"]
        return lambda r, c, v: sheet.write_number(r, c, v, date)
    if kind == "bool":
        return sheet.write_boolean
    if kind == "number":
        return sheet.write_number
    return sheet.write_string


def _width(title: str, sample: list[Any], kind: str) -> int:
    if kind == "date":
        longest = 10
    else:
        longest = max((len(str(v)) for v in sample if v is not None), default=0)
    return min(max(len(title), longest, _WIDTH_MIN) + 1, _WIDTH_MAX)


def _write_summary(book: Any, formats: Mapping[str, Any], summary: Mapping[str, Any]) -> None:
    """``summary.json`` flattened: one row per value, its path as the key."""
    sheet = book.add_worksheet(C.SHEET_SUMMARY)
    sheet.set_column(0, 0, 45)
    sheet.set_column(1, 1, 70)
    sheet.write_row(0, 0, ["key", "value"], formats["header"])
    rows = list(_flatten(summary))
    for r, (key, value) in enumerate(rows, start=1):
        sheet.write_string(r, 0, key)
        if isinstance(value, bool) or value is None:
            sheet.write_string(r, 1, json.dumps(value))
        elif isinstance(value, int | float):
            sheet.write_number(r, 1, value)
        else:
            sheet.write_string(r, 1, str(value))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), 1)


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple):
        yield prefix, json.dumps(value, default=str)
    elif isinstance(value, np.integer | np.floating):
        yield prefix, value.item()
    elif isinstance(value, int | float | bool) or value is None:
        yield prefix, value
    elif isinstance(value, Decimal):
        yield prefix, float(value)  # an exact total; Excel holds doubles
    else:
        yield prefix, str(value)  # dates, text
