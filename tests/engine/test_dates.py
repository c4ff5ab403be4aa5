"""Dates, future receipts, lanes and the expiry risk, on a case small enough to check by hand.

As of 2026-12-01: a central DC (C) supplies a regional one (R) in 2 days.
Lot L2 at C is a receipt arriving 2026-12-20; L4 at R expired the day before.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from support.cli import DATA

from consumption import constants as C
from consumption.cli import main

DATED = DATA / "dated"
AS_OF = "2026-12-01"


def _run(tmp_path: Path, *options: str) -> Path:
    out = tmp_path / "out"
    args = ["run", str(DATED / "inventory.csv"), str(DATED / "demand.csv")]
    code = main(
        [*args, "--lanes", str(DATED / "lanes.csv"), "--out", str(out), "--quiet", *options]
    )
    assert code == C.EXIT_OK
    return out


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))[1:]


@pytest.mark.parametrize("order", ["requirement", "due"])
def test_lanes_receipts_and_expiry_by_hand(tmp_path: Path, order: str) -> None:
    out = _run(tmp_path, "--as-of", AS_OF, "--order", order)
    lots = {r[2]: r for r in _rows(out / C.LOTS_FILE)}
    # L1 (182 days left) serves D2 (90 days, due 12-05) through the lane.
    assert lots["L1"][4] == "2027-06-01" and lots["L1"][8:12] == ["20", "80", "partial", "excess"]
    # L2 meets D1's 180 days at delivery, but arrives after D1 must ship (12-08).
    assert lots["L2"][7:12] == ["180", "0", "50", "unconsumed", "not_available"]
    assert lots["L2"][12].startswith("not available until 2026-12-")
    assert lots["L3"][11] == "stranded"  # 90 days left: short for D1 and D2 at delivery
    assert lots["L4"][11] == "expired"
    demand = {r[0]: r for r in _rows(out / C.DEMAND_FILE)}
    assert demand["D1"][5] == "2026-12-10"
    assert [demand[d][-3:] for d in ("D1", "D2", "D3", "D4")] == [
        ["0", "60", "not_available"],
        ["20", "0", ""],
        ["0", "80", "shelf_life"],
        ["10", "0", ""],
    ]
    assert _rows(out / C.ALLOCATIONS_FILE) == [
        ["A", "L1", "C", "D2", "R", "90", "2026-12-05", "20"],
        ["B", "L5", "C", "D4", "R", "30", "2026-12-15", "10"],
    ]


def test_expiry_risk_by_hand(tmp_path: Path) -> None:
    out = _run(tmp_path, "--as-of", AS_OF)
    risk = {r[2]: r for r in _rows(out / C.EXPIRY_RISK_FILE)}
    # Unsellable once less than the least requirement of the item (A: 90 days) is left.
    assert risk["L1"][3:] == ["2027-06-01", "2027-03-03", "80", "excess", "FALSE", "2027-03", "200"]
    assert risk["L3"][4:] == ["2026-12-01", "30", "stranded", "TRUE", "2026-12", "75"]
    assert _rows(out / C.RISK_BY_PERIOD_FILE) == [
        ["A", "R", "2026-09", "10", "25"],
        ["A", "R", "2026-12", "30", "75"],
        ["B", "C", "2026-12", "30", "30"],
    ]
    # A longer horizon puts L1 and L2 at risk as well.
    longer = _run(tmp_path, "--as-of", AS_OF, "--horizon-end", "2027-12-31")
    assert all(r[7] == "TRUE" for r in _rows(longer / C.EXPIRY_RISK_FILE))


def test_summary_records_dates_and_kernels(tmp_path: Path) -> None:
    summary = json.loads((_run(tmp_path, "--as-of", AS_OF) / C.SUMMARY_FILE).read_text())
    assert summary["run"]["as_of"] == AS_OF
    assert summary["run"]["inputs"]["lanes"]["sha256"]
    # The receipt binds in the lane pass at C: that block needs the general kernel.
    assert summary["counts"]["passes_general"] == 1
    assert summary["counts"]["passes_nested"] >= 1


def test_dates_without_as_of_are_a_usage_error(tmp_path: Path, capsys) -> None:
    args = ["run", str(DATED / "inventory.csv"), str(DATED / "demand.csv"), "--out", str(tmp_path)]
    assert main(args) == C.EXIT_BAD_INPUT
    assert "give --as-of" in capsys.readouterr().err
    assert main([*args, "--as-of", "2026-13-01"]) == C.EXIT_BAD_INPUT
    assert "is not a date" in capsys.readouterr().err
    assert not (tmp_path / C.LOTS_FILE).exists()


def test_scenario_options_and_lanes_file(tmp_path: Path) -> None:
    scenario = tmp_path / "s"
    scenario.mkdir()
    for name in ("inventory.csv", "demand.csv", "lanes.csv"):
        (scenario / name).write_bytes((DATED / name).read_bytes())
    (scenario / "scenario.toml").write_text(f'[run]\nas_of = "{AS_OF}"\norder = "due"\n')
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == C.EXIT_OK
    summary = json.loads((out / C.SUMMARY_FILE).read_text())
    assert summary["run"]["order"] == "due"
    assert summary["totals"]["filled"] == 30  # the lanes.csv beside it was used
