"""``manifest.json`` of an Anaplan export: what each file is, and how to tell it unchanged.

The manifest lists the files in load order with their kind, target, columns,
row count and sha256; ``consumption push`` refuses a file whose bytes no
longer match it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from consumption.errors import AnaplanConfigError
from consumption.io.outfolder import sha256_of
from consumption.io.write import write_json

MANIFEST_FILE: Final = "manifest.json"
MANIFEST_VERSION: Final = 1


def entry(
    file: str, kind: str, target: str, columns: list[dict[str, str]], rows: int, path: Path
) -> dict[str, Any]:
    """The manifest's record of one written file."""
    return {
        "file": file,
        "kind": kind,
        "target": target,
        "columns": columns,
        "rows": rows,
        "sha256": sha256_of(path),
    }


def write(
    folder: Path,
    run_id: str,
    batch: str,
    created: str | None,
    as_of: str | None,
    entries: list[dict[str, Any]],
    notices: list[str] | None = None,
) -> dict[str, Any]:
    """Write ``folder/manifest.json`` and return it."""
    manifest = {
        "version": MANIFEST_VERSION,
        "run_id": run_id,
        "batch": batch,
        "created": created,
        "as_of": as_of,
        "encoding": "UTF-8",
        "separator": ",",
        "header_row": 1,
        "first_data_row": 2,
        "files": entries,
        "notices": notices or [],  # what was changed so that Anaplan imports it
    }
    write_json(folder / MANIFEST_FILE, manifest)
    return manifest


def read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """The export's files by name, from ``manifest.json``."""
    path = folder / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise AnaplanConfigError(
            f"{path} not found: no Anaplan export here; run 'consumption run ... --anaplan' first"
        ) from error
    except (OSError, ValueError) as error:
        raise AnaplanConfigError(f"{path}: cannot read the manifest ({error})") from error
    return {entry["file"]: entry for entry in manifest.get("files", [])}
