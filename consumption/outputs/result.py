"""The one result type every engine returns, built once, and how it is written to disk."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from consumption import constants as C
from consumption.engine.model import Allocation, Instance
from consumption.io.outfolder import LOCK_TIMEOUT_S, files_of, publishing
from consumption.io.write import write_csv, write_json
from consumption.outputs import forum, risk, summary
from consumption.outputs.frames import allocations_frame, demand_frame, lots_frame
from consumption.outputs.reasons import LotFacts, lot_facts, short_reasons

# Writes more files into a run's folder (an integration's export): (folder, run id).
Extra = Callable[[Path, str], object]


@dataclass(frozen=True)
class Result:
    """Lots, demand lines and allocations of one run, as DataFrames with §6 columns.

    Quantity columns are integers when every input quantity is whole, floats
    otherwise; ``decimals`` says how many decimals they carry exactly. Built
    whole by :func:`build_result`; the forum table and its long form are
    derived on first use (they can be large and are not always written).
    """

    lots: pd.DataFrame
    allocations: pd.DataFrame
    demand: pd.DataFrame
    summary: dict[str, Any]
    decimals: int
    instance: Instance = field(repr=False)
    allocation: Allocation = field(repr=False)
    facts: LotFacts = field(repr=False)
    short_reasons: np.ndarray = field(repr=False)  # per demand line, codes into SHORT_REASONS
    horizon: int = 0  # last day of the planning horizon, for the expiry risk
    expiry_risk: pd.DataFrame | None = None  # lots with stock left (dates only)
    risk_by_period: pd.DataFrame | None = None  # at-risk quantity and value by month

    @cached_property
    def remaining_arrays(self) -> forum.RemainingDemand:
        """``remaining_demand`` as arrays over the instance's lots."""
        return forum.remaining_demand_arrays(self.instance, self.allocation)

    @cached_property
    def remaining_demand(self) -> pd.DataFrame:
        """Per lot and requirement, the demand still open after the lots up to its rank."""
        return forum.remaining_demand(self.instance, self.remaining_arrays, self.lots)

    @cached_property
    def forum(self) -> pd.DataFrame:
        """The forum table: one ``remaining R demand`` column per requirement."""
        return forum.forum_table(self.instance, self.remaining_arrays, self.lots)

    def sheets(self) -> list[tuple[str, pd.DataFrame]]:
        """The tables of the ``--format xlsx`` workbook, by sheet name."""
        sheets = [
            (C.SHEET_LOTS, self.lots),
            (C.SHEET_DEMAND, self.demand),
            (C.SHEET_ALLOCATIONS, self.allocations),
        ]
        if self.expiry_risk is not None:
            sheets.append((C.SHEET_RISK, self.expiry_risk))
        if self.risk_by_period is not None:
            sheets.append((C.SHEET_RISK_BY_PERIOD, self.risk_by_period))
        return sheets

    def write(
        self,
        out_dir: str | Path = C.DEFAULT_OUT_DIR,
        *,
        formats: tuple[str, ...] = (),
        protected: tuple[Path, ...] = (),
        remaining_demand: bool = False,
        extras: Sequence[Extra] = (),
        lock_timeout: float = LOCK_TIMEOUT_S,
        on_wait: Callable[[str], None] | None = None,
    ) -> list[Path]:
        """Write every §6 output into ``out_dir``, replacing the previous run's as one set.

        ``formats`` may ask for ``forum`` (``forum.csv`` and
        ``remaining_demand.csv``), ``xlsx`` (the workbook) and ``excel-csv``
        (CSV files with a byte-order mark); ``remaining_demand`` writes
        ``remaining_demand.csv`` alone.
        ``protected`` are input files that must never be overwritten. Each of
        ``extras`` is called with the run's folder and id, so that what it
        writes (an integration's export) is part of the same set. See
        :mod:`consumption.io.outfolder` for how the set is replaced, and
        ``lock_timeout`` and ``on_wait`` for a second run into the same folder.
        """
        out = Path(out_dir)
        with publishing(out, protected, lock_timeout=lock_timeout, on_wait=on_wait) as run:
            written = self.write_files(
                run.folder, run.run_id, formats=formats, remaining_demand=remaining_demand,
                extras=extras,
            )  # fmt: skip
        return [out / p for p in written]

    def write_files(
        self,
        folder: Path,
        run_id: str,
        *,
        formats: tuple[str, ...] = (),
        remaining_demand: bool = False,
        extras: Sequence[Extra] = (),
    ) -> list[Path]:
        """Write the outputs into a plain ``folder``; ``summary.json`` last, with the run id
        and the sha256 of every other file. Returns the files, relative to ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        bom = C.EXCEL_CSV in formats
        write_csv(folder / C.LOTS_FILE, self.lots, self.decimals, bom=bom)
        write_csv(folder / C.ALLOCATIONS_FILE, self.allocations, self.decimals, bom=bom)
        write_csv(folder / C.DEMAND_FILE, self.demand, self.decimals, bom=bom)
        if self.expiry_risk is not None and self.risk_by_period is not None:
            money = {risk.VALUE: risk.MONEY_DECIMALS}
            for name, frame in (
                (C.EXPIRY_RISK_FILE, self.expiry_risk),
                (C.RISK_BY_PERIOD_FILE, self.risk_by_period),
            ):
                write_csv(folder / name, frame, self.decimals, money, bom=bom)
        if C.FORMAT_FORUM in formats:
            write_csv(folder / C.FORUM_FILE, self.forum, self.decimals, bom=bom)
        if C.FORMAT_FORUM in formats or remaining_demand:
            write_csv(
                folder / C.REMAINING_DEMAND_FILE, self.remaining_demand, self.decimals, bom=bom
            )
        if C.FORMAT_XLSX in formats:
            from consumption.outputs.workbook import write_workbook

            write_workbook(folder / C.WORKBOOK_FILE, self.sheets(), self.summary)
        for extra in extras:
            extra(folder, run_id)
        files = files_of(folder, leave_out=[C.SUMMARY_FILE])
        write_json(folder / C.SUMMARY_FILE, self.summary | {"output": output_record(run_id, files)})
        return sorted(Path(p) for p in [*files, C.SUMMARY_FILE])


def output_record(run_id: str, files: dict[str, str]) -> dict[str, Any]:
    """What ``summary.json`` says of the files written with it: the run id and each sha256."""
    return {"run_id": run_id, "files": files}


def build_result(
    inst: Instance,
    alloc: Allocation,
    demand: pd.DataFrame,
    run: dict[str, Any],
    horizon_end: np.datetime64 | None = None,
    lp: dict[str, Any] | None = None,
    timings: dict[str, float] | None = None,
    warnings: list[dict[str, str]] | None = None,
) -> Result:
    """Turn an engine's arrays into the §6 frames, the risk tables and the summary, once.

    ``lp`` is the LP's report for the summary; ``timings`` the seconds the run
    took so far (``results_s``, the time spent here, is added).
    """
    started = time.perf_counter()
    # The allocations and demand frames are mostly Arrow gathers and numpy
    # searches, which run without the GIL: they are built beside the lots frame.
    with ThreadPoolExecutor(max_workers=1) as pool:
        allocations = pool.submit(allocations_frame, inst, alloc, demand)
        short = pool.submit(short_reasons, inst, alloc.filled)
        facts = lot_facts(inst, alloc.consumed)
        lots = lots_frame(inst, alloc, facts)
        short_codes = short.result()
        lines = demand_frame(inst, alloc, demand, short_codes)
        pairs = allocations.result()
    horizon = risk.horizon_day(inst, horizon_end)
    expiry = risk.expiry_risk(inst, lots, horizon) if inst.has_dates else None
    by_period = None if expiry is None else risk.risk_by_period(expiry)
    seconds = dict(timings or {})
    seconds["results_s"] = round(time.perf_counter() - started, 6)
    report = summary.build(inst, alloc, facts, run, horizon, expiry, lp, seconds, warnings or [])
    return Result(
        lots=lots,
        allocations=pairs,
        demand=lines,
        summary=report,
        decimals=inst.decimals,
        instance=inst,
        allocation=alloc,
        facts=facts,
        short_reasons=short_codes,
        horizon=horizon,
        expiry_risk=expiry,
        risk_by_period=by_period,
    )
