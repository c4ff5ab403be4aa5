"""What each input table is (SPEC §5): its columns, their aliases, kinds and defaults.

This module is data only: ``reading`` checks files against it, and anything that
needs to know which columns a table has (the CLI's help, a writer, a test) reads
it from here instead of repeating the names. The reason codes of the problems a
file can have live here too, because they are part of the contract: tests and
users match on them, never on message wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from consumption import constants as c
from consumption.errors import Code


class Kind(StrEnum):
    """How the text of a cell is read, and which rules it must follow."""

    TEXT = "text"
    """Any text; surrounding whitespace is stripped."""
    QUANTITY = "quantity"
    """A finite number >= 0, at most ``MAX_QTY_DECIMALS`` decimals, at most ``MAX_QTY``."""
    DAYS = "days"
    """A whole number of days (``12.0`` is 12), at least ``Column.minimum`` when set."""
    DATE = "date"
    """An ISO ``YYYY-MM-DD`` calendar date."""
    POSITIVE_INTEGER = "positive integer"
    """A whole number >= 1 (priorities, lane ranks)."""
    MONEY = "money"
    """A finite number >= 0, any number of decimals."""
    PERCENT = "percent"
    """A share from 0 to 100, with or without a ``%`` sign."""


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    ``aliases`` are the other headers accepted for it, written as a person
    would; headers match case-insensitively with spaces, ``_`` and ``-``
    treated alike. ``allow_empty`` says whether an empty cell is allowed; it
    then reads as ``default`` (or as missing: NA / NaN / NaT / "" by kind when
    ``default`` is None). A column that is absent from the file is left out of
    the frame, unless it has a ``default``, which then fills it.
    """

    name: str
    kind: Kind
    description: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    allow_empty: bool = False
    default: int | None = None
    minimum: int | None = None
    # Days may be written with their unit: "270 days", "9 months" (30-day months), or as a
    # share of the total shelf life, "75%".
    units: bool = False

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header accepted for this column, the canonical name first."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Unique:
    """A combination of columns that must not repeat, over the ones the table has.

    ``fix`` is what the planner should do about a repeat. The last column is
    the one a problem points at: what to change.
    """

    columns: tuple[str, ...]
    code: Code
    fix: str


