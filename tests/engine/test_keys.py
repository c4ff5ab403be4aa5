"""The one packing primitive: packed keys sort, compare and unpack like the tuples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from consumption.engine.keys import KeyLayout, SortedKeys, pack
from consumption.errors import KeyOverflowError

rows = st.lists(
    st.tuples(st.integers(-50, 50), st.integers(0, 3), st.integers(-(10**6), 10**6)),
    min_size=1,
    max_size=40,
)


@given(rows)
def test_packed_keys_sort_and_compare_like_the_tuples(values: list[tuple[int, int, int]]) -> None:
    columns = [np.array(column, dtype=np.int64) for column in zip(*values, strict=True)]
    packed = pack(*columns)
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            assert (packed[i] < packed[j]) == (a < b)
            assert (packed[i] == packed[j]) == (a == b)
    assert (packed >= 0).all()


@given(rows)
def test_unpack_gives_the_columns_back(values: list[tuple[int, int, int]]) -> None:
    columns = [np.array(column, dtype=np.int64) for column in zip(*values, strict=True)]
    layout = KeyLayout.covering(*columns)
    back = layout.unpack(layout.pack(*columns))
    assert [c.tolist() for c in back] == [c.tolist() for c in columns]


def test_group_codes_are_item_times_locations_plus_location() -> None:
    layout = KeyLayout.of_ranges((0, 3), (0, 4))
    assert layout.pack(np.array([0, 2, 3]), np.array([4, 1, 0])).tolist() == [4, 11, 15]


def test_a_layout_that_does_not_fit_64_bits_is_refused() -> None:
    wide = (0, 2**40)
    with pytest.raises(KeyOverflowError, match="do not fit one 64-bit key"):
        KeyLayout.of_ranges(wide, wide)
    # 2**62 values still fit; the free bits say how much a further column may take.
    layout = KeyLayout.of_ranges((0, 2**31 - 1), (0, 2**31 - 1))
    assert layout.free_bits == 1
    layout.then(2**layout.free_bits)
    with pytest.raises(KeyOverflowError):
        layout.then(2 ** (layout.free_bits + 1))


@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(-5, 5)), max_size=30),
    st.lists(st.tuples(st.integers(0, 6), st.integers(-9, 9)), max_size=30),
    st.sampled_from(["left", "right"]),
)
def test_sorted_keys_search_like_searchsorted_within_the_group(
    elements: list[tuple[int, int]], queries: list[tuple[int, int]], side: str
) -> None:
    elements.sort()
    group = np.array([g for g, _ in elements], dtype=np.int64)
    key = np.array([k for _, k in elements], dtype=np.int64)
    qg = np.array([g for g, _ in queries], dtype=np.int64)
    qk = np.array([k for _, k in queries], dtype=np.int64)
    found = SortedKeys.of(group, key).search(qg, qk, side)
    for i, (g, k) in enumerate(queries):
        start = int(np.searchsorted(group, g, side="left"))
        within = key[group == g]
        assert found[i] == start + int(np.searchsorted(within, k, side=side))
