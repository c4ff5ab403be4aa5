"""CSV and JSON output: plain decimals, ISO dates, minimal quoting, atomic replacement.

CSV text is built column by column with Arrow string kernels and written in
chunks, so writing millions of rows never formats a row in Python.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from consumption.engine.text import string_buffers
from consumption.errors import UsageError

try:  # POSIX: locks that die with their process mark staging folders in use
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

CHUNK_ROWS = 1_000_000  # rows formatted at once: bounds the memory of a write
_NEEDS_QUOTES = r'[",\r\n]'
_SPECIAL_BYTES = np.frombuffer(b'",\r\n', dtype=np.uint8)


def decimal_text(scaled: np.ndarray, decimals: int) -> pa.Array:
    """Exact decimal text of integers in units of ``10**-decimals``, without trailing zeros.

    >>> decimal_text(np.array([4500000, 300000, 1, -2500000]), 6).to_pylist()
    ['4.5', '0.3', '0.000001', '-2.5']
    """
    scaled = np.asarray(scaled, dtype=np.int64)
    if decimals == 0:
        return pc.cast(pa.array(scaled), pa.string())
    unit = 10**decimals
    magnitude = np.abs(scaled)
    whole = pc.cast(pa.array(magnitude // unit), pa.string())
    fraction = pc.utf8_rtrim(
        pc.utf8_lpad(pc.cast(pa.array(magnitude % unit), pa.string()), decimals, "0"), "0"
    )
    text = pc.if_else(
        pc.equal(fraction, ""), whole, pc.binary_join_element_wise(whole, fraction, ".")
    )
    return pc.if_else(pa.array(scaled < 0), pc.binary_join_element_wise("-", text, ""), text)


def column_text(values: pd.Series, decimals: int) -> pa.Array:
    """One output column as CSV cell text (empty for missing values)."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        text = pc.if_else(pa.array(values.to_numpy(dtype=bool)), "TRUE", "FALSE")
    elif pd.api.types.is_float_dtype(dtype):
        # Quantities: floats only ever hold integers of 10**-decimals units.
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(numbers)
        scaled = np.rint(np.where(missing, 0, numbers) * 10.0**decimals).astype(np.int64)
        text = pc.if_else(
            pa.array(missing), pa.scalar(None, pa.string()), decimal_text(scaled, decimals)
        )
    elif pd.api.types.is_integer_dtype(dtype):
        text = pc.cast(pa.array(values, from_pandas=True), pa.string())
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        text = pc.strftime(pa.array(values, from_pandas=True), format="%Y-%m-%d")
    else:
        text = _text_cells(pa.array(values, from_pandas=True))
    return pc.fill_null(text, "")


