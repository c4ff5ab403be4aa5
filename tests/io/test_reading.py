"""Reading the input CSV files: what is accepted, and every problem with its code and line.

Assertions are on reason codes, lines, columns and values, never on message wording.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cli import ROOT
from support.strategies import CSV_LINES, HEADERS

from consumption import constants as c
from consumption.errors import Code, InputError
from consumption.io.prepare import check_inputs
from consumption.io.read import (
    read_demand,
    read_inputs,
    read_inventory,
    read_lanes,
    validate_files,
)

# The forum example as the spec ships it, and the repository's own copy (the one CI has).
FORUM_COPIES = [
    path
    for path in (
        ROOT.parent / "shared" / "examples" / "forum-example",
        ROOT / "scenarios" / "forum-example",
    )
    if path.is_dir()
]

Reader = Callable[[str | Path], pd.DataFrame]
INVENTORY = "item,lot,qty,shelf_life\n"


def write(tmp_path: Path, content: str | bytes, name: str = "input.csv") -> Path:
    """Write a test file byte for byte (no newline translation)."""
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def problems_of(reader: Reader, path: Path) -> list[tuple[str, int | None, str | None, str | None]]:
    with pytest.raises(InputError) as caught:
        reader(path)
    for problem in caught.value.problems:
        assert problem.file == str(path)
        assert problem.message
    return [(p.code, p.line, p.column, p.value) for p in caught.value.problems]


# --- accepted input -------------------------------------------------------------------


@pytest.mark.parametrize("forum", FORUM_COPIES)
def test_forum_example_headers_work_and_lot_rank_is_dropped_with_a_notice(forum: Path) -> None:
    inventory = read_inventory(forum / "inventory.csv")
    assert list(inventory.columns) == [c.ITEM, c.LOT, c.QTY, c.SHELF_LIFE]
    assert inventory[c.LOT].tolist() == ["1234", "5678", "9876"]
    assert inventory[c.SHELF_LIFE].tolist() == [190, 211, 345]
    assert inventory[c.QTY].tolist() == [500.0, 600.0, 7000.0]
    assert inventory[c.QTY].dtype == np.float64
    assert inventory[c.SHELF_LIFE].dtype == np.int64
    assert pd.api.types.is_string_dtype(inventory[c.ITEM])
    [notice] = inventory.attrs["notices"]
    assert "Lot Rank" in notice
    assert inventory.attrs["headers"][c.SHELF_LIFE] == "Lot Shelf Life"

    demand = read_demand(forum / "demand.csv")
    assert list(demand.columns) == [c.ITEM, c.REQUIREMENT, c.QTY]
    assert demand[c.REQUIREMENT].tolist() == [180, 270]
    assert demand[c.QTY].tolist() == [450.0, 3000.0]
    assert demand.attrs["notices"] == []


def test_attrs_record_source_and_sha256(tmp_path: Path) -> None:
    path = write(tmp_path, INVENTORY + "A,1,5,10\n")
    frame = read_inventory(str(path))
    assert frame.attrs["source"] == str(path)
    assert frame.attrs["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "header",
    [
        "item,lot,qty,shelf_life",
        "Item,Lot,Lot Qty,Lot Shelf Life",
        "ITEM,LOT,QUANTITY,lot_shelf_life",
        " item , lot ,on-hand,LOT-SHELF-LIFE",
        "item,lot,On  Hand,Remaining Shelf Life",
        "item,lot,quantity,shelf life days",
    ],
)
def test_header_aliases_case_spaces_underscores_and_dashes(tmp_path: Path, header: str) -> None:
    frame = read_inventory(write(tmp_path, f"{header}\nA,L1,5,10\n"))
    assert list(frame.columns) == [c.ITEM, c.LOT, c.QTY, c.SHELF_LIFE]
    assert frame.iloc[0].tolist() == ["A", "L1", 5.0, 10]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_delimiters_and_line_endings(tmp_path: Path, delimiter: str, newline: str) -> None:
    rows = [["item", "location", "lot", "qty", "shelf_life"], ["A", "W1", "L1", "5", "10"]]
    rows.append(["B", "W2", "L2", "7.25", "-3"])
    text = newline.join(delimiter.join(row) for row in rows) + newline
    frame = read_inventory(write(tmp_path, text))
    expected = pd.DataFrame(
        {
            c.ITEM: ["A", "B"],
            c.LOCATION: ["W1", "W2"],
            c.LOT: ["L1", "L2"],
            c.QTY: [5.0, 7.25],
            c.SHELF_LIFE: np.array([10, -3], np.int64),
        }
    )
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    assert frame.index.equals(pd.RangeIndex(2))


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom"]
)
def test_encodings_with_byte_order_marks(tmp_path: Path, encoding: str) -> None:
    text = INVENTORY + "Café,L1,5,10\nÄpfel,L2,6,11\n"
    if encoding == "utf-16-le-bom":
        content = b"\xff\xfe" + text.encode("utf-16-le")
    elif encoding == "utf-16-be-bom":
        content = b"\xfe\xff" + text.encode("utf-16-be")
    else:
        content = text.encode(encoding)
    frame = read_inventory(write(tmp_path, content))
    assert list(frame.columns) == [c.ITEM, c.LOT, c.QTY, c.SHELF_LIFE]
    assert frame[c.ITEM].tolist() == ["Café", "Äpfel"]


def test_quoted_fields_with_delimiters_quotes_and_newlines(tmp_path: Path) -> None:
    text = INVENTORY + '"A, big",L1,5,10\n"say ""hi""","L\n2",6,11\n'
    frame = read_inventory(write(tmp_path, text))
    assert frame[c.ITEM].tolist() == ["A, big", 'say "hi"']
    assert frame[c.LOT].tolist() == ["L1", "L\n2"]


