"""``consumption push`` and ``anaplan-payload`` against a stand-in Anaplan on 127.0.0.1.

The stand-in verifies every certificate payload, reassembles uploads and
injects faults (429, 503, dropped connections, lost answers, expired tokens);
each test then checks that every file arrived once and whole, that every
import ran once and in order, and that no secret reached the output.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import ipaddress
import json
import logging
import os
import shutil
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from support.anaplan_pki import PASSPHRASE, make_pki
from support.anaplan_stand_in import MODEL, WORKSPACE, Fault, Running, StandIn
from support.cli import ROOT

from consumption import constants as C
from consumption.anaplan import auth as anaplan_auth
from consumption.anaplan.manifest import MANIFEST_FILE
from consumption.cli import main

FORUM = ROOT / "scenarios" / "forum-example"
# Tiny waits and chunks: the whole file runs in a few seconds, every loop bounded.
FAST = {
    "chunk_bytes": 64,
    "retries": 4,
    "backoff_s": 0.001,
    "backoff_max_s": 0.01,
    "poll_s": 0.001,
    "timeout_s": 5,
    "task_timeout_s": 5,
}


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy may carry the tests' requests anywhere but 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    for name in ("ANAPLAN_KEY_PASSPHRASE", "ANAPLAN_USER", "ANAPLAN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    # Only the CA a test names may make a certificate trusted.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A self-signed certificate, its key in PEM, and the same key encrypted."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``consumption run scenarios/forum-example --anaplan``, once for the module."""
    out = tmp_path_factory.mktemp("export") / "out"
    assert main(["run", str(FORUM), "--anaplan", "--out", str(out), "--quiet"]) == C.EXIT_OK
    return out


@pytest.fixture
def out(exported: Path, tmp_path: Path) -> Path:
    """A private copy of the export: pushes write dumps into it."""
    return Path(shutil.copytree(exported, tmp_path / "out", symlinks=True))


def _manifest(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / C.ANAPLAN_DIR / MANIFEST_FILE).read_text())["files"]


def _ids(out: Path) -> list[tuple[str, str, str]]:
    """(file, file id, import id) for every file of the export, in load order."""
    return [
        (entry["file"], f"1130000000{i:02d}", f"1120000000{i:02d}")
        for i, entry in enumerate(_manifest(out))
    ]


