"""Text columns turned into integers: sorted codes, order among ties, hashes.

Sorting or hashing millions of strings dominates everything else the engine
does, so these helpers touch text as little as possible: item and location
names are few and factorized through a hash table; lot ids are compared only
where integer keys tie, and checked for duplicates through 64-bit hashes.
"""

from __future__ import annotations

import itertools
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from consumption.engine.keys import KeyLayout
from consumption.engine.runs import radix_argsort
from consumption.errors import KeyOverflowError

_HASH_BASE = np.uint64(0x100000001B3)  # FNV prime: odd, so powers never vanish mod 2**64
_HASH_SEED = np.uint64(0x9E3779B97F4A7C15)


def factorize_sorted(*arrays: pa.Array) -> tuple[list[np.ndarray], pa.Array]:
    """Codes shared by several text arrays, numbered in sorted text order.

    >>> codes, uniques = factorize_sorted(pa.array(["b", "a"]), pa.array(["c", "a"]))
    >>> [c.tolist() for c in codes], uniques.to_pylist()
    ([[1, 0], [2, 0]], ['a', 'b', 'c'])
    """
    texts = [a.cast(pa.large_string()) for a in arrays]
    # Encoding the arrays as chunks of one column shares a single hash table
    # without first copying ten million strings into one array.
    encoded = pc.dictionary_encode(pa.chunked_array(texts, type=pa.large_string()))
    chunks = encoded.chunks
    shared = len(texts) > 0 and [len(c) for c in chunks] == [len(t) for t in texts]
    if not shared or any(not c.dictionary.equals(chunks[0].dictionary) for c in chunks[1:]):
        chunks = _split(pc.dictionary_encode(pa.concat_arrays(texts)), [len(t) for t in texts])
    dictionary = chunks[0].dictionary
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    parts = [rank[c.indices.to_numpy(zero_copy_only=False)] for c in chunks]
    return parts, dictionary.take(order)


def _split(encoded: pa.DictionaryArray, lengths: list[int]) -> list[pa.DictionaryArray]:
    """One encoded array cut back into the pieces it was concatenated from."""
    bounds = np.cumsum([0, *lengths])
    return [encoded.slice(lo, hi - lo) for lo, hi in itertools.pairwise(bounds)]


# Text up to this many UTF-8 bytes is turned into big-endian 64-bit words, which
# compare like the text; longer text falls back to Arrow's string kernels.
MAX_WORD_BYTES = 32


def byte_matrix(text: pa.Array) -> np.ndarray | None:
    """Each string's UTF-8 bytes as one zero-padded row of a uint8 matrix.

    Rows compare (lexicographically) like the text, since padding sorts before
    every byte a string holds. ``None`` when a string is longer than
    ``MAX_WORD_BYTES``. The width is a multiple of 8, so rows view as words.
    """
    words = text_words(text)
    if words is None:
        return None
    # Big-endian words hold the bytes in text order: the matrix is their bytes.
    return words.astype(">u8").view(np.uint8).reshape(len(words), 8 * words.shape[1])


# The low k bytes of a little-endian word, for k = 0..8: what a string of k bytes fills.
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


# Rows are turned into words and hashes a block at a time: arrays of a block stay
# in cache and their memory is reused, where arrays of ten million rows are fresh
# pages each, which costs more than the arithmetic on them.
_BLOCK = 1 << 16


