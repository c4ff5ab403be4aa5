"""``consumption pull`` against the stand-in Anaplan: export actions, their tasks, chunked
downloads in pages, and the engine reading byte for byte what the model exported."""

from __future__ import annotations

import hashlib
import json
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
from support.anaplan_stand_in import MODEL, Fault, Running, StandIn

from consumption import constants as C
from consumption.cli import main


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
def stand_in(pki: dict[str, Any]) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(**options: Any) -> Running:
        exports = {INVENTORY_EXPORT: INVENTORY, DEMAND_EXPORT: DEMAND, LANES_EXPORT: LANES}
        options = {"exports": exports, "export_chunk_bytes": 16, "page_size": 3} | options
        running = Running(StandIn(certificate=pki["cert"], **options))
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def test_pull_writes_what_the_exports_wrote_and_the_engine_reads_it_byte_for_byte(
    stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    faults = [
        Fault("GET", rf"/files/{INVENTORY_EXPORT}/chunks/2$", 503),
        Fault("GET", rf"/files/{DEMAND_EXPORT}/chunks/1$", "drop"),
        Fault("GET", rf"/files/{DEMAND_EXPORT}/chunks/3$", "expire"),  # token dies mid-pull
    ]
    running = stand_in(faults=faults)
    config = pull_config(tmp_path / "anaplan.toml", running, pki)
    into = tmp_path / "inputs"
    assert main(["pull", "--config", str(config), "--into", str(into)]) == C.EXIT_OK
    assert all(f.fired for f in faults)
    state = running.state
    assert state.problems == []
    assert state.task_starts == [INVENTORY_EXPORT, DEMAND_EXPORT, LANES_EXPORT]  # once each
    assert state.unauthorized == 1
    for name, content in (("inventory", INVENTORY), ("demand", DEMAND), ("lanes", LANES)):
        assert (into / f"{name}.csv").read_bytes() == content
    record = json.loads((into / C.PULL_FILE).read_text())
    files = {f["table"]: f for f in record["files"]}
    assert files["inventory"]["sha256"] == hashlib.sha256(INVENTORY).hexdigest()
    assert files["inventory"]["chunks"] == -(-len(INVENTORY) // 16)  # every page of the list
    assert [files[t]["rows"] for t in ("inventory", "demand", "lanes")] == [4, 3, 2]
    assert files["demand"]["export_id"] == DEMAND_EXPORT
    assert files["demand"]["task_id"] in state.tasks
    printed = capsys.readouterr().out
    assert f"pulled inventory.csv from export {INVENTORY_EXPORT}" in printed
    assert f"pulled 3 table(s) from model {MODEL}" in printed
    # The folder is a scenario: the engine reads it with the column maps pull used.
    out = tmp_path / "out"
    assert main(["run", str(into), "--out", str(out), "--quiet"]) == C.EXIT_OK
    summary = json.loads((out / C.SUMMARY_FILE).read_text())
    read = {name: entry["sha256"] for name, entry in summary["run"]["inputs"].items()}
    assert read["inventory"] == hashlib.sha256(INVENTORY).hexdigest()
    assert read["demand"] == hashlib.sha256(DEMAND).hexdigest()
    assert read["lanes"] == hashlib.sha256(LANES).hexdigest()


def test_a_file_the_engine_refuses_changes_nothing_and_is_kept_aside(
    stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    into = tmp_path / "inputs"
    running = stand_in()
    config = pull_config(tmp_path / "anaplan.toml", running, pki)
    assert main(["pull", "--config", str(config), "--into", str(into), "--quiet"]) == C.EXIT_OK
    bad = DEMAND.replace(b"L2,A,P1,270,3000", b"L2,A,P1,270,3.000,5")
    running.state.exports[DEMAND_EXPORT] = bad
    assert main(["pull", "--config", str(config), "--into", str(into)]) == C.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    kept = into / "demand.rejected.csv"
    assert f"export {DEMAND_EXPORT} (kept as {kept})" in err
    assert kept.read_bytes() == bad
    # The previous pull is still the current one, whole.
    assert (into / "demand.csv").read_bytes() == DEMAND
    assert (into / "inventory.csv").read_bytes() == INVENTORY


def test_a_failed_export_exits_1_and_writes_nothing(
    stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = stand_in(failing_exports={DEMAND_EXPORT})
    config = pull_config(tmp_path / "anaplan.toml", running, pki)
    into = tmp_path / "inputs"
    assert main(["pull", "--config", str(config), "--into", str(into)]) == C.EXIT_FAILURE
    err = capsys.readouterr().err
    assert f"export {DEMAND_EXPORT} (demand) failed" in err
    assert "no such view" in err
    assert not into.exists()
    # The demand export failed: lanes were never asked for.
    assert running.state.task_starts == [INVENTORY_EXPORT, DEMAND_EXPORT]


def test_a_hostile_chunk_id_reaches_no_url(
    stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys, monkeypatch
) -> None:
    running = stand_in()
    original = running.state._page

    def hostile(key: str, entries: list[dict[str, Any]], offset: int) -> tuple[int, Any]:
        if key == "chunks":
            entries = [{"id": "../../../auth/token/logout"}]
        return original(key, entries, offset)

    monkeypatch.setattr(running.state, "_page", hostile)
    config = pull_config(tmp_path / "anaplan.toml", running, pki)
    assert main(["pull", "--config", str(config), "--into", str(tmp_path / "in")]) == 1
    assert "where a chunk ID (digits) belongs" in capsys.readouterr().err
    assert not [r for r in running.state.requests if "logout" in r[1] and r[0] == "GET"]


@pytest.mark.parametrize(
    ("extra", "tables", "message"),
    [
        ("", ("inventory",), "no [anaplan.pull.demand] table"),
        ('\n[anaplan.pull.stock]\nexport_id = "116000000009"\n', ("inventory", "demand"),
         "[anaplan.pull.stock] is not a table pull writes"),
        ('\n[anaplan.run]\nout = "x"\n', ("inventory", "demand"), "out cannot be set here"),
        ('\n[anaplan.run]\norder = "fast"\n', ("inventory", "demand"), "order = 'fast'"),
    ],
)  # fmt: skip
def test_configuration_problems_exit_2(
    extra: str, tables: tuple[str, ...], message: str, pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = Running(StandIn(certificate=pki["cert"]))
    try:
        config = pull_config(tmp_path / "a.toml", running, pki, tables, extra)
        assert main(["pull", "--config", str(config), "--into", str(tmp_path / "i")]) == 2
    finally:
        running.stop()
    assert message in capsys.readouterr().err


def test_an_import_id_where_the_export_id_belongs_is_refused(
    pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = Running(StandIn(certificate=pki["cert"]))
    try:
        config = pull_config(tmp_path / "a.toml", running, pki)
        config.write_text(config.read_text().replace(INVENTORY_EXPORT, "112000000001"))
        assert main(["pull", "--config", str(config)]) == C.EXIT_BAD_INPUT
    finally:
        running.stop()
    assert "is not an export ID (12 digits starting with 116)" in capsys.readouterr().err
    assert running.state.requests == []


def test_a_configuration_that_only_pulls_cannot_push(
    pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = Running(StandIn(certificate=pki["cert"]))
    try:
        config = pull_config(tmp_path / "a.toml", running, pki)
        assert main(["push", str(tmp_path), "--config", str(config)]) == C.EXIT_BAD_INPUT
    finally:
        running.stop()
    assert "no [[anaplan.load]] entries" in capsys.readouterr().err
    assert running.state.requests == []
