"""Property tests of the engine with dates, future receipts, priorities and lanes.

The engine (``consumption.allocate``) is compared with the plain sequential reference
(``tests/reference.py``) lot by lot, line by line and allocation by allocation, in every mode:
``order`` requirement or due, with or without lanes, with or without dates. Eligibility and
conservation are also checked on the engine's own output, worked out here from the input rows
rather than through the reference, so that a slip shared by both would still show. Quantities
are compared exactly, as integers in units of 10**-6.

The hand-made cases at the top pin the reference itself to answers worked out by hand, so
that the oracle the engine is held to is right on the rules that dates, receipts and lanes add.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from random import Random
from typing import Any, NamedTuple

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.reference import (
    LotKey,
    ReferenceResult,
    default_horizon,
    reference_allocate,
    reference_expiry_risk,
    reference_risk_by_period,
    to_date,
    to_micro,
)
from support.strategies import (
    Instance,
    binding_receipts_problems,
    crossing_problems,
    dated_problems,
)

import consumption
from consumption import constants as c

ORDERS = (c.ORDER_REQUIREMENT, c.ORDER_DUE)
MODES = [
    pytest.param(order, dates, lanes, id=f"{order}-{'dates' if dates else 'days'}-"
                 f"{'lanes' if lanes else 'local'}")
    for order in ORDERS
    for dates in (True, False)
    for lanes in (True, False)
]  # fmt: skip
# The mode tests run once per mode: a quarter of the profile's examples each keeps the whole
# file at about the cost of two plain property tests per mode pair.
PER_MODE = settings(max_examples=max(20, settings().max_examples // 4))


# --- running both --------------------------------------------------------------------------


def run_engine(instance: Instance, order: str, **options: Any) -> consumption.Result:
    """The engine on one instance."""
    return consumption.allocate(
        instance.inventory,
        instance.demand,
        lanes=instance.lanes,
        as_of=instance.as_of,
        order=order,
        **options,
    )


def run_reference(instance: Instance, order: str) -> ReferenceResult:
    """The reference on one instance."""
    return reference_allocate(
        instance.inventory, instance.demand, lanes=instance.lanes, as_of=instance.as_of, order=order
    )


# --- reading frames into plain values --------------------------------------------------------


class LotRow(NamedTuple):
    """What is compared per lot; quantities in units of 10**-6."""

    rank: int
    qty: int
    consumed: int
    remaining: int
    status: str
    reason: str
    requirement_considered: int | None


class LineRow(NamedTuple):
    """What is compared per demand line; quantities in units of 10**-6."""

    line: str
    qty: int
    filled: int
    short: int
    reason: str


def text(value: Any) -> str:
    """A text cell where NA and "" both mean empty."""
    return "" if value is None or pd.isna(value) else str(value)


def optional_int(value: Any) -> int | None:
    """An integer cell that may be NA."""
    return None if value is None or pd.isna(value) else int(value)


def label(value: Any) -> str:
    """An engine ``line`` cell as text, tolerant of row numbers held as floats."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def line_labels(demand: pd.DataFrame) -> list[str]:
    """What the engine calls each demand line: its id when given, else its 1-based row."""
    if c.ID in demand.columns:
        return [str(value) for value in demand[c.ID]]
    return [str(position + 1) for position in range(len(demand))]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as dicts of plain values."""
    return [row._asdict() for row in frame.itertuples(index=False)]


def engine_lots(lots: pd.DataFrame) -> dict[LotKey, LotRow]:
    """The engine's lots frame keyed like the reference, each lot once."""
    rows: dict[LotKey, LotRow] = {}
    for r in records(lots):
        key = (str(r[c.ITEM]), text(r[c.LOCATION]), str(r[c.LOT]))
        assert key not in rows, f"lot {key} appears twice"
        rows[key] = LotRow(
            int(r[c.RANK]),
            to_micro(r[c.QTY]),
            to_micro(r[c.CONSUMED]),
            to_micro(r[c.REMAINING]),
            text(r[c.STATUS]),
            text(r[c.REASON]),
            optional_int(r[c.REQUIREMENT_CONSIDERED]),
        )
    return rows


