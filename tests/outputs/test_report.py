"""The HTML report: its data is the run's, it opens offline, and a real browser draws it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support.cli import SCENARIOS

from consumption import constants as C
from consumption.cli import main
from consumption.io.outfolder import current_folder
from consumption.outputs import report

pytest.importorskip("vl_convert", reason="the report extra (vl-convert-python) is not installed")

WEEKLY = SCENARIOS / "weekly-horizon"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="module")
def weekly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("weekly")
    assert main(["run", str(WEEKLY), "--out", str(out), "--report", "--quiet"]) == 0
    return out


def _summary(out: Path) -> dict:
    return json.loads((out / C.SUMMARY_FILE).read_text(encoding="utf-8"))


def _embedded(page: str, element: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{element}">(.*?)</script>', page, re.S)
    assert found, element
    return json.loads(found.group(1))


def test_run_report_is_part_of_the_run_and_self_contained(weekly: Path) -> None:
    summary = _summary(weekly)
    assert C.REPORT_FILE in summary["output"]["files"]  # written and hashed with the run
    page = (weekly / C.REPORT_FILE).read_text(encoding="utf-8")
    # Offline: no element of the page (scripts' text aside) fetches a script, style or image.
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", page, flags=re.S)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", markup)
    assert markup.count("<script") == 4  # specs, data, Vega, the page's own
    assert "vegaEmbed" in page
    assert len(page.encode()) < 3_000_000
    for name in ("inventory", "demand", "lanes"):
        assert summary["run"]["inputs"][name]["sha256"] in page


def test_the_charts_carry_the_runs_numbers(weekly: Path) -> None:
    summary = _summary(weekly)
    specs = _embedded((weekly / C.REPORT_FILE).read_text(encoding="utf-8"), report.SPECS_ID)
    totals, risk = summary["totals"], summary["risk"]

    def total(name: str, field: str) -> float:
        return sum(row[field] for row in specs[name]["data"]["values"])

    assert total("expiry_qty", C.QTY) == risk["at_risk_qty"]
    assert total("expiry_value", "value") == pytest.approx(risk["at_risk_value"], abs=0.01)
    assert total("short_reasons", C.SHORT) == totals["short"]
    assert total("unconsumed", C.REMAINING) == totals["remaining"]
    by_reason = {r["reason"]: r[C.REMAINING] for r in specs["unconsumed"]["data"]["values"]}
    assert by_reason == {r: q for r, q in totals["remaining_by_reason"].items() if q}
    # Stock unsellable on as_of has its own bar, first; no bar is a month before as_of.
    order = specs["expiry_qty"]["encoding"]["x"]["sort"]
    assert order[0] == C.UNSELLABLE_ON_AS_OF
    assert all(month >= summary["run"]["as_of"][:7] for month in order[1:])


def test_the_report_command_reads_only_the_files(weekly: Path, tmp_path: Path) -> None:
    """From the files alone it draws what run --report drew from memory."""
    target = tmp_path / "again.html"
    pictures = tmp_path / "png"
    assert main(["report", str(weekly), "--html", str(target), "--png", str(pictures)]) == 0
    again = target.read_text(encoding="utf-8")
    first = (current_folder(weekly) / C.REPORT_FILE).read_text(encoding="utf-8")
    assert _embedded(again, report.SPECS_ID) == _embedded(first, report.SPECS_ID)
    names = set(_embedded(again, report.SPECS_ID))
    assert {p.name for p in pictures.iterdir()} == {
        f"{n}.{e}" for n in names for e in ("png", "svg")
    }
    assert (pictures / "expiry_qty.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_folder_without_a_run_is_refused(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path)]) == C.EXIT_BAD_INPUT
    assert "holds no run" in capsys.readouterr().err


def _browser() -> str:
    """Chromium: found, else installed with apt-get (CI has it); a skip only if neither."""
    for name in BROWSER_NAMES:
        if found := shutil.which(name):
            return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"], capture_output=True, timeout=600
        )
        if found := shutil.which("chromium"):
            return found
    pytest.skip("no chromium found, and it could not be installed with apt-get")


def _chromium(browser: str, page: Path, *options: str) -> str:
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=20000",
        *options, page.resolve().as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_a_browser_draws_every_chart_with_the_runs_data(weekly: Path, tmp_path: Path) -> None:
    browser = _browser()
    page = weekly / C.REPORT_FILE
    specs = _embedded(page.read_text(encoding="utf-8"), report.SPECS_ID)
    dom = _chromium(browser, page, "--dump-dom")
    body = re.search(r"<body([^>]*)>", dom)
    assert body
    assert "data-errors" not in body.group(1), body.group(1)  # no script error, no failed chart
    assert f'data-rendered="{len(specs)}"' in body.group(1)
    for name, spec in specs.items():
        figure = re.search(rf'id="chart-{name}".*?</figure>', dom, re.S)
        assert figure and "<svg" in figure.group(0), name
        drawn = figure.group(0)
        assert drawn.count('role-mark" role="graphics-object"') >= 1 or "<path" in drawn
        # The labels drawn are the run's: every bar's category is on an axis or legend.
        label = spec["encoding"]["x"]["field"] if name.startswith("expiry") else spec[
            "encoding"]["y"]["field"]  # fmt: skip
        for row in spec["data"]["values"][:5]:
            assert f">{row[label]}</text>" in drawn, (name, row[label])
    summary = _summary(weekly)
    headline = {
        key: value
        for key, value in re.findall(r'data-key="(\w+)"><span>[^<]*</span><b>([^<]*)</b>', dom)
    }
    assert headline == {
        "fill_rate": f"{100 * summary['totals']['fill_rate']:.1f}%",
        "short": f"{summary['totals']['short']:,}",
        "remaining": f"{summary['totals']['remaining']:,}",
        "at_risk_value": f"{summary['risk']['at_risk_value']:,.2f}",
    }
    shot = tmp_path / "report.png"  # kept under pytest's tmp folder
    _chromium(browser, page, "--window-size=1400,2400", f"--screenshot={shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
