"""Tests of the oracles themselves: the reference greedy, the LP and the strategies.

The engine is judged against these, so they are checked first against the spec's own
example, against hand-made cases, and against each other on generated inputs.
"""

from __future__ import annotations

from fractions import Fraction
from random import Random

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.lp_oracle import max_fill, max_fill_highs
from support.reference import ReferenceResult, reference_allocate, to_micro
from support.strategies import Problem, problems

from consumption import constants as c

# SPEC §1, the forum example, as the spec prints it:
# lot, shelf life, rank, qty, requirement considered, consumed, remaining,
# remaining 180 demand, remaining 270 demand.
FORUM_TABLE = [
    ("1234", 190, 1, 500, 180, 450, 50, 0, 3000),
    ("5678", 211, 2, 600, 180, 0, 600, 0, 3000),
    ("9876", 345, 3, 7000, 270, 3000, 4000, 0, 0),
]


def frame(**columns: list[object]) -> pd.DataFrame:
    """A small inline DataFrame from keyword columns."""
    return pd.DataFrame(columns)


def forum_inputs() -> Problem:
    """The forum example's inventory and demand, with canonical column names."""
    inventory = frame(
        item=["A"] * 3,
        lot=[row[0] for row in FORUM_TABLE],
        qty=[row[3] for row in FORUM_TABLE],
        shelf_life=[row[1] for row in FORUM_TABLE],
    )
    return inventory, frame(item=["A", "A"], qty=[450, 3000], requirement=[180, 270])


def lot_key(row: pd.Series) -> tuple[str, str, str]:
    """(item, location, lot) of an inventory row, as the reference keys it."""
    return str(row[c.ITEM]), str(row.get(c.LOCATION, "")), str(row[c.LOT])


def total_qty(frame_: pd.DataFrame) -> Fraction:
    """Exact sum of a frame's qty column."""
    return sum((Fraction(str(q)) for q in frame_[c.QTY]), Fraction(0))


# --- the spec's example ------------------------------------------------------------


def test_forum_example_matches_spec_table() -> None:
    result = reference_allocate(*forum_inputs())
    for lot, _, rank, _, considered, consumed, remaining, open180, open270 in FORUM_TABLE:
        key = ("A", "", lot)
        assert result.rank[key] == rank
        assert result.requirement_considered[key] == considered
        assert result.consumed[key] == consumed
        assert result.remaining[key] == remaining
        assert result.remaining_demand[(key, 180)] == open180
        assert result.remaining_demand[(key, 270)] == open270


def test_forum_example_status_reason_and_fill() -> None:
    result = reference_allocate(*forum_inputs())
    assert [result.status[("A", "", lot)] for lot, *_ in FORUM_TABLE] == [
        c.STATUS_PARTIAL,
        c.STATUS_UNCONSUMED,
        c.STATUS_PARTIAL,
    ]
    assert {result.reason[("A", "", lot)] for lot, *_ in FORUM_TABLE} == {c.REASON_EXCESS}
    assert result.filled == {0: 450, 1: 3000}
    assert max_fill(*forum_inputs()) == pytest.approx(3450)


# --- hand-made cases, one rule each -------------------------------------------------


def test_tied_shelf_life_is_ranked_by_lot_id_as_text() -> None:
    inventory = frame(item=["A"] * 3, lot=["L7", "L10", "L9"], qty=[1, 1, 1], shelf_life=[5] * 3)
    result = reference_allocate(inventory, frame(item=["A"], qty=[1], requirement=[0]))
    assert [result.rank[("A", "", lot)] for lot in ["L10", "L7", "L9"]] == [1, 2, 3]
    assert result.consumed[("A", "", "L10")] == 1


def test_lines_are_served_by_priority_with_missing_last_then_requirement() -> None:
    inventory = frame(item=["A"], lot=["L1"], qty=[3], shelf_life=[10])
    demand = frame(
        item=["A"] * 4,
        qty=[1] * 4,
        requirement=[0, 5, 0, 0],
        priority=pd.array([pd.NA, 2, 2, 1], dtype="Int64"),
    )
    result = reference_allocate(inventory, demand)
    assert result.filled == {3: 1, 2: 1, 1: 1, 0: 0}


def test_equal_keys_are_served_in_file_order() -> None:
    inventory = frame(item=["A"], lot=["L1"], qty=[1], shelf_life=[10])
    result = reference_allocate(inventory, frame(item=["A"] * 2, qty=[1, 1], requirement=[4, 4]))
    assert result.filled == {0: 1, 1: 0}


