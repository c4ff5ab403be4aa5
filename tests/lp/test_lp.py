"""The LP engine: optimality against independent oracles, feasibility, solvers.

* Without dates and lanes eligible sets are nested, so the greedy's fill is the most
  possible: the LP must reach exactly the PuLP max-fill oracle of ``lp_oracle.py`` and the
  greedy's weighted fill (``greedy_optimal``).
* With receipts, lanes and priorities the LP must reach the weighted optimum of a second,
  deliberately plain model built here from all (lot, line) pairs, and it can only beat the
  greedy, never trail it.
* Every LP allocation passes ``invariants.check`` (eligibility, caps, conservation), also
  when a solver stops early with a fractional or infeasible point.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
import pytest
from hypothesis import given, settings
from support.cli import SCENARIOS
from support.lp_oracle import bundled_cbc, max_fill
from support.strategies import Instance, dated_problems, problems

import consumption
import consumption.lp
from consumption import constants as c
from consumption.api import instance as encode
from consumption.cli import main
from consumption.engine import invariants
from consumption.engine.greedy import allocate_greedy
from consumption.engine.routes import lane_transit
from consumption.errors import SolverError, UsageError
from consumption.lp import model as lp
from consumption.lp import solvers
from consumption.outputs.compare import compare

SOLVERS = [c.SOLVER_CBC, c.SOLVER_HIGHS]
# CBC starts a process per solve (the engine's and the oracles'): fewer examples keep the
# file at a few seconds.
FEW = settings(max_examples=40)
ORACLE = settings(max_examples=60)


def encoded(instance: Instance) -> consumption.engine.model.Instance:
    day0 = None if instance.as_of is None else np.datetime64(str(instance.as_of), "D")
    return encode(instance.inventory, instance.demand, instance.lanes, day0)


def weighted_optimum(inst: consumption.engine.model.Instance) -> float:
    """The LP optimum of weighted fill, from every (lot, line) pair checked by the rule of
    SPEC §2 as invariants.py states it: no ranges, no classes, no blocks."""
    lot, line = (a.ravel() for a in np.meshgrid(np.arange(inst.n_lots), np.arange(inst.n_lines)))
    transit = lane_transit(inst)[inst.lot_location[lot], inst.line_location[line]]
    delivery = np.maximum(inst.line_due[line], transit)
    ok = (
        (inst.lot_item[lot] == inst.line_item[line])
        & (transit >= 0)
        & (inst.lot_key[lot] >= delivery + inst.line_requirement[line])
        & (inst.lot_avail[lot] <= delivery - transit)
        & ~inst.lot_expired[lot]
    )
    lot, line = lot[ok], line[ok]
    if len(lot) == 0:
        return 0.0
    weight = lp.line_weights(inst)
    model = pulp.LpProblem("weighted_fill", pulp.LpMaximize)
    x = [model.add_variable(f"x{k}", lowBound=0) for k in range(len(lot))]
    model += pulp.lpSum(float(weight[j]) * v for j, v in zip(line, x, strict=True))
    for rows, caps in ((lot, inst.lot_qty), (line, inst.line_qty)):
        for r in np.unique(rows):
            model += pulp.lpSum(x[k] for k in np.flatnonzero(rows == r)) <= float(caps[r])
    model.solve(bundled_cbc())
    assert pulp.LpStatus[model.status] == "Optimal"
    return float(pulp.value(model.objective) or 0.0)


# --- the worked example -------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_forum_example_is_solved_like_the_greedy(solver: str) -> None:
    inv = pd.DataFrame(
        {"item": ["A"] * 3, "lot": ["1234", "5678", "9876"], "qty": [500, 600, 7000],
         "shelf_life": [190, 211, 345]}
    )  # fmt: skip
    dem = pd.DataFrame({"item": ["A", "A"], "qty": [450, 3000], "requirement": [180, 270]})
    result = consumption.allocate(inv, dem, engine=c.ENGINE_LP, solver=solver)
    # FEFO among the optimal allocations: lot 5678 gives nothing, as in the forum table.
    assert result.lots[c.CONSUMED].tolist() == [450, 0, 3000]
    assert result.summary["lp"]["status"] == c.LP_OPTIMAL
    assert result.summary["run"]["engine"] == c.ENGINE_LP
    assert result.summary["run"]["solver"] == solver
    assert result.summary["counts"]["passes"] == 0


# --- nested instances: the greedy is optimal ----------------------------------------------


@ORACLE
@given(problems())
def test_nested_lp_fill_is_the_oracle_maximum_and_the_greedy_total(problem) -> None:
    inventory, demand = problem
    inst = encode(inventory, demand)
    alloc, report = lp.allocate_lp(inst, c.SOLVER_HIGHS)
    invariants.check(inst, alloc)
    greedy = allocate_greedy(inst)
    assert report.status == c.LP_OPTIMAL
    assert alloc.filled.sum() == greedy.filled.sum()
    # Greedy fills each priority class to the most first: optimal for any falling weights.
    assert report.weighted_fill == lp.weighted_fill(inst, greedy.filled)
    assert alloc.filled.sum() / 10**inst.decimals == pytest.approx(
        max_fill(inventory, demand), abs=1e-6
    )


@FEW
@given(problems())
def test_nested_verdict_with_cbc(problem) -> None:
    comparison = compare(*problem)
    assert comparison.report["greedy_optimal"] is True
    assert comparison.report["lp"]["filled"] == comparison.report["greedy"]["filled"]


# --- dated instances: receipts, lanes, priorities ------------------------------------------


@ORACLE
@given(dated_problems())
def test_lp_reaches_the_weighted_optimum_and_never_trails_the_greedy(instance) -> None:
    inst = encoded(instance)
    alloc, report = lp.allocate_lp(inst, c.SOLVER_HIGHS)
    invariants.check(inst, alloc)
    assert report.status == c.LP_OPTIMAL
    assert report.weighted_fill == pytest.approx(weighted_optimum(inst), abs=1e-6)
    greedy = allocate_greedy(inst)
    assert report.weighted_fill >= lp.weighted_fill(inst, greedy.filled)
    # A weighted optimum is a maximum fill too: an augmenting path adds a unit to one line.
    assert alloc.filled.sum() >= greedy.filled.sum()


@FEW
@given(dated_problems())
def test_cbc_and_highs_agree_on_the_objective(instance) -> None:
    inst = encoded(instance)
    by = {s: lp.allocate_lp(inst, s) for s in SOLVERS}
    fills = {s: r.weighted_fill for s, (_, r) in by.items()}
    assert fills[c.SOLVER_CBC] == fills[c.SOLVER_HIGHS]
    penalty = {s: _penalty(inst, a) for s, (a, _) in by.items()}
    assert penalty[c.SOLVER_CBC] == pytest.approx(penalty[c.SOLVER_HIGHS], rel=1e-6, abs=1e-6)


def _penalty(inst, alloc) -> float:
    """Shelf life given away beyond the requirement, in lot-days: what FEFO minimizes next.

    Without lanes and with one route rank only this is the whole secondary objective up
    to scale; with lanes it still must agree, since both solvers reach the same optimum."""
    transit = lane_transit(inst)[
        inst.lot_location[alloc.pair_lot], inst.line_location[alloc.pair_line]
    ]
    threshold = (
        np.maximum(inst.line_due[alloc.pair_line], transit) + inst.line_requirement[alloc.pair_line]
    )
    return float(((inst.lot_key[alloc.pair_lot] - threshold) * alloc.pair_qty).sum())


@settings(max_examples=60)
@given(dated_problems())
def test_blocks_do_not_change_the_answer(instance) -> None:
    inst = encoded(instance)
    whole = lp.allocate_lp(inst, c.SOLVER_HIGHS)[1].weighted_fill
    saved = dict(lp.BLOCK_VARIABLES)
    try:
        lp.BLOCK_VARIABLES[c.SOLVER_HIGHS] = 1  # every unit its own block
        alloc, report = lp.allocate_lp(inst, c.SOLVER_HIGHS)
    finally:
        lp.BLOCK_VARIABLES.update(saved)
    invariants.check(inst, alloc)
    assert report.weighted_fill == whole


def test_receipt_makes_the_lp_fill_more() -> None:
    # The 90-day line ships late and could wait for the receipt; FEFO gives it the only lot
    # on hand, which the 180-day line shipping now needed.
    inv = pd.DataFrame(
        {"item": ["A", "A"], "lot": ["old", "new"], "qty": [6, 8],
         "shelf_life": [227, 355], "available_date": [None, "2026-03-16"]}
    )  # fmt: skip
    dem = pd.DataFrame(
        {"item": ["A", "A"], "qty": [6, 5], "requirement": [90, 180],
         "due_date": ["2026-03-30", "2026-03-04"]}
    )  # fmt: skip
    greedy = consumption.allocate(inv, dem, as_of="2026-03-02")
    optimum = consumption.allocate(inv, dem, as_of="2026-03-02", engine=c.ENGINE_LP)
    assert greedy.demand[c.FILLED].tolist() == [6, 0]
    assert optimum.demand[c.FILLED].tolist() == [6, 5]
    # Shortest-dated first among optima: "old" is emptied, 3 of "new" stay.
    assert optimum.lots.set_index(c.LOT)[c.CONSUMED].to_dict() == {"old": 6, "new": 5}


def test_own_location_is_preferred_to_a_lane() -> None:
    inv = pd.DataFrame(
        {"item": ["A", "A"], "location": ["X", "Y"], "lot": ["x", "y"], "qty": [5, 5],
         "shelf_life": [100, 100]}
    )  # fmt: skip
    dem = pd.DataFrame({"item": ["A"], "location": ["X"], "qty": [5], "requirement": [10]})
    lanes = pd.DataFrame({"from_location": ["Y"], "to_location": ["X"], "transit_days": [0],
                          "rank": [1]})  # fmt: skip
    result = consumption.allocate(inv, dem, lanes=lanes, engine=c.ENGINE_LP)
    assert result.allocations[c.LOT].tolist() == ["x"]


def test_a_class_is_shared_among_its_lines_in_file_order() -> None:
    inv = pd.DataFrame({"item": ["A"], "lot": ["1"], "qty": [7], "shelf_life": [50]})
    dem = pd.DataFrame({"item": ["A"] * 3, "qty": [4, 4, 4], "requirement": [10, 10, 10]})
    result = consumption.allocate(inv, dem, engine=c.ENGINE_LP)
    assert result.demand[c.FILLED].tolist() == [4, 3, 0]
    assert result.summary["lp"]["demand_classes"] == 1


def test_fractional_quantities_come_back_exact() -> None:
    inv = pd.DataFrame({"item": ["A", "A"], "lot": ["1", "2"], "qty": [0.125, 2.5],
                        "shelf_life": [10, 20]})  # fmt: skip
    dem = pd.DataFrame({"item": ["A", "A"], "qty": [1.375, 5.0], "requirement": [5, 15]})
    for solver in SOLVERS:
        result = consumption.allocate(inv, dem, engine=c.ENGINE_LP, solver=solver)
        assert result.demand[c.FILLED].tolist() == [0.125, 2.5]


# --- rounding and early stops --------------------------------------------------------------


def test_a_fractional_infeasible_point_is_made_whole_and_feasible() -> None:
    block = solvers.Block(
        supply_row=np.array([0, 0, 1]),
        demand_row=np.array([0, 1, 1]),
        cost=np.ones(3),
        supply_cap=np.array([5, 3]),
        demand_cap=np.array([4, 4]),
    )
    qty, dropped = lp.whole_solution(np.array([2.6, 3.0000000001, 3.4]), block)
    assert (qty >= 0).all()
    assert (np.bincount(block.supply_row, qty, 2) <= block.supply_cap).all()
    assert (np.bincount(block.demand_row, qty, 2) <= block.demand_cap).all()
    assert dropped == 2 + 3 + 3 - int(qty.sum())


def test_a_stopped_solver_is_reported_and_its_point_repaired(monkeypatch, tmp_path: Path) -> None:
    def stopped(block: solvers.Block, solver: str, limit: float | None) -> solvers.BlockSolution:
        x = np.full(block.n_vars, 1.7) * block.supply_cap[block.supply_row]  # too much
        return solvers.BlockSolution(x, c.LP_TIME_LIMIT, 0.0, 0.0)

    monkeypatch.setattr(lp.solvers, "solve", stopped)
    inv = tmp_path / "inv.csv"
    inv.write_text("item,lot,qty,shelf_life\nA,1,5,100\nA,2,5,200\n")
    dem = tmp_path / "dem.csv"
    dem.write_text("item,qty,requirement\nA,4,50\nA,9,150\n")
    out = tmp_path / "out"
    code = main(["run", str(inv), str(dem), "--engine", "lp", "--time-limit", "1", "--out",
                 str(out)])  # fmt: skip
    assert code == c.EXIT_OK
    summary = json.loads((out / c.SUMMARY_FILE).read_text())
    assert summary["lp"]["status"] == c.LP_TIME_LIMIT
    assert summary["lp"]["rounded"] > 0
    assert summary["totals"]["filled"] <= 10


def test_time_limit_reaches_the_solvers() -> None:
    inst = encode(
        pd.DataFrame({"item": ["A"], "lot": ["1"], "qty": [5], "shelf_life": [9]}),
        pd.DataFrame({"item": ["A"], "qty": [3]}),
    )
    for solver in SOLVERS:
        alloc, report = lp.allocate_lp(inst, solver, time_limit=30)
        assert report.status == c.LP_OPTIMAL and alloc.filled.tolist() == [3]


# --- options, messages, the command line ---------------------------------------------------


def test_missing_highspy_is_a_usage_error_with_the_fix(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "highspy", None)
    with pytest.raises(UsageError, match=r"consumption\[highs\]"):
        solvers.check_available(c.SOLVER_HIGHS)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"solver": "highs"}, "add engine='lp'"),
        ({"engine": "lp", "solver": "gurobi"}, "use one of: cbc, highs"),
        ({"engine": "lp", "time_limit": 0}, "above 0"),
    ],
)
def test_bad_lp_options(options: dict, message: str) -> None:
    inv = pd.DataFrame({"item": ["A"], "lot": ["1"], "qty": [5], "shelf_life": [9]})
    dem = pd.DataFrame({"item": ["A"], "qty": [3]})
    with pytest.raises(UsageError, match=message):
        consumption.allocate(inv, dem, **options)


def test_run_engine_lp_writes_the_same_files(tmp_path: Path, capsys) -> None:
    scenario = SCENARIOS / "regional-network"
    outs = {}
    for engine in c.ENGINES:
        outs[engine] = tmp_path / engine
        args = ["run", str(scenario), "--engine", engine, "--out", str(outs[engine])]
        assert main(args) == c.EXIT_OK
    printed = capsys.readouterr().out
    assert "LP (cbc): optimal" in printed
    names = {e: sorted(p.name for p in o.iterdir()) for e, o in outs.items()}
    assert names[c.ENGINE_GREEDY] == names[c.ENGINE_LP]
    for out in outs.values():
        lots = pd.read_csv(out / c.LOTS_FILE)
        allocations = pd.read_csv(out / c.ALLOCATIONS_FILE)
        demand = pd.read_csv(out / c.DEMAND_FILE)
        assert list(lots.columns) == list(c.LOTS_COLUMNS)
        assert lots[c.CONSUMED].sum() == allocations[c.QTY].sum() == demand[c.FILLED].sum()
    summary = {e: json.loads((o / c.SUMMARY_FILE).read_text()) for e, o in outs.items()}
    # Nested (no dates, no lanes): the same total, whichever engine.
    assert summary[c.ENGINE_LP]["totals"]["filled"] == summary[c.ENGINE_GREEDY]["totals"]["filled"]
    model = summary[c.ENGINE_LP]["lp"]
    assert model["variables"] > 0 and model["constraints"] > 0 and model["blocks"] >= 1
    assert summary[c.ENGINE_LP]["run"]["solver"] == c.SOLVER_CBC


def test_solver_without_lp_engine_exits_2(tmp_path: Path, capsys) -> None:
    scenario = SCENARIOS / "forum-example"
    code = main(["run", str(scenario), "--solver", "highs", "--out", str(tmp_path)])
    assert code == c.EXIT_BAD_INPUT
    assert "--engine lp" in capsys.readouterr().err


def test_progress_line_over_blocks(monkeypatch, capsys) -> None:
    monkeypatch.setitem(lp.BLOCK_VARIABLES, c.SOLVER_HIGHS, 1)
    inv = pd.DataFrame({"item": ["A", "B", "C"], "lot": ["1", "2", "3"], "qty": [5, 5, 5],
                        "shelf_life": [9, 9, 9]})  # fmt: skip
    dem = pd.DataFrame({"item": ["A", "B", "C"], "qty": [3, 3, 3]})
    inst = encode(inv, dem)
    lp.allocate_lp(inst, c.SOLVER_HIGHS, progress=True)
    assert "LP block 3/3" in capsys.readouterr().err
    lp.allocate_lp(inst, c.SOLVER_HIGHS)  # not a terminal: silent
    assert capsys.readouterr().err == ""


# --- never below the greedy ----------------------------------------------------------------


def _receipt_and_plain_items() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Item A: the LP fills 5 more than the greedy (a receipt); item B: both fill all."""
    inv = pd.DataFrame(
        {"item": ["A", "A", "B"], "lot": ["old", "new", "b"], "qty": [6, 8, 4],
         "shelf_life": [227, 355, 300], "available_date": [None, "2026-03-16", None]}
    )  # fmt: skip
    dem = pd.DataFrame(
        {"item": ["A", "A", "B"], "qty": [6, 5, 3], "requirement": [90, 180, 10],
         "due_date": ["2026-03-30", "2026-03-04", "2026-03-04"]}
    )  # fmt: skip
    return inv, dem


