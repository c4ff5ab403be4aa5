"""Property tests of the engine (`consumption.allocate`) against the oracles, without dates.

Every generated problem is allocated by the engine and by the plain sequential reference; the
two must agree lot by lot, line by line and allocation by allocation. Conservation and
eligibility are also checked on the engine's own output, so that a failure points at the
engine even if the reference were wrong in the same way. Quantities are compared exactly, as
integers in units of 10**-6 (inputs have at most 6 decimals).
"""

from __future__ import annotations

from collections import Counter
from random import Random
from typing import Any, NamedTuple

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.lp_oracle import max_fill
from support.reference import LotKey, ReferenceResult, reference_allocate, to_micro
from support.strategies import Problem, problems

import consumption
from consumption import constants as c


class LotRow(NamedTuple):
    """One row of the lots frame as plain values; quantities in units of 10**-6."""

    shelf_life: int
    rank: int
    qty: int
    requirement_considered: int | None
    consumed: int
    remaining: int
    status: str
    reason: str


# --- reading the engine's frames into plain values ----------------------------------------


def optional_int(value: Any) -> int | None:
    """An integer cell that may be NA (requirement considered)."""
    return None if pd.isna(value) else int(value)


def text(value: Any) -> str:
    """A text cell where NA and "" both mean empty (reason)."""
    return "" if pd.isna(value) else str(value)


def line_labels(demand: pd.DataFrame) -> list[str]:
    """What the engine calls each demand line: its id when given, else its 1-based row."""
    if c.ID in demand.columns:
        return [str(value) for value in demand[c.ID]]
    return [str(position + 1) for position in range(len(demand))]


def label(value: Any) -> str:
    """An engine ``line`` cell as text, tolerant of row numbers held as floats."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def input_location(frame: pd.DataFrame, position: int) -> str:
    """An input row's location; "" when the frame has no location column."""
    return str(frame[c.LOCATION].iloc[position]) if c.LOCATION in frame.columns else ""


def input_lots(inventory: pd.DataFrame) -> dict[LotKey, pd.Series]:
    """Inventory rows by (item, location, lot)."""
    return {
        (str(row[c.ITEM]), input_location(inventory, i), str(row[c.LOT])): row
        for i, (_, row) in enumerate(inventory.iterrows())
    }


def engine_lots(lots: pd.DataFrame) -> dict[LotKey, LotRow]:
    """The engine's lots frame as plain values, keyed like the reference."""
    rows: dict[LotKey, LotRow] = {}
    for row in lots.itertuples(index=False):
        r = row._asdict()
        key = (str(r[c.ITEM]), str(r[c.LOCATION]), str(r[c.LOT]))
        assert key not in rows, f"lot {key} appears twice"
        rows[key] = LotRow(
            int(r[c.SHELF_LIFE]),
            int(r[c.RANK]),
            to_micro(r[c.QTY]),
            optional_int(r[c.REQUIREMENT_CONSIDERED]),
            to_micro(r[c.CONSUMED]),
            to_micro(r[c.REMAINING]),
            text(r[c.STATUS]),
            text(r[c.REASON]),
        )
    return rows


def expected_lots(inventory: pd.DataFrame, ref: ReferenceResult) -> dict[LotKey, LotRow]:
    """The same view built from the input and the reference."""
    return {
        key: LotRow(
            int(row[c.SHELF_LIFE]),
            ref.rank[key],
            to_micro(row[c.QTY]),
            ref.requirement_considered[key],
            to_micro(ref.consumed[key]),
            to_micro(ref.remaining[key]),
            ref.status[key],
            ref.reason[key],
        )
        for key, row in input_lots(inventory).items()
    }


def engine_allocations(allocations: pd.DataFrame) -> Counter[tuple[str, str, str, str, int]]:
    """Multiset of (item, lot location, lot, line, qty micro) from the engine."""
    return Counter(
        (str(item), str(location), str(lot), label(line), to_micro(qty))
        for item, location, lot, line, qty in zip(
            allocations[c.ITEM],
            allocations[c.LOT_LOCATION],
            allocations[c.LOT],
            allocations[c.LINE],
            allocations[c.QTY],
            strict=True,
        )
    )


def expected_allocations(
    demand: pd.DataFrame, ref: ReferenceResult
) -> Counter[tuple[str, str, str, str, int]]:
    """The same multiset from the reference."""
    labels = line_labels(demand)
    return Counter(
        (key[0], key[1], key[2], labels[position], to_micro(qty))
        for key, position, qty in ref.allocations
    )


def remaining_demand_rows(frame: pd.DataFrame) -> Counter[tuple[str, str, str, int, int, int]]:
    """Multiset of (item, location, lot, rank, requirement, remaining demand micro)."""
    return Counter(
        (str(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]), to_micro(r[5]))
        for r in frame[list(c.REMAINING_DEMAND_COLUMNS)].itertuples(index=False)
    )


def expected_remaining_demand(ref: ReferenceResult) -> Counter[tuple[str, str, str, int, int, int]]:
    """The same multiset from the reference."""
    return Counter(
        (key[0], key[1], key[2], ref.rank[key], requirement, to_micro(open_qty))
        for (key, requirement), open_qty in ref.remaining_demand.items()
    )


def sums_by(keys: list[Any], quantities: list[int]) -> dict[Any, int]:
    """Total micro quantity per key."""
    totals: dict[Any, int] = {}
    for key, qty in zip(keys, quantities, strict=True):
        totals[key] = totals.get(key, 0) + qty
    return totals


# --- against the reference ------------------------------------------------------------------


@given(problems())
def test_lots_match_reference(problem: Problem) -> None:
    inventory, demand = problem
    lots = consumption.allocate(inventory, demand).lots
    assert list(lots.columns) == list(c.LOTS_COLUMNS)
    assert engine_lots(lots) == expected_lots(inventory, reference_allocate(inventory, demand))


