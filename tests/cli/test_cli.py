"""The command line: exit codes, messages, what is written and what is not."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from support.cli import ROOT, snapshot

from consumption import constants as C
from consumption.cli import main

FORUM = ROOT / "scenarios" / "forum-example"
REGIONAL = ROOT / "scenarios" / "regional-network"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    inventory = _write(
        tmp_path / "inv.csv",
        "item,location,lot,qty,shelf_life\nA,X,1,10,100\nA,X,2,5,-3\nB,Y,3,7,50\nC,X,4,2,400\n",
    )
    demand = _write(
        tmp_path / "dem.csv",
        "id,item,location,customer,qty,requirement\nS1,A,X,Acme,4,90\nS2,B,Y,Bolt,9,60\n",
    )
    return inventory, demand


def test_run_writes_every_output(files: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["run", *map(str, files), "--out", str(out), "--quiet"]) == C.EXIT_OK
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        C.ALLOCATIONS_FILE,
        C.DEMAND_FILE,
        C.LOTS_FILE,
        C.SUMMARY_FILE,
    ]
    lots = (out / C.LOTS_FILE).read_text().splitlines()
    assert lots[0] == ",".join(C.LOTS_COLUMNS)
    assert lots[1:] == [
        "A,X,2,-3,,1,5,,0,5,unconsumed,expired,no shelf life left: 3 days past expiry",
        "A,X,1,100,,2,10,90,4,6,partial,excess,excess: 6 left after every eligible line was filled",
        "B,Y,3,50,,1,7,,0,7,unconsumed,stranded,"
        "it has 50 days; the least demanding customer needs 60",
        "C,X,4,400,,1,2,,0,2,unconsumed,no_demand,"
        "no demand line asks for C at X here or through a lane",
    ]
    assert (out / C.DEMAND_FILE).read_text().splitlines() == [
        ",".join(C.DEMAND_COLUMNS),
        "S1,A,X,Acme,90,,,4,4,0,",
        "S2,B,Y,Bolt,60,,,9,0,9,shelf_life",
    ]
    assert (out / C.ALLOCATIONS_FILE).read_text().splitlines()[1:] == ["A,1,X,S1,X,90,,4"]
    summary = json.loads((out / C.SUMMARY_FILE).read_text())
    assert summary["totals"]["filled"] == 4
    assert summary["totals"]["remaining_by_reason"]["stranded"] == 7
    assert summary["run"]["inputs"]["inventory"]["sha256"]


def test_run_prints_a_summary(files: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    assert main(["run", *map(str, files), "--out", str(tmp_path / "o")]) == C.EXIT_OK
    out = capsys.readouterr().out
    assert "filled 4 (30.8%)" in out
    assert "short 9 on 1 lines" in out
    assert "unconsumed stock by reason: expired 5, no_demand 2, stranded 7, excess 6" in out


def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path, capsys) -> None:
    inventory = _write(tmp_path / "inv.csv", "item,lot,qty,shelf_life\nA,1,ten,100\nA,2,-5,100\n")
    demand = _write(tmp_path / "dem.csv", "item,qty\nA,abc\n")
    out = tmp_path / "out"
    assert main(["run", str(inventory), str(demand), "--out", str(out)]) == C.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    # Problems of both files are reported together, each with file and line.
    assert f"{inventory}, line 2, column 'qty'" in err
    assert f"{inventory}, line 3, column 'qty'" in err
    assert f"{demand}, line 2, column 'qty'" in err
    assert not out.exists() or not any(out.iterdir())


def test_a_missing_file_is_bad_input(files: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    code = main(["run", str(tmp_path / "nope.csv"), str(files[1]), "--out", str(tmp_path / "o")])
    assert code == C.EXIT_BAD_INPUT
    assert "nope.csv" in capsys.readouterr().err


def test_duplicate_lots_are_refused(tmp_path: Path, capsys) -> None:
    inventory = _write(tmp_path / "inv.csv", "item,lot,qty,shelf_life\nA,1,5,10\nA,1,6,20\n")
    demand = _write(tmp_path / "dem.csv", "item,qty\nA,1\n")
    assert main(["validate", str(inventory), str(demand)]) == C.EXIT_BAD_INPUT
    assert "duplicate_lot" in capsys.readouterr().err


def test_outputs_never_overwrite_inputs(tmp_path: Path, capsys) -> None:
    scenario = tmp_path / "forum"
    shutil.copytree(FORUM, scenario)
    before = (scenario / "demand.csv").read_bytes()
    assert main(["run", str(scenario), "--out", str(scenario)]) == C.EXIT_BAD_INPUT
    assert "would overwrite the input file" in capsys.readouterr().err
    assert (scenario / "demand.csv").read_bytes() == before
    assert not (scenario / C.LOTS_FILE).exists()


def test_a_failed_run_keeps_the_previous_outputs(files: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["run", *map(str, files), "--out", str(out), "--quiet"]) == C.EXIT_OK
    before = snapshot(out)
    broken = _write(tmp_path / "broken.csv", "item,lot,qty,shelf_life\nA,1,x,10\n")
    assert main(["run", str(broken), str(files[1]), "--out", str(out)]) == C.EXIT_BAD_INPUT
    assert snapshot(out) == before


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[run]\nformat = 'pdf'\n", "format = 'pdf' is not accepted; it must be one of 'forum'"),
        ("[run]\ntime_limit = -5\n", "[run]: time_limit = -5 is not accepted"),
        ("[run]\norder = 'fifo'\n", "order = 'fifo' is not accepted"),
        ("[inventory]\ndecimal = ';'\n", "[inventory]: decimal= must be '.' or ','"),
        ("[inventory]\ncolumns = { Material = 'article' }\n", "the inventory columns are"),
        ("[run]\ncolour = 'blue'\n", "unknown run option 'colour'"),
        ("[run\n", "not valid TOML"),
        ("speed = 3\n", "unknown key(s) speed"),
        ("[run]\ntime_limit = 'soon'\n", "must be a number of seconds"),
        ("[run]\nanaplan = 'yes'\n", "must be true or false"),
    ],
)
def test_scenario_mistakes_are_usage_errors(
    tmp_path: Path, capsys, toml: str, message: str
) -> None:
    scenario = tmp_path / "s"
    shutil.copytree(FORUM, scenario)
    (scenario / "scenario.toml").write_text(toml)
    assert main(["run", str(scenario), "--out", str(tmp_path / "o")]) == C.EXIT_BAD_INPUT
    assert message in capsys.readouterr().err


def test_usage_errors_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["run", str(tmp_path / "no-such-folder")]) == C.EXIT_BAD_INPUT
    assert "is not a scenario folder" in capsys.readouterr().err
    assert main(["run", "a", "b", "c"]) == C.EXIT_BAD_INPUT
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(FORUM), "--order", "random"])
    assert exit_.value.code == C.EXIT_BAD_INPUT


def test_validate_reports_notices_and_counts(capsys) -> None:
    assert main(["validate", str(FORUM)]) == C.EXIT_OK
    out = capsys.readouterr().out
    assert "Lot Rank" in out
    assert "3 lots" in out and "2 demand lines" in out


def test_command_line_options_override_the_scenario(tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    assert main(["run", str(FORUM), "--out", str(out), "--quiet"]) == C.EXIT_OK
    assert (out / C.FORUM_FILE).exists()  # format from scenario.toml, out from the CLI


def test_regional_scenario_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["run", str(REGIONAL), "--out", str(out), "--quiet"]) == C.EXIT_OK
    summary = json.loads((out / C.SUMMARY_FILE).read_text())
    totals = summary["totals"]
    assert totals["filled"] + totals["short"] == totals["demand"]
    assert totals["consumed"] + totals["remaining"] == totals["lot_qty"]
    assert totals["remaining_by_reason"]["stranded"] > 0
    assert summary["counts"]["lots"] == 5000


def test_short_lines_say_why(tmp_path: Path) -> None:
    inventory = _write(
        tmp_path / "inv.csv", "item,lot,qty,shelf_life\nA,1,5,100\nB,2,5,10\nB,3,4,-1\n"
    )
    demand = _write(
        tmp_path / "dem.csv",
        "item,qty,requirement\nA,4,50\nA,4,50\nB,1,50\nC,3,0\nA,1,500\n",
    )
    out = tmp_path / "out"
    assert main(["run", str(inventory), str(demand), "--out", str(out), "--quiet"]) == 0
    rows = [line.split(",") for line in (out / C.DEMAND_FILE).read_text().splitlines()[1:]]
    assert [(r[-3], r[-1]) for r in rows] == [
        ("4", ""),
        ("1", "exhausted"),  # the first 50-day line took what there was
        ("0", "shelf_life"),  # B's stock is too short or expired
        ("0", "no_inventory"),  # no C at all: short, not an error
        ("0", "shelf_life"),
    ]


def test_scenario_can_choose_the_engine_and_the_export(tmp_path: Path) -> None:
    scenario = tmp_path / "s"
    shutil.copytree(FORUM, scenario)
    (scenario / "scenario.toml").write_text('[run]\nengine = "lp"\nanaplan = true\n')
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == C.EXIT_OK
    assert json.loads((out / C.SUMMARY_FILE).read_text())["run"]["engine"] == "lp"
    assert (out / C.ANAPLAN_DIR / "manifest.json").is_file()
    # The command line still wins over the scenario.
    again = tmp_path / "again"
    assert main(["run", str(scenario), "--out", str(again), "--engine", "greedy", "--quiet"]) == 0
    assert json.loads((again / C.SUMMARY_FILE).read_text())["run"]["engine"] == "greedy"


SAP_TOML = """\
[run]
as_of = "2026-12-01"

