"""Checks every result must pass. A failure is a bug in the engine, never bad input."""

from __future__ import annotations

import numpy as np

from consumption.engine.model import Allocation, Instance
from consumption.engine.routes import lane_transit
from consumption.errors import InvariantError


def check(inst: Instance, alloc: Allocation) -> None:
    """Conservation per lot and per line, eligibility of every pair, no negative quantity."""
    problems: list[str] = []
    if (alloc.pair_qty <= 0).any():
        problems.append("an allocation has a quantity that is not positive")
    given_by_lot = np.zeros(inst.n_lots, dtype=np.int64)
    np.add.at(given_by_lot, alloc.pair_lot, alloc.pair_qty)
    taken_by_line = np.zeros(inst.n_lines, dtype=np.int64)
    np.add.at(taken_by_line, alloc.pair_line, alloc.pair_qty)
    if not np.array_equal(given_by_lot, alloc.consumed):
        problems.append("per-lot consumption differs from the sum of its allocations")
    if not np.array_equal(taken_by_line, alloc.filled):
        problems.append("per-line fill differs from the sum of its allocations")
    if ((alloc.consumed < 0) | (alloc.consumed > inst.lot_qty)).any():
        problems.append("a lot gives more than its quantity, or less than nothing")
    if ((alloc.filled < 0) | (alloc.filled > inst.line_qty)).any():
        problems.append("a demand line receives more than its quantity, or less than nothing")
    lot, line = alloc.pair_lot, alloc.pair_line
    transit = lane_transit(inst)[inst.lot_location[lot], inst.line_location[line]]
    delivery = np.maximum(inst.line_due[line], transit)
    eligible = (
        (inst.lot_item[lot] == inst.line_item[line])
        & (transit >= 0)
        & (inst.lot_key[lot] >= delivery + inst.line_requirement[line])
        & (inst.lot_avail[lot] <= delivery - transit)
        & ~inst.lot_expired[lot]
    )
    if not eligible.all():
        problems.append(
            f"{int((~eligible).sum())} allocations go to lines the lot is not eligible for"
        )
    if problems:
        raise InvariantError(
            "the computed result breaks its invariants, which is a bug in consumption, "
            "not a problem with your data; no output was written: " + "; ".join(problems)
        )
