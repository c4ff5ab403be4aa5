"""Columns as the validator sees them, whether they come from a file or a DataFrame.

A file's cells arrive as Arrow text and are parsed here (numbers, dates,
trimmed text) with vectorised kernels; a frame built in code arrives typed,
or as text that is parsed the same way. Either way the result is a
:class:`Cells`: typed values, the masks of empty and unreadable cells, and a
way to show a cell as it was written. Nothing here judges a value: the rules
are :mod:`consumption.io.validate`'s. :func:`frame` builds the canonical
DataFrame from checked values, the one layout the engine encodes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from consumption import constants as c
from consumption.io.formats import FileOptions
from consumption.io.schema import Column, Kind, Table

# What pyarrow's string -> float64 cast reads, as a regular expression (RE2 syntax).
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^[+-]?(inf|infinity|nan)$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_NULL_TEXT = pa.scalar(None, pa.string())


@dataclass
class Cells:
    """One column: typed ``values`` and which cells are empty or could not be read.

    ``values`` is Arrow text (trimmed) for text columns, float64 (or int64, for
    a frame's integer column) for numbers, datetime64[s] for dates; empty and
    unreadable cells hold NaN / NaT / "". ``written`` gives the cells of some
    rows as the user wrote them, for messages. ``text`` is the raw text when the
    column was read from text: decimals are counted on it, not on floats.
    """

    values: Any
    empty: np.ndarray
    unreadable: np.ndarray
    written: Callable[[np.ndarray], list[str]]
    text: pa.ChunkedArray | None = None
    # Numbers whose meaning the file's conventions leave open ("1.500" in a semicolon file).
    ambiguous: np.ndarray | None = None
    options: FileOptions = field(default_factory=FileOptions)
    # Cells written as a share of the total shelf life ("75%"), for a column with units;
    # their ``values`` are NaN.
    percent: np.ndarray | None = None
    # A frame's column that already holds what ``values`` holds, in a dtype the engine
    # reads: the canonical frame keeps it rather than a copy (millions of strings).
    kept: pd.Series | None = None

    def __len__(self) -> int:
        return len(self.empty)


# --- from text ---------------------------------------------------------------------------


def of_text(
    column: Column,
    strings: pa.ChunkedArray,
    options: FileOptions | None = None,
    delimiter: str = ",",
) -> Cells:
    """Parse one column of text cells as its kind and the file's conventions say.

    ``delimiter`` is the file's: a semicolon is the mark of a locale that writes
    decimals with a comma, so numbers such as ``1.500`` are ambiguous there
    unless ``options`` names the decimal mark.
    """
    options = options or FileOptions()

    def written(rows: np.ndarray) -> list[str]:
        return [str(v) for v in strings.take(pa.array(rows, pa.int64())).to_pylist()]

    if column.kind is Kind.TEXT:
        text = trim(strings)
        none = np.zeros(len(strings), bool)
        return Cells(text, lengths(text) == 0, none, written, strings, options=options)
    if column.kind is Kind.DATE:
        values, empty, unreadable = _parse_dates(strings, options.date_format)
        return Cells(values, empty, unreadable, written, strings, options=options)
    if column.units:
        return _with_units(column, strings, options, delimiter, written)
    if column.kind is Kind.PERCENT:
        strings = pc.replace_substring_regex(strings, _PERCENT_SIGN, "")
    ambiguous = None
    if options.regional:
        strings, bad_grouping = _regional(strings, options)
        values, empty, unreadable = _parse_numbers(strings)
        unreadable |= bad_grouping & ~empty
    else:
        values, empty, unreadable = _parse_numbers(strings)
        if options.decimal is None and delimiter == ";":
            ambiguous = _mask(strings, _GROUPED_BY_DOTS) & ~empty
    return Cells(values, empty, unreadable, written, strings, ambiguous, options)


_PERCENT_SIGN = r"\s*%\s*$"
# Units a requirement may be written with (any case, singular or plural).
_UNIT_DAYS = r"\s*(days?|d)\s*$"
_UNIT_MONTHS = r"\s*(months?|mo)\s*$"
# A number as any locale writes it (RE2 takes the no-break spaces as characters).
_NUMBER_WITH = "^\\s*[+-]?[\\d.,'\\s\u00a0\u202f]*\\d[\\d.,'\\s\u00a0\u202f]*"


def _with_units(
    column: Column,
    strings: pa.ChunkedArray,
    options: FileOptions,
    delimiter: str,
    written: Callable[[np.ndarray], list[str]],
) -> Cells:
    """Days written plainly, with their unit (``270 days``, ``9 months``), or as a share of
    the total shelf life (``75%``): days in ``values`` (months of 30 days), shares in
    ``percent`` (NaN where the cell is in days)."""
    months = _mask(strings, "(?i)" + _NUMBER_WITH + _UNIT_MONTHS)
    shares = _mask(strings, _NUMBER_WITH + _PERCENT_SIGN)
    bare = strings
    for unit in ("(?i)" + _UNIT_DAYS, "(?i)" + _UNIT_MONTHS, _PERCENT_SIGN):
        bare = pc.replace_substring_regex(bare, unit, "")
    number = replace(column, units=False, kind=Kind.DAYS)
    cells = of_text(number, bare, options, delimiter)
    values = np.where(months, cells.values * c.DAYS_PER_MONTH, cells.values)
    percent = None
    if shares.any():
        percent = np.where(shares, cells.values, np.nan)
        values = np.where(shares, np.nan, values)
    return replace(cells, values=values, written=written, text=strings, percent=percent)


# "1.500", "12.000.000": thousands grouped by dots, or three decimals; nobody can tell.
_GROUPED_BY_DOTS = r"^\s*[+-]?\d{1,3}(\.\d{3})+\s*$"


def _mask(strings: pa.ChunkedArray, pattern: str) -> np.ndarray:
    found = pc.match_substring_regex(strings, pattern)
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), bool)


def _regional(strings: pa.ChunkedArray, options: FileOptions) -> tuple[pa.ChunkedArray, np.ndarray]:
    """Numbers rewritten with '.' as the decimal mark and no grouping, and the cells whose
    grouping or marks do not follow the file's conventions (they are not read at all)."""
    text = trim(strings)
    decimal = options.decimal or "."
    sep = options.thousands or ""
    digits = r"[+-]?(\d+|\d{1,3}(" + re.escape(sep) + r"\d{3})+)" if sep else r"[+-]?\d+"
    fraction = "(" + re.escape(decimal) + r"\d*)?"
    # Anything with a digit that is not a well-formed number of these conventions is
    # refused rather than guessed; words (nan, inf) and exponents keep their reading.
    plain = r"^(" + digits + fraction + r"|[+-]?" + re.escape(decimal) + r"\d+)$"
    has_marks = _mask(text, "[.,'\\s\u00a0\u202f]") & _mask(text, r"\d")
    well_formed = _mask(text, plain)
    bad = has_marks & ~well_formed & ~_mask(text, r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
    if sep:
        text = pc.replace_substring(text, sep, "")
    if decimal == ",":
        text = pc.replace_substring(text, ",", ".")
    return text, bad


def lengths(strings: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Byte length of each value."""
    return np.asarray(pc.binary_length(strings).to_numpy(zero_copy_only=False))


def trim(strings: pa.ChunkedArray) -> pa.ChunkedArray:
    """Strip surrounding whitespace; the text itself when no value had any.

    Arrow's trim is one C++ pass; whether it removed anything is then read off
    the total byte counts, so the usual clean column is kept as it came.
    """
    trimmed = pc.utf8_trim_whitespace(strings)
    return strings if _text_bytes(trimmed) == _text_bytes(strings) else trimmed


def _text_bytes(strings: pa.ChunkedArray | pa.Array) -> int:
    """The bytes a text column's values hold, from the ends of each chunk's offsets."""
    total = 0
    for chunk in strings.chunks if isinstance(strings, pa.ChunkedArray) else [strings]:
        offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offset_buffer = chunk.buffers()[1]
        if offset_buffer is None or len(chunk) == 0:
            continue
        offsets = np.frombuffer(offset_buffer, offset_type)
        total += int(offsets[chunk.offset + len(chunk)]) - int(offsets[chunk.offset])
    return total


def _parse_numbers(strings: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read a column as float64 (NaN where empty or unreadable); -0 reads as 0."""
    none = np.zeros(len(strings), bool)
    try:
        return _no_negative_zero(pc.cast(strings, pa.float64())), none, none
    except pa.ArrowInvalid:
        pass  # empty cells, spaces or text somewhere: find which below
    text = trim(strings)
    empty = lengths(text) == 0
    readable = pc.match_substring_regex(text, _NUMBER, ignore_case=True)
    kept = pc.if_else(readable, text, _NULL_TEXT)
    try:
        values = _no_negative_zero(pc.cast(kept, pa.float64()))
    except pa.ArrowInvalid:  # pragma: no cover - the pattern mirrors pyarrow's parser
        values = np.array([_to_float(v) for v in kept.to_pylist()], np.float64)
    return values, empty, ~readable.to_numpy(zero_copy_only=False) & ~empty


def _no_negative_zero(numbers: pa.ChunkedArray) -> np.ndarray:
    """The values as a writable float64 array, with -0 read as 0 (it would print as '-0')."""
    values = numbers.to_numpy()
    if not values.flags.writeable:
        values = values.copy()
    values += 0.0
    return values


def _to_float(text: str | None) -> float:
    try:
        return float(text) if text is not None else np.nan
    except ValueError:
        return np.nan


def _parse_dates(
    strings: pa.ChunkedArray, pattern: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read calendar dates as datetime64[s] (NaT where empty or bad): ISO ``YYYY-MM-DD``,
    or as ``pattern`` (strftime) says."""
    if pattern is not None:
        return _parse_dates_as(strings, pattern)
    none = np.zeros(len(strings), bool)
    try:
        days = pc.cast(strings, pa.date32())
        empty = unreadable = none
    except pa.ArrowInvalid:
        text = trim(strings)
        empty = lengths(text) == 0
        iso = pc.if_else(pc.match_substring_regex(text, _ISO_DATE), text, _NULL_TEXT)
        stamps = pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2026-02-30 over into March; a real date prints back unchanged.
        real = pc.fill_null(pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), iso), False)
        days = pc.cast(pc.if_else(real, iso, _NULL_TEXT), pa.date32())
        unreadable = ~real.to_numpy(zero_copy_only=False) & ~empty
    stamps = np.asarray(pc.cast(days, pa.timestamp("s")).to_numpy(), "datetime64[s]")
    return stamps, empty, unreadable


def _parse_dates_as(
    strings: pa.ChunkedArray, pattern: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text = trim(strings)
    empty = lengths(text) == 0
    stamps = pc.strptime(text, format=pattern, unit="s", error_is_null=True)
    # strptime rolls 30.02. over into March; a real date prints back as it was written.
    real = pc.fill_null(pc.equal(pc.strftime(stamps, format=pattern), text), False)
    days = pc.cast(pc.if_else(real, stamps, pa.scalar(None, pa.timestamp("s"))), pa.date32())
    values = np.asarray(pc.cast(days, pa.timestamp("s")).to_numpy(), "datetime64[s]")
    return values, empty, ~real.to_numpy(zero_copy_only=False) & ~empty


# --- from a DataFrame built in code -------------------------------------------------------


def of_series(column: Column, series: pd.Series) -> Cells:
    """One column of a frame built in code, typed as the schema says.

    Typed columns (numbers, datetimes) are taken as they are; anything else is
    turned into text and parsed exactly as a file's cells are, so ``"1,500"`` in
    a frame gets the same explanation as in a CSV file.
    """
    missing = series.isna().to_numpy()

    def written(rows: np.ndarray) -> list[str]:
        return [_shown(value) for value in series.iloc[rows]]

    if column.kind is Kind.TEXT:
        text = _as_text(series)
        cells = of_text(column, text)
        plain = series.dtype == object or pd.api.types.is_string_dtype(series.dtype)
        same = plain and cells.values is text and not missing.any()
        kept = series if same else None
        return Cells(
            cells.values, cells.empty | missing, cells.unreadable, written, text, kept=kept
        )
    if column.kind is Kind.DATE and pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series.to_numpy().astype("datetime64[s]")
        return Cells(values, missing, np.zeros(len(series), bool), written)
    if column.kind is not Kind.DATE and _is_plain_number(series):
        if pd.api.types.is_integer_dtype(series.dtype) and not missing.any():
            values = series.to_numpy(dtype=np.int64)
        else:
            values = series.to_numpy(dtype=np.float64, na_value=np.nan) + 0.0
        return Cells(values, missing, np.zeros(len(series), bool), written)
    cells = of_text(column, _as_text(series))
    return Cells(cells.values, cells.empty | missing, cells.unreadable, written, cells.text)


def _shown(value: Any) -> str:
    """A frame's cell as a message shows it: a date at midnight without its time."""
    if pd.isna(value):
        return ""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return str(value)


def _is_plain_number(series: pd.Series) -> bool:
    dtype = series.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _as_text(series: pd.Series) -> pa.ChunkedArray:
    """A column as Arrow text; missing values become empty text, dates ISO text."""
    values = series
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = pa.array(values.map(lambda v: None if pd.isna(v) else str(v)), pa.large_string())
    if pa.types.is_date(array.type) or pa.types.is_timestamp(array.type):
        array = pc.strftime(array, format="%Y-%m-%d")
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = pc.cast(array, pa.large_string())
    chunked = array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])
    return pc.fill_null(chunked, "")


# --- the canonical frame --------------------------------------------------------------------


def checked_values(columns: dict[str, Cells]) -> dict[str, Any]:
    """The values of checked columns for :func:`frame`; a requirement written as a share
    (``75%``) moves to ``requirement_pct``."""
    values = {
        name: cells.kept if cells.kept is not None else cells.values
        for name, cells in columns.items()
    }
    requirement = columns.get(c.REQUIREMENT)
    if requirement is not None and requirement.percent is not None:
        shares = requirement.percent
        given = values.get(c.REQUIREMENT_PCT)
        if given is not None:
            given = np.asarray(given, dtype=np.float64)
            shares = np.where(np.isnan(given), shares, given)
        values[c.REQUIREMENT_PCT] = shares
    return values


def frame(table: Table, values: dict[str, Any], blank: np.ndarray) -> pd.DataFrame:
    """Canonical columns in schema order, with the dtypes the engine expects.

    Rows with every cell empty (``blank``) are left out; an absent column with a
    default is filled with it.
    """
    keep = None if not blank.any() else ~blank
    n = len(blank) if keep is None else int(keep.sum())
    data: dict[str, Any] = {}
    for column in table.columns:
        if column.name in values:
            data[column.name] = _typed(column, values[column.name], keep)
        elif column.default is not None:
            data[column.name] = np.full(n, column.default, np.int64)
    return pd.DataFrame(data, index=pd.RangeIndex(n), copy=False)


def _typed(column: Column, values: Any, keep: np.ndarray | None) -> Any:
    """One column's values in its frame dtype, without the skipped empty rows."""
    if isinstance(values, pd.Series):  # a frame's own column, already as the engine reads it
        array = values.array  # no conversion: pandas' Arrow strings stay Arrow strings
        return array if keep is None else array[keep]
    if column.kind is Kind.TEXT:
        text = values if keep is None else values.filter(pa.array(keep))
        return text.to_pandas()
    values = values if keep is None else values[keep]
    if column.kind not in (Kind.DAYS, Kind.POSITIVE_INTEGER):
        return values
    if not column.allow_empty:  # checked: no cell is empty
        return values.astype(np.int64)
    missing = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), bool)
    whole = np.where(missing, column.default or 0, values).astype(np.int64)
    if column.default is None:
        return pd.arrays.IntegerArray(whole, missing)
    return whole
