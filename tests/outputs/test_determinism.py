"""Determinism and exactness: shuffled inventory rows give byte-identical files, shuffled
demand rows the same per-lot consumption and totals; fractional quantities conserve
exactly in the written text, without float artefacts."""

from __future__ import annotations

import json
import random
import re
import tempfile
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.cli import (
    CLI_SETTINGS,
    REGIONAL,
    read_rows,
    run,
)
from support.strategies import Problem, problems

from consumption import constants as c

CSV_OUTPUTS = (
    c.LOTS_FILE,
    c.ALLOCATIONS_FILE,
    c.DEMAND_FILE,
    c.FORUM_FILE,
    c.REMAINING_DEMAND_FILE,
)


def _without_run_details(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary without what may differ between identical runs: clock, timings, inputs."""
    kept = {key: value for key, value in summary.items() if key not in ("timings", "output")}
    kept["files"] = summary["output"]["files"]  # the same bytes, whatever the run id
    kept["run"] = {
        key: value for key, value in summary["run"].items() if key not in ("created", "inputs")
    }
    return kept


def _shuffled_copy(source: Path, target: Path, seed: int) -> Path:
    """``source`` with its data rows in another order (the text of each row unchanged)."""
    header, *rows = source.read_text(encoding="utf-8").splitlines(keepends=True)
    random.Random(seed).shuffle(rows)
    target.write_text(header + "".join(rows), encoding="utf-8")
    return target


def test_shuffled_inventory_gives_identical_files(tmp_path: Path) -> None:
    demand = REGIONAL / "demand.csv"
    shuffled = _shuffled_copy(REGIONAL / "inventory.csv", tmp_path / "inventory.csv", 1)
    assert (
        run(REGIONAL / "inventory.csv", demand, "--out", tmp_path / "a", "--format", "forum") == 0
    )
    assert run(shuffled, demand, "--out", tmp_path / "b", "--format", "forum") == 0
    for name in CSV_OUTPUTS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    summaries = [json.loads((tmp_path / x / c.SUMMARY_FILE).read_text()) for x in "ab"]
    assert _without_run_details(summaries[0]) == _without_run_details(summaries[1])


def test_shuffled_demand_gives_the_same_consumption_and_totals(tmp_path: Path) -> None:
    """Lines of equal requirement may share stock differently; lots and totals may not."""
    inventory = REGIONAL / "inventory.csv"
    shuffled = _shuffled_copy(REGIONAL / "demand.csv", tmp_path / "demand.csv", 2)
    assert run(inventory, REGIONAL / "demand.csv", "--out", tmp_path / "a") == c.EXIT_OK
    assert run(inventory, shuffled, "--out", tmp_path / "b") == c.EXIT_OK
    a, b = tmp_path / "a", tmp_path / "b"
    assert (a / c.LOTS_FILE).read_bytes() == (b / c.LOTS_FILE).read_bytes()
    totals = [json.loads((x / c.SUMMARY_FILE).read_text())["totals"] for x in (a, b)]
    assert totals[0] == totals[1]
    assert _fill_by_class(a / c.DEMAND_FILE) == _fill_by_class(b / c.DEMAND_FILE)
    # Each line keeps its own quantity, only its position moved.
    assert Counter(_line_qty(a / c.DEMAND_FILE)) == Counter(_line_qty(b / c.DEMAND_FILE))


def _fill_by_class(path: Path) -> dict[tuple[str, str, str], Decimal]:
    filled: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in read_rows(path):
        filled[row[c.ITEM], row[c.LOCATION], row[c.REQUIREMENT]] += Decimal(row[c.FILLED])
    return dict(filled)


def _line_qty(path: Path) -> list[tuple[str, str]]:
    return [(row[c.LINE], row[c.QTY]) for row in read_rows(path)]


@CLI_SETTINGS
@given(problem=problems(), seed=st.integers(0, 2**32 - 1))
def test_shuffled_inventory_rows_give_identical_files_property(problem: Problem, seed: int) -> None:
    inventory, demand = problem
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        inventory.to_csv(tmp / "inventory.csv", index=False)
        shuffled = inventory.sample(frac=1, random_state=seed)
        shuffled.to_csv(tmp / "shuffled.csv", index=False)
        demand.to_csv(tmp / "demand.csv", index=False)
        assert run(tmp / "inventory.csv", tmp / "demand.csv", "--out", tmp / "a") == 0
        assert run(tmp / "shuffled.csv", tmp / "demand.csv", "--out", tmp / "b") == 0
        for name in (c.LOTS_FILE, c.ALLOCATIONS_FILE, c.DEMAND_FILE):
            assert (tmp / "a" / name).read_bytes() == (tmp / "b" / name).read_bytes(), name


# --- exact decimals in the written files -------------------------------------------------------

# Inputs have at most 6 decimals, so a correct output has no more: 0.30000000000000004 or
# 0.29999999999999999 has, and so has scientific notation.
_FLOAT_ARTEFACT = re.compile(r"\d\.\d{7,}|\d[eE][+-]?\d")


def _check_exact_outputs(out: Path, lot_qty: dict[str, Decimal], line_qty: list[Decimal]) -> None:
    """Conservation in the written text, parsed as decimals, and no float noise anywhere."""
    for path in out.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        assert not _FLOAT_ARTEFACT.search(text), (path.name, _FLOAT_ARTEFACT.search(text))
    # The summary's quantities (its timings are no quantities, and may be tiny).
    summary_text = (out / c.SUMMARY_FILE).read_text(encoding="utf-8")
    totals = json.loads(summary_text, parse_float=Decimal)["totals"]
    assert not _FLOAT_ARTEFACT.search(json.dumps(totals, default=str))
    assert totals[c.FILLED] + totals[c.SHORT] == totals["demand"]
    assert totals[c.CONSUMED] + totals[c.REMAINING] == totals["lot_qty"]
    lots = read_rows(out / c.LOTS_FILE)
    assert {row[c.LOT]: Decimal(row[c.QTY]) for row in lots} == lot_qty
    for row in lots:
        assert Decimal(row[c.CONSUMED]) + Decimal(row[c.REMAINING]) == Decimal(row[c.QTY]), row
    demand = read_rows(out / c.DEMAND_FILE)
    assert [Decimal(row[c.QTY]) for row in demand] == line_qty
    for row in demand:
        assert Decimal(row[c.FILLED]) + Decimal(row[c.SHORT]) == Decimal(row[c.QTY]), row
    given_by_lot: dict[str, Decimal] = defaultdict(Decimal)
    taken_by_line: dict[str, Decimal] = defaultdict(Decimal)
    for row in read_rows(out / c.ALLOCATIONS_FILE):
        given_by_lot[row[c.LOT]] += Decimal(row[c.QTY])
        taken_by_line[row[c.LINE]] += Decimal(row[c.QTY])
    for row in lots:
        assert given_by_lot.get(row[c.LOT], Decimal(0)) == Decimal(row[c.CONSUMED])
    for row in demand:
        assert taken_by_line.get(row[c.LINE], Decimal(0)) == Decimal(row[c.FILLED])


def _write_tables(folder: Path, lots: list[tuple[str, int]], lines: list[tuple[str, int]]) -> None:
    """One item; lots as (qty text, shelf life), demand lines as (qty text, requirement)."""
    inventory = "item,lot,qty,shelf_life\n" + "".join(
        f"A,L{i},{qty},{days}\n" for i, (qty, days) in enumerate(lots)
    )
    demand = "item,qty,requirement\n" + "".join(f"A,{qty},{req}\n" for qty, req in lines)
    (folder / "inventory.csv").write_text(inventory, encoding="utf-8")
    (folder / "demand.csv").write_text(demand, encoding="utf-8")


def test_tenths_conserve_exactly_in_the_written_files(tmp_path: Path) -> None:
    """0.1 + 0.2 is 0.30000000000000004 in floats: never in an output file."""
    lots = [("0.1", 10), ("0.2", 20), ("0.3", 30), ("1.000001", 40), ("0.7", 50)]
    lines = [("0.3", 0), ("0.6", 15), ("0.000001", 35), ("1.1", 0)]
    _write_tables(tmp_path, lots, lines)
    out = tmp_path / "out"
    assert (
        run(tmp_path / "inventory.csv", tmp_path / "demand.csv", "--out", out, "--format", "forum")
        == 0
    )
    _check_exact_outputs(
        out, {f"L{i}": Decimal(q) for i, (q, _) in enumerate(lots)}, [Decimal(q) for q, _ in lines]
    )
    consumed = {row[c.LOT]: row[c.CONSUMED] for row in read_rows(out / c.LOTS_FILE)}
    assert consumed == {"L0": "0.1", "L1": "0.2", "L2": "0.3", "L3": "1.000001", "L4": "0.4"}
    filled = [row[c.FILLED] for row in read_rows(out / c.DEMAND_FILE)]
    assert filled == ["0.3", "0.6", "0.000001", "1.1"]


# Below 10 for now: larger quantities with many decimals are rounded by the engine (see
# test_large_quantities_keep_their_decimals); widen to 10**12 once that is fixed.
_MICRO = st.integers(0, 10**7 - 1).map(lambda n: str(Decimal(n).scaleb(-6).normalize()))
_DAYS = st.integers(-2, 12)


@CLI_SETTINGS
@given(
    lots=st.lists(st.tuples(_MICRO, _DAYS), max_size=10),
    lines=st.lists(st.tuples(_MICRO, st.sampled_from([0, 3, 6, 9])), max_size=10),
)
def test_quantities_with_six_decimals_conserve_exactly(
    lots: list[tuple[str, int]], lines: list[tuple[str, int]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        _write_tables(tmp, lots, lines)
        assert run(tmp / "inventory.csv", tmp / "demand.csv", "--out", tmp / "out") == 0
        _check_exact_outputs(
            tmp / "out",
            {f"L{i}": Decimal(q) for i, (q, _) in enumerate(lots)},
            [Decimal(q) for q, _ in lines],
        )


@pytest.mark.parametrize("qty", ["23.667648", "5000000.5", "12345678.25"])
def test_large_quantities_keep_their_decimals(tmp_path: Path, qty: str) -> None:
    _write_tables(tmp_path, [(qty, 5)], [("1", 0)])
    out = tmp_path / "out"
    assert run(tmp_path / "inventory.csv", tmp_path / "demand.csv", "--out", out) == 0
    _check_exact_outputs(out, {"L0": Decimal(qty)}, [Decimal(1)])
