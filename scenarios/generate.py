"""Generate a realistic scenario for a food / pharma distributor.

The shape of the data, all of it drawn from one seeded numpy ``Generator`` and
built with array operations only (no Python loop over lots or lines):

* **Items** (``SKU-0001`` …) belong to a product family that fixes their total
  shelf life (ambient 730 days, beverages 540, snacks 365), ship in case packs
  of 6 to 48 units and have a lognormal popularity: a few fast movers hold many
  lots, the long tail holds a handful each.
* **Locations** are distribution centres (``DC-NORTH``, ``DC-SOUTH`` …) of
  unequal size.
* **Lots** come from production batches. Each item is produced in campaigns of
  a few consecutive daily batches; a batch is shipped to several DCs, where it
  becomes a lot carrying the batch code (``B24-00123``: production year and
  batch serial, unique per item, hence per (item, location)). Lots of one batch
  share their remaining shelf life, so shelf lives cluster. Old batches are
  mostly sold already, so stock is skewed towards fresh lots, with a thin tail
  of lots near or a few days past expiry (negative shelf life: expired).
  Quantities are whole cases.
* **Customers** are retail chains (larger, stricter: minimum remaining shelf
  life, MRSL, of 180 to 365 days) and wholesalers (smaller, 90 to 270 days).
  Each has one MRSL policy, a home DC and a range of items it buys (retail
  chains buy more of the catalogue; nobody contracts an MRSL that leaves less
  than 90 days of an item's total shelf life).
* **Demand** is a number of order lines per (customer, item, location), whole
  cases, sized per (item, location) from the stock there times an item factor,
  so that overall demand is about 88% of stock while some items are
  over-demanded and others under-demanded. Together with the shelf-life
  policies this leaves stranded lots (too short for every customer), excess
  lots and short demand, which is what the planner wants to see.

``generate()`` returns the two frames with canonical column names (for tests
and benchmarks that build instances in memory); run as a script it writes
``inventory.csv``, ``demand.csv`` and ``scenario.toml`` into ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from consumption.constants import (
    CUSTOMER,
    ID,
    ITEM,
    LOCATION,
    LOT,
    QTY,
    REQUIREMENT,
    SHELF_LIFE,
    UNIT_COST,
)

DEFAULT_LOTS = 5000
DEFAULT_ITEMS = 40
DEFAULT_LOCATIONS = 4
DEFAULT_CUSTOMERS = 30
DEFAULT_SEED = 20240917
DEFAULT_OUT = Path(__file__).resolve().parent / "regional-network"

INVENTORY_COLUMNS = (ITEM, LOCATION, LOT, QTY, SHELF_LIFE, UNIT_COST)
DEMAND_COLUMNS = (ID, ITEM, LOCATION, CUSTOMER, REQUIREMENT, QTY)

# Only used to stamp the production year into batch codes.
REFERENCE_DATE = np.datetime64("2025-06-30", "D")

LOCATION_NAMES = (
    "DC-NORTH", "DC-SOUTH", "DC-EAST", "DC-WEST", "DC-CENTRAL",
    "DC-NORTHEAST", "DC-SOUTHWEST", "DC-NORTHWEST", "DC-SOUTHEAST",
)  # fmt: skip

# Product families: total shelf life in days and share of the catalogue.
FAMILY_SHELF_LIFE = np.array([730, 540, 365])
FAMILY_SHARE = np.array([0.45, 0.30, 0.25])

CASE_PACKS = np.array([6, 12, 24, 48])
CASE_PACK_SHARE = np.array([0.2, 0.4, 0.3, 0.1])

MRSL_DAYS = np.array([90, 180, 270, 365])
RETAIL_MRSL_SHARE = np.array([0.0, 0.3, 0.45, 0.25])
WHOLESALE_MRSL_SHARE = np.array([0.45, 0.4, 0.15, 0.0])
RETAIL_SHARE = 0.4
# An MRSL is only contracted when it leaves at least this much of the total shelf life.
MIN_MRSL_MARGIN = 90

ITEM_POPULARITY_SIGMA = 1.1
LOCATION_SIZE_SIGMA = 0.35
# Candidate (batch, DC) pairs drawn per lot wanted; the lots are a weighted sample of them.
CANDIDATES_PER_LOT = 3.0
BATCHES_PER_CAMPAIGN = 3
# Days from production to the first receipt at a DC, and how far past expiry stock lingers.
RECEIPT_LAG_DAYS = 3
PAST_EXPIRY_DAYS = 21
# Survival of a batch on the shelf against its age (as a share of total shelf life).
SURVIVAL_SCALE = 0.35
SURVIVAL_FLOOR = 0.08
MEDIAN_CASES_PER_LOT = 40.0

DEMAND_TO_STOCK = 0.88
ITEM_DEMAND_SIGMA = 0.25
GROUP_DEMAND_SIGMA = 0.15
LINES_PER_LOT = 0.5
HOME_DC_SHARE = 0.85


@dataclass(frozen=True)
class _Catalog:
    """Per-item attributes, indexed by item code 0..items-1."""

    names: pd.api.extensions.ExtensionArray
    popularity: np.ndarray  # sums to 1
    total_shelf_life: np.ndarray
    case_pack: np.ndarray
    unit_cost: np.ndarray


def _labels(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` followed by each number zero-padded to ``width`` digits (wider if needed)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _str_array(values: pa.Array) -> pd.api.extensions.ExtensionArray:
    """A pandas ``str`` array (as ``read_csv`` gives) over an Arrow string array."""
    return pd.array(values, dtype="str")


def _location_names(locations: int) -> np.ndarray:
    """Named DCs first, then ``DC-10``, ``DC-11`` … when more are asked for."""
    named = np.array(LOCATION_NAMES[:locations], dtype=object)
    extra = _labels("DC-", np.arange(len(named) + 1, locations + 1), 2)
    return np.concatenate([named, np.asarray(extra.to_pylist(), dtype=object)])


def _weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Indices of ``k`` distinct elements drawn with probability growing with ``weights``.

    Efraimidis-Spirakis: the ``k`` largest ``log(u) / w``. Returned sorted.
    """
    if k >= len(weights):
        return np.arange(len(weights))
    keys = np.log(rng.random(len(weights))) / weights
    return np.sort(np.argpartition(keys, len(keys) - k)[len(keys) - k :])


