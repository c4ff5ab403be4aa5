"""The forum table and its long form, ``remaining_demand.csv``.

"remaining R demand" of a lot is the requirement-R demand of the lot's
(item, location) still open once every lot up to its rank has given what the
allocation takes from it: the quantity a RANKCUMULATE chain per shelf-life
rule computes in the Anaplan model this replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from consumption import constants as C
from consumption.engine.keys import KeyLayout
from consumption.engine.model import Allocation, Instance
from consumption.engine.quantities import quantity
from consumption.engine.runs import cumsum_within, expand

FORUM_HEADERS = {
    C.ITEM: "item",
    C.LOCATION: "location",
    C.LOT: "Lot",
    C.SHELF_LIFE: "Lot Shelf Life",
    C.RANK: "Lot Rank",
    C.QTY: "Lot Qty",
    C.REQUIREMENT_CONSIDERED: "Shelf life requirement considered",
    C.CONSUMED: "consumed qty",
    C.REMAINING: "remaining qty",
}


def remaining_header(requirement: int) -> str:
    return f"remaining {requirement} demand"


@dataclass(frozen=True)
class RemainingDemand:
    """One row per (lot, requirement of the lot's group), in lot then requirement order."""

    lot: np.ndarray  # index into the instance's lots
    requirement: np.ndarray
    remaining: np.ndarray  # scaled quantity


def remaining_demand_arrays(inst: Instance, alloc: Allocation) -> RemainingDemand:
    """Remaining demand per lot and requirement, from sorted arrays and prefix sums."""
    by_requirement = KeyLayout.covering(inst.line_group, inst.line_requirement)
    pairs, pair_of_line = np.unique(
        by_requirement.pack(inst.line_group, inst.line_requirement), return_inverse=True
    )
    totals = np.zeros(len(pairs), dtype=np.int64)
    np.add.at(totals, pair_of_line, inst.line_qty)
    pair_group, pair_requirement = by_requirement.unpack(pairs)

    # Rows: each lot once per requirement of its group.
    first = np.searchsorted(pair_group, inst.lot_group, side="left")
    count = np.searchsorted(pair_group, inst.lot_group, side="right") - first
    row_lot, row_pair = expand(first, count)

    # Given so far to each requirement, cumulated along the lots' rank order
    # (lot indices grow with rank inside a group).
    # Only what a location's own lots give counts here; lines filled through a
    # lane keep showing as open at their location.
    own = inst.lot_group[alloc.pair_lot] == inst.line_group[alloc.pair_line]
    by_lot = KeyLayout.of_ranges((0, max(len(pairs) - 1, 0)), (0, max(inst.n_lots - 1, 0)))
    key = by_lot.pack(pair_of_line[alloc.pair_line[own]], alloc.pair_lot[own])
    order = np.argsort(key, kind="stable")
    key = key[order]
    key_pair = by_lot.unpack(key)[0]
    given = cumsum_within(alloc.pair_qty[own][order], key_pair)
    at = np.searchsorted(key, by_lot.pack(row_pair, row_lot), side="right") - 1
    valid = at >= 0
    valid[valid] = key_pair[at[valid]] == row_pair[valid]
    before = np.zeros(len(at), dtype=np.int64)
    before[valid] = given[at[valid]]
    return RemainingDemand(row_lot, pair_requirement[row_pair], totals[row_pair] - before)


def remaining_demand(inst: Instance, rd: RemainingDemand, lots: pd.DataFrame) -> pd.DataFrame:
    """``remaining_demand.csv``: item, location, lot, rank, requirement, remaining demand."""
    frame = lots[[C.ITEM, C.LOCATION, C.LOT, C.RANK]].iloc[rd.lot].reset_index(drop=True)
    frame[C.REQUIREMENT] = rd.requirement
    frame[C.REMAINING_DEMAND] = quantity(rd.remaining, inst.decimals)
    return frame


def forum_table(inst: Instance, rd: RemainingDemand, lots: pd.DataFrame) -> pd.DataFrame:
    """The forum's own layout: lots in rank order and one column per requirement."""
    columns = [c for c in FORUM_HEADERS if c != C.LOCATION or inst.has_location]
    table = lots[columns].rename(columns=FORUM_HEADERS).reset_index(drop=True)
    requirements, column = np.unique(rd.requirement, return_inverse=True)
    wide = np.zeros((len(lots), len(requirements)), dtype=np.int64)
    wide[rd.lot, column] = rd.remaining
    for j, requirement in enumerate(requirements):
        table[remaining_header(int(requirement))] = quantity(wide[:, j], inst.decimals)
    return table
