"""``consumption anaplan-config``: an ``anaplan.toml`` to fill in, made from an export.

Every file of the export gets its ``[[anaplan.load]]`` in the manifest's order
(lists before modules), with its kind, target and columns as a comment, so
that nobody types file lists by hand. Every ID is a placeholder of the right
prefix that :mod:`.config` refuses, naming the key: a skeleton not filled in
whole is never pushed.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, Final

from consumption import constants as C
from consumption.anaplan.config import PULL_TABLES
from consumption.anaplan.manifest import read_manifest
from consumption.io.outfolder import current_folder
from consumption.io.scenario import TABLES

# What stands where an ID is to go: the kind's prefix, then what the key refuses.
PLACEHOLDER: Final = "{prefix}_________"
_PREFIXES: Final = {"file_id": "113", "import_id": "112", "export_id": "116"}


def skeleton(out_dir: str | Path) -> str:
    """The commented ``anaplan.toml`` for the export of ``out_dir``'s current run."""
    folder = current_folder(out_dir) / C.ANAPLAN_DIR
    files = read_manifest(folder)
    lines = [
        "# anaplan.toml for consumption push, pull and sync; see the README,",
        "# 'Loading results into Anaplan'. Replace every ___ with the ID from Anaplan:",
        "# the bulk API lists them (GET .../workspaces, .../models, .../files, .../imports,",
        "# .../exports). A placeholder left in is refused, naming its key.",
        "",
        "[anaplan]",
        'workspace = ""                # 32 hexadecimal characters',
        'model = ""                    # 32 hexadecimal characters',
        'auth = "certificate"          # or "basic": ANAPLAN_USER / ANAPLAN_PASSWORD',
        'certificate = "cert.pem"      # paths relative to this file',
        'private_key = "key.pem"       # passphrase from ANAPLAN_KEY_PASSPHRASE',
        "# keep_runs = 7               # sync: batch folders kept",
        "",
        "# --- push: one load per file of the export, in this order (lists first) ---",
    ]
    for name, entry in files.items():
        lines += ["", *_described(entry), "[[anaplan.load]]", f"file = {json.dumps(name)}"]
        lines += [f'{key} = "{_placeholder(key)}"' for key in ("file_id", "import_id")]
    lines += [
        "",
        "# --- pull and sync: the export actions the inputs come from ---",
        "# columns maps each header of the export to the engine's column; give",
        '# decimal = ",", thousands = "." or date_format = "%d/%m/%Y" when the export',
        "# writes numbers or dates otherwise than 1500.25 and 2026-12-31.",
    ]
    for table in PULL_TABLES:
        columns = TABLES[table].columns
        required = [c.name for c in columns if c.required]
        optional = [c.name for c in columns if not c.required]
        lines += [
            "",
            f"# [anaplan.pull.{table}]" + ("   # optional" if table not in PULL_TABLES[:2] else ""),
            f'# export_id = "{_placeholder("export_id")}"',
            "# columns = { " + ", ".join(f'"<header>" = "{c}"' for c in required) + " }",
            f"#   required: {', '.join(required)}; optional: {', '.join(optional)}",
        ]
    lines += [
        "",
        "# [anaplan.run]                  # sync's run options; without as_of, today (UTC)",
        '# order = "requirement"',
        '# engine = "greedy"',
    ]
    return "\n".join(lines) + "\n"


def _described(entry: dict[str, Any]) -> list[str]:
    """The file's kind, target and columns (with roles and formats), as comments."""
    columns = entry.get("columns", [])
    shown = ", ".join(f"{c.get('name')} ({c.get('role')}, {c.get('format')})" for c in columns)
    text = f"{entry.get('kind')} {entry.get('target')}: {shown}"
    return ["# " + line for line in textwrap.wrap(text, 86, subsequent_indent="  ")]


def _placeholder(key: str) -> str:
    return PLACEHOLDER.format(prefix=_PREFIXES[key])
