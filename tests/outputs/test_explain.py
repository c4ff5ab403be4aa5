"""``reason_detail`` and ``consumption explain`` on the bundled scenarios: every lot reason."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from support.cli import SCENARIOS

import consumption
from consumption import constants as C
from consumption.cli import main
from consumption.errors import NotFoundError
from consumption.outputs import explain


def _lots(out: Path) -> list[dict[str, str]]:
    with open(out / C.LOTS_FILE, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def weekly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("weekly")
    assert main(["run", str(SCENARIOS / "weekly-horizon"), "--out", str(out), "--quiet"]) == 0
    return out


def test_every_left_over_lot_has_the_number_behind_its_reason(weekly: Path) -> None:
    lots = _lots(weekly)
    assert list(lots[0]) == list(C.LOTS_COLUMNS)
    for lot in lots:
        assert bool(lot[C.REASON]) == bool(lot[C.REASON_DETAIL]), lot
    first = {lot[C.REASON]: lot for lot in reversed(lots)}
    assert {C.REASON_EXPIRED, C.REASON_NO_DEMAND, C.REASON_STRANDED, C.REASON_EXCESS} <= set(first)
    expired = first[C.REASON_EXPIRED]
    days = -int(expired[C.SHELF_LIFE])
    assert expired[C.REASON_DETAIL] == f"expired {days} days before as_of"
    excess = first[C.REASON_EXCESS]
    left = excess[C.REMAINING]
    assert excess[C.REASON_DETAIL] == f"excess: {left} left after every eligible line was filled"
    stranded = first[C.REASON_STRANDED][C.REASON_DETAIL]
    assert stranded.startswith("at delivery 2026-12-")
    assert "least demanding customer needs" in stranded
    no_demand = first[C.REASON_NO_DEMAND]
    assert no_demand[C.ITEM] in no_demand[C.REASON_DETAIL]


def test_not_available_names_both_dates() -> None:
    result = consumption.allocate(
        pd.DataFrame(
            {"item": ["A"], "lot": ["late"], "qty": [1500], "expiry_date": ["2028-01-01"],
             "available_date": ["2027-06-01"]}
        ),
        pd.DataFrame({"item": ["A"], "qty": [5], "due_date": ["2027-01-01"]}),
        as_of="2026-12-01",
    )  # fmt: skip
    assert result.lots[C.REASON_DETAIL].tolist() == [
        "not available until 2027-06-01; the last ship date it could serve is 2027-01-01"
    ]


def test_excess_in_plain_digits_keeps_decimals() -> None:
    result = consumption.allocate(
        pd.DataFrame({"item": ["A"], "lot": ["1"], "qty": [1234567.5], "shelf_life": [100]}),
        pd.DataFrame({"item": ["A"], "qty": [0.5], "requirement": [10]}),
    )
    assert result.lots[C.REASON_DETAIL].tolist() == [
        "excess: 1234567 left after every eligible line was filled"
    ]


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        (C.REASON_EXPIRED, "cannot be sold"),
        (C.REASON_NO_DEMAND, "No demand line could take it."),
        (C.REASON_STRANDED, "cannot take it: it has"),
        (C.REASON_EXCESS, "the lines it meets asked for less"),
    ],
)
def test_explain_tells_every_lot_reason(weekly: Path, reason: str, words: str, capsys) -> None:
    lot = next(row for row in _lots(weekly) if row[C.REASON] == reason)
    args = ["--item", lot[C.ITEM], "--location", lot[C.LOCATION]]
    assert main(["explain", str(weekly), "--lot", lot[C.LOT], *args]) == 0
    story = capsys.readouterr().out
    assert story.startswith(f"Lot {lot[C.LOT]}: {lot[C.ITEM]} at {lot[C.LOCATION]}, rank ")
    assert lot[C.REASON_DETAIL] in story and words in story


@pytest.mark.parametrize("name", ["forum-example", "future-receipts", "optimizer-wins"])
def test_explain_covers_every_lot_of_small_scenarios(name: str, tmp_path: Path) -> None:
    assert main(["run", str(SCENARIOS / name), "--out", str(tmp_path), "--quiet"]) == 0
    run = explain.read_run(tmp_path)
    for lot in _lots(tmp_path):
        story = explain.explain_lot(run, lot[C.LOT], lot[C.ITEM], lot[C.LOCATION])
        assert f"consumed {lot[C.CONSUMED]}, {lot[C.REMAINING]} left" in story
        if lot[C.REASON]:
            assert explain.LOT_REASON_WORDS[lot[C.REASON]] in story


def test_explain_a_line_lists_its_lots_and_why_it_is_short(weekly: Path) -> None:
    run = explain.read_run(weekly)
    short = run.demand[run.demand[C.REASON] != ""].iloc[0]
    story = explain.explain_line(run, short[C.LINE])
    assert explain.SHORT_REASON_WORDS[short[C.REASON]] in story
    taken = run.allocations.iloc[0]
    story = explain.explain_line(run, taken[C.LINE])
    assert f"{taken[C.LOT]} at {taken[C.LOT_LOCATION]}" in story


def test_unknown_lot_is_a_usage_error(weekly: Path, capsys) -> None:
    with pytest.raises(NotFoundError):
        explain.explain_lot(explain.read_run(weekly), "NO-SUCH-LOT")
    assert main(["explain", str(weekly), "--line", "NO-SUCH-LINE"]) == C.EXIT_BAD_INPUT


def test_explain_reads_a_run_written_for_excel(tmp_path: Path) -> None:
    args = ["run", str(SCENARIOS / "forum-example"), "--out", str(tmp_path), "--quiet"]
    assert main([*args, "--excel-csv"]) == 0
    story = explain.explain_line(explain.read_run(tmp_path), "1")
    assert "    1234: rank 1, 190 days: 450" in story
