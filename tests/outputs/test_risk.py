"""Expiry risk by hand: when unsold stock becomes unsellable, whether it is at risk, its value."""

from __future__ import annotations

import pandas as pd

import consumption
from consumption import constants as c
from consumption.outputs import risk


def _run(horizon_end: str | None = None) -> consumption.Result:
    inventory = pd.DataFrame(
        {
            "item": ["A", "A", "B"],
            "lot": ["L1", "L2", "L3"],
            "qty": [10, 5, 4],
            "expiry_date": ["2027-01-31", "2027-06-30", "2027-03-01"],
            "unit_cost": [2.0, 1.5, None],
        }
    )
    demand = pd.DataFrame(
        {
            "item": ["A", "A"],
            "qty": [3, 1],
            "requirement": [30, 90],
            "due_date": ["2026-12-01", "2027-02-01"],
        }
    )
    return consumption.allocate(inventory, demand, as_of="2026-12-01", horizon_end=horizon_end)


def test_unsellable_date_is_expiry_minus_the_least_requirement() -> None:
    result = _run()
    assert result.expiry_risk is not None
    rows = {r[c.LOT]: r for r in result.expiry_risk.to_dict("records")}
    # L1: 10 units, 3 taken by the 30-day line; sellable while 30 days are left: to 2027-01-01.
    assert str(rows["L1"][risk.UNSELLABLE_DATE])[:10] == "2027-01-01"
    assert rows["L1"][c.REMAINING] == 7 and rows["L1"][risk.VALUE] == 14.0
    # The horizon ends on the last due date, 2027-02-01: L1 is at risk, L2 is not.
    assert rows["L1"][risk.AT_RISK] and not rows["L2"][risk.AT_RISK]
    assert rows["L1"][risk.PERIOD] == "2027-01"
    # B has no demand: its least requirement is 0, so it is unsellable on expiry.
    assert str(rows["L3"][risk.UNSELLABLE_DATE])[:10] == "2027-03-01"
    assert pd.isna(rows["L3"][risk.VALUE])


def test_risk_by_period_sums_the_at_risk_stock_by_month() -> None:
    result = _run(horizon_end="2027-12-31")
    assert result.risk_by_period is not None
    table = result.risk_by_period.to_dict("records")
    assert [(r[c.ITEM], r[risk.PERIOD], r[c.QTY]) for r in table] == [
        ("A", "2027-01", 7),
        ("A", "2027-05", 4),
        ("B", "2027-03", 4),
    ]
    assert result.summary["risk"]["at_risk_qty"] == 15
    assert result.summary["risk"]["at_risk_value"] == 14.0 + 6.0


def test_no_risk_tables_without_dates() -> None:
    inventory = pd.DataFrame({"item": ["A"], "lot": ["1"], "qty": [1], "shelf_life": [5]})
    result = consumption.allocate(inventory, pd.DataFrame({"item": ["A"], "qty": [1]}))
    assert result.expiry_risk is None and result.risk_by_period is None
    assert "risk" not in result.summary
