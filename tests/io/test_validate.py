"""The one validator: files and frames built in code get the same problems.

A table written to CSV and read with ``read_inputs`` names each problem by its
editor line; the same table handed to ``allocate`` as a DataFrame (as text, the
way ``pd.read_csv(dtype=str)`` gives it, or typed) names it by its data row.
Codes, columns and places must agree: the line is the row plus the header.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import consumption
from consumption.errors import Code, InputError, Problem
from consumption.io.prepare import check_inputs
from consumption.io.read import read_inputs
from consumption.io.validate import is_validated

INVENTORY_HEADER = "item,location,lot,qty,shelf_life"
DEMAND_HEADER = "id,item,qty,requirement,priority"
CELLS = {
    "item": ["A", "B", ""],
    "location": ["W1", "W2"],
    "lot": ["L1", "L2", "L3"],
    "qty": ["5", "2.5", "-1", "abc", '"1,5"', "0.0000001", "inf", "1e13"],
    "shelf_life": ["10", "-2", "12.5", "x", "300000"],
    "id": ["d1", "d2", "d3"],
    "requirement": ["0", "90", "-5", "1.5", ""],
    "priority": ["1", "2", "0", "1.5", ""],
}


def _places(problems: list[Problem], by_line: bool) -> list[tuple[str, str | None, int | None]]:
    """(code, column, data row) of each problem."""
    found = []
    for p in problems:
        row = (p.line - 1 if p.line is not None else None) if by_line else p.row
        found.append((str(p.code), p.column, row))
    return sorted(found, key=lambda t: (t[2] or 0, t[0], t[1] or ""))


def _from_files(tmp: Path, inventory: str, demand: str) -> list[Problem]:
    (tmp / "inventory.csv").write_text(inventory, encoding="utf-8")
    (tmp / "demand.csv").write_text(demand, encoding="utf-8")
    try:
        inputs = read_inputs(tmp / "inventory.csv", tmp / "demand.csv")
        check_inputs(inputs.inventory, inputs.demand, None, None)
    except InputError as error:
        return error.problems
    return []


def _from_frames(inventory: str, demand: str, typed: bool) -> list[Problem]:
    def frame(text: str) -> pd.DataFrame:
        if typed:  # pandas' own types where it can guess them
            return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)

    try:
        check_inputs(frame(inventory), frame(demand), None, None)
    except InputError as error:
        return error.problems
    return []


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, str]:
    def rows(header: str, n: int) -> str:
        names = header.split(",")
        body = [",".join(draw(st.sampled_from(CELLS[name])) for name in names) for _ in range(n)]
        return "\n".join([header, *body]) + "\n"

    return rows(INVENTORY_HEADER, draw(st.integers(1, 6))), rows(
        DEMAND_HEADER, draw(st.integers(1, 4))
    )


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables())
def test_frames_as_text_get_the_problems_files_get(tmp_path: Path, case: tuple[str, str]) -> None:
    inventory, demand = case
    from_files = _from_files(tmp_path, inventory, demand)
    from_frames = _from_frames(inventory, demand, typed=False)
    assert _places(from_frames, by_line=False) == _places(from_files, by_line=True)
    assert all(p.file == "" and p.table in ("inventory", "demand") for p in from_frames)


def test_typed_frames_get_the_same_codes() -> None:
    inventory = f"{INVENTORY_HEADER}\nA,W1,L1,-1,10\nA,W1,L2,5,12.5\nA,W1,L1,3,9\n"
    demand = f"{DEMAND_HEADER}\nd1,A,5,-5,0\n"
    problems = _from_frames(inventory, demand, typed=True)
    assert sorted(_places(problems, by_line=False)) == [
        ("duplicate_lot", "lot", 3),
        ("negative", "qty", 1),
        ("negative", "requirement", 1),
        ("not_an_integer", "shelf_life", 2),
        ("not_positive", "priority", 1),
    ]


def test_a_frame_problem_says_table_row_column_value_and_fix() -> None:
    inventory = pd.DataFrame(
        {"item": ["A", None], "lot": ["1", "2"], "qty": ["1.500", "3"], "shelf_life": [9, 9]}
    )
    demand = pd.DataFrame({"item": ["A"], "qty": [1]})
    with pytest.raises(InputError) as caught:
        consumption.allocate(inventory, demand)
    shown = [str(p) for p in caught.value.problems]
    assert shown == [
        "inventory frame, row 2, column 'item': value '': the item code is missing: "
        "fill in the cell [empty_value]",
    ]


def test_duplicate_lane_ranks_name_both_lines(tmp_path: Path) -> None:
    (tmp_path / "inv.csv").write_text("item,location,lot,qty,shelf_life\nA,DC1,L1,5,9\n")
    (tmp_path / "dem.csv").write_text("item,location,qty\nA,DC0,5\n")
    (tmp_path / "lanes.csv").write_text(
        "from_location,to_location,transit_days,rank\nDC1,DC0,1,1\nDC2,DC0,2,1\n"
    )
    with pytest.raises(InputError) as caught:
        read_inputs(tmp_path / "inv.csv", tmp_path / "dem.csv", tmp_path / "lanes.csv")
    [problem] = caught.value.problems
    assert (problem.code, problem.file, problem.line, problem.column, problem.value) == (
        Code.DUPLICATE_LANE_RANK,
        str(tmp_path / "lanes.csv"),
        3,
        "rank",
        "1",
    )
    assert "already on line 2" in problem.message


def test_a_checked_frame_is_not_checked_again_unless_it_changed(tmp_path: Path) -> None:
    (tmp_path / "inv.csv").write_text("item,lot,qty,shelf_life\nA,L1,5,9\n")
    (tmp_path / "dem.csv").write_text("item,qty\nA,5\n")
    inputs = read_inputs(tmp_path / "inv.csv", tmp_path / "dem.csv")
    assert is_validated(inputs.inventory)
    doubled = pd.concat([inputs.inventory, inputs.inventory], ignore_index=True)
    assert not is_validated(doubled)  # two rows now: the duplicate lot must be found
    with pytest.raises(InputError) as caught:
        consumption.allocate(doubled, inputs.demand)
    assert caught.value.codes == [Code.DUPLICATE_LOT]


def test_a_quantity_beyond_the_exact_scale_names_its_editor_line(tmp_path: Path) -> None:
    (tmp_path / "inv.csv").write_text("item,lot,qty,shelf_life\n\nA,L1,100000000000,9\n")
    (tmp_path / "dem.csv").write_text("item,qty\nA,0.000001\n")
    inputs = read_inputs(tmp_path / "inv.csv", tmp_path / "dem.csv")
    with pytest.raises(InputError) as caught:
        check_inputs(inputs.inventory, inputs.demand, None, None)
    [problem] = caught.value.problems
    assert (problem.code, problem.line, problem.column) == (Code.TOO_LARGE, 3, "qty")


def test_blank_rows_of_a_frame_are_skipped_and_rows_keep_their_numbers() -> None:
    inventory = pd.DataFrame(
        {"item": ["A", None, "A"], "lot": ["1", None, "1"], "qty": [1, np.nan, 2],
         "shelf_life": [9, np.nan, 9]}
    )  # fmt: skip
    demand = pd.DataFrame({"item": ["A"], "qty": [1]})
    with pytest.raises(InputError) as caught:
        consumption.allocate(inventory, demand)
    [problem] = caught.value.problems
    assert (problem.code, problem.row) == (Code.DUPLICATE_LOT, 3)
    assert "already on row 1" in problem.message
    inventory.loc[2, "lot"] = "2"
    with pytest.warns(UserWarning, match="1 rows with every cell empty were skipped"):
        result = consumption.allocate(inventory, demand)
    assert result.lots["lot"].tolist() == ["1", "2"]
