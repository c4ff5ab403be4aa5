"""``consumption sync`` against the stand-in Anaplan: pull from export actions, run, push
every file in order, in one batch folder, under a lock on the model."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.anaplan_inputs import (
    DEMAND,
    DEMAND_EXPORT,
    INVENTORY,
    INVENTORY_EXPORT,
    LANES,
    LANES_EXPORT,
    pull_config,
)
from support.anaplan_pki import make_pki
from support.anaplan_stand_in import MODEL, Running, StandIn

from consumption import constants as C
from consumption.cli import main
from consumption.io.outfolder import current_folder

# The export's files in load order (lists first), as manifest.json lists them.
FILES = (
    "items.csv",
    "locations.csv",
    "shelf_life_rules.csv",
    "batches.csv",
    "lots.csv",
    "demand_lines.csv",
    "lot_consumption.csv",
    "remaining_demand.csv",
    "demand_fill.csv",
    "refresh_log.csv",
)
IDS = [(name, f"1130000000{i:02d}", f"1120000000{i:02d}") for i, name in enumerate(FILES)]


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def model(pki: dict[str, Any]) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(**options: Any) -> Running:
        exports = {INVENTORY_EXPORT: INVENTORY, DEMAND_EXPORT: DEMAND, LANES_EXPORT: LANES}
        imports = {import_id: file_id for _, file_id, import_id in IDS}
        running = Running(
            StandIn(certificate=pki["cert"], exports=exports, imports=imports, **options)
        )
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def sync_config(
    path: Path,
    running: Running,
    pki: dict[str, Any],
    keep_runs: int = 7,
    actions: tuple[str, ...] = (),
) -> Path:
    loads = "".join(
        f'\n[[anaplan.load]]\nfile = "{f}"\nfile_id = "{fid}"\nimport_id = "{iid}"\n'
        for f, fid, iid in IDS
    )
    loads += "".join(f'\n[[anaplan.load]]\naction_id = "{a}"\n' for a in actions)
    run = '\n[anaplan.run]\nas_of = "2026-12-01"\n'
    config = pull_config(path, running, pki, extra=run + loads)
    text = config.read_text().replace("[anaplan]\n", f"[anaplan]\nkeep_runs = {keep_runs}\n", 1)
    config.write_text(text)
    return config


def _sync(config: Path, work: Path) -> int:
    return main(["sync", "--config", str(config), "--work", str(work)])


def test_one_sync_pulls_runs_and_pushes_every_file_byte_for_byte(
    model: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = model(page_size=2, export_chunk_bytes=20)
    work = tmp_path / "work"
    assert _sync(sync_config(tmp_path / "anaplan.toml", running, pki), work) == C.EXIT_OK
    state = running.state
    assert state.problems == []
    exports = [INVENTORY_EXPORT, DEMAND_EXPORT, LANES_EXPORT]
    assert state.task_starts == exports + [import_id for _, _, import_id in IDS]
    batch = (work / C.SYNC_LATEST).resolve()
    # What the stand-in exported is what the engine read ...
    assert (batch / "inputs" / "inventory.csv").read_bytes() == INVENTORY
    assert (batch / "inputs" / "demand.csv").read_bytes() == DEMAND
    out = current_folder(batch / "out")
    summary = json.loads((out / C.SUMMARY_FILE).read_text())
    assert summary["run"]["as_of"] == "2026-12-01"
    assert summary["counts"]["lots"] == 4
    # ... and what the engine wrote is what the stand-in imported, once each.
    for name, file_id, _ in IDS:
        assert state.completed[file_id] == [(out / C.ANAPLAN_DIR / name).read_bytes()], name
    record = json.loads((batch / C.SYNC_FILE).read_text())
    assert record["ok"] is True
    assert [s["stage"] for s in record["stages"]] == ["pull", "run", "push"]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("pull: ok, 3 table(s), 9 rows")
    assert printed[1].startswith("run: ok, as of 2026-12-01, 4 lots, 3 demand lines")
    assert printed[2].startswith(f"push: ok, {len(FILES)} load(s) to model {MODEL}")
    assert printed[3] == f"synced batch {record['batch_id']} ({work / 'batches' / batch.name})"


def test_each_sync_is_a_batch_folder_and_old_ones_go_beyond_keep_runs(
    model: Callable[..., Running], pki: dict[str, Any], tmp_path: Path
) -> None:
    running = model()
    config = sync_config(tmp_path / "anaplan.toml", running, pki, keep_runs=2)
    work = tmp_path / "work"
    batches = []
    for qty in (500, 501, 502):  # the model's data changes between syncs
        running.state.exports[INVENTORY_EXPORT] = INVENTORY.replace(b",500\n", f",{qty}\n".encode())
        assert _sync(config, work) == C.EXIT_OK
        batches.append((work / C.SYNC_LATEST).resolve().name)
        latest = work / C.SYNC_LATEST / "inputs" / "inventory.csv"
        assert f",{qty}\n".encode() in latest.read_bytes()
    assert len(set(batches)) == 3
    assert sorted(p.name for p in (work / C.SYNC_BATCHES_DIR).iterdir()) == batches[1:]
    lots = running.state.completed[IDS[3][1]]
    assert len(lots) == 3  # pushed once per sync


def test_a_second_sync_after_the_data_changed_leaves_no_stale_lot_or_line(
    model: Callable[..., Running], pki: dict[str, Any], tmp_path: Path
) -> None:
    lots_file, lines_file = IDS[FILES.index("lots.csv")][1], IDS[FILES.index("demand_lines.csv")][1]
    actions = {"117000000001": lots_file, "117000000002": lines_file}
    running = model(delete_actions=actions)
    config = sync_config(tmp_path / "a.toml", running, pki, actions=tuple(actions))
    work = tmp_path / "work"
    assert _sync(config, work) == C.EXIT_OK
    state = running.state
    assert len(state.lists[lots_file]) == 4 and len(state.lists[lines_file]) == 3
    # Lot 9876 is used up and line L3 delivered: the model exports them no more.
    state.exports[INVENTORY_EXPORT] = INVENTORY.replace(b"A,P2,9876,345,7000\n", b"")
    state.exports[DEMAND_EXPORT] = DEMAND.replace(b"L3,B,P2,100,10\n", b"")
    assert _sync(config, work) == C.EXIT_OK
    out = current_folder(work / C.SYNC_LATEST / "out") / C.ANAPLAN_DIR
    for file_id, name in ((lots_file, "lots.csv"), (lines_file, "demand_lines.csv")):
        exported = [line.split(",")[0] for line in (out / name).read_text().splitlines()[1:]]
        assert sorted(state.lists[file_id]) == sorted(exported), name  # nothing stale
    assert len(state.lists[lots_file]) == 3 and len(state.lists[lines_file]) == 2
    # The deletes run after every import, once per sync.
    starts = [s for s in state.task_starts if s.startswith("117")]
    assert starts == list(actions) * 2
    assert state.task_starts[-2:] == list(actions)
    assert state.problems == []


def test_without_the_delete_action_a_list_keeps_its_stale_items(
    model: Callable[..., Running], pki: dict[str, Any], tmp_path: Path
) -> None:
    """Why the delete action is needed: a list import adds and updates, never deletes."""
    running = model()
    config = sync_config(tmp_path / "a.toml", running, pki)
    assert _sync(config, tmp_path / "work") == C.EXIT_OK
    running.state.exports[INVENTORY_EXPORT] = INVENTORY.replace(b"A,P2,9876,345,7000\n", b"")
    assert _sync(config, tmp_path / "work") == C.EXIT_OK
    assert len(running.state.lists[IDS[FILES.index("lots.csv")][1]]) == 4


def test_a_failed_pull_exits_10_pushes_nothing_and_keeps_the_batch(
    model: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = model(failing_exports={DEMAND_EXPORT})
    work = tmp_path / "work"
    assert _sync(sync_config(tmp_path / "a.toml", running, pki), work) == C.EXIT_PULL_FAILED
    captured = capsys.readouterr()
    assert captured.out.startswith(f"pull: failed (exit {C.EXIT_PULL_FAILED})")
    assert "run:" not in captured.out
    assert f"export {DEMAND_EXPORT} (demand) failed" in captured.err
    assert running.state.completed == {}
    assert not (work / C.SYNC_LATEST).exists()
    (batch,) = (work / C.SYNC_BATCHES_DIR).iterdir()
    record = json.loads((batch / C.SYNC_FILE).read_text())
    assert record["ok"] is False
    assert record["stages"][0]["exit_code"] == C.EXIT_PULL_FAILED


def test_bad_pulled_data_exits_2(
    model: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = model()
    running.state.exports[DEMAND_EXPORT] = DEMAND.replace(b"L1,A,P1,180,450", b"L1,A,P1,180,lots")
    work = tmp_path / "work"
    assert _sync(sync_config(tmp_path / "a.toml", running, pki), work) == C.EXIT_BAD_INPUT
    assert "pull: failed (exit 2)" in capsys.readouterr().out
    assert running.state.completed == {}


def test_a_failed_import_exits_12(
    model: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = model(failing={IDS[6][2]})
    work = tmp_path / "work"
    assert _sync(sync_config(tmp_path / "a.toml", running, pki), work) == C.EXIT_PUSH_FAILED
    out = capsys.readouterr().out
    assert "run: ok" in out and f"push: failed (exit {C.EXIT_PUSH_FAILED})" in out


def test_a_second_sync_of_the_model_exits_75_at_once(
    model: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = model()
    work = tmp_path / "work"
    work.mkdir()
    fd = os.open(work / f".sync-{MODEL}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a sync in progress
        assert _sync(sync_config(tmp_path / "a.toml", running, pki), work) == C.EXIT_BUSY
    finally:
        os.close(fd)
    assert "another sync of model" in capsys.readouterr().err
    assert running.state.requests == []
    assert not (work / C.SYNC_BATCHES_DIR).exists()
