"""Names and values that are part of the contract: columns, statuses, reasons, exit codes.

Everything a user can see in a file or a message is spelled once, here.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

# --- canonical input columns -------------------------------------------------
ITEM: Final = "item"
LOCATION: Final = "location"
LOT: Final = "lot"
QTY: Final = "qty"
SHELF_LIFE: Final = "shelf_life"
EXPIRY_DATE: Final = "expiry_date"
AVAILABLE_DATE: Final = "available_date"
UNIT_COST: Final = "unit_cost"
REQUIREMENT: Final = "requirement"
DUE_DATE: Final = "due_date"
CUSTOMER: Final = "customer"
PRIORITY: Final = "priority"
ID: Final = "id"
REQUIREMENT_PCT: Final = "requirement_pct"
PRODUCTION_DATE: Final = "production_date"
ITEM_GROUP: Final = "item_group"
TOTAL_SHELF_LIFE: Final = "total_shelf_life"

# --- output columns (SPEC §6) --------------------------------------------------
LINE: Final = "line"
RANK: Final = "rank"
REQUIREMENT_CONSIDERED: Final = "requirement_considered"
CONSUMED: Final = "consumed"
REMAINING: Final = "remaining"
STATUS: Final = "status"
REASON: Final = "reason"
REASON_DETAIL: Final = "reason_detail"  # the number behind a lot's reason, in words
FILLED: Final = "filled"
SHORT: Final = "short"
LOT_LOCATION: Final = "lot_location"
DEMAND_LOCATION: Final = "demand_location"
REMAINING_DEMAND: Final = "remaining_demand"

LOTS_COLUMNS: Final = (
    ITEM, LOCATION, LOT, SHELF_LIFE, EXPIRY_DATE, RANK, QTY,
    REQUIREMENT_CONSIDERED, CONSUMED, REMAINING, STATUS, REASON, REASON_DETAIL,
)  # fmt: skip
ALLOCATIONS_COLUMNS: Final = (
    ITEM, LOT, LOT_LOCATION, LINE, DEMAND_LOCATION, REQUIREMENT, DUE_DATE, QTY,
)  # fmt: skip
DEMAND_COLUMNS: Final = (
    LINE, ITEM, LOCATION, CUSTOMER, REQUIREMENT, DUE_DATE, PRIORITY, QTY, FILLED, SHORT, REASON,
)  # fmt: skip
REMAINING_DEMAND_COLUMNS: Final = (ITEM, LOCATION, LOT, RANK, REQUIREMENT, REMAINING_DEMAND)

# --- output files --------------------------------------------------------------
LOTS_FILE: Final = "lots.csv"
ALLOCATIONS_FILE: Final = "allocations.csv"
DEMAND_FILE: Final = "demand.csv"
SUMMARY_FILE: Final = "summary.json"
FORUM_FILE: Final = "forum.csv"
REMAINING_DEMAND_FILE: Final = "remaining_demand.csv"
EXPIRY_RISK_FILE: Final = "expiry_risk.csv"
RISK_BY_PERIOD_FILE: Final = "risk_by_period.csv"
WORKBOOK_FILE: Final = "consumption.xlsx"  # --format xlsx
# Its sheets: the §6 tables, the expiry risk (with dates) and summary.json flattened.
SHEET_LOTS: Final = "lots"
SHEET_DEMAND: Final = "demand"
SHEET_ALLOCATIONS: Final = "allocations"
SHEET_RISK: Final = "risk"
SHEET_RISK_BY_PERIOD: Final = "risk by period"
SHEET_SUMMARY: Final = "summary"
DEFAULT_OUT_DIR: Final = "consumption-out"
ANAPLAN_DIR: Final = "anaplan"  # the Anaplan-ready export (SPEC §7), under the output folder
DEFAULT_PULL_DIR: Final = "inputs"  # where consumption pull writes when no --into is given
PULL_FILE: Final = "pull.json"  # what consumption pull fetched: exports, tasks, sha256, rows
ANAPLAN_PAYLOAD_FORMATS: Final = ("v2", "v1")  # certificate auth messages; v2 the default
# ``consumption compare`` (SPEC §4): one folder per engine, and the comparison itself.
COMPARE_LOTS_FILE: Final = "compare_lots.csv"
COMPARE_DEMAND_FILE: Final = "compare_demand.csv"
COMPARE_FILE: Final = "compare.json"
DEFAULT_COMPARE_DIR: Final = "consumption-compare"

# --- lot status and the reasons for stock left over ---------------------------
STATUS_CONSUMED: Final = "consumed"
STATUS_PARTIAL: Final = "partial"
STATUS_UNCONSUMED: Final = "unconsumed"

REASON_EXPIRED: Final = "expired"
REASON_NO_DEMAND: Final = "no_demand"
REASON_STRANDED: Final = "stranded"
REASON_NOT_AVAILABLE: Final = "not_available"
REASON_EXCESS: Final = "excess"
# Order in which reasons are reported in summaries.
REASONS: Final = (
    REASON_EXPIRED, REASON_NO_DEMAND, REASON_STRANDED, REASON_NOT_AVAILABLE, REASON_EXCESS,
)  # fmt: skip

# Why a demand line went short, in the ``reason`` column of demand.csv.
SHORT_NO_INVENTORY: Final = "no_inventory"  # no stock of the item where the line is served
SHORT_SHELF_LIFE: Final = "shelf_life"  # stock there, but all of it too short or expired
SHORT_NOT_AVAILABLE: Final = "not_available"  # stock meets it, but arrives too late
SHORT_EXHAUSTED: Final = "exhausted"  # eligible stock there, taken by lines served earlier
SHORT_REASONS: Final = (SHORT_NO_INVENTORY, SHORT_SHELF_LIFE, SHORT_NOT_AVAILABLE, SHORT_EXHAUSTED)

# --- run options -----------------------------------------------------------------
ORDER_REQUIREMENT: Final = "requirement"
ORDER_DUE: Final = "due"
ORDERS: Final = (ORDER_REQUIREMENT, ORDER_DUE)
ENGINE_GREEDY: Final = "greedy"
ENGINE_LP: Final = "lp"
ENGINES: Final = (ENGINE_GREEDY, ENGINE_LP)
SOLVER_CBC: Final = "cbc"  # bundled with PuLP 3.x
SOLVER_HIGHS: Final = "highs"  # through highspy, the optional extra consumption[highs]
SOLVERS: Final = (SOLVER_CBC, SOLVER_HIGHS)
# What a solve ended with, in summary.json and compare.json (the worst block's status).
LP_OPTIMAL: Final = "optimal"
LP_TIME_LIMIT: Final = "time_limit"  # stopped at --time-limit: the best solution found
LP_NOT_SOLVED: Final = "not_solved"  # the solver gave up for another reason
LP_STATUSES: Final = (LP_OPTIMAL, LP_TIME_LIMIT, LP_NOT_SOLVED)
# Which plan ``--engine lp`` wrote: the LP's in every block, the greedy's in every block
# (the LP found nothing better in time), or each block's better one.
PLAN_LP: Final = "lp"
PLAN_GREEDY: Final = "greedy"
PLAN_MIXED: Final = "mixed"
# The LP model of a block: one variable per eligible (lot, demand class) pair, or the
# threshold chain whose size grows with lots + classes (``lp/compact.py``).
FORMULATION_PAIR: Final = "pair"
FORMULATION_COMPACT: Final = "compact"
FORMULATION_AUTO: Final = "auto"  # per block, the smaller of the two
FORMULATIONS: Final = (FORMULATION_AUTO, FORMULATION_PAIR, FORMULATION_COMPACT)
# Which of shelf life and expiry date wins when a lot gives both and they disagree.
PREFER_EXPIRY: Final = "expiry"
PREFER_SHELF_LIFE: Final = "shelf_life"
PREFER: Final = (PREFER_EXPIRY, PREFER_SHELF_LIFE)
FORMAT_FORUM: Final = "forum"
FORMAT_XLSX: Final = "xlsx"  # also write the run as one Excel workbook
FORMATS: Final = (FORMAT_FORUM, FORMAT_XLSX)
# Carried with the formats (``--excel-csv``): CSV files start with a UTF-8 byte-order
# mark, so that Excel opening one by double-click reads its accents right.
EXCEL_CSV: Final = "excel-csv"
UTF8_BOM: Final = b"\xef\xbb\xbf"

# --- numbers -----------------------------------------------------------------------
# Quantities are held as integers in units of 10**-decimals so that sums conserve
# exactly; more decimals than this are refused rather than silently rounded.
MAX_QTY_DECIMALS: Final = 6
# Largest quantity accepted in one cell; anything above is a typo or a unit mix-up.
MAX_QTY: Final = 1e12
# A run warns when at least this share of the demand is for items with no inventory at all.
UNMATCHED_DEMAND_SHARE: Final = 0.25
# A requirement written in months ("9 months") counts 30 days a month.
DAYS_PER_MONTH: Final = 30
MRSL_FILE: Final = "mrsl.csv"
ITEMS_FILE: Final = "items.csv"
# How many problems one validation reports before it stops listing them.
MAX_PROBLEMS: Final = 50
# The forum table is echoed to the terminal only when it is this short.
MAX_ROWS_PRINTED: Final = 40

# Set in ``DataFrame.attrs`` by the readers: the frame's keys (lots) were checked unique.
ATTR_KEYS_UNIQUE: Final = "keys_unique"

# --- exit codes (SPEC §8) ------------------------------------------------------------
EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_BAD_INPUT: Final = 2
EXIT_WARNINGS: Final = 3  # --strict: the run found warnings (unmatched keys); nothing written
# consumption sync: which stage failed, for a scheduler to act on (bad input stays 2: a
# retry will not help; these may), and 75 (EX_TEMPFAIL) while another sync holds the model.
EXIT_PULL_FAILED: Final = 10
EXIT_RUN_FAILED: Final = 11
EXIT_PUSH_FAILED: Final = 12
EXIT_BUSY: Final = 75
SYNC_FILE: Final = "sync.json"  # a batch's record: its id, each stage's outcome and time
SYNC_BATCHES_DIR: Final = "batches"  # under --work: one folder per batch
SYNC_LATEST: Final = "latest"  # under --work: a link to the last batch that pushed
SYNC_KEEP_RUNS: Final = 7  # batch folders a sync keeps, its own included

# --- input reading (added by consumption/reading.py) ---------------------------------
# Lanes columns (SPEC §5); RANK above is shared with the lots output.
FROM_LOCATION: Final = "from_location"
TO_LOCATION: Final = "to_location"
TRANSIT_DAYS: Final = "transit_days"
COST: Final = "cost"
# Largest shelf life, requirement or transit time in days (about 270 years): larger is
# a typo, and it keeps as_of + days representable as a date.
MAX_DAYS: Final = 100_000
# The dates consumption takes (inputs and --as-of): wider is a typo or a placeholder such
# as 9999-12-31, and would be read as something else by tools that count nanoseconds.
FIRST_DATE: Final = dt.date(1900, 1, 1)
LAST_DATE: Final = dt.date(2199, 12, 31)
# Largest priority or lane rank accepted.
MAX_POSITIVE_INTEGER: Final = 1_000_000_000

# --- what a planner reads: the report and the terminal's findings ------------------------
REPORT_FILE: Final = "report.html"
# Items the terminal lists after a run, per list (most short, most value at risk).
TOP_PRINTED: Final = 5
# Bars in the report's top-items, top-locations and top-customers charts.
TOP_CHARTED: Final = 15
# Demand lines (or lots) ``consumption explain`` lists for one lot (or line).
EXPLAIN_LINES_PRINTED: Final = 20
# The expiry-risk bar of stock already unsellable on --as-of, ahead of the months.
UNSELLABLE_ON_AS_OF: Final = "unsellable on as_of"
