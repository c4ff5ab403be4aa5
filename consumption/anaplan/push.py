"""``consumption push``: load an Anaplan export into a model with the bulk API v2 (SPEC §7).

Before anything is uploaded, the model's files are listed and each load's
file checked: it must exist (a POST to any other ID would create a new
private file) and be set up as the export is written (UTF-8, comma, ``"``,
header on row 1). For each load in order: upload the file in chunks, run its
import or process, poll the task until it ends; a failed task, or one whose
rows were rejected or ignored (``details[].values``), leaves its failure dump
in ``OUT/anaplan/dumps/`` and stops the push with :class:`AnaplanTaskError`.

Retries, token refresh and the rule that an import never runs twice live in
:mod:`consumption.anaplan.http` and :mod:`consumption.anaplan.client`.

Tokens are refreshed before they expire; an answer 401 in the middle of a
push (the token expired or was revoked) authenticates anew and repeats the
request once. Tokens and credentials never appear in messages.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from consumption import constants as C
from consumption.anaplan import ids
from consumption.anaplan.auth import BasicAuth, CertificateAuth, Warn, warn_on_stderr
from consumption.anaplan.client import BulkClient
from consumption.anaplan.config import AUTH_BASIC, Load, PushConfig, needs_loads
from consumption.anaplan.http import Scrub
from consumption.anaplan.manifest import MANIFEST_FILE, read_manifest
from consumption.errors import (
    AnaplanConfigError,
    AnaplanModelError,
    AnaplanTaskError,
    ExportChangedError,
)
from consumption.io.outfolder import current_folder, sha256_of

MAX_CHUNKS: Final = 1000  # per file, Anaplan's limit
DUMPS_DIR: Final = "dumps"
# How the export is written (consumption.io.write), as Anaplan's file list spells it:
# (key, value, what a planner sets in Anaplan).
EXPORT_FORMAT: Final = (
    ("encoding", "UTF-8", "encoding UTF-8"),
    ("separator", ",", "column separator comma"),
    ("delimiter", '"', 'text delimiter "'),
    ("headerRow", 1, "header row 1"),
    ("firstDataRow", 2, "first data row 2"),
)
# The row counts of a task's details[].values, e.g. "Number of rows ignored: 2".
ROWS_SUCCESSFUL, ROWS_FAILED, ROWS_WARNED, ROWS_IGNORED = (
    "successful",
    "with errors",
    "with warnings",
    "ignored",
)
_ROWS: Final = re.compile(
    r"\s*Number of rows (successful|with errors|with warnings|ignored)\s*:\s*([0-9]+)\s*",
    re.IGNORECASE,
)
# How messages name the action a load runs, by its URL segment.
_KIND_NAMES: Final = {"imports": "import", "processes": "process", "actions": "action"}
# Dump names: made only of checked IDs (see BulkClient.dumps).
_DUMP_NAME: Final = re.compile(r"(import|process)(-[0-9A-Fa-f]+){2,3}\.csv")


@dataclass(frozen=True)
class LoadReport:
    """What one load did: for the summary printed after a push."""

    load: Load
    chunks: int = 0
    sent_bytes: int = 0
    task_id: str | None = None
    state: str | None = None
    rows: dict[str, int] = field(default_factory=dict)  # the task's row counts, by kind


def check_loads(folder: Path, config: PushConfig) -> None:
    """Refuse, before anything is sent, a load naming a file the export does not hold,
    a file too large for the chunk size, or a file changed since the export wrote it."""
    files = read_manifest(folder)
    for load in config.loads:
        if load.file is None:
            continue
        if load.file not in files:
            raise AnaplanConfigError(
                f"load {load.file!r} is not a file of the export in {folder}; "
                f"the export holds: {', '.join(files)}"
            )
        chunks = math.ceil((folder / load.file).stat().st_size / config.chunk_bytes)
        if chunks > MAX_CHUNKS:
            raise AnaplanConfigError(
                f"{load.file} needs {chunks} chunks of {config.chunk_bytes} bytes; Anaplan "
                f"takes at most {MAX_CHUNKS} per file: raise chunk_bytes"
            )
        if sha256_of(folder / load.file) != files[load.file]["sha256"]:
            raise ExportChangedError(
                f"{folder / load.file} changed since the export wrote it (sha256 differs from "
                "manifest.json); run the export again"
            )


def check_run(out: Path, run: Path, folder: Path) -> None:
    """Refuse an export that is not the one the folder's current run wrote."""
    if not (folder / MANIFEST_FILE).is_file() or not (run / C.SUMMARY_FILE).is_file():
        raise AnaplanConfigError(
            f"{out} holds no Anaplan export; run 'consumption run ... --anaplan' first"
        )
    summary = _read_json(run / C.SUMMARY_FILE)
    current = (summary.get("output") or {}).get("run_id")
    exported = _read_json(folder / MANIFEST_FILE).get("run_id")
    if current is None or exported != current:
        raise ExportChangedError(
            f"the Anaplan export in {out} belongs to run {exported or 'unknown'}, but the "
            f"folder's current run is {current or 'unknown'}: run again with --anaplan"
        )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AnaplanConfigError(f"{path}: cannot read it ({error})") from error
    return loaded if isinstance(loaded, dict) else {}


