"""Checked input frames as an :class:`~consumption.engine.model.Instance` of integer arrays.

Encoding only encodes: the frames have passed every rule of
:mod:`consumption.io.validate` (which also chose the decimals every quantity
is scaled by), so nothing here judges a value. Text is factorized once,
dates become day numbers from the as-of date, lots are put in FEFO rank order.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa

from consumption import constants as C
from consumption.engine.keys import KeyLayout
from consumption.engine.model import ALWAYS, Instance, Lanes
from consumption.engine.runs import radix_argsort, rank_within
from consumption.engine.text import (
    argsort_with_text_ties,
    byte_matrix,
    factorize_sorted,
    ordinal_codes,
)


def encode(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None,
    as_of: np.datetime64 | None,
    decimals: int,
) -> Instance:
    """Code checked frames (canonical columns, see ``io.prepare.check_inputs``) as arrays.

    >>> inv = pd.DataFrame({"item": ["A", "A"], "lot": ["1", "2"], "qty": [5, 7],
    ...                     "shelf_life": [300, 200]})
    >>> dem = pd.DataFrame({"item": ["A"], "qty": [4], "requirement": [180]})
    >>> encode(inv, dem, None, None, 0).lot_id.to_pylist()
    ['2', '1']
    """
    has_location = C.LOCATION in inventory.columns or C.LOCATION in demand.columns
    lane_frame = lanes if lanes is not None else pd.DataFrame()
    # Arrow hashes text without the GIL: items and locations are coded side by side.
    with ThreadPoolExecutor(max_workers=1) as pool:
        coding = pool.submit(
            factorize_sorted,
            _text(inventory, C.LOCATION),
            _text(demand, C.LOCATION),
            _text(lane_frame, C.FROM_LOCATION),
            _text(lane_frame, C.TO_LOCATION),
        )
        (lot_item, line_item), items = factorize_sorted(
            _text(inventory, C.ITEM), _text(demand, C.ITEM)
        )
        (lot_loc, line_loc, lane_from, lane_to), locations = coding.result()
    groups = KeyLayout.of_ranges((0, max(len(items) - 1, 0)), (0, max(len(locations), 1) - 1))
    lot_group = groups.pack(lot_item, lot_loc)

    key = _lot_keys(inventory, as_of)
    avail = _days(inventory, C.AVAILABLE_DATE, as_of, ALWAYS)
    lot_ids = _text(inventory, C.LOT)
    order = fefo_order(lot_group, key, lot_ids, avail)
    cost = _optional_numbers(inventory, C.UNIT_COST)
    lot_group, key = lot_group[order], key[order]
    lot_qty = scaled(inventory[C.QTY], decimals)[order]
    cost = None if cost is None else cost[order]
    # Without receipts every lot has the same available day: nothing to gather.
    avail = avail[order] if avail.min(initial=0) != avail.max(initial=0) else avail
    # Both derive from the sorted group code, sparing two random gathers.
    item, location = groups.unpack(lot_group)
    priority, priority_missing = _priorities(demand)
    return Instance(
        items=items,
        locations=locations,
        has_location=has_location,
        decimals=decimals,
        as_of=as_of,
        lot_row=order,
        lot_item=item.astype(np.int32),
        lot_location=location.astype(np.int32),
        lot_group=lot_group,
        lot_key=key,
        lot_avail=avail,
        lot_qty=lot_qty,
        lot_rank=rank_within(lot_group),
        lot_expired=key < 0,
        lot_id_by_row=lot_ids,
        lot_unit_cost=cost,
        line_item=line_item,
        line_location=line_loc,
        line_group=groups.pack(line_item, line_loc),
        line_requirement=_integers(demand, C.REQUIREMENT),
        line_due=_days(demand, C.DUE_DATE, as_of, 0),
        line_priority=priority,
        line_priority_missing=priority_missing,
        line_qty=scaled(demand[C.QTY], decimals),
        lanes=_lanes(lane_frame, lane_from, lane_to),
    )


def scaled(values: pd.Series, decimals: int) -> np.ndarray:
    """Quantities as integers of ``10**-decimals`` units (exact: the validator checked)."""
    if pd.api.types.is_integer_dtype(values.dtype) and decimals == 0:
        return values.to_numpy(dtype=np.int64)
    numbers = values.to_numpy(dtype=np.float64)
    return np.rint(numbers * 10.0**decimals).astype(np.int64)


def _lot_keys(inventory: pd.DataFrame, as_of: np.datetime64 | None) -> np.ndarray:
    """Days of shelf life left on day 0: from expiry dates when given, else shelf lives."""
    if C.EXPIRY_DATE in inventory.columns:
        return _days(inventory, C.EXPIRY_DATE, as_of, 0)
    return _integers(inventory, C.SHELF_LIFE)


def _days(
    frame: pd.DataFrame, column: str, as_of: np.datetime64 | None, missing: int
) -> np.ndarray:
    """A date column as days from ``as_of``; ``missing`` fills empty cells."""
    if column not in frame.columns or as_of is None:
        return np.full(len(frame), missing, dtype=np.int64)
    day = np.asarray(frame[column].to_numpy(), dtype="datetime64[s]").astype("datetime64[D]")
    empty = np.isnat(day)
    days = (day - as_of.astype("datetime64[D]")).astype(np.int64)
    return np.where(empty, missing, days).astype(np.int64)


def _optional_numbers(frame: pd.DataFrame, column: str) -> np.ndarray | None:
    if column not in frame.columns:
        return None
    return frame[column].to_numpy(dtype=np.float64, na_value=np.nan)


def _integers(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=np.int64)
    return frame[column].to_numpy(dtype=np.int64)


def _priorities(demand: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Priority classes, and where none was given: such lines are served after every class."""
    if C.PRIORITY not in demand.columns:
        return np.zeros(len(demand), dtype=np.int64), np.ones(len(demand), dtype=bool)
    values = demand[C.PRIORITY].to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values)
    last = (np.nanmax(values) + 1) if (~missing).any() else 1
    return np.where(missing, last, values).astype(np.int64), missing


def _lanes(frame: pd.DataFrame, source: np.ndarray, target: np.ndarray) -> Lanes:
    """Lanes as location codes (the validator saw to one lane per destination and rank)."""
    if frame.empty:
        return Lanes.none()
    return Lanes(
        source.astype(np.int64),
        target.astype(np.int64),
        _integers(frame, C.TRANSIT_DAYS),
        _integers(frame, C.RANK),
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


def fefo_order(
    group: np.ndarray, key: np.ndarray, ids: pa.Array, avail: np.ndarray | None = None
) -> np.ndarray:
    """Lots in FEFO rank order: group, then key, then available day, then lot id as text.

    The order is deterministic whatever the file order. When the lot ids fit
    the room the packed (group, key, available day) leaves, the whole order is
    one radix sort of integers; otherwise text is compared only where keys tie.

    >>> fefo_order(np.array([0, 0, 0]), np.array([9, 5, 9]), pa.array(["b", "z", "a"])).tolist()
    [1, 2, 0]
    """
    columns = [group, key]
    if avail is not None and len(avail) and avail.min() != avail.max():
        columns.append(avail)
    layout = KeyLayout.covering(*columns)
    matrix = byte_matrix(ids)
    coded = ordinal_codes(matrix, layout.free_bits) if matrix is not None else None
    if coded is None:
        words = None if matrix is None else matrix.view(">u8").astype(np.uint64)
        return argsort_with_text_ties(layout.pack(*columns), ids, words)
    text, bits = coded
    return radix_argsort(layout.then(2**bits).pack(*columns, text.astype(np.int64)))
