"""The story of one lot or one demand line of a run, told from the run's files.

``consumption explain OUT --lot ID`` reads ``lots.csv``, ``demand.csv`` and
``allocations.csv`` of the current run in ``OUT`` (resolved once, so that the
three files are of one run) and says where the lot stands in its FEFO order,
which lines could take it, what each took and why stock is left; ``--line ID``
says which lots a line took from and why it went short.

The lines that could take a lot are those of its item at its own location and
at every location that drew stock from there in this run (a lane). Whether a
line's requirement is met is judged at its due date; a lane's transit days are
not in the outputs, so a line served through a lane may need a few days more.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from consumption import constants as C
from consumption.errors import NoRunError, NotFoundError
from consumption.io.outfolder import current_folder

LOT_REASON_WORDS = {
    C.REASON_EXPIRED: "it expired before as_of and cannot be sold",
    C.REASON_NO_DEMAND: "no demand line asks for this item here or through a lane",
    C.REASON_STRANDED: "it is too short-dated for every line that reaches it",
    C.REASON_NOT_AVAILABLE: "it arrives after the last line it could serve must ship",
    C.REASON_EXCESS: "the lines it meets asked for less than there is",
}
SHORT_REASON_WORDS = {
    C.SHORT_NO_INVENTORY: "there is no stock of the item where it is served from",
    C.SHORT_SHELF_LIFE: "the stock there is all too short-dated for its requirement, or expired",
    C.SHORT_NOT_AVAILABLE: "the stock that meets its requirement arrives after it must ship",
    C.SHORT_EXHAUSTED: "the stock that met its requirement went to lines served before it",
}


@dataclass(frozen=True)
class RunFiles:
    """The three tables of one run, as text exactly as written."""

    lots: pd.DataFrame
    demand: pd.DataFrame
    allocations: pd.DataFrame


def read_run(out: str | Path) -> RunFiles:
    """The current run of ``out``; :class:`NoRunError` when it holds none."""
    folder = current_folder(out)
    if not (folder / C.SUMMARY_FILE).is_file():
        raise NoRunError(f"{out} holds no run: there is no {C.SUMMARY_FILE}; run consumption first")

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(folder / name, dtype=str, keep_default_na=False)

    return RunFiles(read(C.LOTS_FILE), read(C.DEMAND_FILE), read(C.ALLOCATIONS_FILE))


def _pick(frame: pd.DataFrame, what: str, value: str, **narrow: str | None) -> pd.Series:
    """The one row whose ``what`` is ``value`` (and item, location when given)."""
    hit = frame[what] == value
    for column, given in narrow.items():
        if given is not None:
            hit &= frame[column] == given
    rows = frame[hit]
    if rows.empty:
        raise NotFoundError(f"no {what} {value!r} in this run")
    if len(rows) > 1:
        places = ", ".join(sorted(set(rows[C.ITEM] + " at " + rows[C.LOCATION])))
        raise NotFoundError(
            f"{what} {value!r} is in more than one place ({places}): "
            "give --item and --location to say which"
        )
    return rows.iloc[0]


def explain_lot(
    run: RunFiles, lot: str, item: str | None = None, location: str | None = None
) -> str:
    """What happened to one lot, in planner words."""
    row = _pick(run.lots, C.LOT, lot, item=item, location=location)
    lots = run.lots
    same = lots[(lots[C.ITEM] == row[C.ITEM]) & (lots[C.LOCATION] == row[C.LOCATION])]
    where = f"{row[C.ITEM]} at {row[C.LOCATION]}" if row[C.LOCATION] else row[C.ITEM]
    expires = f" (expires {row[C.EXPIRY_DATE]})" if row[C.EXPIRY_DATE] else ""
    text = [
        f"Lot {lot}: {where}, rank {row[C.RANK]} of {len(same)} in FEFO order "
        "(the first to expire is used first)",
        f"  {row[C.QTY]} units, {row[C.SHELF_LIFE]} days of shelf life{expires}",
        f"  consumed {row[C.CONSUMED]}, {row[C.REMAINING]} left: {row[C.STATUS]}",
    ]
    if row[C.REASON]:
        text.append(f"  why stock is left: {LOT_REASON_WORDS[row[C.REASON]]}")
        text.append(f"  the numbers: {row[C.REASON_DETAIL]}")
    else:
        text.append("  nothing is left: every unit went to demand")
    if row[C.REASON] == C.REASON_EXPIRED:
        text.append("No demand line can take a lot that expired before as_of.")
    else:
        text += _lines_that_could_take(run, row)
    return "\n".join(text)


def _lines_that_could_take(run: RunFiles, lot: pd.Series) -> list[str]:
    pairs = run.allocations
    item = pairs[C.ITEM] == lot[C.ITEM]
    drawn = set(pairs.loc[pairs[C.LOT_LOCATION] == lot[C.LOCATION], C.DEMAND_LOCATION])
    places = {lot[C.LOCATION], *drawn}
    demand = run.demand
    lines = demand[(demand[C.ITEM] == lot[C.ITEM]) & demand[C.LOCATION].isin(places)]
    took = pairs[item & (pairs[C.LOT] == lot[C.LOT]) & (pairs[C.LOT_LOCATION] == lot[C.LOCATION])]
    taken = took.groupby(C.LINE)[C.QTY].apply(lambda q: _total(q)).to_dict()
    if lines.empty:
        return ["No demand line could take it."]
    dated = bool(lot[C.EXPIRY_DATE]) and (lines[C.DUE_DATE] != "").all()
    if dated:
        left = (
            pd.to_datetime(pd.Series(lot[C.EXPIRY_DATE], index=lines.index))
            - pd.to_datetime(lines[C.DUE_DATE])
        ).dt.days
    else:
        left = pd.Series(int(lot[C.SHELF_LIFE]), index=lines.index)
    needs = lines[C.REQUIREMENT].astype(int)
    meets = left >= needs
    own = lines[C.LOCATION] == lot[C.LOCATION]
    order = lines.assign(_meets=~meets, _own=~own).sort_values(
        ["_meets", "_own", C.DUE_DATE, C.REQUIREMENT], kind="stable"
    )
    shown = order.head(C.EXPLAIN_LINES_PRINTED)
    text = [
        f"Lines that could take it: {len(lines)} for {lot[C.ITEM]} at "
        f"{', '.join(sorted(p for p in places if p)) or 'any location'}; "
        f"{int(meets.sum())} of them meet their requirement with it"
    ]
    for index, line in shown.iterrows():
        name = line[C.LINE]
        who = f" for {line[C.CUSTOMER]}" if line[C.CUSTOMER] else ""
        due = f" due {line[C.DUE_DATE]}" if line[C.DUE_DATE] else ""
        at = "" if own[index] else f" at {line[C.LOCATION]} (through a lane)"
        head = f"  {name}{who}{at}:{due} needs {line[C.REQUIREMENT]} days, {line[C.QTY]} units"
        days = f"{left[index]} days" + (" at its due date" if dated else "")
        if name in taken:
            verdict = f"took {taken[name]} from this lot (filled {line[C.FILLED]} in all)"
        elif not meets[index]:
            verdict = f"cannot take it: it has {days}, the line needs {line[C.REQUIREMENT]}"
        elif line[C.SHORT] in ("", "0"):
            verdict = f"took none: filled {line[C.FILLED]} from lots that expire earlier"
        else:
            verdict = f"took none: {line[C.SHORT]} short ({line[C.REASON]})"
        text.append(f"{head}; {verdict}")
    if len(lines) > len(shown):
        text.append(f"  ... and {len(lines) - len(shown)} more")
    return text


def _total(quantities: pd.Series) -> str:
    values = pd.to_numeric(quantities)
    total = values.sum()
    return str(total) if not float(total).is_integer() else str(int(total))


def explain_line(run: RunFiles, line: str) -> str:
    """What one demand line got, from which lots, and why it went short."""
    row = _pick(run.demand, C.LINE, line)
    where = f"{row[C.ITEM]} at {row[C.LOCATION]}" if row[C.LOCATION] else row[C.ITEM]
    who = f" for {row[C.CUSTOMER]}" if row[C.CUSTOMER] else ""
    due = f", due {row[C.DUE_DATE]}" if row[C.DUE_DATE] else ""
    priority = f", priority {row[C.PRIORITY]}" if row[C.PRIORITY] else ""
    text = [
        f"Line {line}: {where}{who}, {row[C.QTY]} units{due}, "
        f"at least {row[C.REQUIREMENT]} days of shelf life on delivery{priority}",
        f"  filled {row[C.FILLED]}, short {row[C.SHORT]}",
    ]
    pairs = run.allocations
    took = pairs[(pairs[C.LINE] == line) & (pairs[C.ITEM] == row[C.ITEM])]
    facts = run.lots[[C.ITEM, C.LOCATION, C.LOT, C.RANK, C.SHELF_LIFE, C.EXPIRY_DATE]]
    took = took.merge(
        facts.rename(columns={C.LOCATION: C.LOT_LOCATION}),
        on=[C.ITEM, C.LOT_LOCATION, C.LOT], how="left", sort=False,
    )  # fmt: skip
    if took.empty:
        text.append("  it took from no lot")
    else:
        text.append(f"  lots it took from, in the order they were used ({len(took)}):")
    for _, pair in took.head(C.EXPLAIN_LINES_PRINTED).iterrows():
        lot = pair
        lane = "" if pair[C.LOT_LOCATION] == row[C.LOCATION] else " (through a lane)"
        expires = f", expires {lot[C.EXPIRY_DATE]}" if lot[C.EXPIRY_DATE] else ""
        at = f" at {pair[C.LOT_LOCATION]}" if pair[C.LOT_LOCATION] else ""
        text.append(
            f"    {pair[C.LOT]}{at}{lane}: rank {lot[C.RANK]}, "
            f"{lot[C.SHELF_LIFE]} days{expires}: {pair[C.QTY]}"
        )
    if len(took) > C.EXPLAIN_LINES_PRINTED:
        text.append(f"    ... and {len(took) - C.EXPLAIN_LINES_PRINTED} more")
    if row[C.REASON]:
        text.append(f"  why it is short: {SHORT_REASON_WORDS[row[C.REASON]]}")
    else:
        text.append("  filled in full")
    return "\n".join(text)
