"""Read the input CSV files (SPEC §5) into checked DataFrames with canonical columns.

A file is read once by pyarrow's CSV parser with every column as text; each
column is then converted and checked with vectorised kernels and numpy masks,
so ten million rows cost a few passes in C and no Python loop over rows. Only
when something is wrong does slower work start: explaining the bad cells (at
most ``MAX_PROBLEMS`` per rule) and finding the line an editor shows for each,
which differs from the row number when blank lines are skipped or a quoted value
spans lines. Every problem of a file, and of every file in ``read_inputs``, is
raised together as one ``InputError``: a planner fixes them all in one round.

Example
-------
>>> inventory = read_inventory("examples/forum-example/inventory.csv")  # doctest: +SKIP
>>> list(inventory.columns)  # doctest: +SKIP
['item', 'lot', 'qty', 'shelf_life']
>>> inventory.attrs["notices"]  # doctest: +SKIP
["examples/forum-example/inventory.csv: ignored columns not used by consumption: 'Lot Rank'"]
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple, NoReturn, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from consumption import constants as c
from consumption.engine.text import duplicate_rows, string_buffers
from consumption.errors import InputError, Problem
from consumption.io import schema as s
from consumption.io.schema import Column, Kind, Table
from consumption.progress import Progress

PathLike: TypeAlias = str | os.PathLike[str]

_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "'|'"}
_NON_BLANK = re.compile(rb"[^ \t\r\n]")
# One CSV record: quoted sections (which may hold line breaks) and unquoted text.
_RECORD = re.compile(rb'(?:"[^"]*"|[^"\r\n])*')
_QUOTED_TEXT = re.compile(r'"[^"]*"')
_HEADER_SEPARATORS = re.compile(r"[\s_\-]+")
# What pyarrow's string -> float64 cast reads, as a regular expression (RE2 syntax).
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^[+-]?(inf|infinity|nan)$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_NULL_TEXT = pa.scalar(None, pa.string())
_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"%PDF", "a PDF document"),
)
_SAVE_AS = "save it from Excel as 'CSV UTF-8 (Comma delimited)'"
# Stands for the line of another row in a message until lines are known; a NUL
# never occurs in a value (files holding one are refused as binary).
_OTHER_LINE = "\x00line\x00"


# --- public API ---------------------------------------------------------------------


def read_inventory(path: PathLike) -> pd.DataFrame:
    """Read and check an inventory file: one row per lot.

    Returns the canonical columns the file has (``item``, ``lot``, ``qty`` and
    ``shelf_life`` and/or ``expiry_date``; optional ``location``,
    ``available_date``, ``unit_cost``) in file order. ``attrs`` holds
    ``source``, ``sha256``, ``notices`` and ``headers`` (see ``read_table``).
    Raises ``InputError`` listing every problem found.
    """
    return read_table(path, s.INVENTORY)


def read_demand(path: PathLike) -> pd.DataFrame:
    """Read and check a demand file: one row per demand line.

    ``requirement`` is always present (0 where the file has no such column or
    the cell is empty); ``priority`` is nullable ``Int64``. See ``read_inventory``.
    """
    return read_table(path, s.DEMAND)


def read_lanes(path: PathLike) -> pd.DataFrame:
    """Read and check a lanes file: one row per (from_location, to_location) lane."""
    return read_table(path, s.LANES)


class Inputs(NamedTuple):
    """The input tables of one run, read and checked together."""

    inventory: pd.DataFrame
    demand: pd.DataFrame
    lanes: pd.DataFrame | None
    notices: list[str]


def read_inputs(
    inventory: PathLike,
    demand: PathLike,
    lanes: PathLike | None = None,
    progress: bool | None = None,
) -> Inputs:
    """Read every input file, raising one ``InputError`` with the problems of all of them.

    A planner who fixes the inventory should not learn about the demand file's
    problems only on the next run, so no file stops the reading of another.
    Notices (ignored columns, skipped empty rows, lanes naming unknown
    locations) are collected in ``Inputs.notices``; none of them is an error.
    ``progress``: a line on stderr naming the file and stage being read (None:
    on a terminal only), since ten million rows take seconds per file.
    """
    jobs = [(inventory, s.INVENTORY), (demand, s.DEMAND)]
    if lanes is not None:
        jobs.append((lanes, s.LANES))
    frames: list[pd.DataFrame] = []
    errors: list[InputError] = []
    with Progress("reading", len(jobs), show=progress) as bar:
        for path, table in jobs:
            try:
                frames.append(read_table(path, table, bar))
            except InputError as error:
                errors.append(error)
            bar.step()
    if errors:
        raise _merge_errors(errors)
    notices = [notice for frame in frames for notice in frame.attrs["notices"]]
    lanes_frame = frames[2] if lanes is not None else None
    if lanes_frame is not None:
        notices += _lane_notices(frames[0], frames[1], lanes_frame)
    return Inputs(frames[0], frames[1], lanes_frame, notices)


def validate_files(
    inventory: PathLike, demand: PathLike, lanes: PathLike | None = None
) -> list[str]:
    """Check the input files as a run would: return the notices, or raise ``InputError``."""
    return read_inputs(inventory, demand, lanes).notices


def read_table(path: PathLike, table: Table, progress: Progress | None = None) -> pd.DataFrame:
    """Read one CSV file as ``table`` describes it (the work behind ``read_*``).

    The frame's ``attrs``: ``source`` (the path as given), ``sha256`` (of the
    file's bytes, for the run summary), ``notices`` (list of str: ignored
    columns, skipped empty rows) and ``headers`` (canonical name -> header as
    written, so that later messages can use the planner's own words).
    ``progress`` is told each stage (``read_inputs`` draws the line).
    """
    file = os.fspath(path)
    say = progress.note if progress is not None else _silent
    say(f"{Path(file).name}: loading")
    raw = _load(file)
    data, start = _as_utf8(raw, file)
    header = _read_header(data, start, file)
    matched = _match_columns(header, table, file)
    say(f"{Path(file).name}: parsing {len(raw) / 1e6:,.0f} MB")
    rows = _parse_rows(data, header, matched, file)
    say(f"{Path(file).name}: checking {rows.count:,} rows")
    checked = _check_table(table, header, matched, rows, file)
    if matched.problems or checked.pending or rows.ragged:
        _raise_problems(matched.problems, checked.pending, rows, data, header, file)
    checked.frame.attrs.update(
        source=file,
        sha256=hashlib.sha256(raw).hexdigest(),
        notices=_ignored_notice(matched.ignored, file) + checked.notices,
        headers={name: header.names[i] for name, i in matched.index.items()},
    )
    # Spares the engine a second search for duplicate lots in a frame read here.
    checked.frame.attrs[c.ATTR_KEYS_UNIQUE] = True
    return checked.frame


def _silent(_: str) -> None:
    """Where no progress line is drawn, stages go nowhere."""


# --- the whole file: bytes, encoding ---------------------------------------------------


def _fail(problem: Problem) -> NoReturn:
    """Stop reading a file whose whole content is unusable (one problem says it all)."""
    raise InputError([problem])


def _load(file: str) -> bytes:
    """The file's bytes; a missing or unreadable file is a problem, not a traceback."""
    try:
        return Path(file).read_bytes()
    except FileNotFoundError:
        _fail(Problem(s.MISSING_FILE, "no such file: check the path", file))
    except IsADirectoryError:
        _fail(Problem(s.UNREADABLE_FILE, "this is a folder: give the path of a CSV file", file))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        _fail(Problem(s.UNREADABLE_FILE, f"cannot read the file ({reason}): check it", file))


def _as_utf8(raw: bytes, file: str) -> tuple[bytes, int]:
    """The text as UTF-8 bytes and the offset where it starts (after a byte-order mark).

    UTF-16 (Excel's "Unicode text") is transcoded; UTF-8 is kept as it is and
    validated by pyarrow while parsing, far faster than decoding it here.
    """
    data, start = raw, 0
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            data = raw.decode("utf-16").encode("utf-8")
        except UnicodeError:
            message = f"the file starts like UTF-16 text but is not valid UTF-16: {_SAVE_AS}"
            _fail(Problem(s.ENCODING, message, file))
    elif raw.startswith(codecs.BOM_UTF8):
        start = len(codecs.BOM_UTF8)
    _refuse_binary(data, start, file)
    if _NON_BLANK.search(data, start) is None:
        message = "the file is empty: it needs a header row naming the columns, then data rows"
        _fail(Problem(s.EMPTY_FILE, message, file))
    return data, start


def _refuse_binary(data: bytes, start: int, file: str) -> None:
    """Refuse workbooks, archives and other binary files, saying what they look like."""
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature, start):
            _fail(Problem(s.BINARY_FILE, f"this is {what}, not CSV text: {_SAVE_AS}", file))
    nul = data.find(b"\x00", start)
    if nul < 0:
        return
    if _looks_like_utf16(data[start : start + 512]):
        message = f"the file looks like UTF-16 text without a byte-order mark: {_SAVE_AS}"
    else:
        message = f"the file holds NUL bytes: it is binary, not CSV text; {_SAVE_AS}"
    _fail(Problem(s.BINARY_FILE, message, file, line=_line_at(data, start, nul)))


