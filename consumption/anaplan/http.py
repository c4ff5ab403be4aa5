"""HTTP for the Anaplan API: sessions that retry, requests that must not repeat blindly.

Requests that are safe to repeat (chunk uploads, setting the chunk count,
completing an upload, polling, downloading, refreshing the token) go through
``urllib3``'s ``Retry``: 429, 5xx and dropped connections are retried with
exponential backoff, honouring ``Retry-After``. Two requests are not safe to
repeat blindly, so :func:`guarded` retries them instead: authentication,
because every attempt must sign a fresh message, and starting a task,
because a task whose answer was lost may have started.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

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

TRANSIENT: Final = frozenset({429, 500, 502, 503, 504})

T = TypeVar("T")


class Header(AuthBase):
    """Sets ``Authorization`` from a callable; as an ``auth`` object it also keeps
    requests from replacing the header with credentials from ``~/.netrc``."""

    def __init__(self, value: Callable[[], str]) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value()
        return request


def session(config: PushConfig, *, repeatable: bool) -> requests.Session:
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


def pause(config: PushConfig, attempt: int, response: requests.Response | None) -> None:
    """Exponential backoff, or longer when the server says so (``Retry-After``), capped."""
    delay = config.backoff_s * 2**attempt
    after = response.headers.get("Retry-After", "") if response is not None else ""
    if after.isdigit():
        delay = max(delay, float(after))
    time.sleep(min(delay, config.backoff_max_s))


def guarded(
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
            pause(config, attempt - 1, response)
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


def status_message(response: requests.Response) -> str:
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


def json_of(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise AnaplanApiError(
            f"{what}: the API answered with something that is not JSON"
        ) from error
