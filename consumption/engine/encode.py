"""The allocation problem as integer-coded numpy arrays.

Text (items, locations, lot ids) is factorized once here, at the edge; the
kernels only ever see integer codes, integer keys and integer quantities.
Quantities are scaled to integers (units of ``10**-decimals``) so that every
sum the engine forms conserves exactly.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from consumption import constants as C
from consumption.engine.runs import radix_argsort, rank_within, run_first
from consumption.engine.text import (
    argsort_with_text_ties,
    byte_matrix,
    duplicate_rows,
    factorize_sorted,
    ordinal_codes,
)
from consumption.errors import InputError, Problem, UsageError

_EXACT_FLOAT_LIMIT = 2**53  # beyond it a float no longer holds every integer
_SUM_LIMIT = 2**62  # prefix sums of scaled quantities must stay inside int64

INVENTORY = "inventory"
DEMAND = "demand"
LANES = "lanes"


# Availability of a lot without an available date: before any ship date.
ALWAYS: int = -(10**9)
# Dates beyond this many days from the as-of date are refused as typos.
_MAX_DAYS = 10**6


@dataclass(frozen=True)
class Lanes:
    """Sourcing lanes as location codes: lots at ``source`` serve lines at ``target``."""

    source: np.ndarray
    target: np.ndarray
    transit: np.ndarray
    rank: np.ndarray

    @classmethod
    def none(cls) -> Lanes:
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, empty, empty)

    @property
    def ranks(self) -> list[int]:
        """Route ranks in serving order: 0 (the line's own location), then each lane rank."""
        return [0, *sorted(set(self.rank.tolist()))]


@dataclass(frozen=True)
class Instance:
    """Lots in FEFO rank order and demand lines in file order, as integer arrays.

    ``lot_group`` and ``line_group`` code (item, location) so that sorting by
    the code sorts by item text, then location text. Every date is a number
    of days from the as-of date (day 0); without dates, keys are shelf lives
    and every line is due on day 0.
    """

    items: pa.Array  # sorted unique item names; codes index into it
    locations: pa.Array  # sorted unique location names ("" when none given)
    has_location: bool
    decimals: int  # quantities are integers in units of 10**-decimals
    as_of: np.datetime64 | None  # day 0, when dates are used
    # lots, in (item, location, rank) order
    lot_row: np.ndarray  # row of the inventory frame
    lot_item: np.ndarray
    lot_location: np.ndarray
    lot_group: np.ndarray
    lot_key: np.ndarray  # shelf life left on day 0 (days to expiry)
    lot_avail: np.ndarray  # first day the lot can ship; ALWAYS when not given
    lot_qty: np.ndarray
    lot_rank: np.ndarray  # 1-based within (item, location)
    lot_expired: np.ndarray
    lot_id_by_row: pa.Array  # lot ids as text, in the inventory's row order
    lot_unit_cost: np.ndarray | None  # per unit, NaN where not given
    # demand lines, in file order
    line_item: np.ndarray
    line_location: np.ndarray
    line_group: np.ndarray
    line_requirement: np.ndarray
    line_due: np.ndarray  # due day (0 without due dates)
    line_priority: np.ndarray  # served ascending; lines without priority last
    line_priority_missing: np.ndarray
    line_qty: np.ndarray
    lanes: Lanes

    @property
    def n_lots(self) -> int:
        return len(self.lot_row)

    @property
    def n_lines(self) -> int:
        return len(self.line_qty)

    @cached_property
    def lot_id(self) -> pa.Array:
        """Lot ids in rank order (a gather of millions of strings, done once, when asked)."""
        return self.lot_id_by_row.take(self.lot_row)

    @property
    def n_locations(self) -> int:
        return max(len(self.locations), 1)

    @property
    def has_dates(self) -> bool:
        return self.as_of is not None

    def dates(self, days: np.ndarray) -> np.ndarray:
        """Day numbers back to calendar dates (NaT without dates)."""
        if self.as_of is None:
            return np.full(len(days), np.datetime64("NaT"), dtype="datetime64[s]")
        return (self.as_of + days.astype("timedelta64[D]")).astype("datetime64[s]")


def encode(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None = None,
    as_of: np.datetime64 | None = None,
) -> Instance:
    """Check the canonical columns of the frames and code them as arrays.

    >>> inv = pd.DataFrame({"item": ["A", "A"], "lot": ["1", "2"], "qty": [5, 7],
    ...                     "shelf_life": [300, 200]})
    >>> dem = pd.DataFrame({"item": ["A"], "qty": [4], "requirement": [180]})
    >>> encode(inv, dem).lot_id.to_pylist()
    ['2', '1']
    """
    _require_columns(inventory, INVENTORY, (C.ITEM, C.LOT, C.QTY))
    if C.SHELF_LIFE not in inventory.columns and C.EXPIRY_DATE not in inventory.columns:
        _require_columns(inventory, INVENTORY, (C.SHELF_LIFE,))
    _require_columns(demand, DEMAND, (C.ITEM, C.QTY))
    _require_dates_with_as_of(inventory, demand, as_of)
    lot_qty_f = _quantities(inventory, INVENTORY)
    line_qty_f = _quantities(demand, DEMAND)
    decimals = quantity_decimals(lot_qty_f, line_qty_f)
    lot_qty = _scaled(inventory, lot_qty_f, decimals, INVENTORY)
    line_qty = _scaled(demand, line_qty_f, decimals, DEMAND)

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
    n_loc = max(len(locations), 1)
    lot_group = lot_item.astype(np.int64) * n_loc + lot_loc
    line_group = line_item.astype(np.int64) * n_loc + line_loc

    priority, priority_missing = _priorities(demand)
    key = _lot_keys(inventory, as_of)
    avail = _days(inventory, C.AVAILABLE_DATE, as_of, INVENTORY, ALWAYS)
    lot_ids = _text(inventory, C.LOT)
    order = fefo_order(lot_group, key, lot_ids, not inventory.attrs.get(C.ATTR_KEYS_UNIQUE), avail)
    cost = _optional_numbers(inventory, C.UNIT_COST, INVENTORY)
    lot_group, key, lot_qty = lot_group[order], key[order], lot_qty[order]
    cost = None if cost is None else cost[order]
    # Without receipts every lot has the same available day: nothing to gather.
    avail = avail[order] if avail.min(initial=0) != avail.max(initial=0) else avail
    return Instance(
        items=items,
        locations=locations,
        has_location=has_location,
        decimals=decimals,
        as_of=as_of,
        lot_row=order,
        # Both derive from the sorted group code, sparing two random gathers.
        lot_item=(lot_group // n_loc).astype(np.int32),
        lot_location=(lot_group % n_loc).astype(np.int32),
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
        line_group=line_group,
        line_requirement=_requirements(demand),
        line_due=_days(demand, C.DUE_DATE, as_of, DEMAND, 0),
        line_priority=priority,
        line_priority_missing=priority_missing,
        line_qty=line_qty,
        lanes=_lanes(lane_frame, lane_from, lane_to),
    )


def _require_dates_with_as_of(
    inventory: pd.DataFrame, demand: pd.DataFrame, as_of: np.datetime64 | None
) -> None:
    dated = [
        f"{table} column {column}"
        for table, frame, columns in (
            (INVENTORY, inventory, (C.EXPIRY_DATE, C.AVAILABLE_DATE)),
            (DEMAND, demand, (C.DUE_DATE,)),
        )
        for column in columns
        if column in frame.columns
    ]
    if dated and as_of is None:
        raise UsageError(
            f"the input has dates ({', '.join(dated)}); give --as-of YYYY-MM-DD, "
            "the day the plan starts"
        )


def _lot_keys(inventory: pd.DataFrame, as_of: np.datetime64 | None) -> np.ndarray:
    """Days of shelf life left on day 0: from expiry dates when given, else shelf lives."""
    if C.EXPIRY_DATE in inventory.columns:
        return _days(inventory, C.EXPIRY_DATE, as_of, INVENTORY, None)
    return _integers(inventory, C.SHELF_LIFE, INVENTORY)


def _days(
    frame: pd.DataFrame,
    column: str,
    as_of: np.datetime64 | None,
    table: str,
    missing: int | None,
) -> np.ndarray:
    """A date column as days from ``as_of``; ``missing`` fills empty cells (None: refused)."""
    if column not in frame.columns or as_of is None:
        return np.full(len(frame), 0 if missing is None else missing, dtype=np.int64)
    values = pd.to_datetime(frame[column], errors="coerce", format="ISO8601")
    day = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    empty = np.isnat(day)
    if missing is None and empty.any():
        raise InputError(
            _cell_problems(frame, column, table, empty, "bad_date", "must be a date YYYY-MM-DD")
        )
    days = np.where(empty, 0, (day - as_of).astype("timedelta64[D]").astype(np.int64))
    far = ~empty & (np.abs(days) > _MAX_DAYS)
    if far.any():
        raise InputError(
            _cell_problems(frame, column, table, far, "bad_date", "is too far from --as-of")
        )
    return np.where(empty, missing if missing is not None else 0, days).astype(np.int64)


def _optional_numbers(frame: pd.DataFrame, column: str, table: str) -> np.ndarray | None:
    if column not in frame.columns:
        return None
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    bad = np.isinf(values) | (values < 0)
    if bad.any():
        raise InputError(
            _cell_problems(frame, column, table, bad, "negative", "must be a number >= 0")
        )
    return values


def _lanes(frame: pd.DataFrame, source: np.ndarray, target: np.ndarray) -> Lanes:
    """Lanes as codes; each destination may have one lane per rank."""
    if frame.empty:
        return Lanes.none()
    _require_columns(frame, LANES, (C.FROM_LOCATION, C.TO_LOCATION, C.TRANSIT_DAYS, C.RANK))
    transit = _integers(frame, C.TRANSIT_DAYS, LANES)
    rank = _integers(frame, C.RANK, LANES)
    bad = (transit < 0) | (rank < 1)
    if bad.any():
        raise InputError(
            _cell_problems(frame, C.RANK, LANES, bad, "negative", "transit >= 0 and rank >= 1")
        )
    repeats = _repeated_rows((target.astype(np.int64) << 32) | rank)
    if repeats:
        raise InputError(
            [
                Problem(
                    "duplicate_lane_rank",
                    f"rows {first + 1} and {row + 1} both supply this location at rank "
                    f"{rank[row]}; give each lane into a location its own rank",
                    file=LANES,
                    column=C.RANK,
                    value=str(frame[C.TO_LOCATION].iloc[row]),
                )
                for row, first in repeats[: C.MAX_PROBLEMS]
            ]
        )
    return Lanes(source.astype(np.int64), target.astype(np.int64), transit, rank)


def quantity_decimals(*quantities: np.ndarray) -> int:
    """The fewest decimals (at most MAX_QTY_DECIMALS) that hold every quantity exactly."""
    quantities = tuple(q for q in quantities if q.dtype.kind == "f")
    for decimals in range(C.MAX_QTY_DECIMALS + 1):
        if all(_is_whole(q * 10.0**decimals) for q in quantities):
            return decimals
    return C.MAX_QTY_DECIMALS


def _is_whole(values: np.ndarray) -> bool:
    # Decimal inputs such as 0.3 are not exact binary fractions: 0.3 * 10 is off
    # by an ulp or two. A tolerance of a few thousand ulps tells that from a
    # genuine fraction (12345678.25 is not whole) at every magnitude we accept.
    return bool(np.all(np.abs(values - np.rint(values)) <= 1e-12 * np.maximum(1.0, np.abs(values))))


def _scaled(frame: pd.DataFrame, values: np.ndarray, decimals: int, table: str) -> np.ndarray:
    """Quantities as integers of 10**-decimals units, refused where that is not exact."""
    if values.dtype.kind in "iu" and decimals == 0:
        scaled = values.astype(np.int64)
        beyond = len(values) and float(values.sum(dtype=np.float64)) >= _SUM_LIMIT
    else:
        scaled = np.rint(values * 10.0**decimals)
        beyond = len(scaled) and (scaled.max() >= _EXACT_FLOAT_LIMIT or scaled.sum() >= _SUM_LIMIT)
    if beyond:
        row = int(np.argmax(scaled))
        raise InputError(
            [
                Problem(
                    "too_large",
                    f"with the {decimals} decimals the quantities need, this quantity (data row "
                    f"{row + 1}) and the totals exceed what the engine holds exactly; "
                    "use a larger unit or fewer decimals",
                    file=_source(frame, table),
                    column=C.QTY,
                    value=str(frame[C.QTY].iloc[row]),
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
                    file=_source(frame, table),
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
    """(group, key) as one int64 that sorts like the pair (``group`` >= 0)."""
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
    group: np.ndarray,
    key: np.ndarray,
    ids: pa.Array,
    check_duplicates: bool = True,
    avail: np.ndarray | None = None,
) -> np.ndarray:
    """Lots in FEFO rank order: group, then key, then available day, then lot id as text.

    The order is deterministic whatever the file order. When the lot ids fit
    the bits the packed (group, key) leaves free, the whole order is one radix
    sort of integers, and duplicate lots show up as equal integers; otherwise
    text is compared only where keys tie.
    """
    packed = pack(group, key)
    if avail is not None and len(avail) and avail.min() != avail.max():
        packed = pack(packed, avail)
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
    """(row, first row with the same key) for every key seen before.

    Keys almost never repeat: sorting the values alone (no permutation to carry,
    about half the cost of an argsort) proves that, and only a repeat pays for
    finding the rows.
    """
    ordered = np.sort(keys)
    if not (ordered[1:] == ordered[:-1]).any():
        return []
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
        Problem(
            code,
            f"{rule} (data row {r + 1})",
            file=_source(frame, table),
            column=column,
            value=str(values[r]),
        )
        for r in rows
    ]


def _source(frame: pd.DataFrame, table: str) -> str:
    """The file a frame was read from, or the table's name for a frame built in code."""
    return str(frame.attrs.get("source") or table)
