"""The optimizer option (SPEC §4): a linear program over eligible (lot, demand, route) triples.

Variables are the quantities a lot gives a demand class through a route, for
every triple where the lot is eligible (same item, lot at the route's source,
key >= threshold, available by the ship day, not expired). Constraints: a
lot gives at most its quantity, a class receives at most its quantity. The
objective maximizes priority-weighted fill first, then prefers the cheaper
route (the line's own location, then lane rank 1, 2, ...) and, on a route,
the lot that gives away the least shelf life beyond the threshold (FEFO).

**Demand classes.** Lines with the same item, location, due day, requirement
and priority have the same eligible lots, routes, weight and penalties: they
are interchangeable, so the LP has one row per class (its quantity the sum of
its lines'), and a class's fill is handed to its lines in file order
afterwards. The optimum is the same; the model is several times smaller.

**Weights.** With ``K`` priority classes (lines without a priority form the
last), a unit filled for the class of 1-based index ``c`` is worth
``w = K - c + 1``: K for the first class, 1 for the last, 1 for everything
without priorities. Their size hardly matters: the fill vectors a
transportation problem can reach form a polymatroid, so for any weights that
fall strictly from class to class the optimum (Edmonds' greedy theorem) fills
the first class as much as possible, then the first two together, and so on.
Every such optimum also fills the most in total: an augmenting path changes
only the fill of the line at its end. ``greedy_optimal`` of ``compare`` sets
the greedy's weighted fill against the LP's under the same weights.

**Fill dominates.** Per unit a triple costs a penalty
``p = (route index + giveaway / (G + 1)) / R`` in ``[0, 1)``, where ``R``
counts the route ranks and ``G`` is the item's largest giveaway, and the
objective per unit is ``M * w - p`` with ``M = Q + 1`` per item, ``Q`` the
most the item can move (the lesser of its eligible supply and demand). Proof
that fill always dominates: a basic solution of a transportation problem with
whole quantities is whole (the matrix is totally unimodular), so the
weighted fill ``F`` of every vertex is a whole number; the penalty of any
solution is below ``Q``, so below ``M``. If the optimum ``x`` had ``F(x) <
F*``, the vertex ``y`` reaching ``F*`` would score ``M F(y) - P(y) > M F* -
M >= M F(x) >= M F(x) - P(x)``, a contradiction. ``M`` multiplies the fill
rather than dividing the penalty so that the penalty's differences stay far
above the solvers' absolute tolerances (1e-7).

**Blocks.** Items never share lots or lines (nor, without lanes, do (item,
location) groups), so the model splits into blocks of whole such units, of
about ``BLOCK_VARIABLES`` variables each, built and solved one after another:
memory stays bounded by a block, simplex runs on small problems (its time grows
faster than the model's size), and CBC, a process per solve, starts once per
block rather than once per item. Eligible triples are enumerated with array
operations: for each (class, route) the eligible lots are a contiguous run in
rank order, from ``search_groups`` to the end of the source group, filtered by
availability.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from consumption import constants as C
from consumption.engine.greedy import allocate_greedy
from consumption.engine.keys import search_groups
from consumption.engine.model import Allocation, Instance
from consumption.engine.quantities import number
from consumption.engine.routes import route
from consumption.engine.runs import cumsum_within, expand, run_starts
from consumption.errors import SolverError, UsageError
from consumption.lp import compact, solvers
from consumption.progress import Progress

# Variables per block. Simplex time grows faster than the model, so independent
# units solve faster apart; CBC pays a process start (~15 ms) per block, HiGHS
# next to nothing. Measured on generated 100k-lot instances (bench_lp.py):
# HiGHS is fastest at 2k-5k variables per block, CBC at 5k-20k.
BLOCK_VARIABLES = {C.SOLVER_CBC: 10_000, C.SOLVER_HIGHS: 3_000}
# Solver values within this of a whole number are that number (basic solutions are whole).
_WHOLE = 1e-6


@dataclass(frozen=True)
class Classes:
    """Demand classes: lines the LP cannot tell apart, grouped, in item order."""

    of_line: np.ndarray  # class of each demand line
    first_line: np.ndarray  # a line of each class, to compute its routes
    qty: np.ndarray
    weight: np.ndarray  # fill weight per unit
    item: np.ndarray


@dataclass(frozen=True)
class Triples:
    """(class, route) rows with their eligible lot ranges, sorted by independent unit."""

    cls: np.ndarray
    item: np.ndarray
    unit: np.ndarray  # rows of different units never share a lot or a line
    route_index: np.ndarray  # 0 = own location, 1 = first lane rank present, ...
    threshold: np.ndarray
    ship: np.ndarray
    first: np.ndarray  # first eligible lot by key (rank order)
    count: np.ndarray  # lots from there to the end of the source group


@dataclass
class LpReport:
    """How the LP went: what ``summary.json`` records under ``lp``."""

    solver: str
    status: str = C.LP_OPTIMAL
    blocks: int = 0
    variables: int = 0
    constraints: int = 0
    demand_classes: int = 0
    build_s: float = 0.0
    solve_s: float = 0.0
    weighted_fill: int = 0  # sum of weight x fill, in scaled quantity units
    greedy_weighted_fill: int = 0  # the same of the greedy's plan: the floor
    plan: str = C.PLAN_LP  # whose plan was written: lp, greedy, or mixed per block
    greedy_blocks: int = 0  # blocks that kept the greedy's plan
    rounded: int = 0  # units dropped to make a non-whole solver answer feasible
    block_statuses: dict[str, int] = field(default_factory=dict)
    formulations: dict[str, int] = field(default_factory=dict)  # blocks per formulation
    objective: float = 0.0  # the solvers' objective summed over blocks (scaled units)

    def as_dict(self, decimals: int) -> dict[str, Any]:
        return {
            "solver": self.solver,
            "status": self.status,
            "blocks": self.blocks,
            "variables": self.variables,
            "constraints": self.constraints,
            "demand_classes": self.demand_classes,
            "build_s": round(self.build_s, 6),
            "solve_s": round(self.solve_s, 6),
            "weighted_fill": number(self.weighted_fill, decimals),
            "plan": self.plan,
            "greedy_blocks": self.greedy_blocks,
            "greedy_weighted_fill": number(self.greedy_weighted_fill, decimals),
            "gain_over_greedy": number(self.weighted_fill - self.greedy_weighted_fill, decimals),
            "rounded": number(self.rounded, decimals),
            "block_statuses": self.block_statuses,
            "formulations": self.formulations,
        }


def line_weights(inst: Instance) -> np.ndarray:
    """Fill weight per unit of each line: ``K - c + 1`` for the c-th of K priority classes.

    >>> from types import SimpleNamespace as NS
    >>> line_weights(NS(line_priority=np.array([2, 1, 3, 2]))).tolist()
    [2, 3, 1, 2]
    """
    classes, index = np.unique(inst.line_priority, return_inverse=True)
    return (len(classes) - index).astype(np.int64)


def weighted_fill(inst: Instance, filled: np.ndarray) -> int:
    """Sum of weight x fill, in scaled units: what the LP maximizes first."""
    return int(np.dot(line_weights(inst), filled))


def allocate_lp(
    inst: Instance,
    solver: str = C.SOLVER_CBC,
    time_limit: float | None = None,
    progress: bool | None = None,
    formulation: str = C.FORMULATION_AUTO,
) -> tuple[Allocation, LpReport]:
    """Solve the LP block by block and return its allocation with a report.

    ``formulation``: per block the pair model or the compact network of
    :mod:`consumption.lp.compact` (``auto``: the compact one where it applies
    and is smaller; ``compact``: wherever it applies).

    The greedy runs first and is the floor: a block whose LP answer fills less
    (weighted) than the greedy's plan of the same block, or ties it without a
    proven optimum, or fails, keeps the greedy's plan. Blocks share no lot and
    no line, so mixing them is feasible. ``time_limit`` (seconds) is one budget
    for the whole call, greedy included: each block gets what is left, and a
    block reached with nothing left keeps the greedy's plan unsolved.
    ``progress``: a progress line on stderr (None: only when stderr is a
    terminal and the solve has more than one block).
    """
    solvers.check_available(solver)
    report = LpReport(solver)
    clock = time.perf_counter()
    deadline = None if time_limit is None else clock + time_limit
    floor = allocate_greedy(inst)
    if formulation not in C.FORMULATIONS:
        raise UsageError(
            f"formulation {formulation!r} is not supported; use one of: {', '.join(C.FORMULATIONS)}"
        )
    classes = demand_classes(inst)
    triples = eligible_ranges(inst, classes)
    lot_groups = None if formulation == C.FORMULATION_PAIR else compact.LotGroups.of(inst)
    blocks = block_bounds(triples, BLOCK_VARIABLES[solver])
    report.demand_classes = len(classes.qty)
    total = len(blocks) - 1
    line_block = _line_blocks(inst, triples, blocks)
    inside = line_block >= 0
    greedy_by_block = np.bincount(
        line_block[inside], weights=(line_weights(inst) * floor.filled)[inside], minlength=total
    ).astype(np.int64)
    report.greedy_weighted_fill = weighted_fill(inst, floor.filled)
    report.build_s += time.perf_counter() - clock
    # Unasked, a line is only worth drawing when there is more than one block to count.
    auto = None if total > 1 else False
    show = Progress("LP block", total, show=auto if progress is None else progress, keep=True)
    lots, cls, qtys = [], [], []
    from_greedy = np.zeros(total, dtype=bool)
    for index, (lo, hi) in enumerate(itertools.pairwise(blocks)):
        part = _select(triples, lo, hi)
        network = (
            None
            if lot_groups is None
            else _compact(inst, classes, lot_groups, part, formulation, report)
        )
        if network is None:
            answer = _solve_block(inst, classes, part, solver, deadline, report)
        else:
            answer = _solve_network(network, solver, deadline, report)
        if answer is None:
            from_greedy[index] = True
        else:
            lot, klass, qty, status = answer
            gain = int(np.dot(classes.weight[klass], qty)) - int(greedy_by_block[index])
            if gain > 0 or (gain == 0 and status == C.LP_OPTIMAL):
                lots.append(lot)
                cls.append(klass)
                qtys.append(qty)
            else:
                from_greedy[index] = True
        show.step()
    show.done()
    started = time.perf_counter()
    alloc = to_allocation(inst, classes, _cat(lots), _cat(cls), _cat(qtys))
    taken = np.zeros(inst.n_lines, dtype=bool)
    taken[inside] = from_greedy[line_block[inside]]
    alloc = _with_greedy_blocks(inst, alloc, floor, taken)
    report.build_s += time.perf_counter() - started
    report.weighted_fill = weighted_fill(inst, alloc.filled)
    report.greedy_blocks = int(from_greedy.sum())
    if report.greedy_blocks == 0:
        report.plan = C.PLAN_LP
    elif report.greedy_blocks == total:
        report.plan = C.PLAN_GREEDY
    else:
        report.plan = C.PLAN_MIXED
    return alloc, report


def _solve_block(
    inst: Instance,
    classes: Classes,
    part: Triples,
    solver: str,
    deadline: float | None,
    report: LpReport,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str] | None:
    """One block's (lot, class, qty) answer and status; None where the greedy must stand.

    None when the budget is spent before the block starts, or the solver fails:
    either way the greedy's plan of the block is the best one there is.
    """
    if deadline is not None and deadline <= time.perf_counter():
        # Spent before the block is built: not even its model is worth the time.
        _count(report, C.LP_TIME_LIMIT, solvers.Block(*(np.zeros(0, dtype=np.int64),) * 5))
        return None
    started = time.perf_counter()
    lot, klass, block, scale = build_block(inst, classes, part)
    report.build_s += time.perf_counter() - started
    left = None if deadline is None else deadline - time.perf_counter()
    if left is not None and left <= 0:
        _count(report, C.LP_TIME_LIMIT, block)
        return None
    try:
        answer = solvers.solve(block, solver, left)
    except SolverError:
        _count(report, C.LP_NOT_SOLVED, block)
        return None
    report.build_s += answer.prepare_s
    report.solve_s += answer.solve_s
    report.objective += float(answer.x @ block.cost)
    qty, dropped = whole_solution(answer.x, block)
    report.rounded += dropped * scale
    _count(report, answer.status, block)
    keep = qty > 0
    return lot[keep], klass[keep], qty[keep] * scale, answer.status


def _compact(
    inst: Instance,
    classes: Classes,
    lot_groups: compact.LotGroups,
    part: Triples,
    formulation: str,
    report: LpReport,
) -> compact.CompactBlock | None:
    """The block's compact network where it applies (and, under ``auto``, is smaller)."""
    started = time.perf_counter()
    network = compact.build(
        inst, lot_groups, part.cls, part.item, part.route_index, part.threshold, part.ship,
        part.first, classes.qty, classes.weight,
    )  # fmt: skip
    report.build_s += time.perf_counter() - started
    if network is None:
        return None
    # The pair model has at most one variable per lot of each row's range.
    if formulation == C.FORMULATION_AUTO and network.net.n_vars >= int(part.count.sum()):
        return None
    return network


