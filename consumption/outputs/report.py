"""The HTML report: one self-contained file a planner opens offline, and its charts as PNG/SVG.

Charts are Vega-Lite specifications with their (aggregated) data inline, drawn
in the browser by Vega, whose JavaScript comes from vl-convert-python and is
inlined too: the file needs no network and no server. Vega was chosen over
Plotly because its inlined library is about 0.9 MB against Plotly's 4.8 MB,
and because vl-convert renders the very same specifications to PNG and SVG
without a browser (``--png``). The charts carry aggregates (months by
reason, top items), not lots, so the file stays about a megabyte at 100k
lots; the per-item table grows with the items, not the lots.

The report reads only what a run wrote: its ``summary.json``, ``lots.csv``,
``demand.csv`` and ``expiry_risk.csv`` (:func:`from_folder`), or the same
frames of a :class:`~consumption.outputs.result.Result` in memory
(:func:`from_result`).
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from consumption import constants as C
from consumption.errors import MissingDependencyError, NoRunError
from consumption.io.outfolder import current_folder
from consumption.outputs import planner
from consumption.outputs.risk import AT_RISK, UNSELLABLE_DATE, VALUE

if TYPE_CHECKING:
    from consumption.outputs.result import Result

EXTRA_HINT = "install it with: pip install 'consumption[report]'"
BAR = "bar"  # the expiry-risk bar (month, or unsellable on as_of) of planner.at_risk
CHART_WIDTH = 560
# Element ids the page and its tests share.
SPECS_ID = "report-specs"
DATA_ID = "report-data"


@dataclass(frozen=True)
class Run:
    """What the report shows of one run: its summary, its tables and its run id."""

    summary: dict[str, Any]
    tables: planner.Tables
    run_id: str


def from_result(result: Result, run_id: str = "") -> Run:
    """The report's view of a run still in memory (``run --report``)."""
    return Run(result.summary, planner.of_result(result), run_id)


def from_folder(out: str | Path) -> Run:
    """The report's view of the run current in ``out``, read from its files only."""
    folder = current_folder(out)
    summary_file = folder / C.SUMMARY_FILE
    if not summary_file.is_file():
        raise NoRunError(f"{out} holds no run: there is no {C.SUMMARY_FILE}; run consumption first")
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    text = {C.ITEM: str, C.LOCATION: str, C.REASON: str, C.CUSTOMER: str, C.LOT: str}

    def read(name: str, columns: list[str]) -> pd.DataFrame:
        # Text stays text ("NA" is an item, not a missing value); only empty cells of
        # number columns are missing.
        return pd.read_csv(
            folder / name, usecols=columns, dtype={c: text[c] for c in columns if c in text},
            keep_default_na=False, na_values={VALUE: [""]}, true_values=["TRUE"],
            false_values=["FALSE"],
        )  # fmt: skip

    lots = read(C.LOTS_FILE, [C.ITEM, C.LOCATION, C.REMAINING, C.REASON])
    demand = read(
        C.DEMAND_FILE, [C.ITEM, C.LOCATION, C.CUSTOMER, C.QTY, C.FILLED, C.SHORT, C.REASON]
    )
    risky = folder / C.EXPIRY_RISK_FILE
    columns = [C.ITEM, C.LOCATION, C.LOT, UNSELLABLE_DATE, C.REMAINING, C.REASON, AT_RISK, VALUE]
    expiry = read(C.EXPIRY_RISK_FILE, columns) if risky.is_file() else None
    run_id = summary.get("output", {}).get("run_id", "")
    return Run(summary, planner.tables(lots, demand, expiry, summary["run"]["as_of"]), run_id)


# --- the charts ---------------------------------------------------------------------------


