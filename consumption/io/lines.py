"""Editor lines of data rows, for problems: the error path of reading a CSV file.

pyarrow numbers the rows it keeps; an editor numbers lines, and the two
differ where blank lines are skipped or a quoted value spans lines. Finding
the lines costs a pass over the text, so it is done only when there is a
problem to report: while reading (the file's bytes at hand), or later, for a
problem found across files, by :class:`FileLocator` reading the file again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn

import numpy as np

from consumption import constants as c
from consumption.errors import Code, InputError, Problem
from consumption.io.header import DELIMITER_NAMES, Header
from consumption.io.rows import Rows
from consumption.io.validate import OTHER, Finding


@dataclass(frozen=True)
class RowLines:
    """Editor lines of the rows pyarrow kept, and the rows it skipped for their field count."""

    lines: np.ndarray | None
    ragged: list[tuple[int, int, str]]


def raise_problems(
    header_problems: list[Problem],
    findings: list[Finding],
    rows: Rows,
    data: bytes,
    header: Header,
    headers: dict[str, str],
    file: str,
) -> NoReturn:
    """Give every finding its line, sort them all, cap them and raise one InputError.

    ``headers`` maps canonical column names to the headers as written, so that
    messages speak of the planner's own columns.
    """
    problems = list(header_problems)
    hidden = sum(f.hidden for f in findings)
    if findings or rows.ragged:
        located = locate_rows(data, header, rows.quoted, rows.ragged, rows.count)
        problems += [_finish(f, located.lines, headers, file) for f in findings]
        problems += [_ragged_problem(*bad, header, file) for bad in located.ragged]
        hidden += max(0, rows.ragged - len(located.ragged))
    problems.sort(key=lambda p: (p.line is not None, p.line or 0, _position(p, header)))
    shown = problems[: c.MAX_PROBLEMS]
    raise InputError(shown, truncated=hidden + len(problems) - len(shown))


def _position(problem: Problem, header: Header) -> int:
    return header.names.index(problem.column) if problem.column in header.names else -1


def _finish(
    finding: Finding, lines: np.ndarray | None, headers: dict[str, str], file: str
) -> Problem:
    def line_of(row: int) -> int | None:
        return int(lines[row]) if lines is not None and 0 <= row < len(lines) else None

    message = finding.message
    if finding.other_row is not None:
        other = line_of(finding.other_row)
        message = message.replace(OTHER, f"line {other}" if other is not None else "another line")
    column = None if finding.column is None else headers.get(finding.column, finding.column)
    return Problem(finding.code, message, file, line_of(finding.row), column, finding.value)


@dataclass
class FileLocator:
    """Finds the editor lines of a checked frame's rows, when a later rule needs them.

    It holds what reading learnt about the file, not its bytes: a problem found
    across files (a quantity too large in the scale both files need) reads the
    file again, and names data rows only if the file changed meanwhile.
    """

    file: str
    sha256: str
    header: Header
    quoted: bool
    count: int  # rows pyarrow kept
    headers: dict[str, str]
    kept: np.ndarray | None = field(default=None, repr=False)  # frame row -> parsed row

    def problems(self, findings: list[Finding]) -> list[Problem]:
        lines = self._lines()
        parsed = [f if self.kept is None else _shifted(f, self.kept) for f in findings]
        if lines is None:
            return [_by_row(f, self.headers, self.file) for f in parsed]
        return [_finish(f, lines, self.headers, self.file) for f in parsed]

    def _lines(self) -> np.ndarray | None:
        from consumption.io.source import as_utf8

        try:
            raw = Path(self.file).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(raw).hexdigest() != self.sha256:
            return None
        data, _ = as_utf8(raw, self.file)
        return locate_rows(data, self.header, self.quoted, 0, self.count).lines


def _shifted(finding: Finding, kept: np.ndarray) -> Finding:
    other = None if finding.other_row is None else int(kept[finding.other_row])
    return replace(finding, row=int(kept[finding.row]), other_row=other)


def _by_row(finding: Finding, headers: dict[str, str], file: str) -> Problem:
    """A problem at a data row, for a file that changed since it was read."""
    column = None if finding.column is None else headers.get(finding.column, finding.column)
    message = finding.message
    if finding.other_row is not None:
        message = message.replace(OTHER, f"data row {finding.other_row + 1}")
    message += f" (data row {finding.row + 1}; the file changed since it was read)"
    return Problem(finding.code, message, file, None, column, finding.value)


# A number whose thousands are grouped by the file's own delimiter: "1,500" in a comma file.
# %d: the number of extra fields, one per separator.
_GROUPED_NUMBER = r"(?:^|,)(\d{1,3}(?:,\d{3}){%d})(?=,|$)"


def _ragged_problem(line: int, fields: int, text: str, header: Header, file: str) -> Problem:
    expected = len(header.names)
    delimiter = DELIMITER_NAMES[header.delimiter]
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
        grouped = re.search(_GROUPED_NUMBER % (fields - expected), text)
        if header.delimiter == "," and grouped:
            number = grouped[1]
            fix += f" (if {number} is one number, write it {number.replace(',', '')})"
    else:
        fix = f"add the missing fields (an empty field is just a {delimiter})"
    message = f"this row has {fields} fields but the header has {expected}: {fix}"
    return Problem(Code.RAGGED_ROW, message, file, line, None, text)


def locate_rows(data: bytes, header: Header, quoted: bool, ragged: int, count: int) -> RowLines:
    """Where each kept row is in the file (error path only: it costs a pass over the text).

    ``quoted``: the body holds a quote, so a record may span lines; ``ragged``:
    how many rows pyarrow skipped for their field count; ``count``: how many it kept.
    """
    if quoted:
        located = _locate_with_csv(data, header)
    else:
        located = _locate_with_numpy(data, header, ragged > 0)
    if located.lines is not None and len(located.lines) != count:
        return RowLines(None, located.ragged)  # the parsers disagree: no line beats a wrong one
    return located


def _locate_with_numpy(data: bytes, header: Header, ragged: bool) -> RowLines:
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
    return RowLines(lines[kept], bad)


def _locate_with_csv(data: bytes, header: Header) -> RowLines:
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
        return RowLines(None, bad)
    return RowLines(np.array(lines, np.int64), bad)


def merge_errors(errors: list[InputError]) -> InputError:
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
