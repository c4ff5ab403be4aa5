"""Reading the header record: where it is, its delimiter, and which column is which.

The second stage of reading a CSV file: blank lines before the header are
skipped (and counted in line numbers), the delimiter is the most frequent of
comma, semicolon and tab, and each header is matched to a canonical column
of the schema, case-insensitively with spaces, ``_`` and ``-`` alike.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass

from consumption.errors import Code, Problem
from consumption.io.schema import Column, Table
from consumption.io.source import NON_BLANK, count_breaks, encoding_problem, fail, line_at

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "'|'"}
# One CSV record: quoted sections (which may hold line breaks) and unquoted text.
_RECORD = re.compile(rb'(?:"[^"]*"|[^"\r\n])*')
_QUOTED_TEXT = re.compile(r'"[^"]*"')
_HEADER_SEPARATORS = re.compile(r"[\s_\-]+")


@dataclass(frozen=True)
class Header:
    """The header record: column names as written, and where the data rows begin."""

    names: tuple[str, ...]
    delimiter: str
    line: int
    body_start: int
    body_line: int


def read_header(data: bytes, start: int, file: str) -> Header:
    """Find the header record (after any blank lines), its delimiter and its names."""
    first = NON_BLANK.search(data, start)
    assert first is not None  # as_utf8 refused blank files
    line_start = max(start, *(data.rfind(b, start, first.start()) + 1 for b in (b"\n", b"\r")))
    line = line_at(data, start, line_start)
    end = _header_end(data, line_start)
    body_start = min(len(data), end + (2 if data.startswith(b"\r\n", end) else 1))
    try:
        text = data[line_start:end].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = line_start + error.start
        fail(encoding_problem(data, offset, line_at(data, start, offset), file))
    delimiter = _detect_delimiter(text)
    try:
        names = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as error:
        fail(Problem(Code.UNREADABLE_CSV, f"the header cannot be read ({error})", file, line))
    return Header(
        names=tuple(name.strip() for name in names),
        delimiter=delimiter,
        line=line,
        body_start=body_start,
        body_line=line + count_breaks(data, line_start, body_start),
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
    best = max(DELIMITERS, key=unquoted.count)
    return best if unquoted.count(best) else ","


@dataclass
class Matched:
    """Which header position holds each canonical column, and what is wrong with the header."""

    index: dict[str, int]
    ignored: list[str]
    problems: list[Problem]


def header_key(text: str) -> str:
    """Headers match case-insensitively, with spaces, ``_`` and ``-`` treated alike."""
    return " ".join(part for part in _HEADER_SEPARATORS.split(text.casefold()) if part)


def match_columns(
    header: Header, table: Table, file: str, mapping: Mapping[str, str] | None = None
) -> Matched:
    """Map the header to canonical columns; note unknown ones, report duplicates and gaps.

    ``mapping`` maps the file's own headers (``Material``) to canonical names
    (``item``); it wins over the aliases.
    """
    lookup = {header_key(name): col for col in table.columns for name in col.headers}
    for written, name in (mapping or {}).items():
        lookup[header_key(written)] = table.column(name)
    matched = Matched({}, [], [])
    for position, name in enumerate(header.names):
        column = lookup.get(header_key(name))
        if column is None:
            matched.ignored.append(name or f"(column {position + 1}, no name)")
        elif column.name in matched.index:
            first = header.names[matched.index[column.name]]
            message = (
                f"columns '{first}' and '{name}' both give {column.description} "
                f"('{column.name}'): keep one of them"
            )
            problem = Problem(Code.DUPLICATE_COLUMN, message, file, header.line, name)
            matched.problems.append(problem)
        else:
            matched.index[column.name] = position
    matched.problems += _missing_columns(header, table, matched.index, file)
    return matched


def _missing_columns(
    header: Header, table: Table, index: dict[str, int], file: str
) -> list[Problem]:
    """Required columns (and one-of groups) the header lacks, with the names it does have."""
    if len(header.names) == 1 and (other := _other_delimiter(header.names[0])):
        fix = "separate the columns by comma, semicolon or tab"
        if other in DELIMITERS:  # the delimiter was there, but inside quotes
            fix = "remove the quotes around the whole header row"
        message = f"the header is a single column that contains {DELIMITER_NAMES[other]}: {fix}"
        fail(Problem(Code.BAD_DELIMITER, message, file, header.line, None, header.names[0]))
    present = ", ".join(f"'{name}'" for name in header.names)
    groups: list[tuple[Column, ...]] = [(column,) for column in table.columns if column.required]
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
        problems.append(Problem(Code.MISSING_COLUMN, message, file, header.line, group[0].name))
    return problems


def _also(column: Column) -> str:
    if not column.aliases:
        return ""
    return " (also accepted: " + ", ".join(f"'{alias}'" for alias in column.aliases) + ")"


def _other_delimiter(name: str) -> str | None:
    """A delimiter that a single-column header holds: the file is split some other way."""
    return next((d for d in ("|", ",", ";", "\t") if d in name), None)


def ignored_notice(ignored: list[str], file: str) -> list[str]:
    if not ignored:
        return []
    names = ", ".join(f"'{name}'" for name in ignored)
    return [f"{file}: ignored columns not used by consumption: {names}"]
