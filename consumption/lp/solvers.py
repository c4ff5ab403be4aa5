"""Solver adapters for the LP of ``consumption/lp.py``: CBC (bundled with PuLP) and HiGHS.

Both take one block of the model as flat arrays and hand it over in bulk:
PuLP's own modelling layer creates a Python object per variable and per term,
which at a million variables costs seconds before any solver runs (SPEC §4;
``benchmarks/bench_lp.py`` measures it next to these adapters). So:

* **CBC**: the block is written straight from the arrays as a free-format MPS
  file (text built column-wise by Arrow string kernels, no Python loop), and
  the CBC binary that PuLP 3.x bundles is run on it as a process. The solution
  comes back through CBC's binary ``-saveSolution`` file: doubles at full
  precision, where its text solution prints 8 significant digits (a quantity
  of 123456789 would come back as 1.2345679e+08).
* **HiGHS**: the arrays go to ``highspy`` in one ``passModel`` call.

A pair-model block (:class:`Block`) is a transportation problem: each
variable appears in exactly one supply row (a lot) and one demand row (a
demand class), with coefficient 1. A compact block (:class:`Network`) is a
network flow: each arc enters one row (+1) and may leave another (-1).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from consumption import constants as C
from consumption.errors import SolverError, UsageError

HIGHS_HINT = "install it with: pip install 'consumption[highs]' (or use --solver cbc)"


@dataclass(frozen=True)
class Block:
    """One block of the LP: maximize ``cost @ x`` with ``x >= 0`` and row sums within caps.

    Variable ``k`` adds to supply row ``supply_row[k]`` and demand row
    ``demand_row[k]``; the rows' sums are at most ``supply_cap`` and
    ``demand_cap``. Caps are whole numbers (scaled quantities).
    """

    supply_row: np.ndarray
    demand_row: np.ndarray
    cost: np.ndarray
    supply_cap: np.ndarray
    demand_cap: np.ndarray

    @property
    def n_vars(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return len(self.supply_cap) + len(self.demand_cap)


@dataclass(frozen=True)
class Network:
    """A min-cost-flow block: maximize ``cost @ x`` with ``0 <= x <= upper``.

    Arc ``k`` adds 1 to row ``into[k]`` and, where ``out_of[k] >= 0``, takes 1
    from row ``out_of[k]``. Rows below ``n_balance`` are nodes (inflow equals
    outflow), the others are capped at ``cap`` (row ``n_balance + i`` at
    ``cap[i]``). ``upper`` is ``inf`` for an arc without a bound.
    """

    into: np.ndarray
    out_of: np.ndarray
    cost: np.ndarray
    upper: np.ndarray
    n_balance: int
    cap: np.ndarray

    @property
    def n_vars(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return self.n_balance + len(self.cap)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column starts, row indices and values of the matrix, column-wise."""
        two = self.out_of >= 0
        start = np.r_[0, np.cumsum(1 + two)].astype(np.int32)
        index = np.empty(int(start[-1]), dtype=np.int32)
        value = np.ones(int(start[-1]))
        index[start[:-1]] = self.into
        index[start[:-1][two] + 1] = self.out_of[two]
        value[start[:-1][two] + 1] = -1.0
        return start, index, value


@dataclass(frozen=True)
class BlockSolution:
    """A solver's answer for one block: values per variable, status, and where time went.

    ``prepare_s`` is the solver-specific part of building the model (writing
    the MPS file, passing arrays to HiGHS); ``solve_s`` the solve itself,
    including starting CBC and reading its solution back.
    """

    x: np.ndarray
    status: str
    prepare_s: float
    solve_s: float


def check_available(solver: str) -> None:
    """Refuse an unknown solver, or one that is not installed, before any work is done."""
    if solver not in C.SOLVERS:
        raise UsageError(f"solver {solver!r} is not supported; use one of: {', '.join(C.SOLVERS)}")
    if solver == C.SOLVER_HIGHS:
        try:
            import highspy  # noqa: F401
        except ImportError as error:
            raise UsageError(f"the HiGHS solver needs the highspy package; {HIGHS_HINT}") from error
    else:
        path = cbc_path()
        if not path.is_file():
            raise UsageError(
                f"PuLP's bundled CBC was not found at {path}; PuLP 3.x (pulp>=3.3,<4) ships it"
            )


