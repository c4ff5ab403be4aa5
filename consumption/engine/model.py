"""The allocation problem and an engine's answer, as integer-coded numpy arrays.

:class:`Instance` is what every engine reads: text (items, locations, lot
ids) factorized once, at the edge, by :mod:`consumption.engine.encode`;
dates as day numbers from the as-of date; quantities as integers in units of
``10**-decimals``, so that every sum conserves exactly. :class:`Allocation`
is what every engine (the greedy, the LP) returns over an Instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa

from consumption.engine.keys import KeyLayout

# Availability of a lot without an available date: before any ship date.
ALWAYS: int = -(10**9)


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

    @cached_property
    def groups(self) -> KeyLayout:
        """How an (item, location) pair is coded as one group number."""
        return KeyLayout.of_ranges((0, max(len(self.items) - 1, 0)), (0, self.n_locations - 1))

    def group_of(self, item: np.ndarray, location: np.ndarray) -> np.ndarray:
        """The (item, location) group code: sorting by it sorts by item, then location text."""
        return self.groups.pack(item, location)

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


@dataclass(frozen=True)
class Allocation:
    """What an engine decided, as arrays over an Instance.

    ``pair_lot`` indexes the instance's lots (rank order), ``pair_line`` its
    demand lines (file order). Pairs are sorted by lot, then by serving order.
    ``passes`` counts the greedy's passes (0 for the LP); ``nested_blocks`` and
    ``general_blocks`` the (pass, group) blocks each greedy kernel served.
    """

    consumed: np.ndarray
    filled: np.ndarray
    pair_lot: np.ndarray
    pair_line: np.ndarray
    pair_qty: np.ndarray
    passes: int
    nested_blocks: int = 0
    general_blocks: int = 0


@dataclass(frozen=True)
class PassResult:
    """What one pass of a greedy kernel gave: per line, per lot and per (lot, line) pair.

    ``pair_line`` indexes the pass's lines; ``pair_lot`` the lots.
    """

    filled: np.ndarray
    consumed: np.ndarray
    pair_lot: np.ndarray
    pair_line: np.ndarray
    pair_qty: np.ndarray