@pytest.fixture
def stand_in(pki: dict[str, Any]) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(
        out: Path, tls: tuple[Path, Path] | None = None, host: str = "127.0.0.1", **options: Any
    ) -> Running:
        imports = {import_id: file_id for _, file_id, import_id in _ids(out)}
        state = StandIn(certificate=pki["cert"], imports=imports, **options)
        running = Running(state, tls=tls, host=host)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _config(
    path: Path,
    running: Running,
    pki: dict[str, Any],
    loads: list[dict[str, str]],
    **settings: Any,
) -> Path:
    values: dict[str, Any] = {
        "workspace": WORKSPACE,
        "model": MODEL,
        "auth": "certificate",
        "certificate": str(pki["folder"] / "cert.pem"),
        "private_key": str(pki["folder"] / "key.pem"),
        "auth_url": running.auth_url,
        "api_url": running.api_url,
        **FAST,
        **settings,
    }
    lines = ["[anaplan]"] + [f"{k} = {_toml(v)}" for k, v in values.items() if v is not None]
    for load in loads:
        lines += ["", "[[anaplan.load]]"] + [f"{k} = {_toml(v)}" for k, v in load.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _every_file(out: Path) -> list[dict[str, str]]:
    return [{"file": f, "file_id": fid, "import_id": iid} for f, fid, iid in _ids(out)]


def _assert_loaded_once(out: Path, running: Running) -> None:
    """Every file arrived exactly once, byte for byte; every import ran once, in order."""
    state = running.state
    for name, file_id, _ in _ids(out):
        assert state.completed.get(file_id) == [(out / C.ANAPLAN_DIR / name).read_bytes()], name
    assert state.task_starts == [import_id for _, _, import_id in _ids(out)]
    assert state.problems == []


def _assert_fresh_payloads(running: Running) -> None:
    state = running.state
    assert state.authentications >= 1
    assert len(set(state.messages)) == len(state.messages) == state.authentications


def test_run_then_push_loads_every_file_with_verified_v2_payloads(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = stand_in(out)
    config = _config(tmp_path / "anaplan.toml", running, pki, _every_file(out))
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_OK
    _assert_loaded_once(out, running)
    _assert_fresh_payloads(running)
    state = running.state
    # Several chunks per file at 64 bytes; gzip where it helps (the bigger chunks), raw elsewhere.
    assert max(state.chunk_counts.values()) > 1
    assert {"application/x-gzip", "application/octet-stream"} <= set(state.content_types)
    printed = capsys.readouterr().out
    assert "uploaded lot_consumption.csv" in printed
    assert f"pushed {len(_ids(out))} load(s)" in printed


def test_transient_failures_and_an_expired_token_lose_and_duplicate_nothing(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path
) -> None:
    ids = _ids(out)
    files = [file_id for _, file_id, _ in ids]
    imports = [import_id for _, _, import_id in ids]
    faults = [
        Fault("PUT", rf"/files/{files[4]}/chunks/1$", 503),
        Fault("PUT", rf"/files/{files[4]}/chunks/2$", "drop"),
        Fault("PUT", rf"/files/{files[6]}/chunks/0$", "lost"),  # stored, answer lost
        Fault("POST", rf"/files/{files[4]}$", 502),
        Fault("PUT", r"/chunks/1$", "expire", nth=5),  # the token dies mid-push
        Fault("POST", rf"/imports/{imports[2]}/tasks$", 429),
        Fault("POST", rf"/imports/{imports[5]}/tasks$", "lost"),  # task started, answer lost
        Fault("POST", rf"/imports/{imports[7]}/tasks$", "drop"),  # never started
        Fault("GET", rf"/imports/{imports[1]}/tasks/\w+$", 503),
        Fault("POST", r"/token/authenticate$", 503, nth=2),
    ]
    running = stand_in(out, faults=faults)
    config = _config(tmp_path / "anaplan.toml", running, pki, _every_file(out))
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_OK
    assert all(f.fired for f in faults), [f for f in faults if not f.fired]
    _assert_loaded_once(out, running)
    _assert_fresh_payloads(running)
    assert running.state.unauthorized == 1
    # One payload refused by the 503, then accepted: still a new message each time.
    assert running.state.authentications == 2


def test_token_is_refreshed_before_it_expires(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path
) -> None:
    running = stand_in(out, token_ttl_s=30)
    loads = _every_file(out)[:2]
    config = _config(tmp_path / "a.toml", running, pki, loads, refresh_margin_s=60)
    assert main(["push", str(out), "--config", str(config), "--quiet"]) == C.EXIT_OK
    state = running.state
    assert state.authentications == 1
    assert state.refreshes >= 1
    assert state.unauthorized == 0


def test_failed_import_exits_1_and_leaves_its_dump(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    ids = _ids(out)
    failing = ids[6][2]  # lot_consumption.csv's import
    running = stand_in(out, failing={failing})
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out))
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    err = capsys.readouterr().err
    dumps = list((out / C.ANAPLAN_DIR / "dumps").iterdir())
    assert len(dumps) == 1
    assert dumps[0].read_bytes() == b"".join(running.state.dump_parts)
    assert f"import {failing} ({ids[6][0]}) failed" in err
    assert "1 row rejected" in err
    assert "1 with errors" in err  # the counts of details[].values
    assert str(dumps[0]) in err
    # The push stops at the failure: later imports never ran.
    assert running.state.task_starts == [import_id for _, _, import_id in ids[:7]]


def test_failed_process_saves_the_dump_of_its_failed_import(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path
) -> None:
    ids = _ids(out)
    process = "118000000001"
    running = stand_in(out, processes={process: [i for _, _, i in ids]}, failing={ids[8][2]})
    loads = [{"file": f, "file_id": fid} for f, fid, _ in ids] + [{"process_id": process}]
    config = _config(tmp_path / "a.toml", running, pki, loads)
    assert main(["push", str(out), "--config", str(config), "--quiet"]) == C.EXIT_FAILURE
    dumps = [p.name for p in (out / C.ANAPLAN_DIR / "dumps").iterdir()]
    assert len(dumps) == 1 and dumps[0].startswith(f"process-{process}-{ids[8][2]}-")
    assert running.state.task_starts == [process]
    assert running.state.problems == []


def test_retries_are_bounded(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = stand_in(out, faults=[Fault("PUT", r"/chunks/0$", 503, times=100)])
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:1])
    started = time.monotonic()
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    assert time.monotonic() - started < 5
    puts = [r for r in running.state.requests if r[0] == "PUT"]
    assert len(puts) == FAST["retries"] + 1
    assert "HTTP 503" in capsys.readouterr().err


def test_encrypted_key_with_passphrase_and_no_secret_in_any_output(
    out: Path,
    stand_in: Callable[..., Running],
    pki: dict[str, Any],
    tmp_path: Path,
    capsys,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ANAPLAN_KEY_PASSPHRASE", PASSPHRASE)
    running = stand_in(out, faults=[Fault("PUT", r"/chunks/0$", "expire", nth=3)])
    key = pki["folder"] / "key-encrypted.pem"
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:4], private_key=str(key))
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_OK
    _assert_fresh_payloads(running)
    captured = capsys.readouterr()
    shown = captured.out + captured.err + caplog.text
    secrets = [PASSPHRASE, *running.state.tokens_issued, pki["plain"].decode().splitlines()[1]]
    assert len(running.state.tokens_issued) >= 2
    assert not [s for s in secrets if s in shown]


