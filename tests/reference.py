"""A plain sequential greedy, kept as the test suite's oracle (SPEC §2–3, inputs without dates).

The engine computes the same allocation with vectorized prefix sums; this module does it the
slow, obvious way (one line at a time, one lot at a time, Python dicts and loops) so that the
two can be compared on every input hypothesis can think of. Quantities are held as
``fractions.Fraction`` so that every sum is exact and comparisons never need a tolerance.

Scope: no dates, no lanes. A lot serves a demand line of the same item and location only.

>>> import pandas as pd
>>> inv = pd.DataFrame({"item": ["A", "A"], "lot": ["L1", "L2"], "qty": [5, 5],
...                     "shelf_life": [10, 20]})
>>> dem = pd.DataFrame({"item": ["A"], "qty": [7], "requirement": [15]})
>>> result = reference_allocate(inv, dem)
>>> result.consumed[("A", "", "L2")], result.filled[0], result.reason[("A", "", "L1")]
(Fraction(5, 1), Fraction(5, 1), 'stranded')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

from consumption import constants as c

LotKey = tuple[str, str, str]
"""(item, location, lot): location is "" when the input has no location column."""

Group = tuple[str, str]
"""(item, location): the unit inside which lots are ranked and demand is served."""

SCALE = 10**c.MAX_QTY_DECIMALS


@dataclass(frozen=True)
class Lot:
    """One inventory row, with exact quantity."""

    key: LotKey
    shelf_life: int
    qty: Fraction

    @property
    def group(self) -> Group:
        """The (item, location) the lot belongs to."""
        return self.key[0], self.key[1]


@dataclass(frozen=True)
class Line:
    """One demand row; ``position`` is its 0-based row position in the demand frame."""

    position: int
    group: Group
    qty: Fraction
    requirement: int
    priority: int | None


@dataclass
class ReferenceResult:
    """Everything the reference knows about one allocation; quantities are exact Fractions."""

    consumed: dict[LotKey, Fraction] = field(default_factory=dict)
    remaining: dict[LotKey, Fraction] = field(default_factory=dict)
    filled: dict[int, Fraction] = field(default_factory=dict)
    short: dict[int, Fraction] = field(default_factory=dict)
    allocations: list[tuple[LotKey, int, Fraction]] = field(default_factory=list)
    rank: dict[LotKey, int] = field(default_factory=dict)
    requirement_considered: dict[LotKey, int | None] = field(default_factory=dict)
    status: dict[LotKey, str] = field(default_factory=dict)
    reason: dict[LotKey, str] = field(default_factory=dict)
    remaining_demand: dict[tuple[LotKey, int], Fraction] = field(default_factory=dict)
    """(lot key, requirement R) -> requirement-R demand of the lot's group still open after
    all lots of rank <= this lot's rank have given what they give."""

    @property
    def total_filled(self) -> Fraction:
        """Sum of fill over all demand lines."""
        return sum(self.filled.values(), Fraction(0))


def exact(value: Any) -> Fraction:
    """Turn a cell into an exact Fraction of its decimal text, refusing more than 6 decimals.

    Going through ``str`` keeps 0.1 as 1/10 rather than the nearest binary float.
    """
    result = Fraction(Decimal(str(value)))
    if (result * SCALE).denominator != 1:
        raise ValueError(f"quantity {value!r} has more than {c.MAX_QTY_DECIMALS} decimals")
    return result


def to_micro(value: Any) -> int:
    """A quantity in integer units of 10**-6, for exact comparisons with the engine's floats.

    >>> to_micro(Fraction(1, 8)), to_micro(0.125), to_micro(3)
    (125000, 125000, 3000000)
    """
    fraction = value if isinstance(value, Fraction) else Fraction(str(value))
    return round(fraction * SCALE)


def location_of(frame: pd.DataFrame, position: int) -> str:
    """The row's location, or "" when the frame has no location column (all one location)."""
    if c.LOCATION not in frame.columns:
        return ""
    return str(frame[c.LOCATION].iloc[position])


def read_lots(inventory: pd.DataFrame) -> list[Lot]:
    """The inventory rows as Lots, in file order."""
    return [
        Lot(
            key=(
                str(inventory[c.ITEM].iloc[i]),
                location_of(inventory, i),
                str(inventory[c.LOT].iloc[i]),
            ),
            shelf_life=int(inventory[c.SHELF_LIFE].iloc[i]),
            qty=exact(inventory[c.QTY].iloc[i]),
        )
        for i in range(len(inventory))
    ]


def read_priority(demand: pd.DataFrame, position: int) -> int | None:
    """The line's priority, or None when there is no priority column or the cell is NA."""
    if c.PRIORITY not in demand.columns:
        return None
    value = demand[c.PRIORITY].iloc[position]
    return None if pd.isna(value) else int(value)


def read_lines(demand: pd.DataFrame) -> list[Line]:
    """The demand rows as Lines, in file order; a missing requirement column means 0."""
    lines = []
    for i in range(len(demand)):
        requirement = demand[c.REQUIREMENT].iloc[i] if c.REQUIREMENT in demand.columns else 0
        lines.append(
            Line(
                position=i,
                group=(str(demand[c.ITEM].iloc[i]), location_of(demand, i)),
                qty=exact(demand[c.QTY].iloc[i]),
                requirement=int(requirement),
                priority=read_priority(demand, i),
            )
        )
    return lines


