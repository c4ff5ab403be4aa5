"""A run owns its output folder: after any sequence of runs, kills and concurrent runs,
the folder shows exactly one run's outputs, whole.

Kills are real (SIGKILL of a child process, no cleanup of any kind runs), at three
moments: while the files are written, at the switch of ``current``, and after it.
"""

from __future__ import annotations

import errno
import fcntl
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import FORUM, POSIX_ONLY, REGIONAL, ROOT, read_rows, run, snapshot, staging_folders

from consumption import constants as c
from consumption.io import outfolder
from consumption.io.outfolder import CURRENT, LOCK_FILE, REPLACED_DIR, STATE_DIR, current_folder

OPTIMIZER = ROOT / "scenarios" / "optimizer-wins"


def _run_id(out: Path) -> str:
    summary = json.loads((out / c.SUMMARY_FILE).read_text(encoding="utf-8"))
    return str(summary["output"]["run_id"])


def _visible(out: Path) -> set[str]:
    """The outputs a planner sees in the folder (links that resolve to something)."""
    return {p.name for p in out.iterdir() if p.name != STATE_DIR and p.exists()}


def _big_scenario(folder: Path, lots: int) -> tuple[Path, Path]:
    """A generated scenario of ``lots`` lots, written as CSV (about 40 bytes a lot)."""
    spec = importlib.util.spec_from_file_location("generate", ROOT / "scenarios" / "generate.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    inventory, demand = generator.generate(lots=lots, items=200, locations=4, customers=20, seed=3)
    inventory.to_csv(folder / "big-inventory.csv", index=False)
    demand.to_csv(folder / "big-demand.csv", index=False)
    return folder / "big-inventory.csv", folder / "big-demand.csv"


def _child(args: list[str], prelude: str = "") -> subprocess.Popen[bytes]:
    """``consumption`` in a child process, after ``prelude`` (code that patches it)."""
    code = f"import sys\n{prelude}\nfrom consumption.cli import main\nsys.exit(main({args!r}))\n"
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE)


_KILL_ON_REPLACE = """
import os, signal
from pathlib import Path
_replace = os.replace
def _killing(source, target, *args, **kwargs):
    if Path(target).name == {name!r}:
        os.kill(os.getpid(), signal.SIGKILL)
    return _replace(source, target, *args, **kwargs)
os.replace = _killing
"""

_KILL_ON_CLEANUP = """
import os, shutil, signal
_rmtree = shutil.rmtree
def _killing(path, *args, **kwargs):
    if "/runs/" in str(path) and "/.staging-" not in str(path):
        os.kill(os.getpid(), signal.SIGKILL)
    return _rmtree(path, *args, **kwargs)
shutil.rmtree = _killing
"""


# --- one run's outputs, whole, after every sequence -----------------------------------------------


def test_a_second_run_leaves_nothing_of_the_first(tmp_path: Path) -> None:
    """The first run writes forum.csv and an Anaplan export; the second neither."""
    out = tmp_path / "out"
    assert run(REGIONAL, "--out", out, "--anaplan") == c.EXIT_OK
    first = _run_id(out)
    assert {c.FORUM_FILE, c.ANAPLAN_DIR} <= _visible(out)
    assert run(OPTIMIZER, "--out", out) == c.EXIT_OK
    assert _run_id(out) != first
    assert _visible(out) == {
        c.LOTS_FILE, c.ALLOCATIONS_FILE, c.DEMAND_FILE, c.SUMMARY_FILE,
        c.EXPIRY_RISK_FILE, c.RISK_BY_PERIOD_FILE,
    }  # fmt: skip
    items = {r[c.ITEM] for r in read_rows(OPTIMIZER / "inventory.csv")}
    assert {r[c.ITEM] for r in read_rows(out / c.LOTS_FILE)} == items
    # Only the current run's folder is kept.
    assert [p.name for p in (out / STATE_DIR / "runs").iterdir()] == [_run_id(out)]


