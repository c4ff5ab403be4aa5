"""The number behind each lot's reason, as the text of ``lots.csv``'s ``reason_detail``.

Every sentence is built for all lots of one reason at once with Arrow string
kernels: numbers and dates become text column-wise and are joined with the
fixed words, so that no lot is formatted in Python.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from consumption import constants as C
from consumption.engine.model import Instance
from consumption.engine.routes import all_routes
from consumption.engine.runs import run_starts
from consumption.outputs.reasons import REASONS, LotFacts


def grouped_text(scaled: np.ndarray, decimals: int) -> pa.Array:
    """Non-negative quantities in units of ``10**-decimals`` with thousands grouped by commas.

    >>> grouped_text(np.array([1200, 5, 1234567890, 25]), 1).to_pylist()
    ['120', '0.5', '123,456,789', '2.5']
    """
    scaled = np.asarray(scaled, dtype=np.int64)
    unit = 10**decimals
    whole = scaled // unit
    groups = [whole % 1000]
    rest = whole // 1000
    while (rest > 0).any():
        groups.append(rest % 1000)
        rest = rest // 1000
    text = _number(groups[-1])
    started = groups[-1] > 0
    for group in reversed(groups[:-1]):  # each group after the first is three digits wide
        plain = _number(group)
        padded = pc.binary_join_element_wise(text, pc.utf8_lpad(plain, 3, "0"), ",")
        text = pc.if_else(pa.array(started), padded, plain)
        started = started | (group > 0)
    if decimals == 0:
        return text
    fraction = pc.utf8_rtrim(pc.utf8_lpad(_number(scaled % unit), decimals, "0"), "0")
    return pc.if_else(
        pc.equal(fraction, ""), text, pc.binary_join_element_wise(text, fraction, ".")
    )


def reason_details(inst: Instance, remaining: np.ndarray, facts: LotFacts) -> pa.Array:
    """Per lot (rank order) the sentence behind its reason; empty where nothing is left."""
    pieces: list[pa.Array] = [pa.array([""], type=pa.string())]
    index = np.zeros(inst.n_lots, dtype=np.int64)
    builders = {
        C.REASON_EXPIRED: _expired,
        C.REASON_NO_DEMAND: _no_demand,
        C.REASON_STRANDED: _stranded,
        C.REASON_NOT_AVAILABLE: _not_available,
        C.REASON_EXCESS: _excess,
    }
    offset = 1
    for reason, build in builders.items():
        lots = np.flatnonzero(facts.reason == REASONS.index(reason))
        if len(lots) == 0:
            continue
        text = build(inst, lots, remaining, facts)
        pieces.append(pc.cast(text, pa.string()))
        index[lots] = offset + np.arange(len(lots))
        offset += len(lots)
    return pa.concat_arrays(pieces).take(pa.array(index))


def _number(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def _date(inst: Instance, days: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(inst.dates(days).astype("datetime64[D]")), pa.string())


def _join(*parts: pa.Array | str) -> pa.Array:
    cells = [p if isinstance(p, str) else pc.cast(p, pa.string()) for p in parts]
    return pc.binary_join_element_wise(*cells, "")


def _expired(inst: Instance, lots: np.ndarray, remaining: np.ndarray, facts: LotFacts) -> pa.Array:
    days = _number(-inst.lot_key[lots])
    if inst.has_dates:
        return _join("expired ", days, " days before as_of")
    return _join("no shelf life left: ", days, " days past expiry")


def _no_demand(
    inst: Instance, lots: np.ndarray, remaining: np.ndarray, facts: LotFacts
) -> pa.Array:
    item = inst.items.take(pa.array(inst.lot_item[lots]))
    where = (
        _join(" at ", inst.locations.take(pa.array(inst.lot_location[lots])))
        if inst.has_location
        else pa.array([""] * len(lots), type=pa.string())
    )
    return _join("no demand line asks for ", item, where, " here or through a lane")


def _stranded(inst: Instance, lots: np.ndarray, remaining: np.ndarray, facts: LotFacts) -> pa.Array:
    """Against the (line, route) with the lowest threshold reaching the lot's group."""
    routes = all_routes(inst)
    by = np.lexsort((routes.threshold, routes.group))
    group = routes.group[by]
    first = run_starts(group)
    groups = group[first]
    pick = by[first]
    delivery = routes.ship[pick] + routes.transit[pick]
    requirement = inst.line_requirement[routes.lines[pick]]
    at = np.minimum(np.searchsorted(groups, inst.lot_group[lots]), len(groups) - 1)
    left = _number(inst.lot_key[lots] - delivery[at])
    needs = _number(requirement[at])
    if inst.has_dates:
        return _join(
            "at delivery ", _date(inst, delivery[at]), " it has ", left,
            " days; the least demanding customer needs ", needs,
        )  # fmt: skip
    return _join("it has ", left, " days; the least demanding customer needs ", needs)


def _not_available(
    inst: Instance, lots: np.ndarray, remaining: np.ndarray, facts: LotFacts
) -> pa.Array:
    return _join(
        "not available until ", _date(inst, inst.lot_avail[lots]),
        ", after the last ship date it could serve (", _date(inst, facts.latest_ship[lots]), ")",
    )  # fmt: skip


def _excess(inst: Instance, lots: np.ndarray, remaining: np.ndarray, facts: LotFacts) -> pa.Array:
    left = grouped_text(remaining[lots], inst.decimals)
    return _join("excess: ", left, " left after every eligible line was filled")