def make_auth(config: PushConfig, warn: Warn = warn_on_stderr) -> CertificateAuth | BasicAuth:
    """The configured authentication, its files read and checked before any request."""
    if config.auth == AUTH_BASIC:
        return BasicAuth.from_environment()
    if config.certificate is None or config.private_key is None:
        raise AnaplanConfigError('auth = "certificate" needs certificate and private_key')
    return CertificateAuth.from_files(
        config.certificate, config.private_key, config.payload_format, warn=warn
    )


def check_files(files: dict[str, dict[str, Any]], config: PushConfig, scrub: Scrub) -> None:
    """Refuse a load whose file is not one of the model's (``files``, by ID), or is set
    up with another format than the export's: such an import would fail on every row,
    or load them wrongly."""
    for load in config.loads:
        if load.file_id is None:
            continue
        entry = files.get(load.file_id)
        if entry is None:
            known = ", ".join(
                f"{scrub(ids.shown(f.get('name'), 60))} {i}" for i, f in list(files.items())[:10]
            )
            raise AnaplanConfigError(
                f"{load.label}: file_id {load.file_id} is not a file of model {config.model} "
                "(Anaplan would create a new private file rather than load the import's "
                f"source); the model's files: {known or 'none'}"
            )
        wrong = [
            (f"{key} {scrub(ids.shown(entry[key]))}", fix)
            for key, value, fix in EXPORT_FORMAT
            if key in entry and not _same(key, entry[key], value)
        ]
        if wrong:
            raise AnaplanModelError(
                f"{load.label}: file {load.file_id} is set up in Anaplan with "
                f"{', '.join(w for w, _ in wrong)}, but the export is written with "
                f"{', '.join(fix for _, fix in wrong)}: set the import's source file to "
                "that in Anaplan (or create the import again from a file of this export)"
            )


def _same(key: str, found: Any, expected: str | int) -> bool:
    """Whether a setting of Anaplan's file matches the export's (encodings by codec)."""
    if key != "encoding":
        return bool(found == expected)
    try:
        return codecs.lookup(str(found)).name == codecs.lookup(str(expected)).name
    except LookupError:
        return False


def push(
    out_dir: str | Path,
    config: PushConfig,
    say: Callable[[str], None] = print,
    auth: CertificateAuth | BasicAuth | None = None,
    warn: Warn = warn_on_stderr,
) -> list[LoadReport]:
    """Upload and run every load of ``config`` in order; raise on the first failed task.

    Only the folder's current run is pushed: its files are read from the run's
    own folder (resolved once), and an export whose run id is not the run's is
    refused. ``warn`` is told what is unsafe but allowed (plain HTTP, a key others
    may read).
    """
    needs_loads(config)
    run = current_folder(out_dir)
    folder = run / C.ANAPLAN_DIR
    check_run(Path(out_dir), run, folder)
    check_loads(folder, config)
    for url in config.insecure_urls:
        warn(
            f"{url} is plain HTTP to another machine: credentials and the export travel "
            "unencrypted (allow_insecure_http = true)"
        )
    auth = auth or make_auth(config, warn)
    reports = []
    with BulkClient(config, auth) as client:
        if any(load.file_id for load in config.loads):
            check_files(client.files(), config, client.scrub)
        for load in config.loads:
            reports.append(_run_load(client, folder, load, say, Path(out_dir) / C.ANAPLAN_DIR))
    return reports