def _solve_network(
    network: compact.CompactBlock, solver: str, deadline: float | None, report: LpReport
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str] | None:
    """A compact block's (lot, class, qty) answer; None where the greedy must stand.

    A stopped solve's point is not repaired here (a flow is harder to mend than
    caps): the greedy's plan of the block, feasible by construction, stands.
    """
    net = network.net
    left = None if deadline is None else deadline - time.perf_counter()
    if left is not None and left <= 0:
        _count(report, C.LP_TIME_LIMIT, net, C.FORMULATION_COMPACT)
        return None
    try:
        answer = solvers.solve(net, solver, left)
    except SolverError:
        _count(report, C.LP_NOT_SOLVED, net, C.FORMULATION_COMPACT)
        return None
    report.build_s += answer.prepare_s
    report.solve_s += answer.solve_s
    report.objective += float(answer.x @ net.cost)
    _count(report, answer.status, net, C.FORMULATION_COMPACT)
    pairs = compact.recover(network, answer.x)
    if pairs is None:
        return None
    lot, cls, qty = pairs
    return lot, cls, qty, answer.status


def _line_blocks(inst: Instance, triples: Triples, blocks: np.ndarray) -> np.ndarray:
    """The block of each demand line, -1 for a line in none (no eligible lot, nothing to fill).

    A block holds a run of whole units in unit order, so a line's block is found
    by its unit among the blocks' first units.
    """
    unit = inst.line_item if len(inst.lanes.ranks) > 1 else inst.line_group
    if len(blocks) < 2:
        return np.full(inst.n_lines, -1, dtype=np.int64)
    first, last = triples.unit[blocks[:-1]], triples.unit[blocks[1:] - 1]
    at = np.searchsorted(first, unit, side="right") - 1
    ok = (at >= 0) & (unit <= last[np.maximum(at, 0)])
    return np.where(ok, at, -1).astype(np.int64)


