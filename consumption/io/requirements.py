"""Where a demand line's shelf-life requirement comes from, when its own cell is empty.

SAP and WMS systems keep minimum remaining shelf life (MRSL) as agreements:
per customer and item, per customer and item group, per customer, per item,
per item group, or one default, the most specific winning in that order. A
demand line that carries a requirement of its own keeps it; one that carries
none takes the most specific agreement of the MRSL table (``mrsl.csv``) that
matches it, and a line that nothing matches requires 0 days.

A requirement may be a share of the item's total shelf life (``75%``): it
becomes days here, rounded up to a whole day so that a lot never ships below
the share agreed. The total shelf life comes from the item table
(``items.csv``: ``item,total_shelf_life``) or, for lots that carry a
``production_date``, from expiry minus production, which must then be the
same for every lot of the item.

Every step is a join or a mask over whole columns; nothing loops over lines.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from consumption import constants as c
from consumption.errors import Code, Problem
from consumption.io import schema as s
from consumption.io.validate import Finding, locate, mark_validated

# Most specific first: the first level that matches a line gives its requirement.
LEVELS: Final = (
    (c.CUSTOMER, c.ITEM),
    (c.CUSTOMER, c.ITEM_GROUP),
    (c.CUSTOMER,),
    (c.ITEM,),
    (c.ITEM_GROUP,),
    (),
)
_KEYS: Final = (c.CUSTOMER, c.ITEM, c.ITEM_GROUP)


def resolve(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    mrsl: pd.DataFrame | None,
    items: pd.DataFrame | None,
    as_of: np.datetime64 | None,
) -> tuple[pd.DataFrame, list[Problem], list[dict[str, str]]]:
    """The demand with every line's requirement in whole days; problems and warnings.

    ``demand``, ``mrsl`` and ``items`` are checked frames: ``requirement`` is NA
    where a line gives none, ``requirement_pct`` (when present) NaN where a
    line gives no share.
    """
    n = len(demand)
    days = _floats(demand, c.REQUIREMENT, n)
    shares = _floats(demand, c.REQUIREMENT_PCT, n)
    problems: list[Problem] = []
    warnings: list[dict[str, str]] = []
    if mrsl is not None:
        none = np.isnan(days) & np.isnan(shares)
        found, problems, notes = _agreements(demand, mrsl, items, none)
        warnings += [{"code": Code.MRSL_UNMATCHED.value, "message": note} for note in notes]
        taken = ~np.isnan(found[:, 0]) | ~np.isnan(found[:, 1])
        days = np.where(taken, found[:, 0], days)
        shares = np.where(taken, found[:, 1], shares)
    share = ~np.isnan(shares)
    if share.any():
        total = _line_totals(inventory, demand, items, as_of)
        missing = share & np.isnan(total.days)
        problems += _no_total(demand, missing, total.why)
        # Rounded up: 75% of 365 days is 274 days, never a lot below the share agreed.
        from_share = np.ceil(shares * np.where(missing, 0, total.days) / 100 - 1e-9)
        days = np.where(share, from_share, days)
    requirement = np.where(np.isnan(days), 0, days).astype(np.int64)
    return _with_requirement(demand, requirement), problems, warnings


def _floats(frame: pd.DataFrame, name: str, n: int) -> np.ndarray:
    if name not in frame.columns:
        return np.full(n, np.nan)
    return frame[name].to_numpy(dtype=np.float64, na_value=np.nan)


def _with_requirement(demand: pd.DataFrame, requirement: np.ndarray) -> pd.DataFrame:
    """The checked demand with ``requirement`` in whole days, in schema order."""
    out = demand.drop(columns=[c.REQUIREMENT, c.REQUIREMENT_PCT], errors="ignore")
    out[c.REQUIREMENT] = requirement
    order = [column.name for column in s.DEMAND.columns if column.name in out.columns]
    out = out[order]
    out.attrs = dict(demand.attrs)
    mark_validated(out, locate(demand, s.DEMAND))
    return out


# --- the MRSL table ------------------------------------------------------------------------------


def _texts(frame: pd.DataFrame, name: str) -> pd.Series:
    """A key column as text, "" where absent or empty."""
    if name not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    return frame[name].astype("str").fillna("").where(frame[name].notna(), "")


def _agreements(
    demand: pd.DataFrame, mrsl: pd.DataFrame, items: pd.DataFrame | None, open_: np.ndarray
) -> tuple[np.ndarray, list[Problem], list[str]]:
    """Per line, (days, share) of the most specific agreement that matches it (NaN: none)."""
    lines = pd.DataFrame(
        {
            "_line": np.arange(len(demand)),
            c.CUSTOMER: _texts(demand, c.CUSTOMER).to_numpy(),
            c.ITEM: _texts(demand, c.ITEM).to_numpy(),
        }
    )
    groups = _item_groups(items)
    lines[c.ITEM_GROUP] = lines[c.ITEM].map(groups).fillna("") if groups is not None else ""
    rules = pd.DataFrame({key: _texts(mrsl, key).to_numpy() for key in _KEYS})
    rules["_days"] = _floats(mrsl, c.REQUIREMENT, len(mrsl))
    rules["_share"] = _floats(mrsl, c.REQUIREMENT_PCT, len(mrsl))
    given = rules[list(_KEYS)].to_numpy() != ""
    problems = _both_item_and_group(mrsl, given)
    notices = _unmatchable(mrsl, demand, items, given)
    found = np.full((len(demand), 2), np.nan)
    todo = open_.copy()
    for level in LEVELS:
        wanted = np.array([key in level for key in _KEYS])
        at_level = rules[(given == wanted).all(axis=1)]
        if at_level.empty or not todo.any():
            continue
        pending = lines[todo]
        if level:
            hits = pending.merge(at_level, on=list(level), how="inner", suffixes=("", "_rule"))
        else:  # the default agreement: one row at most (its keys are unique)
            first = at_level.iloc[0]
            hits = pending.assign(_days=first["_days"], _share=first["_share"])
        rows = hits["_line"].to_numpy()
        found[rows, 0] = hits["_days"].to_numpy()
        found[rows, 1] = hits["_share"].to_numpy()
        todo[rows] = False
    return found, problems, notices


def _item_groups(items: pd.DataFrame | None) -> pd.Series | None:
    if items is None or c.ITEM_GROUP not in items.columns:
        return None
    groups = _texts(items, c.ITEM_GROUP)
    return pd.Series(groups.to_numpy(), index=_texts(items, c.ITEM).to_numpy())


def _both_item_and_group(mrsl: pd.DataFrame, given: np.ndarray) -> list[Problem]:
    """An agreement for an item and an item group at once would be read two ways."""
    bad = np.flatnonzero(given[:, 1] & given[:, 2])
    findings = [
        Finding(
            int(row),
            Code.MRSL_KEY,
            c.ITEM_GROUP,
            str(mrsl[c.ITEM_GROUP].iloc[int(row)]),
            "an agreement names an item or an item group, not both: keep one, or make two rows",
        )
        for row in bad[: c.MAX_PROBLEMS]
    ]
    return locate(mrsl, s.MRSL).problems(findings) if findings else []


def _unmatchable(
    mrsl: pd.DataFrame, demand: pd.DataFrame, items: pd.DataFrame | None, given: np.ndarray
) -> list[str]:
    """Agreements that can match no line, because the key they need is nowhere."""
    source = mrsl.attrs.get("source") or "the MRSL table"
    notes = []
    if given[:, 0].any() and c.CUSTOMER not in demand.columns:
        notes.append(
            f"{source}: {int(given[:, 0].sum()):,} agreements name a customer, but the demand "
            "has no customer column: they match no line"
        )
    if given[:, 2].any() and _item_groups(items) is None:
        notes.append(
            f"{source}: {int(given[:, 2].sum()):,} agreements name an item group, but no item "
            "table gives the items' groups (items.csv: item,item_group): they match no line"
        )
    return notes


# --- total shelf life ----------------------------------------------------------------------------


class _Totals:
    """Per demand line, the item's total shelf life in days (NaN: unknown) and why unknown."""

    def __init__(self, days: np.ndarray, why: dict[str, str]) -> None:
        self.days = days
        self.why = why