def test_whitespace_is_stripped_and_numbers_read_in_plain_forms(tmp_path: Path) -> None:
    text = INVENTORY + " A , L1 , 5 ,12.0\nB,L2,1e3,+7\nC,L3,-0,0\nD,L4,1.5000000000,-0\n"
    text += "E,L5,1.23456700e3,1\n\u00a0F\u00a0,L6,.5,2\n"
    frame = read_inventory(write(tmp_path, text))
    assert frame[c.ITEM].tolist() == ["A", "B", "C", "D", "E", "F"]
    assert frame[c.LOT].tolist() == ["L1", "L2", "L3", "L4", "L5", "L6"]
    assert frame[c.QTY].tolist() == [5.0, 1000.0, 0.0, 1.5, 1234.567, 0.5]
    assert not np.signbit(frame[c.QTY]).any()
    assert frame[c.SHELF_LIFE].tolist() == [12, 7, 0, 0, 1, 2]


def test_header_only_files_give_empty_frames(tmp_path: Path) -> None:
    inventory = read_inventory(write(tmp_path, INVENTORY, "inventory.csv"))
    assert len(inventory) == 0
    assert list(inventory.columns) == [c.ITEM, c.LOT, c.QTY, c.SHELF_LIFE]
    assert inventory[c.SHELF_LIFE].dtype == np.int64
    demand = read_demand(write(tmp_path, "item,qty\n\n", "demand.csv"))
    assert len(demand) == 0
    assert list(demand.columns) == [c.ITEM, c.QTY]  # requirement: none given, see requirements


def test_demand_defaults_requirement_and_priority(tmp_path: Path) -> None:
    text = "id,item,location,customer,mrsl,priority,date,demand\n"
    text += "S1,A,W1,,,,2026-03-31,5\nS2,A,W1,Shop,90,2,2026-04-01,6.5\n"
    frame = read_demand(write(tmp_path, text))
    assert list(frame.columns) == [
        c.ID, c.ITEM, c.LOCATION, c.CUSTOMER, c.REQUIREMENT, c.DUE_DATE, c.PRIORITY, c.QTY,
    ]  # fmt: skip
    # An empty requirement is none given (an MRSL table may give it); a run reads it as 0.
    assert str(frame[c.REQUIREMENT].dtype) == "Int64"
    assert frame[c.REQUIREMENT].isna().tolist() == [True, False]
    stock = pd.DataFrame({"item": ["A"], "location": ["W1"], "lot": ["1"], "qty": [9]})
    stock["shelf_life"] = 100
    run = check_inputs(stock, frame, None, np.datetime64("2026-03-01"))
    assert run.demand[c.REQUIREMENT].tolist() == [0, 90]
    assert run.demand[c.REQUIREMENT].dtype == np.int64
    assert str(frame[c.PRIORITY].dtype) == "Int64"
    assert frame[c.PRIORITY].isna().tolist() == [True, False]
    assert frame[c.PRIORITY].iloc[1] == 2
    assert frame[c.CUSTOMER].tolist() == ["", "Shop"]
    assert frame[c.DUE_DATE].tolist() == [pd.Timestamp("2026-03-31"), pd.Timestamp("2026-04-01")]
    without = read_demand(write(tmp_path, "item,qty\nA,5\n", "plain.csv"))
    assert c.REQUIREMENT not in without.columns


