"""Customer MRSL tables, item tables and requirements written with units.

The oracle of the precedence property is a plain loop over the levels, most
specific first, for each line: the vectorised joins must pick the same
agreement for every line.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumption import constants as c
from consumption.cli import main
from consumption.errors import Code, InputError
from consumption.io.prepare import check_inputs
from consumption.io.read import read_demand, read_items, read_mrsl
from consumption.io.requirements import LEVELS

AS_OF = np.datetime64("2026-12-01")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _stock(items: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"item": items, "lot": [f"L{i}" for i in range(len(items))], "qty": 5, "shelf_life": 400}
    )


def requirements(demand: pd.DataFrame, **tables: Any) -> list[int]:
    stock = _stock(sorted(set(demand["item"])))
    checked = check_inputs(stock, demand, None, AS_OF, **tables)
    return checked.demand[c.REQUIREMENT].tolist()


def problems(error: pytest.ExceptionInfo[InputError]) -> list[tuple[str, int | None, str | None]]:
    return [(p.code, p.line or p.row, p.column) for p in error.value.problems]


# --- units --------------------------------------------------------------------------------------


def test_requirements_written_with_units(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "demand.csv",
        "item,qty,requirement\nA,1,270 days\nA,1,9 months\nA,1,1.5 Months\nA,1, 90 d \n"
        "A,1,180\nA,1,75%\nA,1,\n",
    )
    demand = read_demand(path)
    assert demand[c.REQUIREMENT].tolist()[:5] == [270, 270, 45, 90, 180]
    assert demand[c.REQUIREMENT].isna().tolist() == [False] * 5 + [True, True]
    assert demand[c.REQUIREMENT_PCT].isna().tolist() == [True] * 5 + [False, True]
    items = pd.DataFrame({"item": ["A"], "total_shelf_life": [365]})
    # 75% of 365 is 273.75: rounded up, never a lot below the share agreed.
    assert requirements(demand, items=items) == [270, 270, 45, 90, 180, 274, 0]


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("150%", Code.BAD_PERCENT),
        ("1.25 months", Code.NOT_AN_INTEGER),
        ("9 weeks", Code.NOT_A_NUMBER),
        ("-5 days", Code.NEGATIVE),
    ],
)
def test_bad_requirements_with_units(cell: str, code: Code, tmp_path: Path) -> None:
    path = _write(tmp_path / "demand.csv", f"item,qty,requirement\nA,1,{cell}\n")
    with pytest.raises(InputError) as caught:
        read_demand(path)
    assert problems(caught) == [(code, 2, "requirement")]


def test_two_requirements_on_one_line_are_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "demand.csv", "item,qty,requirement,requirement_pct\nA,1,90,\nA,1,90,50\n"
    )
    with pytest.raises(InputError) as caught:
        read_demand(path)
    assert problems(caught) == [(Code.TWO_REQUIREMENTS, 3, "requirement_pct")]


# --- the MRSL table ------------------------------------------------------------------------------


def test_the_most_specific_agreement_wins_and_own_requirements_stay(tmp_path: Path) -> None:
    demand = pd.DataFrame(
        {
            "item": ["A", "A", "B", "C", "A", "D", "A"],
            "customer": ["Shop", "Shop", "Shop", "Export", "Other", "Other", "Shop"],
            "qty": 1,
            "requirement": [None, None, None, None, None, None, 10],
        }
    )
    items = pd.DataFrame({"item": ["A", "B", "C", "D"], "item_group": ["dairy", "dairy", "", ""]})
    mrsl = pd.DataFrame(
        {
            "customer": ["Shop", "Shop", "Shop", "", "", ""],
            "item": ["A", "", "", "C", "", ""],
            "item_group": ["", "dairy", "", "", "dairy", ""],
            "requirement": [200, 150, 120, 90, 60, 30],
        }
    )
    assert requirements(demand, mrsl=mrsl, items=items) == [200, 200, 150, 90, 60, 30, 10]


def test_percent_agreements_use_the_total_shelf_life_of_lots(tmp_path: Path) -> None:
    stock = pd.DataFrame(
        {
            "item": ["A", "A"],
            "lot": ["L1", "L2"],
            "qty": [5, 5],
            "expiry_date": pd.to_datetime(["2027-06-01", "2027-09-01"]),
            "production_date": pd.to_datetime(["2026-06-01", "2026-09-01"]),
        }
    )
    demand = pd.DataFrame({"item": ["A"], "customer": ["Shop"], "qty": [1]})
    mrsl = pd.DataFrame({"customer": ["Shop"], "requirement_pct": [50]})
    checked = check_inputs(stock, demand, None, AS_OF, mrsl=mrsl)
    assert checked.demand[c.REQUIREMENT].tolist() == [math.ceil(365 * 0.5)]
    stock.loc[1, "production_date"] = pd.Timestamp("2026-10-01")  # 335 days: which is it?
    with pytest.raises(InputError) as caught:
        check_inputs(stock, demand, None, AS_OF, mrsl=mrsl)
    assert problems(caught) == [(Code.NO_TOTAL_SHELF_LIFE, 1, "requirement")]
    assert "from 335 to 365 days" in caught.value.problems[0].message
    items = pd.DataFrame({"item": ["A"], "total_shelf_life": [400]})
    checked = check_inputs(stock, demand, None, AS_OF, mrsl=mrsl, items=items)
    assert checked.demand[c.REQUIREMENT].tolist() == [200]


def test_mrsl_table_rules(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "mrsl.csv",
        "customer,item,item_group,requirement,requirement_pct\n"
        "Shop,A,,90,\n"
        "Shop,A,,120,\n"  # the same keys again
        "Shop,,,,\n"  # no requirement
        "Export,,,90,50\n"  # two requirements
        "Shop,B,fresh,90,\n",  # an item and a group
    )
    with pytest.raises(InputError) as caught:
        read_mrsl(path)
    assert problems(caught) == [
        (Code.DUPLICATE_MRSL, 3, "item_group"),
        (Code.NO_REQUIREMENT, 4, "requirement_pct"),
        (Code.TWO_REQUIREMENTS, 5, "requirement_pct"),
    ]
    mrsl = read_mrsl(_write(tmp_path / "ok.csv", "customer,item,item_group,requirement\n,B,x,9\n"))
    demand = pd.DataFrame({"item": ["B"], "qty": [1]})
    with pytest.raises(InputError) as both:
        requirements(demand, mrsl=mrsl)
    assert problems(both) == [(Code.MRSL_KEY, 2, "item_group")]


def test_agreements_that_match_nothing_warn(tmp_path: Path) -> None:
    stock = _stock(["A"])
    demand = pd.DataFrame({"item": ["A"], "qty": [1]})  # no customer column
    mrsl = pd.DataFrame({"customer": ["Shop"], "requirement": [90]})
    checked = check_inputs(stock, demand, None, AS_OF, mrsl=mrsl)
    assert [w["code"] for w in checked.warnings] == [Code.MRSL_UNMATCHED]
    assert checked.demand[c.REQUIREMENT].tolist() == [0]


def test_item_table_rules(tmp_path: Path) -> None:
    path = _write(tmp_path / "items.csv", "item,total_shelf_life\nA,365\nA,200\nB,0\n")
    with pytest.raises(InputError) as caught:
        read_items(path)
    assert problems(caught) == [
        (Code.DUPLICATE_ITEM, 3, "item"),
        (Code.NOT_POSITIVE, 4, "total_shelf_life"),
    ]


# --- precedence, against a plain loop -----------------------------------------------------------

CUSTOMERS = ["", "Shop", "Export"]
ITEMS = ["A", "B", "C"]
GROUPS = {"A": "g1", "B": "g1", "C": ""}


def reference(line: dict[str, str], rules: list[dict[str, Any]]) -> int:
    """The requirement of one line: its own, else the first level whose rule matches."""
    if line["requirement"] is not None:
        return int(line["requirement"])
    keys = {"customer": line["customer"], "item": line["item"], "item_group": GROUPS[line["item"]]}
    for level in LEVELS:
        for rule in rules:
            named = {k for k in ("customer", "item", "item_group") if rule[k]}
            if named == set(level) and all(rule[k] == keys[k] for k in level):
                return int(rule["requirement"])
    return 0


rule_keys = st.tuples(
    st.sampled_from(CUSTOMERS), st.sampled_from(["", *ITEMS]), st.sampled_from(["", "g1"])
).filter(lambda key: not (key[1] and key[2]))


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(CUSTOMERS),
            st.sampled_from(ITEMS),
            st.one_of(st.none(), st.integers(0, 300)),
        ),
        min_size=1,
        max_size=12,
    ),
    rules=st.dictionaries(rule_keys, st.integers(0, 300), max_size=8),
)
def test_precedence_matches_a_plain_loop(
    lines: list[tuple[str, str, int | None]], rules: dict[tuple[str, str, str], int]
) -> None:
    demand = pd.DataFrame(
        {
            "item": [item for _, item, _ in lines],
            "customer": [customer for customer, _, _ in lines],
            "qty": 1,
            "requirement": pd.array([own for _, _, own in lines], dtype="Int64"),
        }
    )
    table = [
        {"customer": k[0], "item": k[1], "item_group": k[2], "requirement": v}
        for k, v in rules.items()
    ]
    mrsl = pd.DataFrame(table, columns=["customer", "item", "item_group", "requirement"])
    items = pd.DataFrame({"item": list(GROUPS), "item_group": list(GROUPS.values())})
    expected = [
        reference({"customer": cu, "item": it, "requirement": own}, table) for cu, it, own in lines
    ]
    assert requirements(demand, mrsl=mrsl, items=items) == expected


# --- from a scenario folder ---------------------------------------------------------------------


def test_a_scenario_with_mrsl_and_item_tables(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    _write(folder / "inventory.csv", "item,lot,qty,shelf_life\nA,L1,100,300\nB,L2,100,100\n")
    _write(folder / "demand.csv", "item,customer,qty\nA,Shop,10\nB,Shop,10\nB,Other,10\n")
    _write(folder / c.MRSL_FILE, "customer,requirement\nShop,80%\n")
    _write(folder / c.ITEMS_FILE, "item,total_shelf_life\nA,360\nB,360\n")
    out = tmp_path / "out"
    assert main(["run", str(folder), "--out", str(out), "--quiet"]) == c.EXIT_OK
    rows = pd.read_csv(out / c.DEMAND_FILE)
    assert rows[c.REQUIREMENT].tolist() == [288, 288, 0]
    assert rows[c.FILLED].tolist() == [10, 0, 10]
    inputs = json.loads((out / c.SUMMARY_FILE).read_text(encoding="utf-8"))["run"]["inputs"]
    assert set(inputs) == {"inventory", "demand", "mrsl", "items"}
    (folder / c.ITEMS_FILE).unlink()
    assert main(["validate", str(folder)]) == c.EXIT_BAD_INPUT
    flags = ["--items", str(_write(tmp_path / "master.csv", "item,total_shelf_life\nA,90\n"))]
    assert main(["validate", str(folder), *flags]) == c.EXIT_BAD_INPUT  # B has none
