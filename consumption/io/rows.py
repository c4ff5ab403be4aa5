"""Parsing the data rows: every wanted column as Arrow text, in one pass of pyarrow's parser.

The third stage of reading a CSV file. Rows with the wrong number of fields
are skipped and only counted here: pyarrow numbers rows (and only when
single-threaded), not lines, so :mod:`consumption.io.lines` finds their lines
on the error path.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from consumption.errors import Code, InputError, Problem
from consumption.io.header import Header, Matched
from consumption.io.source import NON_BLANK, count_breaks, encoding_problem, first_bad_utf8


@dataclass
class Rows:
    """The data rows as pyarrow text columns keyed by canonical name."""

    columns: dict[str, pa.ChunkedArray]
    count: int
    ragged: int
    quoted: bool


def parse_rows(data: bytes, header: Header, matched: Matched, file: str) -> Rows:
    """Parse every data row with pyarrow, each wanted column as text ("" when empty).

    Rows with the wrong number of fields are skipped and only counted here; the
    error path finds their lines itself, since pyarrow numbers rows (and only
    when single-threaded), not lines.
    """
    names = [f"c{i}" for i in range(len(header.names))]
    wanted = {name: names[position] for name, position in matched.index.items()}
    quoted = data.find(b'"', header.body_start) >= 0
    if not wanted or NON_BLANK.search(data, header.body_start) is None:
        empty = pa.chunked_array([], pa.string())
        return Rows(dict.fromkeys(wanted, empty), 0, 0, quoted)
    ragged: list[int] = []

    def skip_ragged(_: Any) -> str:
        ragged.append(1)
        return "skip"

    def parse(block_size: int | None) -> pa.Table:
        return pacsv.read_csv(
            pa.py_buffer(data)[header.body_start :],
            read_options=pacsv.ReadOptions(column_names=names, block_size=block_size),
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

    try:
        try:
            parsed = parse(None)
        except pa.ArrowInvalid as error:
            # A record longer than pyarrow's block (1 MiB by default) is no error of the file:
            # parse again in blocks that hold the longest record.
            if "straddl" not in str(error):
                raise
            ragged.clear()
            parsed = parse(_block_for_longest_record(data, header.body_start))
    except pa.ArrowInvalid as error:
        raise InputError([*matched.problems, _parse_problem(error, data, header, file)]) from None
    columns = {name: parsed.column(arrow_name) for name, arrow_name in wanted.items()}
    return Rows(columns, parsed.num_rows, len(ragged), quoted)


def _block_for_longest_record(data: bytes, start: int) -> int:
    """A parser block size that holds the longest line, with room to spare, below 2 GiB."""
    breaks = np.flatnonzero(np.frombuffer(data, np.uint8, offset=start) == ord("\n"))
    edges = np.concatenate(([0], breaks + 1, [len(data) - start]))
    longest = int(np.diff(edges).max()) if len(edges) > 1 else len(data) - start
    return min(2 * longest + (1 << 20), (1 << 31) - 1)


def _parse_problem(error: pa.ArrowInvalid, data: bytes, header: Header, file: str) -> Problem:
    """Turn a pyarrow parse failure into a problem with a line: bad UTF-8 or a runaway quote."""
    if "UTF8" in str(error):
        offset = first_bad_utf8(data, header.body_start)
        if offset < len(data):
            line = header.body_line + count_breaks(data, header.body_start, offset)
            return encoding_problem(data, offset, line, file)
    message = (
        'the rows cannot be parsed: most likely a quote (") opened on this line is never '
        "closed, so the rest of the file reads as one value; close the quote or remove it"
    )
    return Problem(Code.UNREADABLE_CSV, message, file, _runaway_quote_line(data, header))


def _runaway_quote_line(data: bytes, header: Header) -> int | None:
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
