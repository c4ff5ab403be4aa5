"""The bad-input corpus (tests/data/bad/): every case through the real command line.

Each folder holds an inventory and a demand file; ``cases.toml`` says what the run must do.
A bad case must exit 2, print every problem with its file, line, column, value and reason
code (the ``[code]`` suffix of ``errors.Problem``), and write nothing: the ``--out`` folder
stays absent. A tricky but valid case (UTF-16, BOM, quoted line breaks, demand without
stock) must run. Messages are matched on their located prefix and code, and on the few
words that carry the fix, never on their whole wording.
"""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support.cli import DATA

from consumption import constants as c
from consumption.cli import main
from consumption.errors import Code, Problem

CORPUS = DATA / "bad"
MANIFEST = CORPUS / "cases.toml"
# A printed problem ends with its reason code; the lines around it (the count, "... and N
# more") do not.
_PROBLEM_LINE = re.compile(r" \[([a-z_]+)\]$")
_KNOWN_CODES = {code.value for code in Code}


@dataclass(frozen=True)
class Case:
    """One entry of cases.toml, with the paths of its input files."""

    name: str
    about: str
    exit: int
    inventory: Path
    demand: Path
    problems: list[Problem] = field(default_factory=list)
    says: list[str] = field(default_factory=list)
    demand_reasons: list[str] | None = None
    lot_reasons: list[str] | None = None
    lot_consumed: list[str] | None = None
    warns: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    known_gap: str | None = None


def _problem(folder: Path, entry: dict[str, Any]) -> Problem:
    """The problem the CLI must print; the message is left out (it is matched by ``says``)."""
    return Problem(
        code=entry["code"],
        message="",
        file=str(folder / entry["file"]),
        line=entry.get("line"),
        column=entry.get("column"),
        value=entry.get("value"),
    )


def load_cases() -> list[Case]:
    with MANIFEST.open("rb") as handle:
        manifest = tomllib.load(handle)
    cases = []
    for name, entry in manifest.items():
        folder = CORPUS / name
        cases.append(
            Case(
                name=name,
                about=entry["about"],
                exit=entry["exit"],
                inventory=folder / entry.get("inventory", "inventory.csv"),
                demand=folder / entry.get("demand", "demand.csv"),
                problems=[_problem(folder, p) for p in entry.get("problems", [])],
                says=entry.get("says", []),
                demand_reasons=entry.get("demand_reasons"),
                lot_reasons=entry.get("lot_reasons"),
                lot_consumed=entry.get("lot_consumed"),
                warns=entry.get("warns", []),
                args=entry.get("args", []),
                known_gap=entry.get("known_gap"),
            )
        )
    return cases


CASES = load_cases()


def _param(case: Case) -> Any:
    marks = [pytest.mark.xfail(reason=case.known_gap, strict=True)] if case.known_gap else []
    return pytest.param(case, id=case.name, marks=marks)


def printed_problems(err: str) -> list[str]:
    """The problem lines of the CLI's error output."""
    return [line for line in err.splitlines() if _PROBLEM_LINE.search(line)]


def expected_ends(problem: Problem) -> tuple[str, str]:
    """What the printed line of ``problem`` starts with (file, line, column, value) and ends
    with (the code), formatted by the library's own ``Problem.__str__``."""
    start, end = str(Problem(**{**problem.__dict__, "message": "\x00"})).split("\x00")
    return start, end


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- the manifest itself ---------------------------------------------------------------------


def test_the_corpus_is_complete_and_every_folder_is_described() -> None:
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert folders == {case.name for case in CASES}
    bad = [case for case in CASES if case.exit == c.EXIT_BAD_INPUT]
    assert len(bad) >= 30
    for case in CASES:
        assert case.about
        assert case.exit in (c.EXIT_OK, c.EXIT_BAD_INPUT)
        assert (case.exit == c.EXIT_BAD_INPUT) == bool(case.problems), case.name
        for problem in case.problems:
            assert problem.code in _KNOWN_CODES, (case.name, problem.code)