def _looks_like_utf16(sample: bytes) -> bool:
    """UTF-16 text of Latin letters has a NUL in every other byte."""
    zeros = max(sample[0::2].count(0), sample[1::2].count(0))
    return zeros >= len(sample) // 4


def _count_breaks(data: bytes, begin: int, end: int) -> int:
    """Line breaks in ``data[begin:end]``; ``\\r\\n``, ``\\n`` and a lone ``\\r`` count once."""
    crlf = data.count(b"\r\n", begin, end)
    return data.count(b"\n", begin, end) + data.count(b"\r", begin, end) - crlf


def _line_at(data: bytes, start: int, offset: int) -> int:
    """The editor line (1-based) of byte ``offset``; the text starts at ``start``."""
    return 1 + _count_breaks(data, start, offset)


def _encoding_problem(data: bytes, offset: int, line: int, file: str) -> Problem:
    """Explain bytes that are not UTF-8: most often a file Excel saved as plain 'CSV'."""
    begin = max(data.rfind(b, 0, offset) for b in (b"\n", b"\r", b",", b";", b"\t")) + 1
    ends = [i for i in (data.find(b, offset) for b in (b"\n", b"\r", b",", b";", b"\t")) if i >= 0]
    cell = data[begin : min([*ends, offset + 40])].decode("cp1252", errors="replace")
    message = (
        f"byte 0x{data[offset]:02X} is not UTF-8: the file is not UTF-8; it looks like "
        f"Windows-1252 / Latin-1: {_SAVE_AS}, or re-encode it as UTF-8"
    )
    return Problem(s.ENCODING, message, file, line, None, cell)


