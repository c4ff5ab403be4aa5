"""``consumption compare``: the greedy and the LP on the same input, side by side (SPEC §4).

The question a planner asks is "does the rule we run leave demand short that
some other allocation would fill?". Both engines run on the same frames; the
answer is ``greedy_optimal``: true when the greedy's priority-weighted fill
equals the LP optimum under the same weights (``lp.line_weights``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from consumption import constants as C
from consumption.api import allocate
from consumption.io.write import staged_outputs, write_csv, write_json
from consumption.lp.model import weighted_fill
from consumption.outputs.quantities import quantity
from consumption.outputs.result import Result

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
    ) -> list[Path]:
        """Write ``greedy/``, ``lp/``, the two difference files and ``compare.json``.

        Everything is staged first and moved into ``out_dir`` together, so a
        failure leaves the previous comparison as it was.
        """
        out = Path(out_dir)
        with staged_outputs(out, protected) as staging:
            self.greedy.write(staging / GREEDY_DIR, formats=formats)
            self.lp.write(staging / LP_DIR, formats=formats)
            write_csv(staging / C.COMPARE_LOTS_FILE, self.lots, self.greedy.decimals)
            write_csv(staging / C.COMPARE_DEMAND_FILE, self.demand, self.greedy.decimals)
            write_json(staging / C.COMPARE_FILE, self.report)
            written = sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file())
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
) -> Comparison:
    """Run the greedy and the LP on the same input and compare them.

    >>> inv = pd.DataFrame({"item": ["A"] * 3, "lot": ["1234", "5678", "9876"],
    ...                     "qty": [500, 600, 7000], "shelf_life": [190, 211, 345]})
    >>> dem = pd.DataFrame({"item": ["A", "A"], "qty": [450, 3000], "requirement": [180, 270]})
    >>> compare(inv, dem).report["greedy_optimal"]
    True
    """
    common = dict(lanes=lanes, as_of=as_of, order=order, horizon_end=horizon_end)
    greedy = allocate(inventory, demand, **common)
    lp = allocate(
        inventory, demand, **common, engine=C.ENGINE_LP, solver=solver, time_limit=time_limit,
        progress=progress,
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
            C.ENGINE_GREEDY: _number(greedy_w, d),
            C.ENGINE_LP: _number(lp_w, d),
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


def _number(scaled: int, decimals: int) -> int | float:
    return scaled if decimals == 0 else scaled / 10**decimals


def comparison_text(report: dict[str, Any]) -> str:
    """The comparison as a planner reads it in ten seconds.

    >>> print(comparison_text({"demand": 10, "greedy": {"filled": 8, "short": 2, "seconds": 0.01},
    ...     "lp": {"filled": 10, "short": 0, "seconds": 0.2, "solver_status": "optimal"},
    ...     "run": {"solver": "cbc"}, "lots": 3, "lots_differing": 2, "lines": 2,
    ...     "lines_differing": 1, "greedy_optimal": False,
    ...     "weighted_fill": {"greedy": 8, "lp": 10}}))
             greedy  lp (cbc)  difference
    filled        8        10          +2
    short         2         0          -2
    seconds    0.01      0.20
    lots that differ: 2 of 3   demand lines that differ: 1 of 2
    verdict: the LP fills 2 more than the greedy (10 against 8 of 10): the greedy is not optimal
    """
    g, lp = report[C.ENGINE_GREEDY], report[C.ENGINE_LP]
    rows = [
        ("", "greedy", f"lp ({report['run']['solver']})", "difference"),
        ("filled", _fmt(g["filled"]), _fmt(lp["filled"]), _signed(lp["filled"] - g["filled"])),
        ("short", _fmt(g["short"]), _fmt(lp["short"]), _signed(lp["short"] - g["short"])),
    ]
    weighted = report["weighted_fill"]
    if weighted[C.ENGINE_GREEDY] != g["filled"] or weighted[C.ENGINE_LP] != lp["filled"]:
        w_g, w_lp = weighted[C.ENGINE_GREEDY], weighted[C.ENGINE_LP]
        rows.append(("weighted fill", _fmt(w_g), _fmt(w_lp), _signed(w_lp - w_g)))
    rows.append(("seconds", f"{g['seconds']:.2f}", f"{lp['seconds']:.2f}", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    lines.append(
        f"lots that differ: {report['lots_differing']:,} of {report['lots']:,}   "
        f"demand lines that differ: {report['lines_differing']:,} of {report['lines']:,}"
    )
    lines.append("verdict: " + _verdict(report))
    return "\n".join(lines)


def _verdict(report: dict[str, Any]) -> str:
    g, lp = report[C.ENGINE_GREEDY], report[C.ENGINE_LP]
    demand = _fmt(report["demand"])
    optimal, status = report["greedy_optimal"], lp["solver_status"]
    if optimal is None:
        return (
            f"unknown: the LP stopped before proving optimality (solver status {status}) "
            f"and did not beat the greedy's {_fmt(g['filled'])} of {demand}"
        )
    if optimal:
        return (
            f"the greedy is optimal: it fills {_fmt(g['filled'])} of {demand}, "
            f"as the LP does (solver status {status})"
        )
    gain = lp["filled"] - g["filled"]
    what = (
        f"the LP fills {_fmt(gain)} more than the greedy"
        if gain > 0
        else "the LP fills the same total but more of the higher priorities"
    )
    return (
        f"{what} ({_fmt(lp['filled'])} against {_fmt(g['filled'])} of {demand}): "
        f"the greedy is not optimal" + ("" if status == C.LP_OPTIMAL else f" (LP status {status})")
    )


def _fmt(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6f}".rstrip("0").rstrip(".")


def _signed(value: int | float) -> str:
    if isinstance(value, float):
        value = round(value, 6)
    return "0" if value == 0 else ("+" if value > 0 else "-") + _fmt(abs(value))