def test_basic_authentication_from_the_environment(
    out: Path,
    stand_in: Callable[..., Running],
    pki: dict[str, Any],
    tmp_path: Path,
    capsys,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    password = "s3cret-Pa55word"
    monkeypatch.setenv("ANAPLAN_USER", "planner@example.com")
    monkeypatch.setenv("ANAPLAN_PASSWORD", password)
    running = stand_in(out)
    running.state.basic = ("planner@example.com", password)
    config = _config(
        tmp_path / "a.toml", running, pki, _every_file(out)[:2],
        auth="basic", certificate=None, private_key=None,
    )  # fmt: skip
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_OK
    captured = capsys.readouterr()
    shown = captured.out + captured.err + caplog.text
    assert password not in shown
    assert base64.b64encode(f"planner@example.com:{password}".encode()).decode() not in shown
    assert not [t for t in running.state.tokens_issued if t in shown]


def test_v1_payloads_on_request(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path
) -> None:
    running = stand_in(out, payload_format="v1")
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:1], payload_format="v1")
    assert main(["push", str(out), "--config", str(config), "--quiet"]) == C.EXIT_OK
    _assert_fresh_payloads(running)
    assert running.state.problems == []


def test_refused_certificate_exits_1(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = stand_in(out)
    running.state.certificate = _other_certificate()
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:1])
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    assert "Anaplan refused the certificate credentials (HTTP 401" in capsys.readouterr().err


def _other_certificate() -> x509.Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone else")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def test_a_file_changed_since_the_export_is_refused(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = stand_in(out)
    with open(out / C.ANAPLAN_DIR / "items.csv", "a", encoding="utf-8") as handle:
        handle.write("B,B,,B\n")
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out))
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    assert "changed since the export wrote it" in capsys.readouterr().err
    assert running.state.requests == []


def test_an_export_of_another_run_is_refused(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    """An export whose manifest names another run than the folder's current one."""
    running = stand_in(out)
    manifest = out / C.ANAPLAN_DIR / MANIFEST_FILE
    content = json.loads(manifest.read_text(encoding="utf-8"))
    content["run_id"] = "20200101T000000Z-00000000"
    manifest.write_text(json.dumps(content), encoding="utf-8")
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out))
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    err = capsys.readouterr().err
    assert "belongs to run 20200101T000000Z-00000000" in err and "current run is" in err
    assert running.state.requests == []


def test_a_run_without_the_export_cannot_push_the_previous_one(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    """A second run into the folder without --anaplan leaves no export to push."""
    running = stand_in(out)
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out))
    other = ROOT / "scenarios" / "optimizer-wins"
    assert main(["run", str(other), "--out", str(out), "--quiet"]) == C.EXIT_OK
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_BAD_INPUT
    assert "holds no Anaplan export" in capsys.readouterr().err
    assert running.state.requests == []


# --- configuration problems: exit 2, a clear message, nothing sent ------------------------------
@pytest.mark.parametrize(
    ("settings", "loads", "message"),
    [
        ({"payload_format": "v3"}, None, r"payload_format = 'v3' is not known; use 'v2' or 'v1'"),
        ({"auth": "oauth"}, None, r"auth = 'oauth' is not known"),
        ({"chunk_bytes": 60_000_000}, None, r"over Anaplan's limit of 50000000 bytes"),
        ({"retries": "three"}, None, r"retries must be int, not 'three'"),
        ({"colour": "blue"}, None, r"unknown key\(s\) colour in \[anaplan\]"),
        ({"workspace": ""}, None, r"needs workspace"),
        ({"private_key": None}, None, r'auth = "certificate" needs private_key'),
        ({"api_url": "ftp://x"}, None, r"api_url must start with https://"),
        ({"api_url": "http://api.example.com/2/0"}, None, r"api_url .* unencrypted"),
        ({"auth_url": "http://10.0.0.1/auth"}, None, r"auth_url .* unencrypted"),
        ({"api_url": "https://user@api.anaplan.com/2/0"}, None, r"never from the URL"),
        ({"workspace": "8a81b09d5e8c6f27015ece3402487d3"}, None, r"not a workspace ID \(32 hex"),
        ({"model": "../../elsewhere"}, None, r"model = '../../elsewhere' is not a model ID"),
        ({"poll_s": 10, "poll_max_s": 5}, None, r"poll_max_s must be at least poll_s"),
        ({"poll_factor": 0.5}, None, r"poll_factor must be at least 1"),
        ({"accept_ignored_rows": "yes"}, None, r"accept_ignored_rows must be bool"),
        (
            {},
            [{"file": "items.csv", "file_id": "112000000001", "import_id": "112000000001"}],
            r"file_id = '112000000001' is not a file ID \(12 digits starting with 113\)",
        ),
        ({}, [{"import_id": "113000000001"}], r"import_id = '113000000001' is not an import ID"),
        ({}, [{"process_id": "112000000001"}], r"process_id = '112000000001' is not a process"),
        ({}, [{"import_id": "112000000001/../x"}], r"is not an import ID"),
        (
            {},
            [{"file": "nope.csv", "file_id": "113000000001"}],
            r"'nope.csv' is not a file of the export",
        ),
        ({}, [{"file": "items.csv"}], r"give file and file_id together"),
        ({}, [{"import_id": "1", "process_id": "2"}], r"one of import_id, process_id and"),
        ({}, [{"file": "../x.csv", "file_id": "1"}], r"relative to OUT/anaplan"),
        ({}, [], r"no \[\[anaplan.load\]\] entries"),
    ],
)
def test_configuration_problems_exit_2(
    out: Path,
    stand_in: Callable[..., Running],
    pki: dict[str, Any],
    tmp_path: Path,
    capsys,
    settings: dict[str, Any],
    loads: list[dict[str, str]] | None,
    message: str,
) -> None:
    running = stand_in(out)
    loads = _every_file(out)[:1] if loads is None else loads
    config = _config(tmp_path / "a.toml", running, pki, loads, **settings)
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("error: ")
    with pytest.raises(Exception, match=message):
        from consumption.anaplan import config as anaplan_config
        from consumption.anaplan import push as anaplan_push

        anaplan_push.check_loads(out / C.ANAPLAN_DIR, anaplan_config.load(config))
    assert running.state.requests == []


