"""Several integer columns packed into one int64 that sorts and compares like the tuple.

Sorting one int64 (by radix, in linear time) is far cheaper than a lexsort of
several columns, and searching one sorted int64 array is one ``searchsorted``.
Every place that packs columns does it through :class:`KeyLayout`, with one
overflow policy: a layout whose values would not fit a non-negative int64
raises :class:`~consumption.errors.KeyOverflowError`. Callers that can do
without packing (a lexsort) catch it; for the others it cannot happen on
checked input (days lie within ``MAX_DAYS`` of day 0, codes below the row
counts), and would be a clear error rather than a wrong order.

The packing is mixed-radix: column ``i`` contributes ``(value - low_i)``
times the product of the spans of the columns after it, so the packed
value is as small as the ranges allow (radix sorts pass over fewer digits).

>>> layout = KeyLayout.covering(np.array([0, 1, 1]), np.array([7, 3, 5]))
>>> layout.pack(np.array([0, 1, 1]), np.array([7, 3, 5])).tolist()
[4, 5, 7]
>>> [c.tolist() for c in layout.unpack(np.array([4, 5, 7]))]
[[0, 1, 1], [7, 3, 5]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from consumption.errors import KeyOverflowError

_LIMIT = 2**63  # packed values stay below it: non-negative int64


@dataclass(frozen=True)
class KeyLayout:
    """Where each column goes in a packed key: column ``i`` holds ``[low_i, low_i + span_i)``."""

    lows: tuple[int, ...]
    spans: tuple[int, ...]

    def __post_init__(self) -> None:
        if any(span < 1 for span in self.spans):
            raise ValueError("every column of a key layout needs a span of at least 1")
        if self.size > _LIMIT:
            ranges = ", ".join(f"{span:,}" for span in self.spans)
            raise KeyOverflowError(
                f"columns with {ranges} distinct values together do not fit one 64-bit key"
            )

    @classmethod
    def of_ranges(cls, *ranges: tuple[int, int]) -> KeyLayout:
        """A layout for columns whose values lie in the given ``(low, high)`` ranges."""
        return cls(
            tuple(int(low) for low, _ in ranges),
            tuple(max(int(high) - int(low) + 1, 1) for low, high in ranges),
        )

    @classmethod
    def covering(cls, *columns: np.ndarray) -> KeyLayout:
        """The tightest layout holding every value of the given columns."""
        return cls.of_ranges(*((_low(column), _high(column)) for column in columns))

    @property
    def size(self) -> int:
        """How many distinct packed values the layout has room for."""
        return math.prod(self.spans)

    @property
    def free_bits(self) -> int:
        """Bits a further column may take: ``then(2**free_bits)`` still fits."""
        return (_LIMIT // self.size).bit_length() - 1

    def then(self, span: int, low: int = 0) -> KeyLayout:
        """This layout with one more, least significant, column of ``span`` values."""
        return KeyLayout((*self.lows, low), (*self.spans, span))

    def pack(self, *columns: np.ndarray) -> np.ndarray:
        """The columns as one int64 per row; every value must lie in its column's range."""
        if len(columns) != len(self.spans):
            raise ValueError(f"the layout has {len(self.spans)} columns, not {len(columns)}")
        packed = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
        for column, low, span in zip(columns, self.lows, self.spans, strict=True):
            packed *= span
            packed += np.asarray(column, dtype=np.int64) - low
        return packed

    def unpack(self, packed: np.ndarray) -> tuple[np.ndarray, ...]:
        """The columns a packed key was made of."""
        rest = np.asarray(packed, dtype=np.int64)
        columns = []
        for low, span in zip(self.lows[::-1], self.spans[::-1], strict=True):
            columns.append(rest % span + low)
            rest = rest // span
        return tuple(columns[::-1])


def pack(*columns: np.ndarray) -> np.ndarray:
    """The columns as one int64 per row that sorts like the tuple (their tightest layout)."""
    return KeyLayout.covering(*columns).pack(*columns)


def _low(column: np.ndarray) -> int:
    return int(np.min(column)) if len(column) else 0


def _high(column: np.ndarray) -> int:
    return int(np.max(column)) if len(column) else 0


_INDEX = np.int64


@dataclass(frozen=True)
class SortedKeys:
    """Elements sorted by (group, key), packed once for repeated searches.

    Packing ten million lots costs about what one search of them costs; the
    greedy searches the same lots once per pass (a year of weekly due dates is
    52 passes or more), so it packs them once and keeps this.
    """

    layout: KeyLayout
    low: int
    high: int
    packed: np.ndarray

    @classmethod
    def of(cls, group: np.ndarray, key: np.ndarray) -> SortedKeys:
        low, high = _low(key), _high(key)
        # Keys have one spare value above the highest: a query beyond every key
        # lands on the group's end, never on the next group.
        layout = KeyLayout.of_ranges((0, _high(group)), (low, high + 1))
        return cls(layout, low, high, layout.pack(group, key) if len(key) else key.astype(_INDEX))

    def search(
        self, query_group: np.ndarray, query_key: np.ndarray, side: str = "left"
    ) -> np.ndarray:
        """``searchsorted`` of (group, key) queries; never leaves the query's group.

        A key below every key of the group lands on the group's first element,
        one above all on its end.
        """
        if len(self.packed) == 0:
            return np.zeros(len(query_group), dtype=_INDEX)
        # Groups beyond every element's group sort after all of them; keys are
        # clipped into the packed range, so that one searchsorted answers every query.
        groups = np.minimum(query_group, self.layout.spans[0] - 1)
        keys = np.clip(query_key, self.low, self.high + 1)
        queries = self.layout.pack(groups, keys)
        found = np.searchsorted(self.packed, queries, side=side)  # type: ignore[call-overload]
        if side == "right":
            # Clipping lifted a query below every key to the lowest key; step back
            # over the elements equal to it so that none of them counts as found.
            below = query_key < self.low
            found[below] = np.searchsorted(self.packed, queries[below], side="left")
        found[query_group > self.layout.spans[0] - 1] = len(self.packed)
        return found


def search_groups(
    group: np.ndarray,
    key: np.ndarray,
    query_group: np.ndarray,
    query_key: np.ndarray,
    side: str = "left",
) -> np.ndarray:
    """``searchsorted`` of (group, key) pairs in an array sorted by (group, key).

    The result never leaves the query's group: a key below every key of the
    group lands on the group's first element, one above all on its end.

    >>> search_groups(np.array([0, 0, 1]), np.array([5, 9, 2]),
    ...               np.array([0, 0, 1]), np.array([6, 99, 0])).tolist()
    [1, 2, 2]
    """
    return SortedKeys.of(group, key).search(query_group, query_key, side)