def _first_bad_utf8(data: bytes, start: int) -> int:
    """Offset of the first byte that is not valid UTF-8 (``len(data)`` when all are valid)."""
    try:
        codecs.utf_8_decode(memoryview(data)[start:], "strict", True)
    except UnicodeDecodeError as error:
        return start + error.start
    return len(data)


# --- the header ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    """The header record: column names as written, and where the data rows begin."""

    names: tuple[str, ...]
    delimiter: str
    line: int
    body_start: int
    body_line: int


def _read_header(data: bytes, start: int, file: str) -> _Header:
    """Find the header record (after any blank lines), its delimiter and its names."""
    first = _NON_BLANK.search(data, start)
    assert first is not None  # _as_utf8 refused blank files
    line_start = max(start, *(data.rfind(b, start, first.start()) + 1 for b in (b"\n", b"\r")))
    line = _line_at(data, start, line_start)
    end = _header_end(data, line_start)
    body_start = min(len(data), end + (2 if data.startswith(b"\r\n", end) else 1))
    try:
        text = data[line_start:end].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = line_start + error.start
        _fail(_encoding_problem(data, offset, _line_at(data, start, offset), file))
    delimiter = _detect_delimiter(text)
    try:
        names = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as error:
        _fail(Problem(s.UNREADABLE_CSV, f"the header cannot be read ({error})", file, line))
    return _Header(
        names=tuple(name.strip() for name in names),
        delimiter=delimiter,
        line=line,
        body_start=body_start,
        body_line=line + _count_breaks(data, line_start, body_start),
    )


def _header_end(data: bytes, line_start: int) -> int:
    """End of the header record: its line, or more lines when a quoted name holds a break."""
    breaks = [i for i in (data.find(b"\n", line_start), data.find(b"\r", line_start)) if i >= 0]
    end = min(breaks, default=len(data))
    if data.count(b'"', line_start, end) % 2 == 0:
        return end
    record = _RECORD.match(data, line_start)
    assert record is not None  # the pattern matches the empty string
    quote_left_open = data.startswith(b'"', record.end())
    return end if quote_left_open else record.end()


def _detect_delimiter(header: str) -> str:
    """The most frequent of comma, semicolon and tab outside quotes (comma on a tie or none)."""
    unquoted = _QUOTED_TEXT.sub("", header)
    best = max(_DELIMITERS, key=unquoted.count)
    return best if unquoted.count(best) else ","


@dataclass
class _Matched:
    """Which header position holds each canonical column, and what is wrong with the header."""

    index: dict[str, int]
    ignored: list[str]
    problems: list[Problem]


def _header_key(text: str) -> str:
    """Headers match case-insensitively, with spaces, ``_`` and ``-`` treated alike."""
    return " ".join(part for part in _HEADER_SEPARATORS.split(text.casefold()) if part)


def _match_columns(header: _Header, table: Table, file: str) -> _Matched:
    """Map the header to canonical columns; note unknown ones, report duplicates and gaps."""
    lookup = {_header_key(name): col for col in table.columns for name in col.headers}
    matched = _Matched({}, [], [])
    for position, name in enumerate(header.names):
        column = lookup.get(_header_key(name))
        if column is None:
            matched.ignored.append(name or f"(column {position + 1}, no name)")
        elif column.name in matched.index:
            first = header.names[matched.index[column.name]]
            message = (
                f"columns '{first}' and '{name}' both give {column.description} "
                f"('{column.name}'): keep one of them"
            )
            problem = Problem(s.DUPLICATE_COLUMN, message, file, header.line, name)
            matched.problems.append(problem)
        else:
            matched.index[column.name] = position
    matched.problems += _missing_columns(header, table, matched.index, file)
    return matched


def _missing_columns(
    header: _Header, table: Table, index: dict[str, int], file: str
) -> list[Problem]:
    """Required columns (and one-of groups) the header lacks, with the names it does have."""
    if len(header.names) == 1 and (other := _other_delimiter(header.names[0])):
        fix = "separate the columns by comma, semicolon or tab"
        if other in _DELIMITERS:  # the delimiter was there, but inside quotes
            fix = "remove the quotes around the whole header row"
        message = f"the header is a single column that contains {_DELIMITER_NAMES[other]}: {fix}"
        _fail(Problem(s.BAD_DELIMITER, message, file, header.line, None, header.names[0]))
    present = ", ".join(f"'{name}'" for name in header.names)
    groups = [(column,) for column in table.columns if column.required]
    groups += [tuple(table.column(name) for name in group) for group in table.one_of]
    problems = []
    for group in groups:
        if any(column.name in index for column in group):
            continue
        wanted = " or ".join(f"'{column.name}'{_also(column)}" for column in group)
        message = (
            f"the {table.name} needs a column {wanted}; the header has {present}: "
            "add the column or rename one of these"
        )
        problems.append(Problem(s.MISSING_COLUMN, message, file, header.line, group[0].name))
    return problems


def _also(column: Column) -> str:
    if not column.aliases:
        return ""
    return " (also accepted: " + ", ".join(f"'{alias}'" for alias in column.aliases) + ")"


def _other_delimiter(name: str) -> str | None:
    """A delimiter that a single-column header holds: the file is split some other way."""
    return next((d for d in ("|", ",", ";", "\t") if d in name), None)


