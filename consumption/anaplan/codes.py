"""Anaplan list codes: unique, at most 60 characters, never starting with ``#``.

Anaplan counts those 60 characters as UTF-16 units, as Java does: a character
outside the Basic Multilingual Plane (an emoji, many CJK extension letters)
counts twice. Every length here is counted so (:func:`utf16_units`).

A code is the row's parts joined by ``|`` whenever that *natural* form is a
safe code, so planners read ``A|DC1|1234`` in the model. Otherwise (too long,
a part holding ``|``, ``~`` or a control character, a leading ``#`` or
surrounding blanks, or two natural codes equal but for case) it is a readable
prefix, ``~`` and 16 hex digits of the SHA-256 of the parts.

Why this is unique: natural codes never contain ``~`` and split back into their
parts, so two rows with different parts get different natural codes; every
other code contains exactly one ``~`` followed by a hash of the exact parts
(64 bits: a collision among 10 million rows has odds of about 1 in 400,000,
and :func:`codes` would still refuse it rather than merge two rows).
Anaplan matches codes without regard to case and trims blanks, which is why
those cases leave the natural form.

>>> codes(pa.array(["A", "A"]), pa.array(["", "DC1"]), pa.array(["1234", "1234"])).to_pylist()
['A||1234', 'A|DC1|1234']
>>> long = codes(pa.array(["x" * 70]))[0].as_py()
>>> len(long), long[:43] == "x" * 43, long[43]
(60, True, '~')
>>> codes(pa.array([""])).to_pylist()
['~none']
>>> wide = codes(pa.array(["\U0001f600" * 31]))[0].as_py()  # 62 units: too long
>>> utf16_units(pa.array([wide]))[0].as_py() <= 60, wide[-17]
(True, '~')
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from consumption.errors import InvariantError

MAX_LENGTH: Final = 60
SEPARATOR: Final = "|"
MARK: Final = "~"
HASH_DIGITS: Final = 16
# The code of an empty text (no location column): not of the hashed form, and no
# natural code holds "~", so it cannot collide with anything.
EMPTY_CODE: Final = "~none"
_PREFIX_LENGTH: Final = MAX_LENGTH - len(MARK) - HASH_DIGITS
# Characters a natural code may not hold (the separator and the mark keep natural codes
# unambiguous); blanks or "#" at the start, blanks at the end.
_UNSAFE: Final = r"[~\x00-\x1f\x7f]"
_UNSAFE_RE: Final = re.compile(r"[~\x00-\x1f\x7f]")
_LEADING_RE: Final = re.compile(r"^[#\s]+")
# Characters that take two UTF-16 units (RE2 syntax, for pyarrow.compute).
_ASTRAL: Final = r"[\x{10000}-\x{10FFFF}]"
# Control characters an Anaplan import cannot take in any text (tab, line feed and
# carriage return it can, quoted): U+0000-U+0008, U+000B, U+000C, U+000E-U+001F.
NOT_IMPORTABLE: Final = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
# What stands in their place in an export, with a notice: visibly not the original.
REPLACEMENT: Final = "\ufffd"


def utf16_units(texts: pa.Array) -> pa.Array:
    """The length of each text as Anaplan counts it: UTF-16 code units.

    >>> utf16_units(pa.array(["abc", "\U0001f600", "é"])).to_pylist()
    [3, 2, 1]
    """
    return pc.add(pc.utf8_length(texts), pc.count_substring_regex(texts, _ASTRAL))


def importable(texts: pa.Array) -> tuple[pa.Array, int]:
    """``texts`` with the control characters Anaplan cannot import replaced by U+FFFD,
    and how many texts had one.

    >>> fixed, count = importable(pa.array(["a" + chr(1) + "b", "ok", "c" + chr(11)]))
    >>> [len(t) for t in fixed.to_pylist()], fixed[0].as_py()[1] == REPLACEMENT, count
    ([3, 2, 2], True, 2)
    """
    found = pc.match_substring_regex(texts, NOT_IMPORTABLE)
    count = pc.sum(found).as_py() or 0
    if not count:
        return texts, 0
    return pc.replace_substring_regex(texts, NOT_IMPORTABLE, REPLACEMENT), int(count)


def _clip(text: str, units: int) -> str:
    """The longest start of ``text`` that is at most ``units`` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:index]
    return text