def test_a_stopped_block_that_trails_keeps_the_greedys_plan(monkeypatch) -> None:
    inv, dem = _receipt_and_plain_items()
    inst = encode(inv, dem, as_of=np.datetime64("2026-03-02"))
    real = solvers.solve
    calls: list[int] = []

    def first_stops_empty(block, solver, limit):
        calls.append(block.n_vars)
        if len(calls) == 1:  # item A: a stop with nothing found
            return solvers.BlockSolution(np.zeros(block.n_vars), c.LP_TIME_LIMIT, 0.0, 0.0)
        return real(block, solver, limit)

    monkeypatch.setitem(lp.BLOCK_VARIABLES, c.SOLVER_HIGHS, 1)
    monkeypatch.setattr(lp.solvers, "solve", first_stops_empty)
    alloc, report = lp.allocate_lp(inst, c.SOLVER_HIGHS)
    invariants.check(inst, alloc)
    greedy = allocate_greedy(inst)
    assert report.plan == c.PLAN_MIXED and report.greedy_blocks == 1 and report.blocks == 2
    assert alloc.filled.tolist() == greedy.filled.tolist()
    assert report.weighted_fill == report.greedy_weighted_fill
    assert report.status == c.LP_TIME_LIMIT


def test_a_failing_solver_leaves_the_greedys_plan(monkeypatch) -> None:
    def fails(block, solver, limit):
        raise SolverError("the solver crashed")

    monkeypatch.setattr(lp.solvers, "solve", fails)
    inv, dem = _receipt_and_plain_items()
    inst = encode(inv, dem, as_of=np.datetime64("2026-03-02"))
    alloc, report = lp.allocate_lp(inst, c.SOLVER_HIGHS)
    greedy = allocate_greedy(inst)
    assert report.plan == c.PLAN_GREEDY and report.status == c.LP_NOT_SOLVED
    assert alloc.pair_qty.tolist() == greedy.pair_qty.tolist()
    assert alloc.pair_lot.tolist() == greedy.pair_lot.tolist()


