"""summary.json: exact totals, so that every identity of the CSV files holds in it too."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import consumption
from consumption import constants as c


def test_large_fractional_totals_are_exact_in_the_file(tmp_path: Path) -> None:
    # Each lot is exact in floats of 10**-6 units; their total (2.4e16 units) is not.
    inventory = pd.DataFrame(
        {
            "item": ["A"] * 4,
            "lot": ["1", "2", "3", "4"],
            "qty": ["7947651130.542374"] * 3 + ["0.000001"],
            "shelf_life": [100, 200, 300, 400],
        }
    )
    demand = pd.DataFrame({"item": ["A"], "qty": ["8000000000.000003"]})
    result = consumption.allocate(inventory, demand)
    result.write(tmp_path / "out")
    text = (tmp_path / "out" / c.SUMMARY_FILE).read_text(encoding="utf-8")
    assert '"lot_qty": 23842953391.627123' in text
    totals = json.loads(text, parse_float=Decimal)["totals"]
    assert totals["lot_qty"] == Decimal("23842953391.627123")
    assert totals["lot_qty"] == totals["consumed"] + totals["remaining"]
    assert totals["demand"] == totals["filled"] + totals["short"]
    assert totals["remaining"] == sum(totals["remaining_by_reason"].values())


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 10**12), min_size=1, max_size=6),
    st.lists(st.integers(0, 10**12), min_size=1, max_size=4),
    st.integers(0, 6),
)
def test_summary_identities_hold_exactly(lots: list[int], lines: list[int], decimals: int) -> None:
    def text(units: int) -> str:
        return str(Decimal(units).scaleb(-decimals))

    inventory = pd.DataFrame(
        {
            "item": ["A"] * len(lots),
            "lot": [str(i) for i in range(len(lots))],
            "qty": [text(q) for q in lots],
            "shelf_life": [10 * (i + 1) for i in range(len(lots))],
        }
    )
    demand = pd.DataFrame(
        {
            "item": ["A"] * len(lines),
            "qty": [text(q) for q in lines],
            "requirement": [15 * i for i in range(len(lines))],
        }
    )
    totals = consumption.allocate(inventory, demand).summary["totals"]
    scale = Decimal(10) ** -decimals
    assert Decimal(totals["lot_qty"]) == sum(lots) * scale
    assert totals["lot_qty"] == totals["consumed"] + totals["remaining"]
    assert totals["demand"] == totals["filled"] + totals["short"]
    assert totals["remaining"] == sum(totals["remaining_by_reason"].values())