def solve(block: Block | Network, solver: str, time_limit: float | None = None) -> BlockSolution:
    """Solve one block with the named solver; ``time_limit`` in seconds (None: no limit)."""
    if block.n_vars == 0:
        return BlockSolution(np.zeros(0), C.LP_OPTIMAL, 0.0, 0.0)
    if solver == C.SOLVER_HIGHS:
        return _solve_highs(block, time_limit)
    return _solve_cbc(block, time_limit)


# --- CBC ----------------------------------------------------------------------------------


def cbc_path() -> Path:
    """The CBC binary bundled with PuLP 3.x (read from the class, so no deprecation notice)."""
    from pulp.apis.coin_api import PULP_CBC_CMD

    return Path(PULP_CBC_CMD.pulp_cbc_path)


def _solve_cbc(block: Block | Network, time_limit: float | None) -> BlockSolution:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="consumption-cbc-") as folder:
        model, solution = Path(folder) / "block.mps", Path(folder) / "block.sol"
        if isinstance(block, Network):
            write_network_mps(model, block)
        else:
            write_mps(model, block)
        prepared = time.perf_counter()
        # -initialSolve: the model is a plain LP, so CLP's simplex and no branch and bound.
        args = [str(cbc_path()), str(model)]
        if time_limit is not None:
            args += ["-sec", f"{max(time_limit, 0.01):.3f}"]
        args += ["-initialSolve", "-saveSolution", str(solution)]
        run = subprocess.run(args, capture_output=True, text=True, check=False)
        if run.returncode != 0 or not solution.is_file():
            raise SolverError(
                f"CBC failed (exit code {run.returncode}) on a block of {block.n_vars:,} "
                f"variables: {_tail(run.stdout + run.stderr)}"
            )
        x = _read_cbc_solution(solution, block)
    return BlockSolution(
        x, _cbc_status(run.stdout), prepared - start, time.perf_counter() - prepared
    )


def write_mps(path: Path, block: Block) -> None:
    """Write the block as a free-format MPS file, minimizing ``-cost``.

    Rows are ``s<i>`` (supply) and ``d<j>`` (demand), variables ``x<k>``; data
    lines start with a space, which is what tells them from section headers.
    Every section is built as one Arrow string array, so a million variables
    take well under a second and no Python loop runs per variable.
    """
    n_supply, n_demand = len(block.supply_cap), len(block.demand_cap)
    supply = _names("s", np.arange(n_supply))
    demand = _names("d", np.arange(n_demand))
    var = _names("x", np.arange(block.n_vars))
    cost = pc.cast(pa.array(-np.asarray(block.cost, dtype=np.float64)), pa.string())
    columns = _lines(
        " ", var, " obj ", cost, " ", supply.take(pa.array(block.supply_row)), " 1\n ",
        var, " ", demand.take(pa.array(block.demand_row)), " 1\n",
    )  # fmt: skip
    rows = pc.binary_join_element_wise(" L ", pa.concat_arrays([supply, demand]), "\n", "")
    caps = np.concatenate([block.supply_cap, block.demand_cap]).astype(np.int64)
    rhs = _lines(" rhs ", pa.concat_arrays([supply, demand]), " ", _int_text(caps), "\n")
    _write_sections(path, rows, columns, rhs)


