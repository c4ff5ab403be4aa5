"""A stand-in for Anaplan's authentication service and bulk API v2, for the push tests.

It listens on 127.0.0.1 only (a free port), in a thread, and is strict where
Anaplan is: it verifies every certificate payload (signature with the
certificate's public key, v2 timestamp within a minute, no message used
twice), refuses unknown or expired tokens, reassembles uploaded chunks (gzip
or not) and runs imports only on files uploaded whole. Like Anaplan, it takes
a chunk count posted to an ID that is not one of the model's files as the
creation of a new private file, gives every list in pages (``meta.paging``,
the next page by ``?offset=``) when ``page_size`` is set, and reports a
task's row counts in ``details[].values``. Faults are injected on request: an
HTTP status (409, 429, 503, with a ``Retry-After`` of either form) or a
dropped connection, before or after the request took effect, and tokens
expired in the middle of a push.

It can also play a hostile server: answer a task ID or an object ID that is
a path (``hostile_task_id``, ``hostile_object_id``), a token that is no
header value (``token_value``), or echo the request's credentials in the
``statusMessage`` of every error (``echo``). With ``tls``, it speaks HTTPS.

Everything it finds wrong lands in ``problems``; tests assert it stays empty.
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import re
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

WORKSPACE = "8a81b09d5e8c6f27015ece3402487d33"
MODEL = "35A6EF893D7F47EEA5A554D5CC7DC330"
MODEL_PATH = f"/2/0/workspaces/{WORKSPACE}/models/{MODEL}"
MAX_CLOCK_SKEW_S = 60
# How the model's files are set up by default: as the export is written.
FILE_FORMAT = {
    "encoding": "UTF-8",
    "separator": ",",
    "delimiter": '"',
    "headerRow": 1,
    "firstDataRow": 2,
    "format": "txt",
}


@dataclass
class Fault:
    """Answer the ``nth`` request matching ``method`` and ``pattern`` (a regex on the path)
    with ``status``, or drop the connection (``"drop"`` before handling it, ``"lost"``
    after handling it: the effect happened but the answer never arrives), or
    ``"expire"`` every token just before handling it; ``times`` matches in a row.
    ``headers`` go with the answer (``Retry-After``, ``Location``)."""

    method: str
    pattern: str
    action: int | str
    nth: int = 1
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    seen: int = 0
    fired: int = 0


@dataclass
class Task:
    action: str
    task_id: str
    polls: int = 0
    written: bool = False  # an export task writes its file once, when it completes


@dataclass
class StandIn:
    """The server's state; the HTTP handler only routes to it."""

    certificate: x509.Certificate | None = None
    basic: tuple[str, str] | None = None
    payload_format: str = "v2"
    imports: dict[str, str] = field(default_factory=dict)  # import id -> its file id
    processes: dict[str, list[str]] = field(default_factory=dict)  # process id -> import ids
    failing: set[str] = field(default_factory=set)  # import ids whose task fails
    ignored: dict[str, int] = field(default_factory=dict)  # import id -> rows it ignores
    # The model's files, by id (name, encoding, separator, ...): by default one per
    # import, set up as the export is written.
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Files still listed, but gone: a chunk count posted to them creates a new file.
    deleted: set[str] = field(default_factory=set)
    page_size: int | None = None  # lists in pages of this many entries
    token_ttl_s: float = 1800.0
    polls_until_done: int = 2
    faults: list[Fault] = field(default_factory=list)
    # A hostile server.
    hostile_task_id: str | None = None
    hostile_object_id: str | None = None
    token_value: str | None = None
    echo: bool = False

    problems: list[str] = field(default_factory=list)
    messages: list[bytes] = field(default_factory=list)  # every accepted encodedData
    tokens_issued: list[str] = field(default_factory=list)
    authentications: int = 0
    refreshes: int = 0
    unauthorized: int = 0
    chunk_counts: dict[str, int] = field(default_factory=dict)
    chunks: dict[str, dict[int, bytes]] = field(default_factory=dict)
    content_types: list[str] = field(default_factory=list)
    completed: dict[str, list[bytes]] = field(default_factory=dict)  # file id -> each upload
    task_starts: list[str] = field(default_factory=list)
    tasks: dict[str, Task] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    dump_parts: tuple[bytes, bytes] = (b'"Lots","Error"\n', b'"A||5678","Invalid line item"\n')
    private_files: list[str] = field(default_factory=list)  # created by a wrong file id
    # Export actions: export id -> the file it writes (its output file has the export's id),
    # served in chunks of export_chunk_bytes; failing_exports end unsuccessful.
    exports: dict[str, bytes] = field(default_factory=dict)
    export_chunk_bytes: int = 1000
    failing_exports: set[str] = field(default_factory=set)
    exported: dict[str, bytes] = field(default_factory=dict)  # written by a finished export
    downloads: list[str] = field(default_factory=list)  # export ids, each time downloaded whole
    # Lists, as Anaplan keeps them: the items of every list file imported (Code -> row);
    # an import adds and updates items, never deletes one. A delete-by-selection action
    # (action id -> the list's file id) removes the items whose Batch is not the one
    # of the list's last import.
    lists: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    delete_actions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._tokens: dict[str, float] = {}
        self.lock = threading.Lock()
        for file_id in self.imports.values():
            self.files.setdefault(file_id, {"name": f"file {file_id}", **FILE_FORMAT})

    # --- faults ----------------------------------------------------------------------------
    def fault_for(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.fired >= fault.times or fault.method != method:
                continue
            if not re.search(fault.pattern, path):
                continue
            fault.seen += 1
            if fault.seen >= fault.nth:
                fault.fired += 1
                return fault
        return None

    def expire_tokens(self) -> None:
        self._tokens.clear()

    # --- authentication ------------------------------------------------------------------
    def _issue(self) -> tuple[int, Any]:
        token = self.token_value or secrets.token_hex(16)
        self._tokens[token] = time.time() + self.token_ttl_s
        self.tokens_issued.append(token)
        expires_ms = int(self._tokens[token] * 1000)
        info = {"tokenId": secrets.token_hex(8), "tokenValue": token, "expiresAt": expires_ms}
        return 200, {"status": "SUCCESS", "statusMessage": "Login successful", "tokenInfo": info}

    def authenticate(self, authorization: str, body: bytes) -> tuple[int, Any]:
        if authorization.startswith("Basic "):
            expected = base64.b64encode(":".join(self.basic or ("", "")).encode()).decode()
            if self.basic is None or authorization != f"Basic {expected}":
                return 401, {"status": "FAILURE_BAD_CREDENTIAL"}
            self.authentications += 1
            return self._issue()
        if not authorization.startswith("CACertificate ") or self.certificate is None:
            return 401, {"status": "FAILURE_BAD_CREDENTIAL"}
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        if authorization.removeprefix("CACertificate ") != base64.b64encode(der).decode():
            self.problems.append("CACertificate header is not the certificate's DER in base64")
            return 401, {"status": "FAILURE_BAD_CREDENTIAL"}
        problem = self._check_payload(json.loads(body or b"{}"))
        if problem:
            self.problems.append(problem)
            return 401, {"status": "FAILURE_BAD_CREDENTIAL", "statusMessage": problem}
        self.authentications += 1
        return self._issue()

    def _check_payload(self, body: dict[str, Any]) -> str | None:
        if body.get("encodedDataFormat") != ("v2" if self.payload_format == "v2" else None):
            return f"encodedDataFormat is {body.get('encodedDataFormat')!r}"
        data = base64.b64decode(body["encodedData"], validate=True)
        signature = base64.b64decode(body["encodedSignedData"], validate=True)
        if len(data) != 100:
            return f"encodedData holds {len(data)} bytes, not 100"
        if self.payload_format == "v2":
            stamp = int.from_bytes(data[:8], "big")
            if abs(time.time() - stamp) > MAX_CLOCK_SKEW_S:
                return f"v2 timestamp {stamp} is not recent"
        assert self.certificate is not None
        try:
            self.certificate.public_key().verify(  # type: ignore[union-attr]
                signature, data, padding.PKCS1v15(), hashes.SHA512()
            )
        except InvalidSignature:
            return "signature does not verify with the certificate"
        if data in self.messages:
            return "a payload was used twice"
        self.messages.append(data)
        return None

    def token_ok(self, authorization: str) -> bool:
        token = authorization.removeprefix("AnaplanAuthToken ")
        return authorization.startswith("AnaplanAuthToken ") and (
            self._tokens.get(token, 0.0) > time.time()
        )

    def refresh(self, authorization: str) -> tuple[int, Any]:
        if not self.token_ok(authorization):
            return 401, {"status": "FAILURE_INVALID_TOKEN"}
        self._tokens.pop(authorization.removeprefix("AnaplanAuthToken "), None)
        self.refreshes += 1
        return self._issue()

    def logout(self, authorization: str) -> tuple[int, Any]:
        self._tokens.pop(authorization.removeprefix("AnaplanAuthToken "), None)
        return 204, None

    # --- bulk API ------------------------------------------------------------------------
    def api(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        parts = urlsplit(path)
        offset = int(parse_qs(parts.query).get("offset", ["0"])[0])
        route = parts.path.removeprefix(MODEL_PATH)
        if not parts.path.startswith(MODEL_PATH):
            return 404, {"status": {"code": 404, "message": "Not found"}}
        if route == "/files" and method == "GET":
            listed = [{"id": file_id, **entry} for file_id, entry in self.files.items()]
            return self._page("files", listed, offset)
        if (m := re.fullmatch(r"/files/(\d+)/chunks(?:/(\d+))?", route)) and method == "GET":
            return self._download(m[1], m[2], offset)
        if m := re.fullmatch(r"/files/(\d+)", route):
            return self._chunk_count(m[1], json.loads(body))
        if m := re.fullmatch(r"/files/(\d+)/chunks/(\d+)", route):
            return self._chunk(m[1], int(m[2]), headers.get("Content-Type", ""), body)
        if m := re.fullmatch(r"/files/(\d+)/complete", route):
            return self._complete(m[1])
        known = {
            "imports": self.imports,
            "processes": self.processes,
            "exports": self.exports,
            "actions": self.delete_actions,
        }
        kinds = r"(imports|processes|exports|actions)"
        if (m := re.match(rf"/{kinds}/(\d+)/", route)) and m[2] not in known[m[1]]:
            return 404, {"status": {"code": 404, "message": f"no such {m[1][:-1]}"}}
        if m := re.fullmatch(rf"/{kinds}/(\d+)/tasks", route):
            if method == "GET":
                listed = [{"taskId": t.task_id} for t in self.tasks.values() if t.action == m[2]]
                return self._page("tasks", listed, offset)
            return self._start(m[1], m[2], json.loads(body or b"{}"))
        if m := re.fullmatch(rf"/{kinds}/(\d+)/tasks/(\w+)", route):
            return self._status(m[1], m[2], m[3])
        if m := re.fullmatch(r"/imports/(\d+)/tasks/(\w+)/dump/chunks(?:/(\d+))?", route):
            return self._dump(m[1], m[3], offset)
        if m := re.fullmatch(r"/processes/(\d+)/tasks/(\w+)/dumps/(\d+)/chunks(?:/(\d+))?", route):
            return self._dump(m[3], m[4], offset)
        return 404, {"status": {"code": 404, "message": f"no route {route}"}}

    def _page(self, key: str, entries: list[dict[str, Any]], offset: int) -> tuple[int, Any]:
        """A list answer, one page of it when ``page_size`` is set (as Anaplan pages)."""
        if self.page_size is None:
            return 200, {key: entries}
        page = entries[offset : offset + self.page_size]
        paging = {"currentPageSize": len(page), "offset": offset, "totalSize": len(entries)}
        # Anaplan leaves the key out of an empty list.
        return 200, {"meta": {"paging": paging}, **({key: page} if page else {})}

    def _chunk_count(self, file_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        count = int(body["chunkCount"])
        if not 1 <= count <= 1000:
            self.problems.append(f"file {file_id}: chunkCount {count}")
        if file_id not in self.files or file_id in self.deleted:
            # As Anaplan does: a new private file, under an id of its own.
            file_id = f"113{secrets.randbelow(10**9):09d}"
            self.private_files.append(file_id)
        self.chunk_counts[file_id] = count
        self.chunks[file_id] = {}
        return 200, {"file": {"id": file_id, "chunkCount": count}}

    def _chunk(self, file_id: str, number: int, content_type: str, body: bytes) -> tuple[int, Any]:
        self.content_types.append(content_type)
        if content_type == "application/x-gzip":
            body = gzip.decompress(body)
        elif content_type != "application/octet-stream":
            self.problems.append(f"chunk sent as {content_type!r}")
        if len(body) > 50_000_000:
            self.problems.append(f"chunk of {len(body)} bytes")
        if file_id not in self.chunks or number >= self.chunk_counts[file_id]:
            self.problems.append(f"file {file_id}: chunk {number} outside the announced count")
            return 400, {"status": {"code": 400, "message": "bad chunk"}}
        self.chunks[file_id][number] = body  # a repeated chunk replaces itself: no duplicate
        return 204, None

    def _complete(self, file_id: str) -> tuple[int, Any]:
        chunks = self.chunks.get(file_id, {})
        count = self.chunk_counts.get(file_id, -1)
        if sorted(chunks) != list(range(count)):
            self.problems.append(
                f"file {file_id} completed with chunks {sorted(chunks)} of {count}"
            )
            return 400, {"status": {"code": 400, "message": "missing chunks"}}
        self.completed.setdefault(file_id, []).append(b"".join(chunks[n] for n in range(count)))
        return 200, {"file": {"id": file_id, "chunkCount": count}}

    def _download(self, file_id: str, chunk: str | None, offset: int) -> tuple[int, Any]:
        """An export's output file, as Anaplan serves it: a chunk list, then each chunk."""
        content = self.exported.get(file_id)
        if content is None:
            self.problems.append(f"file {file_id} downloaded before its export ran")
            return 404, {"status": {"code": 404, "message": "no such file"}}
        size = self.export_chunk_bytes
        parts = [content[i : i + size] for i in range(0, len(content), size)] or [b""]
        if chunk is None:
            listed = [{"id": str(i), "name": f"Chunk {i}"} for i in range(len(parts))]
            return self._page("chunks", listed, offset)
        if int(chunk) == len(parts) - 1:
            self.downloads.append(file_id)
        return 200, parts[int(chunk)]

    def _start(self, kind: str, action: str, body: dict[str, Any]) -> tuple[int, Any]:
        if not body.get("localeName"):
            self.problems.append(f"{kind} {action} started without localeName")
        if kind in ("exports", "actions"):
            task = Task(action, secrets.token_hex(16).upper())
            self.tasks[task.task_id] = task
            self.task_starts.append(action)
            return 200, {"task": {"taskId": self.hostile_task_id or task.task_id}}
        imports = [action] if kind == "imports" else self.processes.get(action, [])
        for import_id in imports:
            file_id = self.imports.get(import_id)
            if file_id is None or not self.completed.get(file_id):
                self.problems.append(f"import {import_id} ran before its file was uploaded")
        task = Task(action, secrets.token_hex(16).upper())
        self.tasks[task.task_id] = task
        self.task_starts.append(action)
        return 200, {"task": {"taskId": self.hostile_task_id or task.task_id}}

    def _status(self, kind: str, action: str, task_id: str) -> tuple[int, Any]:
        task = self.tasks.get(task_id)
        if task is None or task.action != action:
            return 404, {"status": {"code": 404, "message": "no such task"}}
        task.polls += 1
        if task.polls < self.polls_until_done:
            return 200, {"task": {"taskId": task_id, "taskState": "IN_PROGRESS", "progress": 0.5}}
        if kind == "actions":
            if not task.written:
                self._delete_stale(self.delete_actions[action])
                task.written = True
            result = {"successful": True, "failureDumpAvailable": False, "objectId": action}
            return 200, {"task": {"taskId": task_id, "taskState": "COMPLETE", "result": result}}
        if kind == "exports":
            ok = action not in self.failing_exports
            if ok and not task.written:
                self.exported[action] = self.exports[action]
                task.written = True
            result = {"successful": ok, "failureDumpAvailable": False, "objectId": action}
            if not ok:
                result["details"] = [{"localMessageText": "export failed: no such view"}]
            return 200, {"task": {"taskId": task_id, "taskState": "COMPLETE", "result": result}}
        imports = [action] if kind == "imports" else self.processes.get(action, [])
        failed = [i for i in imports if i in self.failing]
        if not task.written:
            for import_id in imports:
                if import_id not in failed:
                    self._import_list(self.imports[import_id])
            task.written = True
        result: dict[str, Any] = {
            "successful": not failed,
            "failureDumpAvailable": bool(failed) and kind == "imports",
            "objectId": action,
        }
        if kind == "imports":
            result["details"] = self._details(action)
        else:
            result["nestedResults"] = [
                {
                    "objectId": (self.hostile_object_id or i) if i in failed else i,
                    "successful": i not in failed,
                    "failureDumpAvailable": i in failed,
                    "details": self._details(i),
                }
                for i in imports
            ]
        return 200, {"task": {"taskId": task_id, "taskState": "COMPLETE", "result": result}}

    def _import_list(self, file_id: str) -> None:
        """A list file's rows into its list: items added or updated, none deleted."""
        uploads = self.completed.get(file_id)
        if not uploads:
            return
        rows = list(csv.DictReader(io.StringIO(uploads[-1].decode("utf-8"))))
        if rows and list(rows[0])[:3] == ["Code", "Name", "Parent"]:
            items = self.lists.setdefault(file_id, {})
            items.update({row["Code"]: row for row in rows})

    def _delete_stale(self, file_id: str) -> None:
        """Delete by selection: the items whose Batch is not that of the last import."""
        uploads = self.completed.get(file_id)
        rows = list(csv.DictReader(io.StringIO(uploads[-1].decode("utf-8")))) if uploads else []
        if not rows or "Batch" not in rows[0]:
            self.problems.append(f"delete action on file {file_id}, which has no Batch")
            return
        latest = rows[0]["Batch"]
        items = self.lists.get(file_id, {})
        for code in [c for c, row in items.items() if row.get("Batch") != latest]:
            del items[code]

    def _details(self, import_id: str) -> list[dict[str, Any]]:
        """Anaplan's account of an import: a message, and the row counts as texts."""
        uploads = self.completed.get(self.imports.get(import_id, ""), [b""])
        rows = max(uploads[-1].count(b"\n") - 1, 0)
        errors = 1 if import_id in self.failing else 0
        ignored = self.ignored.get(import_id, 0)
        values = [
            f"Number of rows successful: {rows - errors - ignored}",
            f"Number of rows with errors: {errors}",
            "Number of rows with warnings: 0",
            f"Number of rows ignored: {ignored}",
        ]
        text = "1 row rejected" if errors else f"{rows - errors - ignored} rows successful"
        return [{"localMessageText": text, "type": "rowsProcessed", "values": values}]

    def _dump(self, import_id: str, chunk: str | None, offset: int = 0) -> tuple[int, Any]:
        if import_id not in self.failing:
            return 404, {"status": {"code": 404, "message": "no dump"}}
        if chunk is None:
            listed = [{"id": str(i), "name": f"Chunk {i}"} for i in range(len(self.dump_parts))]
            return self._page("chunks", listed, offset)
        return 200, self.dump_parts[int(chunk)]

    def echoed(self, authorization: str) -> str:
        """What a careless server says on an error: the credentials it was sent."""
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode()
            return f"bad credentials {decoded} ({authorization})"
        return f"rejected request with header {authorization}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each answer waits out a delayed ACK (40 ms)
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet tests
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _handle(self) -> None:
        state = self.server.stand_in
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with state.lock:
            fault = state.fault_for(self.command, self.path)
            if fault is not None and fault.action == "drop":
                state.requests.append((self.command, self.path, 0))
                self.close_connection = True
                return
            if fault is not None and fault.action == "expire":
                state.expire_tokens()
            if fault is not None and isinstance(fault.action, int):
                status, answer = fault.action, {"status": {"code": fault.action}}
            else:
                status, answer = self._route(state, body)
            if state.echo and status >= 400:
                said = state.echoed(self.headers.get("Authorization", ""))
                answer = {"status": {"code": status, "message": said}, "statusMessage": said}
            state.requests.append((self.command, self.path, status))
        if fault is not None and fault.action == "lost":
            self.close_connection = True
            return
        self._answer(status, answer, fault.headers if fault is not None else {})

    def _route(self, state: StandIn, body: bytes) -> tuple[int, Any]:
        authorization = self.headers.get("Authorization", "")
        if self.path == "/auth/token/authenticate" and self.command == "POST":
            return state.authenticate(authorization, body)
        if self.path == "/auth/token/refresh" and self.command == "POST":
            return state.refresh(authorization)
        if self.path == "/auth/token/logout" and self.command == "POST":
            return state.logout(authorization)
        if not state.token_ok(authorization):
            state.unauthorized += 1
            return 401, {"status": {"code": 401, "message": "Unauthorized"}}
        return state.api(self.command, self.path, self.headers, body)

    def _answer(self, status: int, answer: Any, headers: dict[str, str] | None = None) -> None:
        data = (
            answer
            if isinstance(answer, bytes)
            else b""
            if answer is None
            else json.dumps(answer).encode()
        )
        self.send_response(status)
        headers = headers or {}
        if status in (429, 503) and "Retry-After" not in headers:
            self.send_header("Retry-After", "0")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header(
            "Content-Type", "application/json" if not isinstance(answer, bytes) else "text/csv"
        )
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stand_in: StandIn


class Running:
    """A started stand-in: its URLs and state; ``stop()`` shuts it down."""

    def __init__(
        self, stand_in: StandIn, tls: tuple[Path, Path] | None = None, host: str = "127.0.0.1"
    ) -> None:
        """``tls``: the server's certificate and key (PEM files) to speak HTTPS with;
        ``host``: how its URLs name 127.0.0.1 (``localhost``, say)."""
        self.state = stand_in
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stand_in = stand_in
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        root = f"{scheme}://{host}:{self._server.server_address[1]}"
        self.auth_url = f"{root}/auth"
        self.api_url = f"{root}/2/0"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
