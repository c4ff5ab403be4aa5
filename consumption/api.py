"""The Python entry point: ``allocate`` inventory to demand and get a Result."""

from __future__ import annotations

import datetime as dt
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pandas as pd

from . import constants as C
from . import invariants
from .errors import UsageError
from .greedy import allocate_greedy
from .instance import encode
from .result import Result, build_result

_DATED_COLUMNS = {
    "inventory": (C.EXPIRY_DATE, C.AVAILABLE_DATE),
    "demand": (C.DUE_DATE,),
}


def allocate(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None = None,
    as_of: str | dt.date | None = None,
    order: str = C.ORDER_REQUIREMENT,
    engine: str = C.ENGINE_GREEDY,
) -> Result:
    """Decide which lots serve which demand lines (SPEC §3) and return the result.

    ``inventory`` and ``demand`` are frames from ``read_inventory`` and
    ``read_demand``, or plain frames with the canonical column names.

    >>> inv = pd.DataFrame({"item": ["A"] * 3, "lot": ["1234", "5678", "9876"],
    ...                     "qty": [500, 600, 7000], "shelf_life": [190, 211, 345]})
    >>> dem = pd.DataFrame({"item": ["A", "A"], "qty": [450, 3000], "requirement": [180, 270]})
    >>> allocate(inv, dem).lots["consumed"].tolist()
    [450, 0, 3000]
    """
    _check_options(inventory, demand, lanes, as_of, order, engine)
    clock = time.perf_counter()
    inst = encode(inventory, demand)
    encoded = time.perf_counter()
    alloc = allocate_greedy(inst)
    invariants.check(inst, alloc)
    allocated = time.perf_counter()
    run = run_parameters(inventory, demand, order, engine)
    result = build_result(inst, alloc, inventory, demand, run)
    result.summary["timings"] = {
        "encode_s": round(encoded - clock, 6),
        "allocate_s": round(allocated - encoded, 6),
        "results_s": round(time.perf_counter() - allocated, 6),
    }
    return result


def _check_options(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None,
    as_of: Any,
    order: str,
    engine: str,
) -> None:
    if order not in C.ORDERS:
        raise UsageError(f"order {order!r} is not supported; use one of: {', '.join(C.ORDERS)}")
    if engine not in C.ENGINES:
        raise UsageError(f"engine {engine!r} is not supported; use one of: {', '.join(C.ENGINES)}")
    if lanes is not None or as_of is not None:
        raise UsageError(
            "lanes and --as-of are not supported by this version; "
            "give remaining shelf life in days and one location per demand line"
        )
    for name, frame in (("inventory", inventory), ("demand", demand)):
        dated = [c for c in _DATED_COLUMNS[name] if c in frame.columns]
        if dated:
            raise UsageError(
                f"{name} has date columns ({', '.join(dated)}), which this version does not "
                "support; give remaining shelf life in days and remove the date columns"
            )


def run_parameters(
    inventory: pd.DataFrame, demand: pd.DataFrame, order: str, engine: str
) -> dict[str, Any]:
    """The run's parameters as recorded in ``summary.json``."""
    return {
        "version": _version(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of": None,
        "order": order,
        "engine": engine,
        "solver": None,
        "inputs": {
            name: {"path": frame.attrs.get("source"), "sha256": frame.attrs.get("sha256")}
            for name, frame in (("inventory", inventory), ("demand", demand))
        },
    }


def _version() -> str:
    try:
        return version("consumption")
    except PackageNotFoundError:
        return "unknown"
