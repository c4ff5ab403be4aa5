"""Generate the dated scenarios: a year of weekly demand over a DC network, and a small case
where a future receipt binds.

``weekly-horizon`` (a distributor's rolling plan, all of it drawn from one seeded numpy
``Generator`` with array operations only, no Python loop over lots or lines):

* **Network**: a central DC (``DC-CENTRAL``, half of the stock) supplies two regional DCs
  (``DC-NORTH``, ``DC-SOUTH``) through rank-1 lanes of 1 to 3 days; the regional DCs
  back each other up through rank-2 lanes. A line is served from its own DC first, then
  through its lanes, and MRSL is measured at delivery, so a lot that travels must be as
  many days longer as the lane takes.
* **Items** come from ``generate.py``'s catalogue: families with 730, 540 or 365 days of
  total shelf life, case packs, lognormal popularity, unit costs.
* **Lots** on hand carry an expiry date: mostly fresh, some old, about 1% a few days past
  expiry. About 15% of the lots are **future receipts**: fresh production arriving at a
  DC (``available_date``) over the coming 26 weeks; they cannot ship before they arrive.
* **Customers**: retail chains (MRSL mostly 270 or 365 days) and wholesalers (90 or 180),
  each with a home DC and a range of items; one order line per (customer, item, week)
  for 52 weekly due dates from ``as_of``, seasonal, whole cases. Over the year demand is
  about 90% of the supply (on hand plus receipts), but the strict customers' later weeks
  need stock that is still fresh then: early weeks eat the long lots, late weeks wait for
  receipts, and what the short-MRSL customers cannot absorb expires unsold.

``future-receipts`` is small enough to follow by hand: one item, two customers (MRSL 90
and 180 days), 12 weekly due dates, a 181-day lot on hand and a 365-day receipt arriving
in week 5 (see its README for the walk-through).

Run as a script, it writes ``inventory.csv``, ``demand.csv``, ``lanes.csv`` (weekly-horizon),
``scenario.toml`` and ``README.md`` into ``--out``; ``weekly_horizon()`` and
``future_receipts()`` return the frames for tests and benchmarks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import _Catalog, _catalog, _labels, _str_array  # the sibling script

from consumption.constants import (
    AVAILABLE_DATE,
    COST,
    CUSTOMER,
    DUE_DATE,
    EXPIRY_DATE,
    FROM_LOCATION,
    ID,
    ITEM,
    LOCATION,
    LOT,
    QTY,
    RANK,
    REQUIREMENT,
    TO_LOCATION,
    TRANSIT_DAYS,
    UNIT_COST,
)

HERE = Path(__file__).resolve().parent
DEFAULT_AS_OF = dt.date(2026, 12, 1)
DEFAULT_SEED = 20261201
DEFAULT_LOTS = 3000
DEFAULT_ITEMS = 25
DEFAULT_CUSTOMERS = 12

WEEKS = 52
LOCATION_NAMES = np.array(["DC-CENTRAL", "DC-NORTH", "DC-SOUTH"], dtype=object)
STOCK_SHARE = np.array([0.5, 0.25, 0.25])
# Customers sit mostly at the regional DCs, whose lanes reach back to the central one.
HOME_SHARE = np.array([0.2, 0.4, 0.4])
HOME_DC_SHARE = 0.85
# (from, to, rank): the central DC supplies both regional DCs, which back each other up.
LANES = np.array([(0, 1, 1), (0, 2, 1), (2, 1, 2), (1, 2, 2)])
TRANSIT_RANGE = (1, 3)
COST_PER_TRANSIT_DAY = 0.04

MRSL_DAYS = np.array([90, 180, 270, 365])
RETAIL_MRSL_SHARE = np.array([0.0, 0.2, 0.5, 0.3])
WHOLESALE_MRSL_SHARE = np.array([0.55, 0.45, 0.0, 0.0])
RETAIL_SHARE = 0.4
MIN_MRSL_MARGIN = 90  # an MRSL is only contracted when it leaves this much shelf life

RECEIPT_SHARE = 0.15
RECEIPT_WEEKS = 26
RECEIPT_LAG_DAYS = 3  # production to arrival at the DC
EXPIRED_SHARE = 0.01
MEDIAN_CASES_PER_LOT = 40.0
DEMAND_TO_SUPPLY = 0.9
SEASONALITY = 0.25  # +-25% over the year, peaking in week 26


class Scenario(NamedTuple):
    """One scenario's input frames (``lanes`` None without lanes) and run options."""

    inventory: pd.DataFrame
    demand: pd.DataFrame
    lanes: pd.DataFrame | None
    options: dict[str, str]


