"""The scale benchmark (SPEC §9): one command, every ratio, one results table.

For each size (``--size 10k 100k 1M 10M``, or ``--lots N --lines M``; lines
default to lots / 5) it builds a realistic instance with ``scenarios/generate.py``
(items with skewed lot counts, 5 distribution centres, 90/180/270/365-day
MRSLs; ``--dates``, ``--lanes`` and ``--receipts`` add due and expiry dates,
DC-to-DC lanes and future receipts) and measures, in one run:

* ``floor``: factorize, argsort of the int64 keys, cumsum (SPEC §9), in-process;
* ``allocate``: ``consumption.allocate`` with its result frames built, in-process
  on the same frames; ratio allocate / floor (target: at most 2 at 10M lots);
* ``reference``: the sequential loop of ``tests/support/reference.py``, only at sizes up
  to ``--reference-max`` (it grows far worse than linearly; nothing is extrapolated);
* ``lp cbc`` / ``lp highs``: the LP of SPEC §4 on the same encoded instance, build
  and solve apart, against the greedy kernel on that instance, up to ``--lp-max``;
* ``cli``: the ``consumption run`` command in a fresh process, CSV to CSV (read,
  allocate, write every output), with its stages and its peak memory (target: 10M
  lots in at most 30 s on 2 cores);
* ``memory``: peak resident memory (``ru_maxrss``) of a fresh process that loads the
  instance and allocates, minus that of a fresh process that only loads it, per lot
  (target: at most 300 bytes). tracemalloc would miss numpy's and Arrow's buffers.

Every in-process figure is the best of ``--repeat`` runs: the machine may be shared.
Generated CSV files go to a temporary folder (``--data DIR`` keeps them elsewhere);
the table is written to ``benchmarks/results/results.md`` and ``results.json``.

    python benchmarks/run.py --size 10k 100k 1M 10M
    python benchmarks/run.py --lots 200000 --lines 40000 --no-lp --no-cli
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_kernel  # noqa: E402  (a sibling script, not a package)

from consumption import constants as C  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
LINES_PER_LOT = 0.2
LOCATIONS = 5
AS_OF = dt.date(2026, 12, 7)
WEEKS = 52
SEED = 7
RECEIPT_SHARE = 0.1  # lots that arrive later, with --receipts


# --- the instance -------------------------------------------------------------------------


def shape(lots: int) -> dict[str, int]:
    """Items and customers for a size: a realistic catalogue that grows, then levels off."""
    return {"items": int(np.clip(lots // 50, 40, 2000)), "customers": 300, "locations": LOCATIONS}


def build(lots: int, lines: int, dates: bool, receipts: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The generator's instance, rows shuffled, with dates and receipts when asked for.

    Dates: expiry dates from as-of plus the shelf life, weekly due dates over a year.
    Receipts: a share of the lots become future receipts (``available_date``), so that
    availability binds and the general kernel runs.
    """
    inventory, demand = bench_kernel.build_instance(
        lots, lines, seed=SEED, shuffle=True, **shape(lots)
    )
    rng = np.random.default_rng(SEED + 2)
    day0 = np.datetime64(AS_OF, "D")
    if dates or receipts:
        inventory[C.EXPIRY_DATE] = day0 + inventory[C.SHELF_LIFE].to_numpy().astype(
            "timedelta64[D]"
        )
        inventory = inventory.drop(columns=[C.SHELF_LIFE])
        week = rng.integers(0, WEEKS, len(demand))
        demand[C.DUE_DATE] = day0 + (7 * week).astype("timedelta64[D]")
    if receipts:
        late = rng.random(len(inventory)) < RECEIPT_SHARE
        arrives = rng.integers(0, 7 * WEEKS, len(inventory)).astype("timedelta64[D]")
        available = pd.Series(day0 + arrives).where(late)
        inventory[C.AVAILABLE_DATE] = available
    return inventory, demand


