"""The compact network with time layers (``lp/compact.py``) against the pair model.

The pair model (one variable per eligible lot, class and route) is the oracle: the same
objective, so the same weighted fill and the same objective value. The instances here
are the ones the pair model grows on: receipts that bind, many ship periods, many lots
alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.strategies import dated_problems

from consumption import constants as c
from consumption.api import instance as encode
from consumption.engine import invariants
from consumption.lp import compact
from consumption.lp import model as lp


def _both(inst, solver: str = c.SOLVER_HIGHS):
    return {
        f: lp.allocate_lp(inst, solver, formulation=f)
        for f in (c.FORMULATION_PAIR, c.FORMULATION_COMPACT)
    }


@settings(max_examples=80)
@given(dated_problems(dates=True, receipts=True))
def test_time_layers_reach_the_pair_models_optimum_when_receipts_bind(instance) -> None:
    day0 = np.datetime64(str(instance.as_of), "D")
    inst = encode(instance.inventory, instance.demand, instance.lanes, day0)
    by = _both(inst)
    (_, pair), (alloc, report) = by[c.FORMULATION_PAIR], by[c.FORMULATION_COMPACT]
    invariants.check(inst, alloc)
    assert report.status == c.LP_OPTIMAL
    assert report.weighted_fill == pair.weighted_fill
    assert report.objective == pytest.approx(pair.objective, rel=1e-9, abs=1e-6)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 40)), min_size=1, max_size=30),
    st.lists(st.tuples(st.integers(0, 2), st.integers(-5, 45)), min_size=0, max_size=30),
)
def test_each_lot_and_row_in_time_for_each_other_share_exactly_one_chain(rows, lots) -> None:
    # The cover of a lot's periods and a row's ancestors meet once when the lot is in time
    # for the row (available by its ship day), and never otherwise.
    row_group = np.array([g for g, _ in rows], dtype=np.int64)
    ship = np.array([d for _, d in rows], dtype=np.int64)
    lot_group = np.array([g for g, _ in lots], dtype=np.int64)
    avail = np.array([d for _, d in lots], dtype=np.int64)
    layers = compact._Layers.of(row_group, ship, lot_group, avail)
    row_at, row_chain, lot_at, lot_chain = layers.chains()
    for r in range(len(rows)):
        for s in range(len(lots)):
            shared = np.intersect1d(row_chain[row_at == r], lot_chain[lot_at == s])
            in_time = lot_group[s] == row_group[r] and avail[s] <= ship[r]
            assert len(shared) == int(in_time), (r, s)
    # At most one node per depth covers a lot, and a row is in one chain per depth.
    depth = layers.depth
    assert (np.bincount(lot_at, minlength=len(lots)) <= depth[lot_group] + 1).all()
    assert (np.bincount(row_at, minlength=len(rows)) == depth[row_group] + 1).all()


def _weekly(weeks: int, lots_per_week: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One item: receipts every week, demand every week with four requirements."""
    rng = np.random.default_rng(seed)
    n = weeks * lots_per_week
    start = np.datetime64("2026-12-01")
    arrive = start + 7 * rng.integers(0, weeks, n)
    inv = pd.DataFrame({
        "item": "A",
        "lot": [f"L{i:05d}" for i in range(n)],
        "qty": rng.integers(1, 50, n),
        "expiry_date": (arrive + rng.integers(120, 500, n)).astype(str),
        "available_date": np.where(rng.random(n) < 0.3, "", arrive.astype(str)),
    })  # fmt: skip
    m = weeks * 4
    dem = pd.DataFrame({
        "id": [f"D{i:04d}" for i in range(m)],
        "item": "A",
        "qty": rng.integers(10, 200, m),
        "requirement": np.tile([90, 180, 270, 365], weeks),
        "due_date": (start + 7 * np.repeat(np.arange(weeks), 4)).astype(str),
    })  # fmt: skip
    return inv, dem


@pytest.mark.parametrize("solver", [c.SOLVER_HIGHS, c.SOLVER_CBC])
def test_a_year_of_weeks_is_a_small_network_with_the_pair_models_optimum(solver) -> None:
    inv, dem = _weekly(weeks=52, lots_per_week=10, seed=3)
    inst = encode(inv, dem, as_of=np.datetime64("2026-12-01"))
    by = _both(inst, solver)
    (_, pair), (alloc, report) = by[c.FORMULATION_PAIR], by[c.FORMULATION_COMPACT]
    invariants.check(inst, alloc)
    assert report.formulations == {c.FORMULATION_COMPACT: 1}
    assert report.weighted_fill == pair.weighted_fill
    assert report.objective == pytest.approx(pair.objective, rel=1e-9)
    # 520 lots, 208 lines, 52 ship weeks: (lots + rows) x (depth + 1) at most, against a
    # pair model that grows like lots x weeks.
    depth = int(np.ceil(np.log2(52)))
    assert report.variables <= (2 * inst.n_lots + 2 * inst.n_lines) * (depth + 1)
    assert pair.variables > 5 * report.variables


def test_lots_alike_are_one_stock_and_are_served_in_rank_order() -> None:
    # Ten lots of the same key and day are one entry; the LP's take is handed out by rank
    # (lot id as text within the same expiry), as the greedy would.
    inv = pd.DataFrame({"item": "A", "lot": [f"L{i}" for i in range(10)], "qty": 5,
                        "shelf_life": 100})  # fmt: skip
    dem = pd.DataFrame({"item": "A", "qty": [12], "requirement": [50]})
    inst = encode(inv, dem)
    alloc, report = lp.allocate_lp(inst, c.SOLVER_HIGHS, formulation=c.FORMULATION_COMPACT)
    invariants.check(inst, alloc)
    assert report.variables == 2  # one entry arc, one class arc
    lots = inst.lot_id.to_pylist()
    assert [(lots[lot], int(q)) for lot, q in zip(alloc.pair_lot, alloc.pair_qty, strict=True)] == [
        ("L0", 5), ("L1", 5), ("L2", 2)
    ]  # fmt: skip