def _run_load(
    client: BulkClient, folder: Path, load: Load, say: Callable[[str], None], shown_folder: Path
) -> LoadReport:
    chunks = sent = 0
    if load.file is not None and load.file_id is not None:
        chunks, sent = client.upload(folder / load.file, load.file_id)
        say(f"uploaded {load.file} to file {load.file_id}: {chunks} chunk(s), {sent:,} bytes sent")
    if load.action is None:
        return LoadReport(load, chunks, sent)
    kind, action_id = load.action
    task_id, task = client.run(kind, action_id)
    state = client.state(task)
    result = task.get("result")
    result = result if isinstance(result, dict) else {}
    rows = row_counts(result)
    failed = state != "COMPLETE" or result.get("successful") is not True
    # Rows the import rejected are a failure too: the export is made to load whole;
    # so are rows it ignored (an item it could not match), unless the configuration
    # accepts that.
    failed = failed or result.get("failureDumpAvailable") is True or rows.get(ROWS_FAILED, 0) > 0
    ignored = rows.get(ROWS_IGNORED, 0) > 0 and not client.config.accept_ignored_rows
    saved = [
        _save_dump(folder, name, content)
        for name, content in client.dumps(kind, action_id, task_id, task)
    ]
    what = f"{_KIND_NAMES[kind]} {action_id} ({load.label})"
    if failed or ignored:
        # Named as the planner reaches them, through the folder's links.
        shown = [str(shown_folder / path.relative_to(folder)) for path in saved]
        where = f"; failure dump saved as {', '.join(shown)}" if saved else ""
        fix = (
            "; set accept_ignored_rows = true to accept ignored rows"
            if ignored and not failed
            else ""
        )
        raise AnaplanTaskError(
            f"{what} failed: task {task_id} ended {state}{_rows_text(rows)}"
            f"{task_messages(result, client.scrub)}{where}; "
            f"fix the import or the model, then push again{fix}"
        )
    say(f"ran {what}: task {task_id} {state.lower()}{_rows_text(rows)}")
    return LoadReport(load, chunks, sent, task_id, state, rows)


def row_counts(result: dict[str, Any]) -> dict[str, int]:
    """The task's row counts from ``details[].values`` (for a process, summed over its
    imports' results), by kind: successful, with errors, with warnings, ignored.

    >>> row_counts({"details": [{"values": ["Number of rows successful: 5",
    ...     "Number of rows with errors: 1", "Number of rows ignored: 2"]}]})
    {'successful': 5, 'with errors': 1, 'ignored': 2}
    """
    nested = result.get("nestedResults")
    # A process's own result may repeat its imports' counts: those are read, not both.
    parts = [r for r in nested if isinstance(r, dict)] if isinstance(nested, list) else []
    counts: dict[str, int] = {}
    for part in parts or [result]:
        details = part.get("details")
        for detail in details if isinstance(details, list) else []:
            values = detail.get("values") if isinstance(detail, dict) else None
            for value in values if isinstance(values, list) else []:
                found = _ROWS.fullmatch(value) if isinstance(value, str) else None
                if found:
                    kind = found[1].lower()
                    counts[kind] = counts.get(kind, 0) + int(found[2])
    return counts


def _rows_text(rows: dict[str, int]) -> str:
    """``(rows: 5 successful, 1 with errors, ...)``, when the task gave counts."""
    order = (ROWS_SUCCESSFUL, ROWS_FAILED, ROWS_WARNED, ROWS_IGNORED)
    shown = [f"{rows[kind]:,} {kind}" for kind in order if kind in rows]
    return f" (rows: {', '.join(shown)})" if shown else ""


def task_messages(result: dict[str, Any], scrub: Scrub) -> str:
    """The first few of Anaplan's own messages about a task, scrubbed of secrets."""
    details = result.get("details")
    texts = [
        scrub(str(d.get("localMessageText")))[:200]
        for d in (details if isinstance(details, list) else [])
        if isinstance(d, dict) and d.get("localMessageText")
    ]
    return f" ({'; '.join(texts[:3])})" if texts else ""


def _save_dump(folder: Path, name: str, content: bytes) -> Path:
    """Write a dump under ``dumps/`` whole or not at all; a name that is not one the
    client makes of checked IDs never reaches the file system."""
    dumps = folder / DUMPS_DIR
    target = dumps / name
    if not _DUMP_NAME.fullmatch(name) or target.parent != dumps:
        raise AnaplanTaskError(f"refused to save a failure dump as {ids.shown(name)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".dump-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