def _with_greedy_blocks(
    inst: Instance, alloc: Allocation, floor: Allocation, line_from_greedy: np.ndarray
) -> Allocation:
    """The LP's pairs joined with the greedy's pairs of the lines whose block keeps the greedy.

    Blocks share no lot, so a stable sort by lot keeps each source's own order
    within a lot.
    """
    take = line_from_greedy[floor.pair_line]
    if not take.any():
        return alloc
    pair_lot = np.concatenate([alloc.pair_lot, floor.pair_lot[take]])
    pair_line = np.concatenate([alloc.pair_line, floor.pair_line[take]])
    pair_qty = np.concatenate([alloc.pair_qty, floor.pair_qty[take]])
    by = np.argsort(pair_lot, kind="stable")
    pair_lot, pair_line, pair_qty = pair_lot[by], pair_line[by], pair_qty[by]
    return Allocation(
        consumed=np.bincount(pair_lot, weights=pair_qty, minlength=inst.n_lots).astype(np.int64),
        filled=np.bincount(pair_line, weights=pair_qty, minlength=inst.n_lines).astype(np.int64),
        pair_lot=pair_lot,
        pair_line=pair_line,
        pair_qty=pair_qty,
        passes=0,
    )


def demand_classes(inst: Instance) -> Classes:
    """Group lines by (item, location, due, requirement, priority), item first."""
    order = np.lexsort(
        (
            inst.line_priority,
            inst.line_requirement,
            inst.line_due,
            inst.line_location,
            inst.line_item,
        )
    )
    keys = (inst.line_item, inst.line_location, inst.line_due, inst.line_requirement)
    new = np.zeros(len(order), dtype=bool)
    if len(order):
        new[0] = True
        for key in (*keys, inst.line_priority):
            ordered = key[order]
            new[1:] |= ordered[1:] != ordered[:-1]
    of_line = np.empty(len(order), dtype=np.int64)
    of_line[order] = np.cumsum(new) - 1
    first_line = order[new]  # lexsort is stable: the first line of each class in file order
    qty = np.bincount(of_line, weights=inst.line_qty, minlength=len(first_line))
    return Classes(
        of_line=of_line,
        first_line=first_line,
        # Sums of scaled quantities stay below 2**53 (instance checks): floats are exact.
        qty=qty.astype(np.int64),
        weight=line_weights(inst)[first_line],
        item=inst.line_item[first_line].astype(np.int64),
    )


