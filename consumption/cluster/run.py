"""``consumption run --workers N`` / ``--cluster ADDRESS``: one run spread over Dask workers.

The run, step by step, none of which gathers a table on the client:

1. Every input file is one part (a Parquet dataset's files, a folder or glob
   of CSV files, workbooks): each is read and checked on a worker by the
   single-machine reader, so a problem names its file and line exactly as a
   single-machine run does. Each row keeps its file and data row
   (``_file``, ``_row``) and gets its bucket, a hash of its item.
2. The client learns only small facts: each part's columns, row count, last
   due date and the decimals its quantities need.
3. Both tables are shuffled by Dask on the bucket with the same number of
   partitions and the same hash, so partition *i* of the lots and of the
   demand hold the same items. Each partition reports its buckets, and the
   client checks that no bucket reached two partitions.
4. Each partition is allocated by :func:`consumption.api.allocate` (greedy or
   LP, the LP with its own time limit) with the run's options, lanes and
   tables, which travel to every worker once; its outputs are written by the
   worker as parts of Parquet datasets (``lots/``, ``allocations/``,
   ``demand/``, ``expiry_risk/``, ``risk_by_period/``) into the run folder,
   which every worker must see (a shared file system; on a ``LocalCluster``
   it is local).
5. The client merges the partitions' summaries into one ``summary.json`` and
   makes the run folder current (:mod:`consumption.io.outfolder`): a failed
   partition fails the run, naming its items, and nothing becomes current.

A worker lost mid-run is replaced by Dask and its tasks run again; a part
file written twice is written whole each time (a temporary name, then a
rename), so the outputs stay complete and identical.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from consumption import constants as C
from consumption.cluster import missing_extra
from consumption.errors import (
    ConsumptionError,
    InputError,
    PartitionError,
    Problem,
    StrictStopError,
    UsageError,
)

try:
    import dask
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster
except ImportError as error:  # the cluster extra is not installed
    raise missing_extra(error) from error

from consumption.io import schema as s
from consumption.io.formats import FileOptions
from consumption.io.lines import merge_errors
from consumption.io.outfolder import publishing, sha256_of
from consumption.io.read import read_table
from consumption.io.validate import ATTR_ROWS, Finding
from consumption.io.write import write_json
from consumption.outputs.result import output_record

# Dask says so at the level of a warning each time a shuffle starts and ends: not news here.
logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)

# Columns a part carries through the shuffle: its file, its data row there, its bucket.
FILE, ROW, BUCKET = "_file", "_row", "_bucket"
HELPERS: Final = (FILE, ROW, BUCKET)
PART_SUFFIXES: Final = (".parquet", ".csv", ".xlsx", ".xlsm", ".xls", ".ods")
DATASETS: Final = ("lots", "allocations", "demand", "expiry_risk", "risk_by_period")
RETRIES: Final = 3  # a task whose worker died runs again, up to this many times
# Buckets per partition: Dask hashes the bucket once more to pick its partition, and with
# as many buckets as partitions two would often share one, leaving another empty.
BUCKETS_PER_PARTITION: Final = 64


@dataclass(frozen=True)
class Plan:
    """What every partition's allocation needs besides its lots and lines; sent once."""

    as_of: str | None = None
    order: str = C.ORDER_REQUIREMENT
    engine: str = C.ENGINE_GREEDY
    horizon_end: str | None = None
    prefer: str | None = None
    solver: str | None = None
    time_limit: float | None = None
    lanes: pd.DataFrame | None = None
    mrsl: pd.DataFrame | None = None
    items: pd.DataFrame | None = None
    inventory_files: tuple[str, ...] = ()
    demand_files: tuple[str, ...] = ()
    line_offsets: tuple[int, ...] = ()  # first global line number of each demand file, minus 1
    give_ids: bool = True  # the demand has no id: lines are numbered across its files


# --- the input files ---------------------------------------------------------------------------


def part_files(given: str | os.PathLike[str], name: str) -> list[Path]:
    """The files of one table: a file, a folder (its input files, sorted) or a glob pattern."""
    path = Path(given)
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in PART_SUFFIXES)
    else:
        found = sorted(Path(p) for p in glob.glob(str(given)) if Path(p).is_file())
    if not found:
        raise UsageError(
            f"the {name} {given} names no input files: give a file, a folder of "
            ".parquet/.csv files, or a pattern such as 'stock/*.csv'"
        )
    return found


def bucket_of(items: pd.Series, buckets: int) -> np.ndarray:
    """A bucket per row from its item: the same item, the same bucket, in every process."""
    hashed = pd.util.hash_pandas_object(items.astype(object), index=False).to_numpy()
    return (hashed % np.uint64(buckets)).astype(np.int64)