def _line_totals(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    items: pd.DataFrame | None,
    as_of: np.datetime64 | None,
) -> _Totals:
    per_item: pd.Series = pd.Series(dtype=np.float64)
    why: dict[str, str] = {}
    derived = _from_lots(inventory, as_of)
    if derived is not None:
        low, high = derived
        same = low == high
        per_item = low[same]
        for item in low.index[~same][: c.MAX_PROBLEMS]:
            why[str(item)] = (
                f"its lots' expiry minus production ranges from {int(low[item])} to "
                f"{int(high[item])} days"
            )
    if items is not None and c.TOTAL_SHELF_LIFE in items.columns:
        listed = pd.Series(
            items[c.TOTAL_SHELF_LIFE].to_numpy(dtype=np.float64, na_value=np.nan),
            index=_texts(items, c.ITEM).to_numpy(),
        ).dropna()
        per_item = pd.concat([per_item[~per_item.index.isin(listed.index)], listed])
    days = _texts(demand, c.ITEM).map(per_item).to_numpy(dtype=np.float64, na_value=np.nan)
    return _Totals(days, why)


def _from_lots(
    inventory: pd.DataFrame, as_of: np.datetime64 | None
) -> tuple[pd.Series, pd.Series] | None:
    """Per item, the least and the largest expiry minus production of its lots."""
    if c.PRODUCTION_DATE not in inventory.columns:
        return None
    produced = inventory[c.PRODUCTION_DATE].to_numpy().astype("datetime64[D]")
    if c.EXPIRY_DATE in inventory.columns:
        expires = inventory[c.EXPIRY_DATE].to_numpy().astype("datetime64[D]")
    elif as_of is not None:
        shelf = inventory[c.SHELF_LIFE].to_numpy(dtype=np.int64)
        expires = as_of.astype("datetime64[D]") + shelf.astype("timedelta64[D]")
    else:
        return None
    total = (expires - produced).astype(np.float64)  # NaN where a date is missing
    total[np.isnat(expires) | np.isnat(produced)] = np.nan
    frame = pd.DataFrame({c.ITEM: _texts(inventory, c.ITEM).to_numpy(), "_total": total})
    grouped = frame.dropna().groupby(c.ITEM, sort=False)["_total"]
    return grouped.min(), grouped.max()


def _no_total(demand: pd.DataFrame, missing: np.ndarray, why: dict[str, str]) -> list[Problem]:
    rows = np.flatnonzero(missing)
    items = _texts(demand, c.ITEM).to_numpy()
    findings = []
    for row in rows[: c.MAX_PROBLEMS]:
        item = str(items[row])
        reason = why.get(item, "no item table and no lot's production date gives it")
        findings.append(
            Finding(
                int(row),
                Code.NO_TOTAL_SHELF_LIFE,
                c.REQUIREMENT,
                None,
                f"a requirement given as a share of the total shelf life needs item {item!r}'s "
                f"total shelf life, and {reason}: give it in the item table "
                "(items.csv: item,total_shelf_life), or write the requirement in days",
            )
        )
    if len(rows) > c.MAX_PROBLEMS:
        findings[-1].hidden = len(rows) - c.MAX_PROBLEMS
    return locate(demand, s.DEMAND).problems(findings) if findings else []


__all__ = ["LEVELS", "resolve"]
