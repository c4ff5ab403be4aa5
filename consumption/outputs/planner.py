"""What a planner acts on, from a run's tables: where demand goes short and why, where
stock is at risk, items short in one place while holding excess in another, and the
one action each suggests.

Everything here works on the frames a run writes (``lots``, ``demand``,
``expiry_risk``), whether they are a :class:`~consumption.outputs.result.Result`'s
or were read back from its files: the terminal summary after ``run`` and the HTML
report tell the same story from the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from consumption import constants as C
from consumption.outputs.risk import AT_RISK, UNSELLABLE_DATE, VALUE

if TYPE_CHECKING:
    from consumption.outputs.result import Result

EXCESS = "excess"  # column: sellable stock left over elsewhere
EXCESS_LOCATION = "excess_location"
SHORT_LOCATION = "short_location"  # the location of an item's shortfall with excess elsewhere
SHORT_THERE = "short_there"
AT_RISK_QTY = "at_riskqty_text"
ACTION = "action"

# What each reason suggests, in the planner's words. Short lines first, then stock at risk.
SHORT_ACTIONS = {
    C.SHORT_EXHAUSTED: "eligible stock ran out: order more or expedite a receipt",
    C.SHORT_SHELF_LIFE: "the stock there is too old for these customers: source fresher lots",
    C.SHORT_NOT_AVAILABLE: "receipts arrive after the due dates: pull them forward",
    C.SHORT_NO_INVENTORY: "no stock where these lines are served: stock it or add a lane",
}
RISK_ACTIONS = {
    C.REASON_EXCESS: "more stock than demand before it turns unsellable: promote it or "
    "stop replenishing",
    C.REASON_STRANDED: "too short for every customer's requirement: sell it to a customer "
    "that takes shorter shelf life",
    C.REASON_NO_DEMAND: "no demand for it here: move it or sell it off",
    C.REASON_EXPIRED: "already expired: write it off",
    C.REASON_NOT_AVAILABLE: "it arrives after the demand it could serve: bring it in earlier",
}


@dataclass(frozen=True)
class Tables:
    """The columns of a run's tables that the findings need; text columns as ``str``."""

    lots: pd.DataFrame  # item, location, remaining, reason
    demand: pd.DataFrame  # item, location, customer, qty, filled, short, reason
    expiry: pd.DataFrame | None  # expiry_risk rows, or None for a run without dates
    as_of: str | None  # ISO day 0 of the plan