def _read_part(
    path: str, table_name: str, options: FileOptions | None, index: int, buckets: int
) -> pd.DataFrame:
    """One file read and checked as a single-machine run reads it, with its helper columns."""
    table = _TABLES[table_name]
    frame = read_table(path, table, options=options)
    out = pd.DataFrame({name: frame[name] for name in frame.columns})
    # Numbers travel as float64 so that every part has the schema's one dtype per column;
    # they are whole or exact in the scale, and checked again in their partition.
    for column in table.columns:
        if column.name in out and column.kind not in (s.Kind.TEXT, s.Kind.DATE):
            out[column.name] = out[column.name].to_numpy(dtype=np.float64, na_value=np.nan)
        elif column.name in out and column.kind is s.Kind.TEXT:
            out[column.name] = out[column.name].astype(object)
        elif column.name in out:
            out[column.name] = out[column.name].astype("datetime64[s]")
    out[FILE] = np.int64(index)
    out[ROW] = np.arange(len(out), dtype=np.int64)
    out[BUCKET] = bucket_of(out[C.ITEM], buckets)
    return out


_TABLES: Final = {table.name: table for table in s.TABLES}


def _facts(frame: pd.DataFrame) -> dict[str, Any]:
    """What the client needs of a part: its columns, rows and last due date."""
    due = frame[C.DUE_DATE].max() if C.DUE_DATE in frame.columns and len(frame) else None
    priorities: list[float] = []
    if C.PRIORITY in frame.columns:
        priorities = frame[C.PRIORITY].dropna().unique().tolist()
    return {
        "columns": [str(name) for name in frame.columns],
        "rows": len(frame),
        "priorities": sorted(float(p) for p in priorities),
        "due": None if due is None or pd.isna(due) else str(pd.Timestamp(due).date()),
    }


# --- one partition -----------------------------------------------------------------------------


def _allocate_partition(
    number: int, inventory: pd.DataFrame, demand: pd.DataFrame, plan: Plan, folder: str
) -> dict[str, Any] | None:
    """Allocate one partition and write its parts; return its summary (None: empty)."""
    from consumption.api import allocate

    buckets = sorted(set(inventory[BUCKET].tolist()) | set(demand[BUCKET].tolist()))
    if not len(inventory) and not len(demand):
        return None
    stock = _for_engine(inventory, plan.inventory_files)
    lines = _for_engine(demand, plan.demand_files)
    if plan.give_ids:
        offsets = np.asarray(plan.line_offsets, dtype=np.int64)
        numbers = offsets[demand[FILE].to_numpy()] + demand[ROW].to_numpy() + 1
        lines.insert(0, C.ID, numbers.astype(str))
    items = pd.concat([inventory[C.ITEM], demand[C.ITEM]])
    first, last = (str(items.min()), str(items.max())) if len(items) else ("", "")
    try:
        result = allocate(
            stock, lines, plan.lanes, as_of=plan.as_of, order=plan.order, engine=plan.engine,
            horizon_end=plan.horizon_end, solver=plan.solver, time_limit=plan.time_limit,
            prefer=plan.prefer, mrsl=plan.mrsl, items=plan.items,
        )  # fmt: skip
    except InputError:
        raise
    except ConsumptionError as error:
        raise PartitionError(
            f"partition {number} (items {first!r} to {last!r}): {error}"
        ) from error
    if plan.give_ids:  # numbered across the files: the data row a single run would give
        for numbered in (result.allocations, result.demand):
            numbered[C.LINE] = numbered[C.LINE].astype(np.int64)
    frames = {
        "lots": result.lots,
        "allocations": result.allocations,
        "demand": result.demand,
        "expiry_risk": result.expiry_risk,
        "risk_by_period": result.risk_by_period,
    }
    files = {}
    for name, frame in frames.items():
        if frame is not None:
            relative = f"{name}/part-{number:05d}.parquet"
            files[relative] = _write_part(Path(folder) / relative, frame)
    return {
        "files": files,
        "partition": number,
        "buckets": buckets,
        "items": [first, last],
        "summary": result.summary,
        "decimals": result.decimals,
    }


def _for_engine(part: pd.DataFrame, files: Sequence[str]) -> pd.DataFrame:
    """A partition's table without its helper columns; problems found in it name the file
    and data row each row came from."""
    frame = part.drop(columns=list(HELPERS)).reset_index(drop=True)
    frame.attrs[ATTR_ROWS] = _PartRows(
        tuple(files), part[FILE].to_numpy().copy(), part[ROW].to_numpy().copy()
    )
    return frame