def test_missing_config_and_missing_export_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["push", str(tmp_path), "--config", str(tmp_path / "no.toml")]) == 2
    assert "no such configuration file" in capsys.readouterr().err
    config = tmp_path / "a.toml"
    config.write_text(
        f'[anaplan]\nworkspace = "{WORKSPACE}"\nmodel = "{MODEL}"\nauth = "basic"\n'
        '[[anaplan.load]]\nimport_id = "112000000001"\n'
    )
    assert main(["push", str(tmp_path), "--config", str(config)]) == 2
    assert "holds no Anaplan export; run 'consumption run ... --anaplan' first" in (
        capsys.readouterr().err
    )


def test_basic_authentication_without_credentials_exits_2(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = stand_in(out)
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:1], auth="basic")
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_BAD_INPUT
    assert "needs ANAPLAN_USER and ANAPLAN_PASSWORD" in capsys.readouterr().err


# --- private keys and anaplan-payload ----------------------------------------------------------
def test_encrypted_key_without_a_passphrase_exits_2(pki: dict[str, Any], capsys) -> None:
    key = pki["folder"] / "key-encrypted.pem"
    assert main(["anaplan-payload", "--private-key", str(key)]) == C.EXIT_BAD_INPUT
    assert "is encrypted; set ANAPLAN_KEY_PASSPHRASE" in capsys.readouterr().err


