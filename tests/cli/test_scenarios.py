"""Every bundled scenario runs from the command line, and tells the story its README tells."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from support.cli import SCENARIOS
from support.reference import reference_allocate

import consumption
from consumption import constants as C
from consumption.cli import main

ALL = sorted(p.name for p in SCENARIOS.iterdir() if (p / "scenario.toml").is_file())


def _run(name: str, out: Path, *options: str) -> dict:
    assert main(["run", str(SCENARIOS / name), "--out", str(out), "--quiet", *options]) == 0
    return json.loads((out / C.SUMMARY_FILE).read_text())


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("name", ALL)
def test_every_scenario_runs_and_conserves(name: str, tmp_path: Path) -> None:
    totals = _run(name, tmp_path)["totals"]
    assert totals["filled"] + totals["short"] == totals["demand"]
    assert totals["consumed"] + totals["remaining"] == totals["lot_qty"]
    assert sum(totals["remaining_by_reason"].values()) == totals["remaining"]


def test_future_receipts_tells_its_story(tmp_path: Path) -> None:
    summary = _run("future-receipts", tmp_path / "requirement")
    assert summary["totals"]["filled"] == 1660
    assert summary["counts"]["passes_general"] > 0  # the receipt binds
    lines = _rows(tmp_path / "requirement" / C.DEMAND_FILE)
    assert {r[C.REASON] for r in lines if r[C.SHORT] != "0"} == {"not_available", "exhausted"}
    lots = {r[C.LOT]: r for r in _rows(tmp_path / "requirement" / C.LOTS_FILE)}
    assert lots["LOT-3"][C.REASON] == C.REASON_STRANDED
    by_due = _run("future-receipts", tmp_path / "due", "--order", "due")
    assert by_due["totals"]["filled"] == 1760


@pytest.mark.parametrize("order", C.ORDERS)
def test_future_receipts_agrees_with_the_reference(order: str) -> None:
    folder = SCENARIOS / "future-receipts"
    inventory = consumption.read_inventory(folder / "inventory.csv")
    demand = consumption.read_demand(folder / "demand.csv")
    result = consumption.allocate(inventory, demand, as_of="2026-12-01", order=order)
    expected = reference_allocate(inventory, demand, as_of="2026-12-01", order=order)
    assert result.demand[C.FILLED].tolist() == [expected.filled[i] for i in range(len(demand))]


def test_weekly_horizon_shows_what_expires_unsold(tmp_path: Path) -> None:
    summary = _run("weekly-horizon", tmp_path)
    assert summary["run"]["horizon_end"] == "2027-11-30"
    assert summary["counts"]["passes"] >= 3  # own DCs, then each lane rank
    risk = summary["risk"]
    assert 0 < risk["at_risk_qty"] < summary["totals"]["remaining"]
    assert risk["at_risk_value"] > 0
    periods = _rows(tmp_path / C.RISK_BY_PERIOD_FILE)
    assert sum(int(r[C.QTY]) for r in periods) == risk["at_risk_qty"]
    allocations = _rows(tmp_path / C.ALLOCATIONS_FILE)
    assert any(r[C.LOT_LOCATION] != r[C.DEMAND_LOCATION] for r in allocations)  # lanes used
