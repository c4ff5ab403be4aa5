"""``anaplan.toml``: where to push an export and how (SPEC §7).

Every problem is a :class:`AnaplanConfigError` (exit code 2) that names the
file, the key and the fix; secrets are never read from this file, only from
the environment. IDs must have the shape of their kind (:mod:`.ids`): a
file ID where an import ID belongs is refused here rather than by the API.
Credentials travel only over HTTPS, or plain HTTP to a loopback address,
unless ``allow_insecure_http = true`` says otherwise.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from consumption import constants as C
from consumption.anaplan import ids
from consumption.errors import AnaplanConfigError, UsageError
from consumption.io import schema
from consumption.io.formats import FileOptions, file_options
from consumption.io.scenario import TABLES, run_options

PAYLOAD_FORMATS: Final = C.ANAPLAN_PAYLOAD_FORMATS  # certificate auth messages
FORMAT_V2, FORMAT_V1 = PAYLOAD_FORMATS

AUTH_CERTIFICATE: Final = "certificate"
AUTH_BASIC: Final = "basic"
AUTH_KINDS: Final = (AUTH_CERTIFICATE, AUTH_BASIC)
DEFAULT_AUTH_URL: Final = "https://auth.anaplan.com"
DEFAULT_API_URL: Final = "https://api.anaplan.com/2/0"
# Anaplan takes chunks of 1 to 50 MB of uncompressed data.
MAX_CHUNK_BYTES: Final = 50_000_000


@dataclass(frozen=True)
class Load:
    """One step of a push: upload a file of the export, then run an import or a process.

    Either half may be absent: a process that runs several imports follows the
    uploads of their files.
    """

    file: str | None = None
    file_id: str | None = None
    import_id: str | None = None
    process_id: str | None = None
    # An action of the model, run in its turn: a delete-by-selection of stale items.
    action_id: str | None = None

    def __post_init__(self) -> None:
        # load() refuses these with the file's name first; this holds for a Load made
        # in code too, so no ID of another shape can reach a URL.
        for key in ("file_id", "import_id", "process_id", "action_id"):
            value = getattr(self, key)
            if value is not None:
                _check_id("load", key, value)

    @property
    def action(self) -> tuple[str, str] | None:
        """``("imports", id)`` or ``("processes", id)``: the URL segment and the action."""
        if self.import_id:
            return "imports", self.import_id
        if self.process_id:
            return "processes", self.process_id
        if self.action_id:
            return "actions", self.action_id
        return None

    @property
    def label(self) -> str:
        """How messages name this load: its file, else its action."""
        if self.file:
            return self.file
        if self.import_id:
            return f"import {self.import_id}"
        return f"process {self.process_id}" if self.process_id else f"action {self.action_id}"


@dataclass(frozen=True)
class Pull:
    """One input table of ``consumption pull``: the export action that writes it, and
    how its file is written (its headers as engine columns, Anaplan's number and date
    formats)."""

    table: str  # the engine's table: inventory, demand or lanes
    export_id: str
    options: FileOptions = field(default_factory=FileOptions)

    def __post_init__(self) -> None:
        _check_id("pull", "export_id", self.export_id)
        if self.table not in PULL_TABLES:
            raise AnaplanConfigError(
                f"pull: {self.table!r} is not a table pull writes; use {', '.join(PULL_TABLES)}"
            )


@dataclass(frozen=True)
class PushConfig:
    """Everything ``consumption push`` needs, with the settings' defaults filled in."""

    workspace: str
    model: str
    loads: tuple[Load, ...]
    # [anaplan.pull]: the export actions the inputs come from, one per table.
    pulls: tuple[Pull, ...] = ()
    # [anaplan.run]: the run options of a sync (as_of, order, engine, ...).
    run: dict[str, Any] = field(default_factory=dict)
    auth: str = AUTH_CERTIFICATE
    certificate: Path | None = None
    private_key: Path | None = None
    payload_format: str = FORMAT_V2
    auth_url: str = DEFAULT_AUTH_URL
    api_url: str = DEFAULT_API_URL
    locale: str = "en_US"
    chunk_bytes: int = MAX_CHUNK_BYTES
    gzip: bool = True
    timeout_s: float = 60.0  # one request, connecting or waiting for an answer
    retries: int = 5  # per request, for 409, 429, 5xx and dropped connections
    backoff_s: float = 1.0  # first wait; doubled on each retry up to backoff_max_s
    backoff_max_s: float = 60.0
    # Between two looks at a running task: poll_s first, then poll_factor times longer
    # each time up to poll_max_s, so a task of hours is not polled every few seconds.
    poll_s: float = 5.0
    poll_factor: float = 1.5
    poll_max_s: float = 60.0
    task_timeout_s: float = 6 * 3600.0  # a task still running after this is given up
    refresh_margin_s: float = 300.0  # refresh the token when it expires within this
    # Rows an import ignored fail the push unless this says they may be left out.
    accept_ignored_rows: bool = False
    # Credentials over plain HTTP to a host that is not this machine: only when asked.
    allow_insecure_http: bool = False
    # consumption sync: the batch folders kept under --work, the new one included.
    keep_runs: int = C.SYNC_KEEP_RUNS

    def __post_init__(self) -> None:
        # As for Load: what load() checks holds for a configuration made in code.
        _check_id("configuration", "workspace", self.workspace)
        _check_id("configuration", "model", self.model)
        if not self.allow_insecure_http and self.insecure_urls:
            raise AnaplanConfigError(
                f"configuration: {self.insecure_urls[0]} would send credentials unencrypted; "
                "use https://, or set allow_insecure_http"
            )

    @property
    def model_url(self) -> str:
        return f"{self.api_url}/workspaces/{self.workspace}/models/{self.model}"

    @property
    def insecure_urls(self) -> list[str]:
        """The URLs that would carry credentials unencrypted over the network."""
        return [url for url in (self.auth_url, self.api_url) if not _secure(url)]