def expected_lots(ref: ReferenceResult) -> dict[LotKey, LotRow]:
    """The same view from the reference."""
    return {
        lot.key: LotRow(
            ref.rank[lot.key],
            to_micro(lot.qty),
            to_micro(ref.consumed[lot.key]),
            to_micro(ref.remaining[lot.key]),
            ref.status[lot.key],
            ref.reason[lot.key],
            ref.requirement_considered[lot.key],
        )
        for lot in ref.lots
    }


def engine_lines(demand: pd.DataFrame) -> list[LineRow]:
    """The engine's demand frame in its row order."""
    return [
        LineRow(
            label(r[c.LINE]),
            to_micro(r[c.QTY]),
            to_micro(r[c.FILLED]),
            to_micro(r[c.SHORT]),
            text(r[c.REASON]),
        )
        for r in records(demand)
    ]


def expected_lines(demand: pd.DataFrame, ref: ReferenceResult) -> list[LineRow]:
    """The same view from the reference, in file order."""
    labels = line_labels(demand)
    return [
        LineRow(
            labels[line.position],
            to_micro(line.qty),
            to_micro(ref.filled[line.position]),
            to_micro(ref.short[line.position]),
            ref.short_reason[line.position],
        )
        for line in ref.lines
    ]


Pair = tuple[str, str, str, str, str, int]
"""(item, lot location, lot, line, demand location, qty micro)."""


def engine_allocations(allocations: pd.DataFrame) -> Counter[Pair]:
    """Multiset of the engine's allocations."""
    return Counter(
        (
            str(r[c.ITEM]),
            text(r[c.LOT_LOCATION]),
            str(r[c.LOT]),
            label(r[c.LINE]),
            text(r[c.DEMAND_LOCATION]),
            to_micro(r[c.QTY]),
        )
        for r in records(allocations)
    )


def expected_allocations(demand: pd.DataFrame, ref: ReferenceResult) -> Counter[Pair]:
    """The same multiset from the reference."""
    labels = line_labels(demand)
    where = {line.position: line.group[1] for line in ref.lines}
    return Counter(
        (key[0], key[1], key[2], labels[position], where[position], to_micro(qty))
        for key, position, qty in ref.allocations
    )


def view(instance: Instance, result: consumption.Result | ReferenceResult) -> dict:
    """Lots, lines and allocations of either the engine or the reference, comparable."""
    if isinstance(result, ReferenceResult):
        return {
            "lots": expected_lots(result),
            "lines": expected_lines(instance.demand, result),
            "allocations": expected_allocations(instance.demand, result),
        }
    return {
        "lots": engine_lots(result.lots),
        "lines": engine_lines(result.demand),
        "allocations": engine_allocations(result.allocations),
    }


def counts(result: consumption.Result) -> tuple[int, int]:
    """(nested, general) (pass, group) blocks, as the engine's summary counts them."""
    numbers = result.summary["counts"]
    return int(numbers["passes_nested"]), int(numbers["passes_general"])


# --- the reference on hand-made cases ------------------------------------------------------------

AS_OF = dt.date(2026, 12, 1)


def day(n: int | None) -> pd.Timestamp | None:
    """Day ``n`` after ``AS_OF`` (None stays None)."""
    return None if n is None else pd.Timestamp(AS_OF + dt.timedelta(days=n))


def dates(*days: int | None) -> pd.Series:
    """A datetime64[s] column of days after ``AS_OF``."""
    return pd.Series([day(n) for n in days], dtype="datetime64[s]")


class Case(NamedTuple):
    """A hand-made instance and what the rules say about it, worked out by hand."""

    instance: Instance
    order: str
    filled: dict[int, int]
    short_reason: dict[int, str]
    consumed: dict[LotKey, int]
    reason: dict[LotKey, str]
    considered: dict[LotKey, int | None]


