"""``consumption anaplan-config``: an anaplan.toml to fill in, with a load per file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.anaplan_stand_in import MODEL, WORKSPACE
from support.cli import ROOT

from consumption import constants as C
from consumption.anaplan import config
from consumption.anaplan.manifest import MANIFEST_FILE
from consumption.cli import main

FORUM = ROOT / "scenarios" / "forum-example"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "out"
    assert main(["run", str(FORUM), "--anaplan", "--out", str(out), "--quiet"]) == C.EXIT_OK
    return out


def _filled(text: str) -> str:
    """The skeleton with every ID filled in, numbered in order, and the pull tables on."""
    numbers = iter(range(100))
    text = text.replace('workspace = ""', f'workspace = "{WORKSPACE}"')
    text = text.replace('model = ""', f'model = "{MODEL}"')
    text = re.sub(r"(11[0-9])_{9}", lambda m: f"{m[1]}{next(numbers):09d}", text)
    return text.replace("# [anaplan.pull.", "[anaplan.pull.").replace("# export_id", "export_id")


def test_the_skeleton_has_a_load_per_file_in_order_and_loads_once_filled_in(
    out: Path, tmp_path: Path, capsys
) -> None:
    assert main(["anaplan-config", str(out)]) == C.EXIT_OK
    text = capsys.readouterr().out
    manifest = json.loads((out / C.ANAPLAN_DIR / MANIFEST_FILE).read_text())["files"]
    for entry in manifest:
        assert f"{entry['kind']} {entry['target']}:" in text
    path = tmp_path / "anaplan.toml"
    path.write_text(_filled(text))
    (tmp_path / "cert.pem").touch()
    (tmp_path / "key.pem").touch()
    loaded = config.load(path)
    assert [load.file for load in loaded.loads] == [entry["file"] for entry in manifest]
    assert all(load.file_id and load.import_id for load in loaded.loads)
    assert [p.table for p in loaded.pulls] == ["inventory", "demand", "lanes"]


def test_a_skeleton_not_filled_in_is_refused_naming_the_key(
    out: Path, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "anaplan.toml"
    assert main(["anaplan-config", str(out), "--to", str(path)]) == C.EXIT_OK
    assert f"wrote {path}" in capsys.readouterr().out
    with pytest.raises(config.AnaplanConfigError, match="needs workspace"):
        config.load(path)
    text = path.read_text().replace('workspace = ""', f'workspace = "{WORKSPACE}"')
    path.write_text(text.replace('model = ""', f'model = "{MODEL}"'))
    with pytest.raises(config.AnaplanConfigError, match="load 1: file_id = '113_________'"):
        config.load(path)


def test_an_existing_file_is_never_replaced(out: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "anaplan.toml"
    path.write_text("# filled in by hand\n")
    assert main(["anaplan-config", str(out), "--to", str(path)]) == C.EXIT_BAD_INPUT
    assert "exists already" in capsys.readouterr().err
    assert path.read_text() == "# filled in by hand\n"


def test_a_folder_without_an_export_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["anaplan-config", str(tmp_path)]) == C.EXIT_BAD_INPUT
    assert "no Anaplan export here" in capsys.readouterr().err
