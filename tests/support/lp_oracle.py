"""The largest total fill any allocation can reach, by linear programming (SPEC §3–4).

The greedy claims its total fill is the maximum possible in the nested case; this module is
the independent judge. Eligibility is worked out here with a pandas merge, not with the
reference's loops, so that a slip in one is not silently repeated in the other.

>>> import pandas as pd
>>> inv = pd.DataFrame({"item": ["A"], "lot": ["L1"], "qty": [5], "shelf_life": [10]})
>>> dem = pd.DataFrame({"item": ["A"], "qty": [7], "requirement": [0]})
>>> max_fill(inv, dem)
5.0
"""

from __future__ import annotations

import warnings

import pandas as pd
import pulp

from consumption import constants as c

LOT_ROW = "lot_row"
LINE_ROW = "line_row"


def with_location(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with a location column; "" for all rows when the input has none (one location)."""
    frame = frame.reset_index(drop=True).copy()
    if c.LOCATION not in frame.columns:
        frame[c.LOCATION] = ""
    frame[c.ITEM] = frame[c.ITEM].astype(str)
    frame[c.LOCATION] = frame[c.LOCATION].astype(str)
    return frame


def eligible_pairs(inventory: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """(lot row, line row) pairs that SPEC §2 allows: same item and location, shelf life >= 0
    and >= the line's requirement."""
    lots = with_location(inventory).rename_axis(LOT_ROW).reset_index()
    lines = with_location(demand).rename_axis(LINE_ROW).reset_index()
    if c.REQUIREMENT not in lines.columns:
        lines[c.REQUIREMENT] = 0
    pairs = lots[[LOT_ROW, c.ITEM, c.LOCATION, c.SHELF_LIFE]].merge(
        lines[[LINE_ROW, c.ITEM, c.LOCATION, c.REQUIREMENT]], on=[c.ITEM, c.LOCATION]
    )
    keep = (pairs[c.SHELF_LIFE] >= 0) & (pairs[c.SHELF_LIFE] >= pairs[c.REQUIREMENT])
    return pairs.loc[keep, [LOT_ROW, LINE_ROW]]


def bundled_cbc() -> pulp.LpSolver:
    """The CBC that PuLP 3.x bundles; its PuLP 4 deprecation notice is silenced because the
    project pins ``pulp<4`` precisely to keep this solver (SPEC §4)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False)


def max_fill(
    inventory: pd.DataFrame, demand: pd.DataFrame, solver: pulp.LpSolver | None = None
) -> float:
    """Maximum total fill over all allocations that respect eligibility, lot stock and line qty.

    Solved with CBC unless ``solver`` says otherwise; anything but an optimal status fails,
    because a non-optimal objective would make every comparison meaningless.
    """
    pairs = eligible_pairs(inventory, demand)
    if pairs.empty:
        return 0.0  # nothing to decide; some solvers refuse a model without variables
    model = pulp.LpProblem("max_fill", pulp.LpMaximize)
    x = {
        (i, j): model.add_variable(f"x_{i}_{j}", lowBound=0)
        for i, j in zip(pairs[LOT_ROW], pairs[LINE_ROW], strict=True)
    }
    model += pulp.lpSum(x.values())
    for i in pairs[LOT_ROW].unique():
        model += pulp.lpSum(v for (lot, _), v in x.items() if lot == i) <= float(
            inventory[c.QTY].iloc[i]
        )
    for j in pairs[LINE_ROW].unique():
        model += pulp.lpSum(v for (_, line), v in x.items() if line == j) <= float(
            demand[c.QTY].iloc[j]
        )
    model.solve(solver or bundled_cbc())
    status = pulp.LpStatus[model.status]
    assert status == "Optimal", f"LP status {status}"
    return float(pulp.value(model.objective) or 0.0)


def max_fill_highs(inventory: pd.DataFrame, demand: pd.DataFrame) -> float:
    """``max_fill`` solved with HiGHS (through highspy), a second solver as a cross-check."""
    return max_fill(inventory, demand, solver=pulp.HiGHS(msg=False))