# key: (type(s), minimum) for the numeric and text settings of [anaplan]
_SETTINGS: Final[dict[str, tuple[tuple[type, ...], float | None]]] = {
    "workspace": ((str,), None),
    "model": ((str,), None),
    "auth": ((str,), None),
    "certificate": ((str,), None),
    "private_key": ((str,), None),
    "payload_format": ((str,), None),
    "auth_url": ((str,), None),
    "api_url": ((str,), None),
    "locale": ((str,), None),
    "chunk_bytes": ((int,), 1),
    "gzip": ((bool,), None),
    "timeout_s": ((int, float), 0.001),
    "retries": ((int,), 0),
    "backoff_s": ((int, float), 0),
    "backoff_max_s": ((int, float), 0),
    "poll_s": ((int, float), 0),
    "poll_factor": ((int, float), 1),
    "poll_max_s": ((int, float), 0),
    "task_timeout_s": ((int, float), 0.001),
    "refresh_margin_s": ((int, float), 0),
    "accept_ignored_rows": ((bool,), None),
    "allow_insecure_http": ((bool,), None),
    "keep_runs": ((int,), 1),
}
# The kind of ID each key of the configuration takes.
_ID_KINDS: Final = {
    "workspace": ids.WORKSPACE,
    "model": ids.MODEL,
    "file_id": ids.FILE,
    "import_id": ids.IMPORT,
    "process_id": ids.PROCESS,
    "export_id": ids.EXPORT,
    "action_id": ids.ACTION,
}
_LOAD_KEYS: Final = ("file", "file_id", "import_id", "process_id", "action_id")
# The tables pull writes, in the order it runs their exports; the first two are required.
PULL_TABLES: Final = (schema.INVENTORY.name, schema.DEMAND.name, schema.LANES.name)
_PULL_KEYS: Final = ("export_id", "columns", "decimal", "thousands", "date_format")


