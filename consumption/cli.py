"""The ``consumption`` command: a thin layer over the library.

Each command parses its options, calls one library function, prints what
:mod:`consumption.outputs.terminal` renders, and maps the library's
exceptions to the exit codes of SPEC §8 (:func:`exit_code`). Options that
several commands share are defined once, below.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from consumption import constants as C
from consumption.api import allocate, check
from consumption.errors import (
    ConsumptionError,
    InputError,
    StrictStopError,
    SyncBusyError,
    SyncStageError,
    UsageError,
    command_line,
)
from consumption.io import scenario as scenario_files
from consumption.io.read import Inputs, read_inputs, read_table
from consumption.outputs import planner, terminal
from consumption.outputs.result import Extra

Say = Callable[[str], None]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it)."""
    args = parser().parse_args(argv)
    try:
        with command_line():  # messages speak of --as-of, not as_of=
            return int(args.handler(args))
    except Exception as error:  # every failure ends in a message and an exit code
        if isinstance(error, ConsumptionError | OSError) or not os.environ.get("CONSUMPTION_DEBUG"):
            _err(terminal.error_text(error))
            return exit_code(error)
        raise
    except KeyboardInterrupt:
        _err(terminal.INTERRUPTED)
        return C.EXIT_FAILURE


def exit_code(error: BaseException) -> int:
    """SPEC §8: 2 for bad input or usage, 1 for anything else (a failed task, a bug); a
    sync's own codes for a failed stage and for a model another sync holds."""
    if isinstance(error, SyncStageError):
        return error.code
    if isinstance(error, SyncBusyError):
        return C.EXIT_BUSY
    return C.EXIT_BAD_INPUT if isinstance(error, InputError | UsageError) else C.EXIT_FAILURE


def parser() -> argparse.ArgumentParser:
    """Every command and its options."""
    top = argparse.ArgumentParser(
        prog="consumption",
        description="Which inventory lots demand with shelf-life requirements will consume, "
        "which it will not, and which demand goes short.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(commands)
    _add_compare(commands)
    _add_validate(commands)
    _add_report(commands)
    _add_explain(commands)
    _add_push(commands)
    _add_pull(commands)
    _add_sync(commands)
    _add_anaplan_config(commands)
    _add_anaplan_payload(commands)
    return top


def _err(message: str) -> None:
    print(message, file=sys.stderr)


# --- options shared by run, compare and validate ----------------------------------------------


def _input_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="INVENTORY DEMAND (two CSV files), or one SCENARIO_DIR holding inventory.csv, "
        "demand.csv, optional lanes.csv and scenario.toml",
    )
    command.add_argument(
        "--lanes",
        metavar="FILE",
        help="sourcing lanes: from_location, to_location, transit_days, rank (1 = first)",
    )
    command.add_argument(
        "--mrsl",
        metavar="FILE",
        help="customer MRSL table: customer and/or item or item_group, with requirement "
        "(days, '9 months', '75%%') or requirement_pct, for lines that give none",
    )
    command.add_argument(
        "--items",
        metavar="FILE",
        help="item table: item, item_group, total_shelf_life (what '75%%' is a share of)",
    )
    command.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="day 0 of the plan; required when the inputs hold dates",
    )
    formats = command.add_argument_group(
        "how the files are written",
        "each applies to every input file, or to one when prefixed with its table "
        "(inventory:, demand:, lanes:); scenario.toml may set them per file",
    )
    formats.add_argument(
        "--decimal", action="append", metavar="[TABLE:]MARK", help="decimal mark: . or ,"
    )
    formats.add_argument(
        "--thousands",
        action="append",
        metavar="[TABLE:]SEP",
        help="what groups thousands: . , ' or a space (default: nothing)",
    )
    formats.add_argument(
        "--date-format",
        action="append",
        metavar="[TABLE:]PATTERN",
        help="dates as strftime writes them, e.g. %%d.%%m.%%Y or %%m/%%d/%%Y (default: ISO)",
    )
    formats.add_argument(
        "--columns",
        action="append",
        metavar="TABLE:HEADER=COLUMN,...",
        help="the file's own headers as columns, e.g. inventory:Material=item,Plant=location",
    )
    formats.add_argument(
        "--sheet", action="append", metavar="[TABLE:]NAME", help="the worksheet of an .xlsx file"
    )
    command.add_argument(
        "--prefer",
        choices=C.PREFER,
        help="which wins when a lot gives a shelf life and an expiry date that disagree",
    )
    command.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help=f"exit with code {C.EXIT_WARNINGS} and write nothing when the run warns "
        "(demand whose items or locations meet no inventory)",
    )


