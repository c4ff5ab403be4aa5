"""The run summary: parameters, totals, counts and timings; and its terminal form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from consumption import constants as C

if TYPE_CHECKING:
    from consumption.outputs.result import Result


def _number(scaled: int | np.integer, decimals: int) -> int | float:
    value = int(scaled)
    return value if decimals == 0 else value / 10**decimals


def build(result: Result, run: dict[str, Any]) -> dict[str, Any]:
    """Everything a planner or a downstream model needs to know about a run."""
    inst, alloc, d = result.instance, result.allocation, result.decimals
    remaining = inst.lot_qty - alloc.consumed
    reason = result.lots[C.REASON].cat.codes.to_numpy()
    categories = list(result.lots[C.REASON].cat.categories)
    by_reason = {r: _number(remaining[reason == categories.index(r)].sum(), d) for r in C.REASONS}
    demand, filled = int(inst.line_qty.sum()), int(alloc.filled.sum())
    status = result.lots[C.STATUS].cat.codes.to_numpy()
    status_names = list(result.lots[C.STATUS].cat.categories)
    summary: dict[str, Any] = {
        "run": run,
        "totals": {
            "demand": _number(demand, d),
            "filled": _number(filled, d),
            "short": _number(demand - filled, d),
            "fill_rate": round(filled / demand, 6) if demand else None,
            "lot_qty": _number(inst.lot_qty.sum(), d),
            "consumed": _number(alloc.consumed.sum(), d),
            "remaining": _number(remaining.sum(), d),
            "remaining_by_reason": by_reason,
        },
        "counts": {
            "lots": inst.n_lots,
            "demand_lines": inst.n_lines,
            "items": len(inst.items),
            "allocations": len(alloc.pair_qty),
            "lines_short": int(np.count_nonzero(alloc.filled < inst.line_qty)),
            "lots_by_status": {
                s: int(np.count_nonzero(status == i)) for i, s in enumerate(status_names)
            },
            "passes": alloc.passes,
            "passes_nested": alloc.nested_blocks,
            "passes_general": alloc.general_blocks,
        },
    }
    if result.expiry_risk is not None:
        at_risk = result.expiry_risk[result.expiry_risk["at_risk"]]
        value = at_risk["value"].sum(min_count=1)
        summary["risk"] = {
            "horizon_end": str(result.instance.dates(np.array([result.horizon]))[0])[:10],
            "at_risk_qty": _at_risk(at_risk, d),
            "at_risk_value": None if np.isnan(value) else round(float(value), 2),
            "at_risk_lots": len(at_risk),
        }
    return summary


def _at_risk(at_risk: Any, decimals: int) -> int | float:
    total = at_risk["remaining"].sum()
    return int(total) if decimals == 0 else round(float(total), decimals)
