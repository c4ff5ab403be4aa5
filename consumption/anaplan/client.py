"""The few bulk API v2 calls a push needs, on one model, with a token kept fresh.

Tokens are refreshed before they expire; an answer 401 in the middle of a
push (the token expired or was revoked) authenticates anew and repeats the
request once. An import is never started twice: after a lost answer, the
client looks for a new task of that action before starting another. Tokens
and credentials never appear in messages.

Nothing the server answers is trusted: every ID it gives is checked against
its kind's shape (:mod:`.ids`) before it goes into a URL or a file name,
every text it gives is scrubbed of secrets before it is shown, redirects are
not followed (the token would go with them), and lists are read page by page
as ``meta.paging`` says, with a bound on the pages.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from consumption.anaplan import missing_extra

try:
    import requests
except ImportError as error:  # the anaplan extra is not installed
    raise missing_extra(error) from error

from consumption.anaplan import ids
from consumption.anaplan.auth import BasicAuth, CertificateAuth, Token
from consumption.anaplan.config import PushConfig
from consumption.anaplan.http import (
    Header,
    Scrub,
    field,
    guarded,
    json_object,
    session,
    status_message,
    tls_failure,
)
from consumption.errors import AnaplanApiError, AnaplanAuthError, AnaplanConfigError

GZIP_TYPE: Final = "application/x-gzip"
RAW_TYPE: Final = "application/octet-stream"
# A gzipped chunk is sent only when it is at most this fraction of the raw one.
GZIP_WORTH: Final = 0.9
TASK_DONE: Final = frozenset({"COMPLETE", "CANCELLED"})
# A list longer than this many pages is refused: a server whose paging never ends
# must not keep a push going.
MAX_PAGES: Final = 1000

# What to check when the API refuses a request, by status.
_HINTS: Final = {
    401: "; the API refused a fresh token: check the user's access to the model",
    403: "; check that the user may run imports in this workspace and model",
    404: "; check workspace, model and the file, import and process IDs in the configuration",
}
_REDIRECT_HINT: Final = "; push follows no redirect (the token would go with it): check api_url"


def answered(response: requests.Response) -> bool:
    """A 2xx answer: ``response.ok`` also holds for a redirect, which is not followed."""
    return 200 <= response.status_code < 300


class Tokens:
    """The current token: obtained on first use, refreshed before it expires."""

    def __init__(
        self,
        config: PushConfig,
        auth: CertificateAuth | BasicAuth,
        session: requests.Session,
        scrub: Scrub,
    ) -> None:
        self._config = config
        self._auth = auth
        self._session = session
        self._scrub = scrub
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
                url, auth=Header(lambda: headers["Authorization"]), json=body,
                timeout=self._config.timeout_s, allow_redirects=False,
            )  # fmt: skip

        response = guarded(self._config, "authentication", url, send)
        reason = status_message(response, self._scrub)
        if response.status_code in (401, 403):
            raise AnaplanAuthError(
                f"Anaplan refused the {type(self._auth).__name__[:-4].lower()} credentials "
                f"(HTTP {response.status_code}{reason}); "
                "check the certificate, key or user in the configuration"
            )
        if not answered(response):
            hint = _REDIRECT_HINT.replace("api_url", "auth_url") if response.ok else ""
            raise AnaplanAuthError(
                f"authentication failed: HTTP {response.status_code}{reason}{hint}"
            )
        return self._kept(Token.from_response(json_object(response, "authentication")))

    def _kept(self, token: Token) -> Token:
        """The token, known from now on to :class:`Scrub`: a server may echo it back."""
        self._scrub.add(token.value)
        return token

    def _refresh(self, token: Token) -> Token:
        try:
            response = self._session.post(
                f"{self._config.auth_url}/token/refresh",
                auth=Header(lambda: token.header),
                timeout=self._config.timeout_s,
                allow_redirects=False,
            )
        except (requests.ConnectionError, requests.Timeout):  # a TLS failure too: it says so
            return self._authenticate()
        if not answered(response):  # refused or expired already: start again
            return self._authenticate()
        return self._kept(Token.from_response(json_object(response, "token refresh")))

    def logout(self) -> None:
        """End the token's session; best effort, a failure here changes nothing loaded."""
        if self._token is None:
            return
        token, self._token = self._token, None
        with contextlib.suppress(requests.RequestException):
            self._session.post(
                f"{self._config.auth_url}/token/logout",
                auth=Header(lambda: token.header),
                timeout=self._config.timeout_s,
                allow_redirects=False,
            )


