"""Scenario folders: the input files, their conventions, and the run options of ``scenario.toml``.

```toml
description = "One line saying what this scenario is."

[run]
as_of = "2026-12-01"        # every run option by its long name
out = "out"                 # relative to the folder

[inventory]                 # optional: the file and how it is written
file = "MB52_export.csv"
decimal = ","
thousands = "."
date_format = "%d.%m.%Y"
columns = { Material = "item", Plant = "location", Batch = "lot", Unrestricted = "qty" }
```

Every problem names ``scenario.toml`` and the key, and what is accepted.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from consumption import constants as C
from consumption.errors import UsageError
from consumption.io import schema as s
from consumption.io.formats import FileOptions, file_options

SCENARIO_FILE: Final = "scenario.toml"
TABLES: Final = {table.name: table for table in s.TABLES}
# The files a folder's table is found in when scenario.toml names none, in this order.
SUFFIXES: Final = (".csv", ".xlsx", ".parquet")


def _choice(choices: tuple[str, ...]) -> Any:
    def check(value: Any) -> str | None:
        return None if value in choices else f"one of {', '.join(map(repr, choices))}"

    return check


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value else 'text, in quotes (as_of = "2026-12-01")'


def _date(value: Any) -> str | None:
    try:
        day = dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None:
        return 'a date in quotes, YYYY-MM-DD (as_of = "2026-12-01")'
    if not C.FIRST_DATE <= day <= C.LAST_DATE:
        return f"a date from {C.FIRST_DATE} to {C.LAST_DATE}"
    return None


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "true or false"


def _count(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    return None if ok else "a whole number from 1"


def _seconds(value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    return None if ok else "a number of seconds above 0"


# Options a scenario may set; the command line overrides each of them. Each checks its value
# and says what it accepts.
RUN_OPTIONS: Final[dict[str, Any]] = {
    "format": _choice(C.FORMATS),
    "out": _text,
    "order": _choice(C.ORDERS),
    "as_of": _date,
    "horizon_end": _date,
    "lanes": _text,
    "mrsl": _text,
    "items": _text,
    "engine": _choice(C.ENGINES),
    "solver": _choice(C.SOLVERS),
    "time_limit": _seconds,
    "anaplan": _flag,
    "prefer": _choice(C.PREFER),
    "strict": _flag,
    "workers": _count,
    "cluster": _text,
    "partitions": _count,
}
# [cluster] in scenario.toml: its keys, as the run options they set.
CLUSTER_KEYS: Final = {"workers": "workers", "address": "cluster", "partitions": "partitions"}
# The tables a run may do without, each a path option too.
OPTIONAL_TABLES: Final = (s.LANES.name, s.MRSL.name, s.ITEMS.name)
_PATH_OPTIONS: Final = ("out", *OPTIONAL_TABLES)


@dataclass(frozen=True)
class Scenario:
    """Where the inputs of a run are, how they are written, and which options it asks for."""

    inventory: Path
    demand: Path
    options: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    files: dict[str, FileOptions] = field(default_factory=dict)  # table name -> conventions

    def optional(self, name: str) -> Path | None:
        """The file of an optional table (lanes, mrsl, items), if the run has one."""
        value = self.options.get(name)
        return None if value is None else Path(value)

    @property
    def lanes(self) -> Path | None:
        return self.optional(s.LANES.name)

    @property
    def mrsl(self) -> Path | None:
        return self.optional(s.MRSL.name)

    @property
    def items(self) -> Path | None:
        return self.optional(s.ITEMS.name)

    @property
    def inputs(self) -> tuple[Path, ...]:
        """Every input file: outputs must never replace one of them."""
        optional = (self.optional(name) for name in OPTIONAL_TABLES)
        return (self.inventory, self.demand, *(path for path in optional if path is not None))


def load(folder: str | Path) -> Scenario:
    """Read ``folder/scenario.toml`` and locate the folder's input files.

    A folder without ``scenario.toml`` is still a scenario: its inputs with
    default options.
    """
    folder = Path(folder)
    path = folder / SCENARIO_FILE
    config = _read_toml(path)
    known = {"description", "run", "cluster", *TABLES}
    unknown = sorted(set(config) - known)
    if unknown:
        raise UsageError(
            f"{path}: unknown key(s) {', '.join(unknown)}; known: description, a [run] table "
            f"and [{'], ['.join(TABLES)}] tables"
        )
    options = run_options(config.get("run", {}), f"{path} [run]")
    options |= _cluster_options(config.get("cluster", {}), f"{path} [cluster]")
    for key in _PATH_OPTIONS:  # paths in scenario.toml are relative to its folder
        if options.get(key) is not None:
            options[key] = str(folder / options[key])
    files: dict[str, FileOptions] = {}
    paths: dict[str, Path | None] = {}
    for name, table in TABLES.items():
        given = _table(config.get(name, {}), f"{path} [{name}]")
        file = given.pop("file", None)
        paths[name] = folder / file if file else _default_file(folder, name)
        files[name] = file_options(table, given, f"{path} [{name}]", in_file=True)
    for name in OPTIONAL_TABLES:
        if name not in options and paths[name] is not None:
            options[name] = str(paths[name])
    return Scenario(
        inventory=_required(paths[s.INVENTORY.name], folder, s.INVENTORY.name),
        demand=_required(paths[s.DEMAND.name], folder, s.DEMAND.name),
        options=options,
        description=str(config.get("description", "")),
        files=files,
    )


def run_options(given: Any, where: str) -> dict[str, Any]:
    """Check the ``[run]`` options; each problem names ``where`` and the key."""
    if not isinstance(given, dict):
        raise UsageError(f"{where} must be a table of options")
    for key, value in given.items():
        if key not in RUN_OPTIONS:
            raise UsageError(
                f"{where}: unknown run option {key!r}; accepted: {', '.join(sorted(RUN_OPTIONS))}"
            )
        wanted = RUN_OPTIONS[key](value)
        if wanted is not None:
            raise UsageError(f"{where}: {key} = {value!r} is not accepted; it must be {wanted}")
    return dict(given)


def _cluster_options(given: Any, where: str) -> dict[str, Any]:
    """``[cluster]``: ``workers`` for a cluster on this machine, or a scheduler ``address``."""
    if not isinstance(given, dict):
        raise UsageError(f"{where} must be a table of options")
    unknown = sorted(set(given) - set(CLUSTER_KEYS))
    if unknown:
        raise UsageError(
            f"{where}: unknown key(s) {', '.join(unknown)}; accepted: {', '.join(CLUSTER_KEYS)}"
        )
    renamed = {CLUSTER_KEYS[key]: value for key, value in given.items()}
    for key, value in renamed.items():
        wanted = RUN_OPTIONS[key](value)
        if wanted is not None:
            raise UsageError(f"{where}: {key} = {value!r} is not accepted; it must be {wanted}")
    return renamed


def _table(given: Any, where: str) -> dict[str, Any]:
    if not isinstance(given, dict):
        raise UsageError(f"{where} must be a table: [{where.rsplit('[', 1)[-1]}")
    file = given.get("file")
    if file is not None and not (isinstance(file, str) and file):
        raise UsageError(f"{where}: file must be the file's name, in quotes")
    return dict(given)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")  # with or without a byte-order mark
    except UnicodeDecodeError as error:
        raise UsageError(
            f"{path}: not UTF-8 (byte 0x{raw[error.start]:02X} at position {error.start}): "
            "save it as UTF-8"
        ) from error
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: not valid TOML ({error})") from error


def _default_file(folder: Path, name: str) -> Path | None:
    for suffix in SUFFIXES:
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    return None


def _required(path: Path | None, folder: Path, name: str) -> Path:
    if path is None:
        raise UsageError(
            f"scenario folder {folder} has no {name}.csv ({name}.xlsx or {name}.parquet); "
            f'name its file in {SCENARIO_FILE}: [{name}] file = "..."'
        )
    if not path.is_file():
        raise UsageError(f"scenario folder {folder}: the {name} file {path.name} is not there")
    return path


def merged_files(
    base: Mapping[str, FileOptions], given: Mapping[str, Mapping[str, Any]]
) -> dict[str, FileOptions]:
    """Conventions from ``scenario.toml`` with the command line's given on top, per table."""
    out = dict(base)
    for name, table in TABLES.items():
        extra = dict(given.get(name, {}))
        if not extra:
            continue
        current = out.get(name, FileOptions())
        values: dict[str, Any] = {
            "decimal": current.decimal,
            "thousands": current.thousands,
            "date_format": current.date_format,
            "columns": dict(current.columns),
            "sheet": current.sheet,
        }
        columns = extra.pop("columns", {})
        values.update({k: v for k, v in extra.items() if v is not None})
        values["columns"].update(columns)
        out[name] = file_options(table, values, f"the {name} options")
    return out
