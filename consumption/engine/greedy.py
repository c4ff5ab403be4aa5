"""The greedy policy of SPEC §3, run as a sequence of passes over the kernels.

A pass serves one priority class through one route rank (the lines' own
locations first, then their rank-1 lanes, and so on); stock left by one pass
is what the next one sees. Inside a pass, each source (item, location) group
is served by the vectorized running-maximum kernel when its eligible sets are
nested (thresholds rise along the serving order and no lot's availability
binds), and by the exact sequential general kernel otherwise.
"""

from __future__ import annotations

import itertools

import numpy as np

from consumption import constants as C
from consumption.engine.keys import SortedKeys
from consumption.engine.model import Allocation, Instance, PassResult
from consumption.engine.nested import nested_pass, threshold_falls
from consumption.engine.routes import Route, route
from consumption.engine.runs import run_starts, sort_by
from consumption.engine.sequential import general_pass
from consumption.progress import Progress


def allocate_greedy(
    inst: Instance, order: str = C.ORDER_REQUIREMENT, progress: bool | None = None
) -> Allocation:
    """Run every pass and gather per-lot, per-line and per-pair results.

    ``progress``: a line on stderr counting the passes (None: on a terminal only),
    since ``--order due`` over a year of due dates runs hundreds of them.
    """
    bar = Progress("greedy pass", show=progress)
    packed = SortedKeys.of(inst.lot_group, inst.lot_key)  # once, not once per pass
    stock = np.where(inst.lot_expired, 0, inst.lot_qty)
    filled = np.zeros(inst.n_lines, dtype=np.int64)
    lots, lines, qtys = [], [], []
    passes = nested_blocks = general_blocks = 0
    for priority in np.unique(inst.line_priority):
        for rank in inst.lanes.ranks:
            open_ = np.flatnonzero((inst.line_priority == priority) & (filled < inst.line_qty))
            way = route(inst, rank, open_)
            if len(way.lines) == 0:
                continue
            for part in _passes(inst, way, order):
                wanted = inst.line_qty[part.lines] - filled[part.lines]
                result, nested, general = _serve(inst, stock, part, wanted, packed)
                passes += 1
                nested_blocks += nested
                general_blocks += general
                stock = stock - result.consumed
                filled[part.lines] += result.filled
                lots.append(result.pair_lot)
                lines.append(part.lines[result.pair_line])
                qtys.append(result.pair_qty)
                bar.step()
    bar.done()
    pair_lot, pair_line, pair_qty = _concat(lots), _concat(lines), _concat(qtys)
    # One pass yields pairs in lot order already; several must be merged.
    by_lot = np.argsort(pair_lot, kind="stable") if len(lots) > 1 else slice(None)
    return Allocation(
        consumed=np.where(inst.lot_expired, 0, inst.lot_qty) - stock,
        filled=filled,
        pair_lot=pair_lot[by_lot],
        pair_line=pair_line[by_lot],
        pair_qty=pair_qty[by_lot],
        passes=passes,
        nested_blocks=nested_blocks,
        general_blocks=general_blocks,
    )


def _passes(inst: Instance, way: Route, order: str) -> list[Route]:
    """The route's lines as passes, each sorted by group, then in serving order.

    In requirement order one pass serves them all, by threshold. In due order
    there is one pass per due day, each by threshold: chronological across
    passes, and nested inside each, so the vectorized kernel still applies.
    """
    due = inst.line_due[way.lines]
    if order == C.ORDER_REQUIREMENT:
        return [_sorted(way, sort_by(way.group, way.threshold, due, way.lines))]
    by_due = sort_by(due, way.group, way.threshold, way.lines)
    bounds = np.r_[run_starts(due[by_due]), len(by_due)]
    return [_sorted(way, by_due[lo:hi]) for lo, hi in itertools.pairwise(bounds)]


def _sorted(way: Route, by: np.ndarray) -> Route:
    # Lines of different groups never compete: sorting by group first keeps each
    # group's lines together for the kernels without changing who is served first.
    return Route(*(getattr(way, f)[by] for f in Route.__dataclass_fields__))


def _serve(
    inst: Instance, stock: np.ndarray, way: Route, wanted: np.ndarray, packed: SortedKeys
) -> tuple[PassResult, int, int]:
    """One pass: nested groups through the running maximum, the rest sequentially."""
    nested_line = _nested_lines(inst, stock, way)
    results = []
    n_nested = n_general = 0
    for use_nested in (True, False):
        pick = np.flatnonzero(nested_line == use_nested)
        if len(pick) == 0:
            continue
        blocks = len(run_starts(way.group[pick]))
        if use_nested:
            n_nested += blocks
            part = nested_pass(
                inst.lot_group, inst.lot_key, stock,
                way.group[pick], way.threshold[pick], wanted[pick], packed,
            )  # fmt: skip
        else:
            n_general += blocks
            part = general_pass(
                inst.lot_group, inst.lot_key, inst.lot_avail, stock,
                way.group[pick], way.threshold[pick], way.ship[pick], wanted[pick],
            )  # fmt: skip
        results.append((pick, part))
    return _merge(results, len(way.lines), inst.n_lots), n_nested, n_general


def _nested_lines(inst: Instance, stock: np.ndarray, way: Route) -> np.ndarray:
    """Per line, whether its group's block of this pass is nested.

    Nested: thresholds never fall along the serving order, and every lot of
    the group with stock is available by the earliest ship day of the block.
    """
    starts = run_starts(way.group)
    lengths = np.diff(np.r_[starts, len(way.group)])
    falls = threshold_falls(way.group, way.threshold).astype(np.int64)
    ordered = np.add.reduceat(falls, starts) == 0 if len(starts) else np.zeros(0, bool)
    earliest_ship = np.minimum.reduceat(way.ship, starts) if len(starts) else way.ship[:0]
    latest_avail = _latest_available(inst, stock, way.group[starts])
    nested = ordered & (latest_avail <= earliest_ship)
    return np.repeat(nested, lengths)


def _latest_available(inst: Instance, stock: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The last available day among each group's lots with stock (very early if none)."""
    if inst.n_lots == 0:
        return np.full(len(groups), np.iinfo(np.int64).min)
    lot_starts = run_starts(inst.lot_group)
    avail = np.where(stock > 0, inst.lot_avail, np.iinfo(np.int64).min)
    latest = np.maximum.reduceat(avail, lot_starts)
    known = inst.lot_group[lot_starts]
    at = np.minimum(np.searchsorted(known, groups), len(known) - 1)
    return np.where(known[at] == groups, latest[at], np.iinfo(np.int64).min)


def _merge(results: list[tuple[np.ndarray, PassResult]], n_lines: int, n_lots: int) -> PassResult:
    """One PassResult from the kernels' results over disjoint sets of lines."""
    filled = np.zeros(n_lines, dtype=np.int64)
    consumed = np.zeros(n_lots, dtype=np.int64)
    lots, lines, qtys = [], [], []
    for pick, part in results:
        filled[pick] = part.filled
        consumed += part.consumed
        lots.append(part.pair_lot)
        lines.append(pick[part.pair_line])
        qtys.append(part.pair_qty)
    pair_lot = _concat(lots)
    by_lot = np.argsort(pair_lot, kind="stable") if len(results) > 1 else slice(None)
    return PassResult(
        filled, consumed, pair_lot[by_lot], _concat(lines)[by_lot], _concat(qtys)[by_lot]
    )


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