@dataclass(frozen=True)
class Table:
    """One input file: its columns and the rules that span columns.

    ``one_of`` lists groups of columns of which at least one must be present
    (inventory needs a shelf life or an expiry date). ``unique`` are the keys
    whose combination must not repeat. ``distinct`` names two columns that must
    differ on every row (a lane leaves one location for another).
    """

    name: str
    columns: tuple[Column, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    unique: tuple[Unique, ...] = ()
    distinct: tuple[str, str] | None = None
    # Columns of which a row fills at most one (two requirements on a line contradict),
    # and whether every row must fill one of them.
    exclusive: tuple[str, ...] = ()
    one_per_row: bool = False

    def column(self, name: str) -> Column:
        """The column called ``name`` (canonical name)."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


# --- the tables ------------------------------------------------------------------
_ITEM = Column(c.ITEM, Kind.TEXT, "the item code", required=True)
_LOCATION = Column(c.LOCATION, Kind.TEXT, "the location")
# Empty where a line carries no requirement of its own: the MRSL table may give it, else 0.
_REQUIREMENT = Column(
    c.REQUIREMENT,
    Kind.DAYS,
    "the shelf life requirement in days",
    aliases=("shelf life requirement", "min remaining shelf life", "mrsl"),
    allow_empty=True,
    minimum=0,
    units=True,
)
_REQUIREMENT_PCT = Column(
    c.REQUIREMENT_PCT,
    Kind.PERCENT,
    "the shelf life requirement in percent of the total shelf life",
    aliases=("requirement percent", "mrsl percent", "mrsl pct"),
    allow_empty=True,
)

INVENTORY: Final = Table(
    name="inventory",
    columns=(
        _ITEM,
        _LOCATION,
        Column(c.LOT, Kind.TEXT, "the lot id", required=True),
        Column(
            c.QTY,
            Kind.QUANTITY,
            "the lot quantity",
            aliases=("lot qty", "quantity", "on hand"),
            required=True,
        ),
        Column(
            c.SHELF_LIFE,
            Kind.DAYS,
            "the remaining shelf life in days",
            aliases=("lot shelf life", "remaining shelf life", "shelf life days"),
        ),
        Column(
            c.EXPIRY_DATE,
            Kind.DATE,
            "the expiry date",
            aliases=("expiry", "expiration date", "best before"),
        ),
        Column(c.AVAILABLE_DATE, Kind.DATE, "the date the lot can ship", allow_empty=True),
        Column(c.UNIT_COST, Kind.MONEY, "the unit cost", allow_empty=True),
        Column(
            c.PRODUCTION_DATE,
            Kind.DATE,
            "the production date",
            aliases=("manufacturing date", "date of manufacture"),
            allow_empty=True,
        ),
    ),
    one_of=((c.SHELF_LIFE, c.EXPIRY_DATE),),
    unique=(
        Unique(
            (c.ITEM, c.LOCATION, c.LOT),
            Code.DUPLICATE_LOT,
            "merge the two rows, or give the lots distinct ids",
        ),
    ),
)

DEMAND: Final = Table(
    name="demand",
    columns=(
        Column(c.ID, Kind.TEXT, "the demand line id"),
        _ITEM,
        _LOCATION,
        Column(c.CUSTOMER, Kind.TEXT, "the customer", allow_empty=True),
        _REQUIREMENT,
        _REQUIREMENT_PCT,
        Column(
            c.DUE_DATE,
            Kind.DATE,
            "the due date",
            aliases=("date", "period start"),
        ),
        Column(c.PRIORITY, Kind.POSITIVE_INTEGER, "the priority", allow_empty=True),
        Column(
            c.QTY,
            Kind.QUANTITY,
            "the demand quantity",
            aliases=("demand", "quantity"),
            required=True,
        ),
    ),
    unique=(Unique((c.ID,), Code.DUPLICATE_ID, "every demand line needs its own id"),),
    exclusive=(c.REQUIREMENT, c.REQUIREMENT_PCT),
)

LANES: Final = Table(
    name="lanes",
    columns=(
        Column(c.FROM_LOCATION, Kind.TEXT, "the location the lane ships from", required=True),
        Column(c.TO_LOCATION, Kind.TEXT, "the location the lane delivers to", required=True),
        Column(c.TRANSIT_DAYS, Kind.DAYS, "the transit time in days", required=True, minimum=0),
        Column(c.RANK, Kind.POSITIVE_INTEGER, "the lane rank", required=True),
        Column(c.COST, Kind.MONEY, "the cost per unit", allow_empty=True),
    ),
    unique=(
        Unique(
            (c.FROM_LOCATION, c.TO_LOCATION),
            Code.DUPLICATE_LANE,
            "keep one lane per pair of locations",
        ),
        # Lines are served through their rank-1 lane, then rank-2, ...: one lane each.
        Unique(
            (c.TO_LOCATION, c.RANK),
            Code.DUPLICATE_LANE_RANK,
            "give each lane into a location its own rank",
        ),
    ),
    distinct=(c.FROM_LOCATION, c.TO_LOCATION),
)

# Customer MRSL agreements, as SAP and WMS systems keep them: a requirement per customer,
# item or item group, for the demand lines that carry none of their own.
MRSL: Final = Table(
    name="mrsl",
    columns=(
        Column(c.CUSTOMER, Kind.TEXT, "the customer", allow_empty=True),
        Column(c.ITEM, Kind.TEXT, "the item code", allow_empty=True),
        Column(c.ITEM_GROUP, Kind.TEXT, "the item group", allow_empty=True),
        _REQUIREMENT,
        _REQUIREMENT_PCT,
    ),
    one_of=((c.REQUIREMENT, c.REQUIREMENT_PCT),),
    unique=(
        Unique(
            (c.CUSTOMER, c.ITEM, c.ITEM_GROUP),
            Code.DUPLICATE_MRSL,
            "keep one requirement per customer, item and item group",
        ),
    ),
    exclusive=(c.REQUIREMENT, c.REQUIREMENT_PCT),
    one_per_row=True,
)

# Item master data: the total shelf life a percentage requirement is a share of.
ITEMS: Final = Table(
    name="items",
    columns=(
        _ITEM,
        Column(c.ITEM_GROUP, Kind.TEXT, "the item group", allow_empty=True),
        Column(
            c.TOTAL_SHELF_LIFE,
            Kind.DAYS,
            "the total shelf life in days",
            aliases=("shelf life total", "total shelf life days"),
            allow_empty=True,
            minimum=1,
        ),
    ),
    unique=(Unique((c.ITEM,), Code.DUPLICATE_ITEM, "keep one row per item"),),
)

TABLES: Final = (INVENTORY, DEMAND, LANES, MRSL, ITEMS)
