"""The Anaplan-ready export: every file passes a strict reader of Anaplan's rules.

The reader refuses what an Anaplan import would refuse or misread: codes that
repeat (Anaplan ignores case), exceed 60 characters, start with ``#`` or are
empty; numbers in scientific notation; quoting other than "only when the text
holds a delimiter or a quote"; a module's dimension value missing from its
list; a file that differs from its manifest entry.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.cli import ROOT

import consumption
from consumption import constants as C
from consumption.anaplan import export as anaplan_export
from consumption.anaplan.codes import MAX_LENGTH, codes
from consumption.anaplan.manifest import MANIFEST_FILE
from consumption.cli import main

FORUM = ROOT / "scenarios" / "forum-example"

_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# What an Anaplan import cannot take in any text (tab, line feed, carriage return it can).
_NOT_IMPORTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


# --- the strict reader -------------------------------------------------------------------------
def strict_rows(data: bytes) -> list[list[str]]:
    """Parse CSV the strict way: UTF-8 without BOM, LF rows, a field quoted exactly when it
    holds a comma, a quote or a line break, quotes inside doubled."""
    assert not data.startswith(b"\xef\xbb\xbf"), "BOM"
    text = data.decode("utf-8")  # raises on anything that is not UTF-8
    assert text.endswith("\n"), "last row without a line end"
    rows: list[list[str]] = [[]]
    i = 0
    while i < len(text):
        if text[i] == '"':
            end = i + 1
            value = []
            while True:
                quote = text.index('"', end)
                value.append(text[end:quote])
                if text.startswith('""', quote):
                    value.append('"')
                    end = quote + 2
                    continue
                break
            field = "".join(value)
            assert re.search(r'[",\r\n]', field), f"needless quotes around {field!r}"
            i = quote + 1
        else:
            end = i
            while end < len(text) and text[end] not in ",\n":
                end += 1
            field = text[i:end]
            assert '"' not in field and "\r" not in field, f"unquoted {field!r}"
            i = end
        rows[-1].append(field)
        assert i < len(text), "row without a line end"
        if text[i] == "\n":
            rows.append([])
        i += 1
    rows.pop()
    width = len(rows[0])
    assert all(len(r) == width for r in rows), "rows of different widths"
    return rows


def _check_value(value: str, fmt: str, lists: dict[str, set[str]], where: str) -> None:
    if value == "":
        return
    if fmt == "number":
        assert _NUMBER.fullmatch(value), f"{where}: {value!r} is not a plain number"
    elif fmt == "date":
        assert _DATE.fullmatch(value), f"{where}: {value!r} is not an ISO date"
    elif fmt == "boolean":
        assert value in ("TRUE", "FALSE"), f"{where}: {value!r} is not TRUE/FALSE"
    elif fmt.startswith("list:"):
        assert value in lists[fmt[5:]], f"{where}: {value!r} is not an item of {fmt[5:]}"


def _check_codes(values: list[str], where: str) -> None:
    for code in values:
        # Anaplan counts UTF-16 units: a character beyond the BMP counts twice.
        units = len(code.encode("utf-16-le")) // 2
        assert code and units <= MAX_LENGTH, f"{where}: code {code!r}"
        assert not code.startswith("#"), f"{where}: code {code!r} starts with #"
        assert code == code.strip(), f"{where}: code {code!r} has blanks around it"
    lowered = [v.lower() for v in values]
    assert len(set(lowered)) == len(lowered), f"{where}: codes repeat (ignoring case)"


def check_export(folder: Path) -> dict[str, list[dict[str, str]]]:
    """Read every file of the export as Anaplan would; return the rows by file name."""
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    lists: dict[str, set[str]] = {}
    tables: dict[str, list[dict[str, str]]] = {}
    seen_module = False
    for entry in manifest["files"]:
        data = (folder / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        header, *rows = strict_rows(data)
        columns = entry["columns"]
        assert header == [c["name"] for c in columns], entry["file"]
        assert len(rows) == entry["rows"], entry["file"]
        records = [dict(zip(header, r, strict=True)) for r in rows]
        if entry["kind"] == "list":
            assert not seen_module, "lists load before modules"
            assert header[:3] == ["Code", "Name", "Parent"]
            assert [c["role"] for c in columns[:3]] == ["code", "name", "parent"]
            assert {c["role"] for c in columns[3:]} <= {"property"}
            _check_codes([r["Code"] for r in records], entry["file"])
            _check_codes([r["Name"] for r in records], entry["file"])
            lists[entry["target"]] = {r["Code"] for r in records}
        else:
            seen_module = True
            dims = [c["name"] for c in columns if c["role"] == "dimension"]
            assert dims == header[: len(dims)], "dimensions come first"
            assert {c["role"] for c in columns[len(dims) :]} == {"line item"}
            keys = [tuple(r[d] for d in dims) for r in records]
            assert len(set(keys)) == len(keys), f"{entry['file']}: a cell twice"
        for column in columns:
            for n, record in enumerate(records, start=2):
                where = f"{entry['file']}:{n}:{column['name']}"
                assert not _NOT_IMPORTABLE.search(record[column["name"]]), f"{where}: control"
                _check_value(record[column["name"]], column["format"], lists, where)
                if column["role"] == "dimension":
                    assert record[column["name"]] != "", f"{where}: empty dimension"
        tables[entry["file"]] = records
    return tables


# --- the forum example through the command line ------------------------------------------------
@pytest.fixture(scope="module")
def forum_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("forum") / "out"
    assert main(["run", str(FORUM), "--anaplan", "--out", str(out), "--quiet"]) == C.EXIT_OK
    return out


def test_forum_export_is_accepted_and_holds_the_forum_numbers(forum_export: Path) -> None:
    tables = check_export(forum_export / C.ANAPLAN_DIR)
    assert [(r["Lots"], r["Consumed"], r["Remaining"]) for r in tables["lot_consumption.csv"]] == [
        ("A||1234", "450", "50"),
        ("A||5678", "0", "600"),
        ("A||9876", "3000", "4000"),
    ]
    remaining = {
        (r["Lots"], r["Shelf Life Rules"]): r["Remaining Demand"]
        for r in tables["remaining_demand.csv"]
    }
    assert remaining[("A||5678", "270")] == "3000" and remaining[("A||9876", "270")] == "0"
    assert [r["Code"] for r in tables["shelf_life_rules.csv"]] == ["180", "270"]
    log = tables["refresh_log.csv"][0]
    assert log["Batches"] == tables["batches.csv"][0]["Code"]
    assert (log["Lot Count"], log["Demand Line Count"], log["Filled Qty"]) == ("3", "2", "3450")
    assert (forum_export / C.REMAINING_DEMAND_FILE).exists()


def test_manifest_names_kinds_targets_and_roles(forum_export: Path) -> None:
    manifest = json.loads((forum_export / C.ANAPLAN_DIR / "manifest.json").read_text())
    kinds = {e["file"]: (e["kind"], e["target"]) for e in manifest["files"]}
    assert kinds["lots.csv"] == ("list", "Lots")
    assert kinds["lot_consumption.csv"] == ("module", "Lot Consumption")
    assert kinds["remaining_demand.csv"] == ("module", "Remaining Demand")
    assert kinds["demand_fill.csv"] == ("module", "Demand Fill")
    assert kinds["refresh_log.csv"] == ("module", "Refresh Log")
    remaining = next(e for e in manifest["files"] if e["file"] == "remaining_demand.csv")
    assert [(c["name"], c["role"]) for c in remaining["columns"]] == [
        ("Lots", "dimension"),
        ("Shelf Life Rules", "dimension"),
        ("Remaining Demand", "line item"),
    ]
    assert manifest["batch"].startswith("run-")


def test_no_export_without_the_flag(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["run", str(FORUM), "--out", str(out), "--quiet"]) == C.EXIT_OK
    assert not (out / C.ANAPLAN_DIR).exists()


def test_a_failed_export_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(result: Any) -> list[Any]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(anaplan_export, "build", broken)
    out = tmp_path / "out"
    assert main(["run", str(FORUM), "--anaplan", "--out", str(out), "--quiet"]) == C.EXIT_FAILURE
    assert not out.exists()  # nothing became current: the folder this run made is gone


# --- awkward data: quotes, commas, long and clashing codes, decimals, huge numbers ---------------
def _awkward() -> consumption.Result:
    long_lot = "L" * 58
    inventory = pd.DataFrame(
        {
            "item": ['Bolt, 10"', 'bolt, 10"', "#7", "A", "A", "A", " padded", "x" * 70],
            "location": ["DC|1", "DC|1", "DC~2", "Zürich", "Zürich", "Zürich", "N", "N"],
            "lot": ["1", "1", "a", long_lot + "01", long_lot + "02", 'é,"q"', "p", "z"],
            "qty": [4.5, 0.000001, 1e9, 2.25, 3, 1, 2, 5],
            "shelf_life": [100, 200, 300, 50, 60, 400, 30, 90],
        }
    )
    demand = pd.DataFrame(
        {
            "id": ["S,1", 'S"2', "#S3", "S4"],
            "item": ['Bolt, 10"', "#7", "A", "x" * 70],
            "location": ["DC|1", "DC~2", "Zürich", "N"],
            "customer": ["Acme, Inc.", "", 'The "Best"', "x"],
            "qty": [3.5, 999999999.5, 4, 1],
            "requirement": [90, 0, 55, 80],
        }
    )
    return consumption.allocate(inventory, demand)


def test_awkward_data_is_accepted_by_the_strict_reader(tmp_path: Path) -> None:
    result = _awkward()
    anaplan_export.write(result, tmp_path)
    tables = check_export(tmp_path / C.ANAPLAN_DIR)
    lots = tables["lots.csv"]
    assert len(lots) == 8
    # The two long lots share their first 60 characters, yet get codes of their own.
    long_codes = [r["Code"] for r in lots if r["Lot"].startswith("L" * 58)]
    assert len(set(long_codes)) == 2 and all(len(c) == MAX_LENGTH for c in long_codes)
    assert all(c.startswith("A|Zürich|LLL") for c in long_codes)
    # Items equal but for case: Anaplan would merge them, so neither keeps the natural code.
    items = {r["Item"]: r["Code"] for r in tables["items.csv"]}
    assert items['Bolt, 10"'] != items['bolt, 10"'] and "~" in items['Bolt, 10"']
    assert not items["#7"].startswith("#")
    assert items["A"] == "A"
    fill = {r["Demand Lines"]: r for r in tables["demand_fill.csv"]}
    assert {r["Line"] for r in tables["demand_lines.csv"]} == {"S,1", 'S"2', "#S3", "S4"}
    assert "999999999.5" in {r["Demand Qty"] for r in fill.values()}
    consumption_rows = {r["Lots"]: r for r in tables["lot_consumption.csv"]}
    assert "0.000001" in {r["Lot Qty"] for r in consumption_rows.values()}
    assert "1000000000" in {r["Lot Qty"] for r in consumption_rows.values()}


def test_export_is_deterministic(tmp_path: Path) -> None:
    first, second = _awkward(), _awkward()
    second.summary["run"]["created"] = first.summary["run"]["created"]
    anaplan_export.write(first, tmp_path / "a")
    anaplan_export.write(second, tmp_path / "b")
    for name in ("lots.csv", "lot_consumption.csv", "remaining_demand.csv", "batches.csv"):
        a = (tmp_path / "a" / C.ANAPLAN_DIR / name).read_bytes()
        assert a == (tmp_path / "b" / C.ANAPLAN_DIR / name).read_bytes(), name


def test_remaining_demand_module_matches_the_result(tmp_path: Path) -> None:
    result = _awkward()
    anaplan_export.write(result, tmp_path)
    tables = check_export(tmp_path / C.ANAPLAN_DIR)
    assert len(tables["remaining_demand.csv"]) == len(result.remaining_demand)
    lots = {r["Code"]: (r["Item"], r["Lot"]) for r in tables["lots.csv"]}
    items = {r["Code"]: r["Item"] for r in tables["items.csv"]}
    exported = sorted(
        (
            items[lots[r["Lots"]][0]],
            lots[r["Lots"]][1],
            int(r["Shelf Life Rules"]),
            float(r["Remaining Demand"]),
        )
        for r in tables["remaining_demand.csv"]
    )
    frame = result.remaining_demand
    expected = sorted(
        zip(
            frame[C.ITEM].astype(str),
            frame[C.LOT].astype(str),
            frame[C.REQUIREMENT].astype(int),
            frame[C.REMAINING_DEMAND].astype(float),
            strict=True,
        )
    )
    assert exported == expected


# --- codes ---------------------------------------------------------------------------------------
def test_natural_codes_stay_readable_and_ambiguous_ones_do_not_collide() -> None:
    found = codes(pa.array(["A|B", "A"]), pa.array(["C", "B|C"])).to_pylist()
    assert found[0] != found[1]
    assert codes(pa.array(["A"]), pa.array(["DC1"]), pa.array(["1234"])).to_pylist() == [
        "A|DC1|1234"
    ]


parts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(st.lists(st.tuples(parts, parts, parts), unique=True, max_size=30))
def test_codes_are_valid_and_unique_for_any_distinct_rows(rows: list[tuple[str, str, str]]) -> None:
    columns = [pa.array(list(c), pa.string()) for c in zip(*rows, strict=True)] or [
        pa.array([], pa.string())
    ] * 3
    found = codes(*columns).to_pylist()
    _check_codes(found, "codes")
    assert found == codes(*columns).to_pylist()  # deterministic


def test_dated_run_exports_iso_dates(tmp_path: Path) -> None:
    inventory = pd.DataFrame(
        {
            "item": ["A", "A"],
            "lot": ["1", "2"],
            "qty": [5, 6],
            "expiry_date": pd.to_datetime(["2027-01-10", "2027-03-01"]),
        }
    )
    demand = pd.DataFrame(
        {"item": ["A"], "qty": [4], "requirement": [30], "due_date": pd.to_datetime(["2026-12-15"])}
    )
    result = consumption.allocate(inventory, demand, as_of="2026-12-01")
    anaplan_export.write(result, tmp_path)
    tables = check_export(tmp_path / C.ANAPLAN_DIR)
    assert [r["Expiry Date"] for r in tables["lots.csv"]] == ["2027-01-10", "2027-03-01"]
    assert tables["demand_lines.csv"][0]["Due Date"] == "2026-12-15"
    assert tables["refresh_log.csv"][0]["As Of"] == "2026-12-01"


def test_codes_count_utf16_units_and_control_characters_are_replaced_with_a_notice(
    tmp_path: Path,
) -> None:
    emoji = "\U0001f600"
    inventory = pd.DataFrame(
        {
            "item": [emoji * 31, emoji * 30, "B"],  # 31 and 30 characters: 62 and 60 units
            "lot": ["1", "2", "bad\x01lot\x0bend"],
            "qty": [1, 2, 3],
            "shelf_life": [100, 200, 300],
        }
    )
    demand = pd.DataFrame({"item": ["B"], "qty": [1], "requirement": [10]})
    anaplan_export.write(consumption.allocate(inventory, demand), tmp_path)
    tables = check_export(tmp_path / C.ANAPLAN_DIR)  # every code within 60 UTF-16 units
    items = {r["Item"]: r["Code"] for r in tables["items.csv"]}
    assert "~" in items[emoji * 31]  # 31 characters, but 62 units: the hashed form
    assert len(items[emoji * 31].encode("utf-16-le")) // 2 <= MAX_LENGTH
    assert items[emoji * 30] == emoji * 30  # 60 units: natural
    lots = {r["Code"]: r["Lot"] for r in tables["lots.csv"]}
    assert "bad\ufffdlot\ufffdend" in lots.values()
    notices = anaplan_export.notices(tmp_path)
    assert len(notices) == 1
    assert notices[0].startswith("lots.csv: 1 value(s) of 'Lot' held control characters")
    manifest = json.loads((tmp_path / C.ANAPLAN_DIR / MANIFEST_FILE).read_text())
    assert manifest["notices"] == notices
