"""Facts derived from an allocation: per lot its requirement considered, status and reason;
per demand line why it went short."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import constants as C
from .instance import Instance
from .kernel import search_groups
from .segments import run_starts


def requirement_considered(inst: Instance) -> np.ndarray:
    """Largest requirement among the lines each lot is eligible for; -1 when none.

    With the group's lines sorted by requirement, the last one at or below the
    lot's key is the strictest requirement the lot still satisfies.
    """
    considered = np.full(inst.n_lots, -1, dtype=np.int64)
    if inst.n_lines == 0:
        return considered
    by_requirement = np.lexsort((inst.line_requirement, inst.line_group))
    group = inst.line_group[by_requirement]
    requirement = inst.line_requirement[by_requirement]
    at = search_groups(group, requirement, inst.lot_group, inst.lot_key, side="right") - 1
    # ``at`` never leaves the lot's group, so stepping back from the group's first
    # line lands before it: on the previous group or at -1.
    found = (at >= 0) & ~inst.lot_expired
    found[found] = group[at[found]] == inst.lot_group[found]
    considered[found] = requirement[at[found]]
    return considered


STATUSES = (C.STATUS_CONSUMED, C.STATUS_PARTIAL, C.STATUS_UNCONSUMED)
REASONS = ("", *C.REASONS)


def statuses(qty: np.ndarray, consumed: np.ndarray) -> pd.Categorical:
    """``consumed`` if nothing is left, ``unconsumed`` if nothing was taken, else ``partial``."""
    code = np.select([consumed == 0, consumed == qty], [2, 0], default=1).astype(np.int8)
    return pd.Categorical.from_codes(code, categories=STATUSES)


def reasons(inst: Instance, remaining: np.ndarray, considered: np.ndarray) -> pd.Categorical:
    """Why stock is left on each lot (SPEC §6); empty where nothing is left.

    The first reason that applies wins: a lot that is expired is reported as
    expired even if it also has no demand.
    """
    has_demand = np.isin(inst.lot_group, inst.line_group)
    code = np.select(
        [inst.lot_expired, ~has_demand, considered < 0],
        [
            REASONS.index(C.REASON_EXPIRED),
            REASONS.index(C.REASON_NO_DEMAND),
            REASONS.index(C.REASON_STRANDED),
        ],
        default=REASONS.index(C.REASON_EXCESS),
    )
    code = np.where(remaining > 0, code, 0).astype(np.int8)
    return pd.Categorical.from_codes(code, categories=REASONS)


SHORT_REASONS = ("", *C.SHORT_REASONS)


def short_reasons(inst: Instance, filled: np.ndarray) -> pd.Categorical:
    """Why each short line is short; empty for lines filled in full.

    ``no_inventory``: no stock of the item at the line's location;
    ``shelf_life``: stock, but none of it meets the requirement (or it expired);
    ``exhausted``: eligible stock existed, and lines served before took it.
    """
    code = np.full(inst.n_lines, SHORT_REASONS.index(C.SHORT_NO_INVENTORY), dtype=np.int8)
    if inst.n_lots:
        starts = run_starts(inst.lot_group)
        groups = inst.lot_group[starts]
        usable = (inst.lot_qty > 0) & ~inst.lot_expired
        stock = np.add.reduceat(inst.lot_qty, starts)
        longest = np.maximum.reduceat(
            np.where(usable, inst.lot_key, np.iinfo(np.int64).min), starts
        )
        at = np.minimum(np.searchsorted(groups, inst.line_group), len(groups) - 1)
        stocked = (groups[at] == inst.line_group) & (stock[at] > 0)
        meets = stocked & (longest[at] >= inst.line_requirement)
        code[stocked] = SHORT_REASONS.index(C.SHORT_SHELF_LIFE)
        code[meets] = SHORT_REASONS.index(C.SHORT_EXHAUSTED)
    code[filled >= inst.line_qty] = 0
    return pd.Categorical.from_codes(code, categories=SHORT_REASONS)
