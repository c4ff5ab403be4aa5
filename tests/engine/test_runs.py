"""Operations on runs of equal codes, against plain loops."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from consumption.engine import runs

sorted_codes = st.lists(st.integers(0, 4), max_size=30).map(sorted)


def _runs(codes: list[int]) -> list[list[int]]:
    """Positions of each run of equal consecutive codes."""
    out: list[list[int]] = []
    for _, group in itertools.groupby(range(len(codes)), key=lambda i: codes[i]):
        out.append(list(group))
    return out


@given(sorted_codes)
def test_run_starts_first_and_rank(codes: list[int]) -> None:
    array = np.array(codes, dtype=np.int64)
    expected = _runs(codes)
    assert runs.run_starts(array).tolist() == [r[0] for r in expected]
    assert runs.run_first(array).tolist() == [r[0] for r in expected for _ in r]
    assert runs.rank_within(array).tolist() == [k + 1 for r in expected for k in range(len(r))]


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-(10**9), 10**9)), max_size=30))
def test_cumsum_and_cummax_within_restart_at_every_run(pairs: list[tuple[int, int]]) -> None:
    pairs.sort(key=lambda p: p[0])
    codes = np.array([c for c, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=np.int64)
    sums, maxima = [], []
    for run in _runs(codes.tolist()):
        sums += list(itertools.accumulate(values[run].tolist()))
        maxima += list(itertools.accumulate(values[run].tolist(), max))
    assert runs.cumsum_within(values, codes).tolist() == sums
    assert runs.cummax_within(values, codes).tolist() == maxima


@given(st.lists(st.tuples(st.integers(-5, 5), st.integers(0, 4)), max_size=20))
def test_expand_flattens_ranges(ranges: list[tuple[int, int]]) -> None:
    first = np.array([f for f, _ in ranges], dtype=np.int64)
    count = np.array([n for _, n in ranges], dtype=np.int64)
    owner, values = runs.expand(first, count)
    expected = [(i, f + k) for i, (f, n) in enumerate(ranges) for k in range(n)]
    assert list(zip(owner.tolist(), values.tolist(), strict=True)) == expected


@given(
    st.lists(
        st.tuples(st.integers(-3, 3), st.integers(0, 2**40), st.integers(0, 2**40)), max_size=30
    )
)
def test_sort_by_is_a_stable_lexicographic_sort(rows: list[tuple[int, int, int]]) -> None:
    # Three columns of 2**40 values do not fit one key: sort_by falls back to lexsort.
    columns = [np.array(c, dtype=np.int64) for c in zip(*rows, strict=True)] if rows else []
    order = runs.sort_by(*columns) if rows else np.zeros(0, dtype=np.int64)
    assert order.tolist() == sorted(range(len(rows)), key=lambda i: rows[i])
    if rows:
        narrow = runs.sort_by(columns[0], columns[1] % 7)
        assert narrow.tolist() == sorted(
            range(len(rows)), key=lambda i: (rows[i][0], rows[i][1] % 7)
        )
