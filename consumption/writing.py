"""CSV and JSON output: plain decimals, ISO dates, minimal quoting, atomic replacement.

CSV text is built column by column with Arrow string kernels and written in
chunks, so writing millions of rows never formats a row in Python.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import UsageError

CHUNK_ROWS = 1_000_000  # rows formatted at once: bounds the memory of a write
_NEEDS_QUOTES = r'[",\r\n]'


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
        text = _quoted(pc.cast(_plain(pa.array(values, from_pandas=True)), pa.string()))
    return pc.fill_null(text, "")


def _plain(values: pa.Array) -> pa.Array:
    """Categoricals arrive as dictionary arrays: decode them to their values."""
    if pa.types.is_dictionary(values.type):
        return values.dictionary.take(values.indices)
    return values


def _quoted(text: pa.Array) -> pa.Array:
    needs = pc.fill_null(pc.match_substring_regex(text, _NEEDS_QUOTES), False)
    if not pc.any(needs).as_py():
        return text
    escaped = pc.replace_substring(text, '"', '""')
    return pc.if_else(needs, pc.binary_join_element_wise('"', escaped, '"', ""), text)


def header_text(columns: Sequence[str]) -> bytes:
    cells = _quoted(pa.array(list(columns), type=pa.string())).to_pylist()
    return (",".join(cells) + "\n").encode()


def write_csv(path: Path, frame: pd.DataFrame, decimals: int = 0) -> None:
    """Write ``frame`` as UTF-8 CSV with a header row, in chunks."""
    with open(path, "wb") as out:
        out.write(header_text([str(c) for c in frame.columns]))
        for lo in range(0, len(frame), CHUNK_ROWS):
            chunk = frame.iloc[lo : lo + CHUNK_ROWS]
            cells = [column_text(chunk[c], decimals) for c in chunk.columns]
            rows = pc.binary_join_element_wise(*cells, ",")
            out.write(_concatenated(pc.binary_join_element_wise(rows, "", "\n")))


def _concatenated(rows: pa.Array) -> memoryview:
    """The bytes of all strings of ``rows`` back to back, without copying them."""
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[
        rows.offset : rows.offset + len(rows) + 1
    ]
    data = rows.buffers()[2]
    if data is None or len(rows) == 0:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(payload, out, indent=2, default=_json_default)
        out.write("\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


@contextlib.contextmanager
def staged_outputs(out_dir: Path, protected: Sequence[Path] = ()) -> Iterator[Path]:
    """Yield a staging folder; on success move every file in it into ``out_dir``.

    Files are written next to their destination (same filesystem) and each is
    moved with ``os.replace``, so a reader never sees a half-written file and a
    failed run leaves the previous outputs as they were. Outputs that would
    replace one of the ``protected`` input files are refused before anything
    is written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        yield staging
        _refuse_overwriting(staging, out_dir, protected)
        for staged in sorted(staging.rglob("*")):
            if staged.is_file():
                target = out_dir / staged.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _refuse_overwriting(staging: Path, out_dir: Path, protected: Sequence[Path]) -> None:
    inputs = {Path(p).resolve() for p in protected}
    for staged in staging.rglob("*"):
        target = (out_dir / staged.relative_to(staging)).resolve()
        if target in inputs:
            raise UsageError(
                f"writing {target.name} to {out_dir} would overwrite the input file {target}; "
                "choose another --out folder"
            )
