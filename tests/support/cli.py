"""Running the command line in tests: exit codes, snapshots of output folders, settings."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from consumption.cli import main
from consumption.io.write import STAGING_PREFIX

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
FORUM = SCENARIOS / "forum-example"
REGIONAL = SCENARIOS / "regional-network"
DATA = Path(__file__).resolve().parents[1] / "data"

# Each example of the CLI-level properties runs the whole program once or twice: a fifth of
# the profile's examples keeps them to seconds in CI, and thorough under HYPOTHESIS_PROFILE.
CLI_EXAMPLES = max(20, settings.default.max_examples // 5)
CLI_SETTINGS = settings(
    max_examples=CLI_EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# SIGKILL, and the flock that tells a dead run's staging folder from a live one's.
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and flock are POSIX")


def run(*args: str | Path) -> int:
    return main(["run", *map(str, args), "--quiet"])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), staging folders left out."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).parts[0].startswith(STAGING_PREFIX)
    }


def staging_folders(folder: Path) -> list[Path]:
    return sorted(folder.glob(STAGING_PREFIX + "*"))


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
