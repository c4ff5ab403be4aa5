"""Every text a command prints in the terminal: summaries, tables, the comparison, notices."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from consumption import constants as C
from consumption.errors import ConsumptionError, InputError, InvariantError
from consumption.io.write import column_text
from consumption.outputs import planner


def error_text(error: BaseException) -> str:
    """What the command line prints for an exception, by its kind.

    >>> error_text(ValueError("boom")).splitlines()[0]
    'internal error: ValueError: boom'
    """
    if isinstance(error, InputError):
        count = len(error.problems) + error.truncated
        s = "s" if count != 1 else ""
        return f"error: the input has {count} problem{s}; nothing was written\n{error.report()}"
    if isinstance(error, InvariantError):
        return f"internal error: {error}"
    if isinstance(error, ConsumptionError):
        return f"error: {error}"
    if isinstance(error, OSError):
        return f"error: {error.strerror or error}: {error.filename or ''}".rstrip(": ")
    return (
        f"internal error: {type(error).__name__}: {error}\n"
        "this is a bug in consumption; set CONSUMPTION_DEBUG=1 to see the traceback"
    )


INTERRUPTED = "interrupted; nothing was written"
STRICT_STOP = f"stopped by --strict: nothing was written (exit code {C.EXIT_WARNINGS})"


def warning_lines(warnings: Sequence[dict[str, str]]) -> list[str]:
    """The run's warnings, one line each, with their codes."""
    return [f"warning: {w['message']} [{w['code']}]" for w in warnings]


def warning_text(text: str) -> str:
    """A warning of a command that goes on (``push`` over plain HTTP, say)."""
    return f"warning: {text}"


def compared_text(out: Path) -> str:
    """The files ``compare`` wrote."""
    files = (C.COMPARE_LOTS_FILE, C.COMPARE_DEMAND_FILE, C.COMPARE_FILE)
    return f"wrote greedy/, lp/, {', '.join(files)} to {out}"


def pushed_text(loads: int, model: str) -> str:
    """The last line of a push."""
    return f"pushed {loads} load(s) to model {model}"


def pulled_text(tables: int, model: str, into: Path) -> str:
    """The last line of a pull."""
    return f"pulled {tables} table(s) from model {model} into {into}"


def synced_text(batch_id: str, folder: Path) -> str:
    """The last line of a sync."""
    return f"synced batch {batch_id} ({folder})"


def written_config_text(path: Path) -> str:
    """After ``anaplan-config --to``."""
    return f"wrote {path}: fill in every ___ with the ID from Anaplan"


def notice_lines(notices: Sequence[str]) -> list[str]:
    """Notices (ignored columns, skipped rows, unknown locations), one line each."""
    return [f"note: {notice}" for notice in notices]


def written_text(written: Sequence[Path], out: Path) -> str:
    """The files a run wrote, relative to its output folder."""
    return f"wrote {', '.join(str(p.relative_to(out)) for p in written)} to {out}"


def validated_text(inventory: Path, demand: Path, inputs: Any) -> str:
    """What ``validate`` says when every rule holds."""
    return (
        f"{inventory}: {len(inputs.inventory):,} lots; {demand}: {len(inputs.demand):,} demand "
        "lines; no problems found"
    )


def lp_text(lp: dict[str, Any]) -> str:
    """How the LP solve went, in one line."""
    blocks = lp["blocks"]
    return (
        f"LP ({lp['solver']}): {lp['status']}, {lp['variables']:,} variables, "
        f"{lp['constraints']:,} constraints in {blocks:,} block{'s' if blocks != 1 else ''}; "
        f"build {lp['build_s']:.2f} s, solve {lp['solve_s']:.2f} s"
    )