def write_network_mps(path: Path, net: Network) -> None:
    """Write a network block as a free-format MPS file, minimizing ``-cost``.

    Rows are ``r<i>`` (``E`` for nodes, ``L`` for capped rows), arcs ``x<k>``,
    and every finite ``upper`` an ``UP`` bound; built like :func:`write_mps`.
    """
    row = _names("r", np.arange(net.n_rows))
    var = _names("x", np.arange(net.n_vars))
    cost = pc.cast(pa.array(-np.asarray(net.cost, dtype=np.float64)), pa.string())
    two = net.out_of >= 0
    leave = _lines(" ", var, " ", row.take(pa.array(np.maximum(net.out_of, 0))), " -1\n")
    leave = pc.if_else(pa.array(two), leave, "")
    columns = _lines(" ", var, " obj ", cost, " ", row.take(pa.array(net.into)), " 1\n", leave)
    kinds = np.where(np.arange(net.n_rows) < net.n_balance, " E ", " L ")
    rows = _lines(pa.array(kinds), row, "\n")
    capped = row.slice(net.n_balance)
    rhs = _lines(" rhs ", capped, " ", _int_text(np.asarray(net.cap)), "\n")
    finite = np.isfinite(net.upper)
    bounds = _lines(
        " UP bnd ", var.filter(pa.array(finite)), " ",
        _int_text(np.asarray(net.upper)[finite].astype(np.int64)), "\n",
    )  # fmt: skip
    _write_sections(path, rows, columns, rhs, bounds)


def _write_sections(
    path: Path,
    rows: pa.Array,
    columns: pa.Array,
    rhs: pa.Array,
    bounds: pa.Array | None = None,
) -> None:
    """The sections of a free-format MPS file, each from its lines built as Arrow text."""
    with open(path, "wb") as out:
        out.write(b"NAME consumption FREE\nROWS\n N obj\n")
        out.write(_bytes(rows))
        out.write(b"COLUMNS\n")
        out.write(_bytes(columns))
        out.write(b"RHS\n")
        out.write(_bytes(rhs))
        if bounds is not None:
            out.write(b"BOUNDS\n")
            out.write(_bytes(bounds))
        out.write(b"ENDATA\n")


def _names(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, _int_text(numbers), "")


def _int_text(numbers: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())


