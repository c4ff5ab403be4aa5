"""Text columns turned into integers: sorted codes, order among ties, hashes.

Sorting or hashing millions of strings dominates everything else the engine
does, so these helpers touch text as little as possible: item and location
names are few and factorized through a hash table; lot ids are compared only
where integer keys tie, and checked for duplicates through 64-bit hashes.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .segments import radix_argsort

_HASH_BASE = np.uint64(0x100000001B3)  # FNV prime: odd, so powers never vanish mod 2**64
_HASH_SEED = np.uint64(0x9E3779B97F4A7C15)


def factorize_sorted(*arrays: pa.Array) -> tuple[list[np.ndarray], pa.Array]:
    """Codes shared by several text arrays, numbered in sorted text order.

    >>> codes, uniques = factorize_sorted(pa.array(["b", "a"]), pa.array(["c", "a"]))
    >>> [c.tolist() for c in codes], uniques.to_pylist()
    ([[1, 0], [2, 0]], ['a', 'b', 'c'])
    """
    combined = pa.concat_arrays([a.cast(pa.string()) for a in arrays])
    encoded = pc.dictionary_encode(combined)
    dictionary = encoded.dictionary
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    codes = rank[indices] if len(indices) else np.zeros(0, dtype=np.int32)
    bounds = np.cumsum([0] + [len(a) for a in arrays])
    parts = [codes[lo:hi] for lo, hi in itertools.pairwise(bounds)]
    return parts, dictionary.take(order)


# Text up to this many UTF-8 bytes is turned into big-endian 64-bit words, which
# compare like the text; longer text falls back to Arrow's string kernels.
MAX_WORD_BYTES = 32


def text_words(text: pa.Array) -> np.ndarray | None:
    """Each string as big-endian uint64 words, zero-padded: rows compare like the text.

    Returns ``None`` when a string is longer than ``MAX_WORD_BYTES``.

    >>> w = text_words(pa.array(["B10", "B9", "B1"]))
    >>> w.shape, [int(x) for x in np.argsort(w[:, 0])]
    ((3, 1), [2, 0, 1])
    """
    text = text.cast(pa.string())
    n = len(text)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset : text.offset + n + 1]
    lengths = np.diff(offsets)
    longest = int(lengths.max(initial=0))
    if longest > MAX_WORD_BYTES:
        return None
    width = max(8, -(-longest // 8) * 8)
    data = text.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    raw = raw[offsets[0] : offsets[-1]]
    matrix = np.zeros((n, width), dtype=np.uint8)
    if n and (lengths == longest).all():
        # Fixed-width ids (the usual lot number format) are one reshape away.
        matrix[:, :longest] = raw.reshape(n, longest)
    else:
        starts = offsets[:-1] - offsets[0]
        for column in range(longest):  # a loop over byte positions, not over rows
            has = np.flatnonzero(lengths > column)
            matrix[has, column] = raw[starts[has] + column]
    return matrix.view(">u8").astype(np.uint64)


def argsort_with_text_ties(
    keys: np.ndarray, text: pa.Array, words: np.ndarray | None = None
) -> np.ndarray:
    """Order by the int64 ``keys``, and by ``text`` where keys are equal.

    Only the rows whose key ties with another row are sorted on text, so the
    cost of comparing text is paid in proportion to the ties. ``words`` are
    the ``text_words`` of ``text`` when the caller has them already.

    >>> argsort_with_text_ties(np.array([2, 1, 2, 1]), pa.array(["b", "z", "a", "y"])).tolist()
    [3, 1, 2, 0]
    """
    order = radix_argsort(keys)
    ordered = keys[order]
    tied = np.zeros(len(keys), dtype=bool)
    if len(keys) > 1:
        same = ordered[1:] == ordered[:-1]
        tied[1:] |= same
        tied[:-1] |= same
    where = np.flatnonzero(tied)
    if len(where) == 0:
        return order
    rows = order[where]
    words = text_words(text.take(rows)) if words is None else words[rows]
    if words is None:
        within = pc.sort_indices(
            pa.table({"k": ordered[where], "t": text.take(rows)}),
            sort_keys=[("k", "ascending"), ("t", "ascending")],
        ).to_numpy()
    else:
        within = np.lexsort((*words.T[::-1], ordered[where]))
    order[where] = rows[within]
    return order


def duplicated_pairs(
    group: np.ndarray, text: pa.Array, words: np.ndarray | None = None
) -> np.ndarray:
    """Indices ``(i, j)`` of rows with equal group and equal text, as an (m, 2) array.

    >>> duplicated_pairs(np.array([0, 0, 1, 0]), pa.array(["a", "b", "a", "a"])).tolist()
    [[0, 3]]
    """
    words = text_words(text) if words is None else words
    if words is None:
        order = pc.sort_indices(
            pa.table({"g": group, "t": text}), sort_keys=[("g", "ascending"), ("t", "ascending")]
        ).to_numpy()
        candidates = np.flatnonzero(group[order][1:] == group[order][:-1])
    else:
        # 32 bits of hash keep the sort to two radix passes; the few chance
        # collisions are weeded out below.
        key = _mix(group, words) >> np.uint64(32)
        order = radix_argsort(key)
        key = key[order]
        candidates = np.flatnonzero(key[1:] == key[:-1])
    first, second = order[candidates], order[candidates + 1]
    # A hash or group match alone proves nothing: confirm on the text itself.
    equal = (group[first] == group[second]) & pc.equal(
        text.take(first), text.take(second)
    ).to_numpy(zero_copy_only=False)
    return np.stack([first[equal], second[equal]], axis=1)


def _mix(group: np.ndarray, words: np.ndarray) -> np.ndarray:
    """A 64-bit hash of (group, words); equal inputs give equal hashes."""
    with np.errstate(over="ignore"):
        hashed = group.astype(np.uint64) * _HASH_SEED
        for column in words.T:
            hashed = (hashed ^ column) * _HASH_BASE
            hashed ^= hashed >> np.uint64(29)
    return hashed