def _catalog(rng: np.random.Generator, items: int) -> _Catalog:
    """Draw the item master."""
    popularity = rng.lognormal(0.0, ITEM_POPULARITY_SIGMA, items)
    family = rng.choice(len(FAMILY_SHELF_LIFE), size=items, p=FAMILY_SHARE)
    return _Catalog(
        names=_str_array(_labels("SKU-", np.arange(1, items + 1), 4)),
        popularity=popularity / popularity.sum(),
        total_shelf_life=FAMILY_SHELF_LIFE[family],
        case_pack=rng.choice(CASE_PACKS, size=items, p=CASE_PACK_SHARE),
        unit_cost=np.round(rng.lognormal(np.log(6.0), 0.8, items), 2),
    )


def _inventory(
    rng: np.random.Generator,
    lots: int,
    catalog: _Catalog,
    location_size: np.ndarray,
    location_names: pd.api.extensions.ExtensionArray,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Draw the lots; returns the frame and each lot's item and location codes."""
    items, locations = len(catalog.popularity), len(location_size)

    # Production batches: each item gets a number of batches in line with its popularity.
    n_batches = max(items, int(np.ceil(lots * CANDIDATES_PER_LOT / locations)))
    per_item = 1 + rng.multinomial(n_batches - items, catalog.popularity)
    batch_item = np.repeat(np.arange(items), per_item)
    first = np.cumsum(per_item) - per_item
    k = np.arange(n_batches) - first[batch_item]  # 0 = newest batch of the item

    # Campaigns of a few consecutive daily batches, spread evenly from today back to a
    # few weeks past the end of the item's shelf life, with a random phase per item.
    horizon = catalog.total_shelf_life + PAST_EXPIRY_DAYS - RECEIPT_LAG_DAYS
    campaigns = -(-per_item // BATCHES_PER_CAMPAIGN)
    interval = horizon / campaigns
    phase = rng.random(items) * interval
    age = (
        RECEIPT_LAG_DAYS
        + np.floor(phase[batch_item] + (k // BATCHES_PER_CAMPAIGN) * interval[batch_item])
        + k % BATCHES_PER_CAMPAIGN
    ).astype(np.int64)
    total = catalog.total_shelf_life[batch_item]
    shelf_life = total - age

    # Batch codes: production year and a serial growing with production date.
    produced = REFERENCE_DATE - age.astype("timedelta64[D]")
    year = (produced.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
    serial = rng.integers(100, 900, items)[batch_item] + per_item[batch_item] - 1 - k
    digits = pc.utf8_lpad(pc.cast(pa.array(serial), pa.string()), width=5, padding="0")
    year_text = pc.utf8_lpad(pc.cast(pa.array(year), pa.string()), width=2, padding="0")
    code = pc.binary_join_element_wise("B", year_text, "-", digits, "")

    # Lots: a weighted sample of (batch, DC) pairs, so a batch sits in several DCs but
    # at most once in each. Old batches are mostly gone already (survival weight).
    survival = np.exp(-(age / total) / SURVIVAL_SCALE) + SURVIVAL_FLOOR
    weights = (survival[:, None] * location_size[None, :]).ravel()
    chosen = _weighted_sample(rng, weights, lots)
    batch, location = np.divmod(chosen, locations)
    item = batch_item[batch]
    # Rows in ERP-extract order: item, location, lot code.
    order = np.argsort(((item * locations + location) << 32) | serial[batch])
    batch, location, item = batch[order], location[order], item[order]

    n = len(batch)
    popularity_ratio = catalog.popularity[item] * items
    cases = np.rint(rng.lognormal(np.log(MEDIAN_CASES_PER_LOT * popularity_ratio**0.3), 0.7, n))
    qty = np.maximum(cases, 1).astype(np.int64) * catalog.case_pack[item]
    unit_cost = np.round(catalog.unit_cost[item] * rng.lognormal(0.0, 0.02, n), 2)

    frame = pd.DataFrame(
        {
            ITEM: catalog.names.take(item),
            LOCATION: location_names.take(location),
            LOT: _str_array(code.take(pa.array(batch))),
            QTY: qty,
            SHELF_LIFE: shelf_life[batch],
            UNIT_COST: unit_cost,
        }
    )
    return frame, item, location


def _demand(
    rng: np.random.Generator,
    customers: int,
    lines: int,
    catalog: _Catalog,
    location_size: np.ndarray,
    location_names: pd.api.extensions.ExtensionArray,
    stock: np.ndarray,
) -> pd.DataFrame:
    """Draw the demand lines; ``stock`` is the quantity on hand per item x location."""
    items, locations = len(catalog.popularity), len(location_size)

    # Customers: retail chains are bigger, stricter and buy more of the range.
    retail = rng.random(customers) < RETAIL_SHARE
    mrsl = np.where(
        retail,
        rng.choice(MRSL_DAYS, size=customers, p=RETAIL_MRSL_SHARE),
        rng.choice(MRSL_DAYS, size=customers, p=WHOLESALE_MRSL_SHARE),
    )
    size = rng.lognormal(0.0, 0.8, customers) * np.where(retail, 3.0, 1.0)
    home = rng.choice(locations, size=customers, p=location_size / location_size.sum())
    number = np.where(retail, np.cumsum(retail), np.cumsum(~retail))
    names = _str_array(
        pc.if_else(retail, _labels("RETAIL-", number, 3), _labels("WHOLESALE-", number, 3))
    )

    # Which items each customer buys: more of the fast movers, none whose total shelf
    # life leaves too little room for the customer's MRSL.
    breadth = np.where(retail, 0.7, 0.35)
    popularity_ratio = catalog.popularity * items
    p_buy = np.minimum(1.0, breadth[:, None] * np.sqrt(popularity_ratio)[None, :])
    p_buy[mrsl[:, None] > catalog.total_shelf_life[None, :] - MIN_MRSL_MARGIN] = 0.0
    cust, item = np.nonzero(rng.random((customers, items)) < p_buy)
    if len(cust) == 0:  # tiny catalogues: nobody buys anything
        lines = 0
    # Most of a customer's volume ships from its home DC, some from another one.
    away = rng.integers(0, locations, len(cust))
    location = np.where(rng.random(len(cust)) < HOME_DC_SHARE, home[cust], away)
    weight = size[cust] * catalog.popularity[item] * rng.lognormal(0.0, 0.5, len(cust))
    if lines < len(cust):  # fewer lines than (customer, item, DC): keep the biggest, mostly
        keep = _weighted_sample(rng, weight / weight.max(), lines)
        cust, item, location, weight = cust[keep], item[keep], location[keep], weight[keep]

    # Volume per (customer, item, DC): demand of its item x DC, shared by weight. The
    # demand of an item x DC follows its stock times an item factor (some items are
    # over-demanded, some under), or a small share of the item's stock where there is none.
    group = item * locations + location
    factor = rng.lognormal(0.0, ITEM_DEMAND_SIGMA, items)
    item_stock = stock.reshape(items, locations)
    mean_stock = item_stock.sum(axis=1) / locations
    base = np.maximum(item_stock, 0.25 * mean_stock[:, None]).ravel()
    target = base * np.repeat(factor, locations)
    target *= rng.lognormal(0.0, GROUP_DEMAND_SIGMA, items * locations)
    group_weight = np.bincount(group, weights=weight, minlength=items * locations)
    volume = target[group] * weight / group_weight[group]

    # Order lines: at least one per (customer, item, DC), more for the big ones.
    per_triple = np.ones(len(cust), dtype=np.int64)
    if lines > len(cust):
        per_triple += rng.multinomial(lines - len(cust), np.sqrt(weight) / np.sqrt(weight).sum())
    triple = np.repeat(np.arange(len(cust)), per_triple)
    share = rng.exponential(1.0, len(triple))
    share /= np.bincount(triple, weights=share)[triple]
    qty = volume[triple] * share
    if len(qty):
        qty *= DEMAND_TO_STOCK * stock.sum() / qty.sum()
    pack = catalog.case_pack[item[triple]]
    qty = np.maximum(np.rint(qty / pack), 1).astype(np.int64) * pack

    return pd.DataFrame(
        {
            ID: _str_array(_labels("SO-", np.arange(1, len(triple) + 1), 6)),
            ITEM: catalog.names.take(item[triple]),
            LOCATION: location_names.take(location[triple]),
            CUSTOMER: names.take(cust[triple]),
            REQUIREMENT: mrsl[cust[triple]],
            QTY: qty,
        }
    )


def generate(
    lots: int = DEFAULT_LOTS,
    items: int = DEFAULT_ITEMS,
    locations: int = DEFAULT_LOCATIONS,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    lines: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build a scenario in memory: ``(inventory, demand)`` with canonical column names.

    ``inventory``: item, location, lot, qty, shelf_life, unit_cost (exactly ``lots``
    rows, lot ids unique within item and location). ``demand``: id, item, location,
    customer, requirement, qty (``lines`` rows, by default half as many as lots; at
    least one per (customer, item, location) bought, none when nobody buys anything,
    which only happens with a handful of items). Text columns use pandas' ``str``
    dtype, as ``read_csv`` gives. The same arguments always give the same frames.
    """
    if min(lots, items, locations, customers) < 1:
        raise ValueError("lots, items, locations and customers must be at least 1")
    if lines is None:
        lines = max(1, round(lots * LINES_PER_LOT))
    if lines < 1:
        raise ValueError("lines must be at least 1")
    rng = np.random.default_rng(seed)
    catalog = _catalog(rng, items)
    location_size = rng.lognormal(0.0, LOCATION_SIZE_SIGMA, locations)
    location_names = pd.array(_location_names(locations), dtype="str")
    inventory, lot_item, lot_location = _inventory(
        rng, lots, catalog, location_size, location_names
    )
    stock = np.bincount(
        lot_item * locations + lot_location,
        weights=inventory[QTY].to_numpy(),
        minlength=items * locations,
    )
    demand = _demand(rng, customers, lines, catalog, location_size, location_names, stock)
    return inventory, demand


def summarize(inventory: pd.DataFrame, demand: pd.DataFrame) -> dict[str, object]:
    """Headline figures of a scenario: counts, expired and stranded shares, demand mix."""
    qty = inventory[QTY].to_numpy()
    shelf_life = inventory[SHELF_LIFE].to_numpy()
    expired = shelf_life < 0
    # A lot is stranded when it is too short for every demand line of its item x DC.
    keys = [ITEM, LOCATION]
    strictest = demand.groupby(keys)[REQUIREMENT].min().rename("min_requirement")
    joined = inventory[keys].join(strictest, on=keys)
    stranded = ~expired & (shelf_life < joined["min_requirement"].to_numpy(float, na_value=0))
    by_mrsl = demand.groupby(REQUIREMENT)[QTY].sum()
    return {
        "lots": len(inventory),
        "items": inventory[ITEM].nunique(),
        "locations": inventory[LOCATION].nunique(),
        "customers": demand[CUSTOMER].nunique(),
        "demand_lines": len(demand),
        "stock_qty": int(qty.sum()),
        "demand_qty": int(demand[QTY].sum()),
        "demand_to_stock": round(float(demand[QTY].sum() / qty.sum()), 3),
        "expired_lots_share": round(float(expired.mean()), 4),
        "expired_qty_share": round(float(qty[expired].sum() / qty.sum()), 4),
        "stranded_lots_share": round(float(stranded.mean()), 4),
        "demand_share_by_mrsl": {
            int(r): round(float(q / by_mrsl.sum()), 3) for r, q in by_mrsl.items()
        },
    }


def _scenario_toml(args: argparse.Namespace, demand_lines: int) -> str:
    """The scenario.toml text: how it was made, a one-line description, the run options."""
    flags = f"--lots {args.lots} --seed {args.seed}"
    for name, default in (
        ("items", DEFAULT_ITEMS),
        ("locations", DEFAULT_LOCATIONS),
        ("customers", DEFAULT_CUSTOMERS),
        ("lines", None),
    ):
        value = getattr(args, name)
        if value != default:
            flags += f" --{name} {value}"
    description = (
        f"Regional food distributor: {args.lots} lots of {args.items} items in "
        f"{args.locations} DCs, {demand_lines} order lines from {args.customers} customers "
        f"with MRSL policies of 90 to 365 days."
    )
    return (
        f"# Generated by scenarios/generate.py {flags} (rerun to regenerate).\n"
        f'description = "{description}"\n'
        "\n"
        "[run]\n"
        'out = "out"\n'  # each scenario writes into its own folder
        'format = "forum"\n'
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: generate a scenario and write it to ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=DEFAULT_LOTS, help="number of lots")
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS, help="number of items")
    parser.add_argument("--locations", type=int, default=DEFAULT_LOCATIONS, help="number of DCs")
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    parser.add_argument("--lines", type=int, default=None, help="demand lines (default lots/2)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="scenario directory (default %(default)s)"
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    try:
        inventory, demand = generate(
            args.lots, args.items, args.locations, args.customers, args.seed, args.lines
        )
    except ValueError as error:
        parser.error(str(error))
    seconds = time.perf_counter() - start

    args.out.mkdir(parents=True, exist_ok=True)
    inventory.to_csv(args.out / "inventory.csv", index=False, float_format="%.2f")
    demand.to_csv(args.out / "demand.csv", index=False)
    (args.out / "scenario.toml").write_text(_scenario_toml(args, len(demand)), encoding="utf-8")

    print(f"wrote {args.out} in {seconds:.2f} s (generation)")
    for key, value in summarize(inventory, demand).items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