def test_the_summary_names_the_run_and_every_file_by_its_sha256(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(FORUM, "--out", out, "--anaplan") == c.EXIT_OK
    summary = json.loads((out / c.SUMMARY_FILE).read_text(encoding="utf-8"))
    files = summary["output"]["files"]
    assert set(files) == set(snapshot(out)) - {c.SUMMARY_FILE}
    for name, digest in files.items():
        assert outfolder.sha256_of(out / name) == digest
    manifest = json.loads((out / c.ANAPLAN_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == summary["output"]["run_id"]


@POSIX_ONLY
def test_a_run_killed_while_writing_leaves_the_previous_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(FORUM, "--out", out) == c.EXIT_OK
    before, before_id = snapshot(out), _run_id(out)
    inventory, demand = _big_scenario(tmp_path, lots=300_000)
    args = ["run", str(inventory), str(demand), "--out", str(out), "--format", "forum", "--quiet"]
    with _child(args) as process:
        try:
            staging = _wait_for_a_staged_file(out, process)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert staging.is_dir()
    assert snapshot(out) == before and _run_id(out) == before_id
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
def test_a_run_killed_at_the_switch_leaves_the_previous_run_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(OPTIMIZER, "--out", out) == c.EXIT_OK
    before, before_id = snapshot(out), _run_id(out)
    args = ["run", str(FORUM), "--out", str(out), "--quiet"]  # forum.csv is new to the folder
    with _child(args, _KILL_ON_REPLACE.format(name=CURRENT)) as process:
        process.wait(timeout=120)
    assert process.returncode == -signal.SIGKILL
    assert snapshot(out) == before and _run_id(out) == before_id
    assert c.FORUM_FILE not in _visible(out)  # linked ahead of the switch, it points nowhere yet
    assert run(FORUM, "--out", out) == c.EXIT_OK
    assert c.FORUM_FILE in _visible(out) and _run_id(out) != before_id


@POSIX_ONLY
def test_a_run_killed_after_the_switch_leaves_its_own_run_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(FORUM, "--out", out) == c.EXIT_OK
    first = _run_id(out)
    args = ["run", str(OPTIMIZER), "--out", str(out), "--quiet"]
    with _child(args, _KILL_ON_CLEANUP) as process:
        process.wait(timeout=120)
    assert process.returncode == -signal.SIGKILL
    now = _run_id(out)
    assert now != first
    assert c.FORUM_FILE not in _visible(out)  # the first run's file no longer shows
    summary = json.loads((out / c.SUMMARY_FILE).read_text(encoding="utf-8"))
    assert set(summary["output"]["files"]) | {c.SUMMARY_FILE} == set(snapshot(out))
    assert run(OPTIMIZER, "--out", out) == c.EXIT_OK
    assert len(list((out / STATE_DIR / "runs").iterdir())) == 1


# --- two runs into one folder -------------------------------------------------------------------


_SLOW_WRITE = """
import time
from consumption.io import write
_write_csv = write.write_csv
def _slow(*args, **kwargs):
    time.sleep(0.5)
    return _write_csv(*args, **kwargs)
write.write_csv = _slow
import consumption.outputs.result as result
result.write_csv = _slow
"""


@POSIX_ONLY
def test_a_second_run_waits_for_the_first_and_the_folder_holds_one_of_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = ["run", str(OPTIMIZER), "--out", str(out), "--quiet"]
    with _child(args, _SLOW_WRITE) as first:
        deadline = time.monotonic() + 60
        while not staging_folders(out) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert staging_folders(out), "the first run never started writing"
        assert run(FORUM, "--out", out) == c.EXIT_OK
        first.wait(timeout=120)
    assert first.returncode == 0
    assert "is writing to" in capsys.readouterr().err
    # The second run started after the first had finished: its outputs are current, whole.
    assert c.FORUM_FILE in _visible(out)
    summary = json.loads((out / c.SUMMARY_FILE).read_text(encoding="utf-8"))
    assert set(summary["output"]["files"]) | {c.SUMMARY_FILE} == set(snapshot(out))
    assert staging_folders(out) == []


@POSIX_ONLY
def test_a_run_that_cannot_get_the_folder_fails_clearly(tmp_path: Path) -> None:
    import consumption

    out = tmp_path / "out"
    (out / STATE_DIR).mkdir(parents=True)
    result = consumption.allocate(
        consumption.read_inventory(FORUM / "inventory.csv"),
        consumption.read_demand(FORUM / "demand.csv"),
    )
    with open(out / STATE_DIR / LOCK_FILE, "w") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        told: list[str] = []
        with pytest.raises(consumption.errors.OutputLockedError, match="still writing to"):
            result.write(out, lock_timeout=0.3, on_wait=told.append)
    assert told and "waiting for it" in told[0]
    assert not (out / c.LOTS_FILE).exists()


# --- the user's files, and errors that name the folder ------------------------------------------


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
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert run(inventory, demand, "--out", folder / ".." / "plan") == c.EXIT_BAD_INPUT
    assert "would overwrite the input file" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before


def test_what_stands_where_an_output_goes_is_moved_aside_not_lost(tmp_path: Path) -> None:
    """An older version's plain files, or a folder of the user's, with an output's name."""
    out = tmp_path / "out"
    (out / c.ANAPLAN_DIR).mkdir(parents=True)
    (out / c.ANAPLAN_DIR / "notes.txt").write_text("mine", encoding="utf-8")
    (out / c.LOTS_FILE).write_text("item,lot\nOLD,1\n", encoding="utf-8")
    (out / "unrelated.txt").write_text("keep", encoding="utf-8")
    assert run(FORUM, "--out", out, "--anaplan") == c.EXIT_OK
    assert read_rows(out / c.LOTS_FILE)[0][c.LOT] == "1234"
    aside = list((out / STATE_DIR / REPLACED_DIR).rglob("*"))
    assert {p.name for p in aside if p.is_file()} == {"notes.txt", c.LOTS_FILE}
    assert (out / "unrelated.txt").read_text(encoding="utf-8") == "keep"


def test_an_out_that_is_a_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "out").write_text("x", encoding="utf-8")
    assert run(FORUM, "--out", tmp_path / "out") == c.EXIT_BAD_INPUT
    assert "is a file, not a folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (errno.ENOSPC, "No space left on device"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "you may not write there"),
    ],
)
def test_write_errors_name_the_out_folder_and_leave_no_empty_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    code: int, says: str,
) -> None:  # fmt: skip
    import consumption.outputs.result as result

    def failing(path: Path, *args: Any, **kwargs: Any) -> None:
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(result, "write_csv", failing)
    out = tmp_path / "new" / "out"
    assert run(FORUM, "--out", out) == c.EXIT_FAILURE
    err = capsys.readouterr().err
    assert f"cannot write the outputs to {out}" in err and says in err
    assert ".staging" not in err and not out.exists()


def test_a_failed_run_into_a_folder_with_outputs_keeps_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert run(FORUM, "--out", out) == c.EXIT_OK
    before = snapshot(out)
    import consumption.outputs.result as result

    def failing(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(result, "write_csv", failing)
    assert run(FORUM, "--out", out) == c.EXIT_FAILURE
    assert snapshot(out) == before
    assert staging_folders(out) == []


def test_reading_through_current_sees_one_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(FORUM, "--out", out) == c.EXIT_OK
    folder = current_folder(out)
    assert folder.parent.name == "runs" and folder.name == _run_id(out)
    assert (folder / c.LOTS_FILE).read_bytes() == (out / c.LOTS_FILE).read_bytes()


def test_bundled_scenarios_write_into_their_own_folder() -> None:
    import tomllib

    for folder in sorted((ROOT / "scenarios").iterdir()):
        if (folder / "scenario.toml").is_file():
            options = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
            assert options["run"].get("out") == "out", folder.name