def receipts_case(order: str) -> Case:
    """One item at one DC. Thresholds (due + requirement): D1 25, D2 45, D3 34, D5 100.
    L2 (60 days) arrives on day 10: too late for D1 and D2 (due day 5), in time for D3 (day
    14). L3 arrives on day 30, too late for everyone. Both orders serve D1, then D3 or D2."""
    inventory = pd.DataFrame(
        {
            c.ITEM: ["A", "A", "A", "A", "A", "C"],
            c.LOCATION: ["DC"] * 6,
            c.LOT: ["L1", "L2", "L3", "L4", "L5", "L9"],
            c.QTY: [5, 10, 4, 2, 3, 1],
            c.EXPIRY_DATE: dates(30, 60, 90, -1, 10, 50),
            c.AVAILABLE_DATE: dates(None, 10, 30, None, None, None),
        }
    )
    demand = pd.DataFrame(
        {
            c.ITEM: ["A", "A", "A", "B", "A"],
            c.LOCATION: ["DC"] * 5,
            c.QTY: [8, 2, 5, 1, 1],
            c.REQUIREMENT: [20, 40, 20, 0, 100],
            c.DUE_DATE: dates(5, 5, 14, 0, 0),
        }
    )
    lot = {name: ("A", "DC", name) for name in ("L1", "L2", "L3", "L4", "L5")}
    lot["L9"] = ("C", "DC", "L9")
    return Case(
        Instance(inventory, demand, None, AS_OF.isoformat()),
        order,
        filled={0: 5, 1: 0, 2: 5, 3: 0, 4: 0},
        short_reason={
            0: c.SHORT_EXHAUSTED,  # L1 was eligible and is used up
            1: c.SHORT_NOT_AVAILABLE,  # L2 and L3 are long enough, but arrive after day 5
            2: "",
            3: c.SHORT_NO_INVENTORY,
            4: c.SHORT_SHELF_LIFE,
        },
        consumed={lot["L1"]: 5, lot["L2"]: 5, lot["L3"]: 0, lot["L4"]: 0, lot["L5"]: 0},
        reason={
            lot["L1"]: "",
            lot["L2"]: c.REASON_EXCESS,  # eligible for D3, which is filled
            lot["L3"]: c.REASON_NOT_AVAILABLE,
            lot["L4"]: c.REASON_EXPIRED,
            lot["L5"]: c.REASON_STRANDED,
            lot["L9"]: c.REASON_NO_DEMAND,
        },
        considered={
            lot["L1"]: 20,  # D1 (25 <= 30); not D3 (34)
            lot["L2"]: 40,  # D2 (45 <= 60), though it cannot arrive in time for it
            lot["L3"]: 40,
            lot["L4"]: None,
            lot["L5"]: None,
            lot["L9"]: None,
        },
    )


def lanes_case(order: str) -> Case:
    """A central DC supplying R1 (2 days) and R2 (3 days); R2 also supplies R1 (rank 2).
    D1 at R1 (due day 0, 10 days): own L2 first (2), then the DC lane, where delivery is day 2
    and the threshold 12: L1 (20 days) gives 4. D2 at R2 (18 days): own L3 gives 5; through
    the DC lane delivery is day 3, threshold 21, so L1 (20 days) is too short by the transit.
    """
    inventory = pd.DataFrame(
        {
            c.ITEM: ["A", "A", "A", "A"],
            c.LOCATION: ["DC", "R1", "R2", "X"],
            c.LOT: ["L1", "L2", "L3", "L4"],
            c.QTY: [10, 2, 5, 7],
            c.SHELF_LIFE: [20, 15, 40, 30],
        }
    )
    demand = pd.DataFrame(
        {
            c.ID: ["D1", "D2"],
            c.ITEM: ["A", "A"],
            c.LOCATION: ["R1", "R2"],
            c.QTY: [6, 8],
            c.REQUIREMENT: [10, 18],
            c.DUE_DATE: dates(0, 0),
        }
    )
    lanes = pd.DataFrame(
        {
            c.FROM_LOCATION: ["DC", "DC", "R2", "R1"],
            c.TO_LOCATION: ["R1", "R2", "R1", "X"],
            c.TRANSIT_DAYS: [2, 3, 1, 1],
            c.RANK: [1, 1, 2, 1],
        }
    )
    return Case(
        Instance(inventory, demand, lanes, AS_OF),
        order,
        filled={0: 6, 1: 5},
        short_reason={0: "", 1: c.SHORT_EXHAUSTED},
        consumed={("A", "DC", "L1"): 4, ("A", "R1", "L2"): 2, ("A", "R2", "L3"): 5},
        reason={
            ("A", "DC", "L1"): c.REASON_EXCESS,
            ("A", "R1", "L2"): "",
            ("A", "R2", "L3"): "",
            ("A", "X", "L4"): c.REASON_NO_DEMAND,  # X has no line; no lane leaves X
        },
        considered={
            ("A", "DC", "L1"): 10,  # D1 via DC (12 <= 20); D2 via DC needs 21
            ("A", "R1", "L2"): 10,
            ("A", "R2", "L3"): 18,  # D2 at home (18) and D1 via R2 (11)
            ("A", "X", "L4"): None,
        },
    )


