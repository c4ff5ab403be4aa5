"""Benchmark: the greedy against the LP (CBC and HiGHS) on the same instances (SPEC §9).

For each size (default 10,000 and 100,000 lots; ``scenarios/generate.py``, one item per
50 lots, 4 DCs, 30 customers, half as many demand lines as lots) it times, on the same
encoded instance:

* the greedy (``allocate_greedy``: every pass, both kernels);
* the LP with CBC and with HiGHS (``allocate_lp``), with the model's build time (demand
  classes, eligible triples, cost arrays, and the solver's share: the MPS file for CBC,
  ``passModel`` for HiGHS) apart from the solve;

and prints a table and the ratios LP / greedy. It checks that all three fill the same
(these instances are nested: the greedy is optimal, SPEC §3).

It also times the choice the adapters make (SPEC §4): the largest instance's whole model,
one block, built the PuLP way (an ``LpVariable`` per variable, ``lpSum`` rows, then
``writeMPS``) against the arrays written straight to MPS and passed to HiGHS.

    python benchmarks/bench_lp.py [--lots 10000 100000] [--repeat 1] [--no-pulp]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from bench_kernel import load_generator

from consumption import constants as C
from consumption.api import instance as encode
from consumption.engine.greedy import allocate_greedy
from consumption.engine.model import Instance
from consumption.lp import model as lp
from consumption.lp import solvers

ROOT = Path(__file__).resolve().parents[1]
LOTS_PER_ITEM = 50
SEED = 20240917


def instance(lots: int) -> Instance:
    inventory, demand = load_generator().generate(
        lots=lots, items=max(40, lots // LOTS_PER_ITEM), seed=SEED
    )
    return encode(inventory, demand)


def best(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def bench_size(lots: int, repeat: int) -> dict[str, Any]:
    inst = instance(lots)
    print(f"\n{inst.n_lots:,} lots, {inst.n_lines:,} demand lines, {len(inst.items):,} items")
    greedy_s, greedy = best(lambda: allocate_greedy(inst), repeat)
    rows = {"greedy": {"total": greedy_s, "build": None, "solve": None, "blocks": None}}
    filled = {"greedy": int(greedy.filled.sum())}
    for solver in C.SOLVERS:
        total, (alloc, report) = best(lambda s=solver: lp.allocate_lp(inst, s), repeat)
        rows[f"lp {solver}"] = {
            "total": total, "build": report.build_s, "solve": report.solve_s,
            "blocks": report.blocks,
        }  # fmt: skip
        filled[f"lp {solver}"] = int(alloc.filled.sum())
    print(
        f"LP model: {report.variables:,} variables, {report.constraints:,} constraints, "
        f"{report.demand_classes:,} demand classes (from {inst.n_lines:,} lines)"
    )
    header = ("blocks", "build s", "solve s", "total s", "x greedy")
    print(f"{'engine':<10}{header[0]:>8}" + "".join(f"{h:>10}" for h in header[1:]))
    for name, row in rows.items():
        cells = [
            "" if row[k] is None else f"{row[k]:{f}}"
            for k, f in (("blocks", ","), ("build", ".3f"), ("solve", ".3f"))
        ]
        ratio = row["total"] / greedy_s
        print(
            f"{name:<10}{cells[0]:>8}{cells[1]:>10}{cells[2]:>10}{row['total']:>10.3f}{ratio:>10.0f}"
        )
    if len(set(filled.values())) != 1:
        raise SystemExit(f"engines disagree on the fill: {filled}")
    print(f"all fill {filled['greedy']:,} units (nested instance: the greedy is optimal)")
    return {"lots": lots, "rows": rows, "instance": inst}


def whole_model(inst: Instance) -> tuple[solvers.Block, float]:
    """The whole LP as one block, and the seconds the arrays took."""
    start = time.perf_counter()
    classes = lp.demand_classes(inst)
    triples = lp.eligible_ranges(inst, classes)
    _, _, block, _ = lp.build_block(inst, classes, triples)
    return block, time.perf_counter() - start


def bench_build(inst: Instance) -> None:
    """PuLP objects against arrays, for the same model (SPEC §4)."""
    block, arrays_s = whole_model(inst)
    print(f"\nbuilding the whole model once ({block.n_vars:,} variables, {block.n_rows:,} rows)")
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        solvers.write_mps(Path(folder) / "arrays.mps", block)
        mps_s = time.perf_counter() - start
        pulp_build_s, pulp_write_s = pulp_way(block, Path(folder) / "pulp.mps")
    start = time.perf_counter()
    solvers.highs_model(block)
    highs_s = time.perf_counter() - start
    print(f"  arrays (classes, triples, costs)        {arrays_s:8.3f} s")
    print(f"  arrays -> MPS file (CBC)                {mps_s:8.3f} s")
    print(f"  arrays -> highspy passModel (HiGHS)     {highs_s:8.3f} s")
    print(f"  PuLP objects (variables, rows, obj)     {pulp_build_s:8.3f} s")
    print(f"  PuLP writeMPS                           {pulp_write_s:8.3f} s")
    print(f"  PuLP way / arrays -> MPS: {(pulp_build_s + pulp_write_s) / mps_s:.0f}x")


def pulp_way(block: solvers.Block, path: Path) -> tuple[float, float]:
    """The model built with PuLP's objects, then written as MPS: what PULP_CBC_CMD does."""
    import pulp

    start = time.perf_counter()
    model = pulp.LpProblem("consumption", pulp.LpMaximize)
    x = [model.add_variable(f"x{k}", lowBound=0) for k in range(block.n_vars)]
    model += pulp.LpAffineExpression(zip(x, block.cost.tolist(), strict=True))
    for rows, caps in ((block.supply_row, block.supply_cap), (block.demand_row, block.demand_cap)):
        order = np.argsort(rows, kind="stable")
        bounds = np.searchsorted(rows[order], np.arange(len(caps) + 1))
        for r in range(len(caps)):
            members = order[bounds[r] : bounds[r + 1]]
            expression = pulp.LpAffineExpression([(x[k], 1) for k in members.tolist()])
            model += expression <= float(caps[r])
    built = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.writeMPS(str(path))
    return built - start, time.perf_counter() - built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per engine")
    parser.add_argument("--no-pulp", action="store_true", help="skip the PuLP build timing")
    args = parser.parse_args(argv)
    results = [bench_size(lots, args.repeat) for lots in args.lots]
    print("\nratios, LP / greedy (same run):")
    for result in results:
        rows, greedy = result["rows"], result["rows"]["greedy"]["total"]
        lps = {name: row for name, row in rows.items() if name != "greedy"}
        ratios = "   ".join(f"{name} {row['total'] / greedy:,.0f}x" for name, row in lps.items())
        print(f"  {result['lots']:>9,} lots: {ratios}")
    if not args.no_pulp:
        bench_build(results[-1]["instance"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
