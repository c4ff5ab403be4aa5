"""The forum example of SPEC §1, reproduced exactly from its own CSV files."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import ROOT

import consumption
from consumption import constants as C
from consumption.cli import main

SCENARIO = ROOT / "scenarios" / "forum-example"
SHARED = ROOT.parent / "shared" / "examples" / "forum-example"
EXPECTED = SCENARIO / "expected-consumption.csv"


def test_scenario_holds_the_shared_example() -> None:
    if not SHARED.is_dir():
        pytest.skip("the shared examples folder is not beside this checkout")
    for name in ("inventory.csv", "demand.csv", "expected-consumption.csv"):
        assert (SCENARIO / name).read_bytes() == (SHARED / name).read_bytes()


def test_forum_csv_equals_the_expected_table(tmp_path: Path) -> None:
    code = main(["run", str(SCENARIO), "--out", str(tmp_path), "--quiet"])
    assert code == C.EXIT_OK
    assert (tmp_path / C.FORUM_FILE).read_bytes() == EXPECTED.read_bytes()


def test_api_gives_the_forum_numbers() -> None:
    inventory = consumption.read_inventory(SCENARIO / "inventory.csv")
    demand = consumption.read_demand(SCENARIO / "demand.csv")
    result = consumption.allocate(inventory, demand)
    lots = result.lots
    assert lots[C.LOT].tolist() == ["1234", "5678", "9876"]
    assert lots[C.RANK].tolist() == [1, 2, 3]
    assert lots[C.CONSUMED].tolist() == [450, 0, 3000]
    assert lots[C.REMAINING].tolist() == [50, 600, 4000]
    assert lots[C.REQUIREMENT_CONSIDERED].tolist() == [180, 180, 270]
    assert lots[C.STATUS].tolist() == ["partial", "unconsumed", "partial"]
    # 5678 is eligible for the 180-day line, which 1234 already covered.
    assert lots[C.REASON].tolist() == ["excess", "excess", "excess"]
    assert result.demand[C.FILLED].tolist() == [450, 3000]
    assert result.summary["totals"]["filled"] == 3450


def test_forum_table_is_printed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["run", str(SCENARIO), "--out", str(tmp_path)]) == C.EXIT_OK
    out = capsys.readouterr().out
    assert "remaining 270 demand" in out
    assert "filled 3,450 (100.0%)" in out
