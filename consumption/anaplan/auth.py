"""Anaplan authentication: certificate payloads (v1, v2), basic credentials, tokens.

Certificate authentication (SPEC §7) posts a 100-byte message and its
RSA-SHA512 PKCS#1 v1.5 signature. The v2 message starts with the 8-byte
big-endian epoch seconds, so a captured payload cannot be replayed later; v1
is 100 random bytes. A fresh message is signed for every authentication.

Secrets (password, passphrase, private key, token) never leave this module
in a message: errors name files and settings, never their contents. A token
that could not be sent as a header as it is (a line break, a blank) is
refused: put into a header, it would be sent as two, or refused by requests
with the token in its message.
"""

from __future__ import annotations

import base64
import getpass
import math
import os
import re
import secrets
import stat
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from consumption.anaplan import missing_extra

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
except ImportError as error:  # the anaplan extra is not installed
    raise missing_extra(error) from error

from consumption.anaplan.config import FORMAT_V1, FORMAT_V2, PAYLOAD_FORMATS
from consumption.errors import AnaplanAuthError, UsageError

MESSAGE_BYTES: Final = 100
TIMESTAMP_BYTES: Final = 8
PASSPHRASE_ENV: Final = "ANAPLAN_KEY_PASSPHRASE"
USER_ENV: Final = "ANAPLAN_USER"
PASSWORD_ENV: Final = "ANAPLAN_PASSWORD"
# What a token may hold to go into a header unchanged: visible ASCII, no blanks.
_TOKEN_TEXT: Final = re.compile(r"[\x21-\x7e]+")

Warn = Callable[[str], None]


def warn_on_stderr(text: str) -> None:
    """Where warnings go when the caller names no other place."""
    print(f"warning: {text}", file=sys.stderr)


def message(payload_format: str = FORMAT_V2, now: float | None = None) -> bytes:
    """The 100-byte message to sign: v2 = epoch seconds (8 bytes, big-endian) + 92 random bytes.

    >>> m = message("v2", now=1_700_000_000)
    >>> len(m), int.from_bytes(m[:8], "big")
    (100, 1700000000)
    >>> len(message("v1"))
    100
    """
    if payload_format == FORMAT_V1:
        return secrets.token_bytes(MESSAGE_BYTES)
    if payload_format != FORMAT_V2:
        raise UsageError(
            f"payload format {payload_format!r} is not known; use {' or '.join(PAYLOAD_FORMATS)}"
        )
    seconds = int(time.time() if now is None else now)
    return struct.pack(">Q", seconds) + secrets.token_bytes(MESSAGE_BYTES - TIMESTAMP_BYTES)


def payload(
    key: rsa.RSAPrivateKey, payload_format: str = FORMAT_V2, now: float | None = None
) -> dict[str, str]:
    """The JSON body of ``POST /token/authenticate`` for certificate authentication."""
    data = message(payload_format, now)
    signature = key.sign(data, padding.PKCS1v15(), hashes.SHA512())
    body = {
        "encodedData": base64.b64encode(data).decode("ascii"),
        "encodedSignedData": base64.b64encode(signature).decode("ascii"),
    }
    if payload_format == FORMAT_V2:
        body = {"encodedDataFormat": FORMAT_V2, **body}
    return body


def _ask_passphrase(path: Path) -> bytes:
    """The key's passphrase: from the environment, else asked on the terminal."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given is not None:
        return given.encode()
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"passphrase for {path}: ").encode()
    raise UsageError(
        f"the private key {path} is encrypted; set {PASSPHRASE_ENV} "
        "or run the command in a terminal to be asked for its passphrase"
    )


def load_private_key(
    path: str | Path,
    passphrase: Callable[[Path], bytes] = _ask_passphrase,
    warn: Warn = warn_on_stderr,
) -> rsa.RSAPrivateKey:
    """An RSA private key from a PEM file, decrypted when it is encrypted; ``warn`` is
    told when others than its owner may read the file."""
    path = Path(path)
    data = _read(path, "private key")
    exposed = key_exposure(path)
    if exposed:
        warn(exposed)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # encrypted: only now is a passphrase needed
        try:
            key = serialization.load_pem_private_key(data, password=passphrase(path))
        except ValueError as error:
            raise UsageError(
                f"could not decrypt the private key {path}: wrong passphrase "
                f"(check {PASSPHRASE_ENV})"
            ) from error
    except ValueError as error:
        raise UsageError(
            f"{path} is not a PEM private key; give the key file "
            "(-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)"
        ) from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UsageError(f"{path} is not an RSA key; Anaplan certificates use RSA keys")
    return key


def key_exposure(path: Path) -> str | None:
    """What is wrong with a key file that its group or others may read or change (POSIX).

    Such a key is still used (refusing it could stop a scheduled push for a
    reason that changes nothing loaded), but said so, with the fix.
    """
    if os.name != "posix":
        return None  # Windows permissions are ACLs, not these bits
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # reading it reports the problem
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return None
    return (
        f"the private key {path} may be read or changed by others than its owner "
        f"(mode {stat.filemode(mode)}); run: chmod 600 {path}"
    )


def load_certificate(path: str | Path) -> x509.Certificate:
    """A PEM certificate, refused with a clear message when it is not one."""
    path = Path(path)
    try:
        return x509.load_pem_x509_certificate(_read(path, "certificate"))
    except ValueError as error:
        raise UsageError(
            f"{path} is not a PEM certificate; give the file that starts with "
            "-----BEGIN CERTIFICATE-----"
        ) from error


def certificate_header(certificate: x509.Certificate) -> str:
    """``Authorization`` value: ``CACertificate`` and the certificate's DER bytes in base64."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return "CACertificate " + base64.b64encode(der).decode("ascii")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read the {what} {path}: {error.strerror or error}") from error


