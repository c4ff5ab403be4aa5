"""``consumption compare``: the verdict, the files, the table, and that it is all-or-nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from support.cli import ROOT

from consumption import constants as c
from consumption.cli import main
from consumption.outputs import compare as compare_module
from consumption.outputs import terminal

FORUM = ROOT / "scenarios" / "forum-example"
OPTIMIZER_WINS = ROOT / "scenarios" / "optimizer-wins"
RESULT_FILES = [c.ALLOCATIONS_FILE, c.DEMAND_FILE, c.LOTS_FILE, c.SUMMARY_FILE]


@pytest.mark.parametrize("solver", [c.SOLVER_CBC, c.SOLVER_HIGHS])
def test_forum_example_greedy_is_optimal(solver: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", str(FORUM), "--solver", solver, "--out", str(out)]) == c.EXIT_OK
    printed = capsys.readouterr().out
    assert "verdict: the greedy is optimal: it fills 3,450 of 3,450" in printed
    report = json.loads((out / c.COMPARE_FILE).read_text())
    assert report["greedy_optimal"] is True
    assert report[c.ENGINE_GREEDY]["filled"] == report[c.ENGINE_LP]["filled"] == 3450
    assert report[c.ENGINE_LP]["solver_status"] == c.LP_OPTIMAL
    assert report["lots_differing"] == 0
    assert report["run"]["solver"] == solver
    for engine in (c.ENGINE_GREEDY, c.ENGINE_LP):
        # format = "forum" in scenario.toml: each engine's folder is a full §6 output set.
        names = sorted(p.name for p in (out / engine).iterdir())
        assert names == sorted([*RESULT_FILES, c.FORUM_FILE, c.REMAINING_DEMAND_FILE])
    assert (out / c.ENGINE_LP / c.FORUM_FILE).read_text() == (
        out / c.ENGINE_GREEDY / c.FORUM_FILE
    ).read_text()


def test_optimizer_wins_shows_the_lp_gain(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", str(OPTIMIZER_WINS), "--out", str(out)]) == c.EXIT_OK
    printed = capsys.readouterr().out
    assert "the LP fills 500 more than the greedy (3,500 against 3,000 of 3,500)" in printed
    assert "lots that differ: 1 of 4" in printed
    report = json.loads((out / c.COMPARE_FILE).read_text())
    assert report["greedy_optimal"] is False
    assert (report[c.ENGINE_GREEDY]["filled"], report[c.ENGINE_LP]["filled"]) == (3000, 3500)
    assert report[c.ENGINE_GREEDY]["short"] == 500

    demand = pd.read_csv(out / c.COMPARE_DEMAND_FILE)
    assert list(demand.columns) == [
        "line", "item", "location", "requirement", "due_date", "qty",
        "filled_greedy", "filled_lp", "difference",
    ]  # fmt: skip
    gained = demand[demand["difference"] != 0]
    assert gained[["line", "filled_greedy", "filled_lp", "difference"]].values.tolist() == [
        ["R-200", 0, 500, 500]
    ]
    lots = pd.read_csv(out / c.COMPARE_LOTS_FILE)
    assert list(lots.columns) == [
        "item", "location", "lot", "consumed_greedy", "consumed_lp", "difference",
    ]  # fmt: skip
    assert lots.set_index("lot")["difference"].to_dict() == {
        "OO-2601": 0, "OO-2603": 500, "PA-2511": 0, "PA-2602": 0,
    }  # fmt: skip
    # Each side is the engine's own full result, as `run` would write it.
    assert (
        pd.read_csv(out / c.ENGINE_GREEDY / c.DEMAND_FILE).set_index("line").loc["R-200", "reason"]
        == c.SHORT_EXHAUSTED
    )


def test_due_order_is_passed_to_the_greedy(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cmp"
    args = ["compare", str(OPTIMIZER_WINS), "--order", "due", "--out", str(out), "--quiet"]
    assert main(args) == c.EXIT_OK
    assert capsys.readouterr().out == ""
    report = json.loads((out / c.COMPARE_FILE).read_text())
    assert report["run"]["order"] == c.ORDER_DUE
    assert report["greedy_optimal"] is True  # serving FreshMart first happens to fill both


def test_priorities_make_the_verdict_on_weighted_fill() -> None:
    # Two classes: priority 1 weighs 2 per unit, priority 2 weighs 1. The one lot suits both
    # lines; the greedy serves priority 1 first, which is what any falling weights reward.
    inv = pd.DataFrame({"item": ["A"], "lot": ["1"], "qty": [5], "shelf_life": [30]})
    dem = pd.DataFrame({"item": ["A", "A"], "qty": [5, 5], "requirement": [10, 20],
                        "priority": [2, 1]})  # fmt: skip
    report = compare_module.compare(inv, dem, solver=c.SOLVER_HIGHS).report
    assert report["weighted_fill"] == {
        c.ENGINE_GREEDY: 10, c.ENGINE_LP: 10, "weights": report["weighted_fill"]["weights"],
    }  # fmt: skip
    assert report["greedy_optimal"] is True


def test_a_failed_compare_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "cmp"

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(compare_module, "write_json", broken)
    assert main(["compare", str(FORUM), "--out", str(out), "--quiet"]) == c.EXIT_FAILURE
    assert not out.exists()  # greedy/ and lp/ were written, never made current


def test_compare_has_help(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "INPUT" in text and "--solver" in text and "--time-limit" in text


def test_unknown_verdict_when_the_lp_stops_without_beating_the_greedy() -> None:
    report = {
        "demand": 10, "run": {"solver": "cbc"}, "lots": 1, "lots_differing": 0, "lines": 1,
        "lines_differing": 0, "greedy_optimal": None,
        "greedy": {"filled": 10, "short": 0, "seconds": 0.0},
        "lp": {"filled": 10, "short": 0, "seconds": 9.0, "solver_status": c.LP_TIME_LIMIT},
        "weighted_fill": {"greedy": 10, "lp": 10},
    }  # fmt: skip
    text = terminal.comparison_text(report)
    assert "verdict: unknown: the LP stopped before proving optimality" in text
