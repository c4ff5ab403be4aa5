"""The engine on a Dask ``LocalCluster`` of 2 workers, against the single-machine engine.

The oracle is :func:`consumption.allocate` on the same rows: every output row
of the cluster run (lots, allocations, demand, expiry risk) must be the
single-machine row, to the unit, whatever the number of input files and of
item partitions.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cli import ROOT
from support.strategies import dated_problems

import consumption
from consumption import constants as c
from consumption.cli import main
from consumption.cluster import run as cluster
from consumption.errors import Code, InputError, PartitionError, StrictStopError, UsageError
from consumption.io.outfolder import STATE_DIR
from consumption.io.read import read_demand, read_inventory, read_lanes

WEEKLY = ROOT / "scenarios" / "weekly-horizon"
KEYS = {
    "lots": [c.ITEM, c.LOCATION, c.LOT],
    "allocations": [c.ITEM, c.LOT, c.LOT_LOCATION, c.LINE, c.DEMAND_LOCATION],
    "demand": [c.LINE],
    "expiry_risk": [c.ITEM, c.LOCATION, c.LOT],
}


@pytest.fixture(scope="module")
def client() -> Iterator[cluster.Client]:
    with cluster.connect(workers=2) as connected:
        yield connected


def split(frame: pd.DataFrame, folder: Path, parts: int, suffix: str = "parquet") -> Path:
    """``frame`` as ``parts`` files of consecutive rows (names sort in row order)."""
    folder.mkdir(parents=True)
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), parts)):
        part = frame.iloc[rows]
        if suffix == "parquet":
            part.to_parquet(folder / f"part-{i:03d}.parquet", index=False)
        else:
            part.to_csv(folder / f"part-{i:03d}.csv", index=False)
    return folder


def comparable(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows as text in one order; numbers as floats first, since a partition that needs
    fewer decimals than the whole run holds them as integers."""
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_numeric_dtype(out[name]) and not pd.api.types.is_bool_dtype(out[name]):
            out[name] = out[name].astype("float64")
    out = out.astype(str)
    return out.sort_values(keys).reset_index(drop=True)


def assert_same(out: Path, single: consumption.Result) -> None:
    frames = {
        "lots": single.lots,
        "allocations": single.allocations,
        "demand": single.demand,
        "expiry_risk": single.expiry_risk,
    }
    for name, expected in frames.items():
        if expected is None or not len(expected):
            continue
        got = pd.read_parquet(out / name)
        pd.testing.assert_frame_equal(
            comparable(got[list(expected.columns)], KEYS[name]),
            comparable(expected, KEYS[name]),
            obj=name,
        )


def test_weekly_scenario_in_parts_gives_the_single_machine_rows(
    client: cluster.Client, tmp_path: Path
) -> None:
    inventory, demand = read_inventory(WEEKLY / "inventory.csv"), read_demand(WEEKLY / "demand.csv")
    lanes = read_lanes(WEEKLY / "lanes.csv")
    plan = cluster.Plan(as_of="2026-12-01", horizon_end="2027-11-30", lanes=lanes)
    out = tmp_path / "out"
    summary = cluster.run(
        split(pd.read_csv(WEEKLY / "inventory.csv", dtype=str), tmp_path / "inv", 3, "csv"),
        split(pd.read_csv(WEEKLY / "demand.csv", dtype=str), tmp_path / "dem", 2, "csv"),
        out, client, plan=plan, partitions=5,
    )  # fmt: skip
    single = consumption.allocate(
        inventory, demand, lanes, as_of="2026-12-01", horizon_end="2027-11-30"
    )
    assert_same(out, single)
    for key in ("demand", "filled", "short", "lot_qty", "consumed", "remaining", "fill_rate"):
        assert summary["totals"][key] == single.summary["totals"][key], key
    assert (
        summary["totals"]["remaining_by_reason"] == single.summary["totals"]["remaining_by_reason"]
    )
    assert summary["risk"]["at_risk_qty"] == single.summary["risk"]["at_risk_qty"]
    written = json.loads((out / c.SUMMARY_FILE).read_text(encoding="utf-8"))
    assert written["totals"]["filled"] == single.summary["totals"]["filled"]
    assert all(name.endswith(".parquet") for name in written["output"]["files"])


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=dated_problems(), files=st.integers(1, 3), partitions=st.integers(1, 4), data=st.data())
def test_any_partitioning_gives_the_single_machine_rows(
    client: cluster.Client,
    tmp_path_factory: pytest.TempPathFactory,
    case: object,
    files: int,
    partitions: int,
    data: st.DataObject,
) -> None:
    inventory, demand, lanes, as_of = case  # type: ignore[misc]
    if not len(inventory) or not len(demand):
        return
    folder = tmp_path_factory.mktemp("cluster")
    plan = cluster.Plan(as_of=None if as_of is None else str(as_of), lanes=lanes)
    out = folder / "out"
    cluster.run(
        split(inventory, folder / "inv", min(files, len(inventory))),
        split(demand, folder / "dem", min(files, len(demand))),
        out, client, plan=plan, partitions=partitions,
    )  # fmt: skip
    assert_same(out, consumption.allocate(inventory, demand, lanes, as_of=as_of))