def _lines(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of arrays and constant strings."""
    return pc.binary_join_element_wise(*parts, "")


def _bytes(text: pa.Array) -> memoryview:
    """The characters of every string of ``text`` back to back, without copying them."""
    text = pc.cast(text, pa.large_string())
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[
        text.offset : text.offset + len(text) + 1
    ]
    data = text.buffers()[2]
    if data is None or len(text) == 0:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


def _read_cbc_solution(path: Path, block: Block | Network) -> np.ndarray:
    """Column values from CBC's ``-saveSolution`` file.

    Layout (CbcSolver's saveSolution): int32 rows, int32 columns, float64
    objective, then row activities, row duals, column values, column duals.
    """
    raw = path.read_bytes()
    n_rows, n_cols = np.frombuffer(raw, dtype=np.int32, count=2)
    if n_cols != block.n_vars or n_rows != block.n_rows:
        raise SolverError(
            f"CBC's solution has {n_cols} columns and {n_rows} rows; the model has "
            f"{block.n_vars} and {block.n_rows}"
        )
    offset = 8 + 8 + 2 * 8 * int(n_rows)
    return np.frombuffer(raw, dtype=np.float64, count=int(n_cols), offset=offset).copy()


def _cbc_status(log: str) -> str:
    """CLP's verdict in CBC's log, as one of ``constants.LP_STATUSES``.

    An LP solved by ``-initialSolve`` ends with ``Optimal objective ...`` or
    ``Stopped objective ...``; a stop at ``-sec`` also says ``Stopped on time``.
    """
    if re.search(r"^Optimal objective", log, re.M):
        return C.LP_OPTIMAL
    if re.search(r"Stopped on time", log):
        return C.LP_TIME_LIMIT
    return C.LP_NOT_SOLVED


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(text.strip().splitlines()[-lines:]) or "no output"


# --- HiGHS --------------------------------------------------------------------------------


def _new_highs(highspy: Any) -> Any:
    """A silent HiGHS instance.

    The first one of a process prints a banner on the C-level stdout before any
    option can be set; it is sent to /dev/null so that only the report shows.
    """
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "wb") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


_BANNER_SHOWN = False


def _solve_highs(block: Block | Network, time_limit: float | None) -> BlockSolution:
    import highspy

    start = time.perf_counter()
    h = (
        highs_network(block, time_limit)
        if isinstance(block, Network)
        else highs_model(block, time_limit)
    )
    prepared = time.perf_counter()
    h.run()
    model_status = h.getModelStatus()
    if model_status == highspy.HighsModelStatus.kOptimal:
        status = C.LP_OPTIMAL
    elif model_status == highspy.HighsModelStatus.kTimeLimit:
        status = C.LP_TIME_LIMIT
    else:
        status = C.LP_NOT_SOLVED
    # Stopped early, HiGHS may flag its point as not valid; it is still the best it
    # has, and whole_solution() makes any point feasible.
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    if len(x) != block.n_vars:
        x = np.zeros(block.n_vars)
    return BlockSolution(x, status, prepared - start, time.perf_counter() - prepared)


def _highs_options(h: Any, time_limit: float | None) -> None:
    # Primal simplex: from x = 0, always feasible here, it solved these transportation
    # problems 2-3x faster than the default dual simplex (bench_lp.py instances).
    # Presolve off: no slower on them, and a solve stopped by the time limit then
    # still hands back its point (a presolved one comes back empty).
    h.setOptionValue("simplex_strategy", 4)
    h.setOptionValue("presolve", "off")
    if time_limit is not None:
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))


def highs_model(block: Block, time_limit: float | None = None) -> Any:
    """A HiGHS instance holding the block, ready to ``run()``: one ``passModel`` call."""
    import highspy

    h = _new_highs(highspy)
    _highs_options(h, time_limit)
    n, n_supply = block.n_vars, len(block.supply_cap)
    # Column-wise matrix: every column has its supply row, then its demand row.
    index = np.empty(2 * n, dtype=np.int32)
    index[0::2] = block.supply_row
    index[1::2] = n_supply + np.asarray(block.demand_row)
    caps = np.concatenate([block.supply_cap, block.demand_cap]).astype(np.float64)
    inf = h.getInfinity()
    h.passModel(
        n, block.n_rows, 2 * n,
        int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMaximize), 0.0,
        np.asarray(block.cost, dtype=np.float64), np.zeros(n), np.full(n, inf),
        np.full(block.n_rows, -inf), caps,
        np.arange(0, 2 * n, 2, dtype=np.int32), index, np.ones(2 * n),
        np.zeros(n, dtype=np.int32),  # integrality: all continuous
    )  # fmt: skip
    return h


def highs_network(net: Network, time_limit: float | None = None) -> Any:
    """A HiGHS instance holding a network block, ready to ``run()``."""
    import highspy

    h = _new_highs(highspy)
    # x = 0 is feasible here too (every node balances at zero flow): primal simplex.
    _highs_options(h, time_limit)
    # With presolve, primal simplex solved the networks of the dated weekly scenario at
    # 100k lots (one per lot then, before lots alike became one stock) 3x faster: 6.1 s
    # against 18.8 s over its 22 blocks, solved one after another. A network stopped by
    # the time limit keeps the greedy's plan anyway, so the empty point a presolved
    # stop hands back costs nothing here.
    h.setOptionValue("presolve", "on")
    inf = h.getInfinity()
    start, index, value = net.columns()
    lower = np.r_[np.zeros(net.n_balance), np.full(len(net.cap), -inf)]
    upper = np.r_[np.zeros(net.n_balance), np.asarray(net.cap, dtype=np.float64)]
    n = net.n_vars
    h.passModel(
        n, net.n_rows, len(index),
        int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMaximize), 0.0,
        np.asarray(net.cost, dtype=np.float64), np.zeros(n),
        np.where(np.isfinite(net.upper), net.upper, inf).astype(np.float64),
        lower, upper, start[:-1], index, value, np.zeros(n, dtype=np.int32),
    )  # fmt: skip
    return h
