"""The run summary (``summary.json``): parameters, totals, counts, risk, the LP and timings.

Built from the engine's arrays and the per-lot facts, never from the text of
the frames.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from consumption import constants as C
from consumption.engine.model import Allocation, Instance
from consumption.engine.quantities import number
from consumption.outputs.reasons import REASONS, STATUSES, LotFacts
from consumption.outputs.risk import AT_RISK, MONEY_DECIMALS, VALUE


def build(
    inst: Instance,
    alloc: Allocation,
    facts: LotFacts,
    run: dict[str, Any],
    horizon: int,
    expiry_risk: pd.DataFrame | None,
    lp: dict[str, Any] | None,
    timings: dict[str, float],
    warnings: list[dict[str, str]],
) -> dict[str, Any]:
    """Everything a planner or a downstream model needs to know about a run."""
    d = inst.decimals
    remaining = inst.lot_qty - alloc.consumed
    # Masked integer sums: a float bincount would round totals beyond 2**53.
    by_reason = {r: number(remaining[facts.reason == REASONS.index(r)].sum(), d) for r in C.REASONS}
    demand, filled = int(inst.line_qty.sum()), int(alloc.filled.sum())
    status = np.bincount(facts.status, minlength=len(STATUSES))
    report: dict[str, Any] = {
        "run": run,
        "warnings": warnings,
        "totals": {
            "demand": number(demand, d),
            "filled": number(filled, d),
            "short": number(demand - filled, d),
            "fill_rate": round(filled / demand, 6) if demand else None,
            "lot_qty": number(inst.lot_qty.sum(), d),
            "consumed": number(alloc.consumed.sum(), d),
            "remaining": number(remaining.sum(), d),
            "remaining_by_reason": by_reason,
        },
        "counts": {
            "lots": inst.n_lots,
            "demand_lines": inst.n_lines,
            "items": len(inst.items),
            "allocations": len(alloc.pair_qty),
            "lines_short": int(np.count_nonzero(alloc.filled < inst.line_qty)),
            "lots_by_status": {s: int(status[i]) for i, s in enumerate(STATUSES)},
            "passes": alloc.passes,
            "passes_nested": alloc.nested_blocks,
            "passes_general": alloc.general_blocks,
        },
    }
    if expiry_risk is not None:
        report["risk"] = _risk(inst, horizon, expiry_risk, remaining)
    if lp is not None:
        report["lp"] = lp
    report["timings"] = timings
    return report


def _risk(
    inst: Instance, horizon: int, expiry_risk: pd.DataFrame, remaining: np.ndarray
) -> dict[str, Any]:
    """The at-risk totals, exact: quantities in the scaled unit, values in whole cents."""
    at_risk = expiry_risk[AT_RISK].to_numpy(dtype=bool)
    # The expiry-risk rows are the lots with stock left, in lot order.
    left = remaining[remaining > 0]
    values = expiry_risk[VALUE].to_numpy(dtype=np.float64, na_value=np.nan)[at_risk]
    known = values[~np.isnan(values)]
    cents = int(np.rint(known * 10**MONEY_DECIMALS).astype(np.int64).sum())
    return {
        "horizon_end": str(inst.dates(np.array([horizon]))[0])[:10],
        "at_risk_qty": number(left[at_risk].sum(), inst.decimals),
        "at_risk_value": number(cents, MONEY_DECIMALS) if len(known) else None,
        "at_risk_lots": int(at_risk.sum()),
    }
