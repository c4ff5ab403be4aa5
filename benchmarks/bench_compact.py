"""Benchmark: the pair model against the compact network (``lp/compact.py``), and LP vs greedy.

For each scenario and size it reports, over the same blocks ``allocate_lp`` forms:

* the model size of the pair model (variables, rows: every block built) and of the
  compact network where it applies (``compact`` blocks; other blocks counted at their
  pair size), and how many blocks each formulation takes under ``auto``;
* the greedy's time and the LP's (``allocate_lp``, HiGHS, ``auto``), with the budget
  ``--time-limit`` (one budget for the whole call), the weighted fill of both, whose plan
  was written and the LP's status.

Scenarios: ``static`` (``scenarios/generate.py``, no dates, nested) and ``dated``
(``scenarios/generate_dated.py`` weekly-horizon: a year of weekly due dates, receipts,
lanes).

    PYTHONPATH=. python benchmarks/bench_compact.py [--lots 10000 100000] [--time-limit 120]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_lp import instance as static_instance

from consumption import constants as C
from consumption.api import instance as encode
from consumption.engine.greedy import allocate_greedy
from consumption.engine.model import Instance
from consumption.lp import compact
from consumption.lp import model as lp

ROOT = Path(__file__).resolve().parents[1]


def dated_instance(lots: int) -> Instance:
    path = ROOT / "scenarios" / "generate_dated.py"
    spec = importlib.util.spec_from_file_location("scenarios_generate_dated", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    scenario = module.weekly_horizon(lots=lots)
    day0 = np.datetime64(scenario.options["as_of"], "D")
    return encode(scenario.inventory, scenario.demand, scenario.lanes, day0)


def sizes(inst: Instance, solver: str) -> dict[str, Any]:
    """Variables and rows of both formulations over the blocks of ``allocate_lp``."""
    classes = lp.demand_classes(inst)
    triples = lp.eligible_ranges(inst, classes)
    blocks = lp.block_bounds(triples, lp.BLOCK_VARIABLES[solver])
    stock = compact.LotGroups.of(inst)
    out = {"blocks": len(blocks) - 1, "pair_vars": 0, "pair_rows": 0, "compact_vars": 0,
           "compact_rows": 0, "compact_blocks": 0}  # fmt: skip
    for lo, hi in itertools.pairwise(blocks):
        part = lp._select(triples, lo, hi)
        _, _, block, _ = lp.build_block(inst, classes, part)
        out["pair_vars"] += block.n_vars
        out["pair_rows"] += block.n_rows
        net = compact.build(
            inst, stock, part.cls, part.item, part.route_index, part.threshold, part.ship,
            part.first, classes.qty, classes.weight,
        )  # fmt: skip
        if net is not None and net.net.n_vars < block.n_vars:
            out["compact_blocks"] += 1
            out["compact_vars"] += net.net.n_vars
            out["compact_rows"] += net.net.n_rows
        else:
            out["compact_vars"] += block.n_vars
            out["compact_rows"] += block.n_rows
    return out


def bench(name: str, inst: Instance, time_limit: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {"scenario": name, "lots": inst.n_lots, "lines": inst.n_lines}
    row |= sizes(inst, C.SOLVER_HIGHS)
    start = time.perf_counter()
    greedy = allocate_greedy(inst)
    row["greedy_s"] = time.perf_counter() - start
    start = time.perf_counter()
    _, report = lp.allocate_lp(inst, C.SOLVER_HIGHS, time_limit=time_limit)
    row["lp_s"] = time.perf_counter() - start
    row["greedy_wfill"] = lp.weighted_fill(inst, greedy.filled)
    row["lp_wfill"] = report.weighted_fill
    row["plan"], row["status"], row["greedy_blocks"] = (
        report.plan,
        report.status,
        report.greedy_blocks,
    )
    row["formulations"] = report.formulations
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--scenarios", nargs="+", default=["static", "dated"])
    parser.add_argument("--time-limit", type=float, default=None)
    args = parser.parse_args()
    print("| scenario | lots | lines | blocks (compact) | pair vars / rows | compact vars / rows "
          "| greedy s | LP s | weighted fill greedy / LP | plan, status |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, lots in itertools.product(args.scenarios, args.lots):
        inst = static_instance(lots) if name == "static" else dated_instance(lots)
        r = bench(name, inst, args.time_limit)
        print(
            f"| {name} | {r['lots']:,} | {r['lines']:,} "
            f"| {r['blocks']:,} ({r['compact_blocks']:,}) "
            f"| {r['pair_vars']:,} / {r['pair_rows']:,} "
            f"| {r['compact_vars']:,} / {r['compact_rows']:,} "
            f"| {r['greedy_s']:.2f} | {r['lp_s']:.1f} | {r['greedy_wfill']:,} / {r['lp_wfill']:,} "
            f"| {r['plan']}, {r['status']} ({r['greedy_blocks']} greedy blocks) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