def eligible_ranges(inst: Instance, classes: Classes) -> Triples:
    """Every (class, route) with quantity, and the run of lots it may take from."""
    parts = []
    for index, rank in enumerate(inst.lanes.ranks):
        way = route(inst, rank, classes.first_line)
        parts.append((classes.of_line[way.lines], np.full(len(way.lines), index), way))
    cls = np.concatenate([p[0] for p in parts])
    route_index = np.concatenate([p[1] for p in parts])
    group = np.concatenate([p[2].group for p in parts])
    threshold = np.concatenate([p[2].threshold for p in parts])
    ship = np.concatenate([p[2].ship for p in parts])
    first = search_groups(inst.lot_group, inst.lot_key, group, threshold)
    end = np.searchsorted(inst.lot_group, group, side="right")
    count = np.maximum(end - first, 0)
    keep = (count > 0) & (classes.qty[cls] > 0)
    # Items never share lots or lines; without lanes neither do (item, location) groups.
    unit = classes.item[cls] if len(inst.lanes.ranks) > 1 else group
    pick = np.flatnonzero(keep)[np.argsort(unit[keep], kind="stable")]
    return Triples(
        cls=cls[pick],
        item=classes.item[cls[pick]],
        unit=unit[pick],
        route_index=route_index[pick],
        threshold=threshold[pick],
        ship=ship[pick],
        first=first[pick],
        count=count[pick],
    )