def _ignored_notice(ignored: list[str], file: str) -> list[str]:
    if not ignored:
        return []
    names = ", ".join(f"'{name}'" for name in ignored)
    return [f"{file}: ignored columns not used by consumption: {names}"]


# --- parsing the rows ------------------------------------------------------------------


@dataclass
class _Rows:
    """The data rows as pyarrow text columns keyed by canonical name."""

    columns: dict[str, pa.ChunkedArray]
    count: int
    ragged: int
    quoted: bool


def _parse_rows(data: bytes, header: _Header, matched: _Matched, file: str) -> _Rows:
    """Parse every data row with pyarrow, each wanted column as text ("" when empty).

    Rows with the wrong number of fields are skipped and only counted here; the
    error path finds their lines itself, since pyarrow numbers rows (and only
    when single-threaded), not lines.
    """
    names = [f"c{i}" for i in range(len(header.names))]
    wanted = {name: names[position] for name, position in matched.index.items()}
    quoted = data.find(b'"', header.body_start) >= 0
    if not wanted or _NON_BLANK.search(data, header.body_start) is None:
        empty = pa.chunked_array([], pa.string())
        return _Rows(dict.fromkeys(wanted, empty), 0, 0, quoted)
    ragged: list[int] = []

    def skip_ragged(_: Any) -> str:
        ragged.append(1)
        return "skip"

    try:
        parsed = pacsv.read_csv(
            pa.py_buffer(data)[header.body_start :],
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(
                delimiter=header.delimiter,
                newlines_in_values=quoted,
                invalid_row_handler=skip_ragged,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(wanted.values(), pa.string()),
                include_columns=list(wanted.values()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        raise InputError([*matched.problems, _parse_problem(error, data, header, file)]) from None
    columns = {name: parsed.column(arrow_name) for name, arrow_name in wanted.items()}
    return _Rows(columns, parsed.num_rows, len(ragged), quoted)


def _parse_problem(error: pa.ArrowInvalid, data: bytes, header: _Header, file: str) -> Problem:
    """Turn a pyarrow parse failure into a problem with a line: bad UTF-8 or a runaway quote."""
    if "UTF8" in str(error):
        offset = _first_bad_utf8(data, header.body_start)
        if offset < len(data):
            line = header.body_line + _count_breaks(data, header.body_start, offset)
            return _encoding_problem(data, offset, line, file)
    message = (
        'the rows cannot be parsed: most likely a quote (") opened on this line is never '
        "closed, so the rest of the file reads as one value; close the quote or remove it"
    )
    return Problem(s.UNREADABLE_CSV, message, file, _runaway_quote_line(data, header))


def _runaway_quote_line(data: bytes, header: _Header) -> int | None:
    """The first line of the record where Python's csv module gives up too."""
    text = data[header.body_start :].decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=header.delimiter)
    previous = 0
    try:
        for _ in reader:
            previous = reader.line_num
    except csv.Error:
        return header.body_line + previous
    return None


# --- converting and checking the columns -------------------------------------------------


@dataclass
class _Parsed:
    """One column read as its kind: values, and the masks of empty and unreadable cells."""

    values: Any
    empty: np.ndarray
    unreadable: np.ndarray


@dataclass
class _BadCells:
    """The rows where one column breaks one rule."""

    column: str
    code: str
    rows: np.ndarray


@dataclass
class _Pending:
    """A problem at a data row whose line is not known yet.

    ``row`` counts the rows pyarrow kept; ``message`` may hold ``_OTHER_LINE``,
    to be replaced by the line of ``other_row`` (a duplicate names the line where
    its key was first seen). ``hidden`` counts further problems of the same rule
    that are not explained, beyond the cap.
    """

    row: int
    code: str
    column: str | None
    value: str | None
    message: str
    other_row: int | None = None
    hidden: int = 0


@dataclass
class _Checked:
    frame: pd.DataFrame
    pending: list[_Pending]
    notices: list[str]


def _check_table(
    table: Table, header: _Header, matched: _Matched, rows: _Rows, file: str
) -> _Checked:
    """Convert and check every column and the rules across columns; build the frame."""
    values: dict[str, Any] = {}
    bad: list[_BadCells] = []
    empties: list[np.ndarray] = []
    for name, strings in rows.columns.items():
        column = table.column(name)
        parsed = _parse_column(column, strings)
        values[name] = parsed.values
        empties.append(parsed.empty)
        bad += _rule_breaks(column, strings, parsed)
    # Rows with every cell empty (",,,," from spreadsheets) are skipped, not errors.
    blank = np.logical_and.reduce(empties) if empties else np.zeros(rows.count, bool)
    pending = [
        p for cells in bad for p in _explain_cells(cells, blank, table, rows, header, matched)
    ]
    pending += _row_rules(table, rows, values, header, matched, blank)
    if pending:
        return _Checked(pd.DataFrame(), pending, [])
    notices = []
    if blank.any():
        notices.append(f"{file}: {int(blank.sum())} rows with every cell empty were skipped")
    return _Checked(_frame(table, values, blank), [], notices)


def _parse_column(column: Column, strings: pa.ChunkedArray) -> _Parsed:
    if column.kind is Kind.TEXT:
        text = _trim(strings)
        return _Parsed(text, _lengths(text) == 0, np.zeros(len(strings), bool))
    if column.kind is Kind.DATE:
        return _parse_dates(strings)
    return _parse_numbers(strings)


def _lengths(strings: pa.ChunkedArray) -> np.ndarray:
    """Byte length of each value."""
    return pc.binary_length(strings).to_numpy()


# Bytes that may start or end whitespace: ASCII blanks, and any byte of a non-ASCII
# character (which may be a no-break space); the exact trim then decides.
_MAY_BE_SPACE = np.zeros(256, bool)
_MAY_BE_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_MAY_BE_SPACE[128:] = True


def _trim(strings: pa.ChunkedArray) -> pa.ChunkedArray:
    """Strip surrounding whitespace, skipping the costly kernel when no value needs it."""
    if any(_chunk_needs_trim(chunk) for chunk in strings.chunks):
        return pc.utf8_trim_whitespace(strings)
    return strings


def _chunk_needs_trim(chunk: pa.Array) -> bool:
    """Whether a value of the chunk starts or ends with a byte that may be whitespace."""
    offsets, data = string_buffers(chunk)
    if not len(data):
        return False
    # An empty value reads a neighbour's byte: at worst a needless trim.
    first = data[np.minimum(offsets[:-1], len(data) - 1)]
    last = data[np.maximum(offsets[1:] - 1, 0)]
    return bool(_MAY_BE_SPACE[first].any() or _MAY_BE_SPACE[last].any())


def _parse_numbers(strings: pa.ChunkedArray) -> _Parsed:
    """Read a column as float64 (NaN where empty or unreadable); -0 reads as 0."""
    none = np.zeros(len(strings), bool)
    try:
        return _Parsed(_no_negative_zero(pc.cast(strings, pa.float64())), none, none)
    except pa.ArrowInvalid:
        pass  # empty cells, spaces or text somewhere: find which below
    text = _trim(strings)
    empty = _lengths(text) == 0
    readable = pc.match_substring_regex(text, _NUMBER, ignore_case=True)
    kept = pc.if_else(readable, text, _NULL_TEXT)
    try:
        values = _no_negative_zero(pc.cast(kept, pa.float64()))
    except pa.ArrowInvalid:  # pragma: no cover - the pattern mirrors pyarrow's parser
        values = np.array([_to_float(v) for v in kept.to_pylist()], np.float64)
    return _Parsed(values, empty, ~readable.to_numpy() & ~empty)


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


def _parse_dates(strings: pa.ChunkedArray) -> _Parsed:
    """Read ISO ``YYYY-MM-DD`` calendar dates as datetime64[s] (NaT where empty or bad)."""
    none = np.zeros(len(strings), bool)
    try:
        days = pc.cast(strings, pa.date32())
        empty = unreadable = none
    except pa.ArrowInvalid:
        text = _trim(strings)
        empty = _lengths(text) == 0
        iso = pc.if_else(pc.match_substring_regex(text, _ISO_DATE), text, _NULL_TEXT)
        stamps = pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2026-02-30 over into March; a real date prints back unchanged.
        real = pc.fill_null(pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), iso), False)
        days = pc.cast(pc.if_else(real, iso, _NULL_TEXT), pa.date32())
        unreadable = ~real.to_numpy() & ~empty
    stamps = np.asarray(pc.cast(days, pa.timestamp("s")).to_numpy(), "datetime64[s]")
    return _Parsed(stamps, empty, unreadable)


