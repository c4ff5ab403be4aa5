"""``consumption push``: load an Anaplan export into a model with the bulk API v2 (SPEC §7).

For each load in order: upload the file in chunks, run its import or
process, poll the task until it ends; a failed task leaves its failure dump
in ``OUT/anaplan/dumps/`` and stops the push with :class:`AnaplanTaskError`.

Retries, token refresh and the rule that an import never runs twice live in
:mod:`consumption.anaplan.http` and :mod:`consumption.anaplan.client`.

Tokens are refreshed before they expire; an answer 401 in the middle of a
push (the token expired or was revoked) authenticates anew and repeats the
request once. Tokens and credentials never appear in messages.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from consumption import constants as C
from consumption.anaplan.auth import BasicAuth, CertificateAuth
from consumption.anaplan.client import BulkClient
from consumption.anaplan.config import AUTH_BASIC, Load, PushConfig
from consumption.anaplan.manifest import MANIFEST_FILE, read_manifest
from consumption.errors import AnaplanConfigError, AnaplanTaskError, ExportChangedError
from consumption.io.outfolder import current_folder, sha256_of

MAX_CHUNKS: Final = 1000  # per file, Anaplan's limit
DUMPS_DIR: Final = "dumps"


@dataclass(frozen=True)
class LoadReport:
    """What one load did: for the summary printed after a push."""

    load: Load
    chunks: int = 0
    sent_bytes: int = 0
    task_id: str | None = None
    state: str | None = None


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


def make_auth(config: PushConfig) -> CertificateAuth | BasicAuth:
    """The configured authentication, its files read and checked before any request."""
    if config.auth == AUTH_BASIC:
        return BasicAuth.from_environment()
    if config.certificate is None or config.private_key is None:
        raise AnaplanConfigError('auth = "certificate" needs certificate and private_key')
    return CertificateAuth.from_files(config.certificate, config.private_key, config.payload_format)


def push(
    out_dir: str | Path,
    config: PushConfig,
    say: Callable[[str], None] = print,
    auth: CertificateAuth | BasicAuth | None = None,
) -> list[LoadReport]:
    """Upload and run every load of ``config`` in order; raise on the first failed task.

    Only the folder's current run is pushed: its files are read from the run's
    own folder (resolved once), and an export whose run id is not the run's is
    refused.
    """
    run = current_folder(out_dir)
    folder = run / C.ANAPLAN_DIR
    check_run(Path(out_dir), run, folder)
    check_loads(folder, config)
    auth = auth or make_auth(config)
    reports = []
    with BulkClient(config, auth) as client:
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
    state = str(task.get("taskState"))
    result = task.get("result") or {}
    failed = state != "COMPLETE" or not result.get("successful", False)
    # Rows the import rejected are a failure too: the export is made to load whole.
    failed = failed or bool(result.get("failureDumpAvailable"))
    saved = [
        _save_dump(folder, name, content)
        for name, content in client.dumps(kind, action_id, task_id, task)
    ]
    what = f"{kind[:-1] if kind == 'imports' else 'process'} {action_id} ({load.label})"
    if failed:
        # Named as the planner reaches them, through the folder's links.
        shown = [str(shown_folder / path.relative_to(folder)) for path in saved]
        where = f"; failure dump saved as {', '.join(shown)}" if saved else ""
        raise AnaplanTaskError(
            f"{what} failed: task {task_id} ended {state}{_details(result)}{where}; "
            "fix the import or the model, then push again"
        )
    say(f"ran {what}: task {task_id} {state.lower()}")
    return LoadReport(load, chunks, sent, task_id, state)


def _details(result: dict[str, Any]) -> str:
    """The first few of Anaplan's own messages about a task."""
    texts = [
        str(d.get("localMessageText"))
        for d in result.get("details") or []
        if isinstance(d, dict) and d.get("localMessageText")
    ]
    return f" ({'; '.join(texts[:3])})" if texts else ""


def _save_dump(folder: Path, name: str, content: bytes) -> Path:
    """Write a dump under ``dumps/`` whole or not at all."""
    target = folder / DUMPS_DIR / name
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