def _plan_options(command: argparse.ArgumentParser, order_help: str) -> None:
    command.add_argument("--order", choices=C.ORDERS, help=order_help)
    command.add_argument(
        "--horizon-end",
        metavar="YYYY-MM-DD",
        help="last day of the planning horizon for the expiry risk (default: last due date)",
    )


def _output_options(command: argparse.ArgumentParser, default_out: str, format_help: str) -> None:
    command.add_argument("--out", help=f"output folder (default: {default_out})")
    command.add_argument("--format", choices=C.FORMATS, help=format_help)
    command.add_argument(
        "--excel-csv",
        action="store_true",
        help="start every CSV file with a UTF-8 byte-order mark, so that Excel opened by "
        "double-click reads accents right",
    )
    command.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _solver_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--solver", choices=C.SOLVERS, help="LP solver: cbc (bundled, default) or highs"
    )
    command.add_argument(
        "--time-limit",
        type=float,
        metavar="SECONDS",
        help="stop the LP after this long and keep the best solution found",
    )


def _scenario(args: argparse.Namespace) -> scenario_files.Scenario:
    """The input files and options, from a scenario folder or two files; flags win."""
    if len(args.inputs) == 1:
        folder = Path(args.inputs[0])
        if not folder.is_dir():
            raise UsageError(
                f"{folder} is not a scenario folder; give INVENTORY DEMAND or a folder"
            )
        found = scenario_files.load(folder)
    elif len(args.inputs) == 2:
        found = scenario_files.Scenario(Path(args.inputs[0]), Path(args.inputs[1]))
    else:
        raise UsageError("give two files, INVENTORY DEMAND, or one scenario folder")
    given = {k: getattr(args, k, None) for k in scenario_files.RUN_OPTIONS}
    options = found.options | {k: v for k, v in given.items() if v is not None}
    files = scenario_files.merged_files(found.files, _file_flags(args))
    return scenario_files.Scenario(found.inventory, found.demand, options, found.description, files)