def _rule_breaks(column: Column, strings: pa.ChunkedArray, parsed: _Parsed) -> list[_BadCells]:
    """Every rule of the column's kind as a mask; a cell reports the first rule it breaks."""
    masks: list[tuple[str, np.ndarray]] = []
    if not column.allow_empty:
        masks.append((s.EMPTY_VALUE, parsed.empty))
    masks.append((s.BAD_DATE if column.kind is Kind.DATE else s.NOT_A_NUMBER, parsed.unreadable))
    if column.kind not in (Kind.TEXT, Kind.DATE):
        masks += _number_rules(column, strings, parsed)
    seen = np.zeros(len(parsed.empty), bool)
    bad = []
    for code, mask in masks:
        if mask.any():
            fresh = mask & ~seen
            seen |= fresh
            bad.append(_BadCells(column.name, code, np.flatnonzero(fresh)))
    return bad


def _number_rules(
    column: Column, strings: pa.ChunkedArray, parsed: _Parsed
) -> list[tuple[str, np.ndarray]]:
    """Finite; whole for days and ranks; within bounds; at most 6 decimals for quantities."""
    values = parsed.values
    finite = np.isfinite(values)
    masks = [(s.NOT_FINITE, ~finite & ~parsed.empty & ~parsed.unreadable)]
    if column.kind in (Kind.DAYS, Kind.POSITIVE_INTEGER):
        masks.append((s.NOT_AN_INTEGER, finite & (values != np.floor(values))))
    low = _minimum(column)
    if low is not None:
        masks.append((s.NEGATIVE if low == 0 else s.NOT_POSITIVE, finite & (values < low)))
    high = _maximum(column)
    if high is not None:
        masks.append((s.TOO_LARGE, finite & (np.abs(values) > high)))
    if column.kind is Kind.QUANTITY:
        masks.append((s.TOO_MANY_DECIMALS, _too_many_decimals(strings, c.MAX_QTY_DECIMALS)))
    return masks


def _minimum(column: Column) -> int | None:
    if column.kind is Kind.POSITIVE_INTEGER:
        return 1
    if column.kind in (Kind.QUANTITY, Kind.MONEY):
        return 0
    return column.minimum


