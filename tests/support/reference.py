"""A plain sequential greedy, kept as the test suite's oracle (SPEC §2–3, §6).

The engine computes the same allocation with vectorized prefix sums; this module does it the
slow, obvious way (one pass at a time, one line at a time, one lot at a time, Python dicts and
loops) so that the two can be compared on every input hypothesis can think of. Quantities are
held as ``fractions.Fraction`` so that every sum is exact and comparisons never need a
tolerance.

The rules, all in integer days relative to ``as_of`` (day 0; without ``as_of`` there are no
dates at all and every day below is a plain number of days):

- a lot's key is ``expiry_date - as_of`` when the inventory has expiry dates, else its
  shelf life; key < 0 is expired. ``available_date - as_of`` is when it can ship (missing:
  any time);
- a line is due ``due_date - as_of`` (0 without due dates) and is served first from its own
  location (route rank 0, transit 0), then through its lanes in rank order;
- on a route with transit t: delivery = max(due, t), ship = delivery - t, threshold =
  delivery + requirement; a lot at the route's source is eligible iff key >= threshold and it
  is available by the ship day;
- passes run by priority class (ascending, missing last) x route rank; inside a pass the open
  lines with a route of that rank are served by (threshold, due, file order), or (due,
  threshold, file order) with ``order="due"``, each taking the lowest-rank eligible lot with
  stock left until it is filled or nothing eligible is left.

>>> import pandas as pd
>>> inv = pd.DataFrame({"item": ["A", "A"], "lot": ["L1", "L2"], "qty": [5, 5],
...                     "shelf_life": [10, 20]})
>>> dem = pd.DataFrame({"item": ["A"], "qty": [7], "requirement": [15]})
>>> result = reference_allocate(inv, dem)
>>> result.consumed[("A", "", "L2")], result.filled[0], result.reason[("A", "", "L1")]
(Fraction(5, 1), Fraction(5, 1), 'stranded')
>>> result.short_reason[0]
'exhausted'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

from consumption import constants as c

LotKey = tuple[str, str, str]
"""(item, location, lot): location is "" when the input has no location column."""

Group = tuple[str, str]
"""(item, location): the unit inside which lots are ranked."""

SCALE = 10**c.MAX_QTY_DECIMALS


@dataclass(frozen=True)
class Lot:
    """One inventory row, with exact quantity and its days relative to ``as_of``.

    ``shelf_life`` is the FEFO key: days of shelf life left on day 0 (``expiry - as_of`` with
    dates). ``available`` is the first day it can ship, None when it can ship any time.
    ``expiry`` is the calendar expiry date, None without dates.
    """

    key: LotKey
    shelf_life: int
    qty: Fraction
    available: int | None = None
    expiry: dt.date | None = None
    unit_cost: Fraction | None = None

    @property
    def group(self) -> Group:
        """The (item, location) the lot belongs to."""
        return self.key[0], self.key[1]


@dataclass(frozen=True)
class Line:
    """One demand row; ``position`` is its 0-based row position in the demand frame.

    ``due`` is the due day relative to ``as_of`` (0 without due dates).
    """

    position: int
    group: Group
    qty: Fraction
    requirement: int
    priority: int | None
    due: int = 0


@dataclass(frozen=True)
class Lane:
    """One lanes row: lots at ``source`` can serve lines at ``destination``."""

    source: str
    destination: str
    transit: int
    rank: int


@dataclass(frozen=True)
class Route:
    """How one line can be served: from lots at ``source``, ``transit`` days away.

    Rank 0 is the line's own location; ranks >= 1 are its lanes.
    """

    rank: int
    source: str
    transit: int


@dataclass(frozen=True)
class Terms:
    """What a (line, route) pair asks of a lot: ``key >= threshold`` and available by ``ship``."""

    threshold: int
    ship: int


@dataclass(frozen=True)
class RiskRow:
    """One row of expiry_risk (SPEC §6): a lot with stock left and when it becomes unsellable."""

    expiry_date: dt.date
    unsellable_date: dt.date
    remaining: Fraction
    reason: str
    at_risk: bool
    period: str
    value: Fraction | None


@dataclass
class ReferenceResult:
    """Everything the reference knows about one allocation; quantities are exact Fractions."""

    consumed: dict[LotKey, Fraction] = field(default_factory=dict)
    remaining: dict[LotKey, Fraction] = field(default_factory=dict)
    filled: dict[int, Fraction] = field(default_factory=dict)
    short: dict[int, Fraction] = field(default_factory=dict)
    short_reason: dict[int, str] = field(default_factory=dict)
    """Line position -> why it went short ("" when it did not)."""
    allocations: list[tuple[LotKey, int, Fraction]] = field(default_factory=list)
    rank: dict[LotKey, int] = field(default_factory=dict)
    requirement_considered: dict[LotKey, int | None] = field(default_factory=dict)
    status: dict[LotKey, str] = field(default_factory=dict)
    reason: dict[LotKey, str] = field(default_factory=dict)
    remaining_demand: dict[tuple[LotKey, int], Fraction] = field(default_factory=dict)
    """(lot key, requirement R) -> requirement-R demand of the lot's group still open after
    all lots of rank <= this lot's rank have given what they give. Left empty with lanes,
    where a lot also gives to lines of other locations and the forum table has no meaning."""
    expiry_risk: dict[LotKey, RiskRow] = field(default_factory=dict)
    """Only with dates: one row per lot with stock left, for the default horizon."""
    lots: list[Lot] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    as_of: dt.date | None = None

    @property
    def total_filled(self) -> Fraction:
        """Sum of fill over all demand lines."""
        return sum(self.filled.values(), Fraction(0))


# --- reading cells ---------------------------------------------------------------------------


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


def to_date(value: Any) -> dt.date | None:
    """A date cell (text, date, datetime64, Timestamp) as a calendar date; None when missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return pd.Timestamp(value).date()


