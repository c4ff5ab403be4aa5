"""The pair model as a ``pulp.LpProblem``, for planners who add their own constraints.

``pulp_problem(inst)`` builds the same variables, caps and objective as the
array path of :mod:`consumption.lp.model` (every block, one problem: blocks
share no lot or line, so their sum has the same optima), with quantities in
the user's units. A variable's objective coefficient is the array path's
divided by its block's unit, so the objective value is the array path's.
PuLP makes a Python object per variable and per row: this is the modelling
route, measured in ``benchmarks/``, not the fast one.

>>> import pandas as pd
>>> from consumption.api import instance
>>> inv = pd.DataFrame({"item": ["A", "A"], "lot": ["1", "2"], "qty": [5, 7],
...                     "shelf_life": [300, 200]})
>>> model = pulp_problem(instance(inv, pd.DataFrame({"item": ["A"], "qty": [4]})))
>>> len(model.variables), model.lot_id(0)
(2, '2')
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pulp

from consumption import constants as C
from consumption.engine.model import Allocation, Instance
from consumption.lp import model as lp


@dataclass
class PulpModel:
    """The problem and the map from its variables back to lots and demand lines.

    Variable ``k`` is what lot ``lot[k]`` (the instance's rank order) gives the
    demand class ``demand_class[k]``; the lines of class ``c`` are
    ``np.flatnonzero(line_class == c)``, served in file order.
    """

    problem: pulp.LpProblem
    variables: list[pulp.LpVariable]
    lot: np.ndarray
    demand_class: np.ndarray
    line_class: np.ndarray
    inst: Instance
    classes: lp.Classes

    def lot_id(self, k: int) -> str:
        return str(self.inst.lot_id[int(self.lot[k])])

    def lines(self, k: int) -> np.ndarray:
        """The demand lines (file order) variable ``k`` can serve."""
        return np.flatnonzero(self.line_class == self.demand_class[k])

    def allocation(self) -> Allocation:
        """The solved values as an Allocation (what every engine returns)."""
        values = np.array([v.value() or 0.0 for v in self.variables], dtype=np.float64)
        qty = np.rint(values * 10**self.inst.decimals).astype(np.int64)
        keep = qty > 0
        return lp.to_allocation(
            self.inst, self.classes, self.lot[keep], self.demand_class[keep], qty[keep]
        )


def pulp_problem(inst: Instance, solver: str = C.SOLVER_CBC) -> PulpModel:
    """The LP of ``inst`` as a PuLP model (build ``inst`` with ``consumption.api.instance``).

    ``solver`` only picks the block size the variables are grouped by, which
    fixes each block's ``M`` as the array path with that solver has it.
    """
    classes = lp.demand_classes(inst)
    triples = lp.eligible_ranges(inst, classes)
    blocks = lp.block_bounds(triples, lp.BLOCK_VARIABLES[solver])
    unit = 10.0**-inst.decimals
    lots, cls, upper_cost, supply, demand = [], [], [], [], []
    for lo, hi in itertools.pairwise(blocks):
        lot, klass, block, scale = lp.build_block(inst, classes, lp._select(triples, lo, hi))
        lots.append(lot)
        cls.append(klass)
        upper_cost.append(block.cost / (scale * unit))
        supply.append(lot)
        demand.append(klass)
    lot_of = np.concatenate(lots) if lots else np.zeros(0, dtype=np.int64)
    cls_of = np.concatenate(cls) if cls else np.zeros(0, dtype=np.int64)
    cost = np.concatenate(upper_cost) if upper_cost else np.zeros(0)
    problem = pulp.LpProblem("consumption", pulp.LpMaximize)
    variables = [problem.add_variable(f"x{k}", lowBound=0) for k in range(len(cost))]
    problem += pulp.lpDot(cost.tolist(), variables)
    # One row per lot and per class that has a variable: grouped by sorting, not by search.
    for name, rows, caps in (("lot", lot_of, inst.lot_qty), ("class", cls_of, classes.qty)):
        if len(rows) == 0:
            continue
        order = np.argsort(rows, kind="stable")
        keys, starts = np.unique(rows[order], return_index=True)
        for key, members in zip(keys, np.split(order, starts[1:]), strict=True):
            problem += (
                pulp.lpSum(variables[k] for k in members) <= float(caps[key]) * unit,
                f"{name}{key}",
            )
    return PulpModel(problem, variables, lot_of, cls_of, classes.of_line, inst, classes)