def _maximum(column: Column) -> float | None:
    limits = {
        Kind.QUANTITY: c.MAX_QTY,
        Kind.DAYS: c.MAX_DAYS,
        Kind.POSITIVE_INTEGER: c.MAX_POSITIVE_INTEGER,
    }
    return limits.get(column.kind)


def _too_many_decimals(strings: pa.ChunkedArray, limit: int) -> np.ndarray:
    """Cells with more than ``limit`` decimals, trailing zeros not counted.

    The digits after the '.' are counted on the text, vectorised; only cells that
    look too long are measured again without their trailing zeros (and exponent
    forms such as ``1.5e-9`` one by one: they are rare).
    """
    dot = np.asarray(pc.find_substring(strings, ".").to_numpy(), np.int64)
    exponent = pc.match_substring(strings, "e", ignore_case=True).to_numpy()
    rows = np.flatnonzero(((dot >= 0) & (_lengths(strings) - dot - 1 > limit)) | exponent)
    out = np.zeros(len(dot), bool)
    if not len(rows):
        return out
    text = _trim(strings.take(rows))
    trimmed = pc.utf8_rtrim(text, characters="0")
    digits = _lengths(trimmed) - np.asarray(pc.find_substring(trimmed, ".").to_numpy()) - 1
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


# --- rules across columns: duplicate keys, lanes to themselves ----------------------------


def _row_rules(
    table: Table,
    rows: _Rows,
    text: dict[str, Any],
    header: _Header,
    matched: _Matched,
    blank: np.ndarray,
) -> list[_Pending]:
    """Duplicate keys (naming the line seen first) and lanes from a location to itself.

    ``text`` holds the trimmed text of the key columns (their parsed values).
    """
    pending = []
    keys = [name for name in table.unique if name in rows.columns]
    complete = all(name in rows.columns or not table.column(name).required for name in table.unique)
    if keys and complete:
        pending += _duplicates(table, keys, rows, text, header, matched, blank)
    if table is s.LANES and {c.FROM_LOCATION, c.TO_LOCATION} <= rows.columns.keys():
        pending += _self_lanes(text, header, matched, blank)
    return pending


_DUPLICATE_FIX = {
    s.DUPLICATE_LOT: "merge the two rows, or give the lots distinct ids",
    s.DUPLICATE_ID: "every demand line needs its own id",
    s.DUPLICATE_LANE: "keep one lane per pair of locations",
}


def _duplicates(
    table: Table,
    keys: list[str],
    rows: _Rows,
    text: dict[str, Any],
    header: _Header,
    matched: _Matched,
    blank: np.ndarray,
) -> list[_Pending]:
    """One problem per repeated key, at the later row, naming the line of the first."""
    texts = [text[name] for name in keys]
    pairs = duplicate_rows(texts, skip=blank if blank.any() else None)
    shown = keys[-1]  # the lot, the id, the destination: what to change
    column = header.names[matched.index[shown]]
    pending = []
    for row, first in pairs[: c.MAX_PROBLEMS]:
        key = ", ".join(
            f"{name} '{text[row].as_py()}'" for name, text in zip(keys, texts, strict=True)
        )
        message = (
            f"the {table.name} row with {key} is already on line {_OTHER_LINE}: "
            + _DUPLICATE_FIX[table.unique_code]
        )
        value = rows.columns[shown][row].as_py()
        pending.append(_Pending(row, table.unique_code, column, value, message, first))
    if len(pairs) > c.MAX_PROBLEMS:
        pending[-1].hidden = len(pairs) - c.MAX_PROBLEMS
    return pending


def _self_lanes(
    text: dict[str, Any], header: _Header, matched: _Matched, blank: np.ndarray
) -> list[_Pending]:
    """Lanes whose origin is their destination: the engine serves a location's own lots first."""
    origin = text[c.FROM_LOCATION]
    same = pc.fill_null(pc.equal(origin, text[c.TO_LOCATION]), False).to_numpy()
    bad = np.flatnonzero(same & (_lengths(origin) > 0) & ~blank)
    column = header.names[matched.index[c.TO_LOCATION]]
    message = "a lane goes from one location to another: remove this row"
    pending = [
        _Pending(int(row), s.SAME_LOCATION, column, origin[int(row)].as_py(), message)
        for row in bad[: c.MAX_PROBLEMS]
    ]
    if len(bad) > c.MAX_PROBLEMS:
        pending[-1].hidden = len(bad) - c.MAX_PROBLEMS
    return pending


# --- explaining bad cells -----------------------------------------------------------------


def _explain_cells(
    cells: _BadCells,
    blank: np.ndarray,
    table: Table,
    rows: _Rows,
    header: _Header,
    matched: _Matched,
) -> list[_Pending]:
    """Explain the first ``MAX_PROBLEMS`` cells breaking a rule; count the rest."""
    found = cells.rows[~blank[cells.rows]]
    shown = found[: c.MAX_PROBLEMS]
    column = table.column(cells.column)
    written = header.names[matched.index[cells.column]]
    raw = rows.columns[cells.column].take(shown).to_pylist()
    pending = []
    for row, value in zip(shown, raw, strict=True):
        code, message = _explain(column, cells.code, value)
        pending.append(_Pending(int(row), code, written, value, message))
    if pending:
        pending[-1].hidden = len(found) - len(shown)
    return pending