def day_of(value: Any, as_of: dt.date) -> int | None:
    """Days from ``as_of`` to a date cell; None when the cell is missing."""
    date = to_date(value)
    return None if date is None else (date - as_of).days


def location_of(frame: pd.DataFrame, position: int) -> str:
    """The row's location, or "" when the frame has no location column (all one location)."""
    if c.LOCATION not in frame.columns:
        return ""
    return str(frame[c.LOCATION].iloc[position])


def cell(frame: pd.DataFrame, column: str, position: int) -> Any:
    """The cell, or None when the column is absent."""
    return frame[column].iloc[position] if column in frame.columns else None


def read_lots(inventory: pd.DataFrame, as_of: dt.date | None = None) -> list[Lot]:
    """The inventory rows as Lots, in file order (keys and days relative to ``as_of``)."""
    lots = []
    for i in range(len(inventory)):
        expiry: dt.date | None = None
        if c.EXPIRY_DATE in inventory.columns:
            if as_of is None:
                raise ValueError("expiry dates need as_of")
            expiry = to_date(inventory[c.EXPIRY_DATE].iloc[i])
            assert expiry is not None, "expiry_date cells are never empty"
            shelf_life = (expiry - as_of).days
        else:
            shelf_life = int(inventory[c.SHELF_LIFE].iloc[i])
            if as_of is not None:
                expiry = as_of + dt.timedelta(days=shelf_life)
        available = None
        if c.AVAILABLE_DATE in inventory.columns:
            if as_of is None:
                raise ValueError("available dates need as_of")
            available = day_of(inventory[c.AVAILABLE_DATE].iloc[i], as_of)
        cost = cell(inventory, c.UNIT_COST, i)
        lots.append(
            Lot(
                key=(
                    str(inventory[c.ITEM].iloc[i]),
                    location_of(inventory, i),
                    str(inventory[c.LOT].iloc[i]),
                ),
                shelf_life=shelf_life,
                qty=exact(inventory[c.QTY].iloc[i]),
                available=available,
                expiry=expiry,
                unit_cost=None if cost is None or pd.isna(cost) else Fraction(Decimal(str(cost))),
            )
        )
    return lots


def read_priority(demand: pd.DataFrame, position: int) -> int | None:
    """The line's priority, or None when there is no priority column or the cell is NA."""
    value = cell(demand, c.PRIORITY, position)
    return None if value is None or pd.isna(value) else int(value)


