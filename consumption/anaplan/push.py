"""``consumption push``: load an Anaplan export into a model with the bulk API v2 (SPEC §7).

For each load in order: upload the file in chunks, run its import or
process, poll the task until it ends; a failed task leaves its failure dump
in ``OUT/anaplan/dumps/`` and stops the push with :class:`AnaplanTaskError`.

Retries. Requests that are safe to repeat (chunk uploads, setting the chunk
count, completing an upload, polling, downloading dumps, refreshing the token)
go through ``urllib3``'s ``Retry``: 429, 5xx and dropped connections are
retried with exponential backoff, honouring ``Retry-After``. Two requests are
not safe to repeat blindly, so a small loop here retries them instead:
authentication, because every attempt must sign a fresh message, and
starting a task, because a task whose answer was lost may have started — the
loop looks for a new task of that action before starting another, so an
import never runs twice.

Tokens are refreshed before they expire; an answer 401 in the middle of a
push (the token expired or was revoked) authenticates anew and repeats the
request once. Tokens and credentials never appear in messages.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.util import Retry

from consumption import constants as C
from consumption.anaplan.auth import AnaplanAuthError, BasicAuth, CertificateAuth, Token
from consumption.anaplan.config import AUTH_BASIC, AnaplanConfigError, Load, PushConfig
from consumption.anaplan.export import MANIFEST_FILE, sha256_of
from consumption.errors import ConsumptionError

TRANSIENT: Final = frozenset({429, 500, 502, 503, 504})
GZIP_TYPE: Final = "application/x-gzip"
RAW_TYPE: Final = "application/octet-stream"
# A gzipped chunk is sent only when it is at most this fraction of the raw one.
GZIP_WORTH: Final = 0.9
MAX_CHUNKS: Final = 1000  # per file, Anaplan's limit
DUMPS_DIR: Final = "dumps"
TASK_DONE: Final = frozenset({"COMPLETE", "CANCELLED"})

T = TypeVar("T")

# What to check when the API refuses a request, by status.
_HINTS: Final = {
    401: "; the API refused a fresh token: check the user's access to the model",
    403: "; check that the user may run imports in this workspace and model",
    404: "; check workspace, model and the file, import and process IDs in the configuration",
}


class AnaplanApiError(ConsumptionError):
    """The Anaplan API refused a request, or did not answer after every retry."""


class AnaplanTaskError(ConsumptionError):
    """An import or process ran and failed; its failure dump, when there is one, is saved."""


@dataclass(frozen=True)
class LoadReport:
    """What one load did: for the summary printed after a push."""

    load: Load
    chunks: int = 0
    sent_bytes: int = 0
    task_id: str | None = None
    state: str | None = None


class _Header(AuthBase):
    """Sets ``Authorization`` from a callable; as an ``auth`` object it also keeps
    requests from replacing the header with credentials from ``~/.netrc``."""

    def __init__(self, value: Callable[[], str]) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value()
        return request


def _session(config: PushConfig, *, repeatable: bool) -> requests.Session:
    """A session whose adapter retries transient failures (connect errors only, when
    the requests sent through it must not be repeated blindly)."""
    if repeatable:
        retry = Retry(
            total=config.retries,
            allowed_methods=frozenset({"GET", "PUT", "POST", "DELETE"}),
            status_forcelist=TRANSIENT,
            backoff_factor=config.backoff_s,
            backoff_max=config.backoff_max_s,
            raise_on_status=False,
        )
    else:
        retry = Retry(total=config.retries, connect=config.retries, read=0, status=0, other=0)
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _pause(config: PushConfig, attempt: int, response: requests.Response | None) -> None:
    """Exponential backoff, or longer when the server says so (``Retry-After``), capped."""
    delay = config.backoff_s * 2**attempt
    after = response.headers.get("Retry-After", "") if response is not None else ""
    if after.isdigit():
        delay = max(delay, float(after))
    time.sleep(min(delay, config.backoff_max_s))


def _guarded(
    config: PushConfig,
    what: str,
    send: Callable[[], requests.Response],
    happened: Callable[[], T | None] = lambda: None,
) -> requests.Response | T:
    """Send a request that must not be repeated blindly, retrying transient failures.

    Before each retry, ``happened`` may report that the previous attempt took
    effect after all (its answer was lost); that report is returned instead.
    """
    response: requests.Response | None = None
    for attempt in range(config.retries + 1):
        if attempt:
            _pause(config, attempt - 1, response)
            found = happened()
            if found is not None:
                return found
        try:
            response = send()
        except (requests.ConnectionError, requests.Timeout) as error:
            response, problem = None, f"no answer ({type(error).__name__})"
        else:
            if response.status_code not in TRANSIENT:
                return response
            problem = f"HTTP {response.status_code}"
    raise AnaplanApiError(f"{what}: {problem} after {config.retries + 1} attempts; try again later")


class Tokens:
    """The current token: obtained on first use, refreshed before it expires."""

    def __init__(
        self, config: PushConfig, auth: CertificateAuth | BasicAuth, session: requests.Session
    ) -> None:
        self._config = config
        self._auth = auth
        self._session = session
        self._token: Token | None = None
        self.authentications = 0

    def header(self) -> str:
        """``AnaplanAuthToken ...`` for the next request."""
        if self._token is None:
            self._token = self._authenticate()
        elif self._token.expires_within(self._config.refresh_margin_s):
            self._token = self._refresh(self._token)
        return self._token.header

    def renew(self) -> None:
        """Authenticate anew: the API said the token is no longer valid."""
        self._token = self._authenticate()

    def _authenticate(self) -> Token:
        url = f"{self._config.auth_url}/token/authenticate"

        def send() -> requests.Response:
            headers, body = self._auth.request()  # a fresh signed message for every attempt
            self.authentications += 1
            return self._session.post(
                url, auth=_Header(lambda: headers["Authorization"]), json=body,
                timeout=self._config.timeout_s,
            )  # fmt: skip

        response = _guarded(self._config, "authentication", send)
        if response.status_code in (401, 403):
            raise AnaplanAuthError(
                f"Anaplan refused the {type(self._auth).__name__[:-4].lower()} credentials "
                f"(HTTP {response.status_code}{_status_message(response)}); "
                "check the certificate, key or user in the configuration"
            )
        if not response.ok:
            raise AnaplanAuthError(
                f"authentication failed: HTTP {response.status_code}{_status_message(response)}"
            )
        return Token.from_response(_json(response, "authentication"))

    def _refresh(self, token: Token) -> Token:
        try:
            response = self._session.post(
                f"{self._config.auth_url}/token/refresh",
                auth=_Header(lambda: token.header),
                timeout=self._config.timeout_s,
            )
        except (requests.ConnectionError, requests.Timeout):
            return self._authenticate()
        if not response.ok:  # refused or expired already: start again
            return self._authenticate()
        return Token.from_response(_json(response, "token refresh"))

    def logout(self) -> None:
        """End the token's session; best effort, a failure here changes nothing loaded."""
        if self._token is None:
            return
        token, self._token = self._token, None
        with contextlib.suppress(requests.RequestException):
            self._session.post(
                f"{self._config.auth_url}/token/logout",
                auth=_Header(lambda: token.header),
                timeout=self._config.timeout_s,
            )