def _text_cells(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Text cells, quoted where needed; a categorical's few names are quoted only once."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        names = _quoted(pc.cast(values.dictionary, pa.string()))
        return names.take(values.indices)
    return _quoted(pc.cast(values, pa.string()))


def _may_need_quotes(text: pa.Array) -> bool:
    """Whether any byte of the text is a quote, comma or line break (one pass over the bytes)."""
    _, raw = string_buffers(text)
    return bool(np.isin(raw, _SPECIAL_BYTES).any())


def _quoted(text: pa.Array) -> pa.Array:
    if not _may_need_quotes(text):
        return text
    needs = pc.fill_null(pc.match_substring_regex(text, _NEEDS_QUOTES), False)
    if not pc.any(needs).as_py():
        return text
    escaped = pc.replace_substring(text, '"', '""')
    return pc.if_else(needs, pc.binary_join_element_wise('"', escaped, '"', ""), text)


def header_text(columns: Sequence[str]) -> bytes:
    cells = _quoted(pa.array(list(columns), type=pa.string())).to_pylist()
    return (",".join(cells) + "\n").encode()


def write_csv(
    path: Path, frame: pd.DataFrame, decimals: int = 0, exceptions: Mapping[str, int] | None = None
) -> None:
    """Write ``frame`` as UTF-8 CSV with a header row.

    Float columns are written with ``decimals`` places at most (the quantities'
    precision), or with the places ``exceptions`` gives for that column. When
    no text cell needs quotes (the usual case) Arrow's CSV writer formats the
    typed columns itself; otherwise every cell is built as text here.
    """
    places = dict(exceptions or {})
    with open(path, "wb") as out:
        out.write(header_text([str(c) for c in frame.columns]))
        typed = _typed_columns(frame, decimals, places)
        if typed is not None:
            options = pacsv.WriteOptions(include_header=False, quoting_style="none")
            pacsv.write_csv(pa.table(typed), out, options)
            return
        for lo in range(0, len(frame), CHUNK_ROWS):
            chunk = frame.iloc[lo : lo + CHUNK_ROWS]
            cells = [column_text(chunk[c], places.get(c, decimals)) for c in chunk.columns]
            rows = pc.binary_join_element_wise(*cells, ",")
            for block in _blocks(pc.binary_join_element_wise(rows, "", "\n")):
                out.write(_concatenated(block))


def _typed_columns(
    frame: pd.DataFrame, decimals: int, places: Mapping[str, int]
) -> dict[str, pa.Array] | None:
    """Columns Arrow can write as they are, or None when some text needs quotes.

    Integers and text pass through (Arrow prints both as we would); dates become
    calendar dates; floats and booleans are formatted here, since Arrow would
    print 1e-06 and true.
    """
    columns: dict[str, pa.Array] = {}
    for name in frame.columns:
        values = frame[name]
        dtype = values.dtype
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
            columns[str(name)] = column_text(values, places.get(name, decimals))
        elif pd.api.types.is_integer_dtype(dtype):
            columns[str(name)] = pa.array(values, from_pandas=True)
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            columns[str(name)] = pa.array(values, from_pandas=True).cast(pa.date32())
        else:
            text = pa.array(values, from_pandas=True)
            if isinstance(text, pa.ChunkedArray):
                text = text.combine_chunks()
            plain = text.dictionary if pa.types.is_dictionary(text.type) else text
            if _may_need_quotes(pc.cast(plain, pa.large_string())):
                return None
            columns[str(name)] = text
    return columns


def _blocks(rows: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    """The contiguous arrays of ``rows``.

    Columns that pyarrow read from a file larger than its block size (about
    1 MB) stay chunked through pandas, and so does every row joined from them.
    """
    return rows.chunks if isinstance(rows, pa.ChunkedArray) else [rows]


def _concatenated(rows: pa.Array) -> memoryview:
    """The bytes of all strings of ``rows`` back to back, without copying them."""
    wide = pa.types.is_large_string(rows.type) or pa.types.is_large_binary(rows.type)
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64 if wide else np.int32)[
        rows.offset : rows.offset + len(rows) + 1
    ]
    data = rows.buffers()[2]
    if data is None or len(rows) == 0:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    """Indented JSON whose numbers are plain decimals, as every output's are (SPEC §6)."""
    text = json.dumps(_plain_floats(payload), indent=2, default=_json_default)
    # Floats went in as marked strings (Python would print 1e-05); unquote them.
    text = re.sub(r'"\\u0000(-?[0-9.]+)"', r"\1", text)
    with open(path, "w", encoding="utf-8") as out:
        out.write(text + "\n")


def _plain_floats(value: Any) -> Any:
    if isinstance(value, float | np.floating) and np.isfinite(value):
        text = np.format_float_positional(float(value), trim="-")
        return "\u0000" + text
    if isinstance(value, Mapping):
        return {k: _plain_floats(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_floats(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


STAGING_PREFIX = ".staging-"


@contextlib.contextmanager
def staged_outputs(out_dir: Path, protected: Sequence[Path] = ()) -> Iterator[Path]:
    """Yield a staging folder; on success move every file in it into ``out_dir``.

    What a crash can and cannot leave behind, and why:

    * Files are written in full into a hidden ``.staging-*`` folder inside
      ``out_dir`` (same filesystem, so a move is a rename) and only then moved
      into place, each with ``os.replace``: a reader, or the next run after a
      crash of this one, sees the old file or the new one, never a half-written
      one. Files are not fsync'ed: that guards against a power cut rather than a
      crash of the program, costs a journal commit per file (about 9 ms a file
      where measured, which would dominate small runs and the test suite), and
      ext4 and btrfs by default flush a file's data before a rename that
      replaces another file.
    * Nothing is moved until every file is written and every destination is
      checked (no input file overwritten, no folder in the way), so a run that
      fails or is killed before the moves leaves the previous outputs as they
      were. The moves themselves are a handful of renames; JSON files (the run
      summary, manifests) go last, so a reader who sees the new summary sees
      the new CSV files too. Swapping the whole folder in one rename would be
      atomic for the set, but ``out_dir`` may hold the inputs or other files
      of the user, so it cannot be replaced wholesale.
    * A run killed outright (SIGKILL, power cut) leaves its staging folder.
      The run holds a lock on it (``flock``, which the kernel drops when the
      process dies, however it dies), and the next run into ``out_dir``
      deletes the staging folders nobody holds. A folder still locked belongs
      to a run in progress and is left alone. Without ``flock`` (Windows)
      leftovers are simply ignored: their names start with a dot and nothing
      reads them.

    Outputs that would replace one of the ``protected`` input files are
    refused (``UsageError``) before anything is moved.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    lock = None
    try:
        lock = _lock(staging)
        yield staging
        staged = sorted(
            (p for p in staging.rglob("*") if p.is_file()),
            key=lambda p: (p.suffix == ".json", p),
        )
        _check_targets(staging, out_dir, protected)
        for path in staged:
            target = out_dir / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if lock is not None:
            os.close(lock)


def _lock(folder: Path) -> int | None:
    """Hold an exclusive lock on ``folder`` for as long as the returned descriptor is open.

    Where the filesystem has no locks (some network and FUSE mounts) the run goes on
    unlocked: other runs cannot lock the folder either, so they leave it alone.
    """
    if fcntl is None:
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _remove_abandoned_staging(out_dir: Path) -> None:
    """Delete the staging folders of runs that died before cleaning up (see staged_outputs)."""
    if fcntl is None:
        return
    for folder in out_dir.glob(STAGING_PREFIX + "*"):
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue  # gone meanwhile, or not a folder we can open: not ours to judge
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # locked: a run in progress owns it
        else:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(fd)


def _check_targets(staging: Path, out_dir: Path, protected: Sequence[Path]) -> None:
    """Refuse, before any move, a destination that is an input file or a folder."""
    inputs = {Path(p).resolve() for p in protected}
    for staged in staging.rglob("*"):
        if not staged.is_file():
            continue
        target = out_dir / staged.relative_to(staging)
        if target.resolve() in inputs:
            raise UsageError(
                f"writing {target.name} to {out_dir} would overwrite the input file "
                f"{target.resolve()}; choose another --out folder"
            )
        if target.is_dir():
            raise UsageError(
                f"cannot write {target.name}: {target} is a folder; "
                "remove it or choose another --out folder"
            )
