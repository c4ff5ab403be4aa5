"""Excel workbooks and Parquet files: the checks of CSV files, rows as the planner sees them.

The oracle is the CSV reader: a workbook or Parquet copy of a file must give
the same frame, or the same problems (code, column, value) at the same place
(an Excel row number equals the CSV line of the same row).
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support.cli import FORUM

from consumption import constants as c
from consumption.cli import main
from consumption.errors import Code, InputError, UsageError
from consumption.io.read import read_demand, read_inventory

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad"


def workbook(path: Path, rows: list[list[Any]], sheet: str = "Data", above: int = 0) -> Path:
    """A workbook whose sheet holds ``rows`` (the header first), ``above`` empty rows on top."""
    book = openpyxl.Workbook()
    page = book.active
    assert page is not None
    page.title = sheet
    for _ in range(above):
        page.append([])
    for row in rows:
        page.append(row)
    book.save(path)
    return path


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def typed(rows: list[list[str]]) -> list[list[Any]]:
    """Cells as a planner's workbook holds them: numbers as numbers, the rest as text."""

    def cell(text: str) -> Any:
        try:
            return int(text)
        except ValueError:
            return text

    return [rows[0], *[[cell(value) for value in row] for row in rows[1:]]]


def located(error: InputError) -> list[tuple[str, int | None, str | None, str | None]]:
    return [(p.code, p.line or p.row, p.column, p.value) for p in error.problems]


# --- the forum example from a workbook and from Parquet -----------------------------------------


@pytest.mark.parametrize("kind", ["xlsx", "parquet"])
def test_forum_example_from_workbook_and_parquet_gives_the_forum_table(
    kind: str, tmp_path: Path
) -> None:
    scenario = tmp_path / "forum"
    scenario.mkdir()
    shutil.copy(FORUM / "scenario.toml", scenario)
    for name in ("inventory", "demand"):
        rows = typed(csv_rows(FORUM / f"{name}.csv"))
        if kind == "xlsx":
            workbook(scenario / f"{name}.xlsx", rows)
        else:
            frame = pd.DataFrame(rows[1:], columns=rows[0])
            frame.to_parquet(scenario / f"{name}.parquet")
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == c.EXIT_OK
    expected = FORUM / "expected-consumption.csv"
    assert (out / c.FORUM_FILE).read_bytes() == expected.read_bytes()


# --- the same problems as the CSV file, at the same rows ---------------------------------------


@pytest.mark.parametrize(
    "case", ["qty-negative", "qty-empty", "duplicate-lot", "expiry-day-first-date", "priority-zero"]
)
def test_workbook_copy_of_a_bad_file_gives_the_csv_problems(case: str, tmp_path: Path) -> None:
    """All cells as text: the workbook must be refused exactly like the CSV file."""
    folder = CORPUS / case
    for name, reader in (("inventory", read_inventory), ("demand", read_demand)):
        source = folder / f"{name}.csv"
        book = workbook(tmp_path / f"{name}.xlsx", csv_rows(source))
        try:
            reader(source)
        except InputError as from_csv:
            with pytest.raises(InputError) as from_book:
                reader(book)
            assert located(from_book.value) == located(from_csv)
            assert all(p.file == str(book) and p.row for p in from_book.value.problems)
        else:
            pd.testing.assert_frame_equal(reader(book), reader(source))


def test_excel_rows_are_the_rows_excel_shows(tmp_path: Path) -> None:
    """A title row and a blank row above the header: a problem names the Excel row."""
    book = workbook(
        tmp_path / "inventory.xlsx",
        [
            ["Material", "Batch", "Unrestricted", "Shelf life"],
            ["A", "L1", 5, 100],
            ["A", "L2", -3, 100],
        ],
        above=2,
    )
    with pytest.raises(InputError) as caught:
        read_inventory(book, columns={"Material": "item", "Batch": "lot", "Unrestricted": "qty"})
    assert located(caught.value) == [(Code.NEGATIVE, 5, "Unrestricted", "-3")]
    assert str(caught.value.problems[0]).startswith(f"{book}, row 5, column 'Unrestricted'")


def test_workbook_dates_numbers_and_options(tmp_path: Path) -> None:
    """Date cells and text dates in one column, number cells under a decimal-comma option."""
    book = workbook(
        tmp_path / "inventory.xlsx",
        [
            ["item", "lot", "qty", "expiry_date"],
            ["A", "L1", 1500.5, dt.datetime(2027, 3, 31)],
            ["A", "L2", "2.000,25", "30.04.2027"],
        ],
    )
    frame = read_inventory(book, decimal=",", thousands=".", date_format="%d.%m.%Y")
    assert frame["qty"].tolist() == [1500.5, 2000.25]
    assert frame["expiry_date"].dt.strftime("%Y-%m-%d").tolist() == ["2027-03-31", "2027-04-30"]