def _status_message(response: requests.Response) -> str:
    """The API's own short reason, when it gives one in JSON (never echoes a request)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    status = body.get("status")
    text = status.get("message") if isinstance(status, dict) else body.get("statusMessage")
    return f", {str(text)[:200]}" if text else ""


def _json(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise AnaplanApiError(
            f"{what}: the API answered with something that is not JSON"
        ) from error


class BulkClient:
    """The few bulk API calls a push needs, on one model."""

    def __init__(self, config: PushConfig, auth: CertificateAuth | BasicAuth) -> None:
        self.config = config
        self._http = _session(config, repeatable=True)
        self._once = _session(config, repeatable=False)
        self.tokens = Tokens(config, auth, self._once)

    def __enter__(self) -> BulkClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.tokens.logout()
        self._http.close()
        self._once.close()

    # --- requests ------------------------------------------------------------------------
    def _send(
        self, session: requests.Session, method: str, url: str, **kwargs: Any
    ) -> requests.Response:
        """One request with the token; a 401 (token expired) authenticates anew and repeats it."""
        auth = _Header(self.tokens.header)
        response = session.request(method, url, auth=auth, timeout=self.config.timeout_s, **kwargs)
        if response.status_code == 401:
            self.tokens.renew()
            response = session.request(
                method, url, auth=auth, timeout=self.config.timeout_s, **kwargs
            )
        return response

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """A repeatable request: retried by the adapter; an error answer raises."""
        path = url.removeprefix(self.config.api_url)
        try:
            response = self._send(self._http, method, url, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as error:
            raise AnaplanApiError(
                f"{method} {path}: no answer after {self.config.retries + 1} attempts "
                f"({type(error).__name__}); check api_url and the network, then push again"
            ) from error
        if not response.ok:
            raise AnaplanApiError(
                f"{method} {path}: HTTP {response.status_code}{_status_message(response)}"
                f"{_HINTS.get(response.status_code, '')}"
            )
        return response

    # --- files -----------------------------------------------------------------------------
    def upload(self, path: Path, file_id: str) -> tuple[int, int]:
        """Upload ``path`` into the model's file ``file_id``; return (chunks, bytes sent)."""
        files = f"{self.config.model_url}/files/{file_id}"
        size = path.stat().st_size
        count = max(1, math.ceil(size / self.config.chunk_bytes))
        self._call("POST", files, json={"id": file_id, "chunkCount": count})
        sent = 0
        with open(path, "rb") as handle:
            for number in range(count):
                body, content_type = self._encoded(handle.read(self.config.chunk_bytes))
                self._call(
                    "PUT",
                    f"{files}/chunks/{number}",
                    data=body,
                    headers={"Content-Type": content_type},
                )
                sent += len(body)
        self._call("POST", f"{files}/complete", json={"id": file_id, "chunkCount": count})
        return count, sent

    def _encoded(self, raw: bytes) -> tuple[bytes, str]:
        """The chunk gzipped when that makes it clearly smaller (Anaplan unpacks
        ``application/x-gzip`` chunks itself), else as it is."""
        if self.config.gzip:
            packed = gzip.compress(raw, compresslevel=6, mtime=0)
            if len(packed) <= GZIP_WORTH * len(raw):
                return packed, GZIP_TYPE
        return raw, RAW_TYPE

    # --- tasks -----------------------------------------------------------------------------
    def run(self, kind: str, action_id: str) -> tuple[str, dict[str, Any]]:
        """Run an import or process and wait for its task to end; return (task id, task)."""
        tasks = f"{self.config.model_url}/{kind}/{action_id}/tasks"
        task_id = self._start(tasks)
        deadline = time.monotonic() + self.config.task_timeout_s
        while True:
            task = _json(self._call("GET", f"{tasks}/{task_id}"), "task status").get("task", {})
            if task.get("taskState") in TASK_DONE:
                return task_id, task
            if time.monotonic() > deadline:
                raise AnaplanApiError(
                    f"{kind} {action_id}: task {task_id} still {task.get('taskState')} after "
                    f"{self.config.task_timeout_s:g} s; see it in Anaplan, or raise task_timeout_s"
                )
            time.sleep(self.config.poll_s)

    def _start(self, tasks: str) -> str:
        """Start a task once: after a lost answer, adopt the task it started, if any."""
        known = self._task_ids(tasks)

        def started() -> str | None:
            new = [t for t in self._listed_tasks(tasks) if t not in known]
            return new[0] if new else None

        def send() -> requests.Response:
            return self._send(self._once, "POST", tasks, json={"localeName": self.config.locale})

        answer = _guarded(
            self.config, f"POST {tasks.removeprefix(self.config.api_url)}", send, started
        )
        if isinstance(answer, str):
            return answer
        if not answer.ok:
            raise AnaplanApiError(
                f"POST {tasks.removeprefix(self.config.api_url)}: HTTP {answer.status_code}"
                f"{_status_message(answer)}; check the import or process ID in the configuration"
            )
        try:
            return str(_json(answer, "task start")["task"]["taskId"])
        except (KeyError, TypeError) as error:
            raise AnaplanApiError("task start: the answer names no taskId") from error

    def _listed_tasks(self, tasks: str) -> list[str]:
        """Task IDs of the action (their order does not matter here)."""
        body = _json(self._call("GET", tasks), "task list")
        return [str(t.get("taskId")) for t in body.get("tasks", []) if isinstance(t, dict)]

    def _task_ids(self, tasks: str) -> set[str]:
        return set(self._listed_tasks(tasks))

    # --- failure dumps -------------------------------------------------------------------
    def dumps(
        self, kind: str, action_id: str, task_id: str, task: dict[str, Any]
    ) -> Iterator[tuple[str, bytes]]:
        """(name, content) of each failure dump the task left: the import's own, or one per
        failed import of a process."""
        base = f"{self.config.model_url}/{kind}/{action_id}/tasks/{task_id}"
        result = task.get("result") or {}
        if kind == "imports":
            if result.get("failureDumpAvailable"):
                yield f"import-{action_id}-{task_id}.csv", self._download(f"{base}/dump")
            return
        for nested in result.get("nestedResults") or []:
            if nested.get("failureDumpAvailable") and nested.get("objectId"):
                object_id = nested["objectId"]
                yield (
                    f"process-{action_id}-{object_id}-{task_id}.csv",
                    self._download(f"{base}/dumps/{object_id}"),
                )

    def _download(self, dump: str) -> bytes:
        """A dump, chunk by chunk as Anaplan recommends for large ones."""
        listed = _json(self._call("GET", f"{dump}/chunks"), "dump chunks").get("chunks", [])
        ids = [str(c.get("id")) for c in listed if isinstance(c, dict)]
        return b"".join(self._call("GET", f"{dump}/chunks/{i}").content for i in ids)