def test_wrong_passphrase_exits_2(
    pki: dict[str, Any], capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANAPLAN_KEY_PASSPHRASE", "wrong")
    key = pki["folder"] / "key-encrypted.pem"
    assert main(["anaplan-payload", "--private-key", str(key)]) == C.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "wrong passphrase" in err and "wrong\n" not in err


def test_passphrase_is_asked_on_a_terminal(
    pki: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr(
        anaplan_auth.getpass, "getpass", lambda prompt: asked.append(prompt) or PASSPHRASE
    )
    key = anaplan_auth.load_private_key(pki["folder"] / "key-encrypted.pem")
    assert key.public_key().public_numbers() == pki["key"].public_key().public_numbers()
    assert asked and "key-encrypted.pem" in asked[0]


def test_key_that_does_not_match_the_certificate_is_refused(
    pki: dict[str, Any], tmp_path: Path
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    path = tmp_path / "other.pem"
    path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(Exception, match="does not belong to the certificate"):
        anaplan_auth.CertificateAuth.from_files(pki["folder"] / "cert.pem", path)


@pytest.mark.parametrize("payload_format", ["v2", "v1"])
def test_anaplan_payload_prints_a_signed_body(
    pki: dict[str, Any], capsys, payload_format: str
) -> None:
    key = str(pki["folder"] / "key.pem")
    bodies = []
    for _ in range(2):
        assert main(["anaplan-payload", "--private-key", key, "--format", payload_format]) == 0
        bodies.append(json.loads(capsys.readouterr().out))
    public = pki["cert"].public_key()
    for body in bodies:
        data = base64.b64decode(body["encodedData"])
        signature = base64.b64decode(body["encodedSignedData"])
        assert len(data) == 100
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA512())
        if payload_format == "v2":
            assert body["encodedDataFormat"] == "v2"
            assert abs(int.from_bytes(data[:8], "big") - time.time()) < 60
        else:
            assert "encodedDataFormat" not in body
    assert bodies[0]["encodedData"] != bodies[1]["encodedData"]


def test_certificate_header_is_the_pem_body(pki: dict[str, Any]) -> None:
    pem = (pki["folder"] / "cert.pem").read_text().splitlines()
    assert anaplan_auth.certificate_header(pki["cert"]) == "CACertificate " + "".join(pem[1:-1])


def test_an_unknown_import_exits_1_with_a_hint(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = stand_in(out)
    loads = [{**_every_file(out)[0], "import_id": "112999999999"}]
    config = _config(tmp_path / "a.toml", running, pki, loads)
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    err = capsys.readouterr().err
    assert "HTTP 404" in err and "import and process IDs in the configuration" in err


def test_more_chunks_than_anaplan_takes_is_refused_before_sending(
    out: Path,
    stand_in: Callable[..., Running],
    pki: dict[str, Any],
    tmp_path: Path,
    capsys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from consumption.anaplan import push as anaplan_push

    monkeypatch.setattr(anaplan_push, "MAX_CHUNKS", 3)  # 1,000 in Anaplan: files stay small here
    running = stand_in(out)
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out), chunk_bytes=16)
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_BAD_INPUT
    assert "Anaplan takes at most 3 per file: raise chunk_bytes" in capsys.readouterr().err
    assert running.state.requests == []


# --- a server that is not to be trusted -------------------------------------------------------
def _shown_by_a_failing_push(
    out: Path, config: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> str:
    """Every text a failing push shows: the command's stdout and stderr, the log, and the
    library's exception with its whole chain, as a traceback prints it."""
    from consumption.anaplan import config as anaplan_config
    from consumption.anaplan import push as anaplan_push

    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    captured = capsys.readouterr()
    said: list[str] = []
    with pytest.raises(Exception) as raised:
        anaplan_push.push(out, anaplan_config.load(config), say=said.append, warn=said.append)
    chain = "".join(traceback.format_exception(raised.value))
    return "\n".join([captured.out, captured.err, caplog.text, chain, *said])


def test_a_hostile_task_id_reaches_no_url_and_no_file(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    failing = _ids(out)[0][2]
    hostile = "../../../../elsewhere/PWNED"
    running = stand_in(out, failing={failing}, hostile_task_id=hostile)
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:1])
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    err = capsys.readouterr().err
    assert "where a task ID (32 hexadecimal characters) belongs" in err
    assert not [p for p in tmp_path.rglob("*") if "PWNED" in p.name]
    assert not (out / C.ANAPLAN_DIR / "dumps").exists()
    assert not [r for r in running.state.requests if "elsewhere" in r[1] or "PWNED" in r[1]]


def test_a_hostile_object_id_of_a_process_reaches_no_url_and_no_file(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    ids = _ids(out)
    process = "118000000001"
    running = stand_in(
        out,
        processes={process: [i for _, _, i in ids]},
        failing={ids[2][2]},
        hostile_object_id="../../../../elsewhere/PWNED",
    )
    loads = [{"file": f, "file_id": fid} for f, fid, _ in ids] + [{"process_id": process}]
    config = _config(tmp_path / "a.toml", running, pki, loads)
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    assert "where an import ID (12 digits starting with 112) belongs" in capsys.readouterr().err
    assert not [p for p in tmp_path.rglob("*") if "PWNED" in p.name]
    assert not [r for r in running.state.requests if "PWNED" in r[1] or "/dumps/" in r[1]]


def test_a_dump_name_that_is_not_made_of_ids_is_never_written(out: Path) -> None:
    from consumption.anaplan import push as anaplan_push
    from consumption.errors import AnaplanTaskError

    folder = out / C.ANAPLAN_DIR
    for name in ("../../PWNED.csv", "import-112000000001-x/../../PWNED.csv", "PWNED.csv"):
        with pytest.raises(AnaplanTaskError, match="refused to save a failure dump"):
            anaplan_push._save_dump(folder, name, b"x")
    assert not [p for p in out.parent.rglob("*") if "PWNED" in p.name]
    saved = anaplan_push._save_dump(folder, f"import-112000000001-{'A' * 32}.csv", b"x")
    assert saved.parent == folder / "dumps" and saved.read_bytes() == b"x"


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("WORKSPACE", "8a81b09d5e8c6f27015ece3402487d33", "8a81b09d5e8c6f27015ece3402487d3g"),
        ("MODEL", "35A6EF893D7F47EEA5A554D5CC7DC330", "35A6EF893D7F47EEA5A554D5CC7DC330/"),
        ("TASK", "8A81B09D5E8C6F27015ECE3402487D33", "../../../../elsewhere/PWNED"),
        ("IMPORT", "112000000001", "113000000001"),
        ("FILE", "113000000001", "11300000001"),
        ("EXPORT", "116000000001", "1160000000011"),
        ("ACTION", "117000000001", "117000000001\n"),
        ("PROCESS", "118000000001", "112000000001"),
        ("CHUNK", "0", "-1"),
    ],
)
def test_id_shapes(kind: str, good: str, bad: str) -> None:
    from consumption.anaplan import ids
    from consumption.errors import AnaplanApiError

    shape = getattr(ids, kind)
    assert ids.check(shape, good, "test") == good
    with pytest.raises(AnaplanApiError, match="refused before it went into a URL"):
        ids.check(shape, bad, "test")
    assert ids.problem(shape, bad) and not ids.problem(shape, good)


@pytest.mark.parametrize(
    "fault",
    [
        # Each fires in the command's push and again in the library's.
        Fault("POST", r"/imports/\d+/tasks$", 400, times=2),
        Fault("PUT", r"/chunks/0$", 400, times=2),
        Fault("GET", r"/files$", 403, times=2),
    ],
)
def test_an_echoing_server_shows_no_token(
    out: Path,
    stand_in: Callable[..., Running],
    pki: dict[str, Any],
    tmp_path: Path,
    capsys,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
) -> None:
    caplog.set_level(logging.DEBUG)
    running = stand_in(out, echo=True, faults=[fault])
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:2])
    shown = _shown_by_a_failing_push(out, config, capsys, caplog)
    assert fault.fired
    assert "rejected request with header AnaplanAuthToken <hidden>" in shown  # scrubbed, not lost
    assert running.state.tokens_issued
    assert not [t for t in running.state.tokens_issued if t in shown]


