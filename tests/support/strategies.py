"""Hypothesis strategies for small allocation problems: without dates (``problems``) and with
dates, future receipts, priorities and lanes (``dated_problems``).

The instances are tiny but dense in the cases that break allocators: shelf lives tied with
each other (so the lot id decides the rank) and with requirements (so ``>=`` matters), lot
ids whose text order is not their numeric order ("L10" < "L7"), expired lots, zero
quantities, fractional quantities, lots and demand at different locations, and priorities
with missing values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import pandas as pd
from hypothesis import strategies as st

from consumption import constants as c

ITEMS = ("A", "B", "C", "D")
LOCATIONS = ("W1", "W2", "W3")
# 0 / 90 / 180 / 270 / 365 days, scaled down by 30 so shelf lives land on them often.
REQUIREMENTS = (0, 3, 6, 9, 12)
SHELF_LIFE_MIN, SHELF_LIFE_MAX = -3, 14
MAX_LOTS = 12
MAX_LINES = 12

Problem = tuple[pd.DataFrame, pd.DataFrame]


def quantities(max_units: int, fractional: bool) -> st.SearchStrategy[float | int]:
    """Small quantities including 0; with ``fractional``, some have up to 3 decimals."""
    whole = st.integers(0, max_units)
    if not fractional:
        return whole
    thousandths = st.integers(0, max_units * 1000).map(lambda n: n / 1000)
    return st.one_of(whole, thousandths)


def shelf_life_pool() -> st.SearchStrategy[list[int]]:
    """1–5 distinct shelf lives per example, so that several lots share one (ties are common)."""
    day = st.one_of(
        st.sampled_from(REQUIREMENTS),
        st.integers(SHELF_LIFE_MIN, -1),
        st.integers(SHELF_LIFE_MIN, SHELF_LIFE_MAX),
    )
    return st.lists(day, min_size=1, max_size=5, unique=True)


def column(values: list[Any], dtype: str) -> pd.Series:
    """A column with a fixed dtype, so empty frames have the same dtypes as full ones."""
    return pd.Series(values, dtype=dtype)


def qty_dtype(values: list[float | int]) -> str:
    """int64 when every quantity is whole, float64 otherwise: the engine must take both."""
    return "int64" if all(float(v).is_integer() for v in values) else "float64"


@st.composite
def inventories(
    draw: st.DrawFn, items: list[str], locations: list[str] | None, fractional: bool
) -> pd.DataFrame:
    """0–12 lots with unique (item, location, lot); location column only when given."""
    pool = draw(shelf_life_pool())
    row = st.tuples(
        st.sampled_from(items),
        st.sampled_from(locations or [""]),
        st.integers(1, 20).map(lambda n: f"L{n}"),
        st.sampled_from(pool),
        quantities(10, fractional),
    )
    size = draw(st.integers(0, MAX_LOTS))  # uniform, where lists() would favour short ones
    rows = draw(st.lists(row, min_size=size, max_size=size, unique_by=lambda r: r[:3]))
    frame = {c.ITEM: column([r[0] for r in rows], "str")}
    if locations is not None:
        frame[c.LOCATION] = column([r[1] for r in rows], "str")
    frame[c.LOT] = column([r[2] for r in rows], "str")
    qty = [r[4] for r in rows]
    frame[c.QTY] = column(qty, qty_dtype(qty))
    frame[c.SHELF_LIFE] = column([r[3] for r in rows], "int64")
    return pd.DataFrame(frame)


@st.composite
def demands(
    draw: st.DrawFn,
    items: list[str],
    locations: list[str] | None,
    fractional: bool,
    priority: bool,
    ids: bool,
) -> pd.DataFrame:
    """0–12 demand lines; optional priority (1–3, some NA, nullable Int64) and unique ids."""
    row = st.tuples(
        st.sampled_from(items),
        st.sampled_from(locations or [""]),
        quantities(15, fractional),
        st.sampled_from(REQUIREMENTS),
        st.one_of(st.none(), st.integers(1, 3)),
    )
    size = draw(st.integers(0, MAX_LINES))
    rows = draw(st.lists(row, min_size=size, max_size=size))
    frame: dict[str, pd.Series] = {}
    if ids:
        numbers = draw(
            st.lists(st.integers(1, 99), min_size=len(rows), max_size=len(rows), unique=True)
        )
        frame[c.ID] = column([f"D{n}" for n in numbers], "str")
    frame[c.ITEM] = column([r[0] for r in rows], "str")
    if locations is not None:
        frame[c.LOCATION] = column([r[1] for r in rows], "str")
    qty = [r[2] for r in rows]
    frame[c.QTY] = column(qty, qty_dtype(qty))
    frame[c.REQUIREMENT] = column([r[3] for r in rows], "int64")
    if priority:
        frame[c.PRIORITY] = column([pd.NA if r[4] is None else r[4] for r in rows], "Int64")
    return pd.DataFrame(frame)


def maybe(flag: bool | None) -> st.SearchStrategy[bool]:
    """A fixed flag, or either value when None."""
    return st.booleans() if flag is None else st.just(flag)


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    location: bool | None = None,
    priority: bool | None = None,
    ids: bool | None = None,
) -> Problem:
    """An (inventory, demand) pair with canonical columns; each flag forces that optional
    column on or off (None: either). Items and locations are shared, so lots meet demand."""
    items = draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=4, unique=True))
    locations = None
    if draw(maybe(location)):
        locations = draw(st.lists(st.sampled_from(LOCATIONS), min_size=1, max_size=3, unique=True))
    fractional = draw(st.booleans())
    inventory = draw(inventories(items, locations, fractional))
    demand = draw(demands(items, locations, fractional, draw(maybe(priority)), draw(maybe(ids))))
    return inventory, demand


# --- dated, multi-location instances with lanes -------------------------------------------------
#
# Days are small so that they collide: due days, transit days and requirements are drawn from
# short ranges, and lot keys and available days are drawn partly from the very sums that the
# rules compare them with (threshold = max(due, transit) + requirement, ship = delivery -
# transit), so that ``key == threshold`` and ``available == ship`` happen often.

AS_OF_DATES = (dt.date(2026, 12, 1), dt.date(2027, 1, 30), dt.date(2028, 2, 27))
"""A month start, a month end and a leap-year February, so expiry periods straddle months."""
DUE_MIN, DUE_MAX = -2, 21  # two days overdue to three weeks out
TRANSIT_MAX = 5
LANE_RANK_MAX = 4  # ranks 1..4, drawn with gaps
DATED_KEY_MIN, DATED_KEY_MAX = -3, 40
UNDATED_KEY_MAX = 20
MAX_DATED_LOTS = 10
MAX_DATED_LINES = 10


def around_middle(maximum: int) -> st.SearchStrategy[int]:
    """0..maximum, the simplest value being about half the maximum.

    Hypothesis draws the simplest value (0 for ``integers(0, n)``) for a large share of the
    examples of a composite strategy: empty tables and zero quantities half the time. Rotating
    the range keeps most examples busy while still drawing 0 and the maximum.
    """
    return st.integers(0, maximum).map(lambda n: (n + maximum // 2) % (maximum + 1))


def amounts(max_units: int, fractional: bool) -> st.SearchStrategy[float | int]:
    """Like ``quantities``, but mostly not 0: quantities of dated problems, where an all-zero
    demand would leave nothing to compare."""
    whole = around_middle(max_units)
    if not fractional:
        return whole
    return st.one_of(whole, around_middle(max_units * 1000).map(lambda n: n / 1000))


class Instance(NamedTuple):
    """Inputs of one run: frames with canonical columns, ``lanes`` None without lanes and
    ``as_of`` None without dates (``as_of`` is ISO text or a ``datetime.date``)."""

    inventory: pd.DataFrame
    demand: pd.DataFrame
    lanes: pd.DataFrame | None
    as_of: str | dt.date | None

    @property
    def day0(self) -> dt.date | None:
        """``as_of`` as a date."""
        if self.as_of is None or isinstance(self.as_of, dt.date):
            return self.as_of
        return dt.date.fromisoformat(self.as_of)


def dates_column(day0: dt.date, days: list[int | None]) -> pd.Series:
    """Days relative to ``day0`` as a datetime64[s] column (NaT for None), as the reader gives."""
    values = [None if d is None else day0 + dt.timedelta(days=d) for d in days]
    return pd.Series(values, dtype="datetime64[s]")


@st.composite
def lane_frames(draw: st.DrawFn, locations: list[str]) -> pd.DataFrame:
    """0–6 lanes between ``locations``, never from a location to itself, (from, to) and
    (to, rank) unique, ranks with gaps (1–4), transit 0–5 days; sometimes a cost column."""
    rows = []
    for destination in locations:
        others = [loc for loc in locations if loc != destination]
        if not others:
            continue
        sources = draw(st.lists(st.sampled_from(others), max_size=len(others), unique=True))
        lane_ranks = draw(
            st.lists(
                st.integers(1, LANE_RANK_MAX),
                min_size=len(sources),
                max_size=len(sources),
                unique=True,
            )
        )
        for source, rank in zip(sources, lane_ranks, strict=True):
            rows.append((source, destination, draw(st.integers(0, TRANSIT_MAX)), rank))
    rows = draw(st.permutations(rows))
    frame = {
        c.FROM_LOCATION: column([r[0] for r in rows], "str"),
        c.TO_LOCATION: column([r[1] for r in rows], "str"),
        c.TRANSIT_DAYS: column([r[2] for r in rows], "int64"),
        c.RANK: column([r[3] for r in rows], "int64"),
    }
    if draw(st.booleans()):
        costs = draw(st.lists(st.integers(0, 500), min_size=len(rows), max_size=len(rows)))
        frame[c.COST] = column([n / 100 for n in costs], "float64")
    return pd.DataFrame(frame)


def transit_days(lanes: pd.DataFrame | None) -> list[int]:
    """0 (a line's own location) and every lane's transit."""
    if lanes is None:
        return [0]
    return sorted({0, *(int(t) for t in lanes[c.TRANSIT_DAYS])})


class Days(NamedTuple):
    """The day pools of one instance: what lot keys and available days are drawn near."""

    due: list[int]
    transit: list[int]
    dated: bool

    def delivery(self) -> st.SearchStrategy[tuple[int, int]]:
        """(due, transit) of some line on some route."""
        return st.tuples(st.sampled_from(self.due), st.sampled_from(self.transit))

    def keys(self) -> st.SearchStrategy[int]:
        """Mostly on a threshold max(due, transit) + requirement, some anywhere (a few
        expired)."""
        on_threshold = st.tuples(self.delivery(), st.sampled_from(REQUIREMENTS)).map(
            lambda p: max(p[0]) + p[1]
        )
        anywhere = st.integers(DATED_KEY_MIN, DATED_KEY_MAX if self.dated else UNDATED_KEY_MAX)
        return st.one_of(on_threshold, on_threshold, anywhere)

    def available(self) -> st.SearchStrategy[int | None]:
        """Missing, on a ship day max(due, transit) - transit, or anywhere in the weeks."""
        on_ship_day = self.delivery().map(lambda p: max(p) - p[1])
        return st.one_of(st.none(), on_ship_day, st.integers(-3, DUE_MAX))


LotRow = tuple[str, str, str, int, float | int, int | None, float]
"""(item, location, lot, key, qty, available day, unit cost)."""


def inventory_frame(
    rows: list[LotRow], day0: dt.date | None, with_location: bool, expiry: bool, receipts: bool
) -> pd.DataFrame:
    """Lots as the reader gives them: key as expiry date or shelf life, optional columns."""
    frame = {c.ITEM: column([r[0] for r in rows], "str")}
    if with_location:
        frame[c.LOCATION] = column([r[1] for r in rows], "str")
    frame[c.LOT] = column([r[2] for r in rows], "str")
    qty = [r[4] for r in rows]
    frame[c.QTY] = column(qty, qty_dtype(qty))
    if day0 is not None and expiry:
        frame[c.EXPIRY_DATE] = dates_column(day0, [r[3] for r in rows])
    else:
        frame[c.SHELF_LIFE] = column([r[3] for r in rows], "int64")
    if day0 is not None and receipts:
        frame[c.AVAILABLE_DATE] = dates_column(day0, [r[5] for r in rows])
    return pd.DataFrame(frame)


@st.composite
def dated_demands(
    draw: st.DrawFn,
    places: list[tuple[str, str]],
    days: Days,
    day0: dt.date | None,
    with_location: bool,
    priority: bool,
    fractional: bool,
) -> pd.DataFrame:
    """0–10 demand lines at ``places`` (item, location); due dates (usually, with dates),
    optional ids and priorities."""
    row = st.tuples(
        st.sampled_from(places),
        amounts(15, fractional),
        st.sampled_from(REQUIREMENTS),
        st.one_of(st.none(), st.integers(1, 3)),
        st.sampled_from(days.due),
    )
    size = draw(around_middle(MAX_DATED_LINES))
    rows = draw(st.lists(row, min_size=size, max_size=size))
    frame: dict[str, pd.Series] = {}
    if draw(st.booleans()):  # ids whose text order is not their file order
        frame[c.ID] = column([f"D{len(rows) - n}" for n in range(len(rows))], "str")
    frame[c.ITEM] = column([r[0][0] for r in rows], "str")
    if with_location:
        frame[c.LOCATION] = column([r[0][1] for r in rows], "str")
    qty = [r[1] for r in rows]
    frame[c.QTY] = column(qty, qty_dtype(qty))
    frame[c.REQUIREMENT] = column([r[2] for r in rows], "int64")
    if day0 is not None and draw(st.sampled_from((True, True, True, False))):
        frame[c.DUE_DATE] = dates_column(day0, [r[4] for r in rows])
    if priority:
        frame[c.PRIORITY] = column([pd.NA if r[3] is None else r[3] for r in rows], "Int64")
    return pd.DataFrame(frame)


@st.composite
def dated_problems(
    draw: st.DrawFn,
    *,
    dates: bool | None = None,
    lanes: bool | None = None,
    receipts: bool | None = None,
    priority: bool | None = None,
    expiry: bool | None = None,
) -> Instance:
    """An instance with dates, receipts, priorities and lanes; each flag forces a feature on
    or off (None: either).

    ``dates``: an ``as_of``, due dates over three weeks (mostly), expiry dates or shelf lives,
    unit costs (sometimes); without, no date column at all. ``lanes``: lanes between the
    locations of the lots and lines and sometimes one more (so some lanes lead nowhere).
    ``receipts`` (dates only): an ``available_date`` column, empty for some lots, in the
    coming weeks for most. ``expiry`` (dates only): expiry dates instead of shelf lives.
    Lines sit mostly where lots of their item are (or where lanes bring them), so that lines
    compete for the same lots.
    """
    use_dates, use_lanes = draw(maybe(dates)), draw(maybe(lanes))
    items = draw(st.lists(st.sampled_from(ITEMS[:2]), min_size=1, max_size=2, unique=True))
    size = draw(st.sampled_from((1, 2, 3, 3)))
    locations = draw(st.permutations(LOCATIONS))
    where = locations[:size] if use_lanes or draw(st.booleans()) else [""]
    lane_frame = None
    if use_lanes:
        lane_frame = draw(lane_frames(locations[: size + draw(st.integers(0, 1))]))
    day0 = draw(st.sampled_from(AS_OF_DATES)) if use_dates else None
    due = [0]
    if use_dates:
        due = draw(st.lists(st.integers(DUE_MIN, DUE_MAX), min_size=2, max_size=4, unique=True))
    days = Days(due, transit_days(lane_frame), use_dates)
    fractional = draw(st.booleans())

    key_pool = draw(st.lists(days.keys(), min_size=2, max_size=6, unique=True))
    use_receipts = use_dates and draw(maybe(receipts))
    lot_row = st.tuples(
        st.sampled_from(items),
        st.sampled_from(where),
        st.integers(1, 20).map(lambda n: f"L{n}"),
        st.sampled_from(key_pool),
        amounts(10, fractional),
        days.available() if use_receipts else st.none(),
        st.integers(0, 2000).map(lambda n: n / 100),
    )
    n_lots = draw(around_middle(MAX_DATED_LOTS))
    rows = draw(st.lists(lot_row, min_size=n_lots, max_size=n_lots, unique_by=lambda r: r[:3]))
    with_location = where != [""]
    inventory = inventory_frame(
        rows, day0, with_location, draw(maybe(expiry)) if use_dates else False, use_receipts
    )
    if day0 is not None and draw(st.booleans()):
        inventory[c.UNIT_COST] = column([r[6] for r in rows], "float64")

    anywhere = [(item, location) for item in items for location in where]
    stocked = sorted({(r[0], r[1]) for r in rows})
    # Where a lane brings stock in: lines there are served through lanes, not only at home.
    supplied = []
    if lane_frame is not None:
        lane_pairs = zip(lane_frame[c.FROM_LOCATION], lane_frame[c.TO_LOCATION], strict=True)
        supplied = sorted(
            {(i, to) for source, to in lane_pairs for i, at in stocked if at == source}
        )
    candidates = supplied + stocked + anywhere
    places = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3))
    demand = draw(
        dated_demands(places, days, day0, with_location, draw(maybe(priority)), fractional)
    )
    as_of: str | dt.date | None = None
    if day0 is not None:
        as_of = draw(st.sampled_from((day0, day0.isoformat())))
    return Instance(inventory, demand, lane_frame, as_of)


@st.composite
def crossing_problems(draw: st.DrawFn) -> Instance:
    """One item at one location, 2–5 lines with distinct due dates whose thresholds fall as
    their due dates rise: served by due date, the first line accepts fewer lots than a later
    one, so the lines' eligible sets are not nested in serving order.
    """
    n = draw(st.integers(2, 5))
    dues = sorted(draw(st.lists(st.integers(0, DUE_MAX), min_size=n, max_size=n, unique=True)))
    base = draw(st.integers(0, 10))
    # threshold_k = due_k + requirement_k = base + due_last + (n - k): strictly falling in k.
    requirements = [base + dues[-1] - due + (n - k) for k, due in enumerate(dues)]
    top = dues[0] + requirements[0]
    positions = draw(st.permutations(range(n)))  # file order differs from due order
    day0 = draw(st.sampled_from(AS_OF_DATES))
    line_qty = draw(st.lists(st.integers(1, 10), min_size=n, max_size=n))
    demand = pd.DataFrame(
        {
            c.ITEM: column(["A"] * n, "str"),
            c.QTY: column([line_qty[p] for p in positions], "int64"),
            c.REQUIREMENT: column([requirements[p] for p in positions], "int64"),
            c.DUE_DATE: dates_column(day0, [dues[p] for p in positions]),
        }
    )
    # One lot only the later lines accept, one that every line accepts: the first eligible
    # lot of the first line served lies beyond that of a later line, whatever the kernel
    # compares (thresholds or positions on the lot axis).
    low = dues[-1] + requirements[-1]
    keys = [draw(st.integers(low, top - 1)), draw(st.integers(top, top + 10))]
    keys += draw(st.lists(st.integers(low, top + 10), max_size=2))
    lot_qty = draw(st.lists(st.integers(1, 10), min_size=len(keys), max_size=len(keys)))
    inventory = pd.DataFrame(
        {
            c.ITEM: column(["A"] * len(keys), "str"),
            c.LOT: column([f"L{i + 1}" for i in range(len(keys))], "str"),
            c.QTY: column(lot_qty, "int64"),
            c.EXPIRY_DATE: dates_column(day0, keys),
        }
    )
    return Instance(inventory, demand, None, day0.isoformat())


@st.composite
def binding_receipts_problems(draw: st.DrawFn) -> Instance:
    """One item at one location, two lines served by requirement (thresholds rising) and a
    receipt that binds: lot X is long enough for both lines but arrives after the first
    line's due date and by the second's, while lot Y serves the first line. The first line's
    eligible set does not contain the second's: not nested, whatever the order of due dates
    and thresholds, the general kernel's case (SPEC §3)."""
    day0 = draw(st.sampled_from(AS_OF_DATES))
    due_1 = draw(st.integers(0, 10))
    due_2 = draw(st.integers(due_1 + 1, due_1 + 10))
    requirement_1 = draw(st.integers(0, 12))
    requirement_2 = requirement_1 + draw(st.integers(0, 6))
    top = due_2 + requirement_2
    key_y = draw(st.integers(due_1 + requirement_1, due_1 + requirement_1 + 5))
    key_x = draw(st.integers(top, top + 10))
    arrival_x = draw(st.integers(due_1 + 1, due_2))
    line_qty = draw(st.lists(st.integers(1, 10), min_size=2, max_size=2))
    lot_qty = draw(st.lists(st.integers(1, 10), min_size=2, max_size=2))
    flip = draw(st.booleans())  # file order of the lines
    order = [1, 0] if flip else [0, 1]
    dues, requirements = [due_1, due_2], [requirement_1, requirement_2]
    demand = pd.DataFrame(
        {
            c.ITEM: column(["A", "A"], "str"),
            c.QTY: column([line_qty[k] for k in order], "int64"),
            c.REQUIREMENT: column([requirements[k] for k in order], "int64"),
            c.DUE_DATE: dates_column(day0, [dues[k] for k in order]),
        }
    )
    inventory = pd.DataFrame(
        {
            c.ITEM: column(["A", "A"], "str"),
            c.LOT: column(["X", "Y"], "str"),
            c.QTY: column(lot_qty, "int64"),
            c.EXPIRY_DATE: dates_column(day0, [key_x, key_y]),
            c.AVAILABLE_DATE: dates_column(day0, [arrival_x, None]),
        }
    )
    return Instance(inventory, demand, None, day0.isoformat())


# --- text that looks a little like CSV, for the fuzz tests of the readers ---------------------

CSV_PIECES = st.sampled_from([*'AB01.-,;\t"\n\r 9e', "é", "\x00", "\ufeff", "item", "2026-02-30"])
CSV_LINES = st.lists(CSV_PIECES, max_size=12).map("".join)
HEADERS = st.lists(
    st.sampled_from(["item", "lot", "qty", "shelf_life", "Lot Qty", "expiry", "location", "x"]),
    min_size=1,
    max_size=6,
)