[inventory]
file = "MB52 export.csv"
decimal = ","
thousands = "."
date_format = "%d.%m.%Y"

[inventory.columns]
Material = "item"
Plant = "location"
Batch = "lot"
Unrestricted = "qty"
"SLED/BBD" = "expiry_date"

[demand]
file = "VA05 orders.csv"
decimal = ","
thousands = "."
date_format = "%d.%m.%Y"

[demand.columns]
Material = "item"
Plant = "location"
"Order quantity" = "qty"
"Delivery date" = "due_date"
MRSL = "requirement"
"""


def test_a_sap_export_runs_from_a_scenario_with_a_column_map(tmp_path: Path) -> None:
    scenario = tmp_path / "sap"
    scenario.mkdir()
    (scenario / "scenario.toml").write_text(SAP_TOML, encoding="utf-8-sig")  # with a BOM
    _write(
        scenario / "MB52 export.csv",
        "Material;Plant;Batch;Unrestricted;SLED/BBD\n"
        "000100045;1000;B001;1.250,500;31.03.2027\n"
        "000100045;1000;B002;3.000,000;30.09.2027\n",
    )
    _write(
        scenario / "VA05 orders.csv",
        "Material;Plant;Order quantity;Delivery date;MRSL\n"
        "000100045;1000;1.500,000;15.12.2026;150\n"
        "000100045;1000;2.000,000;15.01.2027;200\n",
    )
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == C.EXIT_OK
    with (out / C.LOTS_FILE).open(newline="", encoding="utf-8") as handle:
        lots = list(csv.DictReader(handle))
    # B001 (106 days left on 2026-12-15) cannot meet 150 days; B002 serves both lines.
    assert [(r[C.LOT], r[C.QTY], r[C.CONSUMED], r[C.EXPIRY_DATE]) for r in lots] == [
        ("B001", "1250.5", "0", "2027-03-31"),
        ("B002", "3000", "3000", "2027-09-30"),
    ]
    broken = (scenario / "MB52 export.csv").read_text(encoding="utf-8").replace("3.000,000", "-3")
    (scenario / "MB52 export.csv").write_text(broken, encoding="utf-8")
    assert main(["validate", str(scenario)]) == C.EXIT_BAD_INPUT


def test_scenario_toml_that_is_not_utf8_is_named(tmp_path: Path, capsys) -> None:
    scenario = tmp_path / "s"
    shutil.copytree(FORUM, scenario)
    (scenario / "scenario.toml").write_bytes("description = 'Kühlware'\n".encode("latin-1"))
    assert main(["run", str(scenario), "--out", str(tmp_path / "o")]) == C.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "scenario.toml" in err and "UTF-8" in err
    assert not (tmp_path / "o").exists()


def test_out_that_names_a_file_is_refused(files: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    target = _write(tmp_path / "results.csv", "keep me\n")
    assert main(["run", *map(str, files), "--out", str(target)]) == C.EXIT_BAD_INPUT
    assert "--out" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "keep me\n"