def charts(run: Run) -> dict[str, dict[str, Any]]:
    """The Vega-Lite specification of every chart that has data, by name."""
    t = run.tables
    specs: dict[str, dict[str, Any]] = {}
    risk = planner.at_risk(t)
    if len(risk):
        by_bar = risk.groupby([BAR, C.REASON], as_index=False).agg(
            qty=(C.REMAINING, "sum"), value=(VALUE, "sum")
        )
        months = sorted(set(by_bar[BAR]) - {C.UNSELLABLE_ON_AS_OF})
        # The stock lost already comes first, as its own bar: it is no month's loss.
        order = (
            [C.UNSELLABLE_ON_AS_OF, *months]
            if C.UNSELLABLE_ON_AS_OF in set(by_bar[BAR])
            else months
        )
        specs["expiry_qty"] = _stacked(
            by_bar, C.QTY, order, "Quantity at risk, by month it turns unsellable"
        )
        if risk[VALUE].notna().any():
            specs["expiry_value"] = _stacked(
                by_bar, VALUE, order, "Value at risk, by month it turns unsellable"
            )
    left = t.lots[t.lots[C.REMAINING] > 0].groupby(C.REASON)[C.REMAINING].sum().reset_index()
    if len(left):
        specs["unconsumed"] = _bars(left, C.REASON, C.REMAINING, "Unconsumed stock by reason")
    if len(risk):
        top = planner.risk_by(t, [C.ITEM, C.LOCATION])
        measure = VALUE if top[VALUE].notna().any() else planner.AT_RISK_QTY
        top = top.head(C.TOP_CHARTED).assign(label=lambda f: f[C.ITEM] + " @ " + f[C.LOCATION])
        specs["risk_items"] = _bars(
            top,
            "label",
            measure,
            f"Top {C.TOP_CHARTED} items and locations by {measure.replace('_', ' ')}",
            color=C.LOCATION,
        )
    for name, column, title in (
        ("short_reasons", C.REASON, "Short demand by reason"),
        ("short_items", C.ITEM, f"Top {C.TOP_CHARTED} items short"),
        ("short_customers", C.CUSTOMER, f"Top {C.TOP_CHARTED} customers short"),
    ):
        short = planner.short_by(t, column).head(C.TOP_CHARTED).reset_index()
        if len(short) and not (column == C.CUSTOMER and (short[column] == "").all()):
            specs[name] = _bars(short, column, C.SHORT, title)
    return specs


def _stacked(frame: pd.DataFrame, measure: str, order: list[str], title: str) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": CHART_WIDTH,
        "height": 260,
        "data": {"values": _records(frame[[BAR, C.REASON, measure]])},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": BAR, "type": "ordinal", "sort": order, "title": None},
            "y": {"field": measure, "type": "quantitative", "title": measure},
            "color": {"field": C.REASON, "type": "nominal", "sort": list(C.REASONS)},
            "order": {"field": C.REASON},
            "tooltip": [{"field": BAR}, {"field": C.REASON}, {"field": measure, "format": ",.2~f"}],
        },
    }


def _bars(
    frame: pd.DataFrame, label: str, measure: str, title: str, color: str | None = None
) -> dict[str, Any]:
    columns = [label, measure] + ([color] if color else [])
    encoding: dict[str, Any] = {
        "y": {"field": label, "type": "nominal", "sort": "-x", "title": None},
        "x": {"field": measure, "type": "quantitative", "title": measure.replace("_", " ")},
        "tooltip": [{"field": c} for c in columns],
    }
    if color:
        encoding["color"] = {"field": color, "type": "nominal"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": CHART_WIDTH // 2 + 60,
        "data": {"values": _records(frame[columns])},
        "mark": {"type": "bar"},
        "encoding": encoding,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: numpy numbers as Python numbers, missing as null."""
    return json.loads(frame.to_json(orient="records", double_precision=10))


# --- the page -----------------------------------------------------------------------------


def item_table(t: planner.Tables) -> pd.DataFrame:
    """One row per item: demand, filled, short, fill rate, stock left, at risk."""
    demand = t.demand.groupby(C.ITEM).agg(
        demand=(C.QTY, "sum"), filled=(C.FILLED, "sum"), short=(C.SHORT, "sum")
    )
    left = t.lots.groupby(C.ITEM)[C.REMAINING].sum().rename("stock_left")
    table = demand.join(left, how="outer")
    if t.expiry is not None:  # a run without dates has no expiry risk to show
        table = table.join(planner.risk_by(t, [C.ITEM]).set_index(C.ITEM), how="left")
        table[planner.AT_RISK_QTY] = table[planner.AT_RISK_QTY].fillna(0)
    counts = ["demand", "filled", "short", "stock_left"]
    table[counts] = table[counts].fillna(0)
    rate = table["filled"] / table["demand"].where(table["demand"] > 0)
    table.insert(3, "fill_rate", rate)
    return (
        table.sort_values(["short", "stock_left"], ascending=False)
        .rename_axis(C.ITEM)
        .reset_index()
    )


def html_text(run: Run) -> str:
    """The whole report as one HTML document."""
    bundle = _javascript()
    s = run.summary
    specs = charts(run)
    findings = planner.short_with_excess(run.tables)
    return _PAGE.format(
        title=html.escape(f"consumption report {run.run_id}".strip()),
        style=_STYLE,
        headline=_headline(s),
        charts="".join(
            f'<figure class="chart" id="chart-{name}" data-chart="{name}"></figure>'
            for name in specs
        )
        or "<p>Nothing is short or at risk: no charts.</p>",
        actions=_actions(run.tables),
        excess=_table(
            findings[[C.ITEM, C.LOCATION, C.SHORT, planner.EXCESS_LOCATION, planner.EXCESS]],
            "excess",
        )
        if len(findings)
        else "<p>No item is short in one place while holding excess in another.</p>",
        items=_table(item_table(run.tables), "items"),
        foot=_foot(s, run.run_id),
        specs=_script_json(specs),
        data=_script_json({"summary": s}),
        specs_id=SPECS_ID,
        data_id=DATA_ID,
        bundle=bundle.replace("</script", "<\\/script"),
        script=_SCRIPT,
    )


def write_html(run: Run, path: str | Path) -> Path:
    """Write the report to ``path`` at once: a reader never sees half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = html_text(run)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".report-", suffix=".html")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    # mkstemp makes the file private; a report is as readable as the other outputs.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temp, 0o666 & ~umask)
    os.replace(temp, target)
    return target


