"""The vectorized allocation kernel for a pass whose eligible sets are nested.

Inside one (item, location) group the lots lie end to end on a cumulative
quantity axis in FEFO order. A demand line with threshold ``t`` may take any
lot whose key is at least ``t``: a suffix of the group's lots, which starts at
``a`` on the axis. When lines are served in non-decreasing threshold order the
suffixes are nested and the greedy "lowest-rank lot with stock left" reduces to

    p_k = min(max(p_{k-1}, a_k) + d_k, T)

on the axis (``d_k`` the line's quantity, ``T`` the group's total). With
``D_k`` the running demand, ``p_k - D_k`` is a running maximum of
``a_j - D_{j-1}``, so the whole pass is prefix sums, one running maximum and
binary searches: no loop over lots or lines.
"""

from __future__ import annotations

import numpy as np

from consumption.engine.keys import SortedKeys
from consumption.engine.model import PassResult
from consumption.engine.runs import expand, run_starts


def threshold_falls(line_group: np.ndarray, line_threshold: np.ndarray) -> np.ndarray:
    """Per line, whether its threshold is below the previous line's of the same group."""
    falls = np.zeros(len(line_group), dtype=bool)
    if len(line_group) > 1:
        same = line_group[1:] == line_group[:-1]
        falls[1:] = same & (line_threshold[1:] < line_threshold[:-1])
    return falls


def is_nested(line_group: np.ndarray, line_threshold: np.ndarray) -> bool:
    """True when thresholds never fall along the serving order inside a group."""
    return not threshold_falls(line_group, line_threshold).any()


def nested_pass(
    lot_group: np.ndarray,
    lot_key: np.ndarray,
    lot_qty: np.ndarray,
    line_group: np.ndarray,
    line_threshold: np.ndarray,
    line_qty: np.ndarray,
    lots: SortedKeys | None = None,
) -> PassResult:
    """Serve lines from lots when eligible sets are nested.

    Lots must be sorted by (group, key) (FEFO order), lines by group and then
    in serving order with non-decreasing thresholds. ``lot_qty`` is the stock
    each lot still has; a lot with none simply occupies no room on the axis.
    ``lots`` is ``SortedKeys.of(lot_group, lot_key)`` when the caller keeps it.

    >>> r = nested_pass(np.array([0, 0, 0]), np.array([190, 211, 345]),
    ...                 np.array([500, 600, 7000]), np.array([0, 0]),
    ...                 np.array([180, 270]), np.array([450, 3000]))
    >>> r.filled.tolist(), r.consumed.tolist()
    ([450, 3000], [450, 0, 3000])
    """
    if not is_nested(line_group, line_threshold):
        raise ValueError("thresholds must not fall inside a group: this pass is not nested")
    axis = np.concatenate(([0], np.cumsum(lot_qty, dtype=np.int64)))
    lots = lots if lots is not None else SortedKeys.of(lot_group, lot_key)
    first = lots.search(line_group, line_threshold, side="left")
    group_lo = axis[np.searchsorted(lot_group, line_group, side="left")]
    group_hi = axis[np.searchsorted(lot_group, line_group, side="right")]
    start, end = _served_intervals(line_group, axis[first], group_lo, group_hi, line_qty)
    filled = end - start
    pair_lot, pair_line, pair_qty = _pairs(axis, start, end, filled)
    consumed = np.zeros(len(lot_qty), dtype=np.int64)
    if len(pair_lot):
        # Pairs come in axis order, so each lot's pairs are one run.
        runs = run_starts(pair_lot)
        consumed[pair_lot[runs]] = np.add.reduceat(pair_qty, runs)
    return PassResult(filled, consumed, pair_lot, pair_line, pair_qty)


def _served_intervals(
    line_group: np.ndarray,
    eligible_from: np.ndarray,
    group_lo: np.ndarray,
    group_hi: np.ndarray,
    qty: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each line's consumption on the global axis."""
    n = len(qty)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = run_starts(line_group)
    lengths = np.diff(np.r_[starts, n])
    demand_before = np.cumsum(qty) - qty  # global, exclusive
    base = np.repeat(demand_before[starts], lengths)  # demand of earlier groups
    group_demand = np.repeat(np.add.reduceat(qty, starts), lengths)
    local_before = demand_before - base
    x = (eligible_from - group_lo) - local_before
    # Segmented running maximum: every value of a group lies in
    # [-group_demand, group_total], so lifting each group by the stock and demand
    # of all groups up to it puts it above everything earlier.
    lift = group_lo + base + group_demand
    running = np.maximum.accumulate(x + lift) - lift
    reach = local_before + qty + running  # uncapped p_k, local to the group
    total = group_hi - group_lo
    return group_lo + np.minimum(reach - qty, total), group_lo + np.minimum(reach, total)


def _pairs(
    axis: np.ndarray, start: np.ndarray, end: np.ndarray, filled: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (lot, line) overlap of a line's interval with a lot's, and its size."""
    lines = np.flatnonzero(filled > 0)
    s, e = start[lines], end[lines]
    first = np.searchsorted(axis[1:], s, side="right")  # first lot ending after s
    last = np.searchsorted(axis[:-1], e, side="left") - 1  # last lot starting before e
    owner, pair_lot = expand(first, last - first + 1)
    pair_line = lines[owner]
    qty = np.minimum(end[pair_line], axis[pair_lot + 1]) - np.maximum(
        start[pair_line], axis[pair_lot]
    )
    keep = qty > 0  # lots without stock sit inside an interval but give nothing
    return pair_lot[keep], pair_line[keep], qty[keep]
