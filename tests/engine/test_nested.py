"""The vectorized kernel on its own: hand-checked cases and the nested precondition."""

from __future__ import annotations

import numpy as np
import pytest

from consumption.engine.keys import search_groups
from consumption.engine.nested import is_nested, nested_pass


def _pass(lots: list[tuple[int, int, int]], lines: list[tuple[int, int, int]]):
    lg, lk, lq = (np.array(c, dtype=np.int64) for c in zip(*lots, strict=True))
    dg, dt, dq = (np.array(c, dtype=np.int64) for c in zip(*lines, strict=True))
    return nested_pass(lg, lk, lq, dg, dt, dq)


def test_a_gap_left_by_a_strict_line_is_never_filled_later() -> None:
    # Line 1 (threshold 5) skips lot 0; line 2 (threshold 7) cannot use lot 1 either.
    r = _pass([(0, 3, 10), (0, 6, 10), (0, 8, 10)], [(0, 5, 4), (0, 7, 15)])
    assert r.filled.tolist() == [4, 10]
    assert r.consumed.tolist() == [0, 4, 10]
    assert list(
        zip(r.pair_lot.tolist(), r.pair_line.tolist(), r.pair_qty.tolist(), strict=True)
    ) == [
        (1, 0, 4),
        (2, 1, 10),
    ]


def test_groups_do_not_share_stock() -> None:
    # Group 1 has no lots; group 0's stock must not leak to it, nor group 2's.
    r = _pass([(0, 5, 3), (2, 5, 100)], [(0, 0, 5), (1, 0, 5), (2, 0, 1)])
    assert r.filled.tolist() == [3, 0, 1]
    assert r.consumed.tolist() == [3, 1]


def test_a_line_spanning_several_lots_gets_one_pair_per_lot() -> None:
    r = _pass([(0, 1, 2), (0, 2, 0), (0, 3, 2), (0, 4, 2)], [(0, 0, 5)])
    assert r.filled.tolist() == [5]
    assert r.pair_lot.tolist() == [0, 2, 3]  # the empty lot gives nothing
    assert r.pair_qty.tolist() == [2, 2, 1]


def test_thresholds_beyond_every_key_get_nothing() -> None:
    r = _pass([(0, 10, 5)], [(0, 11, 5), (0, 99, 5)])
    assert r.filled.tolist() == [0, 0]
    assert r.consumed.tolist() == [0]


def test_a_pass_that_is_not_nested_is_refused() -> None:
    assert not is_nested(np.array([0, 0]), np.array([5, 3]))
    assert is_nested(np.array([0, 1]), np.array([5, 3]))
    with pytest.raises(ValueError, match="not nested"):
        _pass([(0, 5, 1)], [(0, 5, 1), (0, 3, 1)])


@pytest.mark.parametrize("side", ["left", "right"])
def test_search_groups_never_leaves_the_group(side: str) -> None:
    group = np.array([0, 0, 1, 1, 3])
    key = np.array([2, 4, 2, 4, 1])
    qg = np.array([0, 0, 0, 1, 2, 3, 3])
    qk = np.array([1, 4, 9, 3, 5, 0, 7])
    found = search_groups(group, key, qg, qk, side=side)
    expected = [
        np.searchsorted(key[group == g], k, side=side) + np.searchsorted(group, g)
        for g, k in zip(qg, qk, strict=True)
    ]
    assert found.tolist() == expected