def write_pictures(run: Run, folder: str | Path) -> list[Path]:
    """Every chart as ``<name>.png`` (twice the pixels, for slides) and ``<name>.svg``."""
    vlc = _vl_convert()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, spec in charts(run).items():
        (out / f"{name}.png").write_bytes(vlc.vegalite_to_png(spec, scale=2))
        (out / f"{name}.svg").write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")
        written += [out / f"{name}.png", out / f"{name}.svg"]
    return written


def extra(folder: Path, run_id: str, result: Result) -> None:
    """``run --report``: the report written into the run's own folder, part of its set."""
    write_html(from_result(result, run_id), folder / C.REPORT_FILE)


def _vl_convert() -> Any:
    try:
        import vl_convert
    except ImportError as error:
        raise MissingDependencyError(
            f"the report needs vl-convert-python, not installed; {EXTRA_HINT}"
        ) from error
    return vl_convert


def _javascript() -> str:
    return str(_vl_convert().javascript_bundle())


def _fmt(value: Any, money: bool = False) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if money:
        return f"{value:,.2f}"
    return (
        planner.qty_text(float(value))
        if isinstance(value, int | float | np.integer | np.floating)
        else str(value)
    )


def _headline(s: dict[str, Any]) -> str:
    t, risk = s["totals"], s.get("risk") or {}
    rate = "n/a" if t["fill_rate"] is None else f"{100 * t['fill_rate']:.1f}%"
    cards = [
        ("fill_rate", "fill rate", rate, f"{_fmt(t['filled'])} of {_fmt(t['demand'])}"),
        ("short", "short", _fmt(t["short"]), f"on {s['counts']['lines_short']:,} lines"),
        ("remaining", "stock left", _fmt(t["remaining"]), f"of {_fmt(t['lot_qty'])}"),
    ]
    if risk:
        value = risk["at_risk_value"]
        big = "n/a" if value is None else _fmt(value, money=True)
        lots = f"{risk['at_risk_lots']:,} lots"
        small = f"{_fmt(risk['at_risk_qty'])} in {lots} unsellable by {risk['horizon_end']}"
        cards.append(("at_risk_value", "value at risk", big, small))
    return "".join(
        f'<div class="card" data-key="{key}"><span>{label}</span><b>{html.escape(big)}</b>'
        f"<small>{html.escape(small)}</small></div>"
        for key, label, big, small in cards
    )


def _actions(t: planner.Tables) -> str:
    parts = [
        f"<h3>{title}</h3><ul>"
        + "".join(
            f"<li><b>{html.escape(i)}</b>: {html.escape(a)}</li>"
            for i, a in zip(items[C.ITEM], items[planner.ACTION], strict=True)
        )
        + "</ul>"
        for title, items in (
            ("Most short", planner.short_items(t)),
            ("Most value at risk", planner.risk_items(t)),
        )
        if len(items)
    ]
    return "".join(parts) or "<p>Nothing to act on: nothing is short or at risk.</p>"


