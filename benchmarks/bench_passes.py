"""Cost of time-phased runs: dates, receipts, lanes.

Times, in one process on the same 52-week instance:

* ``allocate(order="requirement")``: every line in one nested pass per route;
* ``allocate(order="due")``: the chronological run, one pass per weekly due
  date (52 passes), each still nested and vectorized;
* the general kernel: the same instance with future receipts spread over the
  horizon, so that availability binds and lines are served one by one.

Run: ``.venv/bin/python benchmarks/bench_passes.py --lots 1000000 --lines 400000``
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_kernel import load_generator

import consumption
from consumption import constants as C

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 12, 7)
WEEKS = 52


def dated_instance(lots: int, lines: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The generator's instance with weekly due dates and expiry dates from as-of."""
    inventory, demand = load_generator().generate(
        lots=lots, items=2000, locations=5, customers=300, seed=seed, lines=lines
    )
    rng = np.random.default_rng(seed)
    day0 = np.datetime64(AS_OF, "D")
    inventory[C.EXPIRY_DATE] = day0 + inventory[C.SHELF_LIFE].to_numpy().astype("timedelta64[D]")
    inventory = inventory.drop(columns=[C.SHELF_LIFE])
    week = rng.integers(0, WEEKS, len(demand))
    demand[C.DUE_DATE] = day0 + (7 * week).astype("timedelta64[D]")
    return inventory, demand


def timed(label: str, run) -> tuple[float, consumption.Result]:
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    counts = result.summary["counts"]
    print(
        f"  {label:<28}{seconds:>8.2f} s   passes {counts['passes']:>3}   nested blocks "
        f"{counts['passes_nested']:>7,}   general blocks {counts['passes_general']:>6,}"
    )
    return seconds, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=400_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    inventory, demand = dated_instance(args.lots, args.lines, args.seed)
    print(f"{len(inventory):,} lots, {len(demand):,} lines, {WEEKS} weekly due dates")
    single, _ = timed("requirement order", lambda: consumption.allocate(
        inventory, demand, as_of=AS_OF, order="requirement"))  # fmt: skip
    weekly, _ = timed("due order (chronological)", lambda: consumption.allocate(
        inventory, demand, as_of=AS_OF, order="due"))  # fmt: skip
    print(f"  chronological / single pass: {weekly / single:.2f}")
    receipts = inventory.copy()
    rng = np.random.default_rng(args.seed + 1)
    arrives = rng.integers(0, 7 * WEEKS, len(receipts)).astype("timedelta64[D]")
    receipts[C.AVAILABLE_DATE] = np.datetime64(AS_OF, "D") + arrives
    general, _ = timed("receipts binding (general)", lambda: consumption.allocate(
        receipts, demand, as_of=AS_OF, order="requirement"))  # fmt: skip
    print(f"  general kernel / single pass: {general / single:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