def codes(*parts: pa.Array) -> pa.Array:
    """One Anaplan code per row of the parallel text arrays ``parts`` (missing = empty).

    Rows must be distinct: equal rows get equal codes, which is refused.
    """
    texts = [pc.fill_null(pc.cast(p, pa.large_string()), "") for p in parts]
    if len(texts) == 1:
        joined = texts[0]
    else:
        joined = pc.binary_join_element_wise(*texts, pa.scalar(SEPARATOR, pa.large_string()))
    natural = _natural(joined, len(texts))
    found = _with_fallbacks(joined, texts, natural)
    lower = pc.utf8_lower(found)
    if pc.count_distinct(lower).as_py() != len(found):
        # Natural codes equal but for case (Anaplan would merge them) take the hashed form.
        natural &= ~pd.Series(lower.to_pandas()).duplicated(keep=False).to_numpy()
        found = _with_fallbacks(joined, texts, natural)
        if pc.count_distinct(pc.utf8_lower(found)).as_py() != len(found):
            raise InvariantError("two rows got the same Anaplan code: the rows repeat")
    _verify(found)
    return found


def _with_fallbacks(joined: pa.Array, texts: list[pa.Array], natural: np.ndarray) -> pa.Array:
    """``joined`` where the row is natural, its hashed form elsewhere."""
    if natural.all():
        return joined
    rows = pa.array(np.flatnonzero(~natural))
    columns = [t.take(rows).to_pylist() for t in texts]
    replacements = pa.array(
        [_fallback(row) for row in zip(*columns, strict=True)], pa.large_string()
    )
    return pc.replace_with_mask(joined, pa.array(~natural), replacements)


def _natural(joined: pa.Array, n_parts: int) -> np.ndarray:
    """Rows whose joined text is a safe, unambiguous code as it stands."""
    length = utf16_units(joined)
    ok = pc.and_(pc.greater(length, 0), pc.less_equal(length, MAX_LENGTH))
    ok = pc.and_(ok, pc.invert(pc.match_substring_regex(joined, _UNSAFE)))
    ok = pc.and_(ok, pc.equal(pc.count_substring(joined, SEPARATOR), n_parts - 1))
    ok = pc.and_(ok, pc.invert(pc.starts_with(joined, "#")))
    ok = pc.and_(ok, pc.equal(pc.utf8_trim_whitespace(joined), joined))
    return ok.to_numpy(zero_copy_only=False).astype(bool)


def _fallback(parts: tuple[str, ...]) -> str:
    """Readable prefix, ``~``, then a hash of the exact parts."""
    if len(parts) == 1 and parts[0] == "":
        return EMPTY_CODE
    digest = hashlib.sha256()
    for part in parts:  # length-prefixed, so no two lists of parts hash the same text
        data = part.encode()
        digest.update(f"{len(data)}:".encode() + data)
    readable = _LEADING_RE.sub("", _UNSAFE_RE.sub("_", SEPARATOR.join(parts)))
    prefix = _clip(readable, _PREFIX_LENGTH).rstrip(" " + SEPARATOR)
    return prefix + MARK + digest.hexdigest()[:HASH_DIGITS]


def _verify(found: pa.Array) -> None:
    """The rules hold by construction; a failure here is a bug, never bad input."""
    if len(found) == 0:
        return
    length = utf16_units(found)
    if pc.min(length).as_py() == 0 or pc.max(length).as_py() > MAX_LENGTH:
        raise InvariantError(f"an Anaplan code is empty or longer than {MAX_LENGTH} UTF-16 units")
    if pc.any(pc.starts_with(found, "#")).as_py():
        raise InvariantError("an Anaplan code starts with '#'")