def test_an_echoing_server_shows_no_user_or_password(
    out: Path,
    stand_in: Callable[..., Running],
    pki: dict[str, Any],
    tmp_path: Path,
    capsys,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    user, password = "planner@example.com", "s3cret-Pa55word"
    monkeypatch.setenv("ANAPLAN_USER", user)
    monkeypatch.setenv("ANAPLAN_PASSWORD", password)
    running = stand_in(out, echo=True)
    running.state.basic = (user, "another password")  # refused: the server echoes what it got
    config = _config(
        tmp_path / "a.toml", running, pki, _every_file(out)[:1],
        auth="basic", certificate=None, private_key=None,
    )  # fmt: skip
    shown = _shown_by_a_failing_push(out, config, capsys, caplog)
    assert "bad credentials <hidden>:<hidden>" in shown
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    assert not [s for s in (user, password, encoded) if s in shown]


def test_a_token_that_is_no_header_value_is_refused(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    token = "tok-5e8c6f27\r\nX-Injected: 1"
    running = stand_in(out, token_value=token)
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:1])
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "cannot be sent in a header" in err
    assert "tok-5e8c6f27" not in err
    assert [r[1] for r in running.state.requests] == ["/auth/token/authenticate"]


def test_a_redirect_is_not_followed(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = stand_in(out)
    elsewhere = running.api_url.replace("/2/0", "/elsewhere")
    fault = Fault("PUT", r"/chunks/0$", 307, headers={"Location": elsewhere})
    running.state.faults.append(fault)
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:1])
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    assert "HTTP 307" in capsys.readouterr().err
    assert fault.fired
    assert not [r for r in running.state.requests if "elsewhere" in r[1]]


# --- transport: plain HTTP, key files, TLS ----------------------------------------------------
def test_plain_http_beyond_loopback_only_when_allowed_and_then_with_a_warning(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    # "localhost" is a name, not a loopback address: it counts as another machine.
    running = stand_in(out, host="localhost")
    loads = _every_file(out)[:1]
    config = _config(tmp_path / "a.toml", running, pki, loads)
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_BAD_INPUT
    assert "allow_insecure_http" in capsys.readouterr().err
    assert running.state.requests == []
    config = _config(tmp_path / "a.toml", running, pki, loads, allow_insecure_http=True)
    assert main(["push", str(out), "--config", str(config), "--quiet"]) == C.EXIT_OK
    warnings = [line for line in capsys.readouterr().err.splitlines() if "plain HTTP" in line]
    assert len(warnings) == 2 and all(w.startswith("warning: ") for w in warnings)
    assert running.state.task_starts == [loads[0]["import_id"]]


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o640, True), (0o600, False)])
def test_a_key_others_may_read_is_named_with_chmod_600(
    out: Path,
    stand_in: Callable[..., Running],
    pki: dict[str, Any],
    tmp_path: Path,
    capsys,
    mode: int,
    warned: bool,
) -> None:
    if os.name != "posix":
        pytest.skip("permission bits are POSIX")
    key = tmp_path / "key.pem"
    key.write_bytes(pki["plain"])
    key.chmod(mode)
    running = stand_in(out)
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:1], private_key=str(key))
    assert main(["push", str(out), "--config", str(config), "--quiet"]) == C.EXIT_OK
    err = capsys.readouterr().err
    assert (f"chmod 600 {key}" in err) is warned
    assert main(["anaplan-payload", "--private-key", str(key)]) == C.EXIT_OK
    assert (f"chmod 600 {key}" in capsys.readouterr().err) is warned


@pytest.fixture(scope="module")
def server_tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key: the stand-in's HTTPS."""
    folder = tmp_path_factory.mktemp("tls")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "server.pem", folder / "server-key.pem"


def test_a_certificate_not_trusted_is_named_as_tls_not_try_again_later(
    out: Path,
    stand_in: Callable[..., Running],
    pki: dict[str, Any],
    tmp_path: Path,
    capsys,
    monkeypatch: pytest.MonkeyPatch,
    server_tls: tuple[Path, Path],
) -> None:
    running = stand_in(out, tls=server_tls)
    assert running.api_url.startswith("https://127.0.0.1:")
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:1], retries=3)
    started = time.monotonic()
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    err = capsys.readouterr().err
    assert "TLS failed" in err and "REQUESTS_CA_BUNDLE" in err
    assert "try again later" not in err and "attempts" not in err
    assert time.monotonic() - started < 2
    assert running.state.requests == []
    # With the hint followed, the same push goes through.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server_tls[0]))
    assert main(["push", str(out), "--config", str(config), "--quiet"]) == C.EXIT_OK
    assert running.state.task_starts == [_ids(out)[0][2]]