def read_lines(demand: pd.DataFrame, as_of: dt.date | None = None) -> list[Line]:
    """The demand rows as Lines, in file order; a missing requirement means 0, a missing due
    date day 0."""
    if c.DUE_DATE in demand.columns and as_of is None:
        raise ValueError("due dates need as_of")
    lines = []
    for i in range(len(demand)):
        requirement = cell(demand, c.REQUIREMENT, i)
        due_date = cell(demand, c.DUE_DATE, i)
        due = None if due_date is None or as_of is None else day_of(due_date, as_of)
        lines.append(
            Line(
                position=i,
                group=(str(demand[c.ITEM].iloc[i]), location_of(demand, i)),
                qty=exact(demand[c.QTY].iloc[i]),
                requirement=0 if requirement is None or pd.isna(requirement) else int(requirement),
                priority=read_priority(demand, i),
                due=0 if due is None else due,
            )
        )
    return lines


def read_lanes(lanes: pd.DataFrame | None) -> list[Lane]:
    """The lanes rows; refuses two lanes into one location at one rank, as the engine does."""
    if lanes is None:
        return []
    result = [
        Lane(
            source=str(lanes[c.FROM_LOCATION].iloc[i]),
            destination=str(lanes[c.TO_LOCATION].iloc[i]),
            transit=int(lanes[c.TRANSIT_DAYS].iloc[i]),
            rank=int(lanes[c.RANK].iloc[i]),
        )
        for i in range(len(lanes))
    ]
    if len({(lane.destination, lane.rank) for lane in result}) != len(result):
        raise ValueError("two lanes share one (to_location, rank)")
    return result


def parse_as_of(as_of: str | dt.date | None) -> dt.date | None:
    """``as_of`` as a date: ISO text or a date."""
    if as_of is None or isinstance(as_of, dt.date):
        return as_of.date() if isinstance(as_of, dt.datetime) else as_of
    return dt.date.fromisoformat(as_of)


# --- the rules ---------------------------------------------------------------------------------


def routes(line: Line, lanes: list[Lane]) -> list[Route]:
    """The line's own location (rank 0), then every lane into it, by rank."""
    own = [Route(rank=0, source=line.group[1], transit=0)]
    via = [
        Route(rank=lane.rank, source=lane.source, transit=lane.transit)
        for lane in lanes
        if lane.destination == line.group[1]
    ]
    return own + sorted(via, key=lambda route: route.rank)


def terms(line: Line, route: Route) -> Terms:
    """Delivery can be no earlier than the transit allows; MRSL is measured at delivery."""
    delivery = max(line.due, route.transit)
    return Terms(threshold=delivery + line.requirement, ship=delivery - route.transit)


def reaches(lot: Lot, line: Line, route: Route) -> bool:
    """The route brings lots of this item and location to the line (eligible or not)."""
    return lot.group == (line.group[0], route.source)


def long_enough(lot: Lot, line: Line, route: Route) -> bool:
    """The route reaches the lot and the lot keeps enough shelf life at delivery."""
    return reaches(lot, line, route) and lot.shelf_life >= terms(line, route).threshold


def on_time(lot: Lot, line: Line, route: Route) -> bool:
    """The lot can ship by the route's ship day (no available date: any day)."""
    return lot.available is None or lot.available <= terms(line, route).ship


def is_eligible(lot: Lot, line: Line, route: Route) -> bool:
    """SPEC §2: same item, at the route's source, not expired, key >= threshold, on time."""
    return lot.shelf_life >= 0 and long_enough(lot, line, route) and on_time(lot, line, route)


def rank_order(lot: Lot) -> tuple[int, bool, int, str]:
    """FEFO sort key within a group: key, then available day (missing first), then lot id."""
    missing = lot.available is None
    return lot.shelf_life, not missing, 0 if missing else lot.available, lot.key[2]


def ranks(lots: list[Lot]) -> dict[LotKey, int]:
    """1-based FEFO rank of every lot within its (item, location)."""
    result: dict[LotKey, int] = {}
    seen: dict[Group, int] = {}
    for lot in sorted(lots, key=lambda lot: (lot.group, rank_order(lot))):
        seen[lot.group] = seen.get(lot.group, 0) + 1
        result[lot.key] = seen[lot.group]
    return result


def priority_classes(lines: list[Line]) -> list[int | None]:
    """Priorities ascending, then None (lines without a priority) last."""
    given = sorted({line.priority for line in lines if line.priority is not None})
    return [*given, None]


def pass_order(line: Line, route: Route, order: str) -> tuple[int, int, int]:
    """SPEC §3, step 3 and 4: inside one pass, by threshold or by due day, then file order."""
    threshold = terms(line, route).threshold
    if order == c.ORDER_DUE:
        return line.due, threshold, line.position
    if order == c.ORDER_REQUIREMENT:
        return threshold, line.due, line.position
    raise ValueError(f"unknown order {order!r}")