def block_bounds(triples: Triples, size: int) -> np.ndarray:
    """Bounds of blocks of whole units in ``triples``, each of about ``size`` variables.

    Block ``b`` holds the units whose lot ranges start, on the running count,
    in ``[b, b + 1) * size``: a unit is never split, and a unit larger than a
    block is a block of its own.
    """
    if len(triples.unit) == 0:
        return np.zeros(1, dtype=np.int64)
    starts = run_starts(triples.unit)
    before = (np.cumsum(triples.count) - triples.count)[starts]
    block = before // size
    new = np.r_[True, block[1:] != block[:-1]]
    return np.r_[starts[new], len(triples.unit)]


def _select(triples: Triples, lo: int, hi: int) -> Triples:
    return Triples(*(getattr(triples, f)[lo:hi] for f in Triples.__dataclass_fields__))


def build_block(
    inst: Instance, classes: Classes, part: Triples
) -> tuple[np.ndarray, np.ndarray, solvers.Block, int]:
    """The LP of one block: its variables' lots and classes, the arrays, and the unit.

    Quantities are divided by their greatest common divisor (cases of 12 are
    solved as cases), which keeps ``M`` and the numbers the solver sees small.
    """
    owner, lot = expand(part.first, part.count)
    eligible = (
        (inst.lot_avail[lot] <= part.ship[owner]) & ~inst.lot_expired[lot] & (inst.lot_qty[lot] > 0)
    )
    owner, lot = owner[eligible], lot[eligible]
    cls, route_index = part.cls[owner], part.route_index[owner]
    giveaway = inst.lot_key[lot] - part.threshold[owner]
    if len(inst.lanes.ranks) > 1 and len(lot):
        # A lot could reach a class through two routes (a lane from a location to
        # itself): keep one variable per (lot, class), the cheaper route.
        by = np.lexsort((route_index, lot, cls))
        first = by[np.r_[True, (np.diff(cls[by]) != 0) | (np.diff(lot[by]) != 0)]]
        owner, lot, cls, route_index, giveaway = (
            a[first] for a in (owner, lot, cls, route_index, giveaway)
        )
    supply, supply_row = np.unique(lot, return_inverse=True)
    demand, demand_row = np.unique(cls, return_inverse=True)
    supply_cap, demand_cap = inst.lot_qty[supply], classes.qty[demand]
    scale = int(np.gcd.reduce(np.r_[supply_cap, demand_cap])) if len(lot) else 1
    scale = max(scale, 1)
    supply_cap, demand_cap = supply_cap // scale, demand_cap // scale
    item = part.item[owner]
    cost = _costs(inst, item, classes.weight[cls], route_index, giveaway, supply, supply_cap,
                  classes.item[demand], demand_cap)  # fmt: skip
    block = solvers.Block(supply_row, demand_row, cost, supply_cap, demand_cap)
    return lot, cls, block, scale