# --- Anaplan's own ways ------------------------------------------------------------------------
def test_a_file_id_that_is_not_a_file_of_the_model_is_refused_before_any_upload(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    running = stand_in(out)
    loads = _every_file(out)[:3]
    loads[2] = {**loads[2], "file_id": "113999999999"}
    config = _config(tmp_path / "a.toml", running, pki, loads)
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_BAD_INPUT
    assert "file_id 113999999999 is not a file of model" in capsys.readouterr().err
    assert not [r for r in running.state.requests if r[0] in ("POST", "PUT") and "/files/" in r[1]]
    assert running.state.private_files == []


def test_a_chunk_count_answered_for_a_new_private_file_stops_the_push(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    """The file was listed, then removed: Anaplan creates a new private file instead."""
    ids = _ids(out)
    running = stand_in(out, deleted={ids[1][1]})
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:3])
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"file_id {ids[1][1]} is not a file of model" in err
    assert "created a new private file" in err and running.state.private_files[0] in err
    assert not [r for r in running.state.requests if r[0] == "PUT" and ids[1][1] not in r[1]][1:]
    assert running.state.task_starts == [ids[0][2]]  # nothing ran after


@pytest.mark.parametrize(
    ("setting", "value", "refused"),
    [
        ("separator", ";", True),
        ("encoding", "ISO-8859-1", True),
        ("delimiter", "'", True),
        ("headerRow", 0, True),
        ("firstDataRow", 3, True),
        ("encoding", "utf_8", False),  # the same codec, spelt otherwise
    ],
)
def test_a_file_set_up_otherwise_than_the_export_stops_before_upload(
    out: Path,
    stand_in: Callable[..., Running],
    pki: dict[str, Any],
    tmp_path: Path,
    capsys,
    setting: str,
    value: Any,
    refused: bool,
) -> None:
    ids = _ids(out)
    running = stand_in(out)
    running.state.files[ids[1][1]][setting] = value
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:2])
    code = main(["push", str(out), "--config", str(config)])
    if not refused:
        assert code == C.EXIT_OK
        return
    assert code == C.EXIT_FAILURE
    err = capsys.readouterr().err
    assert f"file {ids[1][1]} is set up in Anaplan with {setting} {value!r}" in err
    assert "UTF-8" in err or "comma" in err or "row" in err or "delimiter" in err
    assert not [r for r in running.state.requests if r[0] == "PUT"]


def test_409_is_retried_honouring_retry_after_in_both_forms(
    out: Path,
    stand_in: Callable[..., Running],
    pki: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _ids(out)
    in_30_s = email.utils.formatdate(time.time() + 30, usegmt=True)
    faults = [
        Fault("PUT", rf"/files/{ids[0][1]}/chunks/0$", 409, headers={"Retry-After": "3"}),
        Fault("POST", rf"/imports/{ids[1][2]}/tasks$", 409, headers={"Retry-After": in_30_s}),
        Fault("POST", rf"/files/{ids[1][1]}$", 409, times=2),
    ]
    running = stand_in(out, faults=faults)
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # no test waits 30 s
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:2])
    assert main(["push", str(out), "--config", str(config), "--quiet"]) == C.EXIT_OK
    assert [f.fired for f in faults] == [f.times for f in faults]
    assert 3.0 in slept
    assert [s for s in slept if 25 < s <= 30]
    assert running.state.task_starts == [ids[0][2], ids[1][2]]
    assert running.state.problems == []


def test_pause_reads_retry_after_as_seconds_or_a_date_and_caps_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from consumption.anaplan import config as anaplan_config
    from consumption.anaplan import http

    settings = anaplan_config.PushConfig(
        workspace=WORKSPACE, model=MODEL, loads=(), backoff_s=1, backoff_max_s=8
    )
    slept: list[float] = []
    monkeypatch.setattr(http.time, "sleep", slept.append)

    class Answer:
        def __init__(self, after: str | None) -> None:
            self.headers = {} if after is None else {"Retry-After": after}

    in_20_s = email.utils.formatdate(time.time() + 20, usegmt=True)
    for attempt, after in [
        (0, None),
        (5, None),
        (0, "12"),
        (0, in_20_s),
        (2, "soon"),
        (0, "86400"),
    ]:
        http.pause(settings, attempt, Answer(after))  # type: ignore[arg-type]
    assert slept[:3] == [1, 8, 12]
    assert 18 < slept[3] <= 20
    assert slept[4:] == [4, http.RETRY_AFTER_MAX_S]


