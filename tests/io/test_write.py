"""Outputs: a run killed while writing leaves the previous outputs byte for byte and no
partial file; its staging folder is removed by the next run; inputs are never
overwritten; a destination in the way stops the run before any move."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.cli import (
    FORUM,
    POSIX_ONLY,
    ROOT,
    read_rows,
    run,
    snapshot,
    staging_folders,
)

from consumption import constants as c
from consumption.io.write import STAGING_PREFIX, staged_outputs, write_csv

CSV_OUTPUTS = (
    c.LOTS_FILE,
    c.ALLOCATIONS_FILE,
    c.DEMAND_FILE,
    c.FORUM_FILE,
    c.REMAINING_DEMAND_FILE,
)


def _big_scenario(folder: Path, lots: int) -> tuple[Path, Path]:
    """A generated scenario of ``lots`` lots, written as CSV (about 40 bytes a lot)."""
    spec = importlib.util.spec_from_file_location("generate", ROOT / "scenarios" / "generate.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    inventory, demand = generator.generate(lots=lots)
    paths = folder / "inventory.csv", folder / "demand.csv"
    inventory.to_csv(paths[0], index=False)
    demand.to_csv(paths[1], index=False)
    return paths


@POSIX_ONLY
def test_a_run_killed_while_writing_leaves_the_previous_outputs(tmp_path: Path) -> None:
    """SIGKILL (no cleanup of any kind runs) once the run has begun writing its files.

    300k lots with the forum outputs take a few hundred milliseconds to write, a wide
    window for a poll every millisecond; the kill lands before the first file is moved.
    """
    out = tmp_path / "out"
    assert run(FORUM, "--out", out) == c.EXIT_OK
    before = snapshot(out)
    inventory, demand = _big_scenario(tmp_path, lots=300_000)
    command = [sys.executable, "-m", "consumption.cli", "run", str(inventory), str(demand)]
    command += ["--out", str(out), "--format", c.FORMAT_FORUM, "--quiet"]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE) as process:
        try:
            staging = _wait_for_a_staged_file(out, process)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    # Killed mid-write: its staging folder is still there, the previous outputs untouched.
    assert staging.is_dir()
    assert snapshot(out) == before
    assert {p.name for p in out.iterdir()} == set(before) | {staging.name}

    # The next run replaces the outputs and removes what the killed run left behind.
    assert run(FORUM, "--out", out) == c.EXIT_OK
    assert staging_folders(out) == []
    assert set(snapshot(out)) == set(before)


def _wait_for_a_staged_file(out: Path, process: subprocess.Popen[bytes]) -> Path:
    """Poll until a file appears in a staging folder of ``out``; return that folder."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for folder in staging_folders(out):
            if any(folder.iterdir()):
                return folder
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            pytest.fail(f"the run ended (exit {process.returncode}) before it was killed {stderr}")
        time.sleep(0.001)
    pytest.fail("the run wrote nothing within two minutes")


@POSIX_ONLY
def test_a_leftover_staging_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    """What a killed run leaves (no process holds its lock) goes with the next run."""
    out = tmp_path / "out"
    leftover = out / f"{STAGING_PREFIX}killed"
    leftover.mkdir(parents=True)
    (leftover / c.LOTS_FILE).write_text("item,loc", encoding="utf-8")  # cut short
    assert run(FORUM, "--out", out) == c.EXIT_OK
    assert staging_folders(out) == []
    assert read_rows(out / c.LOTS_FILE)[0][c.LOT] == "1234"


def test_the_staging_folder_of_a_run_in_progress_is_left_alone(tmp_path: Path) -> None:
    """Two runs into one folder: the second must not sweep away the first one's files."""
    out = tmp_path / "out"
    with staged_outputs(out) as first:
        (first / "first.csv").write_text("a\n1\n", encoding="utf-8")
        with staged_outputs(out) as second:
            assert first.is_dir()
            (second / "second.csv").write_text("b\n2\n", encoding="utf-8")
        assert (first / "first.csv").is_file()
    assert snapshot(out) == {"first.csv": b"a\n1\n", "second.csv": b"b\n2\n"}
    assert staging_folders(out) == []


def test_a_failure_while_writing_moves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(FORUM, "--out", out) == c.EXIT_OK
    before = snapshot(out)
    with pytest.raises(RuntimeError), staged_outputs(out) as staging:
        (staging / c.LOTS_FILE).write_text("item\nnew\n", encoding="utf-8")
        raise RuntimeError("disk full, say")
    assert snapshot(out) == before
    assert staging_folders(out) == []


def test_json_files_are_moved_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary describes the CSV files: a reader who sees the new one sees them all."""
    moved: list[str] = []
    replace = os.replace

    def recording(source: Any, target: Any) -> None:
        moved.append(Path(target).name)
        replace(source, target)

    monkeypatch.setattr(os, "replace", recording)
    assert run(FORUM, "--out", tmp_path / "out") == c.EXIT_OK
    assert moved[-1] == c.SUMMARY_FILE
    assert sorted(moved) == sorted(p.name for p in (tmp_path / "out").iterdir())


def test_inputs_in_the_out_folder_are_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two input files named like outputs, --out spelled differently from their folder."""
    folder = tmp_path / "plan"
    folder.mkdir()
    inventory = folder / "inventory.csv"
    inventory.write_bytes((FORUM / "inventory.csv").read_bytes())
    demand = folder / c.DEMAND_FILE  # an output is called demand.csv too
    demand.write_bytes((FORUM / "demand.csv").read_bytes())
    before = snapshot(folder)
    assert run(inventory, demand, "--out", folder / ".." / "plan") == c.EXIT_BAD_INPUT
    assert "would overwrite the input file" in capsys.readouterr().err
    assert snapshot(folder) == before
    assert staging_folders(folder) == []


def test_a_folder_in_the_way_stops_the_run_before_any_move(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    (out / c.LOTS_FILE).mkdir(parents=True)
    assert run(FORUM, "--out", out) == c.EXIT_BAD_INPUT
    assert "is a folder" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == [c.LOTS_FILE]
    assert not any((out / c.LOTS_FILE).iterdir())


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
