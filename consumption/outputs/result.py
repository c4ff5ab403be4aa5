"""The one result type every engine returns, and how it is written to disk."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from consumption import constants as C
from consumption.anaplan.export import write_export
from consumption.engine.encode import Instance
from consumption.engine.greedy import Allocation
from consumption.io.write import staged_outputs, write_csv, write_json
from consumption.outputs import forum, risk, summary
from consumption.outputs.quantities import quantity
from consumption.outputs.reasons import reach, reasons, short_reasons, statuses


@dataclass
class Result:
    """Lots, demand lines and allocations of one run, as DataFrames with §6 columns.

    Quantity columns are integers when every input quantity is whole, floats
    otherwise; ``decimals`` says how many decimals they carry exactly.
    """

    lots: pd.DataFrame
    allocations: pd.DataFrame
    demand: pd.DataFrame
    summary: dict[str, Any]
    decimals: int
    instance: Instance = field(repr=False)
    allocation: Allocation = field(repr=False)
    horizon: int = 0  # last day of the planning horizon, for the expiry risk

    @cached_property
    def expiry_risk(self) -> pd.DataFrame | None:
        """Lots with stock left: unsellable date, at risk or not, value (dates only)."""
        if not self.instance.has_dates:
            return None
        return risk.expiry_risk(self.instance, self.lots, self.horizon)

    @cached_property
    def risk_by_period(self) -> pd.DataFrame | None:
        """At-risk quantity and value by item, location and month (dates only)."""
        return None if self.expiry_risk is None else risk.risk_by_period(self.expiry_risk)

    @cached_property
    def _remaining(self) -> forum.RemainingDemand:
        return forum.remaining_demand_arrays(self.instance, self.allocation)

    @cached_property
    def remaining_demand(self) -> pd.DataFrame:
        """Per lot and requirement, the demand still open after the lots up to its rank."""
        return forum.remaining_demand(self.instance, self._remaining, self.lots)

    @cached_property
    def forum(self) -> pd.DataFrame:
        """The forum table: one ``remaining R demand`` column per requirement."""
        return forum.forum_table(self.instance, self._remaining, self.lots)

    def write(
        self,
        out_dir: str | Path = C.DEFAULT_OUT_DIR,
        *,
        formats: tuple[str, ...] = (),
        protected: tuple[Path, ...] = (),
        anaplan: bool = False,
    ) -> list[Path]:
        """Write every §6 output into ``out_dir``, each file replaced atomically.

        ``protected`` are input files that must never be overwritten. ``anaplan``
        adds the §7 export under ``out_dir/anaplan/``, staged with the rest.
        """
        out = Path(out_dir)
        with staged_outputs(out, protected) as staging:
            write_csv(staging / C.LOTS_FILE, self.lots, self.decimals)
            write_csv(staging / C.ALLOCATIONS_FILE, self.allocations, self.decimals)
            write_csv(staging / C.DEMAND_FILE, self.demand, self.decimals)
            if self.expiry_risk is not None and self.risk_by_period is not None:
                money = {risk.VALUE: risk.MONEY_DECIMALS}
                write_csv(staging / C.EXPIRY_RISK_FILE, self.expiry_risk, self.decimals, money)
                write_csv(
                    staging / C.RISK_BY_PERIOD_FILE, self.risk_by_period, self.decimals, money
                )
            if C.FORMAT_FORUM in formats:
                write_csv(staging / C.FORUM_FILE, self.forum, self.decimals)
            if C.FORMAT_FORUM in formats or anaplan:
                write_csv(staging / C.REMAINING_DEMAND_FILE, self.remaining_demand, self.decimals)
            if anaplan:
                write_export(staging / C.ANAPLAN_DIR, self)
            write_json(staging / C.SUMMARY_FILE, self.summary)
            written = sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file())
        return [out / p for p in written]


def build_result(
    inst: Instance,
    alloc: Allocation,
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    run: dict[str, Any],
    horizon_end: np.datetime64 | None = None,
) -> Result:
    """Turn an engine's arrays into the §6 frames and the summary."""
    # The allocations and demand frames are mostly Arrow gathers and numpy
    # searches, which run without the GIL: they are built beside the lots frame.
    with ThreadPoolExecutor(max_workers=1) as pool:
        allocations = pool.submit(allocations_frame, inst, alloc, demand)
        per_line = pool.submit(demand_frame, inst, alloc, demand)
        lots = lots_frame(inst, alloc)
        pairs, lines = allocations.result(), per_line.result()
    result = Result(
        lots=lots,
        allocations=pairs,
        demand=lines,
        summary={},
        decimals=inst.decimals,
        instance=inst,
        allocation=alloc,
        horizon=risk.horizon_day(inst, horizon_end),
    )
    result.summary = summary.build(result, run)
    return result


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


def lots_frame(inst: Instance, alloc: Allocation) -> pd.DataFrame:
    d = inst.decimals
    remaining = inst.lot_qty - alloc.consumed
    demand = reach(inst)
    considered = demand.considered
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
    frame[C.STATUS] = statuses(inst.lot_qty, alloc.consumed)
    frame[C.REASON] = reasons(inst, remaining, demand)
    return frame


def allocations_frame(inst: Instance, alloc: Allocation, demand: pd.DataFrame) -> pd.DataFrame:
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


def demand_frame(inst: Instance, alloc: Allocation, demand: pd.DataFrame) -> pd.DataFrame:
    frame = _demand_columns(inst, alloc, demand)
    frame[C.REASON] = short_reasons(inst, alloc.filled)
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
