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

import hashlib
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple, TypeAlias

import numpy as np
import pandas as pd

from consumption import constants as c
from consumption.errors import Code, InputError, UsageError
from consumption.io import cells as cells_
from consumption.io import schema as s
from consumption.io import typed
from consumption.io.cells import Cells
from consumption.io.formats import FileOptions, file_options
from consumption.io.header import Matched, ignored_notice, match_columns, read_header
from consumption.io.lines import FileLocator, merge_errors, raise_problems
from consumption.io.prepare import check_inputs
from consumption.io.rows import parse_rows
from consumption.io.schema import Table
from consumption.io.source import as_utf8, load
from consumption.io.validate import Locator, TableCheck, check_table, mark_validated
from consumption.progress import Progress

PathLike: TypeAlias = str | os.PathLike[str]


# --- public API ---------------------------------------------------------------------


def read_inventory(path: PathLike, **options: Any) -> pd.DataFrame:
    """Read and check an inventory file: one row per lot.

    Returns the canonical columns the file has (``item``, ``lot``, ``qty`` and
    ``shelf_life`` and/or ``expiry_date``; optional ``location``,
    ``available_date``, ``unit_cost``) in file order. ``attrs`` holds
    ``source``, ``sha256``, ``notices`` and ``headers`` (see ``read_table``).
    Raises ``InputError`` listing every problem found. ``options`` are the
    file's conventions (``decimal=","``, ``thousands="."``,
    ``date_format="%d.%m.%Y"``, ``columns={"Material": "item"}``, ``sheet=...``;
    see :class:`~consumption.io.formats.FileOptions`).
    """
    return read_table(path, s.INVENTORY, options=file_options(s.INVENTORY, options, "options"))


def read_demand(path: PathLike, **options: Any) -> pd.DataFrame:
    """Read and check a demand file: one row per demand line.

    ``requirement`` is always present (0 where the file has no such column or
    the cell is empty); ``priority`` is nullable ``Int64``. See ``read_inventory``.
    """
    return read_table(path, s.DEMAND, options=file_options(s.DEMAND, options, "options"))


def read_lanes(path: PathLike, **options: Any) -> pd.DataFrame:
    """Read and check a lanes file: one row per (from_location, to_location) lane."""
    return read_table(path, s.LANES, options=file_options(s.LANES, options, "options"))


def read_mrsl(path: PathLike, **options: Any) -> pd.DataFrame:
    """Read and check a customer MRSL table: a requirement per customer, item or item group
    (see :mod:`consumption.io.requirements`)."""
    return read_table(path, s.MRSL, options=file_options(s.MRSL, options, "options"))


def read_items(path: PathLike, **options: Any) -> pd.DataFrame:
    """Read and check an item table: ``item``, optional ``item_group`` and
    ``total_shelf_life``."""
    return read_table(path, s.ITEMS, options=file_options(s.ITEMS, options, "options"))


class Inputs(NamedTuple):
    """The input tables of one run, read and checked together."""

    inventory: pd.DataFrame
    demand: pd.DataFrame
    lanes: pd.DataFrame | None
    notices: list[str]
    mrsl: pd.DataFrame | None = None
    items: pd.DataFrame | None = None


def read_inputs(
    inventory: PathLike,
    demand: PathLike,
    lanes: PathLike | None = None,
    progress: bool | None = None,
    options: Mapping[str, FileOptions] | None = None,
    mrsl: PathLike | None = None,
    items: PathLike | None = None,
) -> Inputs:
    """Read every input file, raising one ``InputError`` with the problems of all of them.

    A planner who fixes the inventory should not learn about the demand file's
    problems only on the next run, so no file stops the reading of another.
    Notices (ignored columns, skipped empty rows, lanes naming unknown
    locations) are collected in ``Inputs.notices``; none of them is an error.
    ``progress``: a line on stderr naming the file and stage being read (None:
    on a terminal only), since ten million rows take seconds per file.
    ``options`` maps a table's name (``inventory``) to its file's conventions.
    ``mrsl`` and ``items`` are the optional customer MRSL and item tables.
    """
    _refuse_same_file(inventory, demand)
    jobs = [(inventory, s.INVENTORY), (demand, s.DEMAND)]
    optional = [(lanes, s.LANES), (mrsl, s.MRSL), (items, s.ITEMS)]
    jobs += [(path, table) for path, table in optional if path is not None]
    options = options or {}
    frames: list[pd.DataFrame] = []
    errors: list[InputError] = []
    with Progress("reading", len(jobs), show=progress) as bar:
        for path, table in jobs:
            try:
                frames.append(read_table(path, table, bar, options.get(table.name)))
            except InputError as error:
                errors.append(error)
            bar.step()
    if errors:
        raise merge_errors(errors)
    read = {table.name: frame for (_, table), frame in zip(jobs, frames, strict=True)}
    if frames[0].attrs["sha256"] == frames[1].attrs["sha256"]:
        raise UsageError(
            f"{inventory} and {demand} hold the same bytes: give the inventory and the "
            "demand as two different files"
        )
    notices = [notice for frame in frames for notice in frame.attrs["notices"]]
    lanes_frame = read.get(s.LANES.name)
    if lanes_frame is not None:
        notices += _lane_notices(frames[0], frames[1], lanes_frame)
    return Inputs(
        frames[0], frames[1], lanes_frame, notices, read.get(s.MRSL.name), read.get(s.ITEMS.name)
    )


def _refuse_same_file(inventory: PathLike, demand: PathLike) -> None:
    if Path(inventory).resolve() == Path(demand).resolve():
        raise UsageError(
            f"{inventory} is given as both the inventory and the demand: give the demand file"
        )