def priority_case(order: str) -> Case:
    """Priority before sourcing rank: D2 (priority 1, at R1) is served through its lane from
    the DC before D1 (priority 2) is served at the DC itself."""
    inventory = pd.DataFrame(
        {c.ITEM: ["A"], c.LOCATION: ["DC"], c.LOT: ["L1"], c.QTY: [5], c.SHELF_LIFE: [50]}
    )
    demand = pd.DataFrame(
        {
            c.ITEM: ["A", "A"],
            c.LOCATION: ["DC", "R1"],
            c.QTY: [5, 5],
            c.REQUIREMENT: [0, 0],
            c.PRIORITY: pd.array([2, 1], dtype="Int64"),
        }
    )
    lanes = pd.DataFrame(
        {c.FROM_LOCATION: ["DC"], c.TO_LOCATION: ["R1"], c.TRANSIT_DAYS: [1], c.RANK: [1]}
    )
    return Case(
        Instance(inventory, demand, lanes, None),
        order,
        filled={0: 0, 1: 5},
        short_reason={0: c.SHORT_EXHAUSTED, 1: ""},
        consumed={("A", "DC", "L1"): 5},
        reason={("A", "DC", "L1"): ""},
        considered={("A", "DC", "L1"): 0},
    )


def transit_without_dates_case(order: str) -> Case:
    """Without dates a lane's transit adds to the threshold: 10 days of shelf life serve a
    7-day requirement 3 days away, not an 8-day one."""
    inventory = pd.DataFrame(
        {c.ITEM: ["A"], c.LOCATION: ["DC"], c.LOT: ["L1"], c.QTY: [5], c.SHELF_LIFE: [10]}
    )
    demand = pd.DataFrame(
        {c.ITEM: ["A", "A"], c.LOCATION: ["R1", "R1"], c.QTY: [2, 2], c.REQUIREMENT: [8, 7]}
    )
    lanes = pd.DataFrame(
        {c.FROM_LOCATION: ["DC"], c.TO_LOCATION: ["R1"], c.TRANSIT_DAYS: [3], c.RANK: [1]}
    )
    return Case(
        Instance(inventory, demand, lanes, None),
        order,
        filled={0: 0, 1: 2},
        short_reason={0: c.SHORT_SHELF_LIFE, 1: ""},
        consumed={("A", "DC", "L1"): 2},
        reason={("A", "DC", "L1"): c.REASON_EXCESS},
        considered={("A", "DC", "L1"): 7},
    )


