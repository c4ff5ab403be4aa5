"""The shapes of Anaplan IDs, in one place: what may go into a URL or a file name.

Workspace, model and task IDs are 32 hexadecimal characters. Files, imports,
exports, actions and processes have 12-digit IDs whose first three digits say
the kind (``113…`` a file, ``112…`` an import, ``116…`` an export, ``117…`` an
action, ``118…`` a process). Chunk IDs are digits.

An ID read from the configuration or from an answer of the API is checked
here before it is put into a path or a URL: a value of any other shape (a
``../`` or a ``/`` in a task ID) is refused, never cleaned up, so nothing the
server says can send a request elsewhere or write a file outside its folder.

>>> check(TASK, "8A81B09D5E8C6F27015ECE3402487D33", "task start")
'8A81B09D5E8C6F27015ECE3402487D33'
>>> problem(FILE, "112000000001")
'a file ID (12 digits starting with 113)'
>>> problem(TASK, "../../elsewhere/PWNED")
'a task ID (32 hexadecimal characters)'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from consumption.errors import AnaplanApiError


@dataclass(frozen=True)
class Kind:
    """One kind of ID: how messages name it and the pattern it must match whole."""

    name: str
    shape: str  # how a message describes the pattern
    pattern: re.Pattern[str]


def _hex32(name: str) -> Kind:
    return Kind(name, "32 hexadecimal characters", re.compile(r"[0-9A-Fa-f]{32}"))


def _numbered(name: str, prefix: str) -> Kind:
    return Kind(name, f"12 digits starting with {prefix}", re.compile(rf"{prefix}[0-9]{{9}}"))


WORKSPACE: Final = _hex32("workspace ID")
MODEL: Final = _hex32("model ID")
TASK: Final = _hex32("task ID")
IMPORT: Final = _numbered("import ID", "112")
FILE: Final = _numbered("file ID", "113")
EXPORT: Final = _numbered("export ID", "116")
ACTION: Final = _numbered("action ID", "117")
PROCESS: Final = _numbered("process ID", "118")
# Chunk IDs are small numbers; the bound keeps a path segment short.
CHUNK: Final = Kind("chunk ID", "digits", re.compile(r"[0-9]{1,9}"))


def matches(kind: Kind, value: object) -> bool:
    """Whether ``value`` is text of the shape of ``kind`` (``fullmatch``: no trailing newline).

    >>> matches(IMPORT, "112000000001"), matches(IMPORT, "112000000001\\n"), matches(IMPORT, 1)
    (True, False, False)
    """
    return isinstance(value, str) and kind.pattern.fullmatch(value) is not None


def problem(kind: Kind, value: object) -> str | None:
    """None when ``value`` has the shape of ``kind``, else what it should be."""
    if matches(kind, value):
        return None
    article = "an" if kind.name[0] in "aeiou" else "a"
    return f"{article} {kind.name} ({kind.shape})"


def check(
    kind: Kind, value: object, what: str, scrub: Callable[[str], str] = lambda text: text
) -> str:
    """``value`` when it has the shape of ``kind``; else :class:`AnaplanApiError`.

    ``what`` names the answer (``"task start"``); the message shows a short,
    printable form of the value, passed through ``scrub`` (which removes the
    secrets a server might echo).

    >>> check(IMPORT, "../x", "task status")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    consumption.errors.AnaplanApiError: task status: the API answered '../x' where an import ID ...
    """
    if matches(kind, value):
        assert isinstance(value, str)  # matches() holds only for text
        return value
    raise AnaplanApiError(
        f"{what}: the API answered {scrub(shown(value))} where {problem(kind, value)} "
        "belongs; refused before it went into a URL or a file name"
    )


def shown(value: object, limit: int = 40) -> str:
    """A short, printable form of a value the API gave: quoted, control characters
    escaped, at most ``limit`` characters of it.

    >>> shown("a\\nb"), shown(0), shown("x" * 50, limit=5)
    ("'a\\\\nb'", '0', "'xxx…")
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
