"""The compact LP of a block: a chain of threshold levels per source group, not a pair per lot.

**When it applies.** A block where availability never binds: every usable lot
(not expired, quantity above 0) of a source group is available by the ship
day of every (class, route) that draws from the group. That is every block
without dates, and a dated block without receipts that arrive too late for
any of its lines. A block qualifies also only when no class reaches one
source group through two routes (a lane from a location to itself), so that
each (lot, class) pair has one route, as in the pair model. Other blocks use
the pair model of :mod:`consumption.lp.model`; ``allocate_lp`` picks the
compact one where it applies and has fewer variables.

**The network.** Per source group ``g`` the distinct thresholds of the
(class, route) rows drawing from it, ``t_1 < ... < t_k``, are the nodes of a
chain. A lot of key ``κ`` enters at the highest level ``ℓ`` with ``t_ℓ <= κ``
by an *entry arc* bounded by its quantity, of cost ``κ - t_ℓ`` days of
give-away. A *chain arc* carries stock from level ``j`` to ``j - 1`` at cost
``t_j - t_{j-1}``. A (class, route) row draws from the node of its threshold
by a *class arc*, worth ``M * w - route index / R``; a class receives at most
its quantity over its routes. Nodes balance: what enters is what leaves.

**Proof that it is the pair model.** (a) Every pair solution is a flow of
the same objective: send each pair's quantity from its lot's entry level
down the chain to its class's level (the lot's key reaches the class's
threshold, so its entry level is at or above the class's); the give-away
along the path is ``(κ - t_ℓ) + Σ (t_j - t_{j-1}) = κ - t_m``, exactly the
pair's, and the route term and the fill are the class arc's. (b) Every flow
is a pair solution of the same objective: a flow on a chain that only runs
downwards decomposes into paths from entry arcs to class arcs below or at
their level; each path is an eligible pair (its lot's key is at least the
class's threshold, and availability never binds here), and its cost is the
pair's, as in (a). So the optima coincide, in weighted fill and in
give-away, with the same ``M``, ``G`` and ``R`` as the pair model (computed
here from the same eligible pairs, without listing them: ``G`` of an item
is the largest ``max key - threshold`` of its rows). The matrix is a network
matrix, so basic optima are whole.

**Recovery.** Per group, the entering units (lots by level, highest first)
and the drawn units (class arcs by level, highest first) are laid on one
axis each; units that meet at the same position make a (lot, class) pair.
Because flow only runs down, the stock entered at levels ``>= j`` is at
least what is drawn there, for every ``j``: the ``n``-th drawn unit meets an
entering unit of a level at or above its own, an eligible pair. Give-away
and route costs do not depend on which such matching is taken. The matching
is the interval overlap of two sorted cumulative sums: no loop over lots or
lines.

**Size.** Arcs: the group's usable lots + its levels - 1 + its (class, route)
rows; rows: levels + classes. The pair model has one variable per eligible
pair, which with many thresholds per group is lots x levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from consumption.engine.keys import KeyLayout
from consumption.engine.model import Instance
from consumption.engine.runs import expand, rank_within, run_starts
from consumption.errors import KeyOverflowError
from consumption.lp.solvers import Network

# Flow values within this of a whole number are that number (basic solutions are whole).
_WHOLE = 1e-6


@dataclass(frozen=True)
class Stock:
    """Per lot group: where its lots lie (rank order) and what its usable lots reach."""

    group: np.ndarray  # lot group codes present, sorted
    start: np.ndarray  # first lot of each
    end: np.ndarray
    max_key: np.ndarray  # largest key of a usable lot (below every threshold when none)
    max_avail: np.ndarray  # latest availability of a usable lot

    @classmethod
    def of(cls, inst: Instance) -> Stock:
        starts = run_starts(inst.lot_group)
        usable = ~inst.lot_expired & (inst.lot_qty > 0)
        low = np.iinfo(np.int64).min
        key = np.where(usable, inst.lot_key, low).astype(np.int64)
        avail = np.where(usable, inst.lot_avail, low).astype(np.int64)
        empty = len(starts) == 0
        return cls(
            group=inst.lot_group[starts],
            start=starts,
            end=np.r_[starts[1:], inst.n_lots].astype(np.int64),
            max_key=key[:0] if empty else np.maximum.reduceat(key, starts),
            max_avail=avail[:0] if empty else np.maximum.reduceat(avail, starts),
        )


@dataclass(frozen=True)
class CompactBlock:
    """A compact block's network and what its arcs stand for."""

    net: Network
    entry_lot: np.ndarray  # lot of each entry arc (arcs 0 .. n_entry - 1)
    entry_node: np.ndarray
    row_cls: np.ndarray  # class of each class arc (the last arcs)
    row_node: np.ndarray
    node_group: np.ndarray  # the block's own group index of each node
    node_level: np.ndarray  # 0 = the group's lowest threshold
    classes: np.ndarray  # class of each capped row
    scale: int


