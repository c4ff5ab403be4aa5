"""CSV and JSON output: plain decimals, ISO dates, minimal quoting.

Where the files go, and how a run replaces the previous one as a whole, is
:mod:`consumption.io.outfolder`'s business.

CSV text is built column by column with Arrow string kernels and written in
chunks, so writing millions of rows never formats a row in Python.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from consumption.constants import UTF8_BOM
from consumption.engine.text import string_buffers

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
    path: Path,
    frame: pd.DataFrame,
    decimals: int = 0,
    exceptions: Mapping[str, int] | None = None,
    *,
    bom: bool = False,
) -> None:
    """Write ``frame`` as UTF-8 CSV with a header row (after a byte-order mark with ``bom``).

    Float columns are written with ``decimals`` places at most (the quantities'
    precision), or with the places ``exceptions`` gives for that column. When
    no text cell needs quotes (the usual case) Arrow's CSV writer formats the
    typed columns itself; otherwise every cell is built as text here.
    """
    places = dict(exceptions or {})
    with open(path, "wb") as out:
        if bom:
            out.write(UTF8_BOM)
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
    if isinstance(value, Decimal) and value.is_finite():
        # Exact quantities (summary totals) keep every digit: a float would round them.
        return "\u0000" + format(value.normalize(), "f")
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