def lp_warning(lp: dict[str, Any]) -> str | None:
    """The warning for a solve that stopped before proving optimality, if it did."""
    if lp["status"] == C.LP_OPTIMAL:
        return None
    kept = {
        C.PLAN_GREEDY: "the greedy's plan, in every block",
        C.PLAN_MIXED: f"the greedy's plan in {lp['greedy_blocks']:,} of {lp['blocks']:,} blocks, "
        "the LP's in the others",
        C.PLAN_LP: "the LP's plan, which beats the greedy's in every block",
    }[lp["plan"]]
    return (
        f"warning: the LP solver did not finish ({lp['status']}): written is {kept}; "
        f"weighted fill {_fmt(lp['weighted_fill'])}, the greedy's "
        f"{_fmt(lp['greedy_weighted_fill'])} (+{_fmt(lp['gain_over_greedy'])}); "
        "not a proven optimum"
    )


def summary_text(summary: dict[str, Any]) -> str:
    """A few lines a planner reads at a glance."""
    t, c = summary["totals"], summary["counts"]
    rate = "n/a" if t["fill_rate"] is None else f"{100 * t['fill_rate']:.1f}%"
    lines = [
        f"lots {c['lots']:,}   demand lines {c['demand_lines']:,}   items {c['items']:,}",
        f"demand {_fmt(t['demand'])}   filled {_fmt(t['filled'])} ({rate})   "
        f"short {_fmt(t['short'])} on {c['lines_short']:,} lines",
        f"stock {_fmt(t['lot_qty'])}   consumed {_fmt(t['consumed'])}   "
        f"remaining {_fmt(t['remaining'])}",
    ]
    left = [(r, q) for r, q in t["remaining_by_reason"].items() if q]
    if left:
        lines.append("unconsumed stock by reason: " + ", ".join(f"{r} {_fmt(q)}" for r, q in left))
    risk = summary.get("risk")
    if risk:
        value = "" if risk["at_risk_value"] is None else f", value {risk['at_risk_value']:,.2f}"
        lines.append(
            f"unsellable by {risk['horizon_end']}: {_fmt(risk['at_risk_qty'])} "
            f"in {risk['at_risk_lots']:,} lots{value}"
        )
    return "\n".join(lines)


def findings_text(t: planner.Tables) -> str:
    """What to act on, in a few lines: short by reason, the items short most and those
    with the most value at risk, each with the one action it suggests."""
    lines = []
    short = planner.short_by(t, C.REASON)
    if len(short):
        lines.append("short by reason: " + ", ".join(f"{r} {_fmt(q)}" for r, q in short.items()))
    for title, frame in (
        ("short most", planner.short_items(t)),
        ("most value at risk", planner.risk_items(t)),
    ):
        if len(frame):
            lines.append(f"items {title}:")
            lines += [
                f"  {i}: {a}" for i, a in zip(frame[C.ITEM], frame[planner.ACTION], strict=True)
            ]
    return "\n".join(lines)


def report_text(written: Sequence[Path]) -> str:
    """The files ``report`` wrote."""
    return "wrote " + ", ".join(str(p) for p in written)


def table_text(frame: pd.DataFrame, decimals: int) -> str:
    """The frame as aligned columns, numbers right-aligned, cells as in the CSV files."""
    cells = [[str(c) for c in frame.columns]]
    columns = [column_text(frame[c], decimals).to_pylist() for c in frame.columns]
    cells += [list(row) for row in zip(*columns, strict=True)]
    widths = [max(len(row[j]) for row in cells) for j in range(len(frame.columns))]
    numeric = [pd.api.types.is_numeric_dtype(frame[c].dtype) for c in frame.columns]
    return "\n".join(
        "  ".join(
            cell.rjust(w) if right else cell.ljust(w)
            for cell, w, right in zip(row, widths, numeric, strict=True)
        ).rstrip()
        for row in cells
    )


def _fmt(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6f}".rstrip("0").rstrip(".")


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


def _signed(value: int | float) -> str:
    if isinstance(value, float):
        value = round(value, 6)
    return "0" if value == 0 else ("+" if value > 0 else "-") + _fmt(abs(value))