@FEW
@given(dated_problems())
def test_no_time_limit_gives_a_plan_below_the_greedy(instance) -> None:
    inst = encoded(instance)
    greedy = lp.weighted_fill(inst, allocate_greedy(inst).filled)
    for limit in (1e-9, 1e-3):
        alloc, report = lp.allocate_lp(inst, c.SOLVER_HIGHS, time_limit=limit)
        invariants.check(inst, alloc)
        assert report.weighted_fill >= greedy == report.greedy_weighted_fill


def test_run_with_a_tiny_time_limit_writes_the_greedy_or_better(tmp_path: Path, capsys) -> None:
    # A budget spent before the first block: every block keeps the greedy's plan, and the
    # summary and the warning say so.
    scenario = SCENARIOS / "optimizer-wins"
    out = {e: tmp_path / e for e in c.ENGINES}
    assert main(["run", str(scenario), "--out", str(out[c.ENGINE_GREEDY])]) == c.EXIT_OK
    args = ["run", str(scenario), "--engine", "lp", "--time-limit", "1e-9", "--out",
            str(out[c.ENGINE_LP])]  # fmt: skip
    assert main(args) == c.EXIT_OK
    assert "written is the greedy's plan" in capsys.readouterr().err
    summary = {e: json.loads((o / c.SUMMARY_FILE).read_text()) for e, o in out.items()}
    model = summary[c.ENGINE_LP]["lp"]
    assert model["plan"] == c.PLAN_GREEDY and model["status"] == c.LP_TIME_LIMIT
    assert model["gain_over_greedy"] == 0
    assert summary[c.ENGINE_LP]["totals"]["filled"] == summary[c.ENGINE_GREEDY]["totals"]["filled"]


