"""``consumption push`` and ``anaplan-payload`` against a stand-in Anaplan on 127.0.0.1.

The stand-in verifies every certificate payload, reassembles uploads and
injects faults (429, 503, dropped connections, lost answers, expired tokens);
each test then checks that every file arrived once and whole, that every
import ran once and in order, and that no secret reached the output.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from support.anaplan_stand_in import MODEL, WORKSPACE, Fault, Running, StandIn
from support.cli import ROOT

from consumption import constants as C
from consumption.anaplan import auth as anaplan_auth
from consumption.anaplan.manifest import MANIFEST_FILE
from consumption.cli import main

FORUM = ROOT / "scenarios" / "forum-example"
PASSPHRASE = "correct horse battery staple"
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


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A self-signed certificate, its key in PEM, and the same key encrypted."""
    folder = tmp_path_factory.mktemp("pki")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "consumption test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    plain = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    locked = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE.encode()),
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(plain)
    (folder / "key-encrypted.pem").write_bytes(locked)
    return {"folder": folder, "cert": cert, "key": key, "plain": plain}


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

    def start(out: Path, **options: Any) -> Running:
        imports = {import_id: file_id for _, file_id, import_id in _ids(out)}
        running = Running(StandIn(certificate=pki["cert"], imports=imports, **options))
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
        Fault("PUT", rf"/files/{files[3]}/chunks/1$", 503),
        Fault("PUT", rf"/files/{files[3]}/chunks/2$", "drop"),
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
        (
            {},
            [{"file": "nope.csv", "file_id": "113000000001"}],
            r"'nope.csv' is not a file of the export",
        ),
        ({}, [{"file": "items.csv"}], r"give file and file_id together"),
        ({}, [{"import_id": "1", "process_id": "2"}], r"import_id or process_id, not both"),
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
