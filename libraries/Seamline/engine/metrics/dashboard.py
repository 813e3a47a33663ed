"""`dashboard.html`: one self-contained file (Chart.js bundled, the data inline; no network at view time)."""

from __future__ import annotations

import json
import os
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Any

from .history import History

RUNS_SHOWN = 200


def dashboard_data(history: History, output: Path) -> dict[str, Any]:
    """The figures the page draws: trends over the last runs, details of the newest run."""
    runs = history.runs(RUNS_SHOWN)
    keys = [run["run_key"] for run in runs]
    latest = runs[-1] if runs else None
    hops: dict[str, dict[str, float | None]] = {}
    for row in history.hops(keys):
        hops.setdefault(row["hop"], {})[row["run_key"]] = row["p95_ms"]
    return {
        "runs": [
            {
                "key": run["run_key"],
                "started": run["started"],
                "commit": (run["commit_id"] or "")[:10],
                "tests": run["tests"],
                "failed": run["failed"],
                "flaky": run["flaky"],
                "first_run_pct": run["first_run_pct"],
                "mean_detect_s": run["mean_detect_s"],
                "mean_inter_ms": run["mean_inter_ms"],
                "test_seconds": run["test_seconds"],
                "log": _link(run["log_path"], output),
            }
            for run in runs
        ],
        "hops": {hop: [by_run.get(key) for key in keys] for hop, by_run in sorted(hops.items())},
        "slowest": sorted(history.tests(latest["run_key"]), key=lambda row: -(row["elapsed"] or 0))[:10]
        if latest
        else [],
        "flakiest": history.flaky_tests(keys)[:10],
        "resources": per_service(history.resources(latest["run_key"])) if latest else [],
    }