def order_case(order: str) -> Case:
    """The two orders part ways: D1 is due first (day 2) but needs the long lot L2 (threshold
    22), which only arrives on day 1; D2 is due on day 9 and takes anything (threshold 9). By
    requirement D2 goes first, takes L1 and spills into L2, and D1 goes 1 short; by due date
    D1 is served first and D2 goes 1 short. Same total, other line short."""
    inventory = pd.DataFrame(
        {
            c.ITEM: ["A", "A"],
            c.LOT: ["L1", "L2"],
            c.QTY: [4, 4],
            c.EXPIRY_DATE: dates(12, 30),
            c.AVAILABLE_DATE: dates(None, 1),
        }
    )
    demand = pd.DataFrame(
        {c.ITEM: ["A", "A"], c.QTY: [3, 6], c.REQUIREMENT: [20, 0], c.DUE_DATE: dates(2, 9)}
    )
    by_due = order == c.ORDER_DUE
    return Case(
        Instance(inventory, demand, None, AS_OF),
        order,
        filled={0: 3, 1: 5} if by_due else {0: 2, 1: 6},
        short_reason={0: "", 1: c.SHORT_EXHAUSTED} if by_due else {0: c.SHORT_EXHAUSTED, 1: ""},
        consumed={("A", "", "L1"): 4, ("A", "", "L2"): 4},
        reason={("A", "", "L1"): "", ("A", "", "L2"): ""},
        considered={("A", "", "L1"): 0, ("A", "", "L2"): 20},
    )


CASES = [
    pytest.param(make, order, id=f"{make.__name__.removesuffix('_case')}-{order}")
    for make in (receipts_case, lanes_case, priority_case, transit_without_dates_case, order_case)
    for order in ORDERS
]


@pytest.mark.parametrize(("make", "order"), CASES)
def test_reference_on_hand_made_cases(make: Any, order: str) -> None:
    case = make(order)
    ref = run_reference(case.instance, case.order)
    assert ref.filled == case.filled
    assert ref.short_reason == case.short_reason
    assert {key: ref.consumed[key] for key in case.consumed} == case.consumed
    assert sum(ref.consumed.values()) == sum(case.consumed.values())
    assert ref.reason == case.reason
    assert ref.requirement_considered == case.considered


@pytest.mark.parametrize(("make", "order"), CASES)
def test_engine_on_hand_made_cases(make: Any, order: str) -> None:
    case = make(order)
    got = run_engine(case.instance, case.order)
    assert view(case.instance, got) == view(case.instance, run_reference(case.instance, case.order))


def test_reference_expiry_risk_by_hand() -> None:
    """L3 (90 days, arriving too late) becomes unsellable for the least demanding A line
    (20 days) 70 days out, after the horizon (the last due date, day 14); stranded L5 (10
    days) is unsellable already."""
    case = receipts_case(c.ORDER_REQUIREMENT)
    inventory = case.instance.inventory.assign(**{c.UNIT_COST: [1.5] * 6})
    ref = reference_allocate(inventory, case.instance.demand, as_of=AS_OF)
    l3, l5 = ref.expiry_risk[("A", "DC", "L3")], ref.expiry_risk[("A", "DC", "L5")]
    assert l3.unsellable_date == AS_OF + dt.timedelta(days=90 - 20)
    assert (l3.at_risk, l3.period, l3.value) == (False, "2027-02", 6)
    assert l5.unsellable_date == AS_OF - dt.timedelta(days=10)  # stranded: already unsellable
    assert (l5.at_risk, l5.period, l5.remaining) == (True, "2026-11", 3)
    # C has no demand line: its least demanding requirement is 0, so expiry itself.
    assert ref.expiry_risk[("C", "DC", "L9")].unsellable_date == AS_OF + dt.timedelta(days=50)
    assert set(ref.expiry_risk) == {key for key, left in ref.remaining.items() if left > 0}


def test_default_horizon_is_never_before_as_of() -> None:
    """With every line overdue the last due date lies before ``as_of``; stock that is
    unsellable today must still count as at risk, so the horizon is ``as_of``."""
    inventory = pd.DataFrame({c.ITEM: ["A"], c.LOT: ["L1"], c.QTY: [5], c.SHELF_LIFE: [3]})
    demand = pd.DataFrame({c.ITEM: ["A"], c.QTY: [1], c.REQUIREMENT: [3], c.DUE_DATE: dates(-2)})
    ref = reference_allocate(inventory, demand, as_of=AS_OF)
    row = ref.expiry_risk[("A", "", "L1")]
    assert (row.unsellable_date, row.remaining, row.at_risk) == (AS_OF, 4, True)
    assert default_horizon(demand, AS_OF) == AS_OF
    risk = run_engine(Instance(inventory, demand, None, AS_OF), c.ORDER_REQUIREMENT).expiry_risk
    assert risk is not None and at_risk_flag(risk["at_risk"].iloc[0])


