"""Invariants: a corrupted allocation exits 1, says it is a bug, and writes nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from support.cli import (
    FORUM,
    run,
    snapshot,
)

import consumption.api
from consumption import constants as c

CSV_OUTPUTS = (
    c.LOTS_FILE,
    c.ALLOCATIONS_FILE,
    c.DEMAND_FILE,
    c.FORUM_FILE,
    c.REMAINING_DEMAND_FILE,
)


def test_a_broken_invariant_exits_1_says_bug_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = consumption.api.allocate_greedy

    def corrupted(*args: Any, **kwargs: Any) -> Any:
        alloc = real(*args, **kwargs)
        consumed = alloc.consumed.copy()
        consumed[0] += 1  # one unit out of nowhere: conservation breaks
        return dataclasses.replace(alloc, consumed=consumed)

    out = tmp_path / "out"
    assert run(FORUM, "--out", out) == c.EXIT_OK
    before = snapshot(out)
    capsys.readouterr()
    monkeypatch.setattr(consumption.api, "allocate_greedy", corrupted)
    assert run(FORUM, "--out", out) == c.EXIT_FAILURE
    assert run(FORUM, "--out", tmp_path / "fresh") == c.EXIT_FAILURE
    err = capsys.readouterr().err
    assert "internal error" in err
    assert "bug" in err
    assert "Traceback" not in err
    assert snapshot(out) == before
    assert not (tmp_path / "fresh").exists()