def test_the_lp_on_the_cluster_fills_as_on_one_machine(
    client: cluster.Client, tmp_path: Path
) -> None:
    scenario = ROOT / "scenarios" / "optimizer-wins"
    inventory, demand = (
        read_inventory(scenario / "inventory.csv"),
        read_demand(scenario / "demand.csv"),
    )
    as_of = "2026-12-01"
    single = consumption.allocate(inventory, demand, as_of=as_of, engine=c.ENGINE_LP)
    plan = cluster.Plan(as_of=as_of, engine=c.ENGINE_LP)
    summary = cluster.run(
        scenario / "inventory.csv", scenario / "demand.csv", tmp_path / "out", client, plan=plan
    )
    assert summary["totals"]["filled"] == single.summary["totals"]["filled"]
    assert summary["lp"]["partitions"]


# --- problems, failures, warnings ----------------------------------------------------------------


def test_a_bad_part_names_its_file_and_line(client: cluster.Client, tmp_path: Path) -> None:
    parts = tmp_path / "inv"
    parts.mkdir()
    (parts / "a.csv").write_text("item,lot,qty,shelf_life\nA,L1,5,100\n", encoding="utf-8")
    (parts / "b.csv").write_text(
        "item,lot,qty,shelf_life\nB,L1,5,100\nB,L2,-1,100\n", encoding="utf-8"
    )
    demand = tmp_path / "demand.csv"
    demand.write_text("item,qty\nA,3\n", encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(InputError) as caught:
        cluster.run(parts, demand, out, client)
    assert [(p.code, p.file, p.line, p.column) for p in caught.value.problems] == [
        (Code.NEGATIVE, str(parts / "b.csv"), 3, "qty")
    ]
    assert not (out / c.SUMMARY_FILE).exists()


def test_a_lot_in_two_files_is_refused_naming_both(client: cluster.Client, tmp_path: Path) -> None:
    parts = tmp_path / "inv"
    parts.mkdir()
    (parts / "a.csv").write_text("item,lot,qty,shelf_life\nA,L1,5,100\n", encoding="utf-8")
    (parts / "b.csv").write_text(
        "item,lot,qty,shelf_life\nB,L9,5,100\nA,L1,7,100\n", encoding="utf-8"
    )
    demand = tmp_path / "demand.csv"
    demand.write_text("item,qty\nA,3\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        cluster.run(parts, demand, tmp_path / "out", client)
    [problem] = caught.value.problems
    assert (problem.code, problem.file, problem.row) == (
        Code.DUPLICATE_LOT,
        str(parts / "b.csv"),
        2,
    )
    assert f"{parts / 'a.csv'}, data row 1" in problem.message


def test_a_failed_partition_names_its_items_and_nothing_is_current(
    client: cluster.Client, tmp_path: Path
) -> None:
    scenario = ROOT / "scenarios" / "forum-example"
    out = tmp_path / "out"
    plan = cluster.Plan(engine=c.ENGINE_LP, solver="no-such-solver")
    with pytest.raises(PartitionError, match="items 'A' to 'A'"):
        cluster.run(scenario / "inventory.csv", scenario / "demand.csv", out, client, plan=plan)
    assert not (out / c.SUMMARY_FILE).exists()
    assert not (out / STATE_DIR / "current").exists()


def test_strict_stops_a_run_that_warns(client: cluster.Client, tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text("item,lot,qty,shelf_life\n000100045,L1,10,100\n", encoding="utf-8")
    demand = tmp_path / "demand.csv"
    demand.write_text("item,qty\n100045,5\n", encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(StrictStopError) as caught:
        cluster.run(inventory, demand, out, client, strict=True)
    assert [w["code"] for w in caught.value.warnings] == [Code.UNMATCHED_DEMAND]
    assert not (out / c.SUMMARY_FILE).exists()


# --- the command line ----------------------------------------------------------------------------


def test_run_with_workers_from_the_command_line(tmp_path: Path, capsys) -> None:
    scenario = ROOT / "scenarios" / "forum-example"
    out = tmp_path / "out"
    argv = ["run", str(scenario), "--workers", "2", "--out", str(out)]
    assert main([*argv, "--format", "forum"]) == c.EXIT_BAD_INPUT  # not on a cluster yet
    scenario_toml = tmp_path / "s"
    scenario_toml.mkdir()
    for name in ("inventory.csv", "demand.csv"):
        (scenario_toml / name).write_bytes((scenario / name).read_bytes())
    (scenario_toml / "scenario.toml").write_text("[cluster]\nworkers = 2\n", encoding="utf-8")
    assert main(["run", str(scenario_toml), "--out", str(out)]) == c.EXIT_OK
    printed = capsys.readouterr().out
    assert "filled 3,450 (100.0%)" in printed
    lots = pd.read_parquet(out / "lots")
    assert sorted(lots[c.CONSUMED].astype(int).tolist()) == [0, 450, 3000]


def test_a_worker_killed_mid_run_is_replaced_and_the_outputs_are_whole(tmp_path: Path) -> None:
    """Its own cluster (the module's must keep its workers): one worker is killed while it
    allocates a partition; Dask runs the lost tasks again and every row is still there."""
    rng = np.random.default_rng(5)
    lots, lines = 200_000, 40_000
    inventory = pd.DataFrame(
        {
            "item": [f"I{n:03d}" for n in rng.integers(0, 40, lots)],
            "lot": [f"L{n}" for n in range(lots)],
            "qty": rng.integers(1, 50, lots),
            "shelf_life": rng.integers(-5, 400, lots),
        }
    )
    demand = pd.DataFrame(
        {
            "item": [f"I{n:03d}" for n in rng.integers(0, 40, lines)],
            "qty": rng.integers(1, 200, lines),
            "requirement": rng.choice([90, 180, 270], lines),
        }
    )
    out = tmp_path / "out"
    results: list[dict] = []
    errors: list[BaseException] = []
    with cluster.connect(workers=2) as own:

        def work() -> None:
            stock = split(inventory, tmp_path / "inv", 2)
            lines_in = split(demand, tmp_path / "dem", 2)
            try:
                results.append(cluster.run(stock, lines_in, out, own, partitions=2))
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)

        runner = threading.Thread(target=work)
        runner.start()
        killed = None
        while runner.is_alive() and killed is None:
            for worker, keys in own.processing().items():
                if any("_allocate_partition" in str(key) for key in keys):
                    with contextlib.suppress(Exception):  # the call dies with its worker
                        own.run(os._exit, 1, workers=[worker])
                    killed = worker
                    break
            time.sleep(0.005)
        runner.join()
    assert not errors, errors
    assert killed is not None, "the run ended before a worker could be killed"
    assert_same(out, consumption.allocate(inventory, demand))


def test_the_lp_with_priorities_is_refused_on_a_cluster(
    client: cluster.Client, tmp_path: Path
) -> None:
    """Its weights follow the classes a partition holds: refused rather than different."""
    inventory = tmp_path / "inventory.csv"
    inventory.write_text("item,lot,qty,shelf_life\nA,L1,5,100\nB,L2,5,100\n", encoding="utf-8")
    demand = tmp_path / "demand.csv"
    demand.write_text("item,qty,priority\nA,3,1\nB,3,2\n", encoding="utf-8")
    plan = cluster.Plan(engine=c.ENGINE_LP)
    with pytest.raises(UsageError, match="2 priority classes"):
        cluster.run(inventory, demand, tmp_path / "out", client, plan=plan)
    summary = cluster.run(inventory, demand, tmp_path / "out", client)  # the greedy may
    assert summary["totals"]["filled"] == 6
