"""Running the command line in tests: exit codes, snapshots of output folders, settings."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from consumption.cli import main
from consumption.io.outfolder import RUNS_DIR, STAGING_PREFIX, STATE_DIR, current_folder

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
    """Every output the folder shows now (relative path -> bytes), read from its current run."""
    run = current_folder(folder)
    return {
        str(p.relative_to(run)): p.read_bytes()
        for p in sorted(run.rglob("*"))
        if p.is_file() and STATE_DIR not in p.relative_to(run).parts
    }


def staging_folders(folder: Path) -> list[Path]:
    """Run folders being written (or left by a run that died) in an output folder."""
    return sorted((folder / STATE_DIR / RUNS_DIR).glob(STAGING_PREFIX + "*"))


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