def per_service(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A run's per-test readings added up per service: CPU summed, memory and connections at their peak."""
    services: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = services.setdefault(
            row["service"],
            {"service": row["service"], "tests": 0, "cpu_seconds": 0.0, "peak_rss_mb": 0.0, "connections": 0},
        )
        entry["tests"] += 1 if row["test"] else 0
        entry["cpu_seconds"] = round(entry["cpu_seconds"] + (row["cpu_seconds"] or 0), 3)
        entry["peak_rss_mb"] = max(entry["peak_rss_mb"], row["peak_rss_mb"] or 0)
        entry["connections"] = max(entry["connections"], row["connections"] or 0)
    return sorted(services.values(), key=lambda entry: -entry["cpu_seconds"])


def _link(log_path: str | None, output: Path) -> str | None:
    if not log_path:
        return None
    try:
        return os.path.relpath(log_path, output.parent)
    except ValueError:  # another drive
        return log_path


def render_dashboard(data: dict[str, Any], title: str = "Seamline dashboard") -> str:
    chart_js = files("Seamline").joinpath("assets/chart.umd.min.js").read_text(encoding="utf-8")
    payload = json.dumps(data, default=str).replace("</", "<\\/")
    return TEMPLATE.format(title=escape(title), chart_js=chart_js, data=payload, script=SCRIPT)


def write_dashboard(history: History, output: Path) -> dict[str, Any]:
    data = dashboard_data(history, output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_dashboard(data), encoding="utf-8")
    return data


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }}
h1 {{ font-size: 1.4em; margin: 0 0 .8em; }} h2 {{ font-size: 1.05em; margin: 1.2em 0 .4em; }}
.figures {{ display: flex; gap: 1em; flex-wrap: wrap; }}
.figure {{ background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .8em 1em; width: 18em; }}
.figure .value {{ font-size: 2em; font-weight: 600; }} .figure .label {{ color: #555; font-size: .85em; }}
.figure canvas {{ height: 60px !important; }}
.grid {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }}
.panel {{ background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .6em 1em; }}
table {{ border-collapse: collapse; width: 100%; font-size: .85em; }}
td, th {{ text-align: left; padding: .2em .5em; border-bottom: 1px solid #eee; }}
td.num, th.num {{ text-align: right; }} .empty {{ color: #888; font-style: italic; }}
</style>
<script>{chart_js}</script>
</head><body>
<h1>{title}</h1>
<div class="figures">
 <div class="figure" id="first-run"><div class="label">First-run pass rate</div><div class="value"></div>
  <canvas></canvas></div>
 <div class="figure" id="detect"><div class="label">Mean time to detect an inconsistency</div>
  <div class="value"></div><canvas></canvas></div>
 <div class="figure" id="inter"><div class="label">Mean latency added between services</div>
  <div class="value"></div><canvas></canvas></div>
</div>
<div class="grid">
 <div class="panel"><h2>Hop latency (p95, ms) per run</h2><p class="empty" id="no-hops" hidden>no hop latency
  recorded yet</p><canvas id="hops"></canvas></div>
 <div class="panel"><h2>Run time and failures</h2><canvas id="runs"></canvas></div>
 <div class="panel"><h2>Slowest tests (latest run)</h2><table id="slowest"></table></div>
 <div class="panel"><h2>Flakiest tests</h2><table id="flakiest"></table></div>
 <div class="panel"><h2>Resources per service (latest run, over its tests)</h2><table id="resources"></table></div>
 <div class="panel"><h2>Runs</h2><table id="run-list"></table></div>
</div>
<script>const DATA = {data};</script>
<script>{script}</script>
</body></html>
"""

SCRIPT = r"""
const runs = DATA.runs, labels = runs.map(r => (r.started || '').slice(0, 16).replace('T', ' '));
const latest = runs[runs.length - 1] || {};
const fmt = (v, unit, digits) => v === null || v === undefined ? 'n/a' : Number(v).toFixed(digits) + unit;
function figure(id, key, unit, digits) {
  const box = document.getElementById(id);
  box.querySelector('.value').textContent = fmt(latest[key], unit, digits);
  new Chart(box.querySelector('canvas'), {type: 'line', data: {labels, datasets: [{data: runs.map(r => r[key]),
    borderColor: '#2b6cb0', pointRadius: 0, spanGaps: true}]},
    options: {animation: false, plugins: {legend: {display: false}}, scales: {x: {display: false}}}});
}
figure('first-run', 'first_run_pct', ' %', 1);
figure('detect', 'mean_detect_s', ' s', 3);
figure('inter', 'mean_inter_ms', ' ms', 2);
if (!Object.keys(DATA.hops).length) document.getElementById('no-hops').hidden = false;
const palette = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b83280', '#2c7a7b', '#975a16', '#4a5568'];
new Chart(document.getElementById('hops'), {type: 'line', data: {labels, datasets: Object.entries(DATA.hops)
  .map(([hop, values], i) => ({label: hop, data: values, borderColor: palette[i % palette.length], spanGaps: true}))},
  options: {animation: false}});
new Chart(document.getElementById('runs'), {type: 'bar', data: {labels, datasets: [
  {label: 'test time (s)', data: runs.map(r => r.test_seconds), backgroundColor: '#90cdf4', yAxisID: 'y'},
  {label: 'failed', data: runs.map(r => r.failed), backgroundColor: '#c53030', yAxisID: 'y1'},
  {label: 'flaky', data: runs.map(r => r.flaky), backgroundColor: '#dd6b20', yAxisID: 'y1'}]},
  options: {animation: false, scales: {y1: {position: 'right', grid: {drawOnChartArea: false}}}}});
function table(id, headers, rows) {
  const el = document.getElementById(id);
  if (!rows.length) { el.innerHTML = '<tr><td class="empty">none</td></tr>'; return; }
  const head = '<tr>' + headers.map(h => `<th class="${h[2] || ''}">${h[0]}</th>`).join('') + '</tr>';
  el.innerHTML = head + rows.map(row => '<tr>' + headers.map(h => {
    const cell = document.createElement('td'); cell.className = h[2] || '';
    const value = h[1](row);
    if (value && value.href) { const a = document.createElement('a'); a.href = value.href; a.textContent = value.text;
      cell.appendChild(a); } else { cell.textContent = value === null || value === undefined ? '' : value; }
    return cell.outerHTML; }).join('') + '</tr>').join('');
}
table('slowest', [['test', r => r.name], ['verdict', r => r.verdict], ['s', r => fmt(r.elapsed, '', 2), 'num']],
  DATA.slowest);
table('flakiest', [['test', r => r.name], ['flaky runs', r => r.flaky_runs, 'num'], ['flips', r => r.flips, 'num'],
  ['same commit', r => r.same_commit ? 'yes' : '']], DATA.flakiest);
table('resources', [['service', r => r.service], ['tests', r => r.tests, 'num'],
  ['CPU s', r => fmt(r.cpu_seconds, '', 2), 'num'],
  ['peak RSS MB', r => fmt(r.peak_rss_mb, '', 1), 'num'], ['connections', r => r.connections, 'num']],
  DATA.resources);
table('run-list', [['started', r => (r.started || '').slice(0, 19)], ['commit', r => r.commit],
  ['tests', r => r.tests, 'num'], ['failed', r => r.failed, 'num'], ['flaky', r => r.flaky, 'num'],
  ['first run', r => fmt(r.first_run_pct, ' %', 1), 'num'], ['log', r => r.log ? {href: r.log, text: 'log'} : '']],
  runs.slice().reverse().slice(0, 20));
"""