# --- the compact formulation against the pair model ----------------------------------------


@ORACLE
@given(dated_problems())
def test_compact_network_reaches_the_pair_models_optimum(instance) -> None:
    # The pair model is the oracle: the same objective (fill first, then give-away and
    # routes), so the same weighted fill and, with one route rank, the same give-away.
    inst = encoded(instance)
    by = {
        f: lp.allocate_lp(inst, c.SOLVER_HIGHS, formulation=f)
        for f in (c.FORMULATION_PAIR, c.FORMULATION_COMPACT)
    }
    pair, compact = by[c.FORMULATION_PAIR], by[c.FORMULATION_COMPACT]
    invariants.check(inst, compact[0])
    assert compact[1].status == c.LP_OPTIMAL
    assert compact[1].weighted_fill == pair[1].weighted_fill
    assert compact[1].objective == pytest.approx(pair[1].objective, rel=1e-9, abs=1e-6)
    if len(inst.lanes.ranks) == 1:
        assert _penalty(inst, compact[0]) == pytest.approx(_penalty(inst, pair[0]), abs=1e-6)


@FEW
@given(dated_problems(dates=False))
def test_cbc_solves_the_compact_network_like_highs(instance) -> None:
    inst = encoded(instance)
    by = {s: lp.allocate_lp(inst, s, formulation=c.FORMULATION_COMPACT)[1] for s in SOLVERS}
    assert by[c.SOLVER_CBC].weighted_fill == by[c.SOLVER_HIGHS].weighted_fill
    assert by[c.SOLVER_CBC].objective == pytest.approx(by[c.SOLVER_HIGHS].objective, rel=1e-9)