def read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """The export's files by name, from ``manifest.json``."""
    path = folder / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise AnaplanConfigError(
            f"{path} not found: {folder.parent} holds no Anaplan export; "
            "run 'consumption run ... --anaplan' first"
        ) from error
    except (OSError, ValueError) as error:
        raise AnaplanConfigError(f"{path}: cannot read the manifest ({error})") from error
    return {entry["file"]: entry for entry in manifest.get("files", [])}


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
            raise ConsumptionError(
                f"{folder / load.file} changed since the export wrote it (sha256 differs from "
                "manifest.json); run the export again"
            )


def make_auth(config: PushConfig) -> CertificateAuth | BasicAuth:
    """The configured authentication, its files read and checked before any request."""
    if config.auth == AUTH_BASIC:
        return BasicAuth.from_environment()
    assert config.certificate is not None and config.private_key is not None
    return CertificateAuth.from_files(config.certificate, config.private_key, config.payload_format)


def push(
    out_dir: str | Path,
    config: PushConfig,
    say: Callable[[str], None] = print,
    auth: CertificateAuth | BasicAuth | None = None,
) -> list[LoadReport]:
    """Upload and run every load of ``config`` in order; raise on the first failed task."""
    folder = Path(out_dir) / C.ANAPLAN_DIR
    check_loads(folder, config)
    auth = auth or make_auth(config)
    reports = []
    with BulkClient(config, auth) as client:
        for load in config.loads:
            reports.append(_run_load(client, folder, load, say))
    return reports


def _run_load(
    client: BulkClient, folder: Path, load: Load, say: Callable[[str], None]
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
        where = f"; failure dump saved as {', '.join(map(str, saved))}" if saved else ""
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
