"""The few bulk API v2 calls a push needs, on one model, with a token kept fresh.

Tokens are refreshed before they expire; an answer 401 in the middle of a
push (the token expired or was revoked) authenticates anew and repeats the
request once. An import is never started twice: after a lost answer, the
client looks for a new task of that action before starting another. Tokens
and credentials never appear in messages.
"""

from __future__ import annotations

import contextlib
import gzip
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

from consumption.anaplan.auth import BasicAuth, CertificateAuth, Token
from consumption.anaplan.config import PushConfig
from consumption.anaplan.http import Header, guarded, json_of, session, status_message
from consumption.errors import AnaplanApiError, AnaplanAuthError

GZIP_TYPE: Final = "application/x-gzip"
RAW_TYPE: Final = "application/octet-stream"
# A gzipped chunk is sent only when it is at most this fraction of the raw one.
GZIP_WORTH: Final = 0.9
TASK_DONE: Final = frozenset({"COMPLETE", "CANCELLED"})

# What to check when the API refuses a request, by status.
_HINTS: Final = {
    401: "; the API refused a fresh token: check the user's access to the model",
    403: "; check that the user may run imports in this workspace and model",
    404: "; check workspace, model and the file, import and process IDs in the configuration",
}


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
                url, auth=Header(lambda: headers["Authorization"]), json=body,
                timeout=self._config.timeout_s,
            )  # fmt: skip

        response = guarded(self._config, "authentication", send)
        if response.status_code in (401, 403):
            raise AnaplanAuthError(
                f"Anaplan refused the {type(self._auth).__name__[:-4].lower()} credentials "
                f"(HTTP {response.status_code}{status_message(response)}); "
                "check the certificate, key or user in the configuration"
            )
        if not response.ok:
            raise AnaplanAuthError(
                f"authentication failed: HTTP {response.status_code}{status_message(response)}"
            )
        return Token.from_response(json_of(response, "authentication"))

    def _refresh(self, token: Token) -> Token:
        try:
            response = self._session.post(
                f"{self._config.auth_url}/token/refresh",
                auth=Header(lambda: token.header),
                timeout=self._config.timeout_s,
            )
        except (requests.ConnectionError, requests.Timeout):
            return self._authenticate()
        if not response.ok:  # refused or expired already: start again
            return self._authenticate()
        return Token.from_response(json_of(response, "token refresh"))

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
            )


class BulkClient:
    """The few bulk API calls a push needs, on one model."""

    def __init__(self, config: PushConfig, auth: CertificateAuth | BasicAuth) -> None:
        self.config = config
        self._http = session(config, repeatable=True)
        self._once = session(config, repeatable=False)
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
        auth = Header(self.tokens.header)
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
                f"{method} {path}: HTTP {response.status_code}{status_message(response)}"
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
            task = json_of(self._call("GET", f"{tasks}/{task_id}"), "task status").get("task", {})
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

        answer = guarded(
            self.config, f"POST {tasks.removeprefix(self.config.api_url)}", send, started
        )
        if isinstance(answer, str):
            return answer
        if not answer.ok:
            raise AnaplanApiError(
                f"POST {tasks.removeprefix(self.config.api_url)}: HTTP {answer.status_code}"
                f"{status_message(answer)}; check the import or process ID in the configuration"
            )
        try:
            return str(json_of(answer, "task start")["task"]["taskId"])
        except (KeyError, TypeError) as error:
            raise AnaplanApiError("task start: the answer names no taskId") from error

    def _listed_tasks(self, tasks: str) -> list[str]:
        """Task IDs of the action (their order does not matter here)."""
        body = json_of(self._call("GET", tasks), "task list")
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
        listed = json_of(self._call("GET", f"{dump}/chunks"), "dump chunks").get("chunks", [])
        ids = [str(c.get("id")) for c in listed if isinstance(c, dict)]
        return b"".join(self._call("GET", f"{dump}/chunks/{i}").content for i in ids)
