"""What will expire unsold, and when: ``expiry_risk.csv`` and ``risk_by_period.csv``.

A lot left over can still be sold until its shelf life drops below the least
demanding requirement its item's customers ask for: that day is its
unsellable date. Stock whose unsellable date falls inside the planning
horizon is at risk; its value is what the planner stands to write off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from consumption import constants as C
from consumption.engine.model import Instance

MONEY_DECIMALS = 2  # values are reported to the cent
UNSELLABLE_DATE = "unsellable_date"
AT_RISK = "at_risk"
PERIOD = "period"
VALUE = "value"
EXPIRY_RISK_COLUMNS = (
    C.ITEM, C.LOCATION, C.LOT, C.EXPIRY_DATE, UNSELLABLE_DATE, C.REMAINING, C.REASON,
    AT_RISK, PERIOD, VALUE,
)  # fmt: skip
RISK_BY_PERIOD_COLUMNS = (C.ITEM, C.LOCATION, PERIOD, C.QTY, VALUE)


def horizon_day(inst: Instance, horizon_end: np.datetime64 | None) -> int:
    """The last day of the planning horizon: --horizon-end, else the last due day."""
    if horizon_end is not None and inst.as_of is not None:
        return int((horizon_end - inst.as_of).astype(np.int64))
    return int(inst.line_due.max(initial=0))


def expiry_risk(inst: Instance, lots: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """One row per lot with stock left: when it becomes unsellable, and what it is worth."""
    remaining = lots[C.REMAINING].to_numpy()
    left = np.flatnonzero(remaining > 0)
    least = _least_requirement(inst)[inst.lot_item[left]]
    unsellable = inst.lot_key[left] - least
    dates = inst.dates(unsellable)
    frame = lots.iloc[left][[C.ITEM, C.LOCATION, C.LOT, C.EXPIRY_DATE]].reset_index(drop=True)
    frame[UNSELLABLE_DATE] = dates
    frame[C.REMAINING] = remaining[left]
    frame[C.REASON] = lots[C.REASON].iloc[left].to_numpy()
    frame[AT_RISK] = unsellable <= horizon
    frame[PERIOD] = pd.Series(dates).dt.strftime("%Y-%m").to_numpy()
    if inst.lot_unit_cost is None:
        frame[VALUE] = np.full(len(left), np.nan)
    else:
        frame[VALUE] = np.round(remaining[left] * inst.lot_unit_cost[left], MONEY_DECIMALS)
    return frame[list(EXPIRY_RISK_COLUMNS)]


def risk_by_period(risk: pd.DataFrame) -> pd.DataFrame:
    """At-risk quantity and value by item, location and month of the unsellable date."""
    at_risk = risk[risk[AT_RISK]]
    grouped = at_risk.groupby([C.ITEM, C.LOCATION, PERIOD], observed=True, sort=True)
    table = grouped.agg(qty=(C.REMAINING, "sum"), value=(VALUE, lambda v: v.sum(min_count=1)))
    table = table.reset_index().rename(columns={"qty": C.QTY, "value": VALUE})
    table[VALUE] = table[VALUE].round(MONEY_DECIMALS)
    return table[list(RISK_BY_PERIOD_COLUMNS)]


def _least_requirement(inst: Instance) -> np.ndarray:
    """Per item, the least requirement among its demand lines (0 for items without demand)."""
    least = np.full(len(inst.items), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(least, inst.line_item, inst.line_requirement)
    return np.where(least == np.iinfo(np.int64).max, 0, least)
