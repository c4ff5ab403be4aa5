"""The compact LP of a block: chains of threshold levels over time layers, not a pair per lot.

**What it models.** The pair model of :mod:`consumption.lp.model` has a
variable per eligible (lot, class, route); with weekly due dates a lot is
eligible for every later week, so it grows like lots x weeks. Here the size
grows like (stocks + rows) x log(periods). A block qualifies when no class
reaches one source group through two routes (a lane from a location to
itself), so that each (lot, class) pair has one route, as in the pair model;
``allocate_lp`` takes this one wherever it applies and is smaller.

**Stocks.** Usable lots (not expired, quantity above 0) of a source group
with the same key and available day are interchangeable: they are one
*stock*, of their summed quantity. In rank order they lie together.

**Eligibility in two dimensions.** A (class, route) row of threshold ``t``
and ship day ``s`` may take a stock of key ``κ`` and available day ``a`` when
``κ >= t`` and ``a <= s``. Per group, a row's *period* is the number of the
group's distinct available days by its ship day (rows that see the same
stocks share one), and a stock's *first period* the first whose rows it is
in time for: the stock may serve exactly the rows of periods ``>=`` its
first, a suffix. A binary tree over the group's periods (leaves in order)
covers a suffix with at most one node per depth (the standard bottom-up
cover of an interval), and every period lies under exactly one node of that
cover. Each tree node ``v`` has a *chain*: the rows of every period under
``v``, the stocks whose cover holds ``v``.

**The network of a chain.** Its nodes are the distinct thresholds of its
rows, ``t_1 < ... < t_k``. A stock of key ``κ`` enters at the highest level
``ℓ`` with ``t_ℓ <= κ`` by an *entry arc* of cost ``κ - t_ℓ`` days of
give-away. A *chain arc* carries stock from level ``j`` to ``j - 1`` at cost
``t_j - t_{j-1}``. A row draws from the node of its threshold by a *class
arc*, worth ``M * w - route index / R``; a class receives at most its
quantity over all its arcs. A stock in one chain enters it straight from
the source, bounded by its quantity; a stock in several enters through a
node of its own, fed by one arc bounded by its quantity. Nodes balance.

**Proof that it is the pair model.** (a) Every pair solution is a flow of
the same objective: a pair (stock, row) is in time, so the row's period is
in the stock's suffix and lies under exactly one node ``v`` of the stock's
cover; the row is in ``v``'s chain (it is under ``v``) and so is the stock.
Send the pair's quantity along the stock's entry arc into ``v``'s chain at
level ``ℓ`` and down the chain to the row's level ``m <= ℓ`` (``κ >= t``):
the give-away on the path is ``(κ - t_ℓ) + Σ (t_j - t_{j-1}) = κ - t_m``,
the pair's, and the route term and the fill are the class arc's. A stock's
pairs together use at most its quantity. (b) Every flow is a pair solution
of the same objective: within a chain flow only runs down, so it decomposes
into paths from entry arcs to class arcs at or below their level; each path
joins a stock and a row of one chain (so in time: the row's period lies in
the stock's suffix) with ``κ >= t`` (an eligible pair), at the pair's cost,
as in (a); a stock's paths over all its chains carry at most its quantity.
So the optima coincide, in weighted fill and in give-away, with the same
``M``, ``G`` and ``R`` as the pair model, computed from the same eligible
pairs without listing them: a stock that enters a chain has a row it
reaches there, and ``G`` of an item is the largest, over its chains, of the
highest key entering less the lowest threshold. The matrix is a network
matrix, so basic optima are whole. Without receipts that bind, a group has
one period and one chain, and this is the plain chain of threshold levels.

**Recovery.** Per chain, the entering units (stocks by level, highest
first) and the drawn units (class arcs by level, highest first) are laid on
one axis each; units that meet at the same position make a (stock, class)
pair. Because flow only runs down, the stock entered at levels ``>= j`` is
at least what is drawn there, for every ``j``: the ``n``-th drawn unit meets
an entering unit of a level at or above its own, an eligible pair. A pair
meets in one chain only. A stock's pairs are then handed to its lots in rank
order the same way. Give-away and route costs do not depend on which such
matching is taken. All of it is interval overlaps of sorted cumulative sums:
no loop over lots or lines.

**Size.** Per group with ``P`` periods (``D = ceil(log2 P)``): entry arcs
at most ``stocks x (D + 1)``, class arcs at most ``rows x (D + 1)``, chain
arcs fewer than the class arcs, one arc and one node per stock in several
chains; rows: chain nodes, those stock nodes, classes. The pair model has
one variable per eligible pair, which with many thresholds per group is
lots x levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from consumption.engine.keys import KeyLayout
from consumption.engine.model import Instance
from consumption.engine.runs import cumsum_within, expand, rank_within, run_starts
from consumption.errors import KeyOverflowError
from consumption.lp.solvers import Network

# Flow values within this of a whole number are that number (basic solutions are whole).
_WHOLE = 1e-6


@dataclass(frozen=True)
class LotGroups:
    """Per lot group: where its lots lie (rank order) and the highest key of its usable lots."""

    group: np.ndarray  # lot group codes present, sorted
    start: np.ndarray  # first lot of each
    end: np.ndarray
    max_key: np.ndarray  # largest key of a usable lot (below every threshold when none)

    @classmethod
    def of(cls, inst: Instance) -> LotGroups:
        starts = run_starts(inst.lot_group)
        usable = ~inst.lot_expired & (inst.lot_qty > 0)
        low = np.iinfo(np.int64).min
        key = np.where(usable, inst.lot_key, low).astype(np.int64)
        empty = len(starts) == 0
        return cls(
            group=inst.lot_group[starts],
            start=starts,
            end=np.r_[starts[1:], inst.n_lots].astype(np.int64),
            max_key=key[:0] if empty else np.maximum.reduceat(key, starts),
        )


@dataclass(frozen=True)
class CompactBlock:
    """A compact block's network and what its arcs stand for."""

    net: Network
    entry_stock: np.ndarray  # stock (lots alike) of each entry arc (arcs 0 .. n_entry - 1)
    stock_lots: np.ndarray  # the lots of each stock, stock after stock, in rank order
    stock_start: np.ndarray  # where each stock's lots start in ``stock_lots`` (and the end)
    lot_qty: np.ndarray  # quantity of each of ``stock_lots``
    entry_node: np.ndarray
    row_cls: np.ndarray  # class of each class arc (the last arcs)
    row_node: np.ndarray
    node_group: np.ndarray  # the chain of each node (a group, or a group's period range)
    node_level: np.ndarray  # 0 = the chain's lowest threshold
    classes: np.ndarray  # class of each capped row
    scale: int


