"""What a run prints in the terminal: a short summary and, for small runs, the table."""

from __future__ import annotations

from typing import Any

import pandas as pd

from consumption.io.write import column_text


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
