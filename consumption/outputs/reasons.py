"""Facts derived from an allocation: per lot its requirement considered, status and
reason; per demand line why it went short. All as integer codes into the
category tuples below, which the frames, the summary and the export share.

Both look at every (line, route) pair: a line reaches the lots of its own
location and of each location with a lane into it, with the threshold and
ship day of that route.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from consumption import constants as C
from consumption.engine.keys import pack, search_groups
from consumption.engine.model import Instance
from consumption.engine.routes import Route, all_routes
from consumption.engine.runs import cummax_within, radix_argsort, run_starts

STATUSES = (C.STATUS_CONSUMED, C.STATUS_PARTIAL, C.STATUS_UNCONSUMED)
REASONS = ("", *C.REASONS)
SHORT_REASONS = ("", *C.SHORT_REASONS)
# Beyond every day the engine accepts (dates lie within a million days of day 0).
_LOW = -(10**9 + 1)


@dataclass(frozen=True)
class Reach:
    """What the demand that reaches each lot asks of it."""

    reached: np.ndarray  # some line reaches the lot's (item, location)
    considered: np.ndarray  # largest requirement whose threshold the key meets; -1 if none
    latest_ship: np.ndarray  # latest ship day among those (line, route) pairs


def reach(inst: Instance) -> Reach:
    """Per lot, from the (line, route) pairs sorted by threshold and running maxima.

    Only the last pair of each (group, threshold) run can be the one a lot finds,
    so the running maxima are cut down to those: a few per group and requirement,
    small enough that the millions of lot lookups stay in cache.
    """
    group, threshold, requirement, ship = _threshold_steps(inst)
    if len(group) == 0:
        none = np.zeros(inst.n_lots, dtype=bool)
        return Reach(none, np.full(inst.n_lots, -1, np.int64), np.full(inst.n_lots, _LOW))
    # Whether a group is reached at all is asked once per group, not per lot.
    starts = run_starts(inst.lot_group)
    lot_groups = inst.lot_group[starts]
    near = np.minimum(np.searchsorted(group, lot_groups), len(group) - 1)
    reached = np.repeat(group[near] == lot_groups, np.diff(np.r_[starts, inst.n_lots]))
    at = search_groups(group, threshold, inst.lot_group, inst.lot_key, side="right") - 1
    # ``at`` never passes the lot's group; stepping back from its first pair lands
    # on another group or at -1.
    step = np.maximum(at, 0)
    found = (at >= 0) & ~inst.lot_expired & (group[step] == inst.lot_group)
    considered = np.where(found, requirement[step], -1)
    latest = np.where(found, ship[step], _LOW)
    return Reach(reached, considered, latest)


def _threshold_steps(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per (group, threshold) reached by some (line, route): the largest requirement and
    latest ship day among the pairs of that group with that threshold or a lower one."""
    routes = all_routes(inst)
    if len(routes.lines) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    # One radix argsort of the packed pair instead of a two-key lexsort; ties need no
    # order, only maxima are kept.
    by = radix_argsort(pack(routes.group, routes.threshold))
    group, threshold = routes.group[by], routes.threshold[by]
    requirement = cummax_within(inst.line_requirement[routes.lines[by]], group)
    ship = cummax_within(routes.ship[by], group)
    last = np.r_[(group[1:] != group[:-1]) | (threshold[1:] != threshold[:-1]), True]
    return group[last], threshold[last], requirement[last], ship[last]


@dataclass(frozen=True)
class LotFacts:
    """Per lot: the largest requirement its key meets (-1 if none), status and reason codes."""

    considered: np.ndarray
    status: np.ndarray  # index into STATUSES
    reason: np.ndarray  # index into REASONS; 0 ("") where nothing is left
    latest_ship: np.ndarray  # latest ship day of the (line, route) pairs it meets


def lot_facts(inst: Instance, consumed: np.ndarray) -> LotFacts:
    """Every per-lot fact the outputs report, computed once."""
    demand = reach(inst)
    remaining = inst.lot_qty - consumed
    return LotFacts(
        demand.considered,
        statuses(inst.lot_qty, consumed),
        reasons(inst, remaining, demand),
        demand.latest_ship,
    )