def test_polling_backs_off_from_poll_s_to_poll_max_s(
    out: Path,
    stand_in: Callable[..., Running],
    pki: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from consumption.anaplan import client

    slept: list[float] = []

    class Clock:
        monotonic = staticmethod(time.monotonic)
        sleep = staticmethod(slept.append)

    monkeypatch.setattr(client, "time", Clock)
    running = stand_in(out, polls_until_done=7)
    config = _config(
        tmp_path / "a.toml", running, pki, _every_file(out)[:1],
        poll_s=1, poll_factor=1.5, poll_max_s=3, task_timeout_s=600,
    )  # fmt: skip
    assert main(["push", str(out), "--config", str(config), "--quiet"]) == C.EXIT_OK
    assert slept == [1, 1.5, 2.25, 3, 3, 3]


def test_polling_defaults(tmp_path: Path) -> None:
    from consumption.anaplan import config as anaplan_config

    path = tmp_path / "a.toml"
    path.write_text(
        f'[anaplan]\nworkspace = "{WORKSPACE}"\nmodel = "{MODEL}"\nauth = "basic"\n'
        '[[anaplan.load]]\nimport_id = "112000000001"\n'
    )
    settings = anaplan_config.load(path)
    assert (settings.poll_s, settings.poll_factor, settings.poll_max_s) == (5, 1.5, 60)
    assert settings.accept_ignored_rows is False and settings.allow_insecure_http is False


def test_ignored_rows_fail_the_push_unless_accepted(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    ids = _ids(out)
    running = stand_in(out, ignored={ids[1][2]: 2})
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:3])
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    err = capsys.readouterr().err
    assert f"import {ids[1][2]} ({ids[1][0]}) failed" in err
    assert "0 with errors" in err and "2 ignored" in err and "accept_ignored_rows" in err
    assert running.state.task_starts == [ids[0][2], ids[1][2]]
    config = _config(
        tmp_path / "a.toml", running, pki, _every_file(out)[:3], accept_ignored_rows=True
    )
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_OK
    assert "2 ignored" in capsys.readouterr().out


def test_row_counts_of_a_process_are_its_imports(out: Path) -> None:
    from consumption.anaplan import push as anaplan_push

    def values(ok: int, errors: int, ignored: int) -> list[dict[str, Any]]:
        return [{"values": [
            f"Number of rows successful: {ok}", f"Number of rows with errors: {errors}",
            "Number of rows with warnings: 0", f"Number of rows ignored: {ignored}",
            "Number of items created: 7",
        ]}]  # fmt: skip

    result = {
        "details": values(9, 9, 9),  # a process's own summary is not counted again
        "nestedResults": [{"details": values(5, 0, 1)}, {"details": values(3, 1, 0)}],
    }
    assert anaplan_push.row_counts(result) == {
        "successful": 8, "with errors": 1, "with warnings": 0, "ignored": 1,
    }  # fmt: skip
    assert anaplan_push.row_counts({"details": [{"values": ["Number of rows: x", 5]}]}) == {}


def test_every_list_is_read_page_by_page(
    out: Path, stand_in: Callable[..., Running], pki: dict[str, Any], tmp_path: Path, capsys
) -> None:
    ids = _ids(out)
    running = stand_in(out, page_size=1, failing={ids[2][2]})
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:2])
    assert main(["push", str(out), "--config", str(config), "--quiet"]) == C.EXIT_OK
    # Again, the first task start's answer lost: its task is on the second page.
    running.state.faults.append(Fault("POST", rf"/imports/{ids[0][2]}/tasks$", "lost"))
    loads = _every_file(out)[:3]
    config = _config(tmp_path / "a.toml", running, pki, loads)
    assert main(["push", str(out), "--config", str(config), "--quiet"]) == C.EXIT_FAILURE
    state = running.state
    assert state.task_starts == [ids[0][2], ids[1][2], ids[0][2], ids[1][2], ids[2][2]]
    assert state.problems == []
    paged = {r[1].split("?")[0].rsplit("/", 1)[-1] for r in state.requests if "offset=" in r[1]}
    assert {"files", "tasks", "chunks"} <= paged
    files_pages = [r for r in state.requests if r[1].split("?")[0].endswith("/files")]
    assert len(files_pages) == 2 * len(ids)  # one file a page, both pushes
    dumps = list((out / C.ANAPLAN_DIR / "dumps").iterdir())
    assert [d.read_bytes() for d in dumps] == [b"".join(state.dump_parts)]


def test_paging_that_does_not_advance_is_refused(
    out: Path,
    stand_in: Callable[..., Running],
    pki: dict[str, Any],
    tmp_path: Path,
    capsys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = stand_in(out)

    def stuck(key: str, entries: list[dict[str, Any]], offset: int) -> tuple[int, Any]:
        paging = {"currentPageSize": 0, "offset": offset, "totalSize": len(entries)}
        return 200, {"meta": {"paging": paging}, key: []}

    monkeypatch.setattr(running.state, "_page", stuck)
    config = _config(tmp_path / "a.toml", running, pki, _every_file(out)[:1])
    assert main(["push", str(out), "--config", str(config)]) == C.EXIT_FAILURE
    assert "paging does not advance" in capsys.readouterr().err
    assert len([r for r in running.state.requests if r[1].endswith("/files")]) == 1