def _dates(as_of: dt.date, days: np.ndarray) -> np.ndarray:
    """``as_of`` plus ``days`` as datetime64[D]: the files hold dates, the rules count days."""
    return np.datetime64(as_of, "D") + days.astype("timedelta64[D]")


def _lanes(rng: np.random.Generator) -> pd.DataFrame:
    """The lanes, transit days drawn once from the seed, cost growing with transit."""
    transit = rng.integers(TRANSIT_RANGE[0], TRANSIT_RANGE[1] + 1, len(LANES))
    return pd.DataFrame(
        {
            FROM_LOCATION: _str_array(LOCATION_NAMES[LANES[:, 0]]),
            TO_LOCATION: _str_array(LOCATION_NAMES[LANES[:, 1]]),
            TRANSIT_DAYS: transit,
            RANK: LANES[:, 2],
            COST: np.round(COST_PER_TRANSIT_DAY * transit, 2),
        }
    )


def _inventory(
    rng: np.random.Generator, lots: int, catalog: _Catalog, as_of: dt.date
) -> pd.DataFrame:
    """Lots on hand and future receipts, with expiry and available dates."""
    items = len(catalog.popularity)
    item = rng.choice(items, size=lots, p=catalog.popularity)
    location = rng.choice(len(LOCATION_NAMES), size=lots, p=STOCK_SHARE)
    total = catalog.total_shelf_life[item]

    # On hand: age skewed to fresh stock, a thin tail a few days past expiry. Receipts:
    # fresh production arriving over the coming weeks.
    receipt = rng.random(lots) < RECEIPT_SHARE
    age = (RECEIPT_LAG_DAYS + total * rng.beta(1.3, 2.2, lots)).astype(np.int64)
    expired = rng.random(lots) < EXPIRED_SHARE
    age = np.where(expired, total + rng.integers(1, 22, lots), age)
    arrival = rng.integers(7, 7 * RECEIPT_WEEKS + 1, lots)
    expiry_day = np.where(receipt, arrival + total - RECEIPT_LAG_DAYS, total - age)

    popularity_ratio = catalog.popularity[item] * items
    median = MEDIAN_CASES_PER_LOT * popularity_ratio**0.3
    cases = np.rint(rng.lognormal(np.log(median), 0.7, lots))
    qty = np.maximum(cases, 1).astype(np.int64) * catalog.case_pack[item]
    unit_cost = np.round(catalog.unit_cost[item] * rng.lognormal(0.0, 0.02, lots), 2)

    # Lot codes follow production order (a serial per lot); rows in ERP-extract order.
    produced = np.where(receipt, arrival, 0) - np.where(receipt, RECEIPT_LAG_DAYS, age)
    serial = np.argsort(np.argsort(produced, kind="stable"), kind="stable") + 1
    order = np.lexsort((serial, location, item))
    available = np.where(receipt, _dates(as_of, arrival), np.datetime64("NaT", "D"))
    return pd.DataFrame(
        {
            ITEM: catalog.names.take(item[order]),
            LOCATION: _str_array(LOCATION_NAMES[location[order]]),
            LOT: _str_array(_labels("LOT-", serial[order], 6)),
            QTY: qty[order],
            EXPIRY_DATE: _dates(as_of, expiry_day[order]),
            AVAILABLE_DATE: available[order],
            UNIT_COST: unit_cost[order],
        }
    )