def _explain(column: Column, code: str, value: str) -> tuple[str, str]:
    """The reason code (refined for unreadable numbers) and the rule and fix for one cell."""
    what, text = column.description, value.strip()
    if code == s.EMPTY_VALUE:
        return code, f"{what} is missing: fill in the cell"
    if code == s.NOT_A_NUMBER:
        return _explain_unreadable_number(column, text)
    if code == s.BAD_DATE:
        return code, f"{what} must be a date written YYYY-MM-DD: {_date_hint(text)}"
    if code == s.NOT_FINITE:
        return code, f"{what} must be a finite number: write the actual value"
    if code == s.NOT_AN_INTEGER:
        number = float(text)
        low, high = int(np.floor(number)), int(np.ceil(number))
        return code, f"{what} must be a whole number: write {low} or {high}"
    if code == s.NEGATIVE:
        return code, f"{what} cannot be negative: write 0 or more"
    if code == s.NOT_POSITIVE:
        return code, f"{what} counts from 1: write 1 or more"
    if code == s.TOO_LARGE:
        limit = _plain(_maximum(column) or 0)
        sign = "±" if column.kind is Kind.DAYS and column.minimum is None else ""
        return code, f"{what} is beyond {sign}{limit}: check the value and its unit"
    rounded = _plain(round(float(text), c.MAX_QTY_DECIMALS))
    return code, f"{what} has more than {c.MAX_QTY_DECIMALS} decimals: round it, e.g. to {rounded}"


def _plain(number: float) -> str:
    """A number in plain notation (never scientific), without a needless '.0'."""
    return np.format_float_positional(number, trim="-")


_THOUSANDS = re.compile(
    r"[+-]?\d{1,3}(?P<sep>[,.' \u00a0\u202f])\d{3}(?:(?P=sep)\d{3})*(?P<decimals>[.,]\d+)?"
)
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")


def _explain_unreadable_number(column: Column, text: str) -> tuple[str, str]:
    """Recognise thousands separators and decimal commas: the usual locale mix-ups."""
    what = column.description
    match = _THOUSANDS.fullmatch(text)
    if match and not (match["decimals"] or "").startswith(match["sep"]):
        fixed = text.replace(match["sep"], "").replace(",", ".")
        message = f"{what} must be written without thousands separators: write {fixed}"
        if match["sep"] == "," and not match["decimals"] and text.count(",") == 1:
            message += f" (or {text.replace(',', '.')} if ',' is the decimal point)"
        return s.THOUSANDS_SEPARATOR, message
    if _DECIMAL_COMMA.fullmatch(text):
        fixed = text.replace(",", ".")
        return s.DECIMAL_COMMA, f"{what} takes '.' as the decimal point, not ',': write {fixed}"
    example = {
        Kind.DAYS: "a whole number of days, e.g. 180",
        Kind.POSITIVE_INTEGER: "a whole number from 1, e.g. 1",
    }.get(column.kind, "a number, e.g. 1250 or 12.5")
    return s.NOT_A_NUMBER, f"{what} must be {example}"


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


# --- lines, and the one error -------------------------------------------------------------


@dataclass(frozen=True)
class _RowLines:
    """Editor lines of the rows pyarrow kept, and the rows it skipped for their field count."""

    lines: np.ndarray | None
    ragged: list[tuple[int, int, str]]


def _raise_problems(
    header_problems: list[Problem],
    pending: list[_Pending],
    rows: _Rows,
    data: bytes,
    header: _Header,
    file: str,
) -> NoReturn:
    """Give every pending problem its line, sort them all, cap them and raise one InputError."""
    problems = list(header_problems)
    hidden = sum(p.hidden for p in pending)
    if pending or rows.ragged:
        located = _locate_rows(data, header, rows)
        problems += [_finish(p, located.lines, file) for p in pending]
        problems += [_ragged_problem(*bad, header, file) for bad in located.ragged]
        hidden += max(0, rows.ragged - len(located.ragged))
    problems.sort(key=lambda p: (p.line is not None, p.line or 0, _position(p, header)))
    shown = problems[: c.MAX_PROBLEMS]
    raise InputError(shown, truncated=hidden + len(problems) - len(shown))


def _position(problem: Problem, header: _Header) -> int:
    return header.names.index(problem.column) if problem.column in header.names else -1


def _finish(pending: _Pending, lines: np.ndarray | None, file: str) -> Problem:
    def line_of(row: int) -> int | None:
        return int(lines[row]) if lines is not None and 0 <= row < len(lines) else None

    message = pending.message
    if pending.other_row is not None:
        message = message.replace(_OTHER_LINE, str(line_of(pending.other_row)))
    return Problem(pending.code, message, file, line_of(pending.row), pending.column, pending.value)


def _ragged_problem(line: int, fields: int, text: str, header: _Header, file: str) -> Problem:
    expected = len(header.names)
    delimiter = _DELIMITER_NAMES[header.delimiter]
    if text.count('"') % 2:
        fix = 'close the quote (") opened on this line, or remove it'
    elif "\n" in text or "\r" in text:
        # The csv module has removed the quotes: a value holding a line break is the
        # sign of a quote that opened here and closed lines later, or never.
        fix = (
            'a quoted value runs over several lines from here: close the quote (") '
            "where the value ends, or remove it"
        )
    elif fields > expected:
        fix = f"remove the extra {delimiter}, or quote the value that contains it"
    else:
        fix = f"add the missing fields (an empty field is just a {delimiter})"
    message = f"this row has {fields} fields but the header has {expected}: {fix}"
    return Problem(s.RAGGED_ROW, message, file, line, None, text)


