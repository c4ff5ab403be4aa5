"""The Python entry point: ``allocate`` inventory to demand and get a Result."""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import pandas as pd

from consumption import constants as C
from consumption.engine import invariants
from consumption.engine.encode import encode
from consumption.engine.greedy import allocate_greedy
from consumption.engine.model import Instance
from consumption.errors import UsageError, option
from consumption.io.prepare import check_inputs
from consumption.io.validate import coverage_warnings
from consumption.lp.model import allocate_lp
from consumption.outputs.result import Result, build_result


def allocate(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None = None,
    as_of: str | dt.date | None = None,
    order: str = C.ORDER_REQUIREMENT,
    engine: str = C.ENGINE_GREEDY,
    horizon_end: str | dt.date | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    progress: bool | None = None,
    prefer: str | None = None,
    mrsl: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
) -> Result:
    """Decide which lots serve which demand lines (SPEC §3) and return the result.

    ``inventory``, ``demand`` and ``lanes`` are frames from ``read_inventory``,
    ``read_demand`` and ``read_lanes``, or plain frames with the canonical
    column names. ``as_of`` is day 0 when the inputs hold dates;
    ``horizon_end`` bounds the expiry risk (default: the last due date).
    ``engine="lp"`` solves the LP of SPEC §4 instead of running the greedy:
    ``solver`` is ``"cbc"`` (default) or ``"highs"``, ``time_limit`` bounds the
    solve in seconds; the summary's ``lp`` entry says how the solve went.
    ``progress`` shows a progress line on stderr, counting greedy passes or LP
    blocks (None: on a terminal only, False: never). ``prefer`` (``"expiry"`` or
    ``"shelf_life"``) decides for lots that give both and disagree. Warnings
    (demand whose keys meet no inventory) are in ``summary["warnings"]``.
    ``mrsl`` (``read_mrsl``) gives the requirement of lines that carry none, by
    customer, item or item group; ``items`` (``read_items``) the item groups and
    the total shelf life that requirements such as ``75%`` are a share of.

    >>> inv = pd.DataFrame({"item": ["A"] * 3, "lot": ["1234", "5678", "9876"],
    ...                     "qty": [500, 600, 7000], "shelf_life": [190, 211, 345]})
    >>> dem = pd.DataFrame({"item": ["A", "A"], "qty": [450, 3000], "requirement": [180, 270]})
    >>> allocate(inv, dem).lots["consumed"].tolist()
    [450, 0, 3000]
    """
    _check_options(order, engine)
    _check_lp_options(engine, solver, time_limit)
    day0 = parse_day(as_of, "as_of")
    horizon = parse_day(horizon_end, "horizon_end")
    if horizon is not None and day0 is None:
        raise UsageError(f"{option('horizon_end')} needs {option('as_of')}")
    clock = time.perf_counter()
    checked = check_inputs(inventory, demand, lanes, day0, prefer, mrsl, items)
    inst = encode(checked.inventory, checked.demand, checked.lanes, day0, checked.decimals)
    warnings = [*checked.warnings, *coverage_warnings(inst)]
    encoded = time.perf_counter()
    lp_report = None
    # The lots' ids in rank order are only needed for the result frames: Arrow
    # gathers them without the GIL while the engine runs.
    with ThreadPoolExecutor(max_workers=1) as pool:
        ids = pool.submit(lambda: inst.lot_id)
        if engine == C.ENGINE_LP:
            solver = solver or C.SOLVER_CBC
            alloc, lp_report = allocate_lp(inst, solver, time_limit, progress)
        else:
            alloc = allocate_greedy(inst, order, progress)
        invariants.check(inst, alloc)
        ids.result()
    allocated = time.perf_counter()
    extra = {"mrsl": mrsl, "items": items}
    run = run_parameters(inventory, demand, lanes, order, engine, day0, horizon, extra)
    run["solver"] = solver
    timings = {"encode_s": round(encoded - clock, 6), "allocate_s": round(allocated - encoded, 6)}
    lp = None if lp_report is None else lp_report.as_dict(inst.decimals)
    return build_result(inst, alloc, checked.demand, run, horizon, lp, timings, warnings)