def _demand(
    rng: np.random.Generator,
    customers: int,
    catalog: _Catalog,
    supply: np.ndarray,
    as_of: dt.date,
) -> pd.DataFrame:
    """One line per (customer, item, week); ``supply`` is the quantity per item (on hand
    plus receipts) that a year of demand is sized against."""
    items = len(catalog.popularity)
    retail = rng.random(customers) < RETAIL_SHARE
    mrsl = np.where(
        retail,
        rng.choice(MRSL_DAYS, size=customers, p=RETAIL_MRSL_SHARE),
        rng.choice(MRSL_DAYS, size=customers, p=WHOLESALE_MRSL_SHARE),
    )
    size = rng.lognormal(0.0, 0.6, customers) * np.where(retail, 2.5, 1.0)
    home = rng.choice(len(LOCATION_NAMES), size=customers, p=HOME_SHARE)
    number = np.where(retail, np.cumsum(retail), np.cumsum(~retail))
    names = np.where(
        retail,
        np.asarray(_labels("RETAIL-", number, 2).to_pylist(), dtype=object),
        np.asarray(_labels("WHOLESALE-", number, 2).to_pylist(), dtype=object),
    )

    # Who buys what: fast movers more often, no MRSL that leaves too little shelf life.
    breadth = np.where(retail, 0.6, 0.3)
    p_buy = np.minimum(1.0, breadth[:, None] * np.sqrt(catalog.popularity * items)[None, :])
    p_buy[mrsl[:, None] > catalog.total_shelf_life[None, :] - MIN_MRSL_MARGIN] = 0.0
    cust, item = np.nonzero(rng.random((customers, items)) < p_buy)
    away = rng.integers(0, len(LOCATION_NAMES), len(cust))
    location = np.where(rng.random(len(cust)) < HOME_DC_SHARE, home[cust], away)

    # A year of volume per item, a share of its supply, split over its buyers by weight.
    weight = size[cust] * rng.lognormal(0.0, 0.5, len(cust))
    item_weight = np.bincount(item, weights=weight, minlength=items)
    factor = rng.lognormal(0.0, 0.25, items)
    yearly = DEMAND_TO_SUPPLY * supply[item] * factor[item] * weight / item_weight[item]

    # Lines: every (customer, item) pair in every week, seasonal and noisy, whole cases.
    week = np.tile(np.arange(WEEKS), len(cust))
    pair = np.repeat(np.arange(len(cust)), WEEKS)
    season = 1.0 + SEASONALITY * np.sin(np.pi * week / (WEEKS - 1))
    qty = yearly[pair] / WEEKS * season / season.mean() * rng.lognormal(0.0, 0.3, len(week))
    if len(qty):  # items nobody buys leave their supply unsold: scale to the target overall
        qty *= DEMAND_TO_SUPPLY * supply.sum() / qty.sum()
    pack = catalog.case_pack[item[pair]]
    qty = np.maximum(np.rint(qty / pack), 1).astype(np.int64) * pack
    order = np.lexsort((item[pair], cust[pair], week))  # an order book: by week, customer
    pair, week, qty = pair[order], week[order], qty[order]
    return pd.DataFrame(
        {
            ID: _str_array(_labels("SO-", np.arange(1, len(pair) + 1), 6)),
            ITEM: catalog.names.take(item[pair]),
            LOCATION: _str_array(LOCATION_NAMES[location[pair]]),
            CUSTOMER: _str_array(names[cust[pair]]),
            REQUIREMENT: mrsl[cust[pair]],
            DUE_DATE: _dates(as_of, 7 * week),
            QTY: qty,
        }
    )