def test_dates_and_costs(tmp_path: Path) -> None:
    text = "item,lot,qty,expiry_date,available_date,unit_cost\n"
    text += "A,L1,5,2026-03-31,,1.25\nA,L2,5,2024-02-29,2026-01-02,\n"
    frame = read_inventory(write(tmp_path, text))
    assert pd.api.types.is_datetime64_dtype(frame[c.EXPIRY_DATE])
    assert frame[c.EXPIRY_DATE].tolist() == [pd.Timestamp("2026-03-31"), pd.Timestamp("2024-02-29")]
    assert frame[c.AVAILABLE_DATE].isna().tolist() == [True, False]
    assert frame[c.UNIT_COST].iloc[0] == 1.25
    assert np.isnan(frame[c.UNIT_COST].iloc[1])


def test_blank_lines_and_empty_rows_are_skipped(tmp_path: Path) -> None:
    text = "\n" + INVENTORY + "\nA,L1,5,10\n,,,\n\n  ,  , ,\nB,L2,6,11\n"
    frame = read_inventory(write(tmp_path, text))
    assert frame[c.LOT].tolist() == ["L1", "L2"]
    assert frame.index.equals(pd.RangeIndex(2))
    [notice] = frame.attrs["notices"]
    assert "2 rows" in notice


def test_unknown_columns_are_dropped_even_unnamed_ones(tmp_path: Path) -> None:
    frame = read_inventory(write(tmp_path, "item,lot,Lot Rank,qty,shelf_life,\nA,L1,1,5,10,\n"))
    assert list(frame.columns) == [c.ITEM, c.LOT, c.QTY, c.SHELF_LIFE]
    [notice] = frame.attrs["notices"]
    assert "'Lot Rank'" in notice
    assert "column 6" in notice


def test_lanes_and_notices_across_files(tmp_path: Path) -> None:
    inventory = write(tmp_path, "item,location,lot,qty,shelf_life\nA,W1,L1,5,10\n", "inv.csv")
    demand = write(tmp_path, "item,location,qty\nA,W2,5\n", "dem.csv")
    lanes = write(
        tmp_path,
        "from_location,to_location,transit_days,rank,cost\nW1,W2,2,1,0.5\nW9,W2,1,2,\n",
        "lanes.csv",
    )
    frame = read_lanes(lanes)
    assert frame[c.TRANSIT_DAYS].tolist() == [2, 1]
    assert frame[c.RANK].tolist() == [1, 2]
    assert frame[c.TRANSIT_DAYS].dtype == np.int64
    inputs = read_inputs(inventory, demand, lanes)
    assert inputs.lanes is not None
    [notice] = inputs.notices
    assert Code.UNKNOWN_LOCATION in notice
    assert "'W9'" in notice
    assert validate_files(inventory, demand).notices == []


def test_fast_and_slow_conversion_paths_agree(tmp_path: Path) -> None:
    """One empty optional cell sends a column down the slower path: same values."""
    rows = "".join(f"A,L{i},{i}.5,{i % 7},{i}.25\n" for i in range(50))
    header = "item,lot,qty,shelf_life,unit_cost\n"
    fast = read_inventory(write(tmp_path, header + rows, "fast.csv"))
    slow = read_inventory(write(tmp_path, header + rows + "A,L99, 1 ,2,\n", "slow.csv"))
    pd.testing.assert_frame_equal(slow.iloc[:50], fast)


# --- problems: codes, lines, columns, values ------------------------------------------------

