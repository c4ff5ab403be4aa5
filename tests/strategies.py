"""Hypothesis strategies for small (inventory, demand) problems without dates.

The instances are tiny but dense in the cases that break allocators: shelf lives tied with
each other (so the lot id decides the rank) and with requirements (so ``>=`` matters), lot
ids whose text order is not their numeric order ("L10" < "L7"), expired lots, zero
quantities, fractional quantities, lots and demand at different locations, and priorities
with missing values.
"""

from __future__ import annotations

from typing import Any

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