def passes(lines: list[Line], lanes: list[Lane], order: str) -> list[list[tuple[Line, Route]]]:
    """Every pass's (line, route) pairs in serving order, regardless of what is still open."""
    all_ranks = sorted({route.rank for line in lines for route in routes(line, lanes)})
    result = []
    for priority in priority_classes(lines):
        for rank in all_ranks:
            members = [
                (line, route)
                for line in lines
                if line.priority == priority
                for route in routes(line, lanes)
                if route.rank == rank
            ]
            result.append(sorted(members, key=lambda pair: pass_order(*pair, order)))
    return result


def serve(
    lots: list[Lot], lines: list[Line], lanes: list[Lane], order: str, result: ReferenceResult
) -> None:
    """The greedy itself: pass by pass, each open line takes from its lowest-rank eligible
    lots until it is filled or nothing eligible is left."""
    stock = {lot.key: lot.qty for lot in lots}
    need = {line.position: line.qty for line in lines}
    by_rank = sorted(lots, key=lambda lot: result.rank[lot.key])
    for members in passes(lines, lanes, order):
        for line, route in members:
            for lot in by_rank:
                if need[line.position] == 0:
                    break
                if stock[lot.key] == 0 or not is_eligible(lot, line, route):
                    continue
                take = min(need[line.position], stock[lot.key])
                stock[lot.key] -= take
                need[line.position] -= take
                result.allocations.append((lot.key, line.position, take))
    for line in lines:
        result.filled[line.position] = line.qty - need[line.position]
        result.short[line.position] = need[line.position]
    for lot in lots:
        result.remaining[lot.key] = stock[lot.key]
        result.consumed[lot.key] = lot.qty - stock[lot.key]


# --- explaining the result -----------------------------------------------------------------------


def reaching(lot: Lot, lines: list[Line], lanes: list[Lane]) -> list[tuple[Line, Route]]:
    """Every (line, route) pair that brings this lot's item and location to a line."""
    return [
        (line, route)
        for line in lines
        for route in routes(line, lanes)
        if reaches(lot, line, route)
    ]


def requirement_considered(lot: Lot, lines: list[Line], lanes: list[Lane]) -> int | None:
    """Largest requirement among reaching (line, route) pairs the lot is long enough for
    (availability not considered); None when there is none."""
    found = [
        line.requirement
        for line, route in reaching(lot, lines, lanes)
        if long_enough(lot, line, route)
    ]
    return max(found) if found else None


def status(lot: Lot, consumed: Fraction) -> str:
    """consumed: nothing left of a non-empty lot; unconsumed: nothing taken; else partial."""
    if consumed == lot.qty and lot.qty > 0:
        return c.STATUS_CONSUMED
    if consumed == 0:
        return c.STATUS_UNCONSUMED
    return c.STATUS_PARTIAL


def reason(lot: Lot, lines: list[Line], lanes: list[Lane], remaining: Fraction) -> str:
    """Why stock is left, the first that applies: expired, no_demand, stranded, not_available,
    excess; "" when nothing is left.

    A lot with stock left that is eligible for some (line, route) saw that line filled (the
    line would otherwise have taken the stock in that pass), hence "excess".
    """
    if remaining == 0:
        return ""
    if lot.shelf_life < 0:
        return c.REASON_EXPIRED
    pairs = reaching(lot, lines, lanes)
    if not pairs:
        return c.REASON_NO_DEMAND
    long = [(line, route) for line, route in pairs if long_enough(lot, line, route)]
    if not long:
        return c.REASON_STRANDED
    if not any(on_time(lot, line, route) for line, route in long):
        return c.REASON_NOT_AVAILABLE
    return c.REASON_EXCESS


def short_reason(line: Line, lots: list[Lot], lanes: list[Lane], short: Fraction) -> str:
    """Why a line went short: no_inventory, shelf_life, not_available or exhausted; "" when
    it did not."""
    if short == 0:
        return ""
    pairs = [
        (lot, route)
        for route in routes(line, lanes)
        for lot in lots
        if lot.qty > 0 and reaches(lot, line, route)
    ]
    if not pairs:
        return c.SHORT_NO_INVENTORY
    long = [
        (lot, route)
        for lot, route in pairs
        if lot.shelf_life >= 0 and long_enough(lot, line, route)
    ]
    if not long:
        return c.SHORT_SHELF_LIFE
    if not any(on_time(lot, line, route) for lot, route in long):
        return c.SHORT_NOT_AVAILABLE
    return c.SHORT_EXHAUSTED