@dataclass
class _PartRows:
    """Places of a partition's rows: the file each came from and its data row there."""

    files: tuple[str, ...]
    file: np.ndarray
    row: np.ndarray

    def problems(self, findings: list[Finding]) -> list[Problem]:
        from consumption.io.validate import OTHER

        def place(row: int) -> tuple[str, int]:
            return self.files[int(self.file[row])], int(self.row[row]) + 1

        problems = []
        for finding in findings:
            file, row = place(finding.row)
            message = finding.message
            if finding.other_row is not None:
                other_file, other_row = place(finding.other_row)
                message = message.replace(OTHER, f"{other_file}, data row {other_row}")
            problems.append(
                Problem(finding.code, message, file, None, finding.column, finding.value, row=row)
            )
        return problems


def _write_part(path: Path, frame: pd.DataFrame) -> str:
    """Write one part whole or not at all (a task run twice replaces its part); its sha256,
    hashed where it was written so that the client reads no output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".part-", dir=path.parent)
    os.close(handle)
    try:
        frame.to_parquet(temporary, index=False)
        os.chmod(temporary, 0o644)  # as any output file, not mkstemp's owner-only
        digest = sha256_of(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest


# --- the run -----------------------------------------------------------------------------------


@contextlib.contextmanager
def connect(address: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A client of the scheduler at ``address``, or of a ``LocalCluster`` of ``workers``."""
    if address is not None:
        with Client(address) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers or 2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def run(
    inventory: str | os.PathLike[str],
    demand: str | os.PathLike[str],
    out: str | os.PathLike[str],
    client: Client,
    *,
    plan: Plan | None = None,
    options: Mapping[str, FileOptions] | None = None,
    partitions: int | None = None,
    protected: Sequence[Path] = (),
    strict: bool = False,
) -> dict[str, Any]:
    """Run one allocation over the cluster ``client`` talks to; return the merged summary.

    ``plan`` holds the run's options and small tables; ``options`` each table's
    file conventions; ``partitions`` the number of item partitions (default:
    twice the workers). ``strict``: a run that warns raises
    :class:`~consumption.errors.StrictStopError` and nothing becomes current.
    """
    plan = plan or Plan()
    options = options or {}
    started = time.perf_counter()
    count = partitions or max(1, 2 * len(client.scheduler_info().get("workers", {})))
    stock_files = [str(p) for p in part_files(inventory, "inventory")]
    line_files = [str(p) for p in part_files(demand, "demand")]
    buckets = count * BUCKETS_PER_PARTITION
    stock = _read_all(client, stock_files, s.INVENTORY, options, buckets)
    lines = _read_all(client, line_files, s.DEMAND, options, buckets)
    stock_facts = client.gather(client.map(_facts, stock))
    line_facts = client.gather(client.map(_facts, lines))
    _same_columns(stock_facts, stock_files, "inventory")
    _same_columns(line_facts, line_files, "demand")
    _lp_weights_hold(plan, line_facts)
    rows = [fact["rows"] for fact in line_facts]
    offsets = tuple(int(x) for x in np.concatenate(([0], np.cumsum(rows)[:-1])))
    dues = [fact["due"] for fact in line_facts if fact["due"]]
    horizon = plan.horizon_end or (max(dues) if dues and plan.as_of else None)
    plan = dataclasses.replace(
        plan,
        inventory_files=tuple(stock_files),
        demand_files=tuple(line_files),
        line_offsets=offsets,
        give_ids=C.ID not in line_facts[0]["columns"],
        horizon_end=horizon,
    )
    shared = client.scatter(plan, broadcast=True)
    with publishing(Path(out), protected) as published:
        stock_parts = _shuffled(client, stock, count)
        line_parts = _shuffled(client, lines, count)
        tasks = [
            dask.delayed(_allocate_partition)(
                i, stock_parts[i], line_parts[i], shared, str(published.folder)
            )
            for i in range(count)
        ]
        futures = client.compute(tasks, retries=RETRIES)
        try:
            parts = [part for part in client.gather(futures) if part is not None]
        except InputError as error:
            raise merge_errors([error]) from None
        _one_partition_per_bucket(parts)
        summary = merge_summaries(
            parts, plan, stock_files, line_files, time.perf_counter() - started
        )
        if strict and summary["warnings"]:
            raise StrictStopError(summary["warnings"])
        files = dict(sorted((k, v) for part in parts for k, v in part["files"].items()))
        write_json(
            published.folder / C.SUMMARY_FILE,
            summary | {"output": output_record(published.run_id, files)},
        )
    return summary


def _read_all(
    client: Client,
    files: list[str],
    table: s.Table,
    options: Mapping[str, FileOptions],
    buckets: int,
) -> list[Any]:
    """Futures of every file of a table read on the workers; all their problems at once."""
    futures = client.map(
        _read_part,
        files,
        [table.name] * len(files),
        [options.get(table.name)] * len(files),
        list(range(len(files))),
        [buckets] * len(files),
        retries=RETRIES,
    )
    errors: list[InputError] = []
    for future in futures:
        try:
            future.result()
        except InputError as error:
            errors.append(error)
    if errors:
        raise merge_errors(errors)
    return list(futures)


