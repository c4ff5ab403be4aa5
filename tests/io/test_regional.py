"""Files as other systems write them: regional numbers and dates, own headers, one file twice.

The oracle of the round trips is the plain file: a table written in any
supported regional format and read back with that format's options gives the
frame of the same table written plainly (``.`` decimals, ISO dates).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.cli import CLI_SETTINGS

import consumption
from consumption import constants as c
from consumption.cli import main
from consumption.errors import Code, InputError, UsageError
from consumption.io.read import read_demand, read_inputs, read_inventory

# (decimal mark, thousands separator, delimiter) as exports write them.
LOCALES = [
    (".", "", ","),
    (".", ",", ","),  # 1,250.5 needs quotes in a comma file
    (",", ".", ";"),  # German, Italian
    (",", " ", ";"),  # French
    (",", "\u00a0", ";"),  # French, with a no-break space
    (".", "'", ","),  # Swiss
    (",", "", ";"),
]
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y", "%Y%m%d"]


def regional(number: Decimal, decimal: str, thousands: str) -> str:
    """``number`` written with the locale's decimal mark and thousands grouped."""
    whole, _, fraction = f"{number:f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    text = sign + thousands.join(groups)
    return text + (decimal + fraction if fraction else "")


def cell(text: str, delimiter: str) -> str:
    return f'"{text}"' if delimiter in text else text


quantities = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31))


@CLI_SETTINGS
@given(
    locale=st.sampled_from(LOCALES),
    date_format=st.sampled_from(DATE_FORMATS),
    rows=st.lists(st.tuples(quantities, dates), min_size=1, max_size=8),
)
def test_a_regional_file_reads_as_the_plain_file(
    tmp_path_factory: pytest.TempPathFactory,
    locale: tuple[str, str, str],
    date_format: str,
    rows: list[tuple[Decimal, dt.date]],
) -> None:
    decimal, thousands, delimiter = locale
    folder = tmp_path_factory.mktemp("regional")
    header = ["item", "lot", "qty", "expiry_date"]
    plain = [",".join(header)]
    written = [delimiter.join(header)]
    for i, (qty, day) in enumerate(rows):
        plain.append(f"A,L{i},{qty:f},{day.isoformat()}")
        fields = ["A", f"L{i}", regional(qty, decimal, thousands), day.strftime(date_format)]
        written.append(delimiter.join(cell(f, delimiter) for f in fields))
    (folder / "plain.csv").write_text("\n".join(plain) + "\n", encoding="utf-8")
    (folder / "regional.csv").write_text("\n".join(written) + "\n", encoding="utf-8")
    options = {"decimal": decimal, "thousands": thousands, "date_format": date_format}
    expected = read_inventory(folder / "plain.csv")
    got = read_inventory(folder / "regional.csv", **options)
    pd.testing.assert_frame_equal(got, expected)