# --- engine against reference, every mode ----------------------------------------------------


@pytest.mark.parametrize(("order", "dates_on", "lanes_on"), MODES)
@PER_MODE
@given(data=st.data())
def test_lots_match_reference(order: str, dates_on: bool, lanes_on: bool, data: Any) -> None:
    instance = data.draw(dated_problems(dates=dates_on, lanes=lanes_on))
    lots = run_engine(instance, order).lots
    assert list(lots.columns) == list(c.LOTS_COLUMNS)
    assert engine_lots(lots) == expected_lots(run_reference(instance, order))


@pytest.mark.parametrize(("order", "dates_on", "lanes_on"), MODES)
@PER_MODE
@given(data=st.data())
def test_lines_and_allocations_match_reference(
    order: str, dates_on: bool, lanes_on: bool, data: Any
) -> None:
    instance = data.draw(dated_problems(dates=dates_on, lanes=lanes_on))
    result = run_engine(instance, order)
    ref = run_reference(instance, order)
    assert list(result.demand.columns) == list(c.DEMAND_COLUMNS)
    assert list(result.allocations.columns) == list(c.ALLOCATIONS_COLUMNS)
    assert engine_lines(result.demand) == expected_lines(instance.demand, ref)
    assert engine_allocations(result.allocations) == expected_allocations(instance.demand, ref)


# --- expiry risk -------------------------------------------------------------------------------


def at_risk_flag(value: Any) -> bool:
    """A boolean cell, whether held as a bool or as the TRUE/FALSE text of the files."""
    if isinstance(value, str):
        assert value in ("TRUE", "FALSE"), value
        return value == "TRUE"
    return bool(value)


def money(value: Any) -> float | None:
    """A value cell: None when empty."""
    return None if value is None or pd.isna(value) else float(value)


def same_money(got: float | None, expected: Any, rows: int = 1) -> bool:
    """Values agree to half a cent per row summed (the engine may round to cents)."""
    if expected is None or got is None:
        return got is None and expected is None
    return math.isclose(got, float(expected), rel_tol=1e-9, abs_tol=0.005 * rows + 1e-9)


@given(
    dated_problems(dates=True), st.sampled_from(ORDERS), st.one_of(st.none(), st.integers(-5, 60))
)
def test_expiry_risk_matches_reference(instance: Instance, order: str, horizon: int | None) -> None:
    """SPEC §6: a row per lot with stock left; unsellable date, at risk within the horizon
    (the last due date, or ``horizon_end``), month, value; and the at-risk sums by month."""
    assert instance.day0 is not None
    horizon_end = None if horizon is None else instance.day0 + dt.timedelta(days=horizon)
    options = {} if horizon_end is None else {"horizon_end": horizon_end}
    result = run_engine(instance, order, **options)
    ref = run_reference(instance, order)
    expected = reference_expiry_risk(
        ref, horizon_end or default_horizon(instance.demand, instance.day0)
    )

    risk = result.expiry_risk
    assert risk is not None
    got = {}
    for r in records(risk):
        key = (str(r[c.ITEM]), text(r[c.LOCATION]), str(r[c.LOT]))
        assert key not in got, f"lot {key} appears twice in expiry_risk"
        got[key] = r
    assert set(got) == set(expected)
    for key, row in expected.items():
        r = got[key]
        assert to_date(r[c.EXPIRY_DATE]) == row.expiry_date, key
        assert to_date(r["unsellable_date"]) == row.unsellable_date, key
        assert to_micro(r[c.REMAINING]) == to_micro(row.remaining), key
        assert text(r[c.REASON]) == row.reason, key
        assert at_risk_flag(r["at_risk"]) == row.at_risk, key
        assert str(r["period"]) == row.period, key
        assert same_money(money(r["value"]), row.value), key

    by_period = reference_risk_by_period(expected)
    assert result.risk_by_period is not None
    sums = {
        (str(r[c.ITEM]), text(r[c.LOCATION]), str(r["period"])): r
        for r in records(result.risk_by_period)
    }
    assert set(sums) == set(by_period)
    for group, (qty, value) in by_period.items():
        rows = sum(1 for key, row in expected.items() if row.at_risk and key[:2] == group[:2])
        assert to_micro(sums[group][c.QTY]) == to_micro(qty), group
        assert same_money(money(sums[group]["value"]), value, rows), group


