"""What a planner acts on: shortfalls with excess elsewhere, stock lost already, actions."""

from __future__ import annotations

import pandas as pd
import pytest
from support.cli import REGIONAL

from consumption import constants as C
from consumption.cli import main
from consumption.outputs import planner


def _tables() -> planner.Tables:
    lots = pd.DataFrame(
        {
            C.ITEM: ["A", "A", "A", "B"],
            C.LOCATION: ["L1", "L2", "L3", "L1"],
            C.REMAINING: [0, 30, 10, 7],
            C.REASON: pd.Categorical([None, C.REASON_EXCESS, C.REASON_EXCESS, C.REASON_STRANDED]),
        }
    )
    demand = pd.DataFrame(
        {
            C.ITEM: ["A", "A", "B"],
            C.LOCATION: ["L1", "L1", "L1"],
            C.CUSTOMER: ["C1", "C2", None],
            C.QTY: [50, 20, 4],
            C.FILLED: [10, 20, 0],
            C.SHORT: [40, 0, 4],
            C.REASON: pd.Categorical([C.SHORT_EXHAUSTED, None, C.SHORT_SHELF_LIFE]),
        }
    )
    expiry = pd.DataFrame(
        {
            C.ITEM: ["A", "A", "B"],
            C.LOCATION: ["L2", "L3", "L1"],
            C.LOT: ["a2", "a3", "b1"],
            "unsellable_date": pd.to_datetime(["2026-11-20", "2027-01-03", "2026-12-05"]),
            C.REMAINING: [30, 10, 7],
            C.REASON: [C.REASON_EXCESS, C.REASON_EXCESS, C.REASON_STRANDED],
            "at_risk": [True, True, True],
            "value": [300.0, 50.0, 700.0],
        }
    )
    return planner.tables(lots, demand, expiry, "2026-12-01")


def test_a_shortfall_is_matched_with_the_location_holding_most_excess() -> None:
    found = planner.short_with_excess(_tables())
    assert found[[C.ITEM, C.LOCATION, C.SHORT, planner.EXCESS_LOCATION, planner.EXCESS]].to_dict(
        "records"
    ) == [{"item": "A", "location": "L1", "short": 40, "excess_location": "L2", "excess": 30}]


def test_the_actions_name_the_numbers_behind_them() -> None:
    t = _tables()
    short = planner.short_items(t).set_index(C.ITEM)[planner.ACTION].to_dict()
    assert short == {
        "A": "40 short; 40 at L1 while L2 holds 30 excess: add a lane or transfer",
        "B": "4 short, most at L1 (shelf_life): " + planner.SHORT_ACTIONS[C.SHORT_SHELF_LIFE],
    }
    risky = planner.risk_items(t)
    assert list(risky[C.ITEM]) == ["B", "A"]  # by value, not quantity
    assert risky[planner.ACTION].iloc[1].startswith("40 at risk, value 350.00, most at L2 (excess)")


def test_stock_unsellable_on_as_of_is_its_own_bar_never_a_past_month() -> None:
    bars = planner.at_risk(_tables()).set_index(C.LOT)["bar"].to_dict()
    assert bars == {"a2": C.UNSELLABLE_ON_AS_OF, "a3": "2027-01", "b1": "2026-12"}


def test_run_prints_what_to_act_on(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(REGIONAL), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "short by reason: exhausted 670,422, shelf_life 720, no_inventory 216" in out
    assert (
        "  SKU-0014: 123,360 short; 53,544 at DC-WEST while DC-NORTH holds 1,392 excess: "
        "add a lane or transfer" in out
    )
    lines = out.splitlines()
    at = lines.index("items short most:")
    assert all(line.startswith("  SKU-") for line in lines[at + 1 : at + 1 + C.TOP_PRINTED])


def test_quiet_prints_nothing(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(REGIONAL), "--out", str(tmp_path), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