def build(
    inst: Instance,
    lot_groups: LotGroups,
    cls: np.ndarray,
    item: np.ndarray,
    route_index: np.ndarray,
    threshold: np.ndarray,
    ship: np.ndarray,
    first: np.ndarray,
    class_qty: np.ndarray,
    class_weight: np.ndarray,
) -> CompactBlock | None:
    """The compact network of a block's (class, route) rows; None where it does not apply."""
    group = inst.lot_group[first]
    at = np.searchsorted(lot_groups.group, group)
    reach = lot_groups.max_key[at] >= threshold
    if not reach.any():
        return None
    cls, item, route_index, threshold, ship, at = (
        a[reach] for a in (cls, item, route_index, threshold, ship, at)
    )
    pairs = np.unique(np.stack([cls, at]), axis=1)
    if pairs.shape[1] != len(cls):
        return None  # a class reaches a group by two routes
    groups, local = np.unique(at, return_inverse=True)
    start, end = lot_groups.start[groups], lot_groups.end[groups]
    lot_owner, lot = expand(start, end - start)
    usable = ~inst.lot_expired[lot] & (inst.lot_qty[lot] > 0)
    lot_owner, lot = lot_owner[usable], lot[usable]
    # Lots alike (group, key, available day) are one stock to the solver: in rank order
    # they lie together, and a stock's flow is handed to its lots in rank order after.
    key, avail = inst.lot_key[lot].astype(np.int64), inst.lot_avail[lot]
    alike = np.r_[True, (np.diff(lot_owner) != 0) | (np.diff(key) != 0) | (np.diff(avail) != 0)]
    stock_start = np.flatnonzero(alike)
    owner, key = lot_owner[stock_start], key[stock_start]
    stock_qty = (
        np.add.reduceat(inst.lot_qty[lot], stock_start) if len(lot) else np.zeros(0, np.int64)
    )
    try:
        layers = _Layers.of(local, ship, owner, avail[stock_start])
    except KeyOverflowError:
        return None
    row_at, row_chain, lot_at, lot_chain = layers.chains()
    try:
        links = _links(row_chain, threshold[row_at], lot_chain, key[lot_at])
    except KeyOverflowError:
        return None
    if links is None:
        return None
    row_at, lot_at = row_at[links.row_at], lot_at[links.lot_at]
    row_node, entry_node = links.row_node, links.entry_node
    node_chain, node_threshold = links.node_chain, links.node_threshold
    entry_stock, entry_key = lot_at, key[lot_at]
    node_level = rank_within(node_chain) - 1
    # Scale as the pair model does: by the common divisor of every cap.
    row_classes, row_class = np.unique(cls[row_at], return_inverse=True)
    stocks, lot_local = np.unique(entry_stock, return_inverse=True)  # stocks that enter
    entering = expand(stock_start[stocks], np.diff(np.r_[stock_start, len(lot)])[stocks])[1]
    supply_cap, demand_cap = stock_qty[stocks], class_qty[row_classes]
    # The pair model's unit (the divisor of every lot's and class's quantity), which a
    # stock's sum shares.
    scale = max(int(np.gcd.reduce(np.r_[inst.lot_qty[lot[entering]], demand_cap])), 1)
    supply_cap, demand_cap = supply_cap // scale, demand_cap // scale
    # M, G and R per item, from the same eligible pairs as the pair model: a lot that
    # enters a chain has an eligible row there, and a chain's widest give-away is its
    # highest entering key less its lowest threshold.
    items = np.unique(item)
    node_item = np.zeros(len(node_chain), dtype=np.int64)
    node_item[row_node] = np.searchsorted(items, item[row_at])
    class_item = np.searchsorted(items, item[row_at][_first_of(row_class)])
    most = np.minimum(
        np.bincount(np.searchsorted(items, inst.lot_item[lot[stock_start[stocks]]]),
                    weights=supply_cap,
                    minlength=len(items)),
        np.bincount(class_item, weights=demand_cap, minlength=len(items)),
    )  # fmt: skip
    widest = np.zeros(len(items), dtype=np.int64)
    np.maximum.at(widest, node_item[run_starts(node_chain)], links.widest)
    per_day = 1.0 / ((widest + 1.0) * len(inst.lanes.ranks))
    # Arcs: entries (from the source, or from the lot's node when it enters several
    # chains), the lots' source arcs, chain arcs, class arcs.
    n_nodes = len(node_chain)
    entries = np.bincount(lot_local, minlength=len(stocks))
    shared = entries > 1
    lot_node = np.full(len(stocks), -1, dtype=np.int64)
    lot_node[shared] = n_nodes + np.arange(int(shared.sum()))
    n_balance = n_nodes + int(shared.sum())
    chain = np.flatnonzero(node_level > 0)
    entry_shared = shared[lot_local]
    into = np.r_[entry_node, lot_node[shared], chain - 1, n_balance + row_class]
    out_of = np.r_[lot_node[lot_local], np.full(int(shared.sum()), -1), chain, row_node]
    cost = np.r_[
        -(entry_key - node_threshold[entry_node]) * per_day[node_item[entry_node]],
        np.zeros(int(shared.sum())),
        -(node_threshold[chain] - node_threshold[chain - 1]) * per_day[node_item[chain]],
        (most[class_item[row_class]] + 1.0) * class_weight[cls[row_at]]
        - route_index[row_at] / len(inst.lanes.ranks),
    ]
    upper = np.r_[
        np.where(entry_shared, np.inf, supply_cap[lot_local].astype(np.float64)),
        supply_cap[shared].astype(np.float64),
        np.full(len(chain) + len(row_at), np.inf),
    ]
    net = Network(into, out_of, cost, upper, n_balance, demand_cap)
    return CompactBlock(
        net=net,
        entry_stock=entry_stock,
        stock_lots=lot,
        stock_start=np.r_[stock_start, len(lot)],
        lot_qty=inst.lot_qty[lot].astype(np.int64),
        entry_node=entry_node,
        row_cls=cls[row_at],
        row_node=row_node,
        node_group=node_chain,
        node_level=node_level,
        classes=row_classes,
        scale=scale,
    )


