"""Sourcing routes: where a demand line can be served from, and what that costs in time.

Route rank 0 is the line's own location; rank r > 0 is the lane of rank r into
the line's location. A route fixes the source (item, location) group, the
transit days, and from those and the line's due day, the delivery day, the
ship day and the threshold a lot's key must reach (SPEC §2):

    delivery = max(due, transit)     # never ship before day 0, the as-of date
    ship = delivery - transit
    threshold = delivery + requirement
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from consumption.engine.model import Instance


@dataclass(frozen=True)
class Route:
    """Lines that have a route of one rank, and that route's numbers per line."""

    lines: np.ndarray  # indices of demand lines (file order)
    group: np.ndarray  # source (item, location) group
    transit: np.ndarray
    ship: np.ndarray
    threshold: np.ndarray


def route(inst: Instance, rank: int, lines: np.ndarray | None = None) -> Route:
    """The rank-``rank`` route of the given lines (all lines by default); lines without one drop."""
    if lines is None:
        lines = np.arange(inst.n_lines)
    n_loc = inst.n_locations
    if rank == 0:
        source = inst.line_location[lines].astype(np.int64)
        transit = np.zeros(len(lines), dtype=np.int64)
    else:
        lanes = inst.lanes
        pick = lanes.rank == rank
        by_target = np.full(n_loc, -1, dtype=np.int64)
        days = np.zeros(n_loc, dtype=np.int64)
        by_target[lanes.target[pick]] = lanes.source[pick]
        days[lanes.target[pick]] = lanes.transit[pick]
        source = by_target[inst.line_location[lines]]
        keep = source >= 0
        lines, source = lines[keep], source[keep]
        transit = days[inst.line_location[lines]]
    delivery = np.maximum(inst.line_due[lines], transit)
    return Route(
        lines=lines,
        group=inst.group_of(inst.line_item[lines], source),
        transit=transit,
        ship=delivery - transit,
        threshold=delivery + inst.line_requirement[lines],
    )


def all_routes(inst: Instance, lines: np.ndarray | None = None) -> Route:
    """Every (line, route) pair, of every rank, concatenated (of ``lines`` when given)."""
    parts = [route(inst, rank, lines) for rank in inst.lanes.ranks]
    return Route(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in Route.__dataclass_fields__)
    )


def lane_transit(inst: Instance) -> np.ndarray:
    """Transit days from each location to each other, -1 where no lane or route exists."""
    n_loc = inst.n_locations
    days = np.full((n_loc, n_loc), -1, dtype=np.int64)
    days[inst.lanes.source, inst.lanes.target] = inst.lanes.transit
    days[np.arange(n_loc), np.arange(n_loc)] = 0
    return days