def build(
    inst: Instance,
    stock: Stock,
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
    at = np.searchsorted(stock.group, group)
    reach = stock.max_key[at] >= threshold
    if not reach.any():
        return None
    cls, item, route_index, threshold, ship, at = (
        a[reach] for a in (cls, item, route_index, threshold, ship, at)
    )
    if (stock.max_avail[at] > ship).any():
        return None  # a receipt binds: the chain alone does not tell eligibility
    pairs = np.unique(np.stack([cls, at]), axis=1)
    if pairs.shape[1] != len(cls):
        return None  # a class reaches a group by two routes
    # Nodes: distinct (group, threshold), sorted; a row's node by its threshold.
    groups, local = np.unique(at, return_inverse=True)
    lot_owner, lot = expand(stock.start[groups], stock.end[groups] - stock.start[groups])
    usable = ~inst.lot_expired[lot] & (inst.lot_qty[lot] > 0)
    lot_owner, lot = lot_owner[usable], lot[usable]
    key = inst.lot_key[lot].astype(np.int64)
    try:
        layout = KeyLayout.covering(np.r_[local, lot_owner], np.r_[threshold, key])
    except KeyOverflowError:
        return None
    row_code = layout.pack(local, threshold)
    node_code, row_node = np.unique(row_code, return_inverse=True)
    node_group, node_threshold = layout.unpack(node_code)
    entry_node = np.searchsorted(node_code, layout.pack(lot_owner, key), side="right") - 1
    enters = (entry_node >= 0) & (node_group[np.maximum(entry_node, 0)] == lot_owner)
    lot, key, entry_node = lot[enters], key[enters], entry_node[enters]
    node_level = rank_within(node_group) - 1
    # Scale as the pair model does: by the common divisor of every cap.
    row_classes, row_class = np.unique(cls, return_inverse=True)
    supply_cap, demand_cap = inst.lot_qty[lot], class_qty[row_classes]
    scale = max(int(np.gcd.reduce(np.r_[supply_cap, demand_cap])), 1)
    supply_cap, demand_cap = supply_cap // scale, demand_cap // scale
    # M, G and R per item, from the same eligible pairs as the pair model.
    items, row_item = np.unique(item, return_inverse=True)
    node_item = np.zeros(len(node_code), dtype=np.int64)
    node_item[row_node] = row_item
    most = np.minimum(
        np.bincount(node_item[entry_node], weights=supply_cap, minlength=len(items)),
        np.bincount(row_item[_first_of(row_class)], weights=demand_cap, minlength=len(items)),
    )
    widest = np.zeros(len(items), dtype=np.int64)
    np.maximum.at(widest, row_item, stock.max_key[at] - threshold)
    per_day = 1.0 / ((widest + 1.0) * len(inst.lanes.ranks))
    chain = np.flatnonzero(node_level > 0)
    n_nodes = len(node_code)
    into = np.r_[entry_node, chain - 1, n_nodes + row_class]
    out_of = np.r_[np.full(len(lot), -1), chain, row_node]
    cost = np.r_[
        -(key - node_threshold[entry_node]) * per_day[node_item[entry_node]],
        -(node_threshold[chain] - node_threshold[chain - 1]) * per_day[node_item[chain]],
        (most[row_item] + 1.0) * class_weight[cls] - route_index / len(inst.lanes.ranks),
    ]
    upper = np.r_[supply_cap.astype(np.float64), np.full(len(chain) + len(cls), np.inf)]
    net = Network(into, out_of, cost, upper, n_nodes, demand_cap)
    return CompactBlock(
        net, lot, entry_node, cls, row_node, node_group, node_level, row_classes, scale
    )


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
    n_entry, n_rows = len(block.entry_lot), len(block.row_cls)
    entered, drawn = flow[:n_entry], flow[len(flow) - n_rows :]
    net = block.net
    balance = np.bincount(net.into, weights=flow, minlength=net.n_rows)
    balance -= np.bincount(net.out_of[net.out_of >= 0], weights=flow[net.out_of >= 0],
                           minlength=net.n_rows)  # fmt: skip
    if (balance[: net.n_balance] != 0).any() or (balance[net.n_balance :] > net.cap).any():
        return None
    if (entered > net.upper[:n_entry]).any():
        return None
    # Both sides by (group, level from the top); lots by rank and classes by code within.
    s_node, d_node = block.entry_node, block.row_node
    s = np.lexsort((block.entry_lot, -block.node_level[s_node], block.node_group[s_node]))
    d = np.lexsort((block.row_cls, -block.node_level[d_node], block.node_group[d_node]))
    s_end, d_end = np.cumsum(entered[s]), np.cumsum(drawn[d])
    s_start, d_start = s_end - entered[s], d_end - drawn[d]
    lo = np.searchsorted(d_end, s_start, side="right")
    hi = np.searchsorted(d_start, s_end, side="left")
    owner, at = expand(lo, np.maximum(hi - lo, 0))
    give = np.minimum(s_end[owner], d_end[at]) - np.maximum(s_start[owner], d_start[at])
    keep = give > 0
    lot = block.entry_lot[s][owner[keep]]
    cls = block.row_cls[d][at[keep]]
    return lot, cls, give[keep] * block.scale
