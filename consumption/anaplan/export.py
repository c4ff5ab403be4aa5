"""The Anaplan-ready export (SPEC §7): list and module files plus ``manifest.json``.

Every file loads through a plain Anaplan import without edits: lists first
(``Code,Name,Parent`` then properties), modules after them (dimension columns
named as the lists, then line items), UTF-8, comma, minimal quoting, plain
numbers, ``TRUE``/``FALSE`` and ISO dates, as :mod:`consumption.writing`
writes every output. The manifest lists the files in load order, with each
column's role and format, so a model builder can set up the imports from it
and ``consumption push`` can check what it uploads.

Names are Title Case because an Anaplan import maps a column to the list or
line item of the same name by itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from consumption import constants as C
from consumption.anaplan import manifest
from consumption.anaplan.codes import codes, importable
from consumption.errors import InvariantError
from consumption.io.outfolder import current_folder
from consumption.io.write import write_csv

if TYPE_CHECKING:
    from consumption.outputs.result import Extra, Result

KIND_LIST: Final = "list"
KIND_MODULE: Final = "module"

ROLE_CODE: Final = "code"
ROLE_NAME: Final = "name"
ROLE_PARENT: Final = "parent"
ROLE_PROPERTY: Final = "property"
ROLE_DIMENSION: Final = "dimension"
ROLE_LINE_ITEM: Final = "line item"

TEXT: Final = "text"
NUMBER: Final = "number"
DATE: Final = "date"
BOOLEAN: Final = "boolean"

# Lists
ITEMS: Final = "Items"
LOCATIONS: Final = "Locations"
RULES: Final = "Shelf Life Rules"
LOTS: Final = "Lots"
LINES: Final = "Demand Lines"
BATCHES: Final = "Batches"
# Modules
LOT_CONSUMPTION: Final = "Lot Consumption"
REMAINING_DEMAND: Final = "Remaining Demand"
DEMAND_FILL: Final = "Demand Fill"
REFRESH_LOG: Final = "Refresh Log"


@dataclass(frozen=True)
class Column:
    """One column of an export file: its header, its role in the import, its Anaplan format.

    ``format`` is ``text``, ``number``, ``date``, ``boolean`` or ``list:NAME``
    (a list-formatted property or line item, or a module's dimension).
    """

    name: str
    role: str
    format: str = TEXT

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role, "format": self.format}


@dataclass(frozen=True)
class ExportFile:
    """A list or module file of the export: what it loads into and its rows."""

    file: str
    kind: str
    target: str
    columns: tuple[Column, ...]
    frame: pd.DataFrame

    def __post_init__(self) -> None:
        if list(self.frame.columns) != [c.name for c in self.columns]:
            raise InvariantError(f"{self.file}: frame columns differ from the declared columns")


def _list_of(name: str) -> str:
    return f"list:{name}"


def _text(values: Iterable[Any] | pa.Array) -> pa.Array:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return pc.cast(values, pa.large_string())
    return pa.array([str(v) for v in values], pa.large_string())


def _decoded(column: pd.Series) -> pa.Array:
    """A frame column as Arrow text (categoricals decoded, missing as empty)."""
    values = pa.array(column, from_pandas=True)
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return pc.fill_null(pc.cast(values, pa.large_string()), "")


def _series(values: pa.Array) -> pd.Series:
    """Arrow text as a pandas column without converting it to Python strings."""
    return pd.Series(pd.arrays.ArrowExtensionArray(values))


@dataclass(frozen=True)
class _Dimension:
    """A list's codes, and the position of each source value among them."""

    texts: list[str]
    codes: pa.Array

    def codes_of(self, positions: np.ndarray) -> pa.Array:
        return self.codes.take(pa.array(np.asarray(positions, dtype=np.int64)))

    def texts_of(self, positions: np.ndarray) -> pa.Array:
        return pa.array(self.texts, pa.large_string()).take(
            pa.array(np.asarray(positions, dtype=np.int64))
        )


def _dimension(names: pa.Array) -> _Dimension:
    """A list whose items are the instance's sorted names (items, locations)."""
    texts = [str(name) for name in names.to_pylist()]
    return _Dimension(texts, codes(_text(texts)))


def _list_file(
    file: str, target: str, code: pa.Array, properties: dict[str, tuple[str, Any]]
) -> ExportFile:
    """A list file: the code doubles as the name (Anaplan limits both to 60 characters)."""
    columns = [Column("Code", ROLE_CODE), Column("Name", ROLE_NAME), Column("Parent", ROLE_PARENT)]
    data: dict[str, Any] = {"Code": _series(code), "Name": _series(code), "Parent": ""}
    for name, (fmt, values) in properties.items():
        columns.append(Column(name, ROLE_PROPERTY, fmt))
        data[name] = values
    return ExportFile(file, KIND_LIST, target, tuple(columns), pd.DataFrame(data))


def _module_file(
    file: str,
    target: str,
    dimensions: dict[str, pa.Array],
    line_items: dict[str, tuple[str, Any]],
) -> ExportFile:
    columns = [Column(name, ROLE_DIMENSION, _list_of(name)) for name in dimensions]
    data: dict[str, Any] = {name: _series(values) for name, values in dimensions.items()}
    for name, (fmt, values) in line_items.items():
        columns.append(Column(name, ROLE_LINE_ITEM, fmt))
        data[name] = values
    return ExportFile(file, KIND_MODULE, target, tuple(columns), pd.DataFrame(data))


def _plain(values: pd.Series | np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """Values without the source frame's index, so that columns line up by position."""
    return values.array if isinstance(values, pd.Series) else values


def build(result: Result) -> list[ExportFile]:
    """Every file of the export, in the order a model loads them (lists, then modules)."""
    lots, demand, inst = result.lots, result.demand, result.instance
    # The instance's integer codes say which item and location each row has.
    items = _dimension(inst.items)
    locations = _dimension(inst.locations)
    requirements = sorted(set(inst.line_requirement.tolist()))
    rules = _dimension(pa.array([str(r) for r in requirements]))

    lot_item = items.codes_of(inst.lot_item)
    lot_location = locations.codes_of(inst.lot_location)
    lot_codes = codes(
        items.texts_of(inst.lot_item), locations.texts_of(inst.lot_location), inst.lot_id
    )
    line_codes = codes(_decoded(demand[C.LINE]))
    line_rule = rules.codes_of(np.searchsorted(requirements, inst.line_requirement))

    batch = batch_id(result)
    return [
        _list_file("items.csv", ITEMS, items.codes, {"Item": (TEXT, items.texts)}),
        _list_file(
            "locations.csv", LOCATIONS, locations.codes, {"Location": (TEXT, locations.texts)}
        ),
        _list_file("shelf_life_rules.csv", RULES, rules.codes, {"Days": (NUMBER, requirements)}),
        # Before lots and demand lines: their Batch property is formatted as this list.
        _list_file("batches.csv", BATCHES, _text([batch]), {}),
        _list_file(
            "lots.csv",
            LOTS,
            lot_codes,
            {
                "Item": (_list_of(ITEMS), _series(lot_item)),
                "Location": (_list_of(LOCATIONS), _series(lot_location)),
                "Lot": (TEXT, _plain(lots[C.LOT])),
                "Shelf Life": (NUMBER, _plain(lots[C.SHELF_LIFE])),
                "Expiry Date": (DATE, _plain(lots[C.EXPIRY_DATE])),
                # The batch that last loaded the item: a list import never deletes items,
                # so the model tells stale ones by it and removes them (delete by selection).
                "Batch": (_list_of(BATCHES), _series(_text([batch] * len(lots)))),
            },
        ),
        _list_file(
            "demand_lines.csv",
            LINES,
            line_codes,
            {
                "Line": (TEXT, _series(_decoded(demand[C.LINE]))),
                "Item": (_list_of(ITEMS), _series(items.codes_of(inst.line_item))),
                "Location": (_list_of(LOCATIONS), _series(locations.codes_of(inst.line_location))),
                "Customer": (TEXT, _plain(demand[C.CUSTOMER])),
                "Shelf Life Rule": (_list_of(RULES), _series(line_rule)),
                "Due Date": (DATE, _plain(demand[C.DUE_DATE])),
                "Priority": (NUMBER, _plain(demand[C.PRIORITY])),
                "Batch": (_list_of(BATCHES), _series(_text([batch] * len(demand)))),
            },
        ),
        _module_file(
            "lot_consumption.csv",
            LOT_CONSUMPTION,
            {LOTS: lot_codes},
            {
                "Rank": (NUMBER, _plain(lots[C.RANK])),
                "Lot Qty": (NUMBER, _plain(lots[C.QTY])),
                "Requirement Considered": (NUMBER, _plain(lots[C.REQUIREMENT_CONSIDERED])),
                "Consumed": (NUMBER, _plain(lots[C.CONSUMED])),
                "Remaining": (NUMBER, _plain(lots[C.REMAINING])),
                "Status": (TEXT, _plain(lots[C.STATUS])),
                "Reason": (TEXT, _plain(lots[C.REASON])),
            },
        ),
        _remaining_demand_file(result, lot_codes, rules, requirements),
        _module_file(
            "demand_fill.csv",
            DEMAND_FILL,
            {LINES: line_codes},
            {
                "Demand Qty": (NUMBER, _plain(demand[C.QTY])),
                "Filled": (NUMBER, _plain(demand[C.FILLED])),
                "Short": (NUMBER, _plain(demand[C.SHORT])),
                "Filled In Full": (BOOLEAN, (demand[C.SHORT] <= 0).to_numpy()),
                "Short Reason": (TEXT, _plain(demand[C.REASON])),
            },
        ),
        _refresh_log_file(result, batch),
    ]


def _remaining_demand_file(
    result: Result, lot_codes: pa.Array, rules: _Dimension, requirements: list[int]
) -> ExportFile:
    """Remaining demand by lot and shelf-life rule, from ``result.remaining_demand``."""
    rows = result.remaining_arrays  # the lot of each row, as an index into lots.csv
    rule = np.searchsorted(requirements, rows.requirement)
    return _module_file(
        "remaining_demand.csv",
        REMAINING_DEMAND,
        {LOTS: lot_codes.take(pa.array(rows.lot)), RULES: rules.codes_of(rule)},
        {"Remaining Demand": (NUMBER, _plain(result.remaining_demand[C.REMAINING_DEMAND]))},
    )


def batch_id(result: Result) -> str:
    """The run's id in the refresh log: its UTC time, then a hash of its parameters.

    The hash separates two runs started in the same second on different inputs;
    the same run written twice keeps its id, so reloading it does not add a batch.
    """
    run = result.summary.get("run", {})
    created = dt.datetime.fromisoformat(run["created"]).astimezone(dt.UTC)
    digest = hashlib.sha256(json.dumps(run, sort_keys=True, default=str).encode()).hexdigest()
    return f"run-{created:%Y%m%d-%H%M%S}-{digest[:8]}"


def _refresh_log_file(result: Result, batch: str) -> ExportFile:
    """One row for the model's refresh log: when, as of when, and how much was loaded."""
    run, totals = result.summary.get("run", {}), result.summary.get("totals", {})
    created = dt.datetime.fromisoformat(run["created"]).astimezone(dt.UTC)
    as_of = pd.to_datetime(pd.Series([run.get("as_of")]), errors="coerce").astype("datetime64[s]")
    quantities = {
        "Demand Qty": totals.get("demand"),
        "Filled Qty": totals.get("filled"),
        "Short Qty": totals.get("short"),
        "Lot Qty": totals.get("lot_qty"),
        "Consumed Qty": totals.get("consumed"),
        "Remaining Qty": totals.get("remaining"),
    }
    line_items: dict[str, tuple[str, Any]] = {
        "Timestamp": (TEXT, [created.strftime("%Y-%m-%dT%H:%M:%SZ")]),
        "Run Date": (DATE, pd.Series([created.date()], dtype="datetime64[s]").array),
        "As Of": (DATE, as_of.array),
        "Engine": (TEXT, [str(run.get("engine") or "")]),
        "Order": (TEXT, [str(run.get("order") or "")]),
        "Lot Count": (NUMBER, [len(result.lots)]),
        "Demand Line Count": (NUMBER, [len(result.demand)]),
        "Allocation Count": (NUMBER, [len(result.allocations)]),
        "Remaining Demand Count": (NUMBER, [len(result.remaining_demand)]),
    }
    for name, value in quantities.items():
        column = np.array([value], dtype=np.float64 if result.decimals else np.int64)
        line_items[name] = (NUMBER, column)
    return _module_file("refresh_log.csv", REFRESH_LOG, {BATCHES: _text([batch])}, line_items)


def write_export(folder: Path, result: Result, run_id: str) -> dict[str, Any]:
    """Write every export file and ``manifest.json`` into ``folder``; return the manifest.

    Called with the run's folder by :meth:`Result.write`, so the export is
    replaced together with the other outputs, never half-written, and its
    manifest names the run (``push`` loads nothing of another run).
    """
    folder.mkdir(parents=True, exist_ok=True)
    files = build(result)
    entries = []
    notices = []
    for export in files:
        path = folder / export.file
        frame, replaced = _importable(export)
        notices += [
            f"{export.file}: {count:,} value(s) of {name!r} held control characters an Anaplan "
            f"import cannot take (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F); each is "
            "written as U+FFFD"
            for name, count in replaced.items()
        ]
        write_csv(path, frame, result.decimals)
        entries.append(
            manifest.entry(
                export.file, export.kind, export.target,
                [column.to_json() for column in export.columns], len(export.frame), path,
            )
        )  # fmt: skip
    run = result.summary.get("run", {})
    batch = str(files[-1].frame[BATCHES].iloc[0])
    return manifest.write(
        folder, run_id, batch, run.get("created"), run.get("as_of"), entries, notices
    )


def _importable(export: ExportFile) -> tuple[pd.DataFrame, dict[str, int]]:
    """The file's frame with the control characters Anaplan refuses replaced in every
    text column (codes never hold them), and how many values of each column had one."""
    frame = export.frame
    replaced: dict[str, int] = {}
    for column in export.columns:
        if column.format != TEXT or column.role == ROLE_CODE:
            continue
        values = pa.array(frame[column.name], from_pandas=True)
        if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
            continue
        fixed, count = importable(values)
        if count:
            frame = frame if replaced else frame.copy()
            frame[column.name] = _series(pc.cast(fixed, pa.large_string()))
            replaced[column.name] = count
    return frame, replaced


def notices(out_dir: str | Path) -> list[str]:
    """What the export of ``out_dir``'s current run changed to be importable."""
    path = current_folder(out_dir) / C.ANAPLAN_DIR / manifest.MANIFEST_FILE
    try:
        found = json.loads(path.read_text(encoding="utf-8")).get("notices", [])
    except (OSError, ValueError):
        return []
    return [str(n) for n in found] if isinstance(found, list) else []


def write(
    result: Result,
    out_dir: str | Path = C.DEFAULT_OUT_DIR,
    *,
    formats: tuple[str, ...] = (),
    protected: tuple[Path, ...] = (),
    on_wait: Callable[[str], None] | None = None,
    extras: Sequence[Extra] = (),
) -> list[Path]:
    """Write a result's §6 outputs and its Anaplan export (``OUT/anaplan/``), as one set.

    >>> from consumption import allocate  # doctest: +SKIP
    >>> write(allocate(inventory, demand), "out/")  # doctest: +SKIP
    """
    return result.write(
        out_dir,
        formats=formats,
        protected=protected,
        remaining_demand=True,  # the Remaining Demand module is loaded from it
        on_wait=on_wait,
        extras=[
            lambda folder, run_id: write_export(folder / C.ANAPLAN_DIR, result, run_id),
            *extras,
        ],
    )
