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

from . import constants as C
from . import scenario as scenario_files
from .api import allocate
from .display import summary_text, table_text
from .errors import ConsumptionError, InputError, InvariantError, UsageError
from .instance import encode
from .reading import read_demand, read_inventory


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
        help="serving order of demand lines: requirement = lowest shelf-life requirement first",
    )
    run.add_argument(
        "--format",
        choices=C.FORMATS,
        help="also write forum.csv (the forum table) and remaining_demand.csv",
    )
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.set_defaults(handler=_run)

    validate = commands.add_parser(
        "validate",
        help="check the input files and report every problem",
        description="Read and check the input files without allocating; exit 2 on bad input.",
    )
    _inputs(validate)
    validate.set_defaults(handler=_validate)
    return parser


def _inputs(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="INVENTORY DEMAND (two CSV files), or one SCENARIO_DIR holding inventory.csv, "
        "demand.csv and scenario.toml",
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


def _read(found: scenario_files.Scenario) -> tuple:
    problems, frames = [], []
    for reader, path in ((read_inventory, found.inventory), (read_demand, found.demand)):
        try:
            frames.append(reader(path))
        except InputError as error:  # report both files' problems at once
            problems.append(error)
    if problems:
        raise InputError(
            [p for e in problems for p in e.problems], sum(e.truncated for e in problems)
        )
    return tuple(frames)


def _run(args: argparse.Namespace) -> int:
    found = _resolve(args)
    say: Callable[[str], None] = (lambda _: None) if args.quiet else print
    inventory, demand = _read(found)
    _notices(say, inventory, demand)
    options = found.options
    result = allocate(inventory, demand, order=options.get("order", C.ORDER_REQUIREMENT))
    formats = (options["format"],) if options.get("format") else ()
    if formats and options["format"] not in C.FORMATS:
        raise UsageError(
            f"format {options['format']!r} is not known; use one of: {', '.join(C.FORMATS)}"
        )
    out = Path(options.get("out") or C.DEFAULT_OUT_DIR)
    written = result.write(out, formats=formats, protected=(found.inventory, found.demand))
    if C.FORMAT_FORUM in formats and len(result.forum) <= C.MAX_ROWS_PRINTED:
        say(table_text(result.forum, result.decimals))
        say("")
    say(summary_text(result.summary))
    say(f"wrote {', '.join(str(p.name) for p in written)} to {out}")
    return C.EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    found = _resolve(args)
    inventory, demand = _read(found)
    encode(inventory, demand)  # the checks that need both files: duplicates, quantity range
    _notices(print, inventory, demand)
    print(
        f"{found.inventory}: {len(inventory):,} lots; {found.demand}: {len(demand):,} demand "
        "lines; no problems found"
    )
    return C.EXIT_OK


def _notices(say: Callable[[str], None], *frames: object) -> None:
    for frame in frames:
        for notice in getattr(frame, "attrs", {}).get("notices", []):
            say(f"note: {notice}")


def _err(message: str) -> None:
    print(message, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