def test_no_expiry_risk_without_dates() -> None:
    case = transit_without_dates_case(c.ORDER_REQUIREMENT)
    result = run_engine(case.instance, case.order)
    assert result.expiry_risk is None or result.expiry_risk.empty


# --- on the engine's own output --------------------------------------------------------------


def days_after(value: Any, day0: dt.date) -> int | None:
    """Days from ``day0`` to a date cell; None when empty."""
    date = to_date(value)
    return None if date is None else (date - day0).days


def check_eligible(instance: Instance, allocation: dict[str, Any]) -> None:
    """One engine allocation against SPEC §2, from the input rows: same item; the demand's
    own location or an existing lane; lot not expired; key >= max(due, transit) + requirement;
    available by the ship day."""
    inventory, demand, lanes, _ = instance
    day0 = instance.day0
    positions = {name: p for p, name in enumerate(line_labels(demand))}
    position = positions[label(allocation[c.LINE])]
    line = demand.iloc[position]
    lot_location = text(allocation[c.LOT_LOCATION])
    demand_location = text(allocation[c.DEMAND_LOCATION])
    matches = (inventory[c.ITEM].astype(str) == str(allocation[c.ITEM])) & (
        inventory[c.LOT].astype(str) == str(allocation[c.LOT])
    )
    if c.LOCATION in inventory.columns:
        matches &= inventory[c.LOCATION].astype(str) == lot_location
    assert matches.sum() == 1, f"allocation {allocation} names no single lot"
    lot = inventory[matches].iloc[0]

    assert str(line[c.ITEM]) == str(allocation[c.ITEM])
    assert text(line.get(c.LOCATION, "")) == demand_location
    assert int(allocation[c.REQUIREMENT]) == int(line[c.REQUIREMENT])
    transit = 0
    if lot_location != demand_location:
        assert lanes is not None, "an allocation across locations without lanes"
        lane = lanes[
            (lanes[c.FROM_LOCATION] == lot_location) & (lanes[c.TO_LOCATION] == demand_location)
        ]
        assert len(lane) == 1, f"no lane {lot_location} -> {demand_location}"
        transit = int(lane[c.TRANSIT_DAYS].iloc[0])
    due = 0
    if c.DUE_DATE in demand.columns:
        assert day0 is not None
        due = days_after(line[c.DUE_DATE], day0) or 0
        assert to_date(allocation[c.DUE_DATE]) == to_date(line[c.DUE_DATE])
    if c.EXPIRY_DATE in inventory.columns:
        assert day0 is not None
        key = days_after(lot[c.EXPIRY_DATE], day0)
    else:
        key = int(lot[c.SHELF_LIFE])
    assert key is not None and key >= 0, "an expired lot was allocated"
    delivery = max(due, transit)
    assert key >= delivery + int(line[c.REQUIREMENT]), "a lot below the line's threshold"
    if c.AVAILABLE_DATE in inventory.columns:
        assert day0 is not None
        available = days_after(lot[c.AVAILABLE_DATE], day0)
        assert available is None or available <= delivery - transit, "a lot shipped too early"


@given(dated_problems(), st.sampled_from(ORDERS))
def test_engine_allocations_are_eligible(instance: Instance, order: str) -> None:
    allocations = run_engine(instance, order).allocations
    for allocation in records(allocations):
        assert to_micro(allocation[c.QTY]) > 0
        check_eligible(instance, allocation)


def sums_by(keys: list[Any], quantities: list[int]) -> dict[Any, int]:
    """Total micro quantity per key."""
    totals: dict[Any, int] = {}
    for key, qty in zip(keys, quantities, strict=True):
        totals[key] = totals.get(key, 0) + qty
    return totals


