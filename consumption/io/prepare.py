"""The tables of one run checked together: each table's rules, then the rules across them.

This is what every engine reads: :func:`check_inputs` takes frames read from
files or built in code, applies every rule of :mod:`consumption.io.validate`,
gives lines without a requirement of their own the one their MRSL agreement
or their share of the total shelf life says (:mod:`consumption.io.requirements`),
and returns the canonical frames with the decimals their quantities need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from consumption import constants as c
from consumption.errors import Problem, UsageError, option
from consumption.io import schema as s
from consumption.io.requirements import resolve
from consumption.io.validate import check_run, checked_frame, error, locate, mark_validated


@dataclass(frozen=True)
class Inputs:
    """The checked tables of one run, in canonical form, and what the checks decided.

    ``decimals`` is the scale every quantity of the run is held in (units of
    ``10**-decimals``); ``notices`` are harmless findings (skipped empty rows).
    """

    inventory: pd.DataFrame
    demand: pd.DataFrame
    lanes: pd.DataFrame | None
    decimals: int
    notices: tuple[str, ...] = ()
    # Findings that leave the run valid but likely not what was meant (summary "warnings").
    warnings: tuple[dict[str, str], ...] = ()


def check_inputs(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    lanes: pd.DataFrame | None,
    as_of: np.datetime64 | None,
    prefer: str | None = None,
    mrsl: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
) -> Inputs:
    """Check the tables of one run with every rule; raise one ``InputError`` for them all.

    Frames read by ``read_inventory`` and its kin passed the table rules when
    they were read; frames built in code pass them here and come back in the
    same canonical form. ``prefer`` (``expiry`` or ``shelf_life``) says which of
    the two wins when an inventory gives both and they disagree. ``mrsl`` and
    ``items`` give the requirements of lines that carry none
    (:mod:`consumption.io.requirements`); the demand comes back with every
    line's requirement in whole days.
    """
    tables = [(s.INVENTORY, inventory), (s.DEMAND, demand)]
    optional = [(s.LANES, lanes), (s.MRSL, mrsl), (s.ITEMS, items)]
    tables += [(table, frame) for table, frame in optional if frame is not None]
    checked: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    notices: list[str] = []
    uncounted = 0
    for table, given in tables:
        frame, found, beyond, notes = checked_frame(table, given)
        checked[table.name] = frame
        problems += found
        uncounted += beyond
        notices += notes
    if problems:
        raise error(problems, uncounted)
    stock = _preferred(checked[s.INVENTORY.name], prefer)
    lines, found, warned = resolve(
        stock, checked[s.DEMAND.name], checked.get(s.MRSL.name), checked.get(s.ITEMS.name), as_of
    )
    if found:
        raise error(found)
    lanes_checked = checked.get(s.LANES.name)
    run = [(s.INVENTORY, stock), (s.DEMAND, lines)]
    if lanes_checked is not None:
        run.append((s.LANES, lanes_checked))
    decimals = check_run(run, as_of, prefer)
    return Inputs(stock, lines, lanes_checked, decimals, tuple(notices), tuple(warned))


def _preferred(inventory: pd.DataFrame, prefer: str | None) -> pd.DataFrame:
    """The inventory with the losing one of shelf life and expiry date left out."""
    if prefer is not None and prefer not in c.PREFER:
        raise UsageError(f"{option('prefer')} must be {' or '.join(c.PREFER)}, not {prefer!r}")
    both = {c.SHELF_LIFE, c.EXPIRY_DATE} <= set(inventory.columns)
    if not both or prefer is None:
        return inventory
    dropped = c.SHELF_LIFE if prefer == c.PREFER_EXPIRY else c.EXPIRY_DATE
    kept = inventory.drop(columns=[dropped])
    kept.attrs = dict(inventory.attrs)
    mark_validated(kept, locate(inventory, s.INVENTORY))
    return kept


__all__ = ["Inputs", "check_inputs"]