class BulkClient:
    """The few bulk API calls a push and a pull need, on one model."""

    def __init__(self, config: PushConfig, auth: CertificateAuth | BasicAuth) -> None:
        self.config = config
        # Every text of the server passes through this before it is shown.
        self.scrub = Scrub(auth.secrets())
        self._http = session(config, repeatable=True)
        self._once = session(config, repeatable=False)
        self.tokens = Tokens(config, auth, self._once, self.scrub)

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

        def send() -> requests.Response:
            return session.request(
                method, url, auth=Header(self.tokens.header), timeout=self.config.timeout_s,
                allow_redirects=False, **kwargs,
            )  # fmt: skip

        response = send()
        if response.status_code == 401:
            self.tokens.renew()
            response = send()
        return response

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """A repeatable request: retried by the adapter; an error answer raises."""
        path = url.removeprefix(self.config.api_url)
        try:
            response = self._send(self._http, method, url, **kwargs)
        except requests.exceptions.SSLError as error:
            raise AnaplanApiError(f"{method} {path}: {tls_failure(url, error)}") from error
        except (requests.ConnectionError, requests.Timeout) as error:
            raise AnaplanApiError(
                f"{method} {path}: no answer after {self.config.retries + 1} attempts "
                f"({type(error).__name__}); check api_url and the network, then push again"
            ) from error
        if not answered(response):
            hint = _REDIRECT_HINT if response.ok else _HINTS.get(response.status_code, "")
            raise AnaplanApiError(
                f"{method} {path}: HTTP {response.status_code}"
                f"{status_message(response, self.scrub)}{hint}"
            )
        return response

    def _list(self, url: str, key: str, what: str) -> list[dict[str, Any]]:
        """Every entry of a list the API gives in pages (``meta.paging``; the next page
        by ``?offset=``), each a JSON object."""
        entries: list[dict[str, Any]] = []
        offset = 0
        for _ in range(MAX_PAGES):
            params = {"offset": offset} if offset else None
            body = json_object(self._call("GET", url, params=params), what)
            listed = body.get(key, [])  # Anaplan leaves the key out of an empty list
            if not isinstance(listed, list) or not all(isinstance(e, dict) for e in listed):
                raise AnaplanApiError(f"{what}: the API's {key!r} is not a list of objects")
            entries += listed
            meta = body.get("meta")
            paging = meta.get("paging") if isinstance(meta, dict) else None
            if not isinstance(paging, dict):
                return entries  # one page holds the whole list
            size, start, total = (
                self._count(paging.get(k), what) for k in ("currentPageSize", "offset", "totalSize")
            )
            if start != offset:
                raise AnaplanApiError(
                    f"{what}: the API answered the page at offset {start} for offset {offset}"
                )
            offset = start + size
            if offset >= total:
                return entries
            if size <= 0:  # the next page would be this one again
                raise AnaplanApiError(f"{what}: the API's paging does not advance")
        raise AnaplanApiError(f"{what}: the list runs over {MAX_PAGES} pages; refused")

    def _count(self, value: Any, what: str) -> int:
        """A number of ``meta.paging``: a JSON integer, never negative."""
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            shown = self.scrub(ids.shown(value))
            raise AnaplanApiError(f"{what}: the API's meta.paging holds {shown}")
        return value

    # --- files -----------------------------------------------------------------------------
    def files(self) -> dict[str, dict[str, Any]]:
        """The model's files by ID (name, encoding, separator, ...); each ID checked."""
        listed = self._list(f"{self.config.model_url}/files", "files", "file list")
        return {ids.check(ids.FILE, f.get("id"), "file list", self.scrub): f for f in listed}

    def upload(self, path: Path, file_id: str) -> tuple[int, int]:
        """Upload ``path`` into the model's file ``file_id``; return (chunks, bytes sent)."""
        files = f"{self.config.model_url}/files/{file_id}"
        size = path.stat().st_size
        count = max(1, math.ceil(size / self.config.chunk_bytes))
        answer = self._call("POST", files, json={"id": file_id, "chunkCount": count})
        created = field(json_object(answer, "chunk count"), "file", "chunk count").get("id")
        if created != file_id:
            # Anaplan takes a POST to an ID that is no file of the model as the creation
            # of a new private file: the chunks would go there, and the import would run
            # on its old data. Nothing more is sent.
            raise AnaplanConfigError(
                f"file_id {file_id} is not a file of model {self.config.model}: Anaplan "
                f"created a new private file ({self.scrub(ids.shown(created))}) instead of "
                "taking the chunks into the import's source file. The file_id in the "
                "configuration is wrong: take the ID of the import's source file from the "
                "model's files (GET .../files); the new private file can be deleted"
            )
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

    def download(self, file_id: str, target: Path) -> tuple[int, int, str]:
        """Write the model's file ``file_id`` (an export's output has the export's ID) to
        ``target``, chunk by chunk in order; return (chunks, bytes, sha256)."""
        chunks = f"{self.config.model_url}/files/{file_id}/chunks"
        listed = self._list(chunks, "chunks", "file chunks")
        numbers = [
            ids.check(ids.CHUNK, _text(c.get("id")), "file chunks", self.scrub) for c in listed
        ]
        digest = hashlib.sha256()
        size = 0
        with open(target, "wb") as out:
            # Chunk by chunk: a file of gigabytes never sits in memory whole.
            for number in numbers:
                content = self._call("GET", f"{chunks}/{number}").content
                out.write(content)
                digest.update(content)
                size += len(content)
        return len(numbers), size, digest.hexdigest()

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
        wait = self.config.poll_s
        while True:
            answer = json_object(self._call("GET", f"{tasks}/{task_id}"), "task status")
            task = field(answer, "task", "task status")
            if task.get("taskState") in TASK_DONE:
                return task_id, task
            left = deadline - time.monotonic()
            if left <= 0:
                raise AnaplanApiError(
                    f"{kind} {action_id}: task {task_id} still {self.state(task)} after "
                    f"{self.config.task_timeout_s:g} s; see it in Anaplan, or raise task_timeout_s"
                )
            time.sleep(min(wait, left))
            # A long task is looked at less and less often: an import of hours costs a
            # few hundred requests, not thousands, and a short one still ends soon.
            wait = min(wait * self.config.poll_factor, self.config.poll_max_s)

    def state(self, task: dict[str, Any]) -> str:
        """The task's state as a message may show it (a server's text, scrubbed)."""
        state = task.get("taskState")
        if isinstance(state, str) and state.replace("_", "").isalpha() and len(state) <= 40:
            return state
        return self.scrub(ids.shown(state))

    def _start(self, tasks: str) -> str:
        """Start a task once: after a lost answer, adopt the task it started, if any."""
        known = self._task_ids(tasks)

        def started() -> str | None:
            new = [t for t in self._listed_tasks(tasks) if t not in known]
            return new[0] if new else None

        def send() -> requests.Response:
            return self._send(self._once, "POST", tasks, json={"localeName": self.config.locale})

        what = f"POST {tasks.removeprefix(self.config.api_url)}"
        answer = guarded(self.config, what, tasks, send, started)
        if isinstance(answer, str):
            return answer
        if not answered(answer):
            hint = _REDIRECT_HINT if answer.ok else (
                "; check the import or process ID in the configuration"
            )  # fmt: skip
            raise AnaplanApiError(
                f"{what}: HTTP {answer.status_code}{status_message(answer, self.scrub)}{hint}"
            )
        task = field(json_object(answer, "task start"), "task", "task start")
        return ids.check(ids.TASK, task.get("taskId"), "task start", self.scrub)

    def _listed_tasks(self, tasks: str) -> list[str]:
        """Task IDs of the action (their order does not matter here), each checked."""
        return [
            ids.check(ids.TASK, t.get("taskId"), "task list", self.scrub)
            for t in self._list(tasks, "tasks", "task list")
        ]

    def _task_ids(self, tasks: str) -> set[str]:
        return set(self._listed_tasks(tasks))

    # --- failure dumps -------------------------------------------------------------------
    def dumps(
        self, kind: str, action_id: str, task_id: str, task: dict[str, Any]
    ) -> Iterator[tuple[str, bytes]]:
        """(name, content) of each failure dump the task left: the import's own, or one per
        failed import of a process."""
        # action_id and task_id are checked already (the configuration, the task start);
        # a dump's name is made of them and of checked object IDs only.
        base = f"{self.config.model_url}/{kind}/{action_id}/tasks/{task_id}"
        result = task.get("result")
        result = result if isinstance(result, dict) else {}
        if kind == "imports":
            if result.get("failureDumpAvailable") is True:
                yield f"import-{action_id}-{task_id}.csv", self._download(f"{base}/dump")
            return
        nested_results = result.get("nestedResults")
        for nested in nested_results if isinstance(nested_results, list) else []:
            if isinstance(nested, dict) and nested.get("failureDumpAvailable") is True:
                # Only imports leave failure dumps.
                object_id = ids.check(ids.IMPORT, nested.get("objectId"), "task result", self.scrub)
                yield (
                    f"process-{action_id}-{object_id}-{task_id}.csv",
                    self._download(f"{base}/dumps/{object_id}"),
                )

    def _download(self, dump: str) -> bytes:
        """A dump, chunk by chunk as Anaplan recommends for large ones."""
        listed = self._list(f"{dump}/chunks", "chunks", "dump chunks")
        numbers = [
            ids.check(ids.CHUNK, _text(c.get("id")), "dump chunks", self.scrub) for c in listed
        ]
        return b"".join(self._call("GET", f"{dump}/chunks/{n}").content for n in numbers)


def _text(value: Any) -> Any:
    """A number given as a JSON number (a chunk ID of 0), as text; anything else as it is."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