def _locate_rows(data: bytes, header: _Header, rows: _Rows) -> _RowLines:
    """Where each kept row is in the file (error path only: it costs a pass over the text)."""
    if rows.quoted:
        located = _locate_with_csv(data, header)
    else:
        located = _locate_with_numpy(data, header, rows.ragged > 0)
    if located.lines is not None and len(located.lines) != rows.count:
        return _RowLines(None, located.ragged)  # the parsers disagree: no line beats a wrong one
    return located


def _locate_with_numpy(data: bytes, header: _Header, ragged: bool) -> _RowLines:
    """Lines from the positions of line breaks; pyarrow skips empty lines and ragged rows."""
    body = np.frombuffer(data, np.uint8)[header.body_start :]
    breaks = np.flatnonzero(body == ord("\n"))
    if data.find(b"\r", header.body_start) >= 0:
        cr = np.flatnonzero(body == ord("\r"))
        after = body[np.minimum(cr + 1, len(body) - 1)]
        lone = cr[(cr + 1 == len(body)) | (after != ord("\n"))]
        breaks = np.sort(np.concatenate((breaks, lone)))
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(body)]))
    before = body[np.clip(ends - 1, 0, max(len(body) - 1, 0))] if len(body) else ends
    ends = ends - ((ends > starts) & (before == ord("\r")))
    lines = header.body_line + np.arange(len(starts))
    kept = ends > starts
    bad: list[tuple[int, int, str]] = []
    if ragged:
        found = np.flatnonzero(body == ord(header.delimiter))
        fields = np.searchsorted(found, ends) - np.searchsorted(found, starts) + 1
        wrong = kept & (fields != len(header.names))
        for i in np.flatnonzero(wrong)[: c.MAX_PROBLEMS]:
            text = bytes(body[starts[i] : ends[i]]).decode("utf-8", errors="replace")
            bad.append((int(lines[i]), int(fields[i]), text))
        kept &= ~wrong
    return _RowLines(lines[kept], bad)


def _locate_with_csv(data: bytes, header: _Header) -> _RowLines:
    """With quotes a row may span lines: walk the records with the csv module."""
    text = data[header.body_start :].decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=header.delimiter)
    lines: list[int] = []
    bad: list[tuple[int, int, str]] = []
    previous = 0
    try:
        for record in reader:
            line = header.body_line + previous
            previous = reader.line_num
            if not record:
                continue
            if len(record) == len(header.names):
                lines.append(line)
            elif len(bad) < c.MAX_PROBLEMS:
                bad.append((line, len(record), header.delimiter.join(record)))
    except csv.Error:
        return _RowLines(None, bad)
    return _RowLines(np.array(lines, np.int64), bad)


def _merge_errors(errors: list[InputError]) -> InputError:
    """One error for several files, the cap shared so that every file gets its turn."""
    queues = [error.problems for error in errors]
    taken = [0] * len(queues)
    budget = c.MAX_PROBLEMS
    while budget and any(k < len(q) for k, q in zip(taken, queues, strict=True)):
        for i, queue in enumerate(queues):
            if budget and taken[i] < len(queue):
                taken[i] += 1
                budget -= 1
    shown = [p for queue, k in zip(queues, taken, strict=True) for p in queue[:k]]
    total = sum(len(error.problems) + error.truncated for error in errors)
    return InputError(shown, truncated=total - len(shown))


# --- the frame and the notices -------------------------------------------------------------


def _frame(table: Table, values: dict[str, Any], blank: np.ndarray) -> pd.DataFrame:
    """Canonical columns in schema order, with the dtypes the engine expects."""
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
    if column.kind is Kind.TEXT:
        text = values if keep is None else values.filter(pa.array(keep))
        return text.to_pandas()
    values = values if keep is None else values[keep]
    if column.kind not in (Kind.DAYS, Kind.POSITIVE_INTEGER):
        return values
    if not column.allow_empty:  # checked: no cell is empty
        return values.astype(np.int64)
    missing = np.isnan(values)
    whole = np.where(missing, column.default or 0, values).astype(np.int64)
    if column.default is None:
        return pd.arrays.IntegerArray(whole, missing)
    return whole


def _lane_notices(inventory: pd.DataFrame, demand: pd.DataFrame, lanes: pd.DataFrame) -> list[str]:
    """Lanes naming locations that no lot and no demand line has: harmless, maybe a typo."""
    known: set[str] = set()
    for frame in (inventory, demand):
        if c.LOCATION in frame:
            known.update(frame[c.LOCATION].unique())
    named = pd.unique(pd.concat([lanes[c.FROM_LOCATION], lanes[c.TO_LOCATION]]))
    unknown = sorted(str(name) for name in named if name not in known)
    if not unknown:
        return []
    listed = ", ".join(f"'{name}'" for name in unknown[:20])
    more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
    return [
        f"{lanes.attrs['source']}: lanes name locations found in neither inventory nor "
        f"demand: {listed}{more} [{s.UNKNOWN_LOCATION}]"
    ]


__all__ = [
    "Inputs",
    "PathLike",
    "read_demand",
    "read_inputs",
    "read_inventory",
    "read_lanes",
    "read_table",
    "validate_files",
]