@given(problems())
def test_lots_are_in_item_location_rank_order(problem: Problem) -> None:
    lots = consumption.allocate(*problem).lots
    order = [
        (str(i), str(loc), int(r))
        for i, loc, r in zip(lots[c.ITEM], lots[c.LOCATION], lots[c.RANK], strict=True)
    ]
    assert order == sorted(order)


@given(problems())
def test_demand_matches_reference(problem: Problem) -> None:
    inventory, demand = problem
    got = consumption.allocate(inventory, demand).demand
    ref = reference_allocate(inventory, demand)
    assert list(got.columns) == list(c.DEMAND_COLUMNS)
    assert [label(v) for v in got[c.LINE]] == line_labels(demand)
    assert [to_micro(v) for v in got[c.QTY]] == [to_micro(v) for v in demand[c.QTY]]
    assert [to_micro(v) for v in got[c.FILLED]] == [
        to_micro(ref.filled[p]) for p in range(len(got))
    ]
    assert [to_micro(v) for v in got[c.SHORT]] == [to_micro(ref.short[p]) for p in range(len(got))]


@given(problems())
def test_allocations_match_reference(problem: Problem) -> None:
    inventory, demand = problem
    allocations = consumption.allocate(inventory, demand).allocations
    assert list(allocations.columns) == list(c.ALLOCATIONS_COLUMNS)
    expected = expected_allocations(demand, reference_allocate(inventory, demand))
    assert engine_allocations(allocations) == expected


@given(problems())
def test_remaining_demand_matches_reference(problem: Problem) -> None:
    inventory, demand = problem
    got = consumption.allocate(inventory, demand).remaining_demand
    assert list(got.columns) == list(c.REMAINING_DEMAND_COLUMNS)
    expected = expected_remaining_demand(reference_allocate(inventory, demand))
    assert remaining_demand_rows(got) == expected


# --- on the engine's own output ---------------------------------------------------------------


@given(problems())
def test_engine_conserves(problem: Problem) -> None:
    """Per lot consumed + remaining = qty = input qty and allocations add up to consumed; per
    line filled + short = qty and allocations add up to filled; no empty allocation rows."""
    inventory, demand = problem
    result = consumption.allocate(inventory, demand)
    lots = engine_lots(result.lots)
    input_qty = {key: to_micro(row[c.QTY]) for key, row in input_lots(inventory).items()}
    assert input_qty == {key: lot.qty for key, lot in lots.items()}
    alloc_qty = [to_micro(q) for q in result.allocations[c.QTY]]
    assert all(q > 0 for q in alloc_qty)
    alloc_lots = list(
        zip(
            result.allocations[c.ITEM].astype(str),
            result.allocations[c.LOT_LOCATION].astype(str),
            result.allocations[c.LOT].astype(str),
            strict=True,
        )
    )
    given_by_lot = sums_by(alloc_lots, alloc_qty)
    for key, lot in lots.items():
        assert lot.consumed + lot.remaining == lot.qty
        assert 0 <= lot.consumed == given_by_lot.get(key, 0)
    taken_by_line = sums_by([label(v) for v in result.allocations[c.LINE]], alloc_qty)
    for line, qty, filled, short in zip(
        result.demand[c.LINE],
        result.demand[c.QTY],
        result.demand[c.FILLED],
        result.demand[c.SHORT],
        strict=True,
    ):
        assert to_micro(filled) + to_micro(short) == to_micro(qty)
        assert 0 <= to_micro(filled) == taken_by_line.get(label(line), 0)


@given(problems())
def test_engine_allocations_are_eligible(problem: Problem) -> None:
    """Each allocation joins a real lot to a real line of the same item and location, the lot
    not expired and its shelf life at least the line's requirement (SPEC §2)."""
    inventory, demand = problem
    allocations = consumption.allocate(inventory, demand).allocations
    lots = input_lots(inventory)
    lines = {name: position for position, name in enumerate(line_labels(demand))}
    for r in allocations.itertuples(index=False):
        row = r._asdict()
        position = lines[label(row[c.LINE])]
        lot = lots[(str(row[c.ITEM]), str(row[c.LOT_LOCATION]), str(row[c.LOT]))]
        requirement = int(demand[c.REQUIREMENT].iloc[position])
        assert str(demand[c.ITEM].iloc[position]) == str(row[c.ITEM])
        assert input_location(demand, position) == str(row[c.DEMAND_LOCATION])
        assert str(row[c.DEMAND_LOCATION]) == str(row[c.LOT_LOCATION])
        assert int(row[c.REQUIREMENT]) == requirement
        assert 0 <= int(lot[c.SHELF_LIFE]) >= requirement


@given(problems(priority=False))
def test_engine_total_fill_is_lp_optimum(problem: Problem) -> None:
    """SPEC §3: without priorities the pass is nested and the greedy's total is the maximum."""
    filled = consumption.allocate(*problem).demand[c.FILLED]
    total = sum(to_micro(v) for v in filled) / 10**c.MAX_QTY_DECIMALS
    assert total == pytest.approx(max_fill(*problem), abs=1e-6)


@given(problems(), st.randoms(use_true_random=False))
def test_lots_do_not_depend_on_inventory_order(problem: Problem, rng: Random) -> None:
    inventory, demand = problem
    shuffled = inventory.sample(frac=1, random_state=rng.randrange(2**32))
    expected = consumption.allocate(inventory, demand)
    got = consumption.allocate(shuffled, demand)
    pd.testing.assert_frame_equal(
        got.lots.reset_index(drop=True), expected.lots.reset_index(drop=True)
    )
    assert engine_allocations(got.allocations) == engine_allocations(expected.allocations)
