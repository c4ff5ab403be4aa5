"""Fuzzing the readers through the command line: random bytes, CSV-like text and
valid-looking tables (headers drawn from the aliases) exit 0 or 2, never 1 and never
with a traceback."""

from __future__ import annotations

import csv
import dataclasses
import io
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.cli import (
    CLI_SETTINGS,
    read_rows,
    run,
)
from support.strategies import CSV_LINES, HEADERS

from consumption import constants as c
from consumption.io import schema as s

CSV_OUTPUTS = (
    c.LOTS_FILE,
    c.ALLOCATIONS_FILE,
    c.DEMAND_FILE,
    c.FORUM_FILE,
    c.REMAINING_DEMAND_FILE,
)


@pytest.fixture
def debug(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a bug raise with its traceback rather than be reported as exit 1."""
    monkeypatch.setenv("CONSUMPTION_DEBUG", "1")


@dataclasses.dataclass(frozen=True)
class Outcome:
    code: int
    err: str
    out: Path


@pytest.fixture
def cli_run(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Run the CLI on two files' contents in a fresh folder; check what every run must do."""
    folders: list[tempfile.TemporaryDirectory[str]] = []

    def go(inventory: bytes, demand: bytes) -> Outcome:
        folders.append(tempfile.TemporaryDirectory())
        tmp = Path(folders[-1].name)
        (tmp / "inventory.csv").write_bytes(inventory)
        (tmp / "demand.csv").write_bytes(demand)
        out = tmp / "out"
        capsys.readouterr()
        code = run(tmp / "inventory.csv", tmp / "demand.csv", "--out", out)
        err = capsys.readouterr().err
        assert code in (c.EXIT_OK, c.EXIT_BAD_INPUT), err
        assert "Traceback" not in err and "internal error" not in err
        if code == c.EXIT_BAD_INPUT:
            assert err.startswith("error: "), err
            assert not out.exists() or not any(out.iterdir())
        else:
            assert (out / c.SUMMARY_FILE).is_file()
        return Outcome(code, err, out)

    yield go
    for folder in folders:
        folder.cleanup()


GOOD_INVENTORY = b"item,lot,qty,shelf_life\nA,L1,5,10\nB,L2,2.5,3\n"
GOOD_DEMAND = b"item,qty,requirement\nA,3,5\nB,1,0\n"


@CLI_SETTINGS
@given(content=st.binary(max_size=400), which=st.sampled_from(["inventory", "demand"]))
def test_random_bytes_exit_0_or_2(cli_run: Any, debug: None, content: bytes, which: str) -> None:
    if which == "inventory":
        cli_run(content, GOOD_DEMAND)
    else:
        cli_run(GOOD_INVENTORY, content)


DEMAND_HEADERS = st.lists(
    st.sampled_from(["id", "item", "qty", "demand", "requirement", "mrsl", "priority", "x"]),
    min_size=1,
    max_size=6,
)


@CLI_SETTINGS
@given(
    inventory_header=HEADERS,
    demand_header=DEMAND_HEADERS,
    delimiter=st.sampled_from([",", ";", "\t"]),
    inventory_body=st.lists(CSV_LINES, max_size=6),
    demand_body=st.lists(CSV_LINES, max_size=6),
)
def test_random_csv_like_text_exits_0_or_2(
    cli_run: Any,
    debug: None,
    inventory_header: list[str],
    demand_header: list[str],
    delimiter: str,
    inventory_body: list[str],
    demand_body: list[str],
) -> None:
    def text(header: list[str], body: list[str]) -> bytes:
        return (delimiter.join(header) + "\n" + "\n".join(body)).encode("utf-8")

    cli_run(text(inventory_header, inventory_body), text(demand_header, demand_body))


# Valid-looking tables: every header spelled as some accepted alias, cells mostly valid.


def _spellings(name: str) -> st.SearchStrategy[str]:
    """A header as people write it: any case, words joined by space, '_' or '-'."""
    words = name.replace("_", " ").split()
    return st.tuples(
        st.sampled_from([" ", "_", "-"]), st.sampled_from([str.lower, str.upper, str.title])
    ).map(lambda style: style[1](style[0].join(words)))


def _header(table: s.Table, name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(table.column(name).headers).flatmap(_spellings)


CELLS = {
    c.ITEM: st.sampled_from(["A", "B", " A ", "A, B", "é", ""]),
    c.LOCATION: st.sampled_from(["W1", "W2", ""]),
    c.LOT: st.sampled_from(["L1", "L2", "L3", "l1", "L\n4", ""]),
    c.QTY: st.sampled_from(
        ["0", "1", "5", "2.5", "0.1", "0.000001", "1e3", "-1", "", "x", "1,000", "inf", "1e13"]
    ),
    c.SHELF_LIFE: st.sampled_from(["-5", "0", "3", "9", "12", "12.5", "", "abc", "1e6"]),
    c.UNIT_COST: st.sampled_from(["", "1.25", "-1", "x"]),
    c.ID: st.sampled_from(["D1", "D2", "D3", ""]),
    c.REQUIREMENT: st.sampled_from(["0", "3", "9", "", "-1", "2.5"]),
    c.PRIORITY: st.sampled_from(["", "1", "2", "0"]),
    c.CUSTOMER: st.sampled_from(["", "Shop", 'The "Best" Shop']),
}


@st.composite
def tables(draw: st.DrawFn, table: s.Table, optional: list[str]) -> str:
    """A CSV text: the required columns (now and then one left out), some optional ones,
    sometimes a column nobody asked for; rows of mostly valid cells; any delimiter."""
    names = [col.name for col in table.columns if col.required]
    if table is s.INVENTORY:
        names.append(c.SHELF_LIFE)
    if draw(st.integers(0, 9)) == 0:
        names.remove(draw(st.sampled_from(names)))
    names += draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional)))
    names = draw(st.permutations(names))
    header = [draw(_header(table, name)) for name in names]
    if draw(st.booleans()):
        header.insert(draw(st.integers(0, len(header))), "Lot Rank")
        names.insert(header.index("Lot Rank"), c.PRIORITY)  # any cells will do there
    rows = draw(st.lists(st.tuples(*(CELLS[name] for name in names)).map(list), max_size=8))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=draw(st.sampled_from([",", ";", "\t"])))
    writer.writerows([header, *rows])
    return buffer.getvalue()


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])