def categorical(codes: np.ndarray, categories: tuple[str, ...]) -> pd.Categorical[str]:
    """Codes as a pandas Categorical over ``categories``, without copying strings."""
    return pd.Categorical.from_codes(
        np.asarray(codes, dtype=np.int8), categories=pd.Index(categories)
    )


def statuses(qty: np.ndarray, consumed: np.ndarray) -> np.ndarray:
    """``consumed`` if nothing is left, ``unconsumed`` if nothing was taken, else ``partial``."""
    return np.select([consumed == 0, consumed == qty], [2, 0], default=1).astype(np.int8)


def reasons(inst: Instance, remaining: np.ndarray, lots: Reach) -> np.ndarray:
    """Why stock is left on each lot (SPEC §6); empty where nothing is left.

    The first reason that applies wins: a lot that is expired is reported as
    expired even if it also has no demand.
    """
    code = np.select(
        [
            inst.lot_expired,
            ~lots.reached,
            lots.considered < 0,
            lots.latest_ship < inst.lot_avail,
        ],
        [REASONS.index(r) for r in C.REASONS[:4]],
        default=REASONS.index(C.REASON_EXCESS),
    )
    return np.where(remaining > 0, code, 0).astype(np.int8)


def short_reasons(inst: Instance, filled: np.ndarray) -> np.ndarray:
    """Why each short line is short; empty for lines filled in full.

    ``no_inventory``: no stock of the item where the line is served from;
    ``shelf_life``: stock, but none of it meets the threshold (or it expired);
    ``not_available``: stock meets it, but none is available by the ship day;
    ``exhausted``: eligible stock existed, and lines served before took it.
    """
    code = np.full(inst.n_lines, SHORT_REASONS.index(C.SHORT_NO_INVENTORY), dtype=np.int8)
    short = np.flatnonzero(filled < inst.line_qty)
    if inst.n_lots and len(short):
        routes = all_routes(inst, short)  # only short lines need a reason
        starts = run_starts(inst.lot_group)
        groups = inst.lot_group[starts]
        usable = (inst.lot_qty > 0) & ~inst.lot_expired
        stock = np.add.reduceat(inst.lot_qty, starts)
        longest = np.maximum.reduceat(np.where(usable, inst.lot_key, _LOW), starts)
        at = np.minimum(np.searchsorted(groups, routes.group), len(groups) - 1)
        stocked = (groups[at] == routes.group) & (stock[at] > 0)
        meets = stocked & (longest[at] >= routes.threshold)
        available = meets & _available_in_time(inst, usable, routes)
        for flag, reason in (
            (stocked, C.SHORT_SHELF_LIFE),
            (meets, C.SHORT_NOT_AVAILABLE),
            (available, C.SHORT_EXHAUSTED),
        ):  # each later flag implies the earlier ones, so the last that holds wins
            hit = np.zeros(inst.n_lines, dtype=bool)
            hit[routes.lines[flag]] = True
            code[hit] = SHORT_REASONS.index(reason)
    code[filled >= inst.line_qty] = 0
    return code


def _available_in_time(inst: Instance, usable: np.ndarray, routes: Route) -> np.ndarray:
    """Per (line, route): some usable lot meeting the threshold is available by the ship day."""
    if (inst.lot_avail[usable] <= routes.ship.min(initial=0)).all():
        return np.ones(len(routes.lines), dtype=bool)  # no receipt is late for anyone
    # Earliest available day among usable lots from each lot to its group's end.
    avail = np.where(usable, inst.lot_avail, -_LOW)  # unusable: never available
    earliest = -cummax_within(-avail[::-1], inst.lot_group[::-1])[::-1]
    first = search_groups(inst.lot_group, inst.lot_key, routes.group, routes.threshold)
    return earliest[np.minimum(first, inst.n_lots - 1)] <= routes.ship