def load(path: str | Path) -> PushConfig:
    """Read and check ``path``; relative certificate and key paths are relative to it."""
    path = Path(path)
    table = _read(path).get("anaplan")
    if not isinstance(table, dict):
        raise AnaplanConfigError(f"{path}: no [anaplan] table; see 'Loading results into Anaplan'")
    tables = ("load", "pull", "run")
    unknown = sorted(set(table) - set(_SETTINGS) - set(tables))
    if unknown:
        raise AnaplanConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)} in [anaplan]; "
            f"accepted: {', '.join([*_SETTINGS, *tables])}"
        )
    settings: dict[str, Any] = {
        key: _setting(path, key, value) for key, value in table.items() if key not in tables
    }
    for key in ("workspace", "model"):
        if not settings.get(key):
            raise AnaplanConfigError(f'{path}: [anaplan] needs {key} = "..." (the {key} ID)')
        _check_id(str(path), key, settings[key])
    _check_choice(path, "auth", settings.get("auth", AUTH_CERTIFICATE), AUTH_KINDS)
    _check_choice(
        path, "payload_format", settings.get("payload_format", FORMAT_V2), PAYLOAD_FORMATS
    )
    if settings.get("chunk_bytes", 1) > MAX_CHUNK_BYTES:
        raise AnaplanConfigError(
            f"{path}: chunk_bytes = {settings['chunk_bytes']} is over Anaplan's limit of "
            f"{MAX_CHUNK_BYTES} bytes per chunk; lower it"
        )
    for key in ("certificate", "private_key"):
        if key in settings:
            settings[key] = (path.parent / settings[key]).resolve()
    if settings.get("auth", AUTH_CERTIFICATE) == AUTH_CERTIFICATE:
        missing = [k for k in ("certificate", "private_key") if k not in settings]
        if missing:
            raise AnaplanConfigError(
                f'{path}: auth = "certificate" needs {" and ".join(missing)} (PEM files)'
            )
    insecure = settings.get("allow_insecure_http", False)
    for key in ("auth_url", "api_url"):
        if key in settings:
            settings[key] = _url(path, key, settings[key], insecure)
    if settings.get("poll_max_s", PushConfig.poll_max_s) < settings.get(
        "poll_s", PushConfig.poll_s
    ):
        raise AnaplanConfigError(f"{path}: poll_max_s must be at least poll_s")
    pulls = _pulls(path, table.get("pull"))
    # A configuration that only pulls needs no load; push refuses it then (needs_loads).
    entries = _loads(path, table) if "load" in table or not pulls else []
    loads = tuple(_load(path, i, entry) for i, entry in enumerate(entries, start=1))
    run = _run_options(path, table.get("run", {}))
    return PushConfig(loads=loads, pulls=pulls, run=run, **settings)


def needs_loads(config: PushConfig, path: str | Path = "configuration") -> None:
    """Refuse a configuration without loads where something is to be pushed."""
    if not config.loads:
        raise AnaplanConfigError(
            f"{path}: no [[anaplan.load]] entries; add one per file to upload and import to run"
        )


def needs_pulls(config: PushConfig, path: str | Path = "configuration") -> None:
    """Refuse a configuration without the exports of inventory and demand."""
    have = {p.table for p in config.pulls}
    missing = [name for name in PULL_TABLES[:2] if name not in have]
    if missing:
        raise AnaplanConfigError(
            f"{path}: no [anaplan.pull.{missing[0]}] table; give the export_id of the export "
            f"action that writes the {missing[0]} (and columns = {{ ... }} for its headers)"
        )


def _pulls(path: Path, given: Any) -> tuple[Pull, ...]:
    """``[anaplan.pull.<table>]`` tables: an export ID and the file's conventions each."""
    if given is None:
        return ()
    if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
        raise AnaplanConfigError(
            f"{path}: [anaplan.pull] must hold one table per input, e.g. [anaplan.pull.inventory]"
        )
    unknown = sorted(set(given) - set(PULL_TABLES))
    if unknown:
        raise AnaplanConfigError(
            f"{path}: [anaplan.pull.{unknown[0]}] is not a table pull writes; "
            f"use {', '.join(PULL_TABLES)}"
        )
    pulls = []
    for name in PULL_TABLES:  # in this order, whatever the file's
        entry = given.get(name)
        if entry is None:
            continue
        where = f"{path} [anaplan.pull.{name}]"
        extra = sorted(set(entry) - set(_PULL_KEYS))
        if extra:
            raise AnaplanConfigError(
                f"{where}: unknown key(s) {', '.join(extra)}; accepted: {', '.join(_PULL_KEYS)}"
            )
        export_id = entry.get("export_id")
        if not isinstance(export_id, str | int) or isinstance(export_id, bool):
            raise AnaplanConfigError(f'{where}: needs export_id = "116..." (the export action)')
        _check_id(where, "export_id", str(export_id))
        conventions = {k: v for k, v in entry.items() if k != "export_id"}
        try:
            options = file_options(TABLES[name], conventions, where, in_file=True)
        except UsageError as error:
            raise AnaplanConfigError(str(error)) from error
        pulls.append(Pull(name, str(export_id), options))
    return tuple(pulls)


