"""Reading a file's bytes: missing and unreadable files, encodings, binary content.

The first stage of reading a CSV file (SPEC §5): the bytes, as UTF-8 text
and where that text starts. UTF-8 is kept as it is and validated by pyarrow
while parsing (far faster than decoding it here); UTF-16 is transcoded;
workbooks, archives and other binary files are refused saying what they are.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import NoReturn

from consumption.errors import Code, InputError, Problem

NON_BLANK = re.compile(rb"[^ \t\r\n]")
SAVE_AS = "save it from Excel as 'CSV UTF-8 (Comma delimited)'"
_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"%PDF", "a PDF document"),
)


def fail(problem: Problem) -> NoReturn:
    """Stop reading a file whose whole content is unusable (one problem says it all)."""
    raise InputError([problem])


def load(file: str) -> bytes:
    """The file's bytes; a missing or unreadable file is a problem, not a traceback."""
    try:
        return Path(file).read_bytes()
    except FileNotFoundError:
        fail(Problem(Code.MISSING_FILE, "no such file: check the path", file))
    except IsADirectoryError:
        fail(Problem(Code.UNREADABLE_FILE, "this is a folder: give the path of a CSV file", file))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        fail(Problem(Code.UNREADABLE_FILE, f"cannot read the file ({reason}): check it", file))


def as_utf8(raw: bytes, file: str) -> tuple[bytes, int]:
    """The text as UTF-8 bytes and the offset where it starts (after a byte-order mark).

    UTF-16 (Excel's "Unicode text") is transcoded; UTF-8 is kept as it is and
    validated by pyarrow while parsing, far faster than decoding it here.
    """
    data, start = raw, 0
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            data = raw.decode("utf-16").encode("utf-8")
        except UnicodeError:
            message = f"the file starts like UTF-16 text but is not valid UTF-16: {SAVE_AS}"
            fail(Problem(Code.ENCODING, message, file))
    elif raw.startswith(codecs.BOM_UTF8):
        start = len(codecs.BOM_UTF8)
    _refuse_binary(data, start, file)
    if NON_BLANK.search(data, start) is None:
        message = "the file is empty: it needs a header row naming the columns, then data rows"
        fail(Problem(Code.EMPTY_FILE, message, file))
    return data, start


def _refuse_binary(data: bytes, start: int, file: str) -> None:
    """Refuse workbooks, archives and other binary files, saying what they look like."""
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature, start):
            fail(Problem(Code.BINARY_FILE, f"this is {what}, not CSV text: {SAVE_AS}", file))
    nul = data.find(b"\x00", start)
    if nul < 0:
        return
    if _looks_like_utf16(data[start : start + 512]):
        message = f"the file looks like UTF-16 text without a byte-order mark: {SAVE_AS}"
    else:
        message = f"the file holds NUL bytes: it is binary, not CSV text; {SAVE_AS}"
    fail(Problem(Code.BINARY_FILE, message, file, line=line_at(data, start, nul)))


def _looks_like_utf16(sample: bytes) -> bool:
    """UTF-16 text of Latin letters has a NUL in every other byte."""
    zeros = max(sample[0::2].count(0), sample[1::2].count(0))
    return zeros >= len(sample) // 4


def count_breaks(data: bytes, begin: int, end: int) -> int:
    """Line breaks in ``data[begin:end]``; ``\\r\\n``, ``\\n`` and a lone ``\\r`` count once."""
    crlf = data.count(b"\r\n", begin, end)
    return data.count(b"\n", begin, end) + data.count(b"\r", begin, end) - crlf


def line_at(data: bytes, start: int, offset: int) -> int:
    """The editor line (1-based) of byte ``offset``; the text starts at ``start``."""
    return 1 + count_breaks(data, start, offset)


def encoding_problem(data: bytes, offset: int, line: int, file: str) -> Problem:
    """Explain bytes that are not UTF-8: most often a file Excel saved as plain 'CSV'."""
    begin = max(data.rfind(b, 0, offset) for b in (b"\n", b"\r", b",", b";", b"\t")) + 1
    ends = [i for i in (data.find(b, offset) for b in (b"\n", b"\r", b",", b";", b"\t")) if i >= 0]
    cell = data[begin : min([*ends, offset + 40])].decode("cp1252", errors="replace")
    message = (
        f"byte 0x{data[offset]:02X} is not UTF-8: the file is not UTF-8; it looks like "
        f"Windows-1252 / Latin-1: {SAVE_AS}, or re-encode it as UTF-8"
    )
    return Problem(Code.ENCODING, message, file, line, None, cell)


def first_bad_utf8(data: bytes, start: int) -> int:
    """Offset of the first byte that is not valid UTF-8 (``len(data)`` when all are valid)."""
    try:
        codecs.utf_8_decode(memoryview(data)[start:], "strict", True)
    except UnicodeDecodeError as error:
        return start + error.start
    return len(data)
