"""Why stock is left on a lot and why a line went short, one rule per case, by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import consumption
from consumption import constants as c


def _lots(inventory: dict, demand: dict, **options: str) -> dict[str, tuple[str, str]]:
    result = consumption.allocate(pd.DataFrame(inventory), pd.DataFrame(demand), **options)
    return {
        r[c.LOT]: (r[c.STATUS], r[c.REASON] if isinstance(r[c.REASON], str) else "")
        for r in result.lots.to_dict("records")
    }


def test_each_reason_for_stock_left_over() -> None:
    lots = _lots(
        {
            "item": ["A", "A", "A", "A", "B"],
            "lot": ["expired", "short", "used", "spare", "nobody"],
            "qty": [5, 5, 5, 5, 5],
            "shelf_life": [-1, 10, 100, 200, 50],
        },
        {"item": ["A"], "qty": [5], "requirement": [90]},
    )
    assert lots == {
        "expired": (c.STATUS_UNCONSUMED, c.REASON_EXPIRED),
        "short": (c.STATUS_UNCONSUMED, c.REASON_STRANDED),
        "used": (c.STATUS_CONSUMED, ""),
        "spare": (c.STATUS_UNCONSUMED, c.REASON_EXCESS),
        "nobody": (c.STATUS_UNCONSUMED, c.REASON_NO_DEMAND),
    }


def test_a_receipt_too_late_for_every_line_is_not_available() -> None:
    lots = _lots(
        {
            "item": ["A"],
            "lot": ["late"],
            "qty": [5],
            "expiry_date": ["2028-01-01"],
            "available_date": ["2027-06-01"],
        },
        {"item": ["A"], "qty": [5], "due_date": ["2027-01-01"]},
        as_of="2026-12-01",
    )
    assert lots == {"late": (c.STATUS_UNCONSUMED, c.REASON_NOT_AVAILABLE)}


@pytest.mark.parametrize(
    ("inventory", "reason"),
    [
        ({"item": ["B"], "lot": ["1"], "qty": [9], "shelf_life": [500]}, c.SHORT_NO_INVENTORY),
        ({"item": ["A"], "lot": ["1"], "qty": [9], "shelf_life": [30]}, c.SHORT_SHELF_LIFE),
        ({"item": ["A"], "lot": ["1"], "qty": [2], "shelf_life": [500]}, c.SHORT_EXHAUSTED),
    ],
)
def test_each_reason_for_a_short_line(inventory: dict, reason: str) -> None:
    demand = pd.DataFrame({"item": ["A", "A"], "qty": [2, 3], "requirement": [0, 90]})
    result = consumption.allocate(pd.DataFrame(inventory), demand)
    assert result.demand[c.REASON].astype(str).tolist()[1] == reason


def test_requirement_considered_is_the_strictest_the_lot_meets() -> None:
    result = consumption.allocate(
        pd.DataFrame(
            {
                "item": ["A"] * 3,
                "lot": ["1", "2", "3"],
                "qty": [1, 1, 1],
                "shelf_life": [50, 100, 400],
            }
        ),
        pd.DataFrame({"item": ["A", "A"], "qty": [1, 1], "requirement": [90, 270]}),
    )
    assert result.lots[c.REQUIREMENT_CONSIDERED].tolist() == [pd.NA, 90, 270]