def _table(frame: pd.DataFrame, name: str) -> str:
    """A table the page can sort (click a header) and filter (type in the box)."""
    header = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    # Rows are built a column at a time (string concatenation over whole columns).
    rows = pd.Series("<tr>", index=frame.index, dtype=object)
    for c in frame.columns:
        values = frame[c]
        if pd.api.types.is_numeric_dtype(values.dtype):
            if c == "fill_rate":
                text = values.map(lambda v: "" if pd.isna(v) else f"{100 * v:.1f}%")
            else:
                text = values.map(lambda v, m=c == VALUE: _fmt(v, money=m))
            # The sort key of a number cell is the number, not its grouped text.
            rows = rows + '<td data-v="' + values.fillna(-1).astype(str) + '">' + text + "</td>"
        else:
            text = values.map(lambda v: "" if pd.isna(v) else html.escape(str(v)))
            rows = rows + "<td>" + text + "</td>"
    body = "".join(rows + "</tr>")
    return (
        f'<input class="filter" data-table="{name}" placeholder="filter">'
        f'<table id="table-{name}" class="sortable"><thead><tr>{header}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _foot(s: dict[str, Any], run_id: str) -> str:
    run = s["run"]
    params = [(k, v) for k, v in run.items() if k != "inputs"] + [("run_id", run_id)]
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in params
    )
    inputs = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(str(f.get('path')))}</td>"
        f"<td><code>{html.escape(str(f.get('sha256')))}</code></td></tr>"
        for name, f in run.get("inputs", {}).items()
    )
    return f"<table>{rows}</table><table>{inputs}</table>"


def _script_json(value: Any) -> str:
    # "</" would end the script element early.
    return json.dumps(value, separators=(",", ":"), default=str).replace("</", "<\\/")


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
.cards{display:flex;gap:16px;flex-wrap:wrap}
.card{border:1px solid #ccc;border-radius:6px;padding:12px 18px;min-width:180px}
.card span{display:block;color:#666}.card b{display:block;font-size:26px}
.charts{display:flex;flex-wrap:wrap;gap:24px}.chart{margin:0}
table{border-collapse:collapse;margin:8px 0}
td,th{border-bottom:1px solid #eee;padding:2px 8px;text-align:left}
td[data-v]{text-align:right}th{cursor:pointer}.filter{margin-top:8px}
footer{margin-top:32px;color:#555;font-size:12px}
"""

_SCRIPT = """
const body = document.body;
function fail(message) { body.dataset.errors = (body.dataset.errors || '') + message + '\\n'; }
window.addEventListener('error', e => fail(e.message));
const specs = JSON.parse(document.getElementById('report-specs').textContent);
Promise.all(Object.entries(specs).map(([name, spec]) =>
  vegaEmbed('#chart-' + name, spec, {renderer: 'svg', actions: false})))
  .then(views => { body.dataset.rendered = String(views.length); })
  .catch(e => fail(String(e)));
document.querySelectorAll('input.filter').forEach(input => input.addEventListener('input', () => {
  const needle = input.value.toLowerCase();
  document.querySelectorAll('#table-' + input.dataset.table + ' tbody tr').forEach(row => {
    row.style.display = row.textContent.toLowerCase().includes(needle) ? '' : 'none';
  });
}));
const headers = document.querySelectorAll('table.sortable th');
headers.forEach((th, column) => th.addEventListener('click', () => {
  const tbody = th.closest('table').tBodies[0];
  const down = th.dataset.down !== 'true';
  th.dataset.down = String(down);
  const key = row => {
    const c = row.cells[column];
    return c.dataset.v !== undefined ? Number(c.dataset.v) : c.textContent;
  };
  const rows = Array.from(tbody.rows).sort((a, b) => {
    const x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * (down ? -1 : 1);
  });
  tbody.append(...rows);
}));
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{style}</style></head>
<body>
<h1>{title}</h1>
<section class="cards" id="headline">{headline}</section>
<h2>What to act on</h2><section id="actions">{actions}</section>
<h2>Where and when</h2><section class="charts">{charts}</section>
<h2>Short in one place, excess in another</h2><section id="excess">{excess}</section>
<h2>Items</h2><section id="items">{items}</section>
<footer><h2>Run</h2>{foot}</footer>
<script type="application/json" id="{specs_id}">{specs}</script>
<script type="application/json" id="{data_id}">{data}</script>
<script type="module">{bundle}</script>
<script type="module">{script}</script>
</body></html>
"""
