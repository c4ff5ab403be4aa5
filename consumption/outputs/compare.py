"""``consumption compare``: the greedy and the LP on the same input, side by side (SPEC §4).

The question a planner asks is "does the rule we run leave demand short that
some other allocation would fill?". Both engines run on the same frames; the
answer is ``greedy_optimal``: true when the greedy's priority-weighted fill
equals the LP optimum under the same weights (``lp.line_weights``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from consumption import constants as C
from consumption.api import allocate
from consumption.engine.quantities import number, quantity
from consumption.io.outfolder import files_of, publishing
from consumption.io.write import write_csv, write_json
from consumption.lp.model import weighted_fill
from consumption.outputs.result import Result, output_record

GREEDY_DIR = C.ENGINE_GREEDY
LP_DIR = C.ENGINE_LP
DIFFERENCE = "difference"


@dataclass
class Comparison:
    """Both results, the per-lot and per-line differences, and the verdict (``report``)."""

    greedy: Result
    lp: Result
    lots: pd.DataFrame
    demand: pd.DataFrame
    report: dict[str, Any]

    def write(
        self,
        out_dir: str | Path = C.DEFAULT_COMPARE_DIR,
        *,
        formats: tuple[str, ...] = (),
        protected: tuple[Path, ...] = (),
        on_wait: Callable[[str], None] | None = None,
    ) -> list[Path]:
        """Write ``greedy/``, ``lp/``, the two difference files and ``compare.json``.

        The whole comparison replaces the previous one as one set (see
        :mod:`consumption.io.outfolder`); ``compare.json`` names the run and
        the sha256 of every other file.
        """
        out = Path(out_dir)
        with publishing(out, protected, on_wait=on_wait) as run:
            folder, run_id = run.folder, run.run_id
            self.greedy.write_files(folder / GREEDY_DIR, run_id, formats=formats)
            self.lp.write_files(folder / LP_DIR, run_id, formats=formats)
            bom = C.EXCEL_CSV in formats
            write_csv(folder / C.COMPARE_LOTS_FILE, self.lots, self.greedy.decimals, bom=bom)
            write_csv(folder / C.COMPARE_DEMAND_FILE, self.demand, self.greedy.decimals, bom=bom)
            files = files_of(folder)
            write_json(
                folder / C.COMPARE_FILE, self.report | {"output": output_record(run_id, files)}
            )
            written = sorted(Path(p) for p in [*files, C.COMPARE_FILE])
        return [out / p for p in written]


def compare(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None = None,
    as_of: str | dt.date | None = None,
    order: str = C.ORDER_REQUIREMENT,
    horizon_end: str | dt.date | None = None,
    solver: str = C.SOLVER_CBC,
    time_limit: float | None = None,
    progress: bool | None = None,
    prefer: str | None = None,
    mrsl: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
) -> Comparison:
    """Run the greedy and the LP on the same input and compare them (options as ``allocate``).

    >>> inv = pd.DataFrame({"item": ["A"] * 3, "lot": ["1234", "5678", "9876"],
    ...                     "qty": [500, 600, 7000], "shelf_life": [190, 211, 345]})
    >>> dem = pd.DataFrame({"item": ["A", "A"], "qty": [450, 3000], "requirement": [180, 270]})
    >>> compare(inv, dem).report["greedy_optimal"]
    True
    """
    plan: dict[str, Any] = {
        "as_of": as_of, "order": order, "horizon_end": horizon_end, "prefer": prefer,
        "mrsl": mrsl, "items": items,
    }  # fmt: skip
    greedy = allocate(inventory, demand, lanes, **plan)
    lp = allocate(
        inventory, demand, lanes, **plan, engine=C.ENGINE_LP, solver=solver,
        time_limit=time_limit, progress=progress,
    )  # fmt: skip
    return Comparison(
        greedy, lp, lots_frame(greedy, lp), demand_frame(greedy, lp), report(greedy, lp)
    )


def lots_frame(greedy: Result, lp: Result) -> pd.DataFrame:
    """``compare_lots.csv``: per lot, what each engine consumed (lots.csv order)."""
    inst = greedy.instance
    return _with_difference(
        greedy.lots[[C.ITEM, C.LOCATION, C.LOT]].copy(),
        C.CONSUMED,
        greedy.allocation.consumed,
        lp.allocation.consumed,
        inst.decimals,
    )


def demand_frame(greedy: Result, lp: Result) -> pd.DataFrame:
    """``compare_demand.csv``: per demand line, what each engine filled (file order)."""
    columns = [C.LINE, C.ITEM, C.LOCATION, C.REQUIREMENT, C.DUE_DATE, C.QTY]
    return _with_difference(
        greedy.demand[columns].copy(),
        C.FILLED,
        greedy.allocation.filled,
        lp.allocation.filled,
        greedy.instance.decimals,
    )


def _with_difference(
    frame: pd.DataFrame, name: str, by_greedy: np.ndarray, by_lp: np.ndarray, decimals: int
) -> pd.DataFrame:
    frame[f"{name}_{C.ENGINE_GREEDY}"] = quantity(by_greedy, decimals)
    frame[f"{name}_{C.ENGINE_LP}"] = quantity(by_lp, decimals)
    frame[DIFFERENCE] = quantity(by_lp - by_greedy, decimals)
    return frame


def report(greedy: Result, lp: Result) -> dict[str, Any]:
    """``compare.json``: per engine its totals and time, the differences and the verdict.

    ``greedy_optimal`` is None when the LP stopped short of optimality (time
    limit) without beating the greedy: then nothing is proven either way.
    """
    inst, d = greedy.instance, greedy.decimals
    by_greedy, by_lp = greedy.allocation, lp.allocation
    greedy_w = weighted_fill(inst, by_greedy.filled)
    lp_w = weighted_fill(inst, by_lp.filled)
    status = lp.summary["lp"]["status"]
    if lp_w > greedy_w:
        verdict: bool | None = False
    elif status == C.LP_OPTIMAL:
        verdict = True
    else:
        verdict = None
    return {
        "run": {k: greedy.summary["run"][k] for k in ("as_of", "order", "inputs")}
        | {"solver": lp.summary["run"]["solver"]},
        "demand": greedy.summary["totals"]["demand"],
        C.ENGINE_GREEDY: _engine(greedy),
        C.ENGINE_LP: _engine(lp) | {"solver_status": status, "model": lp.summary["lp"]},
        "weighted_fill": {
            C.ENGINE_GREEDY: number(greedy_w, d),
            C.ENGINE_LP: number(lp_w, d),
            "weights": "per unit: number of priority classes - class index + 1 (1 without)",
        },
        "lots": inst.n_lots,
        "lots_differing": int(np.count_nonzero(by_greedy.consumed != by_lp.consumed)),
        "lines": inst.n_lines,
        "lines_differing": int(np.count_nonzero(by_greedy.filled != by_lp.filled)),
        "greedy_optimal": verdict,
    }


def _engine(result: Result) -> dict[str, Any]:
    totals, timings = result.summary["totals"], result.summary["timings"]
    return {
        "filled": totals["filled"],
        "short": totals["short"],
        "remaining_by_reason": totals["remaining_by_reason"],
        "seconds": timings["allocate_s"],
    }
