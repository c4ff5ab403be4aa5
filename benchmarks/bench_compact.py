"""Benchmark: the pair model against the compact network (``lp/compact.py``), and LP vs greedy.

For each scenario, size and solver it reports, over the same blocks ``allocate_lp`` forms:

* the model size of the pair model (variables, rows: every block built, or, beyond
  ``PAIR_BUILD_LIMIT`` eligible pairs, the lot ranges counted as an upper bound) and of
  the compact network where it applies (``compact`` blocks; other blocks counted at their
  pair size), and how many blocks each formulation takes under ``auto``;
* the greedy's time and the LP's (``allocate_lp``, ``auto``, greedy floor included), with
  the budget ``--time-limit`` (one budget for the whole call), their ratio, the LP's peak
  memory beyond the instance (a forked process per solve, CBC's own included) in MiB and
  bytes per lot, the weighted fill of both, whose plan was written and the LP's status.

Scenarios: ``static`` (``scenarios/generate.py``, no dates, nested) and ``dated``
(``scenarios/generate_dated.py`` weekly-horizon: a year of weekly due dates, receipts,
lanes).

    PYTHONPATH=.:benchmarks python benchmarks/bench_compact.py --lots 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import multiprocessing
import resource
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


# Blocks whose pair model would list more eligible pairs than this are counted by their
# lot ranges (an upper bound, marked <=) instead of being built: the dated weekly scenario
# at 1M lots has some 194M.
PAIR_BUILD_LIMIT = 20_000_000


def sizes(inst: Instance, solver: str) -> dict[str, Any]:
    """Variables and rows of both formulations over the blocks of ``allocate_lp``."""
    classes = lp.demand_classes(inst)
    triples = lp.eligible_ranges(inst, classes)
    blocks = lp.block_bounds(triples, lp.BLOCK_VARIABLES[solver])
    lot_groups = compact.LotGroups.of(inst)
    out = {"blocks": len(blocks) - 1, "pair_vars": 0, "pair_rows": 0, "compact_vars": 0,
           "compact_rows": 0, "compact_blocks": 0, "pair_bound": False}  # fmt: skip
    built = int(triples.count.sum()) <= PAIR_BUILD_LIMIT
    out["pair_bound"] = not built
    for lo, hi in itertools.pairwise(blocks):
        part = lp._select(triples, lo, hi)
        if built:
            _, _, block, _ = lp.build_block(inst, classes, part)
            pair_vars, pair_rows = block.n_vars, block.n_rows
        else:
            pair_vars, pair_rows = int(part.count.sum()), 0
        out["pair_vars"] += pair_vars
        out["pair_rows"] += pair_rows
        net = compact.build(
            inst, lot_groups, part.cls, part.item, part.route_index, part.threshold, part.ship,
            part.first, classes.qty, classes.weight,
        )  # fmt: skip
        if net is not None and net.net.n_vars < pair_vars:
            out["compact_blocks"] += 1
            out["compact_vars"] += net.net.n_vars
            out["compact_rows"] += net.net.n_rows
        else:
            out["compact_vars"] += pair_vars
            out["compact_rows"] += pair_rows
    return out


def _peak_kib() -> int:
    """Peak resident memory of this process or of any solver process it waited for."""
    return max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )


def _solve(inst: Instance, solver: str, time_limit: float | None, out: Any) -> None:
    """In a forked process: the LP, its time, and the memory it added to the instance's."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    _, report = lp.allocate_lp(inst, solver, time_limit=time_limit)
    out.put({
        "lp_s": time.perf_counter() - start,
        "lp_mib": max(_peak_kib() - before, 0) / 1024,
        "lp_wfill": report.weighted_fill,
        "plan": report.plan,
        "status": report.status,
        "greedy_blocks": report.greedy_blocks,
        "objective": report.objective,
        "formulations": report.formulations,
    })  # fmt: skip


def bench(name: str, inst: Instance, solver: str, time_limit: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {"scenario": name, "lots": inst.n_lots, "lines": inst.n_lines}
    row |= sizes(inst, solver)
    start = time.perf_counter()
    greedy = allocate_greedy(inst)
    row["greedy_s"] = time.perf_counter() - start
    row["greedy_wfill"] = lp.weighted_fill(inst, greedy.filled)
    # A fresh process per solve, forked after the instance is built, so that its peak
    # memory is the LP's alone (CBC's own process included).
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_solve, args=(inst, solver, time_limit, queue))
    child.start()
    row |= queue.get()
    child.join()
    row["solver"] = solver
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--scenarios", nargs="+", default=["static", "dated"])
    parser.add_argument("--solvers", nargs="+", default=[C.SOLVER_CBC, C.SOLVER_HIGHS])
    parser.add_argument("--time-limit", type=float, default=None)
    args = parser.parse_args()
    print("| scenario | lots | lines | solver | blocks (compact) | pair vars / rows "
          "| compact vars / rows | greedy s | LP s | LP / greedy | LP peak MiB (B/lot) "
          "| weighted fill greedy / LP | plan, status |")  # fmt: skip
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, lots in itertools.product(args.scenarios, args.lots):
        inst = static_instance(lots) if name == "static" else dated_instance(lots)
        for solver in args.solvers:
            r = bench(name, inst, solver, args.time_limit)
            pair = (
                f"<= {r['pair_vars']:,} / -"
                if r["pair_bound"]
                else f"{r['pair_vars']:,} / {r['pair_rows']:,}"
            )
            print(
                f"| {name} | {r['lots']:,} | {r['lines']:,} | {solver} "
                f"| {r['blocks']:,} ({r['compact_blocks']:,}) | {pair} "
                f"| {r['compact_vars']:,} / {r['compact_rows']:,} "
                f"| {r['greedy_s']:.2f} | {r['lp_s']:.1f} | {r['lp_s'] / r['greedy_s']:.1f} "
                f"| {r['lp_mib']:,.0f} ({r['lp_mib'] * 2**20 / r['lots']:,.0f}) "
                f"| {r['greedy_wfill']:,} / {r['lp_wfill']:,} "
                f"| {r['plan']}, {r['status']} ({r['greedy_blocks']} greedy blocks) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
