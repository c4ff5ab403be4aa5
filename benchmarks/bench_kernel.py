"""Benchmark: ``consumption.allocate`` against the floor of any sort-based allocation (SPEC §9).

The floor is what every sort-based allocation has to do on the same data, measured
in the same process on the same frames:

* factorize the item and location text of the lots and of the demand lines
  (``pd.factorize``);
* argsort the int64 composite keys of the lots, ``(item, location) code << 32 |
  shelf-life offset``, and of the demand lines, ``(item, location) code << 32 |
  requirement``;
* cumsum the lot quantities (in sorted order).

The instance is built in memory by ``scenarios/generate.py`` (realistic groups:
by default 2,000 items x 5 locations, 300 customers). Its rows are shuffled by
default, so that neither the floor nor the engine profits from input that is
already sorted. Each side is timed ``--repeat`` times and the best run counts;
the engine's results are built (``result.lots``, ``result.allocations`` and
``result.demand`` are touched).

    python benchmarks/bench_kernel.py [--lots N] [--lines N] [--repeat 3] [--json PATH]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from consumption import allocate as allocate_
from consumption.constants import ITEM, LOCATION, QTY, REQUIREMENT, SHELF_LIFE

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_LOTS = 2_000_000
DEFAULT_LINES = 400_000
DEFAULT_ITEMS = 2_000
DEFAULT_LOCATIONS = 5
DEFAULT_CUSTOMERS = 300
DEFAULT_REPEAT = 3
DEFAULT_SEED = 7


def load_generator() -> ModuleType:
    """Import ``scenarios/generate.py`` (a script, not a package) as a module."""
    path = ROOT / "scenarios" / "generate.py"
    spec = importlib.util.spec_from_file_location("scenarios_generate", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


GENERATOR = load_generator()


def build_instance(
    lots: int,
    lines: int,
    items: int,
    locations: int,
    customers: int,
    seed: int,
    shuffle: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The benchmark's inventory and demand frames (canonical columns), built in memory."""
    inventory, demand = GENERATOR.generate(
        lots=lots, items=items, locations=locations, customers=customers, seed=seed, lines=lines
    )
    if shuffle:
        rng = np.random.default_rng(seed + 1)
        inventory = inventory.take(rng.permutation(len(inventory))).reset_index(drop=True)
        demand = demand.take(rng.permutation(len(demand))).reset_index(drop=True)
    return inventory, demand


def _group_codes(frame: pd.DataFrame) -> np.ndarray:
    """One int64 code per (item, location) of ``frame``, from factorizing both columns."""
    item_codes, _ = pd.factorize(frame[ITEM])
    location_codes, location_uniques = pd.factorize(frame[LOCATION])
    return item_codes.astype(np.int64) * len(location_uniques) + location_codes


def floor_pass(inventory: pd.DataFrame, demand: pd.DataFrame) -> int:
    """The floor, once: factorize, sort lots and demand lines by composite key, cumsum.

    Returns the total lot quantity (from the cumsum), so nothing is optimised away.
    """
    lot_group = _group_codes(inventory)
    shelf_life = inventory[SHELF_LIFE].to_numpy(np.int64)
    lot_keys = (lot_group << 32) | (shelf_life - shelf_life.min())
    lot_order = np.argsort(lot_keys)
    cumulative = np.cumsum(inventory[QTY].to_numpy(np.int64)[lot_order])

    line_group = _group_codes(demand)
    requirement = demand[REQUIREMENT].to_numpy(np.int64)
    line_keys = (line_group << 32) | (requirement - requirement.min())
    np.argsort(line_keys)
    return int(cumulative[-1])


def allocate_pass(
    allocate: Callable[..., Any], inventory: pd.DataFrame, demand: pd.DataFrame
) -> dict[str, int]:
    """``allocate`` once, with its result frames built; returns their row counts."""
    result = allocate(inventory, demand)
    return {
        "lots": len(result.lots),
        "allocations": len(result.allocations),
        "demand": len(result.demand),
    }


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[list[float], Any]:
    """Run ``run`` ``repeat`` times (garbage collected before each); seconds and last value."""
    seconds: list[float] = []
    value: Any = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        value = run()
        seconds.append(time.perf_counter() - start)
    return seconds, value


