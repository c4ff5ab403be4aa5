"""Per-lot facts derived from an allocation: requirement considered, status, reason."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import constants as C
from .instance import Instance
from .kernel import search_groups


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