def validate_files(
    inventory: PathLike,
    demand: PathLike,
    lanes: PathLike | None = None,
    as_of: np.datetime64 | None = None,
    options: Mapping[str, FileOptions] | None = None,
    mrsl: PathLike | None = None,
    items: PathLike | None = None,
    **rules: Any,
) -> Inputs:
    """Check the input files with every rule a run applies: return them, or raise.

    Problems of every file are raised together (``InputError``); a run's
    options that the rules need (``as_of``, ``rules`` such as ``prefer``) are
    checked as a run would.
    """
    inputs = read_inputs(inventory, demand, lanes, options=options, mrsl=mrsl, items=items)
    check_inputs(
        inputs.inventory, inputs.demand, inputs.lanes, as_of,
        mrsl=inputs.mrsl, items=inputs.items, **rules,
    )  # fmt: skip
    return inputs


def read_table(
    path: PathLike,
    table: Table,
    progress: Progress | None = None,
    options: FileOptions | None = None,
) -> pd.DataFrame:
    """Read one CSV file as ``table`` describes it (the work behind ``read_*``).

    The stages: bytes and encoding (:mod:`~consumption.io.source`), the header
    (:mod:`~consumption.io.header`), the rows as text (:mod:`~consumption.io.rows`),
    typed cells (:mod:`~consumption.io.cells`) and the rules
    (:mod:`~consumption.io.validate`); problems get their editor lines
    (:mod:`~consumption.io.lines`). The frame's ``attrs``: ``source`` (the path
    as given), ``sha256`` (of the file's bytes, for the run summary), ``notices``
    (list of str: ignored columns, skipped empty rows) and ``headers`` (canonical
    name -> header as written, so that later messages use the planner's own
    words), and the validator's mark. ``progress`` is told each stage
    (``read_inputs`` draws the line). ``options``: the file's conventions and
    column names (:class:`~consumption.io.formats.FileOptions`).
    """
    options = options or FileOptions()
    file = os.fspath(path)
    say = progress.note if progress is not None else _silent
    say(f"{Path(file).name}: loading")
    raw = load(file)
    kind = typed.kind_of(raw, file)
    if options.sheet is not None and kind != "workbook":
        raise UsageError(f"{file}: a sheet is named for it, but it is not an Excel workbook")
    if kind is not None:
        return _read_typed(file, raw, kind, table, options, say)
    data, start = as_utf8(raw, file)
    header = read_header(data, start, file)
    matched = match_columns(header, table, file, options.columns)
    say(f"{Path(file).name}: parsing {len(raw) / 1e6:,.0f} MB")
    rows = parse_rows(data, header, matched, file)
    say(f"{Path(file).name}: checking {rows.count:,} rows")
    columns = {
        name: cells_.of_text(table.column(name), strings, options, header.delimiter)
        for name, strings in rows.columns.items()
    }
    checked = check_table(table, columns, rows.count)
    headers = {name: header.names[i] for name, i in matched.index.items()}
    if matched.problems or checked.findings or rows.ragged:
        raise_problems(matched.problems, checked.findings, rows, data, header, headers, file)
    kept = np.flatnonzero(~checked.blank) if checked.blank.any() else None
    sha256 = hashlib.sha256(raw).hexdigest()
    locator = FileLocator(file, sha256, header, rows.quoted, rows.count, headers, kept)
    return _checked(table, columns, checked, file, sha256, matched, headers, locator)


def _read_typed(
    file: str, raw: bytes, kind: str, table: Table, options: FileOptions, say: Any
) -> pd.DataFrame:
    """A workbook sheet or a Parquet file, checked by the same rules as a CSV file."""
    say(f"{Path(file).name}: reading the {kind}")
    got = (
        typed.read_parquet(file, table, options)
        if kind == "parquet"
        else typed.read_workbook(file, table, options)
    )
    say(f"{Path(file).name}: checking {got.count:,} rows")
    checked = check_table(table, got.columns, got.count)
    headers = {name: got.header.names[i] for name, i in got.matched.index.items()}
    locator = typed.SheetLocator(file, got.first_row, headers)
    # Header problems sit at the header's row (a sheet's) or at no row (Parquet has none).
    header_row = got.header.line or None
    header_problems = [replace(p, line=None, row=header_row) for p in got.matched.problems]
    if header_problems or checked.findings:
        typed.raise_sheet_problems(header_problems, checked.findings, locator, c.MAX_PROBLEMS)
    kept = np.flatnonzero(~checked.blank) if checked.blank.any() else None
    sha256 = hashlib.sha256(raw).hexdigest()
    return _checked(
        table, got.columns, checked, file, sha256, got.matched, headers, locator.for_frame(kept)
    )


def _checked(
    table: Table,
    columns: dict[str, Cells],
    checked: TableCheck,
    file: str,
    sha256: str,
    matched: Matched,
    headers: dict[str, str],
    locator: Locator,
) -> pd.DataFrame:
    """The canonical frame of a file that passed its table's rules, with its ``attrs``."""
    frame = cells_.frame(table, cells_.checked_values(columns), checked.blank)
    notices = ignored_notice(matched.ignored, file)
    if checked.blank.any():
        notices.append(
            f"{file}: {int(checked.blank.sum())} rows with every cell empty were skipped"
        )
    frame.attrs.update(source=file, sha256=sha256, notices=notices, headers=headers)
    mark_validated(frame, locator)
    return frame


def _silent(_: str) -> None:
    """Where no progress line is drawn, stages go nowhere."""


# --- notices across files ----------------------------------------------------------------


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
        f"demand: {listed}{more} [{Code.UNKNOWN_LOCATION}]"
    ]


__all__ = [
    "Inputs",
    "PathLike",
    "read_demand",
    "read_inputs",
    "read_inventory",
    "read_items",
    "read_lanes",
    "read_mrsl",
    "read_table",
    "validate_files",
]