def tables(
    lots: pd.DataFrame, demand: pd.DataFrame, expiry: pd.DataFrame | None, as_of: str | None
) -> Tables:
    """The frames with text as plain strings (a missing reason is ``""``), categoricals or not."""

    def text(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
        frame = frame.copy()
        for name in columns:
            frame[name] = frame[name].astype(object).fillna("").astype(str)
        return frame

    lot_cols = (C.ITEM, C.LOCATION, C.REASON)
    demand_cols = (C.ITEM, C.LOCATION, C.CUSTOMER, C.REASON)
    return Tables(
        text(lots[[*lot_cols, C.REMAINING]], lot_cols),
        text(demand[[*demand_cols, C.QTY, C.FILLED, C.SHORT]], demand_cols),
        None if expiry is None else text(expiry, (C.ITEM, C.LOCATION, C.REASON)),
        as_of,
    )


def of_result(result: Result) -> Tables:
    """The tables of a run still in memory."""
    return tables(result.lots, result.demand, result.expiry_risk, result.summary["run"]["as_of"])


def short_by(t: Tables, column: str) -> pd.Series:
    """Short quantity by ``column`` (reason, item, customer, ...), largest first."""
    short = t.demand[t.demand[C.SHORT] > 0]
    return short.groupby(column, sort=False)[C.SHORT].sum().sort_values(ascending=False)


def at_risk(t: Tables) -> pd.DataFrame:
    """The at-risk rows of the expiry risk, with the bar each falls in: its month, or
    :data:`~consumption.constants.UNSELLABLE_ON_AS_OF` for stock that is unsellable
    already on ``as_of`` (it is no past month's loss: it is lost now)."""
    if t.expiry is None:
        return pd.DataFrame(columns=[C.ITEM, C.LOCATION, C.REASON, C.REMAINING, VALUE, "bar"])
    rows = t.expiry[t.expiry[AT_RISK].astype(bool)].copy()
    day = pd.to_datetime(rows[UNSELLABLE_DATE])
    already = day < pd.Timestamp(t.as_of) if t.as_of else np.zeros(len(rows), dtype=bool)
    rows["bar"] = np.where(already, C.UNSELLABLE_ON_AS_OF, day.dt.strftime("%Y-%m"))
    rows[VALUE] = pd.to_numeric(rows[VALUE], errors="coerce")
    return rows


def risk_by(t: Tables, columns: list[str]) -> pd.DataFrame:
    """At-risk quantity and value by ``columns``, by value (quantity without costs) first."""
    rows = at_risk(t)
    table = rows.groupby(columns, sort=False).agg(
        qty=(C.REMAINING, "sum"), value=(VALUE, lambda v: v.sum(min_count=1))
    )
    table = table.reset_index().rename(columns={"qty": AT_RISK_QTY})
    return table.sort_values([VALUE, AT_RISK_QTY], ascending=False, na_position="last")


def short_with_excess(t: Tables) -> pd.DataFrame:
    """Per item and location short: the other location holding the most excess of it.

    Excess is stock left over that meets some requirement (reason ``excess``):
    sellable stock in the wrong place. One row per (item, short location) that
    has such a location, most short first.
    """
    short = t.demand[t.demand[C.SHORT] > 0].groupby([C.ITEM, C.LOCATION], as_index=False)
    short_at = short[C.SHORT].sum()
    excess_lots = t.lots[(t.lots[C.REASON] == C.REASON_EXCESS) & (t.lots[C.REMAINING] > 0)]
    excess_at = excess_lots.groupby([C.ITEM, C.LOCATION])[C.REMAINING].sum().reset_index()
    excess_at.columns = pd.Index([C.ITEM, EXCESS_LOCATION, EXCESS])
    pairs = short_at.merge(excess_at, on=C.ITEM)
    pairs = pairs[pairs[C.LOCATION] != pairs[EXCESS_LOCATION]]
    best = pairs.sort_values(EXCESS, ascending=False).drop_duplicates([C.ITEM, C.LOCATION])
    return best.sort_values([C.SHORT, C.ITEM], ascending=[False, True]).reset_index(drop=True)


def short_items(t: Tables, top: int = C.TOP_PRINTED) -> pd.DataFrame:
    """The ``top`` items short most: where most of it is short, its main reason, the action."""
    short = t.demand[t.demand[C.SHORT] > 0]
    totals = short.groupby(C.ITEM)[C.SHORT].sum().nlargest(top)
    if totals.empty:
        return pd.DataFrame(columns=[C.ITEM, C.SHORT, C.LOCATION, C.REASON, ACTION])
    lines = short[short[C.ITEM].isin(totals.index)]
    where = _largest(lines, C.LOCATION, C.SHORT)
    why = _largest(lines, C.REASON, C.SHORT)
    frame = pd.DataFrame({C.SHORT: totals})
    frame[C.LOCATION] = where.reindex(frame.index)
    frame[C.REASON] = why.reindex(frame.index)
    # The item's largest shortfall that has excess elsewhere (most short first).
    excess = short_with_excess(t).drop_duplicates(C.ITEM).set_index(C.ITEM)
    excess = excess.rename(columns={C.LOCATION: SHORT_LOCATION, C.SHORT: SHORT_THERE})
    frame = frame.join(excess[[SHORT_LOCATION, SHORT_THERE, EXCESS_LOCATION, EXCESS]])
    # Excess elsewhere is the action to take first: it needs no stock bought.
    moved = frame[EXCESS_LOCATION].notna().to_numpy()
    lane = (
        frame[C.SHORT].map(qty_text) + " short; " + frame[SHORT_THERE].fillna(0).map(qty_text)
        + " at " + frame[SHORT_LOCATION].fillna("") + " while "
        + frame[EXCESS_LOCATION].fillna("") + " holds " + frame[EXCESS].fillna(0).map(qty_text)
        + " excess: add a lane or transfer"
    )  # fmt: skip
    reason = (
        frame[C.SHORT].map(qty_text) + " short, most at " + frame[C.LOCATION] + " ("
        + frame[C.REASON] + "): " + frame[C.REASON].map(SHORT_ACTIONS).fillna("")
    )  # fmt: skip
    frame[ACTION] = np.where(moved, lane, reason)
    return frame[[C.SHORT, C.LOCATION, C.REASON, ACTION]].rename_axis(C.ITEM).reset_index()


def risk_items(t: Tables, top: int = C.TOP_PRINTED) -> pd.DataFrame:
    """The ``top`` items with the most value at risk (quantity without costs), the action."""
    rows = at_risk(t)
    by_item = risk_by(t, [C.ITEM]).head(top).set_index(C.ITEM)
    if by_item.empty:
        return pd.DataFrame(columns=[C.ITEM, AT_RISK_QTY, VALUE, C.LOCATION, C.REASON, ACTION])
    rows = rows[rows[C.ITEM].isin(by_item.index)]
    weight = rows[VALUE].fillna(rows[C.REMAINING]) if len(rows) else rows[C.REMAINING]
    rows = rows.assign(weight=weight)
    where = _largest(rows, C.LOCATION, "weight")
    why = _largest(rows, C.REASON, "weight")
    frame = by_item.copy()
    frame[C.LOCATION] = where.reindex(frame.index)
    frame[C.REASON] = why.reindex(frame.index)
    value = frame[VALUE].map(lambda v: "" if pd.isna(v) else f", value {v:,.2f}")
    frame[ACTION] = (
        frame[AT_RISK_QTY].map(qty_text) + " at risk" + value + ", most at "
        + frame[C.LOCATION].astype(str) + " (" + frame[C.REASON].astype(str) + "): "
        + frame[C.REASON].map(RISK_ACTIONS).fillna("")
    )  # fmt: skip
    return frame[[AT_RISK_QTY, VALUE, C.LOCATION, C.REASON, ACTION]].reset_index()


def _largest(rows: pd.DataFrame, column: str, weight: str) -> pd.Series:
    """Per item, the value of ``column`` carrying the most ``weight`` (ties: first by name)."""
    sums = rows.groupby([C.ITEM, column], sort=True)[weight].sum().reset_index()
    sums = sums.sort_values([weight], ascending=False, kind="stable")
    return sums.drop_duplicates(C.ITEM).set_index(C.ITEM)[column]


def qty_text(value: float) -> str:
    """A quantity as the summaries print it: thousands grouped, no trailing zeros."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")