def test_an_ambiguous_number_is_refused_until_the_decimal_mark_is_named(tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_text("item;lot;qty;shelf_life\nA;L1;1.500;10\nA;L2;7;10\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_inventory(path)
    assert [(p.code, p.line, p.value) for p in caught.value.problems] == [
        (Code.AMBIGUOUS_NUMBER, 2, "1.500")
    ]
    assert "decimal=','" in caught.value.problems[0].message  # said to a Python caller
    assert read_inventory(path, decimal=",", thousands=".")["qty"].tolist() == [1500, 7]
    assert read_inventory(path, decimal=".")["qty"].tolist() == [1.5, 7]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"decimal": ";"}, "must be '.' or ','"),
        ({"thousands": "."}, "is also the decimal mark"),
        ({"date_format": "%d.%m"}, "year, month and day"),
        ({"columns": {"Material": "article"}}, "the inventory columns are"),
        ({"colour": "blue"}, "unknown key"),
    ],
)
def test_bad_format_options_are_refused(options: dict, message: str, tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_text("item,lot,qty,shelf_life\nA,L1,5,10\n", encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        read_inventory(path, **options)


def test_column_map_names_the_users_header_in_problems(tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_text("Material;Batch;Unrestricted;Shelf life\nA;B1;-5;10\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_inventory(path, columns={"Material": "item", "Batch": "lot", "Unrestricted": "qty"})
    assert [(p.code, p.line, p.column) for p in caught.value.problems] == [
        (Code.NEGATIVE, 2, "Unrestricted")
    ]


# --- one file, or the same bytes, given twice ---------------------------------------------------


def test_the_same_file_as_inventory_and_demand_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("item,lot,qty,shelf_life\nA,L1,5,10\n", encoding="utf-8")
    with pytest.raises(UsageError, match="both the inventory and the demand"):
        read_inputs(path, path)
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    with pytest.raises(UsageError, match="hold the same bytes"):
        read_inputs(path, copy)
    assert main(["run", str(path), str(copy), "--out", str(tmp_path / "o")]) == c.EXIT_BAD_INPUT
    assert not (tmp_path / "o").exists()


# --- dates far away -----------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["9999-12-01", "1800-01-01"])
def test_as_of_outside_the_supported_range_is_refused(
    as_of: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text("item,lot,qty,expiry_date\nA,L1,5,2027-01-01\n", encoding="utf-8")
    demand = tmp_path / "demand.csv"
    demand.write_text("item,qty\nA,3\n", encoding="utf-8")
    argv = ["run", str(inventory), str(demand), "--as-of", as_of, "--out", str(tmp_path / "o")]
    assert main(argv) == c.EXIT_BAD_INPUT
    assert "--as-of" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    with pytest.raises(UsageError, match="as_of="):
        consumption.allocate(read_inventory(inventory), read_demand(demand), as_of=as_of)


def test_dates_at_the_ends_of_the_range_are_exact(tmp_path: Path) -> None:
    """1900-01-01 and 2199-12-31 (past pandas' nanosecond range) keep their day."""
    inventory = pd.DataFrame(
        {
            "item": ["A", "A"],
            "lot": ["L1", "L2"],
            "qty": [5, 5],
            "expiry_date": pd.to_datetime(["2199-12-31", "2262-04-11"]).astype("datetime64[s]"),
        }
    )
    demand = pd.DataFrame({"item": ["A"], "qty": [1]})
    with pytest.raises(InputError) as caught:
        consumption.allocate(inventory, demand, as_of="1900-01-01")
    assert [(p.code, p.row) for p in caught.value.problems] == [(Code.DATE_OUT_OF_RANGE, 2)]
    result = consumption.allocate(inventory.iloc[:1], demand, as_of="1900-01-01")
    assert result.lots["expiry_date"].dt.strftime("%Y-%m-%d").tolist() == ["2199-12-31"]
    assert int(result.lots["consumed"].sum()) == 1


# --- the API gives the CLI's problems -----------------------------------------------------------


def test_a_frame_with_a_missing_item_gives_a_problem_not_a_traceback() -> None:
    inventory = pd.DataFrame(
        {"item": ["A", None], "location": ["DC1", None], "lot": ["1", "2"], "qty": [5, 5]}
    )
    inventory["shelf_life"] = 10
    demand = pd.DataFrame({"item": ["A"], "location": ["DC1"], "qty": [3]})
    with pytest.raises(InputError) as caught:
        consumption.allocate(inventory, demand)
    assert [(p.code, p.row, p.column) for p in caught.value.problems] == [
        (Code.EMPTY_VALUE, 2, "item"),
        (Code.EMPTY_VALUE, 2, "location"),
    ]


def test_a_dated_file_needs_as_of_and_the_api_says_as_of() -> None:
    inventory = pd.DataFrame(
        {"item": ["A"], "lot": ["1"], "qty": [5], "expiry_date": [np.datetime64("2027-01-01")]}
    )
    with pytest.raises(UsageError, match="as_of="):
        consumption.allocate(inventory, pd.DataFrame({"item": ["A"], "qty": [1]}))


# --- warnings: keys that do not meet ------------------------------------------------------------


def test_disjoint_keys_warn_in_summary_and_strict_stops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text("item,lot,qty,shelf_life\n000100045,L1,10,100\n", encoding="utf-8")
    demand = tmp_path / "demand.csv"
    demand.write_text("item,qty\n100045,5\nB,1\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(inventory), str(demand), "--out", str(out)]) == c.EXIT_OK
    err = capsys.readouterr().err
    assert "leading zeros differ" in err and "[unmatched_demand]" in err
    summary = json.loads((out / c.SUMMARY_FILE).read_text(encoding="utf-8"))
    assert [w["code"] for w in summary["warnings"]] == ["unmatched_demand"]
    strict = tmp_path / "strict"
    argv = ["run", str(inventory), str(demand), "--out", str(strict), "--strict"]
    assert main(argv) == c.EXIT_WARNINGS
    assert not strict.exists()
    assert main(["validate", str(inventory), str(demand), "--strict"]) == c.EXIT_WARNINGS
    warnings = consumption.check(read_inventory(inventory), read_demand(demand))
    assert [w["code"] for w in warnings] == ["unmatched_demand"]


def test_validate_checks_dated_files_with_as_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text("item,lot,qty,expiry_date\nA,L1,5,2027-01-01\n", encoding="utf-8")
    demand = tmp_path / "demand.csv"
    demand.write_text("item,qty,due_date\nA,3,2026-12-15\n", encoding="utf-8")
    assert main(["validate", str(inventory), str(demand)]) == c.EXIT_BAD_INPUT
    assert "--as-of" in capsys.readouterr().err
    assert main(["validate", str(inventory), str(demand), "--as-of", "2026-12-01"]) == c.EXIT_OK
