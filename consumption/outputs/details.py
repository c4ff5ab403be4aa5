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
from consumption.io.write import decimal_text
from consumption.outputs.reasons import REASONS, LotFacts


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
        "; the last ship date it could serve is ", _date(inst, facts.latest_ship[lots]),
    )  # fmt: skip


def _excess(inst: Instance, lots: np.ndarray, remaining: np.ndarray, facts: LotFacts) -> pa.Array:
    # Plain digits, as in the quantity columns: a comma would send every row of lots.csv
    # through the CSV writer's quoting path, five times slower.
    left = decimal_text(remaining[lots], inst.decimals)
    return _join("excess: ", left, " left after every eligible line was filled")
