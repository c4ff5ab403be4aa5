"""Output files: the text of every kind of cell, plain decimals, quoting, JSON numbers."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from consumption import constants as c
from consumption.io.write import write_csv

CSV_OUTPUTS = (
    c.LOTS_FILE,
    c.ALLOCATIONS_FILE,
    c.DEMAND_FILE,
    c.FORUM_FILE,
    c.REMAINING_DEMAND_FILE,
)


def test_columns_read_in_several_chunks_are_written(tmp_path: Path) -> None:
    """Text columns of a file larger than pyarrow's block size stay chunked through pandas."""
    chunked = pd.arrays.ArrowStringArray(pa.chunked_array([["S1", "S,2"], ["S3"]]))
    frame = pd.DataFrame({"line": chunked, "qty": np.array([1.5, 2.0, 0.25])})
    write_csv(tmp_path / "out.csv", frame, decimals=2)
    assert (tmp_path / "out.csv").read_text() == 'line,qty\nS1,1.5\n"S,2",2\nS3,0.25\n'


# --- the text of the cells ------------------------------------------------------------------------


@given(st.integers(-(10**15), 10**15), st.integers(0, 6))
def test_decimal_text_is_the_exact_decimal(scaled: int, decimals: int) -> None:
    from consumption.io.write import decimal_text

    text = decimal_text(np.array([scaled]), decimals).to_pylist()[0]
    assert Decimal(text) == Decimal(scaled).scaleb(-decimals)
    assert "e" not in text.lower() and not (("." in text) and text.endswith("0"))


def test_cells_are_written_as_a_planner_reads_them(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "text": ["plain", 'say "hi"', "a,b", None],
            "qty": [0.000001, 2.5, 3.0, np.nan],
            "flag": [True, False, True, False],
            "day": pd.to_datetime(["2026-12-01", "2027-01-31", None, "2026-02-28"]),
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
        }
    )
    write_csv(tmp_path / "out.csv", frame, decimals=6)
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines() == [
        "text,qty,flag,day,count",
        "plain,0.000001,TRUE,2026-12-01,1",
        '"say ""hi""",2.5,FALSE,2027-01-31,',
        '"a,b",3,TRUE,,3',
        ",,FALSE,2026-02-28,4",
    ]


def test_json_numbers_are_plain_decimals(tmp_path: Path) -> None:
    from consumption.io.write import write_json

    write_json(tmp_path / "s.json", {"small": 0.00001, "big": 1e16, "n": np.int64(3), "x": None})
    text = (tmp_path / "s.json").read_text(encoding="utf-8")
    assert '"small": 0.00001' in text and '"big": 10000000000000000' in text
    assert json.loads(text) == {"small": 0.00001, "big": 1e16, "n": 3, "x": None}
