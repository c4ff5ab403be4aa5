"""Benchmark: reading inventory files, Excel (calamine against openpyxl), CSV against Parquet.

The inventory is the generator's (``scenarios/generate.py`` through
``bench_kernel.build_instance``, rows shuffled, one item per 50 lots between 40
and 2,000, 5 DCs), with the columns ``item``, ``location``, ``lot``, ``qty`` and
``shelf_life`` (``--expiry-date``: ``expiry_date`` from 2026-12-07 instead).
Each file is written once into a temporary folder (deleted at the end), so every
read finds it in the page cache. Every figure is the best of ``--repeat`` runs
in this one process (garbage collected before each), and the ratios are taken
within the run, on the same files.

1. **Excel**, one sheet of ``--excel-lots`` lots (default 100,000), written by
   openpyxl in write-only mode, quantities and shelf lives as number cells
   (expiry dates as date cells):

   * ``consumption.read_inventory`` (python-calamine, then every check);
   * raw python-calamine: ``CalamineWorkbook.from_path(p).get_sheet_by_name(s).to_python()``;
   * raw openpyxl: ``load_workbook(p, read_only=True, data_only=True)`` and a list of
     ``ws.iter_rows(values_only=True)``;
   * ``pandas.read_excel`` with ``engine="calamine"`` and ``engine="openpyxl"``, for reference.

2. **CSV against Parquet**, for each of ``--lots`` (default 1M and 10M): the same
   frame written by ``pyarrow.csv.write_csv`` and by ``pyarrow.parquet.write_table``
   (its defaults: Snappy, dictionary encoding), then

   * ``consumption.read_inventory`` on each file;
   * the floors, raw pyarrow: ``pyarrow.csv.read_csv`` (types inferred) and
     ``pyarrow.parquet.read_table``, and both again with ``.to_pandas()`` (a frame,
     which is what ``read_inventory`` returns).

    python benchmarks/bench_read.py [--excel-lots 100000] [--lots 1000000 10000000]
        [--repeat 3] [--expiry-date] [--no-excel] [--json PATH] [--profile PATH]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import platform
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import openpyxl  # type: ignore[import-untyped]
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_kernel  # noqa: E402  (a sibling script, not a package)

from consumption import constants as C  # noqa: E402
from consumption import read_inventory  # noqa: E402

DEFAULT_EXCEL_LOTS = 100_000
DEFAULT_LOTS = (1_000_000, 10_000_000)
DEFAULT_REPEAT = 3
SEED = 7
LOCATIONS = 5
AS_OF = dt.date(2026, 12, 7)
SHEET = "inventory"


# --- the instance and its files ------------------------------------------------------------


def inventory_frame(lots: int, expiry_date: bool) -> pd.DataFrame:
    """The generator's lots, shuffled: item, location, lot, qty, shelf_life or expiry_date."""
    items = int(np.clip(lots // 50, 40, 2000))
    inventory, _ = bench_kernel.build_instance(
        lots, max(1, lots // 5), items, LOCATIONS, 300, SEED, shuffle=True
    )
    columns = [C.ITEM, C.LOCATION, C.LOT, C.QTY, C.SHELF_LIFE]
    inventory = inventory[columns]
    if expiry_date:
        day0 = np.datetime64(AS_OF, "D")
        days = inventory[C.SHELF_LIFE].to_numpy().astype("timedelta64[D]")
        inventory = inventory.drop(columns=[C.SHELF_LIFE])
        inventory[C.EXPIRY_DATE] = pd.Series(day0 + days).dt.as_unit("s")
    return inventory.reset_index(drop=True)


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """One sheet, header row then a row per lot; numbers as number cells, dates as date cells."""

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    sheet.append(list(frame.columns))
    columns = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            columns.append([d.date() for d in series.dt.to_pydatetime()])
        else:
            columns.append(series.tolist())  # str, or int: a number cell
    for row in zip(*columns, strict=True):
        sheet.append(row)
    workbook.save(path)


def write_csv_parquet(frame: pd.DataFrame, folder: Path) -> tuple[Path, Path]:
    """The frame as CSV (Arrow's writer, as ``run.py``) and as Parquet (pyarrow's defaults)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if C.EXPIRY_DATE in table.column_names:  # a date, written YYYY-MM-DD, not a timestamp
        at = table.column_names.index(C.EXPIRY_DATE)
        dates = table.column(at).cast(pa.date32())
        table = table.set_column(at, C.EXPIRY_DATE, dates)
    csv_path, parquet_path = folder / "inventory.csv", folder / "inventory.parquet"
    pacsv.write_csv(table, csv_path)
    pq.write_table(table, parquet_path)
    return csv_path, parquet_path


# --- readers -------------------------------------------------------------------------------


def calamine_raw(path: Path) -> int:
    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET)
    return len(rows.to_python()) - 1


def openpyxl_raw(path: Path) -> int:

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(workbook[SHEET].iter_rows(values_only=True))
    finally:
        workbook.close()
    return len(rows) - 1


def pandas_excel(engine: Literal["calamine", "openpyxl"]) -> Callable[[Path], int]:
    def run(path: Path) -> int:
        return len(pd.read_excel(path, sheet_name=SHEET, engine=engine))

    return run


def consumption_read(path: Path) -> int:
    return len(read_inventory(path))


def arrow_csv(path: Path) -> int:
    return pacsv.read_csv(path).num_rows


def arrow_csv_pandas(path: Path) -> int:
    return len(pacsv.read_csv(path).to_pandas())


def arrow_parquet(path: Path) -> int:
    return pq.read_table(path).num_rows


def arrow_parquet_pandas(path: Path) -> int:
    return len(pq.read_table(path).to_pandas())


# --- timing --------------------------------------------------------------------------------


def best_of(repeat: int, run: Callable[[], int]) -> tuple[float, list[float], int]:
    """Best wall seconds of ``repeat`` runs (collected before each), all runs, rows read."""
    seconds: list[float] = []
    rows = 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        rows = run()
        seconds.append(time.perf_counter() - start)
    return min(seconds), seconds, rows


def measure(
    readers: dict[str, tuple[Callable[[Path], int], Path]], lots: int, repeat: int
) -> dict[str, dict[str, Any]]:
    """Time every reader on its file; each must hand back every lot."""
    out: dict[str, dict[str, Any]] = {}
    for label, (reader, path) in readers.items():
        best, runs, rows = best_of(repeat, lambda: reader(path))  # noqa: B023
        if rows != lots:
            raise AssertionError(f"{label} read {rows:,} rows, not {lots:,}")
        out[label] = {"best_s": best, "runs_s": runs, "ns_per_lot": best / lots * 1e9}
        say(f"    {label:<44}{best:>9.3f} s   runs {' '.join(f'{r:.3f}' for r in runs)}")
    return out


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def profile_parquet(path: Path, out: Path, lines: int = 25) -> str:
    """cProfile of ``read_inventory`` on the Parquet file: the top functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    read_inventory(path)
    profiler.disable()
    out.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(out)
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(lines)
    return stream.getvalue()


# --- the run -------------------------------------------------------------------------------


EXCEL_READERS = {
    "consumption.read_inventory (calamine)": consumption_read,
    "python-calamine to_python": calamine_raw,
    "openpyxl read_only iter_rows": openpyxl_raw,
    "pandas.read_excel calamine": pandas_excel("calamine"),
    "pandas.read_excel openpyxl": pandas_excel("openpyxl"),
}


def warm_up(expiry_date: bool, folder: Path) -> None:
    """Every reader once on a small file, untimed: imports and first-call costs out of the way."""
    frame = inventory_frame(1_000, expiry_date)
    xlsx = folder / "warm.xlsx"
    write_xlsx(frame, xlsx)
    csv_path, parquet_path = write_csv_parquet(frame, folder)
    for reader in EXCEL_READERS.values():
        reader(xlsx)
    for csv_reader in (consumption_read, arrow_csv, arrow_csv_pandas):
        csv_reader(csv_path)
    for parquet_reader in (consumption_read, arrow_parquet, arrow_parquet_pandas):
        parquet_reader(parquet_path)
    for path in (xlsx, csv_path, parquet_path):
        path.unlink()


def run_excel(lots: int, expiry_date: bool, repeat: int, folder: Path) -> dict[str, Any]:
    frame = inventory_frame(lots, expiry_date)
    path = folder / "inventory.xlsx"
    start = time.perf_counter()
    write_xlsx(frame, path)
    written = time.perf_counter() - start
    del frame
    file_mb = path.stat().st_size / 1e6
    say(f"  excel {lots:,} lots: written in {written:.1f} s, {file_mb:.1f} MB")
    times = measure({label: (r, path) for label, r in EXCEL_READERS.items()}, lots, repeat)
    path.unlink()

    def s(label: str) -> float:
        return float(times[label]["best_s"])

    ratios = {
        "openpyxl / calamine (raw)": s("openpyxl read_only iter_rows")
        / s("python-calamine to_python"),
        "openpyxl raw / consumption.read_inventory": s("openpyxl read_only iter_rows")
        / s("consumption.read_inventory (calamine)"),
        "pandas openpyxl / pandas calamine": s("pandas.read_excel openpyxl")
        / s("pandas.read_excel calamine"),
        "consumption.read_inventory / calamine raw": s("consumption.read_inventory (calamine)")
        / s("python-calamine to_python"),
    }
    return {"lots": lots, "xlsx_mb": file_mb, "write_s": written, "times": times, "ratios": ratios}


def run_csv_parquet(
    lots: int, expiry_date: bool, repeat: int, folder: Path, profile: Path | None
) -> dict[str, Any]:
    start = time.perf_counter()
    frame = inventory_frame(lots, expiry_date)
    csv_path, parquet_path = write_csv_parquet(frame, folder)
    del frame
    gc.collect()
    sizes = {
        "csv_mb": csv_path.stat().st_size / 1e6,
        "parquet_mb": parquet_path.stat().st_size / 1e6,
    }
    say(
        f"  {lots:,} lots: built and written in {time.perf_counter() - start:.1f} s; "
        f"CSV {sizes['csv_mb']:.0f} MB, Parquet {sizes['parquet_mb']:.0f} MB"
    )
    readers: dict[str, tuple[Callable[[Path], int], Path]] = {
        "consumption.read_inventory CSV": (consumption_read, csv_path),
        "consumption.read_inventory Parquet": (consumption_read, parquet_path),
        "pyarrow.csv.read_csv": (arrow_csv, csv_path),
        "pyarrow.csv.read_csv + to_pandas": (arrow_csv_pandas, csv_path),
        "pyarrow.parquet.read_table": (arrow_parquet, parquet_path),
        "pyarrow.parquet.read_table + to_pandas": (arrow_parquet_pandas, parquet_path),
    }
    times = measure(readers, lots, repeat)
    profile_text = None
    if profile is not None:
        profile_text = profile_parquet(parquet_path, profile.with_suffix(f".{lots}.prof"))
    csv_path.unlink()
    parquet_path.unlink()

    def s(label: str) -> float:
        return float(times[label]["best_s"])

    ratios = {
        "read_inventory CSV / Parquet": s("consumption.read_inventory CSV")
        / s("consumption.read_inventory Parquet"),
        "read_inventory CSV / read_csv": s("consumption.read_inventory CSV")
        / s("pyarrow.csv.read_csv"),
        "read_inventory Parquet / read_table": s("consumption.read_inventory Parquet")
        / s("pyarrow.parquet.read_table"),
        "read_inventory Parquet / read_table + to_pandas": s("consumption.read_inventory Parquet")
        / s("pyarrow.parquet.read_table + to_pandas"),
        "read_csv / read_table": s("pyarrow.csv.read_csv") / s("pyarrow.parquet.read_table"),
    }
    return {"lots": lots, **sizes, "times": times, "ratios": ratios, "profile": profile_text}


def markdown(report: dict[str, Any]) -> str:
    """The tables of one run: seconds per reader, then the ratios."""
    out: list[str] = []
    m = report["machine"]
    out.append(
        f"python {m['python']}, pandas {m['pandas']}, pyarrow {m['pyarrow']}, "
        f"python-calamine {m['python_calamine']}, openpyxl {m['openpyxl']}; nproc {m['nproc']}; "
        f"best of {report['repeat']}; last column: {report['shelf_column']}"
    )
    out.append("")
    out.append("| lots | file | reader | best s | ns per lot |")
    out.append("|---:|---|---|---:|---:|")
    for section in report["excel"] + report["csv_parquet"]:
        for label, t in section["times"].items():
            kind = "xlsx" if "xlsx_mb" in section else ("Parquet" if "arquet" in label else "CSV")
            mb = section.get("xlsx_mb") or section[f"{kind.lower()}_mb"]
            out.append(
                f"| {section['lots']:,} | {kind} ({mb:,.0f} MB) | {label} | "
                f"{t['best_s']:.3f} | {t['ns_per_lot']:,.0f} |"
            )
    out.append("")
    out.append("| lots | ratio | value |")
    out.append("|---:|---|---:|")
    for section in report["excel"] + report["csv_parquet"]:
        for label, value in section["ratios"].items():
            out.append(f"| {section['lots']:,} | {label} | {value:.2f} |")
    return "\n".join(out) + "\n"


def versions() -> dict[str, Any]:
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
        "python_calamine": version("python-calamine"),
        "openpyxl": version("openpyxl"),
        "nproc": bench_kernel.nproc(),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: write the files, time every reader, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--excel-lots", type=int, default=DEFAULT_EXCEL_LOTS)
    parser.add_argument(
        "--lots", type=int, nargs="+", default=list(DEFAULT_LOTS), help="CSV/Parquet sizes"
    )
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="runs; best counts")
    parser.add_argument("--expiry-date", action="store_true", help="expiry_date, not shelf_life")
    parser.add_argument("--no-excel", action="store_true")
    parser.add_argument("--no-csv-parquet", action="store_true")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers here")
    parser.add_argument(
        "--profile", type=Path, metavar="PATH", help="cProfile read_inventory on each Parquet file"
    )
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the files (/tmp)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    report: dict[str, Any] = {
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "repeat": args.repeat,
        "shelf_column": C.EXPIRY_DATE if args.expiry_date else C.SHELF_LIFE,
        "machine": versions(),
        "excel": [],
        "csv_parquet": [],
    }
    folder = Path(tempfile.mkdtemp(prefix="consumption-bench-read-", dir=args.tmp))
    try:
        warm_up(args.expiry_date, folder)
        if not args.no_excel:
            report["excel"].append(
                run_excel(args.excel_lots, args.expiry_date, args.repeat, folder)
            )
        if not args.no_csv_parquet:
            for lots in args.lots:
                report["csv_parquet"].append(
                    run_csv_parquet(lots, args.expiry_date, args.repeat, folder, args.profile)
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(markdown(report))
    for section in report["csv_parquet"]:
        if section["profile"]:
            print(f"read_inventory on Parquet, {section['lots']:,} lots, under cProfile:")
            print(section["profile"])
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
