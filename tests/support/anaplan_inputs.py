"""Inputs as Anaplan export actions write them, and an anaplan.toml that pulls them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.anaplan_stand_in import MODEL, WORKSPACE, Running

INVENTORY_EXPORT, DEMAND_EXPORT, LANES_EXPORT = "116000000001", "116000000002", "116000000003"
# As a saved export of a planner's module writes them: its own headers, a day-first date.
INVENTORY = (
    b"Material,Plant,Batch,Remaining Shelf Life,Unrestricted\n"
    b"A,P1,1234,190,500\nA,P1,5678,211,600\nA,P2,9876,345,7000\nB,P1,B-1,300,40\n"
)
DEMAND = (
    b"Line,Material,Plant,Required Days,Order Qty\n"
    b"L1,A,P1,180,450\nL2,A,P1,270,3000\nL3,B,P2,100,10\n"
)
LANES = b"From,To,Days,Rank\nP1,P2,2,1\nP2,P1,3,1\n"
PULL = {
    "inventory": (
        INVENTORY_EXPORT,
        {
            "Material": "item",
            "Plant": "location",
            "Batch": "lot",
            "Remaining Shelf Life": "shelf_life",
            "Unrestricted": "qty",
        },
    ),
    "demand": (
        DEMAND_EXPORT,
        {
            "Line": "id",
            "Material": "item",
            "Plant": "location",
            "Required Days": "requirement",
            "Order Qty": "qty",
        },
    ),
    "lanes": (
        LANES_EXPORT,
        {"From": "from_location", "To": "to_location", "Days": "transit_days", "Rank": "rank"},
    ),
}
FAST = {"retries": 4, "backoff_s": 0.001, "backoff_max_s": 0.01, "poll_s": 0.001, "timeout_s": 5}


def pull_config(
    path: Path,
    running: Running,
    pki: dict[str, Any],
    tables: tuple[str, ...] = ("inventory", "demand", "lanes"),
    extra: str = "",
) -> Path:
    """An anaplan.toml with one [anaplan.pull.<table>] per table (and ``extra`` lines)."""
    lines = [
        "[anaplan]",
        f'workspace = "{WORKSPACE}"',
        f'model = "{MODEL}"',
        f'certificate = "{pki["folder"] / "cert.pem"}"',
        f'private_key = "{pki["folder"] / "key.pem"}"',
        f'auth_url = "{running.auth_url}"',
        f'api_url = "{running.api_url}"',
        *(f"{k} = {v}" for k, v in FAST.items()),
    ]
    for table in tables:
        export_id, columns = PULL[table]
        mapped = ", ".join(f'"{header}" = "{name}"' for header, name in columns.items())
        lines += ["", f"[anaplan.pull.{table}]", f'export_id = "{export_id}"']
        lines += [f"columns = {{ {mapped} }}"]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path