def lane_frame(inventory: pd.DataFrame) -> pd.DataFrame:
    """A ring of rank-1 lanes (each DC from the next) and rank-2 lanes (from the one after)."""
    names = sorted(inventory[C.LOCATION].unique())
    n = len(names)
    rows = [
        (names[(i + step) % n], names[i], 2 * step, step)
        for step in (1, 2)
        for i in range(n)
        if n > step
    ]
    return pd.DataFrame(rows, columns=[C.FROM_LOCATION, C.TO_LOCATION, C.TRANSIT_DAYS, C.RANK])


# --- timing helpers ------------------------------------------------------------------------


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, list[float], Any]:
    """Best wall seconds of ``repeat`` runs (collected before each), all runs, last value."""
    seconds, value = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        value = run()
        seconds.append(time.perf_counter() - start)
    return min(seconds), seconds, value


def nproc() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def memory_gib() -> float | None:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None
    return round(pages / 2**30, 1)


def maxrss_bytes() -> int:
    """Peak resident memory of this process.

    Linux: ``VmHWM`` of /proc/self/status. ``ru_maxrss`` would do, but a child
    started by ``subprocess`` (vfork, then exec) inherits the parent's peak into
    it, and the parent here holds the 10M-lot frames: every probe would read the
    harness's own peak. ``VmHWM`` belongs to the exec'd image alone.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


# --- measurements --------------------------------------------------------------------------


def measure_kernel(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None,
    options: dict,
    repeat: int,
) -> dict[str, Any]:
    """Floor and ``allocate`` (results built), best of ``repeat`` each, same frames."""
    floor_s, floor_runs, _ = best_of(repeat, lambda: bench_kernel.floor_pass(inventory, demand))
    from consumption import allocate

    def run() -> Any:
        result = allocate(inventory, demand, lanes, **options)
        _ = (len(result.lots), len(result.allocations), len(result.demand))
        return result

    allocate_s, allocate_runs, result = best_of(repeat, run)
    return {
        "floor_s": floor_s,
        "floor_runs_s": floor_runs,
        "allocate_s": allocate_s,
        "allocate_runs_s": allocate_runs,
        "ratio_floor": allocate_s / floor_s,
        "timings": result.summary["timings"],
        "passes": result.summary["counts"].get("passes"),
        "allocations": len(result.allocations),
        "filled": result.summary["totals"]["filled"],
    }


def measure_reference(
    inventory: pd.DataFrame, demand: pd.DataFrame, lanes: pd.DataFrame | None, options: dict
) -> dict[str, Any]:
    """The sequential reference loop, once (it is the slow side by orders of magnitude)."""
    sys.path.insert(0, str(ROOT / "tests" / "support"))
    from reference import reference_allocate

    start = time.perf_counter()
    reference_allocate(inventory, demand, lanes, as_of=options.get("as_of"), order=options["order"])
    return {"reference_s": time.perf_counter() - start}


def measure_lp(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None,
    options: dict,
    repeat: int,
) -> dict[str, Any]:
    """Greedy kernel and the LP (CBC, HiGHS) on one encoded instance, as bench_lp does."""
    from consumption.api import instance as encode
    from consumption.api import parse_day
    from consumption.engine.greedy import allocate_greedy
    from consumption.lp import model as lp

    inst = encode(inventory, demand, lanes, parse_day(options.get("as_of"), "as_of"))
    greedy_s, _, greedy = best_of(repeat, lambda: allocate_greedy(inst, options["order"]))
    out: dict[str, Any] = {"greedy_kernel_s": greedy_s, "greedy_filled": int(greedy.filled.sum())}
    for solver in C.SOLVERS:
        try:
            total, _, (alloc, report) = best_of(1, lambda s=solver: lp.allocate_lp(inst, s))
        except Exception as error:  # a solver missing here is a gap in the table, not a crash
            out[f"lp_{solver}"] = {"error": f"{type(error).__name__}: {error}"}
            continue
        out[f"lp_{solver}"] = {
            "total_s": total,
            "build_s": report.build_s,
            "solve_s": report.solve_s,
            "blocks": report.blocks,
            "variables": report.variables,
            "filled": int(alloc.filled.sum()),
            "ratio_greedy": total / greedy_s,
        }
    return out


def write_inputs(
    folder: Path, inventory: pd.DataFrame, demand: pd.DataFrame, lanes: pd.DataFrame | None
) -> dict[str, Path]:
    """The instance as CSV for the CLI and as Arrow files for the memory probes."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"inventory": folder / "inventory.csv", "demand": folder / "demand.csv"}
    frames = {"inventory": inventory, "demand": demand}
    if lanes is not None:
        paths["lanes"] = folder / "lanes.csv"
        frames["lanes"] = lanes
    for name, frame in frames.items():
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pacsv.write_csv(table, paths[name])
        feather.write_feather(table, folder / f"{name}.arrow", compression="uncompressed")
    return paths