def test_compact_network_grows_with_lots_and_classes_not_pairs() -> None:
    # 200 lots and 50 thresholds in one group: 200 x 50 / 2 eligible pairs or so, and a
    # chain of 50 levels.
    rng = np.random.default_rng(7)
    inv = pd.DataFrame(
        {
            "item": "A",
            "lot": [str(i) for i in range(200)],
            "qty": rng.integers(1, 20, 200),
            "shelf_life": rng.integers(0, 500, 200),
        }
    )
    dem = pd.DataFrame({"item": "A", "qty": rng.integers(1, 30, 50),
                        "requirement": np.arange(50) * 10})  # fmt: skip
    inst = encode(inv, dem)
    pair = lp.allocate_lp(inst, c.SOLVER_HIGHS, formulation=c.FORMULATION_PAIR)[1]
    auto = lp.allocate_lp(inst, c.SOLVER_HIGHS)[1]
    assert auto.formulations == {c.FORMULATION_COMPACT: 1}
    assert auto.variables <= 200 + 2 * 50 and auto.constraints <= 2 * 50
    assert pair.variables > 10 * auto.variables
    assert auto.weighted_fill == pair.weighted_fill


def test_a_binding_receipt_is_served_by_the_time_layers(monkeypatch) -> None:
    monkeypatch.setitem(lp.BLOCK_VARIABLES, c.SOLVER_HIGHS, 1)  # one item per block
    inv, dem = _receipt_and_plain_items()
    inst = encode(inv, dem, as_of=np.datetime64("2026-03-02"))
    alloc, report = lp.allocate_lp(inst, c.SOLVER_HIGHS, formulation=c.FORMULATION_COMPACT)
    pair = lp.allocate_lp(inst, c.SOLVER_HIGHS, formulation=c.FORMULATION_PAIR)[1]
    # Item A's receipt binds, item B has none: both are compact networks now.
    assert report.formulations == {c.FORMULATION_COMPACT: 2}
    invariants.check(inst, alloc)
    assert report.weighted_fill == pair.weighted_fill
    assert report.weighted_fill > report.greedy_weighted_fill  # the receipt is used
    assert report.objective == pytest.approx(pair.objective, rel=1e-12)


# --- the PuLP model --------------------------------------------------------------------------


@FEW
@given(dated_problems())
def test_pulp_problem_reaches_the_array_paths_optimum(instance) -> None:
    inst = encoded(instance)
    report = lp.allocate_lp(inst, c.SOLVER_CBC, formulation=c.FORMULATION_PAIR)[1]
    model = consumption.lp.pulp_problem(inst)
    if not model.variables:
        assert report.weighted_fill == 0
        return
    model.problem.solve(bundled_cbc())
    assert pulp.LpStatus[model.problem.status] == "Optimal"
    assert pulp.value(model.problem.objective) == pytest.approx(report.objective, rel=1e-7)
    solved = model.allocation()
    invariants.check(inst, solved)
    assert lp.weighted_fill(inst, solved.filled) == report.weighted_fill
    for k in range(len(model.variables)):
        assert inst.lot_item[model.lot[k]] == inst.line_item[model.lines(k)[0]]
