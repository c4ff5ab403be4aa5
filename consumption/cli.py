"""The ``consumption`` command: a thin layer over the library.

Each command parses its options, calls the library, prints a short report and
maps the library's exceptions to the exit codes of SPEC §8.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from consumption import constants as C
from consumption.api import allocate, parse_day
from consumption.engine.encode import encode
from consumption.errors import ConsumptionError, InputError, InvariantError, UsageError
from consumption.io import scenario as scenario_files
from consumption.io.read import Inputs, read_inputs
from consumption.outputs.terminal import summary_text, table_text


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except InputError as error:
        count = len(error.problems) + error.truncated
        _err(
            f"error: the input has {count} problem{'s' if count != 1 else ''}; nothing was written"
        )
        _err(error.report())
        return C.EXIT_BAD_INPUT
    except UsageError as error:
        _err(f"error: {error}")
        return C.EXIT_BAD_INPUT
    except InvariantError as error:
        _err(f"internal error: {error}")
        return C.EXIT_FAILURE
    except ConsumptionError as error:
        _err(f"error: {error}")
        return C.EXIT_FAILURE
    except OSError as error:
        _err(f"error: {error.strerror or error}: {error.filename or ''}".rstrip(": "))
        return C.EXIT_FAILURE
    except KeyboardInterrupt:
        _err("interrupted; nothing was written")
        return C.EXIT_FAILURE
    except Exception as error:  # a bug: say so plainly, keep the traceback for debugging
        if os.environ.get("CONSUMPTION_DEBUG"):
            raise
        _err(
            f"internal error: {type(error).__name__}: {error}\n"
            "this is a bug in consumption; set CONSUMPTION_DEBUG=1 to see the traceback"
        )
        return C.EXIT_FAILURE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consumption",
        description="Which inventory lots demand with shelf-life requirements will consume, "
        "which it will not, and which demand goes short.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="allocate lots to demand and write the results",
        description="Allocate lots to demand (FEFO, requirements lowest first) and write "
        "lots.csv, allocations.csv, demand.csv and summary.json.",
    )
    _inputs(run)
    run.add_argument("--out", help=f"output folder (default: {C.DEFAULT_OUT_DIR})")
    run.add_argument(
        "--order",
        choices=C.ORDERS,
        help="serving order: requirement = lowest threshold first (the default, fills the "
        "most); due = earliest due date first (what the warehouse will do)",
    )
    run.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="day 0 of the plan; required when the inputs hold dates",
    )
    run.add_argument(
        "--horizon-end",
        metavar="YYYY-MM-DD",
        help="last day of the planning horizon for the expiry risk (default: last due date)",
    )
    run.add_argument(
        "--format",
        choices=C.FORMATS,
        help="also write forum.csv (the forum table) and remaining_demand.csv",
    )
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_anaplan_flag(run)
    _add_engine_options(run)
    run.set_defaults(handler=_run)

    validate = commands.add_parser(
        "validate",
        help="check the input files and report every problem",
        description="Read and check the input files without allocating; exit 2 on bad input.",
    )
    _inputs(validate)
    validate.set_defaults(handler=_validate)
    _add_push(commands)
    _add_anaplan_payload(commands)
    _add_compare(commands)
    return parser


def _inputs(command: argparse.ArgumentParser) -> None:
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


def _resolve(args: argparse.Namespace) -> scenario_files.Scenario:
    """The input files and options, from a scenario folder or two files."""
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
    return scenario_files.Scenario(found.inventory, found.demand, options, found.description)


def _prepare(
    args: argparse.Namespace,
) -> tuple[scenario_files.Scenario, Callable[[str], None], Inputs]:
    """The scenario, the printer (silent with --quiet) and the inputs, notices printed."""
    found = _resolve(args)
    say: Callable[[str], None] = (lambda _: None) if args.quiet else print
    inputs = _read(found, False if args.quiet else None)
    _notices(say, inputs.notices)
    return found, say, inputs


def _plan_options(options: dict) -> dict:
    """``allocate``'s planning keywords from the merged scenario and command-line options."""
    return {
        "as_of": options.get("as_of"),
        "order": options.get("order", C.ORDER_REQUIREMENT),
        "horizon_end": options.get("horizon_end"),
    }


def _formats(options: dict) -> tuple[str, ...]:
    fmt = options.get("format")
    if fmt and fmt not in C.FORMATS:
        raise UsageError(f"format {fmt!r} is not known; use one of: {', '.join(C.FORMATS)}")
    return (fmt,) if fmt else ()


def _read(found: scenario_files.Scenario, progress: bool | None = None) -> Inputs:
    """Every input file, reporting all files' problems at once under one cap."""
    return read_inputs(found.inventory, found.demand, found.lanes, progress=progress)


def _run(args: argparse.Namespace) -> int:
    found, say, (inventory, demand, lanes, _) = _prepare(args)
    options = found.options
    formats = _formats(options)
    result = allocate(
        inventory, demand, lanes, **_plan_options(options), **_engine_options(args, options)
    )
    out = Path(options.get("out") or C.DEFAULT_OUT_DIR)
    written = result.write(
        out, formats=formats, protected=found.inputs, anaplan=bool(options.get("anaplan"))
    )
    if C.FORMAT_FORUM in formats and len(result.forum) <= C.MAX_ROWS_PRINTED:
        say(table_text(result.forum, result.decimals))
        say("")
    say(summary_text(result.summary))
    _lp_notice(say, result.summary.get("lp"))
    say(f"wrote {', '.join(str(p.relative_to(out)) for p in written)} to {out}")
    return C.EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    found = _resolve(args)
    inventory, demand, lanes, notices = _read(found)
    # The checks that need every file: duplicates, quantity range, lanes, dates.
    encode(inventory, demand, lanes, parse_day(found.options.get("as_of"), "--as-of"))
    _notices(print, notices)
    print(
        f"{found.inventory}: {len(inventory):,} lots; {found.demand}: {len(demand):,} demand "
        "lines; no problems found"
    )
    return C.EXIT_OK