def child(kind: str, folder: Path, options: dict, out: Path | None = None) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its JSON report."""
    command = [sys.executable, __file__, "--child", kind, "--data", str(folder)]
    command += ["--child-options", json.dumps(options)]
    if out is not None:
        command += ["--child-out", str(out)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{kind} probe failed ({done.returncode}):\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["process_wall_s"] = wall
    return report


def measure_memory(folder: Path, lots: int, options: dict) -> dict[str, Any]:
    """Peak RSS of allocate minus peak RSS of loading only, each in a fresh process."""
    base = child("baseline", folder, options)
    kernel = child("kernel", folder, options)
    extra = kernel["maxrss"] - base["maxrss"]
    return {
        "baseline_maxrss": base["maxrss"],
        "kernel_maxrss": kernel["maxrss"],
        "bytes_per_lot": extra / lots,
    }


def measure_cli(folder: Path, lots: int, options: dict, repeat: int) -> dict[str, Any]:
    """``consumption run`` CSV to CSV in fresh processes: best wall time, stages, peak RSS."""
    runs = []
    for _ in range(repeat):
        out = folder / "out"
        shutil.rmtree(out, ignore_errors=True)
        runs.append(child("cli", folder, options, out))
    best = min(runs, key=lambda r: r["process_wall_s"])
    best["runs_s"] = [r["process_wall_s"] for r in runs]
    best["bytes_per_lot"] = best["maxrss"] / lots
    return best


# --- the probes, run in a fresh process ------------------------------------------------------


def _load(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    frames = {
        name: feather.read_feather(folder / f"{name}.arrow")
        for name in ("inventory", "demand", "lanes")
        if (folder / f"{name}.arrow").exists()
    }
    return frames["inventory"], frames["demand"], frames.get("lanes")


def run_child(kind: str, folder: Path, options: dict, out: Path | None) -> dict[str, Any]:
    """``baseline``: import and load; ``kernel``: also allocate; ``cli``: the command."""
    import consumption  # the baseline includes the libraries
    from consumption import cli

    if kind == "cli":
        return _run_cli(cli, folder, options, out)
    inventory, demand, lanes = _load(folder)
    if kind == "kernel":
        result = consumption.allocate(inventory, demand, lanes, **options)
        _ = (len(result.lots), len(result.allocations), len(result.demand))
    return {"maxrss": maxrss_bytes()}


def _run_cli(cli: Any, folder: Path, options: dict, out: Path | None) -> dict[str, Any]:
    """The real command line, with its read and write stages timed from outside."""
    import consumption.outputs.result as result_module

    stages: dict[str, float] = {}

    @contextlib.contextmanager
    def timed(name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - start

    read, write = cli.read_inputs, result_module.Result.write

    def read_timed(*args: Any, **kwargs: Any) -> Any:
        with timed("read_s"):
            return read(*args, **kwargs)

    def write_timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        with timed("write_s"):
            return write(self, *args, **kwargs)

    cli.read_inputs = read_timed
    result_module.Result.write = write_timed
    argv = ["run", str(folder / "inventory.csv"), str(folder / "demand.csv"), "--quiet"]
    argv += ["--out", str(out), "--order", options["order"]]
    if options.get("as_of"):
        argv += ["--as-of", options["as_of"]]
    if (folder / "lanes.csv").exists():
        argv += ["--lanes", str(folder / "lanes.csv")]
    start = time.perf_counter()
    code = cli.main(argv)
    total = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"consumption run exited with {code}")
    summary = json.loads((Path(out) / C.SUMMARY_FILE).read_text())
    stages["allocate_total_s"] = total - stages.get("read_s", 0) - stages.get("write_s", 0)
    written = {p.name: p.stat().st_size for p in Path(out).iterdir() if p.is_file()}
    return {
        "maxrss": maxrss_bytes(),
        "main_s": total,
        **stages,
        "engine": summary["timings"],
        "output_bytes": written,
    }


# --- the report ------------------------------------------------------------------------------


def _s(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _x(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}" if value < 10 else f"{value:,.0f}"


def _n(value: float | None, unit: float = 1) -> str:
    return "" if value is None else f"{value / unit:,.0f}"


def markdown(report: dict[str, Any]) -> str:
    """The results as markdown tables."""
    machine = report["machine"]
    lines = [
        f"Run {report['created']} on {machine['nproc']} CPUs, {machine['memory_gib']} GiB, "
        f"Python {machine['python']}, numpy {machine['numpy']}, pandas {machine['pandas']}, "
        f"pyarrow {machine['pyarrow']}; best of {report['repeat']}; options "
        f"{json.dumps(report['options'])}.",
        "",
        "`floor`, `allocate`: seconds in-process; `ratio` = allocate / floor (target <= 2 at 10M). "
        "`ns/lot`: allocate per lot. `ref`, `LP`: ratio to the greedy on the same instance. "
        "`cli`: `consumption run` CSV to CSV, fresh process (target <= 30 s at 10M). "
        "`B/lot`: peak RSS of allocate over loading only (target <= 300); "
        "meaningful from 1M lots, below that the interpreter's own noise dominates.",
        "",
        "| lots | lines | floor s | allocate s | ratio | ns/lot | reference s | ref / greedy "
        "| LP cbc s (build+solve) | cbc / greedy | LP highs s | highs / greedy | cli s "
        "| read / alloc / write s | B/lot kernel | cli peak MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report["sizes"]:
        k, ref, lp, cli, mem = (
            row.get(key, {}) for key in ("kernel", "reference", "lp", "cli", "memory")
        )
        cbc, highs = lp.get("lp_cbc", {}), lp.get("lp_highs", {})
        ref_ratio = ref["reference_s"] / k["allocate_s"] if ref and k else None

        def lp_cell(entry: dict) -> str:
            if not entry or "error" in entry:
                return entry.get("error", "") if entry else ""
            return f"{_s(entry['total_s'])} ({_s(entry['build_s'])}+{_s(entry['solve_s'])})"

        read, alloc, write = (_s(cli.get(k)) for k in ("read_s", "allocate_total_s", "write_s"))
        stages = f"{read} / {alloc} / {write}" if cli else ""
        lines.append(
            f"| {row['lots']:,} | {row['lines']:,} "
            f"| {_s(k.get('floor_s'))} | {_s(k.get('allocate_s'))} "
            f"| {_x(k.get('ratio_floor'))} | {k['allocate_s'] / row['lots'] * 1e9:,.0f} "
            f"| {_s(ref.get('reference_s'))} | {_x(ref_ratio)} "
            f"| {lp_cell(cbc)} | {_x(cbc.get('ratio_greedy'))} "
            f"| {lp_cell(highs)} | {_x(highs.get('ratio_greedy'))} "
            f"| {_s(cli.get('process_wall_s'))} | {stages} "
            f"| {_n(mem.get('bytes_per_lot'))} | {_n(cli.get('maxrss'), 2**20)} |"
            if k
            else f"| {row['lots']:,} | {row['lines']:,} | (not measured) |"
        )
    return "\n".join(lines) + "\n"


def parse_size(text: str) -> int:
    if text in SIZES:
        return SIZES[text]
    return int(float(text.upper().replace("M", "e6").replace("K", "e3")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", nargs="+", default=None, help="10k 100k 1M 10M (or numbers)")
    parser.add_argument("--lots", type=int, help="one size: this many lots")
    parser.add_argument("--lines", type=int, help="demand lines (default lots / 5)")
    parser.add_argument("--repeat", type=int, default=3, help="in-process runs; best counts")
    parser.add_argument("--cli-repeat", type=int, default=1, help="fresh-process CLI runs")
    parser.add_argument("--order", choices=C.ORDERS, default=C.ORDER_REQUIREMENT)
    parser.add_argument("--dates", action="store_true", help="expiry and weekly due dates")
    parser.add_argument("--lanes", action="store_true", help="rank-1 and rank-2 DC lanes")
    parser.add_argument("--receipts", action="store_true", help="10%% of lots arrive later")
    parser.add_argument("--reference-max", type=int, default=10_000, help="largest reference run")
    parser.add_argument("--lp-max", type=int, default=100_000, help="largest LP run")
    parser.add_argument("--no-lp", action="store_true")
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--data", type=Path, help="keep the generated files here")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for the tables")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-options", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        report = run_child(args.child, args.data, json.loads(args.child_options), args.child_out)
        print(json.dumps(report))
        return 0

    sizes = [args.lots] if args.lots else [parse_size(s) for s in (args.size or ["10k", "100k"])]
    options: dict[str, Any] = {"order": args.order}
    if args.dates or args.receipts:
        options["as_of"] = AS_OF.isoformat()
    report: dict[str, Any] = {
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "repeat": args.repeat,
        "options": {**options, "lanes": args.lanes, "receipts": args.receipts},
        "machine": {
            "nproc": nproc(),
            "memory_gib": memory_gib(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
        },
        "sizes": [],
    }
    args.results.mkdir(parents=True, exist_ok=True)
    for lots in sizes:
        lines = args.lines or max(1, int(lots * LINES_PER_LOT))
        report["sizes"].append(run_size(args, lots, lines, options))
        # Written after every size: a 10M run that is stopped keeps the smaller ones.
        (args.results / "results.json").write_text(json.dumps(report, indent=2) + "\n")
        (args.results / "results.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def run_size(args: argparse.Namespace, lots: int, lines: int, options: dict) -> dict[str, Any]:
    """Every measurement of one size."""
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    start = time.perf_counter()
    inventory, demand = build(lots, lines, args.dates, args.receipts)
    lanes = lane_frame(inventory) if args.lanes else None
    row: dict[str, Any] = {
        "lots": len(inventory),
        "lines": len(demand),
        "generate_s": time.perf_counter() - start,
        **shape(lots),
    }
    say(f"{lots:,} lots, {len(demand):,} lines: built in {row['generate_s']:.1f} s")
    row["kernel"] = measure_kernel(inventory, demand, lanes, options, args.repeat)
    say(f"  floor {row['kernel']['floor_s']:.3f} s, allocate {row['kernel']['allocate_s']:.3f} s")
    if lots <= args.reference_max:
        row["reference"] = measure_reference(inventory, demand, lanes, options)
        say(f"  reference {row['reference']['reference_s']:.2f} s")
    if lots <= args.lp_max and not args.no_lp:
        row["lp"] = measure_lp(inventory, demand, lanes, options, args.repeat)
        say(f"  lp {json.dumps({k: v for k, v in row['lp'].items() if k.startswith('lp')})[:200]}")
    if args.no_cli and args.no_memory:
        return row
    with contextlib.ExitStack() as stack:
        folder = (
            args.data / f"{lots}"
            if args.data
            else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="consumption-bench-")))
        )
        write_inputs(folder, inventory, demand, lanes)
        del inventory, demand
        gc.collect()
        if not args.no_memory:
            row["memory"] = measure_memory(folder, lots, options)
            say(f"  memory {row['memory']['bytes_per_lot']:.0f} B/lot")
        if not args.no_cli:
            row["cli"] = measure_cli(folder, lots, options, args.cli_repeat)
            say(f"  cli {row['cli']['process_wall_s']:.2f} s")
    return row


if __name__ == "__main__":
    sys.exit(main())
