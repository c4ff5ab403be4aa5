"""``--format xlsx`` writes one typed, filterable workbook; ``--excel-csv`` CSVs with a BOM."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd

import consumption
from consumption import constants as C
from consumption.cli import main


def _result() -> consumption.Result:
    inventory = pd.DataFrame(
        {
            "item": ["=cmd|'/c calc'!A1", "+A", "-B", "@C"],
            "lot": ["=1+2", "L2", "L3", "L4"],
            "qty": [10, 5, 7, 2],
            "expiry_date": ["2027-06-01", "2027-03-01", "2027-01-01", "2026-11-01"],
            "unit_cost": [1.5, 2.0, 3.0, 4.0],
        }
    )
    demand = pd.DataFrame(
        {
            "id": ["S1", "S2"],
            "item": ["=cmd|'/c calc'!A1", "-B"],
            "customer": ["@Acme", "Bolt"],
            "qty": [4, 9],
            "requirement": [90, 60],
            "due_date": ["2026-12-15", "2026-12-20"],
        }
    )
    return consumption.allocate(inventory, demand, as_of="2026-12-01")


def test_the_workbook_is_typed_frozen_filtered_and_safe(tmp_path: Path) -> None:
    result = _result()
    written = result.write(tmp_path, formats=(C.FORMAT_XLSX,))
    assert tmp_path / C.WORKBOOK_FILE in written
    summary = json.loads((tmp_path / C.SUMMARY_FILE).read_text())
    assert C.WORKBOOK_FILE in summary["output"]["files"]  # part of the run's set
    book = openpyxl.load_workbook(tmp_path / C.WORKBOOK_FILE)
    assert book.sheetnames == [
        C.SHEET_LOTS, C.SHEET_DEMAND, C.SHEET_ALLOCATIONS, C.SHEET_RISK,
        C.SHEET_RISK_BY_PERIOD, C.SHEET_SUMMARY,
    ]  # fmt: skip
    lots = book[C.SHEET_LOTS]
    assert [c.value for c in lots[1]] == list(C.LOTS_COLUMNS)
    assert lots.freeze_panes == "A2"
    assert lots.auto_filter.ref == f"A1:M{len(result.lots) + 1}"
    rows = {r[2]: r for r in lots.iter_rows(min_row=2, values_only=True)}
    first = rows["=1+2"]  # a lot id that looks like a formula stays text
    assert first[0] == "=cmd|'/c calc'!A1"
    assert isinstance(first[6], int) and isinstance(first[4], dt.datetime)
    for row in lots.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate  # no formula anywhere
    demand = book[C.SHEET_DEMAND]
    customers = [r[3] for r in demand.iter_rows(min_row=2, values_only=True)]
    assert customers == ["@Acme", "Bolt"]
    summary_rows = dict(book[C.SHEET_SUMMARY].iter_rows(min_row=2, values_only=True))
    assert summary_rows["totals.demand"] == 13
    assert summary_rows["run.as_of"] == "2026-12-01"


def test_excel_csv_puts_a_bom_before_every_csv(tmp_path: Path) -> None:
    result = _result()
    result.write(tmp_path, formats=(C.EXCEL_CSV,))
    for name in (C.LOTS_FILE, C.DEMAND_FILE, C.ALLOCATIONS_FILE, C.EXPIRY_RISK_FILE):
        raw = (tmp_path / name).read_bytes()
        assert raw.startswith(C.UTF8_BOM + b"item,") or raw.startswith(C.UTF8_BOM + b"line,")
    plain = tmp_path / "plain"
    result.write(plain)
    assert not (plain / C.LOTS_FILE).read_bytes().startswith(C.UTF8_BOM)


def test_run_writes_the_workbook_from_the_command_line(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.csv"
    inventory.write_text("item,lot,qty,shelf_life\nCafé,1,10,100\n", encoding="utf-8")
    demand = tmp_path / "dem.csv"
    demand.write_text("item,qty,requirement\nCafé,4,90\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(inventory), str(demand), "--out", str(out), "--quiet"]
    assert main([*args, "--format", C.FORMAT_XLSX, "--excel-csv"]) == 0
    assert (out / C.LOTS_FILE).read_bytes().startswith(C.UTF8_BOM + b"item,")
    book = openpyxl.load_workbook(out / C.WORKBOOK_FILE, read_only=True)
    assert next(book[C.SHEET_LOTS].iter_rows(min_row=2, values_only=True))[0] == "Café"
    assert main(args) == 0  # the next run without it: the workbook is not left current
    assert not (out / C.WORKBOOK_FILE).exists()