def test_reasons_for_stock_left_over() -> None:
    inventory = frame(
        item=["A", "A", "A", "B"],
        lot=["expired", "short", "spare", "orphan"],
        qty=[1, 1, 5, 1],
        shelf_life=[-1, 2, 10, 10],
    )
    result = reference_allocate(inventory, frame(item=["A"], qty=[2], requirement=[3]))
    assert result.reason == {
        ("A", "", "expired"): c.REASON_EXPIRED,
        ("A", "", "short"): c.REASON_STRANDED,
        ("A", "", "spare"): c.REASON_EXCESS,
        ("B", "", "orphan"): c.REASON_NO_DEMAND,
    }
    assert result.requirement_considered[("A", "", "short")] is None
    assert result.requirement_considered[("A", "", "expired")] is None


def test_empty_lot_is_unconsumed_and_consumed_lot_has_no_reason() -> None:
    inventory = frame(item=["A", "A"], lot=["L1", "L2"], qty=[0, 2], shelf_life=[1, 2])
    result = reference_allocate(inventory, frame(item=["A"], qty=[2], requirement=[0]))
    assert result.status == {("A", "", "L1"): c.STATUS_UNCONSUMED, ("A", "", "L2"): "consumed"}
    assert result.reason == {("A", "", "L1"): "", ("A", "", "L2"): ""}


def test_locations_do_not_mix() -> None:
    inventory = frame(item=["A"], location=["W1"], lot=["L1"], qty=[5], shelf_life=[10])
    demand = frame(item=["A"], location=["W2"], qty=[5], requirement=[0])
    result = reference_allocate(inventory, demand)
    assert result.filled == {0: 0}
    assert result.reason[("A", "W1", "L1")] == c.REASON_NO_DEMAND
    assert max_fill(inventory, demand) == 0


def test_priority_decides_who_goes_short_not_how_much_is_filled() -> None:
    """By requirement the 0-day line comes first and spills into the long lot, leaving the
    6-day line short; given priority, the 6-day line is filled and the 0-day one goes short.
    The total stays at the LP optimum either way (see the proof in
    ``test_reference_total_is_lp_optimum_even_with_priority``)."""
    inventory = frame(item=["A", "A"], lot=["L1", "L2"], qty=[4, 4], shelf_life=[3, 8])
    demand = frame(item=["A", "A"], qty=[6, 4], requirement=[0, 6])
    plain = reference_allocate(inventory, demand)
    ranked = reference_allocate(inventory, demand.assign(priority=[2, 1]))
    assert plain.filled == {0: 6, 1: 2}
    assert ranked.filled == {0: 4, 1: 4}
    assert plain.total_filled == ranked.total_filled == 8 == max_fill(inventory, demand)


def test_lp_tells_a_wasteful_allocation_from_an_optimal_one() -> None:
    """Serving the 0-day line from the long lot (anti-FEFO) strands the 6-day line: 4 filled
    where the LP, and the FEFO reference, reach 8. The oracle can tell the difference."""
    inventory = frame(item=["A", "A"], lot=["L1", "L2"], qty=[4, 4], shelf_life=[3, 8])
    demand = frame(item=["A", "A"], qty=[4, 4], requirement=[0, 6])
    wasteful_fill = 4  # line 0 takes L2, so line 1 has nothing eligible left
    assert max_fill(inventory, demand) == pytest.approx(8)
    assert max_fill(inventory, demand) > wasteful_fill
    assert reference_allocate(inventory, demand).total_filled == 8


def test_lp_without_eligible_pairs_is_zero() -> None:
    inventory = frame(item=["A"], lot=["L1"], qty=[5], shelf_life=[-1])
    assert max_fill(inventory, frame(item=["A"], qty=[5], requirement=[0])) == 0


# --- generated inputs -----------------------------------------------------------------


def check_conservation(
    inventory: pd.DataFrame, demand: pd.DataFrame, result: ReferenceResult
) -> None:
    """consumed + remaining = qty per lot, filled + short = qty per line, and allocations add
    up to both, all in exact arithmetic."""
    for _, row in inventory.iterrows():
        key = lot_key(row)
        assert result.consumed[key] + result.remaining[key] == Fraction(str(row[c.QTY]))
        assert result.consumed[key] >= 0
        given_away = sum(q for k, _, q in result.allocations if k == key)
        assert given_away == result.consumed[key]
    for position, qty in enumerate(demand[c.QTY]):
        assert result.filled[position] + result.short[position] == Fraction(str(qty))
        assert result.filled[position] >= 0
        assert sum(q for _, p, q in result.allocations if p == position) == result.filled[position]


@given(problems())
def test_reference_conserves(problem: Problem) -> None:
    check_conservation(*problem, reference_allocate(*problem))