def text_words(text: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """Each string as big-endian uint64 words, zero-padded: rows compare like the text.

    ``None`` when a string is longer than ``MAX_WORD_BYTES``.

    >>> w = text_words(pa.array(["B10", "B9", "B1"]))
    >>> w.shape, [int(x) for x in np.argsort(w[:, 0])]
    ((3, 1), [2, 0, 1])
    """
    count = _word_count(text)
    if count is None:
        return None
    words = np.empty((len(text), count), np.uint64)
    for lo in range(0, len(text), _BLOCK):
        words[lo : lo + _BLOCK] = _words(text[lo : lo + _BLOCK], count)
    return words


def _word_count(text: pa.Array | pa.ChunkedArray) -> int | None:
    """The words the longest string needs (at least one), or ``None`` beyond ``MAX_WORD_BYTES``."""
    longest = pc.max(pc.binary_length(text)).as_py() or 0
    return None if longest > MAX_WORD_BYTES else max(1, -(-longest // 8))


def _words(text: pa.Array | pa.ChunkedArray, count: int) -> np.ndarray:
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    parts = [_chunk_words(*string_buffers(chunk), count) for chunk in chunks]
    return np.concatenate(parts) if parts else np.zeros((0, count), np.uint64)


def _chunk_words(offsets: np.ndarray, raw: np.ndarray, count: int) -> np.ndarray:
    # Eight bytes from any byte offset are two aligned little-endian words, shifted
    # and joined: a few passes over the rows per word of a string, never one per
    # byte. The bytes are padded with zero words so every string reads past its end.
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    padded = np.zeros((len(raw) // 8 + count + 2) * 8, np.uint8)
    padded[: len(raw)] = raw
    aligned = padded.view("<u8")
    words = np.empty((n, count), np.uint64)
    starts = offsets[:-1]
    shift = ((starts & 7) * 8).astype(np.uint64)
    # Shifting by 64 in one step is undefined; 63 and then 1 shifts out every bit.
    high = np.uint64(63) - shift
    one = np.uint64(1)
    for w in range(count):  # a loop over words of a string, not over rows
        at = (starts >> 3) + w
        loaded = (aligned[at] >> shift) | ((aligned[at + 1] << high) << one)
        loaded &= _LOW_BYTES[np.minimum(np.maximum(lengths - 8 * w, 0), 8)]
        words[:, w] = loaded.byteswap()
    return words


def ordinal_codes(matrix: np.ndarray, max_bits: int) -> tuple[np.ndarray, int] | None:
    """One integer per row that sorts and compares like the row, if it fits ``max_bits``.

    Each byte column is replaced by the rank of its value among the values the
    column takes, and the ranks are packed; columns that never vary are
    dropped. Lot ids such as ``B24-00123`` vary in a few digit positions, so
    millions of them fit in a few dozen bits and sort by radix with the FEFO
    key. Returns the codes and the bits they need.

    >>> m = byte_matrix(pa.array(["B10", "B9", "B1", "B9"]))
    >>> codes, bits = ordinal_codes(m, 63)
    >>> codes.tolist(), bits
    ([1, 2, 0, 2], 2)
    """
    if len(matrix) == 0:
        return np.zeros(0, dtype=np.int64), 0
    varying = np.flatnonzero(matrix.min(axis=0) != matrix.max(axis=0))
    columns = np.ascontiguousarray(matrix[:, varying].T)  # byte positions, not rows
    present = [np.bincount(column, minlength=256) > 0 for column in columns]
    counts = [int(seen.sum()) for seen in present]
    try:
        layout = KeyLayout.of_ranges(*((0, count - 1) for count in counts))
    except KeyOverflowError:
        return None
    bits = (layout.size - 1).bit_length()
    if bits > max_bits:
        return None
    ranks = [(np.cumsum(seen) - 1)[column] for column, seen in zip(columns, present, strict=True)]
    return layout.pack(*ranks) if ranks else np.zeros(len(matrix), np.int64), bits


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


def string_buffers(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A string array's offsets (from 0, int64) and bytes, as numpy views of its buffers."""
    offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    _, offset_buffer, data_buffer = chunk.buffers()
    if offset_buffer is None or len(chunk) == 0:
        return np.zeros(1, np.int64), np.zeros(0, np.uint8)
    window = slice(chunk.offset, chunk.offset + len(chunk) + 1)
    offsets = np.frombuffer(offset_buffer, offset_type)[window].astype(np.int64)
    begin = int(offsets[0])
    offsets -= begin
    if data_buffer is None:
        return offsets, np.zeros(0, np.uint8)
    return offsets, np.frombuffer(data_buffer, np.uint8)[begin : begin + int(offsets[-1])]


_HASH_INVERSE = np.uint64(pow(int(_HASH_BASE), -1, 2**64))
_powers_cache: list[np.ndarray] = [np.ones(1, np.uint64), np.ones(1, np.uint64)]


def _hash_powers(size: int) -> tuple[np.ndarray, np.ndarray]:
    """``base**i`` and ``base**-i`` modulo 2**64 for i < size (cached, grown on demand)."""
    if len(_powers_cache[0]) < size:
        size = max(size, 2 * len(_powers_cache[0]))
        for k, base in enumerate((_HASH_BASE, _HASH_INVERSE)):
            powers = np.empty(size, np.uint64)
            powers[0] = 1
            powers[1:] = np.cumprod(np.full(size - 1, base, np.uint64))  # wraps mod 2**64
            _powers_cache[k] = powers
    return _powers_cache[0], _powers_cache[1]


def hash_text(strings: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A polynomial hash (mod 2**64) of every string, from prefix sums of its bytes.

    Equal strings hash equal whatever their length; callers confirm a match on the
    text itself.
    """
    chunks = strings.chunks if isinstance(strings, pa.ChunkedArray) else [strings]
    parts = [_hash_chunk(chunk) for chunk in chunks]
    return np.concatenate(parts) if parts else np.zeros(0, np.uint64)


def _hash_chunk(chunk: pa.Array) -> np.ndarray:
    # sum_j (byte_j + 1) * base**j over a value's bytes, shifted back to start at j = 0.
    offsets, data = string_buffers(chunk)
    powers, inverse = _hash_powers(len(data) + 1)
    with np.errstate(over="ignore"):
        weighted = (data.astype(np.uint64) + np.uint64(1)) * powers[: len(data)]
        prefix = np.zeros(len(data) + 1, np.uint64)
        np.cumsum(weighted, out=prefix[1:])
        sums = (prefix[offsets[1:]] - prefix[offsets[:-1]]) * inverse[offsets[:-1]]
        return sums + np.diff(offsets).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)


Key: TypeAlias = pa.Array | pa.ChunkedArray | np.ndarray


def duplicate_rows(keys: list[Key], skip: np.ndarray | None = None) -> list[tuple[int, int]]:
    """``(row, first row with the same key)`` for every repeated key, in row order.

    A key is one value of each array in ``keys`` (text or integers). Rows where
    ``skip`` is true take no part. One sort of a 64-bit hash shows that no key
    repeats (the usual case); only rows whose hashes collide are compared on
    their values.

    >>> duplicate_rows([np.array([0, 0, 1, 0]), pa.array(["a", "b", "a", "a"])])
    [(3, 0)]
    """
    hashed = _hash_keys(keys)
    live = None if skip is None else np.flatnonzero(~skip)
    if live is not None:
        hashed = hashed[live]
    ordered = np.sort(hashed)
    if not (ordered[1:] == ordered[:-1]).any():
        return []
    # Some hash repeats: find which rows hold it (a sort that keeps rows, paid only here).
    order = np.argsort(hashed, kind="stable")
    ordered = hashed[order]
    same = np.flatnonzero(ordered[1:] == ordered[:-1])
    candidates = order[np.union1d(same, same + 1)]
    candidates = np.sort(candidates if live is None else live[candidates])
    values = pd.DataFrame({i: _take(key, candidates) for i, key in enumerate(keys)})
    group = values.groupby(list(values.columns), sort=False).ngroup().to_numpy()
    _, first = np.unique(group, return_index=True)
    first_row = candidates[first][group]
    return [(int(r), int(f)) for r, f in zip(candidates, first_row, strict=True) if r != f]


def _hash_keys(keys: list[Key]) -> np.ndarray:
    # Short text (the usual ids and codes) is hashed from its words, much faster
    # than from its bytes; the choice is made once per column, so that equal
    # values hash equal in every block.
    counts = [None if isinstance(key, np.ndarray) else _word_count(key) for key in keys]
    n = len(keys[0]) if keys else 0
    hashed = np.empty(n, np.uint64)
    with np.errstate(over="ignore"):
        for lo in range(0, n, _BLOCK):  # a loop over blocks of rows
            block = np.zeros(min(_BLOCK, n - lo), np.uint64)
            for key, count in zip(keys, counts, strict=True):
                rows = key[lo : lo + _BLOCK]
                if isinstance(rows, np.ndarray):
                    part = _scramble(rows.astype(np.uint64))
                elif count is None:
                    part = hash_text(rows)
                else:
                    part = _hash_words(_words(rows, count))
                block = block * _HASH_SEED + part
            hashed[lo : lo + _BLOCK] = block
    return hashed


def _hash_words(words: np.ndarray) -> np.ndarray:
    hashed = np.zeros(len(words), dtype=np.uint64)
    for column in words.T:
        hashed = _scramble(hashed ^ column)
    return hashed


def _scramble(values: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        values = values * _HASH_SEED
        return values ^ (values >> np.uint64(29))


def _take(key: Key, rows: np.ndarray) -> list:
    if isinstance(key, np.ndarray):
        return key[rows].tolist()
    return key.take(pa.array(rows)).to_pylist()