BAD_CELLS = [
    # (file text, expected (code, line, column, value))
    (INVENTORY + ",L1,5,10\n", (Code.EMPTY_VALUE, 2, "item", "")),
    (INVENTORY + "A, ,5,10\n", (Code.EMPTY_VALUE, 2, "lot", " ")),
    ("item,location,lot,qty,shelf_life\nA,,L1,5,10\n", (Code.EMPTY_VALUE, 2, "location", "")),
    (INVENTORY + "A,L1,abc,10\n", (Code.NOT_A_NUMBER, 2, "qty", "abc")),
    (INVENTORY + 'A,L1,"1,000",10\n', (Code.THOUSANDS_SEPARATOR, 2, "qty", "1,000")),
    (INVENTORY + 'A,L1,"12,500,000.5",10\n', (Code.THOUSANDS_SEPARATOR, 2, "qty", "12,500,000.5")),
    ("item;lot;qty;shelf_life\nA;L1;1.000,5;10\n", (Code.THOUSANDS_SEPARATOR, 2, "qty", "1.000,5")),
    ("item;lot;qty;shelf_life\nA;L1;1 000;10\n", (Code.THOUSANDS_SEPARATOR, 2, "qty", "1 000")),
    ("item;lot;qty;shelf_life\nA;L1;12,5;10\n", (Code.DECIMAL_COMMA, 2, "qty", "12,5")),
    (INVENTORY + "A,L1,inf,10\n", (Code.NOT_FINITE, 2, "qty", "inf")),
    (INVENTORY + "A,L1,NaN,10\n", (Code.NOT_FINITE, 2, "qty", "NaN")),
    (INVENTORY + "A,L1,-1,10\n", (Code.NEGATIVE, 2, "qty", "-1")),
    (INVENTORY + "A,L1,1e13,10\n", (Code.TOO_LARGE, 2, "qty", "1e13")),
    (INVENTORY + "A,L1,0.1234567,10\n", (Code.TOO_MANY_DECIMALS, 2, "qty", "0.1234567")),
    (INVENTORY + "A,L1,1.5e-9,10\n", (Code.TOO_MANY_DECIMALS, 2, "qty", "1.5e-9")),
    (INVENTORY + "A,L1,5,12.5\n", (Code.NOT_AN_INTEGER, 2, "shelf_life", "12.5")),
    (INVENTORY + "A,L1,5,\n", (Code.EMPTY_VALUE, 2, "shelf_life", "")),
    (INVENTORY + "A,L1,5,200000\n", (Code.TOO_LARGE, 2, "shelf_life", "200000")),
    (INVENTORY + "A,L1,5,0x10\n", (Code.NOT_A_NUMBER, 2, "shelf_life", "0x10")),
    ("item,lot,qty,expiry\nA,L1,5,2026-02-30\n", (Code.BAD_DATE, 2, "expiry", "2026-02-30")),
    ("item,lot,qty,expiry\nA,L1,5,31/03/2026\n", (Code.BAD_DATE, 2, "expiry", "31/03/2026")),
    ("item,lot,qty,expiry\nA,L1,5,2026-3-5\n", (Code.BAD_DATE, 2, "expiry", "2026-3-5")),
    ("item,lot,qty,expiry\nA,L1,5,\n", (Code.EMPTY_VALUE, 2, "expiry", "")),
    ("item,lot,qty,shelf_life,unit_cost\nA,L1,5,1,-2\n", (Code.NEGATIVE, 2, "unit_cost", "-2")),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CELLS)
def test_bad_inventory_cells(tmp_path: Path, text: str, expected: tuple) -> None:
    assert problems_of(read_inventory, write(tmp_path, text)) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("item,qty,requirement\nA,5,-5\n", (Code.NEGATIVE, 2, "requirement", "-5")),
        ("item,qty,MRSL\nA,5,90.5\n", (Code.NOT_AN_INTEGER, 2, "MRSL", "90.5")),
        ("item,qty,priority\nA,5,0\n", (Code.NOT_POSITIVE, 2, "priority", "0")),
        ("item,qty,priority\nA,5,1.5\n", (Code.NOT_AN_INTEGER, 2, "priority", "1.5")),
        ("item,qty,due_date\nA,5,2026-03-31 00:00:00\n", (Code.BAD_DATE, 2, "due_date", None)),
        ("item,qty,id\nA,5,\n", (Code.EMPTY_VALUE, 2, "id", "")),
        ("item,demand\nA,\n", (Code.EMPTY_VALUE, 2, "demand", "")),
    ],
)
def test_bad_demand_cells(tmp_path: Path, text: str, expected: tuple) -> None:
    [found] = problems_of(read_demand, write(tmp_path, text))
    assert found[:3] == expected[:3]
    assert expected[3] is None or found[3] == expected[3]


def test_duplicate_lot_names_both_lines(tmp_path: Path) -> None:
    text = INVENTORY + "A,L1,5,10\nB,L1,5,10\n\nA,L1,6,11\n"
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        read_inventory(path)
    [problem] = caught.value.problems
    assert (problem.code, problem.line, problem.column, problem.value) == (
        Code.DUPLICATE_LOT, 5, "lot", "L1",
    )  # fmt: skip
    assert "line 2" in problem.message