@given(problems())
def test_reference_allocations_are_eligible(problem: Problem) -> None:
    """Checked against the input rows, not through the reference's own eligibility test."""
    inventory, demand = problem
    result = reference_allocate(inventory, demand)
    lots = {lot_key(row): row for _, row in inventory.iterrows()}
    for key, position, qty in result.allocations:
        line = demand.iloc[position]
        assert qty > 0
        assert (str(line[c.ITEM]), str(line.get(c.LOCATION, ""))) == key[:2]
        assert 0 <= lots[key][c.SHELF_LIFE] >= line[c.REQUIREMENT]


@given(problems())
def test_reference_leaves_no_short_line_next_to_usable_stock(problem: Problem) -> None:
    """Greedy maximality: a line goes short only when every lot it accepts is used up."""
    inventory, demand = problem
    result = reference_allocate(inventory, demand)
    lots = {lot_key(row): row for _, row in inventory.iterrows()}
    for position, short in result.short.items():
        line = demand.iloc[position]
        for key, row in lots.items():
            eligible = key[:2] == (str(line[c.ITEM]), str(line.get(c.LOCATION, "")))
            eligible = eligible and 0 <= row[c.SHELF_LIFE] >= line[c.REQUIREMENT]
            assert not (short > 0 and eligible and result.remaining[key] > 0)


@given(problems())
def test_remaining_demand_after_last_lot_is_the_shortfall(problem: Problem) -> None:
    """After the highest-rank lot of a group, the open requirement-R demand is exactly what
    the group's requirement-R lines went short by."""
    inventory, demand = problem
    result = reference_allocate(inventory, demand)
    # Written in rank order, so each group ends up holding its highest-rank lot.
    last = {key[:2]: key for key in sorted(result.rank, key=result.rank.__getitem__)}
    shortfall: dict[tuple[tuple[str, str], int], Fraction] = {}
    for position, short in result.short.items():
        line = demand.iloc[position]
        group = (str(line[c.ITEM]), str(line.get(c.LOCATION, "")))
        key = (group, int(line[c.REQUIREMENT]))
        shortfall[key] = shortfall.get(key, Fraction(0)) + short
    for (group, requirement), short in shortfall.items():
        if group in last:
            assert result.remaining_demand[(last[group], requirement)] == short


@given(problems(priority=False))
def test_reference_total_is_lp_optimum_without_priority(problem: Problem) -> None:
    """SPEC §3: in the nested case (thresholds rise along the serving order) greedy is optimal."""
    total = reference_allocate(*problem).total_filled
    assert max_fill(*problem) == pytest.approx(float(total), abs=1e-6)


@given(problems(priority=True))
def test_reference_total_is_lp_optimum_even_with_priority(problem: Problem) -> None:
    """Without lanes or dates the total is optimal in any serving order. Proof: take a short
    line j and a lot i with stock left. The last line on an augmenting path j - k1 - m1 - ... -
    m_r - i accepts i, so it was served while i had stock and took only lots ranked before i;
    the line before it accepts such a lot, hence (suffix eligibility) accepts i too; by
    induction j accepts i, which a greedy never leaves short. Priorities reorder who goes
    short, never the total, so the LP and the greedy only part ways with lanes or dates."""
    total = reference_allocate(*problem).total_filled
    assert max_fill(*problem) == pytest.approx(float(total), abs=1e-6)


@given(problems())
def test_cbc_and_highs_agree_within_supply_and_demand(problem: Problem) -> None:
    """Two solvers, one model: a wrong model would usually still agree, so the optimum is
    also bounded by the total lot quantity and the total demand."""
    inventory, demand = problem
    best = max_fill(inventory, demand)
    assert best == pytest.approx(max_fill_highs(inventory, demand), abs=1e-6)
    assert -1e-6 <= best <= min(total_qty(inventory), total_qty(demand)) + 1e-6


@given(problems(), st.randoms(use_true_random=False))
def test_reference_does_not_depend_on_inventory_order(problem: Problem, rng: Random) -> None:
    inventory, demand = problem
    shuffled = inventory.sample(frac=1, random_state=rng.randrange(2**32))
    expected, got = reference_allocate(inventory, demand), reference_allocate(shuffled, demand)
    assert got.consumed == expected.consumed
    assert got.rank == expected.rank
    assert sorted(got.allocations) == sorted(expected.allocations)


def test_to_micro_is_exact() -> None:
    assert to_micro(Fraction(1, 10**6)) == 1
    assert to_micro(0.1 + 0.2) == 300000
    assert to_micro(1.5) == 1_500_000
