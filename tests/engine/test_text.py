"""Text turned into integers must sort and compare exactly like the text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import consumption
from consumption.engine.encode import fefo_order
from consumption.engine.runs import radix_argsort
from consumption.engine.text import (
    argsort_with_text_ties,
    byte_matrix,
    duplicate_rows,
    ordinal_codes,
)

ids = st.text(alphabet="AB019-é", min_size=1, max_size=12)


@given(st.lists(st.integers(0, 2**40), max_size=60))
def test_radix_argsort_is_a_stable_sort(keys: list[int]) -> None:
    array = np.array(keys, dtype=np.int64)
    assert radix_argsort(array).tolist() == sorted(range(len(keys)), key=lambda i: keys[i])


@given(st.lists(ids, max_size=40))
def test_ordinal_codes_order_like_utf8_text(texts: list[str]) -> None:
    codes, _ = ordinal_codes(byte_matrix(pa.array(texts, pa.large_string())), 63)
    for i in range(len(texts)):
        for j in range(len(texts)):
            a, b = texts[i].encode(), texts[j].encode()
            assert (codes[i] < codes[j]) == (a < b)
            assert (codes[i] == codes[j]) == (a == b)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-2, 3), ids), max_size=40))
def test_fefo_order_sorts_by_group_key_then_text(rows: list[tuple[int, int, str]]) -> None:
    rows = list({(g, t): (g, k, t) for g, k, t in rows}.values())  # lots are unique
    group = np.array([r[0] for r in rows], dtype=np.int64)
    key = np.array([r[1] for r in rows], dtype=np.int64)
    text = pa.array([r[2] for r in rows], pa.large_string())
    expected = sorted(range(len(rows)), key=lambda i: (rows[i][0], rows[i][1], rows[i][2].encode()))
    assert fefo_order(group, key, text).tolist() == expected
    packed = (group << 8) | (key + 2)
    assert argsort_with_text_ties(packed, text).tolist() == expected


@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["a", "b", "é" * 20])), max_size=30))
def test_duplicate_rows_finds_exactly_the_repeats(rows: list[tuple[int, str]]) -> None:
    group = np.array([r[0] for r in rows], dtype=np.int64)
    text = pa.array([r[1] for r in rows], pa.large_string())
    first_seen: dict[tuple[int, str], int] = {}
    expected = []
    for i, row in enumerate(rows):
        if row in first_seen:
            expected.append((i, first_seen[row]))
        first_seen.setdefault(row, i)
    assert duplicate_rows([group, text]) == expected


@pytest.mark.parametrize("lot", ["L1", "L-" + "9" * 40])  # radix path, and text fallback
def test_allocate_refuses_duplicate_lots_in_plain_frames(lot: str) -> None:
    inventory = pd.DataFrame(
        {"item": ["A", "A", "A"], "lot": [lot, "other", lot], "qty": [1, 2, 3],
         "shelf_life": [10, 20, 30]}
    )  # fmt: skip
    demand = pd.DataFrame({"item": ["A"], "qty": [1]})
    with pytest.raises(consumption.InputError) as error:
        consumption.allocate(inventory, demand)
    [problem] = error.value.problems
    assert (problem.code, problem.table, problem.row, problem.column) == (
        "duplicate_lot",
        "inventory",
        3,
        "lot",
    )
    assert "already on row 1" in problem.message


def test_the_same_lot_id_under_two_items_is_no_duplicate() -> None:
    inventory = pd.DataFrame(
        {"item": ["A", "B"], "lot": ["L1", "L1"], "qty": [1, 2], "shelf_life": [10, 20]}
    )
    demand = pd.DataFrame({"item": ["B"], "qty": [5]})
    result = consumption.allocate(inventory, demand)
    assert result.lots["consumed"].tolist() == [0, 2]