def nproc() -> int:
    """CPUs this process may run on (what ``nproc`` prints)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _seconds(values: list[float]) -> str:
    return " ".join(f"{v:.3f}" for v in values)


def main(argv: list[str] | None = None) -> int:
    """Command line: build the instance, time floor and engine, print and save the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=DEFAULT_LOTS)
    parser.add_argument("--lines", type=int, default=DEFAULT_LINES, help="demand lines")
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS)
    parser.add_argument("--locations", type=int, default=DEFAULT_LOCATIONS)
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="runs; best counts")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--no-shuffle", action="store_true", help="keep the generator's (sorted) row order"
    )
    parser.add_argument("--floor-only", action="store_true", help="do not run the engine")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers here")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    start = time.perf_counter()
    inventory, demand = build_instance(
        args.lots,
        args.lines,
        args.items,
        args.locations,
        args.customers,
        args.seed,
        shuffle=not args.no_shuffle,
    )
    generate_seconds = time.perf_counter() - start
    groups = int(inventory[[ITEM, LOCATION]].drop_duplicates().shape[0])

    floor_runs, _ = best_of(args.repeat, lambda: floor_pass(inventory, demand))

    allocate, missing = (None, "skipped (--floor-only)") if args.floor_only else (allocate_, None)
    allocate_runs: list[float] = []
    rows: dict[str, int] | None = None
    if allocate is not None:
        allocate_runs, rows = best_of(
            args.repeat, lambda: allocate_pass(allocate, inventory, demand)
        )

    floor_best = min(floor_runs)
    allocate_best = min(allocate_runs) if allocate_runs else None
    ratio = allocate_best / floor_best if allocate_best is not None else None
    report: dict[str, Any] = {
        "lots": len(inventory),
        "lines": len(demand),
        "items": args.items,
        "locations": args.locations,
        "customers": args.customers,
        "groups": groups,
        "seed": args.seed,
        "shuffled": not args.no_shuffle,
        "repeat": args.repeat,
        "generate_s": round(generate_seconds, 4),
        "floor_s": round(floor_best, 4),
        "floor_runs_s": [round(s, 4) for s in floor_runs],
        "allocate_s": None if allocate_best is None else round(allocate_best, 4),
        "allocate_runs_s": [round(s, 4) for s in allocate_runs],
        "ratio": None if ratio is None else round(ratio, 3),
        "result_rows": rows,
        "allocate_missing": missing,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "nproc": nproc(),
    }

    print("consumption kernel benchmark (SPEC §9)")
    print(
        f"  {report['lots']:,} lots, {report['lines']:,} demand lines, {args.items:,} items x "
        f"{args.locations} locations ({groups:,} groups with stock), seed {args.seed}, "
        f"{'shuffled' if report['shuffled'] else 'generator order'}; built in "
        f"{generate_seconds:.2f} s"
    )
    print(
        f"  python {report['python']}, numpy {report['numpy']}, pandas {report['pandas']}, "
        f"nproc {report['nproc']}"
    )
    print(f"  {'':<10}{'best s':>10}   runs (s)")
    print(f"  {'floor':<10}{floor_best:>10.3f}   {_seconds(floor_runs)}")
    if allocate_best is not None and ratio is not None:
        print(f"  {'allocate':<10}{allocate_best:>10.3f}   {_seconds(allocate_runs)}")
        print(f"  ratio allocate/floor: {ratio:.2f}   (target: at most 2 at 10M lots, 2M lines)")
        print(f"  result rows: {rows}")
    else:
        print(f"  {'allocate':<10}{'-':>10}   {missing}")

    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if allocate is not None or args.floor_only else 1


if __name__ == "__main__":
    sys.exit(main())
