"""The allocation problem as integer-coded numpy arrays.

Text (items, locations, lot ids) is factorized once here, at the edge; the
kernels only ever see integer codes, integer keys and integer quantities.
Quantities are scaled to integers (units of ``10**-decimals``) so that every
sum the engine forms conserves exactly.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from . import constants as C
from .errors import InputError, Problem
from .segments import radix_argsort, rank_within, run_first
from .textcodes import (
    argsort_with_text_ties,
    byte_matrix,
    duplicate_rows,
    factorize_sorted,
    ordinal_codes,
)

_EXACT_FLOAT_LIMIT = 2**53  # beyond it a float no longer holds every integer
_SUM_LIMIT = 2**62  # prefix sums of scaled quantities must stay inside int64

INVENTORY = "inventory"
DEMAND = "demand"


@dataclass(frozen=True)
class Instance:
    """Lots in FEFO rank order and demand lines in file order, as integer arrays.

    ``lot_group`` and ``line_group`` code (item, location) so that sorting by
    the code sorts by item text, then location text.
    """

    items: pa.Array  # sorted unique item names; codes index into it
    locations: pa.Array  # sorted unique location names ("" when none given)
    has_location: bool
    decimals: int  # quantities are integers in units of 10**-decimals
    # lots, in (item, location, rank) order
    lot_row: np.ndarray  # row of the inventory frame
    lot_item: np.ndarray
    lot_location: np.ndarray
    lot_group: np.ndarray
    lot_key: np.ndarray  # shelf life in days
    lot_qty: np.ndarray
    lot_rank: np.ndarray  # 1-based within (item, location)
    lot_expired: np.ndarray
    lot_id: pa.Array  # lot ids as text, in rank order
    # demand lines, in file order
    line_item: np.ndarray
    line_location: np.ndarray
    line_group: np.ndarray
    line_requirement: np.ndarray
    line_priority: np.ndarray  # served ascending; lines without priority last
    line_priority_missing: np.ndarray
    line_qty: np.ndarray

    @property
    def n_lots(self) -> int:
        return len(self.lot_row)

    @property
    def n_lines(self) -> int:
        return len(self.line_qty)

    @property
    def scale(self) -> int:
        return 10**self.decimals


def encode(inventory: pd.DataFrame, demand: pd.DataFrame) -> Instance:
    """Check the canonical columns of both frames and code them as arrays.

    >>> inv = pd.DataFrame({"item": ["A", "A"], "lot": ["1", "2"], "qty": [5, 7],
    ...                     "shelf_life": [300, 200]})
    >>> dem = pd.DataFrame({"item": ["A"], "qty": [4], "requirement": [180]})
    >>> encode(inv, dem).lot_id.to_pylist()
    ['2', '1']
    """
    _require_columns(inventory, INVENTORY, (C.ITEM, C.LOT, C.QTY, C.SHELF_LIFE))
    _require_columns(demand, DEMAND, (C.ITEM, C.QTY))
    lot_qty_f = _quantities(inventory, INVENTORY)
    line_qty_f = _quantities(demand, DEMAND)
    decimals = quantity_decimals(lot_qty_f, line_qty_f)
    lot_qty = _scaled(lot_qty_f, decimals, INVENTORY)
    line_qty = _scaled(line_qty_f, decimals, DEMAND)

    has_location = C.LOCATION in inventory.columns or C.LOCATION in demand.columns
    # Arrow hashes text without the GIL: items and locations are coded side by side.
    with ThreadPoolExecutor(max_workers=1) as pool:
        coding = pool.submit(
            factorize_sorted, _text(inventory, C.LOCATION), _text(demand, C.LOCATION)
        )
        (lot_item, line_item), items = factorize_sorted(
            _text(inventory, C.ITEM), _text(demand, C.ITEM)
        )
        (lot_loc, line_loc), locations = coding.result()
    n_loc = max(len(locations), 1)
    lot_group = lot_item.astype(np.int64) * n_loc + lot_loc
    line_group = line_item.astype(np.int64) * n_loc + line_loc

    priority, priority_missing = _priorities(demand)
    key = _integers(inventory, C.SHELF_LIFE, INVENTORY)
    lot_ids = _text(inventory, C.LOT)
    order = fefo_order(lot_group, key, lot_ids, not inventory.attrs.get(C.ATTR_KEYS_UNIQUE))
    lot_group, key = lot_group[order], key[order]
    return Instance(
        items=items,
        locations=locations,
        has_location=has_location,
        decimals=decimals,
        lot_row=order,
        # Both derive from the sorted group code, sparing two random gathers.
        lot_item=(lot_group // n_loc).astype(np.int32),
        lot_location=(lot_group % n_loc).astype(np.int32),
        lot_group=lot_group,
        lot_key=key,
        lot_qty=lot_qty[order],
        lot_rank=rank_within(lot_group),
        lot_expired=key < 0,
        lot_id=lot_ids.take(order),
        line_item=line_item,
        line_location=line_loc,
        line_group=line_group,
        line_requirement=_requirements(demand),
        line_priority=priority,
        line_priority_missing=priority_missing,
        line_qty=line_qty,
    )


def quantity_decimals(*quantities: np.ndarray) -> int:
    """The fewest decimals (at most MAX_QTY_DECIMALS) that hold every quantity exactly."""
    quantities = tuple(q for q in quantities if q.dtype.kind == "f")
    for decimals in range(C.MAX_QTY_DECIMALS + 1):
        if all(_is_whole(q * 10.0**decimals) for q in quantities):
            return decimals
    return C.MAX_QTY_DECIMALS


def _is_whole(values: np.ndarray) -> bool:
    # Decimal inputs such as 0.3 are not exact binary fractions; a relative
    # tolerance far below 10**-6 tells "0.3 * 10" from a genuine fraction.
    return bool(np.all(np.abs(values - np.rint(values)) <= 1e-7 * np.maximum(1.0, np.abs(values))))


def _scaled(values: np.ndarray, decimals: int, table: str) -> np.ndarray:
    if values.dtype.kind in "iu" and decimals == 0:
        if len(values) and int(values.sum(dtype=np.float64)) >= _SUM_LIMIT:
            raise InputError(
                [
                    Problem(
                        "too_large",
                        "quantities add up beyond the exact range of the engine",
                        file=table,
                        column=C.QTY,
                    )
                ]
            )
        return values.astype(np.int64)
    scaled = np.rint(values * 10.0**decimals)
    if len(scaled) and (scaled.max() >= _EXACT_FLOAT_LIMIT or scaled.sum() >= _SUM_LIMIT):
        raise InputError(
            [
                Problem(
                    "too_large",
                    f"quantities with {decimals} decimals exceed the exact range of the "
                    "engine; use a larger unit or fewer decimals",
                    file=table,
                    column=C.QTY,
                )
            ]
        )
    return scaled.astype(np.int64)


def _require_columns(frame: pd.DataFrame, table: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        present = ", ".join(map(str, frame.columns)) or "none"
        raise InputError(
            [
                Problem(
                    "missing_column",
                    f"required column missing (columns present: {present}); "
                    "rename the column or add it",
                    file=table,
                    column=c,
                )
                for c in missing
            ]
        )


def _text(frame: pd.DataFrame, column: str) -> pa.Array:
    """A text column as Arrow ``large_string``, the layout pandas' own strings use."""
    if column not in frame.columns:
        return pa.array(np.full(len(frame), "", dtype=object), type=pa.large_string())
    values = frame[column]
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(str)
    text = pa.array(values, from_pandas=True)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return text if text.type == pa.large_string() else text.cast(pa.large_string())


