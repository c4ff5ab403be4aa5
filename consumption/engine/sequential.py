"""The general kernel: exact sequential greedy for passes that are not nested.

When future receipts bind (a lot is not yet available on a line's ship date)
or lines are not served in threshold order, the lots a line may take are no
longer nested suffixes and the running-maximum formulation does not apply.
This kernel serves the lines one after another, as the policy says, but
finds each line's next lot in logarithmic time: a segment tree over the lots
in rank order holds, per node, the earliest available day among lots that
still have stock, so "the lowest-rank lot with key >= threshold, available by
the ship date, with stock" is one descent of the tree.
"""

from __future__ import annotations

import numpy as np

from consumption.engine.keys import search_groups
from consumption.engine.model import PassResult

_NEVER = 2**62  # the available day of a lot without stock: after every ship date


def general_pass(
    lot_group: np.ndarray,
    lot_key: np.ndarray,
    lot_avail: np.ndarray,
    lot_qty: np.ndarray,
    line_group: np.ndarray,
    line_threshold: np.ndarray,
    line_ship: np.ndarray,
    line_qty: np.ndarray,
) -> PassResult:
    """Serve lines in the given order, each from its eligible lots in rank order.

    Lots must be in rank order (sorted by group, then key); lines may come in
    any order. A lot is eligible for a line when it is in the line's group,
    its key reaches the line's threshold and it is available by the ship day.

    >>> r = general_pass(np.array([0, 0]), np.array([5, 9]), np.array([0, 3]),
    ...                  np.array([4, 4]), np.array([0, 0]), np.array([5, 5]),
    ...                  np.array([1, 3]), np.array([6, 6]))
    >>> r.filled.tolist(), r.consumed.tolist()
    ([4, 4], [4, 4])
    """
    first = search_groups(lot_group, lot_key, line_group, line_threshold, side="left")
    end = np.searchsorted(lot_group, line_group, side="right")
    tree, size = _build(np.where(lot_qty > 0, lot_avail, _NEVER))
    stock = lot_qty.astype(np.int64).tolist()
    filled = [0] * len(line_qty)
    pairs_lot: list[int] = []
    pairs_line: list[int] = []
    pairs_qty: list[int] = []
    starts, ends, ships, wants = first.tolist(), end.tolist(), line_ship.tolist(), line_qty.tolist()
    for k in range(len(wants)):  # the general kernel: one line after another
        want, lo, hi, ship = wants[k], starts[k], ends[k], ships[k]
        while want > 0:
            lot = _first_available(tree, size, lo, hi, ship)
            if lot < 0:
                break
            take = min(want, stock[lot])
            stock[lot] -= take
            want -= take
            filled[k] += take
            pairs_lot.append(lot)
            pairs_line.append(k)
            pairs_qty.append(take)
            if stock[lot] == 0:
                _exhaust(tree, size, lot)
            lo = lot  # earlier lots were unavailable or empty for this line
    consumed = lot_qty.astype(np.int64) - np.array(stock, dtype=np.int64)
    pair_lot = np.array(pairs_lot, dtype=np.int64)
    order = np.argsort(pair_lot, kind="stable")
    return PassResult(
        np.array(filled, dtype=np.int64),
        consumed,
        pair_lot[order],
        np.array(pairs_line, dtype=np.int64)[order],
        np.array(pairs_qty, dtype=np.int64)[order],
    )


def _build(values: np.ndarray) -> tuple[list[int], int]:
    """A min segment tree (as a flat list, leaves at ``size + i``)."""
    size = 1
    while size < max(len(values), 1):
        size *= 2
    tree = np.full(2 * size, _NEVER, dtype=np.int64)
    tree[size : size + len(values)] = values
    for level_start in _levels(size):  # a loop over tree levels, log2(size) of them
        parents = np.arange(level_start, 2 * level_start)
        tree[parents] = np.minimum(tree[2 * parents], tree[2 * parents + 1])
    return tree.tolist(), size


def _levels(size: int) -> list[int]:
    levels, start = [], size // 2
    while start >= 1:
        levels.append(start)
        start //= 2
    return levels


def _first_available(tree: list[int], size: int, lo: int, hi: int, ship: int) -> int:
    """Smallest leaf index in [lo, hi) whose value is <= ship, or -1."""
    left, right = lo + size, hi + size
    right_nodes = []
    while left < right:
        if left & 1:
            if tree[left] <= ship:
                return _descend(tree, size, left, ship)
            left += 1
        if right & 1:
            right -= 1
            right_nodes.append(right)
        left >>= 1
        right >>= 1
    for node in reversed(right_nodes):
        if tree[node] <= ship:
            return _descend(tree, size, node, ship)
    return -1


def _descend(tree: list[int], size: int, node: int, ship: int) -> int:
    while node < size:
        node *= 2
        if tree[node] > ship:
            node += 1
    return node - size


def _exhaust(tree: list[int], size: int, leaf: int) -> None:
    node = leaf + size
    tree[node] = _NEVER
    node >>= 1
    while node:
        low = min(tree[2 * node], tree[2 * node + 1])
        if tree[node] == low:
            break
        tree[node] = low
        node >>= 1