def weekly_horizon(
    lots: int = DEFAULT_LOTS,
    items: int = DEFAULT_ITEMS,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    as_of: dt.date = DEFAULT_AS_OF,
) -> Scenario:
    """The weekly-horizon scenario in memory; the same arguments always give the same frames.

    ``inventory``: item, location, lot, qty, expiry_date, available_date (NaT on hand),
    unit_cost. ``demand``: id, item, location, customer, requirement, due_date, qty.
    ``lanes``: from_location, to_location, transit_days, rank, cost.
    """
    if min(lots, items, customers) < 1:
        raise ValueError("lots, items and customers must be at least 1")
    rng = np.random.default_rng(seed)
    catalog = _catalog(rng, items)
    lanes = _lanes(rng)
    inventory = _inventory(rng, lots, catalog, as_of)
    codes = pd.Index(catalog.names).get_indexer(inventory[ITEM])
    supply = np.bincount(codes, weights=inventory[QTY].to_numpy(), minlength=items)
    demand = _demand(rng, customers, catalog, supply, as_of)
    horizon_end = as_of + dt.timedelta(days=7 * WEEKS)  # a year out: 52 weeks from as_of
    options = {
        "as_of": as_of.isoformat(),
        "order": "requirement",
        "lanes": "lanes.csv",
        "horizon_end": horizon_end.isoformat(),
    }
    return Scenario(inventory, demand, lanes, options)


# The future-receipts case, in days from as_of: (lot, qty, expiry day, arrival day or -1).
RECEIPT_LOTS = np.array([(1, 600, 181, -1), (2, 1200, 365, 35), (3, 200, 89, -1)])
# (customer, MRSL, weekly qty) for 12 weekly due dates.
RECEIPT_CUSTOMERS = (("WHOLESALE-01", 90, 80), ("RETAIL-01", 180, 100))
RECEIPT_WEEKS_SHOWN = 12


def future_receipts(as_of: dt.date = DEFAULT_AS_OF) -> Scenario:
    """The future-receipts scenario: fixed numbers, no randomness (see the README)."""
    lot, qty, expiry_day, arrival = RECEIPT_LOTS.T
    inventory = pd.DataFrame(
        {
            ITEM: _str_array(np.full(len(lot), "FR-100", dtype=object)),
            LOCATION: _str_array(np.full(len(lot), "DC-EAST", dtype=object)),
            LOT: _str_array(_labels("LOT-", lot, 1)),
            QTY: qty,
            EXPIRY_DATE: _dates(as_of, expiry_day),
            AVAILABLE_DATE: np.where(
                arrival >= 0, _dates(as_of, arrival), np.datetime64("NaT", "D")
            ),
            UNIT_COST: np.full(len(lot), 4.5),
        }
    )
    names = np.array([c[0] for c in RECEIPT_CUSTOMERS], dtype=object)
    mrsl = np.array([c[1] for c in RECEIPT_CUSTOMERS])
    weekly = np.array([c[2] for c in RECEIPT_CUSTOMERS])
    week = np.repeat(np.arange(RECEIPT_WEEKS_SHOWN), len(names))
    cust = np.tile(np.arange(len(names)), RECEIPT_WEEKS_SHOWN)
    demand = pd.DataFrame(
        {
            ID: _str_array(_labels("SO-", np.arange(1, len(week) + 1), 3)),
            ITEM: _str_array(np.full(len(week), "FR-100", dtype=object)),
            LOCATION: _str_array(np.full(len(week), "DC-EAST", dtype=object)),
            CUSTOMER: _str_array(names[cust]),
            REQUIREMENT: mrsl[cust],
            DUE_DATE: _dates(as_of, 7 * week),
            QTY: weekly[cust],
        }
    )
    return Scenario(inventory, demand, None, {"as_of": as_of.isoformat(), "order": "requirement"})


# --- writing ---------------------------------------------------------------------------------