def _run_options(path: Path, given: Any) -> dict[str, Any]:
    """``[anaplan.run]``: the options of the run a sync makes, checked as scenario.toml's."""
    try:
        options = run_options(given, f"{path} [anaplan.run]")
    except UsageError as error:
        raise AnaplanConfigError(str(error)) from error
    # The batch folder decides where a sync's inputs and outputs go.
    placed = sorted(set(options) & {"out", "lanes", "mrsl", "items", "workers", "cluster"})
    if placed:
        raise AnaplanConfigError(
            f"{path} [anaplan.run]: {', '.join(placed)} cannot be set here; sync decides "
            "where its inputs and outputs are"
        )
    return options


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise AnaplanConfigError(f"{path}: no such configuration file") from error
    except OSError as error:
        raise AnaplanConfigError(f"{path}: cannot read it ({error.strerror or error})") from error
    except tomllib.TOMLDecodeError as error:
        raise AnaplanConfigError(f"{path}: not valid TOML ({error})") from error


def _setting(path: Path, key: str, value: Any) -> Any:
    types, minimum = _SETTINGS[key]
    # bool is an int in Python: a number setting must not take true/false.
    if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
        kind = " or ".join("text" if t is str else t.__name__ for t in types)
        raise AnaplanConfigError(f"{path}: {key} must be {kind}, not {value!r}")
    if minimum is not None and isinstance(value, int | float) and value < minimum:
        raise AnaplanConfigError(f"{path}: {key} must be at least {minimum}, not {value!r}")
    return value


def _check_choice(path: Path, key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise AnaplanConfigError(
            f"{path}: {key} = {value!r} is not known; use {' or '.join(map(repr, choices))}"
        )


def _url(path: Path, key: str, value: str, insecure: bool) -> str:
    if not value.startswith(("https://", "http://")):
        raise AnaplanConfigError(
            f"{path}: {key} must start with https:// or http:// (got {value!r})"
        )
    parts = urlsplit(value)
    if not parts.hostname or parts.username is not None or parts.query or parts.fragment:
        raise AnaplanConfigError(
            f"{path}: {key} must be a plain URL, a host and a path (got {value!r}); "
            "credentials come from the environment, never from the URL"
        )
    if not insecure and not _secure(value):
        raise AnaplanConfigError(
            f"{path}: {key} = {value!r} would send credentials unencrypted: use https://, "
            "or http:// only to a loopback address (127.0.0.1, [::1]); "
            "allow_insecure_http = true sends them anyway"
        )
    return value.rstrip("/")


def _secure(url: str) -> bool:
    """HTTPS, or plain HTTP that never leaves this machine (a loopback address, not a
    name: a name may resolve elsewhere)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    try:
        return ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return False


def _check_id(where: str, key: str, value: str) -> None:
    """Refuse an ID of the wrong kind: an import ID in file_id reaches the API as a file
    that does not exist, and Anaplan creates a new private file of that name instead."""
    wrong = ids.problem(_ID_KINDS[key], value)
    if wrong:
        raise AnaplanConfigError(
            f"{where}: {key} = {value!r} is not {wrong}; copy it from Anaplan (the bulk "
            "API lists workspaces, models and a model's files, imports and processes)"
        )


def _loads(path: Path, table: dict[str, Any]) -> list[Any]:
    loads = table.get("load")
    if not isinstance(loads, list) or not loads:
        raise AnaplanConfigError(
            f"{path}: no [[anaplan.load]] entries; add one per file to upload and import to run"
        )
    return loads


def _load(path: Path, number: int, entry: Any) -> Load:
    where = f"{path}: load {number}"
    if not isinstance(entry, dict):
        raise AnaplanConfigError(f"{where}: must be a table ([[anaplan.load]])")
    unknown = sorted(set(entry) - set(_LOAD_KEYS))
    if unknown:
        raise AnaplanConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; accepted: {', '.join(_LOAD_KEYS)}"
        )
    values: dict[str, str] = {}
    for key, value in entry.items():
        if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
            raise AnaplanConfigError(f"{where}: {key} must be text, not {value!r}")
        values[key] = str(value)
    if ("file" in values) != ("file_id" in values):
        raise AnaplanConfigError(f"{where}: give file and file_id together")
    if len(values.keys() & {"import_id", "process_id", "action_id"}) > 1:
        raise AnaplanConfigError(f"{where}: give one of import_id, process_id and action_id")
    if not values.keys() & {"file", "import_id", "process_id", "action_id"}:
        raise AnaplanConfigError(
            f"{where}: give a file to upload, an import_id, a process_id or an action_id"
        )
    if "file" in values and (
        Path(values["file"]).is_absolute() or ".." in Path(values["file"]).parts
    ):
        raise AnaplanConfigError(
            f"{where}: file must name a file of the export, relative to OUT/anaplan"
        )
    for key in ("file_id", "import_id", "process_id", "action_id"):
        if key in values:
            _check_id(where, key, values[key])
    return Load(**values)