def instance(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None = None,
    as_of: str | dt.date | np.datetime64 | None = None,
    prefer: str | None = None,
    mrsl: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
) -> Instance:
    """The inputs checked by every rule and coded as arrays: what every engine reads.

    >>> inv = pd.DataFrame({"item": ["A", "A"], "lot": ["1", "2"], "qty": [5, 7],
    ...                     "shelf_life": [300, 200]})
    >>> instance(inv, pd.DataFrame({"item": ["A"], "qty": [4]})).lot_id.to_pylist()
    ['2', '1']
    """
    day0 = as_of if isinstance(as_of, np.datetime64) else parse_day(as_of, "as_of")
    checked = check_inputs(inventory, demand, lanes, day0, prefer, mrsl, items)
    return encode(checked.inventory, checked.demand, checked.lanes, day0, checked.decimals)


def check(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None = None,
    as_of: str | dt.date | None = None,
    prefer: str | None = None,
    mrsl: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
) -> list[dict[str, str]]:
    """Every rule a run applies, without allocating: raise on a problem, return the warnings.

    >>> inv = pd.DataFrame({"item": ["A"], "lot": ["1"], "qty": [5], "shelf_life": [9]})
    >>> [w["code"] for w in check(inv, pd.DataFrame({"item": ["a"], "qty": [4]}))]
    ['unmatched_demand']
    """
    day0 = parse_day(as_of, "as_of")
    checked = check_inputs(inventory, demand, lanes, day0, prefer, mrsl, items)
    inst = encode(checked.inventory, checked.demand, checked.lanes, day0, checked.decimals)
    return [*checked.warnings, *coverage_warnings(inst)]


def parse_day(value: str | dt.date | None, name: str) -> np.datetime64 | None:
    """An ISO date (or date object) as a numpy day, within the supported range.

    ``name`` is the option (``as_of``), named in a message as its reader knows it.
    """
    if value is None:
        return None
    try:
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        day = dt.date.fromisoformat(text)
    except ValueError as error:
        message = f"{option(name)} {value!r} is not a date; write it as YYYY-MM-DD"
        raise UsageError(message) from error
    if not C.FIRST_DATE <= day <= C.LAST_DATE:
        raise UsageError(
            f"{option(name)} {text} is outside the dates consumption takes "
            f"({C.FIRST_DATE} to {C.LAST_DATE}): check the year"
        )
    return np.datetime64(day, "D")


def _check_options(order: str, engine: str) -> None:
    if order not in C.ORDERS:
        raise UsageError(f"order {order!r} is not supported; use one of: {', '.join(C.ORDERS)}")
    if engine not in C.ENGINES:
        raise UsageError(f"engine {engine!r} is not supported; use one of: {', '.join(C.ENGINES)}")


def _check_lp_options(engine: str, solver: str | None, time_limit: float | None) -> None:
    if engine != C.ENGINE_LP and (solver is not None or time_limit is not None):
        raise UsageError(
            f"{option('solver')} and {option('time_limit')} apply to the LP; "
            f"add {option('engine', C.ENGINE_LP)}"
        )
    if solver is not None and solver not in C.SOLVERS:
        raise UsageError(f"solver {solver!r} is not supported; use one of: {', '.join(C.SOLVERS)}")
    if time_limit is not None and not time_limit > 0:
        raise UsageError(
            f"{option('time_limit')} {time_limit!r} must be a number of seconds above 0"
        )


def run_parameters(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None,
    order: str,
    engine: str,
    as_of: np.datetime64 | None,
    horizon_end: np.datetime64 | None,
    optional: dict[str, pd.DataFrame | None] | None = None,
) -> dict[str, Any]:
    """The run's parameters as recorded in ``summary.json``."""
    frames = {"inventory": inventory, "demand": demand}
    for name, frame in {"lanes": lanes, **(optional or {})}.items():
        if frame is not None:
            frames[name] = frame
    return {
        "version": _version(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of": None if as_of is None else str(as_of),
        "horizon_end": None if horizon_end is None else str(horizon_end),
        "order": order,
        "engine": engine,
        "solver": None,
        "inputs": {
            name: {"path": frame.attrs.get("source"), "sha256": frame.attrs.get("sha256")}
            for name, frame in frames.items()
        },
    }


def _version() -> str:
    try:
        return version("consumption")
    except PackageNotFoundError:
        return "unknown"
