"""HTTP for the Anaplan API: sessions that retry, requests that must not repeat blindly.

Requests that are safe to repeat (chunk uploads, setting the chunk count,
completing an upload, polling, downloading, refreshing the token) go through
``urllib3``'s ``Retry``: 409, 429, 5xx and dropped connections are retried with
exponential backoff, honouring ``Retry-After``. Two requests are not safe to
repeat blindly, so :func:`guarded` retries them instead: authentication,
because every attempt must sign a fresh message, and starting a task,
because a task whose answer was lost may have started. Both wait as
:func:`pause` says: ``Retry-After`` in seconds or as an HTTP date, capped.

A failed TLS handshake is never retried: a certificate that is not trusted
now will not be trusted in a second, and "try again later" would mislead.

Whatever the server says goes into a message only through :class:`Scrub`,
which removes the secrets it might echo (the token, the user, the password).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

from consumption.anaplan import missing_extra

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import AuthBase
    from urllib3.util import Retry
except ImportError as error:  # the anaplan extra is not installed
    raise missing_extra(error) from error

from consumption.anaplan.config import PushConfig
from consumption.errors import AnaplanApiError

# 409: Anaplan answers it while another action runs in the model; it passes.
TRANSIENT: Final = frozenset({409, 429, 500, 502, 503, 504})
# The longest wait a Retry-After may ask for: a server cannot stall a push for hours.
RETRY_AFTER_MAX_S: Final = 600.0
CA_BUNDLE_ENV: Final = "REQUESTS_CA_BUNDLE"
HIDDEN: Final = "<hidden>"
# Control characters (line breaks, terminal escapes) of a server's text, shown as one blank.
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]+")

T = TypeVar("T")


class Header(AuthBase):
    """Sets ``Authorization`` from a callable; as an ``auth`` object it also keeps
    requests from replacing the header with credentials from ``~/.netrc``."""

    def __init__(self, value: Callable[[], str]) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value()
        return request


class _Retry(Retry):
    """urllib3's retry, reading ``Retry-After`` as :func:`retry_after` does: on every
    retried status, in both forms, capped, and a malformed one ignored rather than
    raised (urllib3 raises ``InvalidHeader`` for a date it cannot parse)."""

    RETRY_AFTER_STATUS_CODES = TRANSIENT

    def get_retry_after(self, response: Any) -> float | None:
        return retry_after(response.headers)


def session(config: PushConfig, *, repeatable: bool) -> requests.Session:
    """A session whose adapter retries transient failures (connect errors only, when
    the requests sent through it must not be repeated blindly)."""
    if repeatable:
        retry = _Retry(
            total=config.retries,
            allowed_methods=frozenset({"GET", "PUT", "POST", "DELETE"}),
            status_forcelist=TRANSIENT,
            backoff_factor=config.backoff_s,
            backoff_max=config.backoff_max_s,
            raise_on_status=False,
            other=0,  # TLS failures: see the module's docstring
        )
    else:
        retry = _Retry(total=config.retries, connect=config.retries, read=0, status=0, other=0)
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (a number, or an HTTP date), at
    most :data:`RETRY_AFTER_MAX_S`; None when absent or malformed.

    >>> retry_after({"Retry-After": "7"}), retry_after({"Retry-After": "soon"})
    (7.0, None)
    >>> retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=1445412480.0)
    10.0
    >>> retry_after({"Retry-After": "99999"})
    600.0
    """
    text = (headers.get("Retry-After") or "").strip()
    if not text:
        return None
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # RFC 9110: an HTTP date is in GMT
            when = when.replace(tzinfo=dt.UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), RETRY_AFTER_MAX_S)


def pause(config: PushConfig, attempt: int, response: requests.Response | None) -> None:
    """Exponential backoff capped at ``backoff_max_s``, or longer when the server
    says so (``Retry-After``, itself capped at :data:`RETRY_AFTER_MAX_S`)."""
    delay = min(config.backoff_s * 2**attempt, config.backoff_max_s)
    after = retry_after(response.headers) if response is not None else None
    time.sleep(delay if after is None else max(delay, after))


def tls_failure(url: str, error: BaseException) -> str:
    """What to say when the TLS handshake with ``url``'s host failed."""
    host = urlsplit(url).netloc
    return (
        f"TLS failed with {host} ({type(error).__name__}): its certificate is not trusted "
        "or does not name the host. If a proxy or a private CA signs the certificates, "
        f"set {CA_BUNDLE_ENV} to the CA's PEM file; otherwise check the URL"
    )


class Scrub:
    """Removes secrets from a text before it is shown; the secrets are added as they
    become known (each token as it is issued).

    >>> scrub = Scrub(["s3cret"])
    >>> scrub("bad credentials user:s3cret\\x1b[2J")
    'bad credentials user:<hidden> [2J'
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        self._secrets.update(s for s in secrets if s)

    def __call__(self, text: str) -> str:
        # The longest first, so a secret holding another is hidden whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, HIDDEN)
        return _CONTROL.sub(" ", text)


def guarded(
    config: PushConfig,
    what: str,
    url: str,
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
            pause(config, attempt - 1, response)
            found = happened()
            if found is not None:
                return found
        try:
            response = send()
        except requests.exceptions.SSLError as error:
            raise AnaplanApiError(f"{what}: {tls_failure(url, error)}") from error
        except (requests.ConnectionError, requests.Timeout) as error:
            response, problem = None, f"no answer ({type(error).__name__})"
        else:
            if response.status_code not in TRANSIENT:
                return response
            problem = f"HTTP {response.status_code}"
    raise AnaplanApiError(f"{what}: {problem} after {config.retries + 1} attempts; try again later")


def status_message(response: requests.Response, scrub: Scrub) -> str:
    """The API's own short reason, when it gives one in JSON, scrubbed of secrets (a
    server may echo the request's credentials in it) and of control characters."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    status = body.get("status")
    text = status.get("message") if isinstance(status, dict) else None
    text = text or body.get("statusMessage")
    # Scrubbed whole, then cut: a cut first could leave half a secret to be shown.
    return f", {scrub(str(text))[:200]}" if text else ""


def json_of(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise AnaplanApiError(
            f"{what}: the API answered with something that is not JSON"
        ) from error


def json_object(response: requests.Response, what: str) -> dict[str, Any]:
    """The answer's JSON object; anything else (a list, a number) is refused."""
    body = json_of(response, what)
    if not isinstance(body, dict):
        raise AnaplanApiError(f"{what}: the API answered JSON that is not an object")
    return body


def field(body: Any, key: str, what: str) -> dict[str, Any]:
    """``body[key]``, which must be a JSON object.

    >>> field({"task": {"taskId": "x"}}, "task", "task start")
    {'taskId': 'x'}
    """
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, dict):
        raise AnaplanApiError(f"{what}: the API's answer has no {key!r} object")
    return value