@CLI_SETTINGS
@given(
    inventory=tables(s.INVENTORY, [c.LOCATION, c.UNIT_COST]),
    demand=tables(s.DEMAND, [c.ID, c.LOCATION, c.REQUIREMENT, c.PRIORITY, c.CUSTOMER]),
    encoding=ENCODINGS,
)
def test_valid_looking_tables_exit_0_or_2(
    cli_run: Any, debug: None, inventory: str, demand: str, encoding: str
) -> None:
    outcome = cli_run(inventory.encode(encoding), demand.encode(encoding))
    if outcome.code == c.EXIT_OK:
        lots, lines = read_rows(outcome.out / c.LOTS_FILE), read_rows(outcome.out / c.DEMAND_FILE)
        for row in lots:
            assert Decimal(row[c.CONSUMED]) + Decimal(row[c.REMAINING]) == Decimal(row[c.QTY])
        for row in lines:
            assert Decimal(row[c.FILLED]) + Decimal(row[c.SHORT]) == Decimal(row[c.QTY])


def test_a_valid_looking_table_can_run(cli_run: Any, debug: None) -> None:
    """The generator above is not all errors: its spellings are read as the columns."""
    outcome = cli_run(
        "ITEM;Lot;ON-HAND;remaining_shelf_life;Lot Rank\nA;L1;5;9;1\n".encode("utf-16"),
        b"Item,Min-Remaining-Shelf-Life,DEMAND,Priority\nA,3,2,1\n",
    )
    assert outcome.code == c.EXIT_OK
    assert read_rows(outcome.out / c.DEMAND_FILE)[0][c.FILLED] == "2"