def _file_flags(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Per-file flags by table: ``--decimal demand:,`` for one file, ``--decimal ,`` for all."""
    given: dict[str, dict[str, Any]] = {name: {} for name in scenario_files.TABLES}
    for key in ("decimal", "thousands", "date_format", "sheet"):
        for value in getattr(args, key, None) or []:
            for name, text in _per_table(value, key):
                given[name][key] = text
    for value in getattr(args, "columns", None) or []:
        tables = _per_table(value, "columns")
        if len(tables) != 1:
            raise UsageError("--columns needs its table: --columns inventory:Material=item,...")
        [(name, text)] = tables
        pairs = [pair.split("=", 1) for pair in text.split(",") if pair]
        if any(len(pair) != 2 for pair in pairs):
            raise UsageError(f"--columns {value!r}: write HEADER=COLUMN pairs separated by ','")
        given[name].setdefault("columns", {}).update({h.strip(): n.strip() for h, n in pairs})
    return given


def _per_table(value: str, key: str) -> list[tuple[str, str]]:
    """``inventory:,`` names one table; a value without a table's name applies to all."""
    name, sep, rest = value.partition(":")
    if sep and name in scenario_files.TABLES:
        return [(name, rest)]
    return [(table, value) for table in scenario_files.TABLES]


def _say(args: argparse.Namespace) -> Say:
    return (lambda _: None) if getattr(args, "quiet", False) else print


def _read(found: scenario_files.Scenario, args: argparse.Namespace) -> Inputs:
    """Every input file (all files' problems at once, under one cap), notices printed."""
    quiet = getattr(args, "quiet", False)
    inputs = read_inputs(
        found.inventory,
        found.demand,
        found.lanes,
        progress=False if quiet else None,
        options=found.files,
        mrsl=found.mrsl,
        items=found.items,
    )
    _notices(_say(args), inputs.notices)
    return inputs


def _notices(say: Say, notices: Sequence[str]) -> None:
    for line in terminal.notice_lines(notices):
        say(line)


def _plan(options: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """``allocate``'s planning keywords from the merged scenario and command-line options,
    and the optional tables read."""
    return {
        "as_of": options.get("as_of"),
        "order": options.get("order", C.ORDER_REQUIREMENT),
        "horizon_end": options.get("horizon_end"),
        "prefer": options.get("prefer"),
        "mrsl": inputs.mrsl,
        "items": inputs.items,
    }


def _formats(options: dict[str, Any], args: argparse.Namespace) -> tuple[str, ...]:
    """The formats asked for (``--format``, or scenario.toml's), and ``--excel-csv``."""
    fmt = options.get("format")
    if fmt and fmt not in C.FORMATS:
        raise UsageError(f"format {fmt!r} is not known; use one of: {', '.join(C.FORMATS)}")
    excel = (C.EXCEL_CSV,) if getattr(args, "excel_csv", False) else ()
    return ((fmt,) if fmt else ()) + excel


def _progress(args: argparse.Namespace) -> bool | None:
    return False if args.quiet else None


# --- run ----------------------------------------------------------------------------------------


def _add_run(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run",
        help="allocate lots to demand and write the results",
        description="Allocate lots to demand (FEFO, requirements lowest first) and write "
        "lots.csv, allocations.csv, demand.csv and summary.json.",
    )
    _input_options(run)
    _plan_options(
        run,
        "serving order: requirement = lowest threshold first (the default, fills the most); "
        "due = earliest due date first (what the warehouse will do)",
    )
    _output_options(
        run,
        C.DEFAULT_OUT_DIR,
        "forum: also write forum.csv (the forum table) and remaining_demand.csv; "
        f"xlsx: also write {C.WORKBOOK_FILE}, one workbook of lots, demand, allocations, "
        "risk and summary",
    )
    run.add_argument(
        "--anaplan",
        action="store_true",
        default=None,  # None: not given, so scenario.toml may decide
        help="also write the Anaplan-ready export to OUT/anaplan/ (list and module files, "
        "manifest.json) and remaining_demand.csv",
    )
    run.add_argument(
        "--engine",
        choices=C.ENGINES,
        help="greedy = the FEFO rule (default); lp = the allocation that fills the most, "
        "by linear programming",
    )
    run.add_argument(
        "--report",
        action="store_true",
        help=f"also write {C.REPORT_FILE}, the report a planner reads (charts, what to act on), "
        "into OUT with the other outputs",
    )
    _solver_options(run)
    cluster = run.add_argument_group(
        "on a Dask cluster (the cluster extra)",
        "INVENTORY and DEMAND may then be folders or patterns of Parquet or CSV parts; "
        "the outputs are Parquet datasets (lots/, allocations/, demand/, expiry_risk/)",
    )
    cluster.add_argument(
        "--workers", type=int, metavar="N", help="run on a cluster of N worker processes here"
    )
    cluster.add_argument(
        "--cluster", metavar="ADDRESS", help="run on the scheduler at ADDRESS (tcp://host:8786)"
    )
    cluster.add_argument(
        "--partitions", type=int, metavar="N", help="item partitions (default: 2 per worker)"
    )
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    found = _scenario(args)
    say = _say(args)
    if found.options.get("workers") or found.options.get("cluster"):
        return _run_on_cluster(found, args, say)
    inputs = _read(found, args)
    options = found.options
    formats = _formats(options, args)
    engine = options.get("engine") or C.ENGINE_GREEDY
    result = allocate(
        inputs.inventory, inputs.demand, inputs.lanes, **_plan(options, inputs), engine=engine,
        solver=options.get("solver"), time_limit=options.get("time_limit"),
        progress=_progress(args),
    )  # fmt: skip
    if _warned(result.summary["warnings"], options):
        return C.EXIT_WARNINGS
    out = Path(options.get("out") or C.DEFAULT_OUT_DIR)
    extras: list[Extra] = []
    if args.report:
        from consumption.outputs import report

        extras.append(lambda folder, run_id: report.extra(folder, run_id, result))
    if options.get("anaplan"):
        from consumption.anaplan import export

        written = export.write(
            result, out, formats=formats, protected=found.inputs, on_wait=_err, extras=extras
        )
        _notices(say, export.notices(out))
    else:
        written = result.write(
            out, formats=formats, protected=found.inputs, on_wait=_err, extras=extras
        )
    if C.FORMAT_FORUM in formats and len(result.forum) <= C.MAX_ROWS_PRINTED:
        say(terminal.table_text(result.forum, result.decimals) + "\n")
    say(terminal.summary_text(result.summary))
    findings = terminal.findings_text(planner.of_result(result))
    if findings:
        say(findings)
    _lp_notices(say, result.summary.get("lp"))
    say(terminal.written_text(written, out))
    return C.EXIT_OK


def _warned(warnings: list[dict[str, str]], options: dict[str, Any]) -> bool:
    """Print the run's warnings; whether --strict makes them stop the run."""
    for line in terminal.warning_lines(warnings):
        _err(line)
    if warnings and options.get("strict"):
        _err(terminal.STRICT_STOP)
        return True
    return False


def _lp_notices(say: Say, lp: dict[str, Any] | None) -> None:
    if lp is None:
        return
    say(terminal.lp_text(lp))
    warning = terminal.lp_warning(lp)
    if warning:
        _err(warning)


# --- compare ------------------------------------------------------------------------------------


def _add_compare(commands: argparse._SubParsersAction) -> None:
    compare = commands.add_parser(
        "compare",
        help="run the greedy and the LP on the same input and compare them",
        description="Allocate with the greedy and with the LP, write both result sets to "
        "OUT/greedy and OUT/lp, the differences to compare_lots.csv and compare_demand.csv, "
        "and say in compare.json whether the greedy is optimal.",
    )
    _input_options(compare)
    _plan_options(compare, "the greedy's serving order")
    _output_options(
        compare,
        C.DEFAULT_COMPARE_DIR,
        f"forum: also write forum.csv in greedy/ and lp/; xlsx: {C.WORKBOOK_FILE} in each",
    )
    _solver_options(compare)
    compare.set_defaults(handler=_compare)


def _compare(args: argparse.Namespace) -> int:
    from consumption.outputs.compare import compare

    found = _scenario(args)
    say = _say(args)
    inputs = _read(found, args)
    options = found.options
    formats = _formats(options, args)
    result = compare(
        inputs.inventory, inputs.demand, inputs.lanes, **_plan(options, inputs),
        solver=args.solver or C.SOLVER_CBC, time_limit=args.time_limit, progress=_progress(args),
    )  # fmt: skip
    out = Path(options.get("out") or C.DEFAULT_COMPARE_DIR)
    result.write(out, formats=formats, protected=found.inputs, on_wait=_err)
    say(terminal.comparison_text(result.report))
    _lp_notices(lambda _: None, result.lp.summary["lp"])  # the warning only, on stderr
    say(terminal.compared_text(out))
    return C.EXIT_OK


def _run_on_cluster(found: scenario_files.Scenario, args: argparse.Namespace, say: Say) -> int:
    """``run`` over Dask workers: the same options, outputs as Parquet datasets."""
    from consumption.cluster import run as cluster

    options = found.options
    if options.get("workers") is not None and options.get("cluster") is not None:
        raise UsageError("give --workers (a cluster here) or --cluster (a scheduler), not both")
    if _formats(options, args) or options.get("anaplan") or args.report:
        raise UsageError(
            "--format, --anaplan and --report are not offered on a cluster yet: run without them"
        )
    tables = {
        name: read_table(path, scenario_files.TABLES[name], options=found.files.get(name))
        for name, path in (("lanes", found.lanes), ("mrsl", found.mrsl), ("items", found.items))
        if path is not None
    }
    plan = cluster.Plan(
        as_of=options.get("as_of"), order=options.get("order", C.ORDER_REQUIREMENT),
        engine=options.get("engine") or C.ENGINE_GREEDY, horizon_end=options.get("horizon_end"),
        prefer=options.get("prefer"), solver=options.get("solver"),
        time_limit=options.get("time_limit"), lanes=tables.get("lanes"),
        mrsl=tables.get("mrsl"), items=tables.get("items"),
    )  # fmt: skip
    out = Path(options.get("out") or C.DEFAULT_OUT_DIR)
    strict = bool(options.get("strict"))
    try:
        with cluster.connect(options.get("cluster"), options.get("workers")) as client:
            summary = cluster.run(
                found.inventory, found.demand, out, client, plan=plan, options=found.files,
                partitions=options.get("partitions"), protected=found.inputs, strict=strict,
            )  # fmt: skip
    except StrictStopError as stop:
        return C.EXIT_WARNINGS if _warned(stop.warnings, options) else C.EXIT_OK
    _warned(summary["warnings"], {})
    say(terminal.summary_text(summary))
    written = [out / name for name in sorted(os.listdir(out)) if not name.startswith(".")]
    say(terminal.written_text(written, out))
    return C.EXIT_OK


# --- validate -----------------------------------------------------------------------------------


def _add_validate(commands: argparse._SubParsersAction) -> None:
    validate = commands.add_parser(
        "validate",
        help="check the input files and report every problem",
        description="Read and check the input files with every rule a run applies, without "
        "allocating; exit 2 on bad input.",
    )
    _input_options(validate)
    validate.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    found = _scenario(args)
    inputs = read_inputs(
        found.inventory, found.demand, found.lanes, options=found.files,
        mrsl=found.mrsl, items=found.items,
    )  # fmt: skip
    options = found.options
    warnings = check(
        inputs.inventory, inputs.demand, inputs.lanes, options.get("as_of"),
        options.get("prefer"), inputs.mrsl, inputs.items,
    )  # fmt: skip
    _notices(print, inputs.notices)
    if _warned(warnings, options):
        return C.EXIT_WARNINGS
    print(terminal.validated_text(found.inventory, found.demand, inputs))
    return C.EXIT_OK


# --- report -------------------------------------------------------------------------------------


def _add_report(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report",
        help="write the HTML report of a run: charts, what is at risk and what to act on",
        description=f"Read the current run in OUT and write one self-contained HTML file "
        f"(default OUT/{C.REPORT_FILE}) that opens offline: the headline, expiry risk by month, "
        "unconsumed and short stock by reason, the items to act on, a table per item and the "
        "run's parameters and input checksums.",
    )
    report.add_argument("out", metavar="OUT_DIR", help="the --out folder of a run")
    report.add_argument(
        "--html", metavar="FILE", help=f"where to write the report (default OUT/{C.REPORT_FILE})"
    )
    report.add_argument(
        "--png", metavar="DIR", help="also write every chart as PNG and SVG into DIR, for slides"
    )
    report.add_argument("--quiet", action="store_true", help="print nothing but errors")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from consumption.outputs import report

    say = _say(args)
    run = report.from_folder(args.out)
    target = Path(args.html) if args.html else Path(args.out) / C.REPORT_FILE
    written = [report.write_html(run, target)]
    if args.png:
        written += report.write_pictures(run, args.png)
    say(terminal.report_text(written))
    return C.EXIT_OK


# --- explain ------------------------------------------------------------------------------------


def _add_explain(commands: argparse._SubParsersAction) -> None:
    explain = commands.add_parser(
        "explain",
        help="tell why one lot was or was not consumed, or why one demand line went short",
        description="Read the current run in OUT and tell the story of one lot (its FEFO rank, "
        "each line that could take it, what each took, why stock is left) or of one demand "
        "line (the lots it took from, why it is short).",
    )
    explain.add_argument("out", metavar="OUT_DIR", help="the --out folder of a run")
    which = explain.add_mutually_exclusive_group(required=True)
    which.add_argument("--lot", metavar="ID", help="the lot to explain")
    which.add_argument("--line", metavar="ID", help="the demand line to explain (its id or row)")
    explain.add_argument("--item", metavar="ITEM", help="the lot's item, when its id repeats")
    explain.add_argument(
        "--location", metavar="LOCATION", help="the lot's location, when its id repeats"
    )
    explain.set_defaults(handler=_explain)


def _explain(args: argparse.Namespace) -> int:
    from consumption.outputs import explain

    run = explain.read_run(args.out)
    if args.lot is not None:
        print(explain.explain_lot(run, args.lot, args.item, args.location))
    else:
        print(explain.explain_line(run, args.line))
    return C.EXIT_OK


# --- Anaplan (SPEC §7): push and anaplan-payload --------------------------------------------------
# Both need the anaplan extra (requests, cryptography): only these commands import it.


def _add_push(commands: argparse._SubParsersAction) -> None:
    push = commands.add_parser(
        "push",
        help="load an Anaplan export into a model (bulk API v2)",
        description="Upload each file of OUT/anaplan in chunks and run its import or process, "
        "in the order of anaplan.toml; a failed task's dump is saved in OUT/anaplan/dumps/.",
    )
    push.add_argument("out", metavar="OUT_DIR", help="the --out folder of a run with --anaplan")
    push.add_argument("--config", required=True, metavar="FILE", help="anaplan.toml")
    push.add_argument("--quiet", action="store_true", help="print nothing but errors")
    push.set_defaults(handler=_push)


def _push(args: argparse.Namespace) -> int:
    from consumption.anaplan import config, push

    settings = config.load(args.config)
    say = _say(args)
    # Warnings (plain HTTP, a key others may read) are printed even with --quiet.
    reports = push.push(
        Path(args.out), settings, say=say, warn=lambda text: _err(terminal.warning_text(text))
    )
    say(terminal.pushed_text(len(reports), settings.model))
    return C.EXIT_OK


def _add_pull(commands: argparse._SubParsersAction) -> None:
    pull = commands.add_parser(
        "pull",
        help="fetch inventory, demand and lanes from Anaplan export actions",
        description="Run the export actions of anaplan.toml's [anaplan.pull] tables, download "
        "their files, check them as the engine reads them, and make inventory.csv, demand.csv, "
        "lanes.csv, scenario.toml and pull.json current in DIR together.",
    )
    pull.add_argument("--config", required=True, metavar="FILE", help="anaplan.toml")
    pull.add_argument(
        "--into",
        default=C.DEFAULT_PULL_DIR,
        metavar="DIR",
        help=f"the folder the inputs go into, a scenario folder (default: {C.DEFAULT_PULL_DIR})",
    )
    pull.add_argument("--quiet", action="store_true", help="print nothing but errors")
    pull.set_defaults(handler=_pull)


def _pull(args: argparse.Namespace) -> int:
    from consumption.anaplan import config, pull

    settings = config.load(args.config)
    say = _say(args)
    pulled = pull.pull(
        Path(args.into), settings, say=say, warn=lambda text: _err(terminal.warning_text(text))
    )
    say(terminal.pulled_text(len(pulled), settings.model, Path(args.into)))
    return C.EXIT_OK


def _add_sync(commands: argparse._SubParsersAction) -> None:
    sync = commands.add_parser(
        "sync",
        help="pull the inputs from Anaplan, run, and push the results, as one job",
        description="Pull (the export actions of [anaplan.pull]), run (the options of "
        "[anaplan.run], the Anaplan export) and push (the loads of [[anaplan.load]]) in a new "
        "batch folder under DIR/batches/, holding a lock on the model; one line per stage. "
        f"Exit codes: {C.EXIT_OK} done, {C.EXIT_BAD_INPUT} bad input or configuration, "
        f"{C.EXIT_PULL_FAILED}/{C.EXIT_RUN_FAILED}/{C.EXIT_PUSH_FAILED} pull/run/push failed, "
        f"{C.EXIT_BUSY} another sync of the model is running.",
    )
    sync.add_argument("--config", required=True, metavar="FILE", help="anaplan.toml")
    sync.add_argument(
        "--work", required=True, metavar="DIR", help="the folder that holds the batch folders"
    )
    sync.add_argument("--quiet", action="store_true", help="print nothing but errors")
    sync.set_defaults(handler=_sync)


def _sync(args: argparse.Namespace) -> int:
    from consumption import sync
    from consumption.anaplan import config

    settings = config.load(args.config)
    batch = sync.sync(
        Path(args.work), settings, say=_say(args),
        warn=lambda text: _err(terminal.warning_text(text)),
    )  # fmt: skip
    _say(args)(terminal.synced_text(batch.batch_id, batch.folder))
    return C.EXIT_OK


def _add_anaplan_config(commands: argparse._SubParsersAction) -> None:
    skeleton = commands.add_parser(
        "anaplan-config",
        help="print an anaplan.toml to fill in, with a load for every file of an export",
        description="Print a commented anaplan.toml for the Anaplan export in OUT_DIR: a "
        "[[anaplan.load]] per file in load order, with its target and columns, a place for "
        "each ID, and the [anaplan.pull] tables.",
    )
    skeleton.add_argument("out", metavar="OUT_DIR", help="the --out folder of a run with --anaplan")
    skeleton.add_argument(
        "--to", metavar="FILE", help="write it to FILE (never over an existing file)"
    )
    skeleton.set_defaults(handler=_anaplan_config)


def _anaplan_config(args: argparse.Namespace) -> int:
    from consumption.anaplan import skeleton

    text = skeleton.skeleton(Path(args.out))
    if args.to is None:
        print(text, end="")
        return C.EXIT_OK
    try:  # "x": a configuration filled in by hand is never replaced by a blank one
        with open(args.to, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError as error:
        raise UsageError(f"{args.to} exists already; give another FILE, or remove it") from error
    print(terminal.written_config_text(Path(args.to)))
    return C.EXIT_OK


def _add_anaplan_payload(commands: argparse._SubParsersAction) -> None:
    payload = commands.add_parser(
        "anaplan-payload",
        help="print a signed body for Anaplan's certificate authentication",
        description="Print the JSON body of POST /token/authenticate, signed with the private "
        "key; the key's passphrase comes from ANAPLAN_KEY_PASSPHRASE or is asked for.",
    )
    payload.add_argument("--private-key", required=True, metavar="KEY", help="PEM private key")
    payload.add_argument(
        "--format",
        choices=C.ANAPLAN_PAYLOAD_FORMATS,
        default=C.ANAPLAN_PAYLOAD_FORMATS[0],
        help="message format: v2 starts with the time (default), v1 is all random",
    )
    payload.set_defaults(handler=_anaplan_payload)


def _anaplan_payload(args: argparse.Namespace) -> int:
    import json

    from consumption.anaplan import auth

    key = auth.load_private_key(args.private_key)
    print(json.dumps(auth.payload(key, args.format)))
    return C.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