def _costs(
    inst: Instance,
    item: np.ndarray,
    weight: np.ndarray,
    route_index: np.ndarray,
    giveaway: np.ndarray,
    supply: np.ndarray,
    supply_cap: np.ndarray,
    demand_item: np.ndarray,
    demand_cap: np.ndarray,
) -> np.ndarray:
    """Objective per variable, ``M * w - p``, with ``M`` and ``p`` as the module docstring says.

    Per-item figures are indexed by the block's own items, so a block's cost
    does not grow with the number of items in the whole instance.
    """
    items, var_item = np.unique(item, return_inverse=True)
    most = np.minimum(
        np.bincount(
            np.searchsorted(items, inst.lot_item[supply]), weights=supply_cap, minlength=len(items)
        ),
        np.bincount(np.searchsorted(items, demand_item), weights=demand_cap, minlength=len(items)),
    )
    widest = np.zeros(len(items), dtype=np.int64)
    np.maximum.at(widest, var_item, giveaway)
    penalty = (route_index + giveaway / (widest[var_item] + 1.0)) / len(inst.lanes.ranks)
    return (most[var_item] + 1.0) * weight - penalty


def whole_solution(x: np.ndarray, block: solvers.Block) -> tuple[np.ndarray, int]:
    """Whole quantities that respect every cap, and how many units that dropped.

    A basic optimal solution is whole already (the matrix is totally
    unimodular) and passes unchanged. A solution stopped early may be
    fractional or even slightly infeasible: values are rounded, then each
    row's excess is taken back from its last variables, so that the result
    always passes the invariant checks.
    """
    near = np.rint(x)
    qty = np.where(np.abs(x - near) <= _WHOLE, near, np.floor(x))
    qty = np.maximum(qty, 0).astype(np.int64)
    total = int(qty.sum())
    for row, cap in ((block.supply_row, block.supply_cap), (block.demand_row, block.demand_cap)):
        qty = _within_caps(qty, np.asarray(row), np.asarray(cap))
    return qty, total - int(qty.sum())


def _within_caps(qty: np.ndarray, row: np.ndarray, cap: np.ndarray) -> np.ndarray:
    given = np.bincount(row, weights=qty, minlength=len(cap))
    if (given <= cap).all():
        return qty
    order = np.argsort(row, kind="stable")
    before = cumsum_within(qty[order], row[order]) - qty[order]
    fixed = np.empty_like(qty)
    fixed[order] = np.clip(cap[row[order]] - before, 0, qty[order])
    return fixed


def to_allocation(
    inst: Instance, classes: Classes, lot: np.ndarray, cls: np.ndarray, qty: np.ndarray
) -> Allocation:
    """Hand each class's quantities to its lines in file order; pairs sorted by lot.

    Lines of a class lie end to end on an axis of the class's quantity, and so
    do the class's (lot, quantity) pairs: every overlap of a pair's interval
    with a line's is one allocation, the same interval arithmetic as the
    nested kernel's.
    """
    line_order = np.lexsort((np.arange(inst.n_lines), classes.of_line))
    line_end = np.cumsum(inst.line_qty[line_order])
    class_start = np.r_[0, np.cumsum(classes.qty)[:-1]]
    by = np.lexsort((lot, cls))
    lot, cls, qty = lot[by], cls[by], qty[by]
    pair_end = class_start[cls] + cumsum_within(qty, cls) if len(qty) else qty
    pair_start = pair_end - qty
    line_start = line_end - inst.line_qty[line_order]
    first = np.searchsorted(line_end, pair_start, side="right")
    last = np.searchsorted(line_start, pair_end, side="left") - 1
    owner, at = expand(first, np.maximum(last - first + 1, 0))
    give = np.minimum(pair_end[owner], line_end[at]) - np.maximum(pair_start[owner], line_start[at])
    keep = give > 0
    pair_lot, pair_line, pair_qty = lot[owner][keep], line_order[at][keep], give[keep]
    by_lot = np.lexsort((pair_line, pair_lot))
    pair_lot, pair_line, pair_qty = pair_lot[by_lot], pair_line[by_lot], pair_qty[by_lot]
    return Allocation(
        consumed=np.bincount(pair_lot, weights=pair_qty, minlength=inst.n_lots).astype(np.int64),
        filled=np.bincount(pair_line, weights=pair_qty, minlength=inst.n_lines).astype(np.int64),
        pair_lot=pair_lot.astype(np.int64),
        pair_line=pair_line.astype(np.int64),
        pair_qty=pair_qty.astype(np.int64),
        passes=0,
    )


def _count(
    report: LpReport,
    status: str,
    block: solvers.Block | solvers.Network,
    formulation: str = C.FORMULATION_PAIR,
) -> None:
    report.blocks += 1
    report.variables += block.n_vars
    report.constraints += block.n_rows
    report.formulations[formulation] = report.formulations.get(formulation, 0) + 1
    report.block_statuses[status] = report.block_statuses.get(status, 0) + 1
    if C.LP_STATUSES.index(status) > C.LP_STATUSES.index(report.status):
        report.status = status


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