def _notices(say: Callable[[str], None], notices: list[str]) -> None:
    for notice in notices:
        say(f"note: {notice}")


def _err(message: str) -> None:
    print(message, file=sys.stderr)


# --- Anaplan (SPEC §7): the export flag, push and anaplan-payload ---------------------------
# The push modules import requests and cryptography: only the commands that need them do.


def _add_anaplan_flag(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--anaplan",
        action="store_true",
        default=None,  # None: not given, so scenario.toml may decide
        help="also write the Anaplan-ready export to OUT/anaplan/ (list and module files, "
        "manifest.json) and remaining_demand.csv",
    )


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
    from consumption.anaplan import config as anaplan_config
    from consumption.anaplan import push as anaplan_push

    config = anaplan_config.load(args.config)
    say: Callable[[str], None] = (lambda _: None) if args.quiet else print
    reports = anaplan_push.push(Path(args.out), config, say=say)
    say(f"pushed {len(reports)} load(s) to model {config.model}")
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

    from consumption.anaplan import auth as anaplan_auth

    key = anaplan_auth.load_private_key(args.private_key)
    print(json.dumps(anaplan_auth.payload(key, args.format)))
    return C.EXIT_OK


# --- the optimizer (SPEC §4): --engine lp on run, and compare -------------------------------


def _add_engine_options(command: argparse.ArgumentParser, engine: bool = True) -> None:
    if engine:
        command.add_argument(
            "--engine",
            choices=C.ENGINES,
            help="greedy = the FEFO rule (default); lp = the allocation that fills the most, "
            "by linear programming",
        )
    command.add_argument(
        "--solver", choices=C.SOLVERS, help="LP solver: cbc (bundled, default) or highs"
    )
    command.add_argument(
        "--time-limit",
        type=float,
        metavar="SECONDS",
        help="stop the LP after this long and keep the best solution found",
    )


def _engine_options(args: argparse.Namespace, given: dict) -> dict:
    """``allocate``'s engine keywords from the options; the progress line unless --quiet."""
    options = {"engine": given.get("engine") or C.ENGINE_GREEDY}
    solver, time_limit = given.get("solver"), given.get("time_limit")
    if options["engine"] == C.ENGINE_LP or solver or time_limit is not None:
        options |= {"solver": solver, "time_limit": time_limit}
    options["progress"] = False if args.quiet else None
    return options


def _lp_notice(say: Callable[[str], None], lp: dict | None) -> None:
    if lp is None:
        return
    say(
        f"LP ({lp['solver']}): {lp['status']}, {lp['variables']:,} variables, "
        f"{lp['constraints']:,} constraints in {lp['blocks']:,} "
        f"block{'s' if lp['blocks'] != 1 else ''}; "
        f"build {lp['build_s']:.2f} s, solve {lp['solve_s']:.2f} s"
    )
    if lp["status"] != C.LP_OPTIMAL:
        _err(
            f"warning: the LP solver did not finish ({lp['status']}): this is the best "
            "solution it found, not a proven optimum"
        )


def _add_compare(commands: argparse._SubParsersAction) -> None:
    compare = commands.add_parser(
        "compare",
        help="run the greedy and the LP on the same input and compare them",
        description="Allocate with the greedy and with the LP, write both result sets to "
        "OUT/greedy and OUT/lp, the differences to compare_lots.csv and compare_demand.csv, "
        "and say in compare.json whether the greedy is optimal.",
    )
    _inputs(compare)
    compare.add_argument("--out", help=f"output folder (default: {C.DEFAULT_COMPARE_DIR})")
    compare.add_argument("--order", choices=C.ORDERS, help="the greedy's serving order")
    compare.add_argument("--as-of", metavar="YYYY-MM-DD", help="day 0 of the plan")
    compare.add_argument(
        "--horizon-end", metavar="YYYY-MM-DD", help="last day of the expiry-risk horizon"
    )
    compare.add_argument(
        "--format", choices=C.FORMATS, help="also write forum.csv in greedy/ and lp/"
    )
    compare.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_engine_options(compare, engine=False)
    compare.set_defaults(handler=_compare)


def _compare(args: argparse.Namespace) -> int:
    from consumption.outputs.compare import compare, comparison_text

    found, say, (inventory, demand, lanes, _) = _prepare(args)
    options = found.options
    formats = _formats(options)
    result = compare(
        inventory,
        demand,
        lanes,
        **_plan_options(options),
        solver=args.solver or C.SOLVER_CBC,
        time_limit=args.time_limit,
        progress=False if args.quiet else None,
    )
    out = Path(options.get("out") or C.DEFAULT_COMPARE_DIR)
    result.write(out, formats=formats, protected=found.inputs)
    say(comparison_text(result.report))
    _lp_notice(lambda _: None, result.lp.summary["lp"])  # the warning only, on stderr
    files = (C.COMPARE_LOTS_FILE, C.COMPARE_DEMAND_FILE, C.COMPARE_FILE)
    say(f"wrote greedy/, lp/, {', '.join(files)} to {out}")
    return C.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