def describe(
    lots: list[Lot], lines: list[Line], lanes: list[Lane], result: ReferenceResult
) -> None:
    """Fill in requirement considered, status and reason of every lot and the short reason of
    every line."""
    for lot in lots:
        result.requirement_considered[lot.key] = requirement_considered(lot, lines, lanes)
        result.status[lot.key] = status(lot, result.consumed[lot.key])
        result.reason[lot.key] = reason(lot, lines, lanes, result.remaining[lot.key])
    for line in lines:
        result.short_reason[line.position] = short_reason(
            line, lots, lanes, result.short[line.position]
        )


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


# --- expiry risk (SPEC §6, dates only) ---------------------------------------------------------


def default_horizon(demand: pd.DataFrame, as_of: dt.date) -> dt.date:
    """The last due date of the whole demand, never before ``as_of`` (``as_of`` without due
    dates): when every line is overdue, stock already unsellable today is still at risk."""
    if c.DUE_DATE not in demand.columns:
        return as_of
    dates = [to_date(value) for value in demand[c.DUE_DATE]]
    return max([as_of, *(date for date in dates if date is not None)])


def reference_expiry_risk(result: ReferenceResult, horizon_end: dt.date) -> dict[LotKey, RiskRow]:
    """One row per lot with stock left: it becomes unsellable when its shelf life drops below
    the least demanding requirement of its item's demand lines (any location; 0 without
    lines), and is at risk when that happens on or before ``horizon_end``."""
    least: dict[str, int] = {}
    for line in result.lines:
        item = line.group[0]
        least[item] = min(least.get(item, line.requirement), line.requirement)
    rows = {}
    for lot in result.lots:
        remaining = result.remaining[lot.key]
        if remaining == 0:
            continue
        assert lot.expiry is not None, "expiry risk needs dates"
        unsellable = lot.expiry - dt.timedelta(days=least.get(lot.key[0], 0))
        rows[lot.key] = RiskRow(
            expiry_date=lot.expiry,
            unsellable_date=unsellable,
            remaining=remaining,
            reason=result.reason[lot.key],
            at_risk=unsellable <= horizon_end,
            period=f"{unsellable.year:04d}-{unsellable.month:02d}",
            value=None if lot.unit_cost is None else remaining * lot.unit_cost,
        )
    return rows


def reference_risk_by_period(
    rows: dict[LotKey, RiskRow],
) -> dict[tuple[str, str, str], tuple[Fraction, Fraction | None]]:
    """(item, location, period) -> at-risk remaining quantity and value (None without costs)."""
    totals: dict[tuple[str, str, str], tuple[Fraction, Fraction | None]] = {}
    for key, row in rows.items():
        if not row.at_risk:
            continue
        group = (key[0], key[1], row.period)
        qty, value = totals.get(group, (Fraction(0), None))
        if row.value is not None:
            value = row.value if value is None else value + row.value
        totals[group] = (qty + row.remaining, value)
    return totals


# --- entry point -------------------------------------------------------------------------------


def reference_allocate(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None = None,
    as_of: str | dt.date | None = None,
    order: str = c.ORDER_REQUIREMENT,
) -> ReferenceResult:
    """Allocate ``inventory`` to ``demand`` by the greedy of SPEC §3, the slow obvious way.

    The frames use the canonical column names of ``consumption.constants``; the inventory's
    (item, location, lot) must be unique. With ``as_of`` the result also holds the expiry
    risk for the default horizon (the last due date); ``reference_expiry_risk`` computes it
    for any other.
    """
    day0 = parse_as_of(as_of)
    lots = read_lots(inventory, day0)
    if len({lot.key for lot in lots}) != len(lots):
        raise ValueError("inventory (item, location, lot) is not unique")
    lines = read_lines(demand, day0)
    lane_list = read_lanes(lanes)
    result = ReferenceResult(rank=ranks(lots), lots=lots, lines=lines, as_of=day0)
    serve(lots, lines, lane_list, order, result)
    describe(lots, lines, lane_list, result)
    if not lane_list:
        remaining_demand(lots, lines, result)
    if day0 is not None:
        result.expiry_risk = reference_expiry_risk(result, default_horizon(demand, day0))
    return result