def test_same_lot_at_other_location_is_no_duplicate(tmp_path: Path) -> None:
    text = "item,location,lot,qty,shelf_life\nA,W1,L1,5,10\nA,W2,L1,5,10\n"
    assert len(read_inventory(write(tmp_path, text))) == 2


def test_duplicate_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "id,item,qty\nS1,A,5\nS2,A,5\nS1,B,5\n")
    assert problems_of(read_demand, path) == [(Code.DUPLICATE_ID, 4, "id", "S1")]


def test_lane_problems(tmp_path: Path) -> None:
    text = (
        "from_location,to_location,transit_days,rank\nW1,W2,1,1\nW1,W1,0,1\nW1,W2,2,2\nW3,W2,-1,0\n"
    )
    assert problems_of(read_lanes, write(tmp_path, text)) == [
        (Code.SAME_LOCATION, 3, "to_location", "W1"),
        (Code.DUPLICATE_LANE, 4, "to_location", "W2"),
        (Code.NEGATIVE, 5, "transit_days", "-1"),
        (Code.NOT_POSITIVE, 5, "rank", "0"),
    ]


def test_ragged_rows_and_the_lines_after_them(tmp_path: Path) -> None:
    text = INVENTORY + "A,L1,5,10,extra\nA,L2,5\nA,L3,x,10\n"
    assert problems_of(read_inventory, write(tmp_path, text)) == [
        (Code.RAGGED_ROW, 2, None, "A,L1,5,10,extra"),
        (Code.RAGGED_ROW, 3, None, "A,L2,5"),
        (Code.NOT_A_NUMBER, 4, "qty", "x"),
    ]


def test_blank_lines_count_in_line_numbers(tmp_path: Path) -> None:
    text = "\n\n" + INVENTORY + "A,L1,5,10\n\n\r\n\nA,L2,-5,10\n"
    assert problems_of(read_inventory, write(tmp_path, text)) == [(Code.NEGATIVE, 8, "qty", "-5")]


def test_quoted_newline_shifts_the_lines_after_it(tmp_path: Path) -> None:
    text = INVENTORY + '"A\nwith\nbreaks",L1,5,10\nA,L2,5,1x\n\nA,"L3,x",5,10,9\n'
    assert problems_of(read_inventory, write(tmp_path, text)) == [
        (Code.NOT_A_NUMBER, 5, "shelf_life", "1x"),
        (Code.RAGGED_ROW, 7, None, "A,L3,x,5,10,9"),
    ]


def test_line_numbers_with_bom_and_crlf(tmp_path: Path) -> None:
    content = (
        b"\xef\xbb\xbf" + (INVENTORY + "A,L1,5,10\nA,L2,5,bad\n").replace("\n", "\r\n").encode()
    )
    assert problems_of(read_inventory, write(tmp_path, content)) == [
        (Code.NOT_A_NUMBER, 3, "shelf_life", "bad")
    ]


@pytest.mark.parametrize("quoted", [False, True])
def test_line_numbers_deep_in_a_large_file(tmp_path: Path, quoted: bool) -> None:
    """Across pyarrow's blocks and threads, with blank lines and a skipped ragged row."""
    lot = '"L{i}"' if quoted else "L{i}"
    rows = [f"A,{lot.format(i=i)},5,10\n" for i in range(200_000)]
    rows[1000] = "A,L1000,5\n"  # ragged: line 1002
    rows[5000] = "\n"  # blank: line 5002
    rows[150_000] = "A,L150000,5,oops\n"  # line 150002
    problems = problems_of(read_inventory, write(tmp_path, INVENTORY + "".join(rows)))
    assert problems == [
        (Code.RAGGED_ROW, 1002, None, "A,L1000,5"),
        (Code.NOT_A_NUMBER, 150_002, "shelf_life", "oops"),
    ]