def _numbers(frame: pd.DataFrame, column: str, table: str) -> np.ndarray:
    if pd.api.types.is_integer_dtype(frame[column].dtype) and not frame[column].hasnans:
        return frame[column].to_numpy(dtype=np.int64)
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    bad = ~np.isfinite(values)
    if bad.any():
        raise InputError(
            _cell_problems(frame, column, table, bad, "not_a_number", "must be a number")
        )
    return values


def _quantities(frame: pd.DataFrame, table: str) -> np.ndarray:
    values = _numbers(frame, C.QTY, table)
    bad = values < 0
    if bad.any():
        raise InputError(_cell_problems(frame, C.QTY, table, bad, "negative", "must be >= 0"))
    return values


def _integers(frame: pd.DataFrame, column: str, table: str) -> np.ndarray:
    if pd.api.types.is_integer_dtype(frame[column].dtype) and not frame[column].hasnans:
        return frame[column].to_numpy(dtype=np.int64)
    values = _numbers(frame, column, table)
    bad = values != np.rint(values)
    if bad.any():
        raise InputError(
            _cell_problems(frame, column, table, bad, "not_an_integer", "must be whole days")
        )
    return values.astype(np.int64)


def _requirements(demand: pd.DataFrame) -> np.ndarray:
    if C.REQUIREMENT not in demand.columns:
        return np.zeros(len(demand), dtype=np.int64)
    values = _integers(demand, C.REQUIREMENT, DEMAND)
    bad = values < 0
    if bad.any():
        raise InputError(
            _cell_problems(demand, C.REQUIREMENT, DEMAND, bad, "negative", "must be >= 0")
        )
    return values


