"""``consumption pull``: the engine's inputs from Anaplan export actions.

For each ``[anaplan.pull.<table>]`` in order (inventory, demand, lanes): run
the export action, poll its task until it ends, and download its output file
(which has the export's own ID) chunk by chunk into the new run's folder. The
file is then read by the engine's own reader with the table's column map and
formats: a file the engine would refuse is refused here, and nothing changes
in ``INTO``. Only when every table is fetched and read do ``inventory.csv``,
``demand.csv``, ``lanes.csv``, ``scenario.toml`` (the column maps and the run
options, so that ``consumption run INTO`` reads them as pull did) and
``pull.json`` become current together (:func:`~consumption.io.outfolder.publishing`:
one switch, a lock against a second pull into the same folder).

The files are kept as Anaplan wrote them, byte for byte: what the engine reads
is what the export produced, and ``pull.json`` holds its sha256.

Retries, token refresh, ID checks and the scrubbing of server texts are the
client's (:mod:`consumption.anaplan.client`), as for ``push``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Final

from consumption import constants as C
from consumption.anaplan.auth import BasicAuth, CertificateAuth, Warn, warn_on_stderr
from consumption.anaplan.client import BulkClient
from consumption.anaplan.config import Pull, PushConfig, needs_pulls
from consumption.anaplan.push import make_auth, task_messages
from consumption.errors import AnaplanTaskError, InputError
from consumption.io.formats import FileOptions
from consumption.io.outfolder import publishing
from consumption.io.read import read_table
from consumption.io.scenario import SCENARIO_FILE, TABLES

EXPORTS: Final = "exports"  # the URL segment of export actions
# A file the engine refused is kept beside the current inputs under this name, so
# that the lines its messages name can be looked at.
REJECTED: Final = "{table}.rejected.csv"


@dataclass(frozen=True)
class Pulled:
    """One table fetched: for ``pull.json`` and the line printed."""

    table: str
    file: str
    export_id: str
    task_id: str
    chunks: int
    bytes: int
    sha256: str
    rows: int


def pull(
    into: str | Path,
    config: PushConfig,
    say: Callable[[str], None] = print,
    auth: CertificateAuth | BasicAuth | None = None,
    warn: Warn = warn_on_stderr,
) -> list[Pulled]:
    """Fetch every configured table into ``into``, checked, as one new set of inputs."""
    needs_pulls(config)
    into = Path(into)
    for url in config.insecure_urls:
        warn(
            f"{url} is plain HTTP to another machine: credentials and the inputs travel "
            "unencrypted (allow_insecure_http = true)"
        )
    auth = auth or make_auth(config, warn)
    pulled: list[Pulled] = []
    with (
        publishing(into, on_wait=warn) as run,
        BulkClient(config, auth) as client,
    ):
        for entry in config.pulls:
            pulled.append(_pull_one(client, run.folder, into, entry))
            say(pulled_line(pulled[-1]))
        (run.folder / SCENARIO_FILE).write_text(scenario_toml(config), encoding="utf-8")
        record = {
            "run_id": run.run_id,
            "pulled_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "workspace": config.workspace,
            "model": config.model,
            "files": [asdict(p) for p in pulled],
        }
        (run.folder / C.PULL_FILE).write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    return pulled


def pulled_line(pulled: Pulled) -> str:
    """``pulled inventory.csv from export 116...: task ..., 3 chunk(s), 1,024 bytes, 12 rows``."""
    return (
        f"pulled {pulled.file} from export {pulled.export_id}: task {pulled.task_id}, "
        f"{pulled.chunks} chunk(s), {pulled.bytes:,} bytes, {pulled.rows:,} rows"
    )


def _pull_one(client: BulkClient, folder: Path, into: Path, entry: Pull) -> Pulled:
    task_id, task = client.run(EXPORTS, entry.export_id)
    state = client.state(task)
    result = task.get("result")
    result = result if isinstance(result, dict) else {}
    if state != "COMPLETE" or result.get("successful") is not True:
        raise AnaplanTaskError(
            f"export {entry.export_id} ({entry.table}) failed: task {task_id} ended "
            f"{state}{task_messages(result, client.scrub)}; fix the export action in Anaplan, "
            "then pull again"
        )
    name = f"{entry.table}.csv"
    target = folder / name
    # An export's output file has the export's own ID (checked in the configuration).
    chunks, size, sha256 = client.download(entry.export_id, target)
    rows = _check(target, into, entry)
    return Pulled(entry.table, name, entry.export_id, task_id, chunks, size, sha256, rows)


def _check(path: Path, into: Path, entry: Pull) -> int:
    """The file's rows as the engine reads them; a file it refuses is kept aside and its
    problems name the export and that copy."""
    try:
        frame = read_table(path, TABLES[entry.table], options=entry.options)
    except InputError as error:
        kept = into / REJECTED.format(table=entry.table)
        into.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, kept)
        shown = f"export {entry.export_id} (kept as {kept})"
        problems = [replace(p, file=shown) if p.file else p for p in error.problems]
        raise InputError(problems, error.truncated) from None
    return len(frame)


def scenario_toml(config: PushConfig) -> str:
    """``scenario.toml`` for the pulled folder: each table's column map and formats, and
    the run options of ``[anaplan.run]``."""
    lines = [
        f"description = {_toml(f'inputs pulled from Anaplan model {config.model}')}",
        "",
        "[run]",
    ]
    lines += [f"{key} = {_toml(value)}" for key, value in config.run.items()]
    for entry in config.pulls:
        lines += ["", f"[{entry.table}]", f"file = {_toml(entry.table + '.csv')}"]
        lines += [f"{key} = {_toml(value)}" for key, value in _conventions(entry.options).items()]
    return "\n".join(lines) + "\n"


def _conventions(options: FileOptions) -> dict[str, Any]:
    given = {
        "decimal": options.decimal,
        "thousands": options.thousands,
        "date_format": options.date_format,
    }
    kept: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if options.columns:
        kept["columns"] = dict(options.columns)
    return kept


def _toml(value: Any) -> str:
    """A TOML value: JSON's strings are TOML basic strings; tables inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)
