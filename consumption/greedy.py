"""The greedy policy of SPEC §3, run as a sequence of passes over the kernel.

A pass serves one priority class. Inside a pass every line is served from its
own (item, location) in threshold order, so eligible sets are nested and the
vectorized kernel applies; stock left by one pass is what the next one sees.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .instance import Instance
from .kernel import nested_pass


@dataclass(frozen=True)
class Allocation:
    """What an engine decided, as arrays over an Instance.

    ``pair_lot`` indexes the instance's lots (rank order), ``pair_line`` its
    demand lines (file order). Pairs are sorted by lot, then by serving order.
    """

    consumed: np.ndarray
    filled: np.ndarray
    pair_lot: np.ndarray
    pair_line: np.ndarray
    pair_qty: np.ndarray
    passes: int


def serving_order(inst: Instance) -> np.ndarray:
    """Demand lines in the order the greedy serves them (SPEC §3)."""
    rows = np.arange(inst.n_lines)
    return np.lexsort((rows, inst.line_requirement, inst.line_group, inst.line_priority))


def allocate_greedy(inst: Instance) -> Allocation:
    """Run every pass and gather per-lot, per-line and per-pair results."""
    stock = np.where(inst.lot_expired, 0, inst.lot_qty)
    filled = np.zeros(inst.n_lines, dtype=np.int64)
    order = serving_order(inst)
    classes = inst.line_priority[order]
    bounds = np.flatnonzero(np.r_[True, classes[1:] != classes[:-1], True]) if len(order) else []
    lots, lines, qtys = [], [], []
    for lo, hi in itertools.pairwise(bounds):  # one pass per priority class
        served = order[lo:hi]
        result = nested_pass(
            inst.lot_group,
            inst.lot_key,
            stock,
            inst.line_group[served],
            inst.line_requirement[served],
            inst.line_qty[served],
        )
        stock = stock - result.consumed
        filled[served] = result.filled
        lots.append(result.pair_lot)
        lines.append(served[result.pair_line])
        qtys.append(result.pair_qty)
    pair_lot, pair_line, pair_qty = _concat(lots), _concat(lines), _concat(qtys)
    # One pass yields pairs in lot order already; several must be merged.
    by_lot = np.argsort(pair_lot, kind="stable") if len(lots) > 1 else slice(None)
    return Allocation(
        consumed=np.where(inst.lot_expired, 0, inst.lot_qty) - stock,
        filled=filled,
        pair_lot=pair_lot[by_lot],
        pair_line=pair_line[by_lot],
        pair_qty=pair_qty[by_lot],
        passes=max(len(bounds) - 1, 0),
    )


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
