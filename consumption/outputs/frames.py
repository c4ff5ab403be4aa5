"""The §6 frames of a result (lots, allocations, demand) built from an engine's arrays.

Columns are gathered through Arrow so that nothing is copied twice; item and
location columns are categoricals over the instance's sorted names.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from consumption import constants as C
from consumption.engine.model import Allocation, Instance
from consumption.engine.quantities import quantity
from consumption.outputs.details import reason_details
from consumption.outputs.reasons import REASONS, SHORT_REASONS, STATUSES, LotFacts, categorical


def _coded(codes: np.ndarray, names: pa.Array) -> pa.DictionaryArray:
    """Integer codes with their names: becomes a pandas Categorical without copying."""
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), names)


def _frame(columns: dict[str, Any], nullable: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """A DataFrame over the given arrays, built through Arrow so that nothing is copied.

    ``nullable`` maps integer columns to their missing-value masks: they become
    pandas ``Int64`` columns rather than floats.
    """
    table = pa.table({name: _arrow(values) for name, values in columns.items()})
    frame = table.to_pandas(split_blocks=True)
    for name, missing in (nullable or {}).items():
        frame[name] = pd.arrays.IntegerArray(np.asarray(columns[name], dtype=np.int64), missing)
    return frame


def _arrow(values: Any) -> pa.Array:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    if isinstance(values, pd.Series):
        return pa.array(values, from_pandas=True)
    if values.dtype.kind == "M":
        return pa.array(values, from_pandas=True)  # NaT is missing, not a date
    return pa.array(values)


def line_labels(demand: pd.DataFrame) -> pa.Array:
    """The ``line`` of §6: the demand's ``id`` when given, else its 1-based data row."""
    if C.ID in demand.columns:
        return pa.array(demand[C.ID].astype(str), from_pandas=True)
    return pa.array(np.arange(1, len(demand) + 1, dtype=np.int64))


def _line_labels_at(demand: pd.DataFrame, line: np.ndarray) -> pa.Array:
    if C.ID in demand.columns:
        return line_labels(demand).take(line)
    return pa.array(line + 1)


def lots_frame(inst: Instance, alloc: Allocation, facts: LotFacts) -> pd.DataFrame:
    """``lots.csv``: one row per lot in (item, location, rank) order."""
    d = inst.decimals
    remaining = inst.lot_qty - alloc.consumed
    considered = facts.considered
    frame = _frame(
        {
            C.ITEM: _coded(inst.lot_item, inst.items),
            C.LOCATION: _coded(inst.lot_location, inst.locations),
            C.LOT: inst.lot_id,
            C.SHELF_LIFE: inst.lot_key,
            C.EXPIRY_DATE: inst.dates(inst.lot_key),
            C.RANK: inst.lot_rank,
            C.QTY: quantity(inst.lot_qty, d),
            C.REQUIREMENT_CONSIDERED: considered,
            C.CONSUMED: quantity(alloc.consumed, d),
            C.REMAINING: quantity(remaining, d),
        },
        nullable={C.REQUIREMENT_CONSIDERED: considered < 0},
    )
    frame[C.STATUS] = categorical(facts.status, STATUSES)
    frame[C.REASON] = categorical(facts.reason, REASONS)
    frame[C.REASON_DETAIL] = pd.Series(
        reason_details(inst, remaining, facts).to_pandas(types_mapper=None), copy=False
    )
    return frame


def allocations_frame(inst: Instance, alloc: Allocation, demand: pd.DataFrame) -> pd.DataFrame:
    """``allocations.csv``: one row per (lot, demand line) pair that moved stock."""
    lot, line = alloc.pair_lot, alloc.pair_line
    return _frame(
        {
            C.ITEM: _coded(inst.lot_item[lot], inst.items),
            C.LOT: inst.lot_id.take(lot),
            C.LOT_LOCATION: _coded(inst.lot_location[lot], inst.locations),
            C.LINE: _line_labels_at(demand, line),
            C.DEMAND_LOCATION: _coded(inst.line_location[line], inst.locations),
            C.REQUIREMENT: inst.line_requirement[line],
            C.DUE_DATE: inst.dates(inst.line_due[line]),
            C.QTY: quantity(alloc.pair_qty, inst.decimals),
        }
    )


def demand_frame(
    inst: Instance, alloc: Allocation, demand: pd.DataFrame, short: np.ndarray
) -> pd.DataFrame:
    """``demand.csv``: one row per demand line in file order; ``short`` the reason codes."""
    frame = _demand_columns(inst, alloc, demand)
    frame[C.REASON] = categorical(short, SHORT_REASONS)
    return frame


def _demand_columns(inst: Instance, alloc: Allocation, demand: pd.DataFrame) -> pd.DataFrame:
    d = inst.decimals
    n = inst.n_lines
    customer = (
        pa.array(demand[C.CUSTOMER].fillna("").astype(str), from_pandas=True)
        if C.CUSTOMER in demand.columns
        else pa.array(np.full(n, "", dtype=object), type=pa.large_string())
    )
    return _frame(
        {
            C.LINE: line_labels(demand),
            C.ITEM: _coded(inst.line_item, inst.items),
            C.LOCATION: _coded(inst.line_location, inst.locations),
            C.CUSTOMER: customer,
            C.REQUIREMENT: inst.line_requirement,
            C.DUE_DATE: inst.dates(inst.line_due),
            C.PRIORITY: inst.line_priority,
            C.QTY: quantity(inst.line_qty, d),
            C.FILLED: quantity(alloc.filled, d),
            C.SHORT: quantity(inst.line_qty - alloc.filled, d),
        },
        # Lines without a priority are served last but have no priority to report.
        nullable={C.PRIORITY: inst.line_priority_missing},
    )