def _priorities(demand: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Priority classes, and where none was given: such lines are served after every class."""
    if C.PRIORITY not in demand.columns:
        return np.zeros(len(demand), dtype=np.int64), np.ones(len(demand), dtype=bool)
    values = pd.to_numeric(demand[C.PRIORITY], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    missing = np.isnan(values)
    bad = ~missing & ((values < 1) | (values != np.rint(values)))
    if bad.any():
        raise InputError(
            _cell_problems(
                demand, C.PRIORITY, DEMAND, bad, "bad_priority", "must be a whole number >= 1"
            )
        )
    last = (np.nanmax(values) + 1) if (~missing).any() else 1
    return np.where(missing, last, values).astype(np.int64), missing


def pack(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """(group, key) as one int64 that sorts like the pair."""
    if len(key) == 0:
        return np.zeros(0, dtype=np.int64)
    low = int(key.min())
    shift = (int(key.max()) - low + 1).bit_length()
    if (int(group.max()) + 1) >> (62 - shift):
        raise InputError(
            [
                Problem(
                    "too_large",
                    "shelf lives span too wide a range",
                    file=INVENTORY,
                    column=C.SHELF_LIFE,
                )
            ]
        )
    return (group.astype(np.int64) << shift) | (key - low)


def fefo_order(
    group: np.ndarray, key: np.ndarray, ids: pa.Array, check_duplicates: bool = True
) -> np.ndarray:
    """Lots in FEFO rank order: group, then key ascending, then lot id as text.

    The order is deterministic whatever the file order. When the lot ids fit
    the bits the packed (group, key) leaves free, the whole order is one radix
    sort of integers, and duplicate lots show up as equal integers; otherwise
    text is compared only where keys tie.
    """
    packed = pack(group, key)
    matrix = byte_matrix(ids)
    free = 63 - int(packed.max(initial=0)).bit_length()
    coded = ordinal_codes(matrix, free) if matrix is not None else None
    if coded is None:
        if check_duplicates:
            _reject_duplicate_lots(duplicate_rows([group, ids]), ids)
        words = None if matrix is None else matrix.view(">u8").astype(np.uint64)
        return argsort_with_text_ties(packed, ids, words)
    text, bits = coded
    shift = np.uint64(bits)
    if not check_duplicates:
        return radix_argsort((packed.astype(np.uint64) << shift) | text)
    # The duplicate search is a second sort of the same size: numpy releases the
    # GIL while sorting, so it runs beside the FEFO sort on the second core.
    with ThreadPoolExecutor(max_workers=1) as pool:
        repeats = pool.submit(_repeated_rows, (group.astype(np.uint64) << shift) | text)
        order = radix_argsort((packed.astype(np.uint64) << shift) | text)
        _reject_duplicate_lots(repeats.result(), ids)
    return order


def _repeated_rows(keys: np.ndarray) -> list[tuple[int, int]]:
    """(row, first row with the same key) for every key seen before."""
    by_key = radix_argsort(keys)
    ordered = keys[by_key]
    repeat = np.flatnonzero(ordered[1:] == ordered[:-1]) + 1
    first = run_first(ordered)
    return list(zip(by_key[repeat].tolist(), by_key[first[repeat]].tolist(), strict=True))


def _reject_duplicate_lots(pairs: list[tuple[int, int]], ids: pa.Array) -> None:
    """``pairs`` are (row, first row with the same item, location and lot)."""
    if len(pairs):
        pairs = sorted((int(r), int(f)) for r, f in pairs)
        raise InputError(
            [
                Problem(
                    "duplicate_lot",
                    f"the same item, location and lot appear on rows {f + 1} and {r + 1}; "
                    "merge them or give them distinct lot ids",
                    file=INVENTORY,
                    column=C.LOT,
                    value=str(ids[r]),
                )
                for r, f in pairs[: C.MAX_PROBLEMS]
            ],
            truncated=max(0, len(pairs) - C.MAX_PROBLEMS),
        )


def _cell_problems(
    frame: pd.DataFrame, column: str, table: str, bad: np.ndarray, code: str, rule: str
) -> list[Problem]:
    rows = np.flatnonzero(bad)[: C.MAX_PROBLEMS]
    values = frame[column].to_numpy()
    return [
        Problem(code, f"{rule} (row {r + 1})", file=table, column=column, value=str(values[r]))
        for r in rows
    ]