@dataclass(frozen=True, repr=False)
class CertificateAuth:
    """Certificate authentication: a new signed message for every request."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    payload_format: str = FORMAT_V2

    @classmethod
    def from_files(
        cls,
        certificate: str | Path,
        private_key: str | Path,
        payload_format: str = FORMAT_V2,
        warn: Warn = warn_on_stderr,
    ) -> CertificateAuth:
        cert = load_certificate(certificate)
        key = load_private_key(private_key, warn=warn)
        public = cert.public_key()
        if (
            not isinstance(public, rsa.RSAPublicKey)
            or public.public_numbers() != key.public_key().public_numbers()
        ):
            raise UsageError(
                f"the private key {private_key} does not belong to the certificate {certificate}"
            )
        if cert.not_valid_after_utc.timestamp() < time.time():
            raise UsageError(
                f"the certificate {certificate} expired on {cert.not_valid_after_utc:%Y-%m-%d}; "
                "ask your Anaplan administrator for a new one"
            )
        return cls(cert, key, payload_format)

    def request(self) -> tuple[dict[str, str], dict[str, str] | None]:
        """Headers and JSON body of one authentication request."""
        headers = {"Authorization": certificate_header(self.certificate)}
        return headers, payload(self.key, self.payload_format)

    def secrets(self) -> tuple[str, ...]:
        """What a server must not see echoed back: the key never leaves this process."""
        return ()

    def __repr__(self) -> str:
        return f"CertificateAuth({self.certificate.subject.rfc4514_string()})"


@dataclass(frozen=True, repr=False)
class BasicAuth:
    """User name and password, from ``ANAPLAN_USER`` and ``ANAPLAN_PASSWORD``."""

    user: str
    password: str = field(repr=False)

    @classmethod
    def from_environment(cls) -> BasicAuth:
        user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
        if not user or not password:
            raise UsageError(
                f"basic authentication needs {USER_ENV} and {PASSWORD_ENV} in the environment"
            )
        return cls(user, password)

    def request(self) -> tuple[dict[str, str], dict[str, str] | None]:
        return {"Authorization": f"Basic {self._encoded}"}, None

    def secrets(self) -> tuple[str, ...]:
        """What a server could echo back and must never be shown: the user, the
        password, and both as the header sends them."""
        return self.user, self.password, self._encoded

    @property
    def _encoded(self) -> str:
        return base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")

    def __repr__(self) -> str:
        return f"BasicAuth({self.user})"


@dataclass(repr=False)
class Token:
    """An Anaplan token and when it expires (epoch seconds)."""

    value: str
    expires_at: float

    @classmethod
    def from_response(cls, body: Any) -> Token:
        """Read ``tokenInfo`` of an authenticate or refresh answer."""
        try:
            info = body["tokenInfo"]
            value, expires_at = info["tokenValue"], float(info["expiresAt"]) / 1000.0
        except (KeyError, TypeError, ValueError) as error:
            raise AnaplanAuthError(
                "the authentication service answered without a token (no tokenInfo)"
            ) from error
        if not math.isfinite(expires_at):  # NaN would never look due for a refresh
            raise AnaplanAuthError("the authentication service answered a token without expiry")
        if not isinstance(value, str) or not _TOKEN_TEXT.fullmatch(value):
            raise AnaplanAuthError(
                "the authentication service answered a token that cannot be sent in a "
                "header (blanks, line breaks or characters outside printable ASCII); "
                "nothing was sent with it: check auth_url"
            )
        return cls(value, expires_at)

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        return self.expires_at - (time.time() if now is None else now) <= seconds

    @property
    def header(self) -> str:
        return f"AnaplanAuthToken {self.value}"

    def __repr__(self) -> str:
        return "Token(<hidden>)"