def summarize(scenario: Scenario) -> dict[str, object]:
    """Headline figures: counts, receipts, expired stock, demand against supply, MRSL mix."""
    inventory, demand = scenario.inventory, scenario.demand
    qty = inventory[QTY].to_numpy()
    receipt = inventory[AVAILABLE_DATE].notna().to_numpy()
    as_of = np.datetime64(scenario.options["as_of"])
    expired = (inventory[EXPIRY_DATE].to_numpy() < as_of) & ~receipt
    by_mrsl = demand.groupby(REQUIREMENT)[QTY].sum()
    return {
        "lots": len(inventory),
        "items": inventory[ITEM].nunique(),
        "receipts": int(receipt.sum()),
        "receipt_qty_share": round(float(qty[receipt].sum() / qty.sum()), 3),
        "expired_lots": int(expired.sum()),
        "demand_lines": len(demand),
        "customers": demand[CUSTOMER].nunique(),
        "due_dates": demand[DUE_DATE].nunique(),
        "demand_to_supply": round(float(demand[QTY].sum() / qty.sum()), 3),
        "demand_share_by_mrsl": {
            int(r): round(float(q / by_mrsl.sum()), 3) for r, q in by_mrsl.items()
        },
    }


def _toml(command: str, description: str, options: dict[str, str]) -> str:
    """scenario.toml: how it was made, a one-line description, the run options."""
    lines = [
        f"# Generated by {command} (rerun to regenerate).",
        f'description = "{description}"',
        "",
        "[run]",
        'out = "out"',  # each scenario writes into its own folder
        *(f'{key} = "{value}"' for key, value in options.items()),
    ]
    return "\n".join(lines) + "\n"


WEEKLY_README = """# weekly-horizon

A year of weekly demand over a small DC network: {lots:,} lots of {items} items, {receipts}
of them future receipts arriving over the next {receipt_weeks} weeks, and {lines:,} order
lines from {customers} customers (MRSL 90 to 365 days) on {weeks} weekly due dates from
{as_of}. `DC-CENTRAL` supplies `DC-NORTH` and `DC-SOUTH` (rank-1 lanes, 1 to 3 days); the
regional DCs back each other up (rank 2). It shows MRSL measured at delivery (a lot ages
on the lane), receipts that cannot ship before they arrive, early weeks using the long lots
that strict customers need later, and the expiry risk by month up to `horizon_end`.

Run it with `consumption run scenarios/weekly-horizon` (options in `scenario.toml`).
Generated with (rerun to regenerate, the output is identical):

```
{command}
```
"""

RECEIPTS_README = """# future-receipts

One item at one DC, small enough to follow by hand. On hand: LOT-1 (expires in 181 days,
600 units) and LOT-3 (89 days, 200 units: too short even for the 90-day customer, so it is
stranded and shows in the expiry risk). LOT-2 (365 days, 1,200 units) is a receipt that
arrives in week 5 ({arrival}). Every week for 12 weeks, WHOLESALE-01 (MRSL 90) orders 80
and RETAIL-01 (MRSL 180) orders 100.

The receipt binds: RETAIL-01's week 0 can only be served by LOT-1 (181 >= 0 + 180); weeks
1-4 need more than 181 days and LOT-2 has not arrived yet (short: `not_available`); weeks
5-11 are served by LOT-2. With `--order requirement` (the default) the 90-day lines of all
12 weeks are served first: they use up LOT-1 and RETAIL-01's week 0 goes short
(`exhausted`), though the wholesaler's later weeks could have waited for LOT-2. With
`--order due` (or the LP), week 0 is served to both customers before later weeks, LOT-1
covers RETAIL-01's week 0 and 100 more units are filled (1,760 instead of 1,660): with
future receipts and several MRSLs the greedy by requirement is not optimal. See it with
`consumption run scenarios/future-receipts`, then `--order due`, or
`consumption compare scenarios/future-receipts/inventory.csv scenarios/future-receipts/demand.csv
--as-of {as_of}`.

Generated with:

```
{command}
```
"""