@given(dated_problems(), st.sampled_from(ORDERS))
def test_engine_conserves(instance: Instance, order: str) -> None:
    """Per lot consumed + remaining = qty = input qty, and its allocations add up to consumed;
    per line filled + short = qty, and its allocations add up to filled."""
    result = run_engine(instance, order)
    lots = engine_lots(result.lots)
    inventory = instance.inventory
    input_qty = {
        (str(r[c.ITEM]), text(r.get(c.LOCATION, "")), str(r[c.LOT])): to_micro(r[c.QTY])
        for r in records(inventory)
    }
    assert input_qty == {key: lot.qty for key, lot in lots.items()}
    rows = records(result.allocations)
    qty = [to_micro(r[c.QTY]) for r in rows]
    given_by_lot = sums_by(
        [(str(r[c.ITEM]), text(r[c.LOT_LOCATION]), str(r[c.LOT])) for r in rows], qty
    )
    for key, lot in lots.items():
        assert lot.consumed + lot.remaining == lot.qty
        assert 0 <= lot.consumed == given_by_lot.get(key, 0)
    taken_by_line = sums_by([label(r[c.LINE]) for r in rows], qty)
    lines = engine_lines(result.demand)
    assert [line.line for line in lines] == line_labels(instance.demand)
    assert [line.qty for line in lines] == [to_micro(q) for q in instance.demand[c.QTY]]
    for line in lines:
        assert line.filled + line.short == line.qty
        assert 0 <= line.filled == taken_by_line.get(line.line, 0)
        assert (line.reason == "") == (line.short == 0)


@given(dated_problems(), st.sampled_from(ORDERS), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_inventory_or_lane_order(
    instance: Instance, order: str, rng: Random
) -> None:
    shuffled = instance._replace(
        inventory=instance.inventory.sample(frac=1, random_state=rng.randrange(2**32)),
        lanes=None
        if instance.lanes is None
        else instance.lanes.sample(frac=1, random_state=rng.randrange(2**32)),
    )
    expected, got = run_engine(instance, order), run_engine(shuffled, order)
    pd.testing.assert_frame_equal(
        got.lots.reset_index(drop=True), expected.lots.reset_index(drop=True)
    )
    assert engine_allocations(got.allocations) == engine_allocations(expected.allocations)


# --- which kernel serves a pass ------------------------------------------------------------------


@given(dated_problems(receipts=False, priority=False))
def test_nested_passes_take_the_vectorized_kernel(instance: Instance) -> None:
    """By requirement, without receipts, every pass serves its lines by rising threshold and
    their eligible sets are nested suffixes of the FEFO order: the prefix-sum kernel serves
    them all (SPEC §3), with or without dates and lanes."""
    result = run_engine(instance, c.ORDER_REQUIREMENT)
    nested, general = counts(result)
    assert general == 0
    if to_micro(result.lots[c.CONSUMED].sum()) > 0:
        assert nested > 0


@given(crossing_problems())
def test_crossing_thresholds_run_as_one_nested_pass_per_due_date(instance: Instance) -> None:
    """By due date, thresholds fall along the serving order, so no single pass is nested;
    the engine serves one pass per due date instead, each nested and vectorized, with the
    reference's results."""
    result = run_engine(instance, c.ORDER_DUE)
    assert counts(result)[1] == 0
    assert result.summary["counts"]["passes"] == instance.demand[c.DUE_DATE].nunique()
    assert view(instance, result) == view(instance, run_reference(instance, c.ORDER_DUE))


@given(binding_receipts_problems())
def test_binding_receipts_take_the_general_kernel(instance: Instance) -> None:
    """A receipt that arrives after the first line's due date but in time for the second
    breaks nesting by requirement: the general kernel serves the pass, with the reference's
    results."""
    result = run_engine(instance, c.ORDER_REQUIREMENT)
    assert counts(result)[1] > 0
    assert view(instance, result) == view(instance, run_reference(instance, c.ORDER_REQUIREMENT))
