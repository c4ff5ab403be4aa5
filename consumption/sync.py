"""``consumption sync``: pull → run → push, one job a scheduler can run every night.

Under ``--work DIR``::

    DIR/
      .sync-<model>.lock           held while a sync of that model runs
      batches/<batch id>/
        inputs/                    what pull fetched (a scenario folder)
        out/                       the run's outputs and its Anaplan export
        sync.json                  the batch: each stage's outcome, times, run id
      latest -> batches/<batch id> the last batch that pushed whole

Why it is built like this:

* **One sync per model at a time.** A second sync of the same model (a cron
  run that overlaps a slow one) finds the lock held and exits with
  :data:`~consumption.constants.EXIT_BUSY` at once, touching nothing: two
  pushes into one model would interleave their imports.
* **A folder per batch.** A failed batch keeps its inputs, outputs and dumps
  to look at; the next one starts clean. ``keep_runs`` batch folders are
  kept (the oldest go first), so the disk does not fill over months.
* **Exit codes by stage.** Bad input or configuration exits 2 (a retry does
  not help); a failure of pull, run or push exits 10, 11 or 12; the lock
  held, 75. Each stage prints one line, whatever happened.

The run takes its options from ``[anaplan.run]`` (written into the pulled
``scenario.toml``); a run without ``as_of`` plans from today (UTC), as a
nightly run means.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from consumption import constants as C
from consumption.anaplan import export, pull, push
from consumption.anaplan.auth import BasicAuth, CertificateAuth, Warn, warn_on_stderr
from consumption.anaplan.config import PushConfig, needs_loads, needs_pulls
from consumption.api import allocate
from consumption.errors import (
    ConsumptionError,
    InputError,
    StrictStopError,
    SyncBusyError,
    SyncStageError,
    UsageError,
)
from consumption.io import scenario as scenario_files
from consumption.io.read import read_inputs

try:  # POSIX: locks that die with their process
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

STAGE_PULL, STAGE_RUN, STAGE_PUSH = "pull", "run", "push"
STAGE_CODES: Final = {
    STAGE_PULL: C.EXIT_PULL_FAILED,
    STAGE_RUN: C.EXIT_RUN_FAILED,
    STAGE_PUSH: C.EXIT_PUSH_FAILED,
}
INPUTS_DIR, OUT_DIR = "inputs", "out"
# A batch folder's name: a batch id (batch_id()); nothing else is ever deleted.
_BATCH: Final = re.compile(r"[0-9]{8}T[0-9]{6}\.[0-9]{6}Z-[0-9a-f]{8}")


def batch_id(now: dt.datetime | None = None) -> str:
    """A batch id that sorts by time to the microsecond (two syncs a second apart, or
    less, must still be pruned oldest first) and never repeats.

    >>> batch_id(dt.datetime(2026, 12, 2, 2, 30, 0, 15, tzinfo=dt.UTC))[:23]
    '20261202T023000.000015Z'
    """
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{moment:%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(4)}"


@dataclass
class Batch:
    """One sync: its id, its folder and what each stage said."""

    batch_id: str
    folder: Path
    stages: list[dict[str, Any]] = field(default_factory=list)


def sync(
    work: str | Path,
    config: PushConfig,
    say: Callable[[str], None] = print,
    auth: CertificateAuth | BasicAuth | None = None,
    warn: Warn = warn_on_stderr,
    today: dt.date | None = None,
) -> Batch:
    """Pull, run and push once, in a new batch folder under ``work``; raise
    :class:`SyncStageError` (with the stage's exit code) on the first failed stage."""
    needs_pulls(config)
    needs_loads(config)
    work = Path(work)
    with _model_lock(work, config.model):
        new = batch_id()
        batch = Batch(new, work / C.SYNC_BATCHES_DIR / new)
        batch.folder.mkdir(parents=True)
        try:
            auth = auth or push.make_auth(config, warn)  # once: both stages sign with it
            inputs, out = batch.folder / INPUTS_DIR, batch.folder / OUT_DIR
            quiet: Callable[[str], None] = lambda _: None  # noqa: E731 - one line per stage

            def pulled() -> str:
                tables = pull.pull(inputs, config, say=quiet, auth=auth, warn=warn)
                rows = sum(p.rows for p in tables)
                return f"{len(tables)} table(s), {rows:,} rows"

            def ran() -> str:
                return _run(inputs, out, config, today or dt.datetime.now(dt.UTC).date())

            def pushed() -> str:
                loads = push.push(out, config, say=quiet, auth=auth, warn=warn)
                return f"{len(loads)} load(s) to model {config.model}"

            for stage, action in ((STAGE_PULL, pulled), (STAGE_RUN, ran), (STAGE_PUSH, pushed)):
                _stage(batch, stage, action, say)
            _link_latest(work, batch)
        finally:
            _record(batch)
            _prune(work / C.SYNC_BATCHES_DIR, config.keep_runs, keep=batch.batch_id)
    return batch


def _stage(batch: Batch, stage: str, action: Callable[[], str], say: Callable[[str], None]) -> None:
    """Run one stage and say, in one line, how it ended."""
    started = time.monotonic()
    try:
        what = action()
    except (ConsumptionError, OSError) as error:
        code = _code(stage, error)
        seconds = time.monotonic() - started
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        batch.stages.append({"stage": stage, "ok": False, "exit_code": code, "error": str(error),
                             "seconds": round(seconds, 3)})  # fmt: skip
        say(f"{stage}: failed (exit {code}) after {seconds:.1f} s: {first}")
        raise SyncStageError(stage, code, error) from error
    seconds = time.monotonic() - started
    batch.stages.append({"stage": stage, "ok": True, "result": what, "seconds": round(seconds, 3)})
    say(f"{stage}: ok, {what} ({seconds:.1f} s)")


def _code(stage: str, error: BaseException) -> int:
    """Bad input or configuration: 2, at any stage; a stopping --strict: 3; else the stage's."""
    if isinstance(error, InputError | UsageError):
        return C.EXIT_BAD_INPUT
    if isinstance(error, StrictStopError):
        return C.EXIT_WARNINGS
    return STAGE_CODES[stage]


def _run(inputs: Path, out: Path, config: PushConfig, today: dt.date) -> str:
    """The run of ``consumption run INPUTS --anaplan --out OUT`` with the config's options."""
    found = scenario_files.load(inputs)  # the column maps and [anaplan.run], as pull wrote them
    options = {"as_of": today.isoformat()} | found.options
    read = read_inputs(
        found.inventory, found.demand, found.lanes, progress=False, options=found.files,
        mrsl=found.mrsl, items=found.items,
    )  # fmt: skip
    result = allocate(
        read.inventory, read.demand, read.lanes, as_of=options["as_of"],
        order=options.get("order", C.ORDER_REQUIREMENT),
        engine=options.get("engine") or C.ENGINE_GREEDY,
        horizon_end=options.get("horizon_end"), solver=options.get("solver"),
        time_limit=options.get("time_limit"), progress=False, prefer=options.get("prefer"),
        mrsl=read.mrsl, items=read.items,
    )  # fmt: skip
    warnings = result.summary["warnings"]
    if warnings and options.get("strict"):
        raise StrictStopError(warnings)
    fmt = options.get("format")
    export.write(result, out, formats=(fmt,) if fmt else (), protected=found.inputs)
    counts = result.summary["counts"]
    return (
        f"as of {options['as_of']}, {counts['lots']:,} lots, {counts['demand_lines']:,} demand "
        f"lines, {counts['lines_short']:,} short"
    )


@contextlib.contextmanager
def _model_lock(work: Path, model: str) -> Iterator[None]:
    """Hold ``work/.sync-<model>.lock``, or refuse at once: a sync never waits for another."""
    work.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover - Windows: no lock
        yield
        return
    # The model ID is checked (32 hexadecimal characters): a safe file name.
    fd = os.open(work / f".sync-{model}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncBusyError(
                f"another sync of model {model} is running (it holds {work}/.sync-{model}.lock); "
                "nothing was done: run again later"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _record(batch: Batch) -> None:
    record = {
        "batch_id": batch.batch_id,
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "ok": len(batch.stages) == len(STAGE_CODES) and all(s["ok"] for s in batch.stages),
        "stages": batch.stages,
    }
    with contextlib.suppress(OSError):  # a full disk must not hide the stage's own error
        (batch.folder / C.SYNC_FILE).write_text(json.dumps(record, indent=2) + "\n", "utf-8")


def _link_latest(work: Path, batch: Batch) -> None:
    """Point ``work/latest`` at the batch, in one rename."""
    link = work / C.SYNC_LATEST
    staging = work / f".{C.SYNC_LATEST}-{batch.batch_id}"
    with contextlib.suppress(OSError):  # no links on this file system: sync.json says it all
        staging.symlink_to(Path(C.SYNC_BATCHES_DIR) / batch.batch_id)
        os.replace(staging, link)


def _prune(batches: Path, keep_runs: int, keep: str) -> None:
    """Delete the oldest batch folders beyond ``keep_runs`` (batch ids sort by time);
    ``keep`` (this batch) and whatever ``latest`` points at stay."""
    latest = (batches.parent / C.SYNC_LATEST).resolve().name
    names = sorted(p.name for p in batches.iterdir() if p.is_dir() and _BATCH.fullmatch(p.name))
    for name in names[: max(len(names) - keep_runs, 0)]:
        if name not in (keep, latest):
            shutil.rmtree(batches / name, ignore_errors=True)