def _write(scenario: Scenario, out: Path, command: str, description: str, readme: str) -> None:
    """Write the input files, scenario.toml and README.md into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    options = {"date_format": "%Y-%m-%d", "index": False}
    scenario.inventory.to_csv(out / "inventory.csv", float_format="%.2f", **options)
    scenario.demand.to_csv(out / "demand.csv", **options)
    if scenario.lanes is not None:
        scenario.lanes.to_csv(out / "lanes.csv", float_format="%.2f", **options)
    toml = _toml(command, description, scenario.options)
    (out / "scenario.toml").write_text(toml, encoding="utf-8")
    (out / "README.md").write_text(readme, encoding="utf-8")


def _relative(path: Path) -> str:
    """A path as written in a command: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(HERE.parent))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    """Command line: generate one scenario and write it to ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="scenario", required=True)
    weekly = sub.add_parser("weekly-horizon", help="a year of weekly demand over 3 DCs")
    weekly.add_argument("--lots", type=int, default=DEFAULT_LOTS, help="number of lots")
    weekly.add_argument("--items", type=int, default=DEFAULT_ITEMS, help="number of items")
    weekly.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    weekly.add_argument("--seed", type=int, default=DEFAULT_SEED)
    receipts = sub.add_parser("future-receipts", help="a small case where a receipt binds")
    for p in (weekly, receipts):
        p.add_argument("--as-of", type=dt.date.fromisoformat, default=DEFAULT_AS_OF)
        p.add_argument("--out", type=Path, default=None, help="default: scenarios/NAME")
    args = parser.parse_args(argv)
    out = args.out or HERE / args.scenario
    flags = f" --as-of {args.as_of}" if args.as_of != DEFAULT_AS_OF else ""

    start = time.perf_counter()
    if args.scenario == "weekly-horizon":
        try:
            scenario = weekly_horizon(args.lots, args.items, args.customers, args.seed, args.as_of)
        except ValueError as error:
            parser.error(str(error))
        flags = f" --lots {args.lots} --seed {args.seed}{flags}"
        flags += "".join(
            f" --{name} {getattr(args, name)}"
            for name, default in (("items", DEFAULT_ITEMS), ("customers", DEFAULT_CUSTOMERS))
            if getattr(args, name) != default
        )
    else:
        scenario = future_receipts(args.as_of)
    seconds = time.perf_counter() - start
    command = f"python scenarios/generate_dated.py {args.scenario}{flags} --out {_relative(out)}"

    facts = summarize(scenario)
    if args.scenario == "weekly-horizon":
        description = (
            f"A year of weekly demand over a central and two regional DCs: {facts['lots']} "
            f"lots ({facts['receipts']} future receipts) of {facts['items']} items, "
            f"{facts['demand_lines']} order lines from {facts['customers']} customers with "
            "MRSLs of 90 to 365 days on 52 weekly due dates."
        )
        readme = WEEKLY_README.format(
            lots=facts["lots"],
            items=facts["items"],
            receipts=facts["receipts"],
            receipt_weeks=RECEIPT_WEEKS,
            lines=facts["demand_lines"],
            customers=facts["customers"],
            weeks=WEEKS,
            as_of=args.as_of,
            command=command,
        )
    else:
        description = (
            "One item, a 90-day and a 180-day customer over 12 weeks, and a 365-day receipt "
            "arriving in week 5 that binds."
        )
        arrival = args.as_of + dt.timedelta(days=int(RECEIPT_LOTS[1, 3]))
        readme = RECEIPTS_README.format(arrival=arrival, as_of=args.as_of, command=command)
    _write(scenario, out, command, description, readme)

    print(f"wrote {out} in {seconds:.2f} s (generation)")
    for key, value in facts.items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