def test_problems_are_capped_and_the_rest_counted(tmp_path: Path) -> None:
    rows = "".join(f"A,L{i},-1,x\n" for i in range(100))
    with pytest.raises(InputError) as caught:
        read_inventory(write(tmp_path, INVENTORY + rows))
    assert len(caught.value.problems) == c.MAX_PROBLEMS
    assert caught.value.truncated == 200 - c.MAX_PROBLEMS
    lines = [p.line for p in caught.value.problems]
    assert lines == sorted(lines)
    assert lines[0] == 2


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", Code.EMPTY_FILE),
        (b"\n \r\n\t\n", Code.EMPTY_FILE),
        (b"\xef\xbb\xbf", Code.EMPTY_FILE),
        (b"PK\x03\x04\x14\x00\x06\x00", Code.BINARY_FILE),
        (b"item,lot\x00,qty\n", Code.BINARY_FILE),
        ("item,lot,qty,shelf_life\n".encode("utf-16-le"), Code.BINARY_FILE),
        (b"\xff\xfeA\x00\x00\xd8", Code.ENCODING),
        (b"item|lot|qty|shelf_life\nA|1|2|3\n", Code.BAD_DELIMITER),
        (b'"item,lot,qty,shelf_life"\n"A,1,2,3"\n', Code.BAD_DELIMITER),
    ],
)
def test_unusable_files(tmp_path: Path, content: bytes, code: str) -> None:
    [found] = problems_of(read_inventory, write(tmp_path, content))
    assert found[0] == code


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert problems_of(read_inventory, path) == [(Code.MISSING_FILE, None, None, None)]
    assert problems_of(read_inventory, tmp_path)[0][0] == Code.UNREADABLE_FILE


def test_windows_1252_file_names_the_line(tmp_path: Path) -> None:
    content = (INVENTORY + "A,L1,5,10\nCafé,L2,5,10\n").encode("cp1252")
    [(code, line, _, value)] = problems_of(read_inventory, write(tmp_path, content))
    assert (code, line, value) == (Code.ENCODING, 3, "Café")


def test_missing_columns_list_what_is_there_and_the_aliases(tmp_path: Path) -> None:
    path = write(tmp_path, "item,Lot,Amount\nA,1,5\n")
    with pytest.raises(InputError) as caught:
        read_inventory(path)
    found = [(p.code, p.line, p.column) for p in caught.value.problems]
    assert found == [(Code.MISSING_COLUMN, 1, c.QTY), (Code.MISSING_COLUMN, 1, c.SHELF_LIFE)]
    qty, shelf = caught.value.problems
    for name in ("'item'", "'Lot'", "'Amount'", "'lot qty'", "'on hand'"):
        assert name in qty.message
    assert "expiry_date" in shelf.message


def test_duplicate_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "item,lot,qty,Lot Qty,shelf_life\nA,1,5,5,10\n")
    assert problems_of(read_inventory, path) == [(Code.DUPLICATE_COLUMN, 1, "Lot Qty", None)]


def test_header_after_blank_lines_has_its_own_line(tmp_path: Path) -> None:
    path = write(tmp_path, "\n\nitem,lot,shelf_life\nA,1,5\n")
    assert problems_of(read_inventory, path) == [(Code.MISSING_COLUMN, 3, c.QTY, None)]


def test_read_inputs_reports_every_file(tmp_path: Path) -> None:
    inventory = write(tmp_path, INVENTORY + "A,L1,-5,10\n", "inv.csv")
    demand = write(tmp_path, "item,qty\nA,x\n", "dem.csv")
    with pytest.raises(InputError) as caught:
        read_inputs(inventory, demand, tmp_path / "lanes.csv")
    found = [(p.file, p.code) for p in caught.value.problems]
    assert found == [
        (str(inventory), Code.NEGATIVE),
        (str(demand), Code.NOT_A_NUMBER),
        (str(tmp_path / "lanes.csv"), Code.MISSING_FILE),
    ]


# --- nothing but InputError, whatever the bytes ----------------------------------------------


def _lines_in(content: bytes) -> int:
    return content.count(b"\n") + content.count(b"\r") - content.count(b"\r\n") + 1


def _check_outcome(path: Path, content: bytes) -> None:
    try:
        frame = read_inventory(path)
    except InputError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.code
            assert problem.line is None or 1 <= problem.line <= _lines_in(content)
    else:
        assert isinstance(frame, pd.DataFrame)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=300))
def test_random_bytes_raise_only_input_errors(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path, content, "random.bin")
    _check_outcome(path, content)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=HEADERS,
    delimiter=st.sampled_from([",", ";", "\t"]),
    body=st.lists(CSV_LINES, max_size=8),
)
def test_random_csv_like_text_raises_only_input_errors(
    tmp_path: Path, header: list[str], delimiter: str, body: list[str]
) -> None:
    content = (delimiter.join(header) + "\n" + "\n".join(body)).encode("utf-8")
    path = write(tmp_path, content, "random.csv")
    _check_outcome(path, content)