@dataclass(frozen=True)
class _Layers:
    """Per group, the ship periods that availability tells apart, as a binary tree.

    A row's period is the set of the group's lots available by its ship day
    (rows with the same set share a period); periods run from the earliest
    ship day to the latest. A lot may serve the rows of every period from the
    first whose ship day it is available by: a suffix of the periods, which a
    binary tree over them covers with at most one node per depth.
    """

    row_period: np.ndarray  # per row
    lot_first: np.ndarray  # per lot: its first period; == periods when it never is in time
    depth: np.ndarray  # per group: the tree's depth (periods <= 2 ** depth)
    periods: np.ndarray  # per group
    row_group: np.ndarray
    lot_group: np.ndarray

    @classmethod
    def of(cls, row_group: np.ndarray, ship: np.ndarray, lot_group: np.ndarray,
           avail: np.ndarray) -> _Layers:  # fmt: skip
        # Days outside the ship days' span order the same when clipped to its edges.
        low, high = int(ship.min(initial=0)), int(ship.max(initial=0))
        avail = np.clip(avail.astype(np.int64), low - 1, high + 1)
        n_groups = int(max(row_group.max(initial=-1), lot_group.max(initial=-1))) + 1
        layout = KeyLayout.covering(
            np.r_[row_group, lot_group, 0, n_groups], np.r_[ship, avail, low - 1]
        )
        days = _Distinct.of(layout, lot_group, avail, low - 1, n_groups)
        # A row's period: how many distinct available days of its group are by its ship day.
        seen = days.position(row_group, ship, side="right")
        # A lot is in time for a row when its day is among those the row has seen.
        rank = days.position(lot_group, avail) + 1
        count = KeyLayout.covering(np.r_[row_group, lot_group, 0, n_groups], np.r_[seen, rank, 0])
        periods = _Distinct.of(count, row_group, seen, 0, n_groups)
        row_period = periods.position(row_group, seen)
        lot_first = periods.position(lot_group, rank)
        n_periods = np.diff(periods.start)
        depth = np.ceil(np.log2(np.maximum(n_periods, 1))).astype(np.int64)
        return cls(row_period, np.minimum(lot_first, n_periods[lot_group]), depth, n_periods,
                   row_group, lot_group)  # fmt: skip

    def chains(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(row, chain) and (lot, chain) memberships: a row is in the chain of every tree
        node above its period, a lot in those of the nodes that cover its suffix.

        Chains are numbered ``group * 2 ** (max depth + 1) + heap index``: each pair of a
        lot and a row in time for each other meets in exactly one chain, the node of the
        lot's cover that holds the row's period.
        """
        depth = self.depth
        top = int(depth.max(initial=0))
        width = np.int64(1) << (top + 1)
        leaves = np.int64(1) << depth
        # Rows: the heap index of their leaf and of every ancestor.
        row, up = expand(np.zeros(len(self.row_period), dtype=np.int64),
                         depth[self.row_group] + 1)  # fmt: skip
        node = (self.row_period[row] + leaves[self.row_group[row]]) >> up
        row_chain = self.row_group[row] * width + node
        # Lots: the canonical cover of [first, periods) in the heap, bottom-up (at most one
        # node per depth on a suffix's left edge, the root when the suffix is every
        # period); a loop over the tree's depth only.
        lots = np.flatnonzero(self.lot_first < self.periods[self.lot_group])  # ever in time
        n = leaves[self.lot_group[lots]]
        left, right = self.lot_first[lots] + n, 2 * n
        lot_parts, chain_parts = [], []
        for _ in range(top + 1):
            take = (left < right) & (left % 2 == 1)
            pick = np.flatnonzero(take)
            lot_parts.append(lots[pick])
            chain_parts.append(self.lot_group[lots[pick]] * width + left[pick])
            left = (left + take) >> 1
            right = right >> 1
        return row, row_chain, np.concatenate(lot_parts), np.concatenate(chain_parts)


@dataclass(frozen=True)
class _Distinct:
    """The distinct (group, value) pairs, packed and sorted, and where each group's start."""

    layout: KeyLayout
    codes: np.ndarray
    start: np.ndarray  # per group, and the end

    @classmethod
    def of(cls, layout: KeyLayout, group: np.ndarray, value: np.ndarray, low: int,
           n_groups: int) -> _Distinct:  # fmt: skip
        codes = np.unique(layout.pack(group, value))
        edges = np.arange(n_groups + 1)
        start = np.searchsorted(codes, layout.pack(edges, np.full(n_groups + 1, low)))
        return cls(layout, codes, start)

    def position(
        self, group: np.ndarray, value: np.ndarray, side: Literal["left", "right"] = "left"
    ) -> np.ndarray:
        """How many of the group's distinct values lie below ``value`` (``side="right"``:
        at or below)."""
        at = np.searchsorted(self.codes, self.layout.pack(group, value), side=side)
        return at - self.start[group]


@dataclass(frozen=True)
class _Links:
    """The chains' nodes, and where each lot enters and each row draws."""

    row_at: np.ndarray  # the memberships kept: rows that can draw something in their chain
    row_node: np.ndarray
    lot_at: np.ndarray  # the memberships kept: lots that reach a threshold of their chain
    entry_node: np.ndarray
    node_chain: np.ndarray  # 0 .. chains - 1, nodes sorted by chain, then threshold
    node_threshold: np.ndarray
    widest: np.ndarray  # per chain: its highest entering key less its lowest threshold


def _links(
    row_chain: np.ndarray, row_threshold: np.ndarray, lot_chain: np.ndarray, lot_key: np.ndarray
) -> _Links | None:
    """Nodes per chain and each membership's node; None when no lot meets a row.

    A lot below every threshold of a chain does not enter it; a row above every
    key that enters its chain can draw nothing there. Dropping such rows keeps
    each chain's lowest threshold (it lies at or below the keys that enter), so
    the lots that enter stay the same.
    """
    chains, row_c = np.unique(row_chain, return_inverse=True)
    lot_c = np.searchsorted(chains, lot_chain)
    lot_at = np.flatnonzero(
        (lot_c < len(chains)) & (chains[np.minimum(lot_c, len(chains) - 1)] == lot_chain)
    )
    low = np.full(len(chains), np.iinfo(np.int64).max)
    np.minimum.at(low, row_c, row_threshold)
    lot_at = lot_at[lot_key[lot_at] >= low[lot_c[lot_at]]]
    if len(lot_at) == 0:
        return None
    lot_c, lot_key = lot_c[lot_at], lot_key[lot_at]
    high = np.full(len(chains), np.iinfo(np.int64).min)
    np.maximum.at(high, lot_c, lot_key)
    row_at = np.flatnonzero(row_threshold <= high[row_c])
    row_c, row_threshold = row_c[row_at], row_threshold[row_at]
    # Chains renumbered to those left, so that nodes of one chain lie together.
    kept, row_c = np.unique(row_c, return_inverse=True)
    lot_c = np.searchsorted(kept, lot_c)
    layout = KeyLayout.covering(np.r_[row_c, lot_c], np.r_[row_threshold, lot_key])
    row_code = layout.pack(row_c, row_threshold)
    node_code, row_node = np.unique(row_code, return_inverse=True)
    entry_node = np.searchsorted(node_code, layout.pack(lot_c, lot_key), side="right") - 1
    node_chain, node_threshold = layout.unpack(node_code)
    return _Links(row_at, row_node, lot_at, entry_node, node_chain, node_threshold,
                  high[kept] - low[kept])  # fmt: skip


def _first_of(codes: np.ndarray) -> np.ndarray:
    """Index of the first occurrence of each distinct code, in code order."""
    return np.unique(codes, return_index=True)[1]


def recover(block: CompactBlock, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(lot, class, qty) pairs from a whole, balanced flow; None when the flow is not one.

    A solve stopped early may leave a fractional or unbalanced point; the
    caller then keeps the greedy's plan of the block.
    """
    near = np.rint(x)
    if len(x) != block.net.n_vars or (np.abs(x - near) > _WHOLE).any() or (near < 0).any():
        return None
    flow = near.astype(np.int64)
    n_entry, n_rows = len(block.entry_stock), len(block.row_cls)
    entered, drawn = flow[:n_entry], flow[len(flow) - n_rows :]
    net = block.net
    balance = np.bincount(net.into, weights=flow, minlength=net.n_rows)
    balance -= np.bincount(net.out_of[net.out_of >= 0], weights=flow[net.out_of >= 0],
                           minlength=net.n_rows)  # fmt: skip
    if (balance[: net.n_balance] != 0).any() or (balance[net.n_balance :] > net.cap).any():
        return None
    if (flow > net.upper).any():
        return None
    # Both sides by (group, level from the top); lots by rank and classes by code within.
    s_node, d_node = block.entry_node, block.row_node
    s = np.lexsort((block.entry_stock, -block.node_level[s_node], block.node_group[s_node]))
    d = np.lexsort((block.row_cls, -block.node_level[d_node], block.node_group[d_node]))
    s_end, d_end = np.cumsum(entered[s]), np.cumsum(drawn[d])
    s_start, d_start = s_end - entered[s], d_end - drawn[d]
    lo = np.searchsorted(d_end, s_start, side="right")
    hi = np.searchsorted(d_start, s_end, side="left")
    owner, at = expand(lo, np.maximum(hi - lo, 0))
    give = np.minimum(s_end[owner], d_end[at]) - np.maximum(s_start[owner], d_start[at])
    keep = give > 0
    stock = block.entry_stock[s][owner[keep]]
    cls = block.row_cls[d][at[keep]]
    return _to_lots(block, stock, cls, give[keep] * block.scale)


def _to_lots(
    block: CompactBlock, stock: np.ndarray, cls: np.ndarray, qty: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A stock's (class, qty) pairs handed to its lots in rank order: interval overlaps.

    Per stock, its pairs (by class) and its lots lie end to end on one axis of
    its quantity each; every overlap of a pair with a lot is one allocation.
    """
    by = np.lexsort((cls, stock))
    stock, cls, qty = stock[by], cls[by], qty[by]
    lots = block.stock_lots
    lot_end = np.cumsum(block.lot_qty)
    base = np.r_[0, lot_end][block.stock_start[:-1]]  # each stock's start on the lots' axis
    pair_end = base[stock] + cumsum_within(qty, stock) if len(qty) else qty
    pair_start = pair_end - qty
    lot_start = lot_end - block.lot_qty
    first = np.searchsorted(lot_end, pair_start, side="right")
    last = np.searchsorted(lot_start, pair_end, side="left") - 1
    owner, at = expand(first, np.maximum(last - first + 1, 0))
    give = np.minimum(pair_end[owner], lot_end[at]) - np.maximum(pair_start[owner], lot_start[at])
    keep = give > 0
    return lots[at[keep]], cls[owner[keep]], give[keep]
