"""Scenario folders: input files plus the run options of ``scenario.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consumption.errors import UsageError

SCENARIO_FILE = "scenario.toml"
INVENTORY_FILE = "inventory.csv"
DEMAND_FILE = "demand.csv"
# Options a scenario may set; the command line overrides each of them.
RUN_OPTIONS: dict[str, type | tuple[type, ...]] = {
    "format": str,
    "out": str,
    "order": str,
    "as_of": str,
    "horizon_end": str,
    "lanes": str,
    "engine": str,
    "solver": str,
    "time_limit": (int, float),
    "anaplan": bool,
}
_KINDS: dict[Any, str] = {str: 'text, in quotes (as_of = "2026-12-01")', bool: "true or false"}
LANES_FILE = "lanes.csv"
_PATH_OPTIONS = ("out", "lanes")


@dataclass(frozen=True)
class Scenario:
    """Where the inputs of a run are and which options it asks for."""

    inventory: Path
    demand: Path
    options: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def lanes(self) -> Path | None:
        value = self.options.get("lanes")
        return None if value is None else Path(value)

    @property
    def inputs(self) -> tuple[Path, ...]:
        """Every input file: outputs must never replace one of them."""
        return (self.inventory, self.demand) + ((self.lanes,) if self.lanes else ())


def load(folder: str | Path) -> Scenario:
    """Read ``folder/scenario.toml`` and locate the folder's input files.

    A folder without ``scenario.toml`` is still a scenario: its inputs with
    default options.
    """
    folder = Path(folder)
    config = _read_toml(folder / SCENARIO_FILE)
    unknown = sorted(set(config) - {"description", "run"})
    if unknown:
        raise UsageError(
            f"{folder / SCENARIO_FILE}: unknown key(s) {', '.join(unknown)}; "
            "expected 'description' and a [run] table"
        )
    options = config.get("run", {})
    for key, value in options.items():
        if key not in RUN_OPTIONS:
            raise UsageError(
                f"{folder / SCENARIO_FILE}: unknown run option {key!r}; "
                f"accepted: {', '.join(sorted(RUN_OPTIONS))}"
            )
        kind = RUN_OPTIONS[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise UsageError(
                f"{folder / SCENARIO_FILE}: run option {key!r} must be "
                f"{_KINDS.get(kind, 'a number of seconds')}"
            )
    for key in _PATH_OPTIONS:  # paths in scenario.toml are relative to its folder
        if options.get(key) is not None:
            options[key] = str(folder / options[key])
    if "lanes" not in options and (folder / LANES_FILE).is_file():
        options["lanes"] = str(folder / LANES_FILE)
    return Scenario(
        inventory=_input(folder, INVENTORY_FILE),
        demand=_input(folder, DEMAND_FILE),
        options=options,
        description=str(config.get("description", "")),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: not valid TOML ({error})") from error


def _input(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise UsageError(f"scenario folder {folder} has no {name}")
    return path