# --- every case through the CLI ------------------------------------------------------------------


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_corpus_case(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    argv = ["run", str(case.inventory), str(case.demand), *case.args, "--out", str(out), "--quiet"]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == case.exit, err
    if case.exit == c.EXIT_BAD_INPUT:
        _check_refused(case, err, out)
    else:
        _check_ran(case, err, out)


def _check_refused(case: Case, err: str, out: Path) -> None:
    printed = printed_problems(err)
    count = len(case.problems)
    assert f"the input has {count} problem{'s' if count != 1 else ''}; nothing was written" in err
    assert len(printed) == count, err
    for line, problem in zip(printed, case.problems, strict=True):
        start, end = expected_ends(problem)
        assert line.startswith(start), (line, start)
        assert line.endswith(end), (line, end)
        assert len(line) > len(start) + len(end) + 10, "a problem must say the rule and the fix"
    for words in case.says:
        assert any(words in line for line in printed), (words, err)
    assert not out.exists()


def _check_ran(case: Case, err: str, out: Path) -> None:
    # A run that exits 0 may still warn (demand no stock can serve); each warning is one
    # line ending in its code, and only the listed codes may appear.
    warned = [_PROBLEM_LINE.search(line) for line in err.splitlines()]
    assert all(warned), err
    assert [match[1] for match in warned if match] == case.warns, err
    written = {p.name for p in out.iterdir()}
    assert {c.LOTS_FILE, c.ALLOCATIONS_FILE, c.DEMAND_FILE, c.SUMMARY_FILE} <= written
    if case.demand_reasons is not None:
        rows = read_rows(out / c.DEMAND_FILE)
        assert [row[c.REASON] for row in rows] == case.demand_reasons
        for row in rows:  # a line short for lack of stock is short by its whole quantity
            if row[c.REASON] == c.SHORT_NO_INVENTORY:
                assert (row[c.FILLED], row[c.SHORT]) == ("0", row[c.QTY])
    if case.lot_reasons is not None:
        assert [row[c.REASON] for row in read_rows(out / c.LOTS_FILE)] == case.lot_reasons
    if case.lot_consumed is not None:
        assert [row[c.CONSUMED] for row in read_rows(out / c.LOTS_FILE)] == case.lot_consumed


# --- several problems, and the cap ----------------------------------------------------------------


def test_every_problem_of_a_file_is_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Problems of different rules, columns and rows of one file, all in one report."""
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "item,lot,qty,shelf_life\n"
        "A,L1,-1,10\n"  # negative
        ",L2,5,10\n"  # empty item
        "A,L3,1e99,x\n"  # too large, and shelf life not a number
        "A,L4,0.1234567,10.5\n"  # too many decimals, and not whole
        "A,L1,5,10\n",  # duplicate of line 2
        encoding="utf-8",
    )
    demand = tmp_path / "demand.csv"
    demand.write_text("item,qty,priority\nA,1,0\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(inventory), str(demand), "--out", str(out)]) == c.EXIT_BAD_INPUT
    printed = printed_problems(capsys.readouterr().err)
    found = [(_located(line), _code(line)) for line in printed]
    assert found == [
        ((str(inventory), 2, "qty"), Code.NEGATIVE),
        ((str(inventory), 3, "item"), Code.EMPTY_VALUE),
        ((str(inventory), 4, "qty"), Code.TOO_LARGE),
        ((str(inventory), 4, "shelf_life"), Code.NOT_A_NUMBER),
        ((str(inventory), 5, "qty"), Code.TOO_MANY_DECIMALS),
        ((str(inventory), 5, "shelf_life"), Code.NOT_AN_INTEGER),
        ((str(inventory), 6, "lot"), Code.DUPLICATE_LOT),
        ((str(demand), 2, "priority"), Code.NOT_POSITIVE),
    ]
    assert not out.exists()


def _located(line: str) -> tuple[str, int, str]:
    """File, line and column of a printed problem."""
    match = re.match(r"(.*), line (\d+), column '([^']*)'", line)
    assert match, line
    return match[1], int(match[2]), match[3]


def _code(line: str) -> str:
    """The reason code of a printed problem."""
    match = _PROBLEM_LINE.search(line)
    assert match, line
    return match[1]


def test_problems_beyond_the_cap_are_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """3 bad cells on each of 40 rows: the first MAX_PROBLEMS are shown, the rest counted."""
    rows = "".join(f"A,L{i},-{i + 1},x{i},-2\n" for i in range(40))
    inventory = tmp_path / "inventory.csv"
    inventory.write_text("item,lot,qty,shelf_life,unit_cost\n" + rows, encoding="utf-8")
    demand = tmp_path / "demand.csv"
    demand.write_text("item,qty\nA,1\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(inventory), str(demand), "--out", str(out)]) == c.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    total = 3 * 40
    assert f"the input has {total} problems; nothing was written" in err
    printed = printed_problems(err)
    assert len(printed) == c.MAX_PROBLEMS
    assert err.rstrip().endswith(f"... and {total - c.MAX_PROBLEMS} more problems not shown")
    # The shown ones are the first rows, in line order, every rule of a row together.
    lines = [_located(line)[1] for line in printed]
    assert lines == sorted(lines)
    assert lines[:3] == [2, 2, 2]
    assert not out.exists()
