"""The Anaplan integration (SPEC §7): the export an import takes, and ``push``.

Writing the export needs nothing beyond the core package. Talking to the API
(``push``, certificate payloads) needs the ``anaplan`` extra: requests,
urllib3 and cryptography. Without it, those modules raise a
:class:`~consumption.errors.MissingDependencyError` that says how to install it.
"""

from __future__ import annotations

from consumption.errors import MissingDependencyError

EXTRA_HINT = "install the Anaplan extra: pip install 'consumption[anaplan]'"


def missing_extra(error: ImportError) -> MissingDependencyError:
    """The error to raise when a module of the ``anaplan`` extra cannot be imported."""
    name = error.name or "a package"
    return MissingDependencyError(f"talking to Anaplan needs {name}, not installed; {EXTRA_HINT}")