def test_a_date_cell_with_a_time_is_refused(tmp_path: Path) -> None:
    book = workbook(
        tmp_path / "inventory.xlsx",
        [["item", "lot", "qty", "expiry_date"], ["A", "L1", 5, dt.datetime(2027, 3, 31, 14, 30)]],
    )
    with pytest.raises(InputError) as caught:
        read_inventory(book)
    assert located(caught.value) == [(Code.BAD_DATE, 2, "expiry_date", "2027-03-31 14:30:00")]


def test_sheet_by_name_and_a_missing_sheet(tmp_path: Path) -> None:
    book = workbook(tmp_path / "inventory.xlsx", [["item", "lot", "qty", "shelf_life"]], "Lots")
    assert len(read_inventory(book, sheet="Lots")) == 0
    with pytest.raises(InputError) as caught:
        read_inventory(book, sheet="Sheet1")
    assert [p.code for p in caught.value.problems] == [Code.MISSING_SHEET]
    assert "'Lots'" in caught.value.problems[0].message
    text = tmp_path / "inventory.csv"
    text.write_text("item,lot,qty,shelf_life\n", encoding="utf-8")
    with pytest.raises(UsageError, match="not an Excel workbook"):
        read_inventory(text, sheet="Lots")


def test_sheet_option_from_the_command_line(tmp_path: Path) -> None:
    header = ["item", "lot", "qty", "shelf_life"]
    inventory = workbook(tmp_path / "inv.xlsx", [header, ["A", 1, 5, 9]])
    demand = workbook(tmp_path / "dem.xlsx", [["item", "qty"], ["A", 3]], "Orders")
    out = tmp_path / "out"
    argv = ["run", str(inventory), str(demand), "--sheet", "demand:Orders", "--out", str(out)]
    assert main([*argv, "--quiet"]) == c.EXIT_OK
    assert main([*argv[:-2], "--sheet", "demand:Nope", "--out", str(tmp_path / "o2")]) == 2
    assert not (tmp_path / "o2").exists()


# --- Parquet -----------------------------------------------------------------------------------


def test_parquet_typed_columns_give_the_csv_frame(tmp_path: Path) -> None:
    source = tmp_path / "inventory.csv"
    source.write_text(
        "item,location,lot,qty,expiry_date,unit_cost\n"
        "A,DC1,L1,5,2027-01-31,1.25\nB,DC2,L2,7.5,2027-06-30,\n",
        encoding="utf-8",
    )
    table = pa.table(
        {
            "item": ["A", "B"],
            "location": pa.array(["DC1", "DC2"]).dictionary_encode(),
            "lot": ["L1", "L2"],
            "qty": [5.0, 7.5],
            "expiry_date": pa.array([dt.date(2027, 1, 31), dt.date(2027, 6, 30)]),
            "unit_cost": [1.25, None],
        }
    )
    pq.write_table(table, tmp_path / "inventory.parquet")
    pd.testing.assert_frame_equal(
        read_inventory(tmp_path / "inventory.parquet"), read_inventory(source), check_dtype=False
    )


def test_parquet_problems_name_the_row(tmp_path: Path) -> None:
    table = pa.table(
        {
            "Material": ["A", "A", "A"],
            "lot": ["L1", "L2", "L3"],
            "qty": [5, -1, 3],
            "expiry_date": [dt.date(2027, 1, 1), dt.date(2027, 1, 1), dt.date(9999, 12, 31)],
        }
    )
    path = tmp_path / "inventory.parquet"
    pq.write_table(table, path)
    with pytest.raises(InputError) as caught:
        read_inventory(path, columns={"Material": "item"})
    assert located(caught.value) == [
        (Code.NEGATIVE, 2, "qty", "-1"),
        (Code.DATE_OUT_OF_RANGE, 3, "expiry_date", "9999-12-31"),
    ]
    assert str(caught.value.problems[0]).startswith(f"{path}, row 2, column 'qty'")


def test_parquet_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "demand.parquet"
    pq.write_table(pa.table({"item": ["A"], "quantity_wanted": [3]}), path)
    with pytest.raises(InputError) as caught:
        read_demand(path)
    assert [(p.code, p.line, p.row) for p in caught.value.problems] == [
        (Code.MISSING_COLUMN, None, None)
    ]
    assert "quantity_wanted" in caught.value.problems[0].message


# --- a huge cell -------------------------------------------------------------------------------


def test_a_cell_larger_than_the_parser_block_is_read(tmp_path: Path) -> None:
    lot = "L" * 3_000_000  # pyarrow parses in 1 MiB blocks
    path = tmp_path / "inventory.csv"
    path.write_text(f"item,lot,qty,shelf_life\nA,{lot},5,100\nA,L2,x,100\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_inventory(path)
    assert located(caught.value) == [(Code.NOT_A_NUMBER, 3, "qty", "x")]
    path.write_text(f"item,lot,qty,shelf_life\nA,{lot},5,100\nA,L2,6,100\n", encoding="utf-8")
    assert read_inventory(path)["lot"].str.len().tolist() == [len(lot), 2]