def is_eligible(lot: Lot, line: Line) -> bool:
    """SPEC §2: same item and location, not expired, shelf life at least the requirement."""
    return lot.group == line.group and lot.shelf_life >= 0 and lot.shelf_life >= line.requirement


def rank_order(lot: Lot) -> tuple[int, str]:
    """FEFO sort key within a group: shelf life ascending, then lot id as text."""
    return lot.shelf_life, lot.key[2]


def serving_order(line: Line) -> tuple[bool, int, int, int]:
    """SPEC §3: priority ascending with NA last, then requirement ascending, then file order."""
    missing = line.priority is None
    return missing, 0 if missing else line.priority, line.requirement, line.position


def ranks(lots: list[Lot]) -> dict[LotKey, int]:
    """1-based FEFO rank of every lot within its (item, location)."""
    result: dict[LotKey, int] = {}
    seen: dict[Group, int] = {}
    for lot in sorted(lots, key=lambda lot: (lot.group, rank_order(lot))):
        seen[lot.group] = seen.get(lot.group, 0) + 1
        result[lot.key] = seen[lot.group]
    return result


def serve(lots: list[Lot], lines: list[Line], result: ReferenceResult) -> None:
    """The greedy itself: each line in serving order takes from its lowest-rank eligible lots."""
    stock = {lot.key: lot.qty for lot in lots}
    by_rank = sorted(lots, key=lambda lot: result.rank[lot.key])
    for line in sorted(lines, key=serving_order):
        need = line.qty
        for lot in by_rank:
            if need == 0:
                break
            if not is_eligible(lot, line) or stock[lot.key] == 0:
                continue
            take = min(need, stock[lot.key])
            stock[lot.key] -= take
            need -= take
            result.allocations.append((lot.key, line.position, take))
        result.filled[line.position] = line.qty - need
        result.short[line.position] = need
    for lot in lots:
        result.remaining[lot.key] = stock[lot.key]
        result.consumed[lot.key] = lot.qty - stock[lot.key]


def requirement_considered(lot: Lot, lines: list[Line]) -> int | None:
    """Largest requirement among the lines the lot is eligible for; None when there is none."""
    eligible = [line.requirement for line in lines if is_eligible(lot, line)]
    return max(eligible) if eligible else None


def status(lot: Lot, consumed: Fraction) -> str:
    """consumed: nothing left of a non-empty lot; unconsumed: nothing taken; else partial."""
    if consumed == lot.qty and lot.qty > 0:
        return c.STATUS_CONSUMED
    if consumed == 0:
        return c.STATUS_UNCONSUMED
    return c.STATUS_PARTIAL


def reason(lot: Lot, lines: list[Line], remaining: Fraction, considered: int | None) -> str:
    """Why stock is left: expired, else no_demand, else stranded, else excess; "" if none left.

    A lot with stock left that is eligible for some line must have seen that line filled
    (the line would otherwise have taken the stock), hence "excess".
    """
    if remaining == 0:
        return ""
    if lot.shelf_life < 0:
        return c.REASON_EXPIRED
    if not any(line.group == lot.group for line in lines):
        return c.REASON_NO_DEMAND
    if considered is None:
        return c.REASON_STRANDED
    return c.REASON_EXCESS


def describe_lots(lots: list[Lot], lines: list[Line], result: ReferenceResult) -> None:
    """Fill in requirement considered, status and reason of every lot."""
    for lot in lots:
        considered = requirement_considered(lot, lines)
        result.requirement_considered[lot.key] = considered
        result.status[lot.key] = status(lot, result.consumed[lot.key])
        result.reason[lot.key] = reason(lot, lines, result.remaining[lot.key], considered)


def remaining_demand(lots: list[Lot], lines: list[Line], result: ReferenceResult) -> None:
    """The forum table's "remaining R demand": walk each group's lots in rank order and
    subtract what each lot gave to requirement-R lines from the group's requirement-R total."""
    requirement_of = {line.position: line.requirement for line in lines}
    open_demand: dict[tuple[Group, int], Fraction] = {}
    for line in lines:
        key = (line.group, line.requirement)
        open_demand[key] = open_demand.get(key, Fraction(0)) + line.qty
    for lot in sorted(lots, key=lambda lot: (lot.group, result.rank[lot.key])):
        for lot_key, position, qty in result.allocations:
            if lot_key == lot.key:
                open_demand[(lot.group, requirement_of[position])] -= qty
        for (group, requirement), still_open in open_demand.items():
            if group == lot.group:
                result.remaining_demand[(lot.key, requirement)] = still_open


def reference_allocate(inventory: pd.DataFrame, demand: pd.DataFrame) -> ReferenceResult:
    """Allocate ``inventory`` to ``demand`` by the greedy of SPEC §3, the slow obvious way.

    Both frames use the canonical column names of ``consumption.constants``; the inventory's
    (item, location, lot) must be unique.
    """
    lots = read_lots(inventory)
    if len({lot.key for lot in lots}) != len(lots):
        raise ValueError("inventory (item, location, lot) is not unique")
    lines = read_lines(demand)
    result = ReferenceResult(rank=ranks(lots))
    serve(lots, lines, result)
    describe_lots(lots, lines, result)
    remaining_demand(lots, lines, result)
    return result
