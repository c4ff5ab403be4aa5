"""How one input file writes its numbers and dates, and which of its headers is which column.

Exports from SAP, Oracle, Excel and Anaplan follow the conventions of the
system and locale that wrote them: ``1.500,25`` and ``31.12.2026`` in a German
export, ``Material;Plant;Batch`` as headers. :class:`FileOptions` says so for
one file; the readers parse by it and the validator refuses what stays
ambiguous (``1.500`` in a semicolon file whose decimal mark nobody named).

>>> FileOptions(decimal=",", thousands=".").number_text("1.500,25")
'1500.25'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from consumption.errors import UsageError
from consumption.errors import option as named
from consumption.io.schema import Table

DECIMALS: Final = (".", ",")
# Characters that group thousands in exports: none, '.', ',', a space, an apostrophe (Swiss),
# a no-break space.
THOUSANDS: Final = ("", ".", ",", " ", "'", "\u00a0", "\u202f")
_PROBE_DATE: Final = dt.date(2026, 12, 31)


@dataclass(frozen=True)
class FileOptions:
    """The conventions of one input file.

    ``decimal``: the decimal mark; None means '.', with numbers that a
    semicolon file (the mark of a comma locale) makes ambiguous refused.
    ``thousands``: the character that groups thousands, "" for none.
    ``date_format``: a ``strftime`` pattern such as ``%d.%m.%Y``; None means ISO
    ``YYYY-MM-DD``. ``columns``: the file's own headers mapped to canonical
    column names. ``sheet``: the worksheet of an Excel workbook (default: the first).
    """

    decimal: str | None = None
    thousands: str | None = None
    date_format: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    sheet: str | None = None

    def number_text(self, text: str) -> str:
        """A number as written in this file, as the engine reads numbers (``.`` decimal mark)."""
        if self.thousands:
            text = text.replace(self.thousands, "")
        if self.decimal == ",":
            text = text.replace(",", ".")
        return text

    @property
    def regional(self) -> bool:
        """Whether numbers need rewriting before they are read."""
        return bool(self.thousands) or self.decimal == ","


def file_options(
    table: Table, given: Mapping[str, Any], where: str, *, in_file: bool = False
) -> FileOptions:
    """Check options given for ``table`` (from ``scenario.toml`` or the command line).

    ``where`` names their source in messages (``scenario.toml [inventory]``);
    ``in_file`` names each setting as its key in that file (``decimal=``) rather
    than as the option of the command line or the API.
    """

    def option(key: str) -> str:
        return f"{key}=" if in_file else named(key)

    known = {"decimal", "thousands", "date_format", "columns", "sheet"}
    unknown = sorted(set(given) - known)
    if unknown:
        raise UsageError(
            f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    decimal = given.get("decimal")
    if decimal is not None and decimal not in DECIMALS:
        raise UsageError(f"{where}: {option('decimal')} must be '.' or ',', not {decimal!r}")
    thousands = given.get("thousands")
    if thousands is not None:
        if thousands not in THOUSANDS:
            shown = ", ".join(repr(t) for t in THOUSANDS)
            raise UsageError(f"{where}: {option('thousands')} must be one of {shown}")
        if thousands and thousands == (decimal or "."):
            raise UsageError(
                f"{where}: {option('thousands')} {thousands!r} is also the decimal mark; "
                f"give {option('decimal')} too (e.g. decimal ',' with thousands '.')"
            )
    date_format = given.get("date_format")
    if date_format is not None:
        _check_date_format(date_format, where, option)
    columns = dict(given.get("columns") or {})
    names = [column.name for column in table.columns]
    for header, name in columns.items():
        if not isinstance(header, str) or not isinstance(name, str) or name not in names:
            raise UsageError(
                f"{where}: column map {header!r} = {name!r}: the {table.name} columns are "
                f"{', '.join(names)}"
            )
    sheet = given.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        raise UsageError(f"{where}: sheet must be the name of a worksheet, not {sheet!r}")
    return FileOptions(decimal, thousands, date_format, columns, sheet)


def _check_date_format(pattern: Any, where: str, option: Callable[[str], str]) -> None:
    """A date format must name year, month and day, and read back what it writes."""
    if (
        not isinstance(pattern, str)
        or not all(f"%{c}" in pattern for c in "md")
        or ("%Y" not in pattern and "%y" not in pattern)
    ):
        raise UsageError(
            f"{where}: {option('date_format')} {pattern!r} must give year, month and day, "
            "e.g. '%d.%m.%Y' or '%m/%d/%Y'"
        )
    try:
        dt.datetime.strptime(_PROBE_DATE.strftime(pattern), pattern)
    except ValueError as error:
        raise UsageError(f"{where}: {option('date_format')} {pattern!r} cannot be read back") from (
            error
        )