def _lp_weights_hold(plan: Plan, facts: list[dict[str, Any]]) -> None:
    """The LP weighs a line by its priority class among the classes its instance holds; a
    partition that lacks a class would weigh the others differently from a single run."""
    classes = {p for fact in facts for p in fact["priorities"]}
    if plan.engine == C.ENGINE_LP and len(classes) > 1:
        raise UsageError(
            f"the demand has {len(classes)} priority classes: the LP on a cluster would weigh "
            "them per partition, unlike one run; run --engine lp on one machine, or the "
            "greedy on the cluster"
        )


def _same_columns(facts: list[dict[str, Any]], files: list[str], name: str) -> None:
    first = facts[0]["columns"]
    for fact, file in zip(facts[1:], files[1:], strict=True):
        if fact["columns"] != first:
            raise UsageError(
                f"the {name} files differ in their columns: {files[0]} has "
                f"{', '.join(c for c in first if not c.startswith('_'))}, {file} has "
                f"{', '.join(c for c in fact['columns'] if not c.startswith('_'))}; "
                "give every part the same columns"
            )


def _shuffled(client: Client, parts: list[Any], count: int) -> list[Any]:
    """The table as ``count`` delayed partitions, shuffled on the bucket of each row's item."""
    # Only the empty frame of the first part travels to the client, for its columns and dtypes.
    meta = dd.utils.make_meta(client.submit(_no_rows, parts[0]).result())
    frame = dd.from_delayed(parts, meta=meta, verify_meta=False)
    return list(frame.shuffle(on=BUCKET, npartitions=count).to_delayed())


def _no_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[:0]


def _one_partition_per_bucket(parts: list[dict[str, Any]]) -> None:
    """The guard against a silently wrong run: no item may reach two partitions."""
    seen: dict[int, int] = {}
    for part in parts:
        for bucket in part["buckets"]:
            if seen.setdefault(bucket, part["partition"]) != part["partition"]:
                raise PartitionError(
                    f"bucket {bucket} reached partitions {seen[bucket]} and {part['partition']}: "
                    "the shuffle did not keep items together; nothing was written"
                )


# --- one summary -------------------------------------------------------------------------------


def _add(into: dict[str, Any], more: Mapping[str, Any]) -> None:
    """Sum numbers (exact: ints and Decimals) and nested tables of numbers."""
    for key, value in more.items():
        if isinstance(value, Mapping):
            _add(into.setdefault(key, {}), value)
        elif isinstance(value, bool) or value is None or isinstance(value, str):
            into.setdefault(key, value)
        elif isinstance(value, int | float | Decimal):
            current = into.get(key)
            into[key] = value if current is None else current + value


def merge_summaries(
    parts: list[dict[str, Any]],
    plan: Plan,
    inventory_files: list[str],
    demand_files: list[str],
    wall_s: float,
) -> dict[str, Any]:
    """One ``summary.json`` from the partitions': totals and counts summed, exactly."""
    totals: dict[str, Any] = {}
    counts: dict[str, Any] = {}
    risk: dict[str, Any] = {}
    warnings: list[dict[str, str]] = []
    lp: list[dict[str, Any]] = []
    for part in sorted(parts, key=lambda p: p["partition"]):
        summary = part["summary"]
        _add(totals, {k: v for k, v in summary["totals"].items() if k != "fill_rate"})
        _add(counts, {k: v for k, v in summary["counts"].items() if k != "passes"})
        counts["passes"] = max(counts.get("passes", 0), summary["counts"].get("passes", 0))
        if summary.get("risk"):
            _add(risk, summary["risk"])
        warnings += [w for w in summary.get("warnings", []) if w not in warnings]
        if summary.get("lp") is not None:
            lp.append({"partition": part["partition"], **summary["lp"]})
    demand = totals.get("demand") or 0
    totals["fill_rate"] = (
        round(float(totals.get("filled", 0)) / float(demand), 6) if demand else None
    )
    if isinstance(risk.get("at_risk_value"), float):
        risk["at_risk_value"] = round(risk["at_risk_value"], 2)
    run: dict[str, Any] = {
        "as_of": plan.as_of,
        "horizon_end": plan.horizon_end,
        "order": plan.order,
        "engine": plan.engine,
        "solver": plan.solver,
        "partitions": len(parts),
        "inputs": {
            "inventory": [{"path": p} for p in inventory_files],
            "demand": [{"path": p} for p in demand_files],
        },
    }
    merged: dict[str, Any] = {"run": run, "warnings": warnings, "totals": totals, "counts": counts}
    if risk:
        merged["risk"] = risk
    if lp:
        merged["lp"] = {"partitions": lp}
    merged["timings"] = {"wall_s": round(wall_s, 3)}
    return merged


__all__ = ["Plan", "bucket_of", "connect", "merge_summaries", "part_files", "run"]
