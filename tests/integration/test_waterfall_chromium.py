"""A journey's waterfall as a reader sees it: log.html rendered by headless Chromium (Debian's `chromium`).

A real suite makes HTTP calls to a local server, SQL statements on a hand-made SQLite file and joins a traced
order journey (the spans a tracing system sends); Chromium opens its log.html at that test, and a small probe
script (appended to a copy of the log, so nothing is installed) measures every row: each label's visible box
(its text clipped to the label column) must end left of every bar of its row, and every bar must end left
of the row's duration. The screenshot is kept as docs/waterfall.png.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import need_server

REPO = Path(__file__).resolve().parents[2]
LIBRARIES = REPO / "tests" / "acceptance" / "libraries"
SCREENSHOT = REPO / "docs" / "waterfall.png"
SUITE = textwrap.dedent(
    """\
    *** Settings ***
    Library    Seamline
    Library    ApiTestServers.py
    Library    ReceivedSpans.py

    *** Test Cases ***
    Place An Order And Follow It Through The Platform
        ${{url}} =    Start Json Test Server
        Connect To Api    ${{url}}
        Connect To Sql    sqlite:///{database}
        Execute Sql    CREATE TABLE IF NOT EXISTS stock (sku TEXT PRIMARY KEY, units INTEGER)
        Execute Sql    INSERT OR REPLACE INTO stock VALUES ('SKU-APPLE', 5)
        Call Api    GET    /orders/1
        Record A Traced Order Journey    orders_work=40ms
        Record A Traced Order Journey    orders_work=15ms    failed=i
        Call Api    GET    /orders/1
        Query Rows    SELECT units FROM stock WHERE sku = ?    SKU-APPLE
    """
)
PROBE = """
<script>
window.addEventListener('load', function () {
  setTimeout(function () {
    var out = {found: false};
    var svg = document.querySelector('svg.slw');
    if (svg) {
      out.found = true;
      var rows = svg.querySelectorAll(':scope > g');
      out.rows = rows.length;
      out.overlaps = [];
      rows.forEach(function (row, index) {
        var column = row.querySelector('svg').getBoundingClientRect();
        var label = row.querySelector('svg text').getBoundingClientRect();
        var labelRight = Math.min(column.right, label.right);
        var duration = row.querySelector(':scope > text.d').getBoundingClientRect();
        row.querySelectorAll(':scope > rect[y="3"]').forEach(function (bar) {
          var box = bar.getBoundingClientRect();
          if (box.left < labelRight || box.right > duration.left) out.overlaps.push(index);
        });
      });
      out.titles = svg.querySelectorAll('title').length;
      out.bottleneck = svg.querySelectorAll('rect.n').length;
      out.failed = svg.querySelectorAll('svg svg text.x').length;
      if (window.location.search === '?screenshot') {  // the test's log at the top: no scrolling
        var above = document.getElementById('s1').previousElementSibling;
        for (; above; above = above.previousElementSibling) above.style.display = 'none';
      }
    }
    var pre = document.createElement('pre');
    pre.id = 'seamline-probe';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }, 1000);
});
</script>
"""


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=5000"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=90, check=False)


def test_the_waterfall_in_log_html_renders_with_labels_clear_of_bars(tmp_path):
    need_server("chromium")
    suite = tmp_path / "journey.robot"
    suite.write_text(SUITE.format(database=tmp_path / "stock.db"), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--pythonpath", str(LIBRARIES), "--outputdir", str(tmp_path), str(suite)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    probe = tmp_path / "probe.html"
    probe.write_text((tmp_path / "log.html").read_text(encoding="utf-8") + PROBE, encoding="utf-8")
    page = f"{probe.as_uri()}#s1-t1"  # log.html expands the element its address names

    dump = chromium("--dump-dom", page)
    found = re.search(r'<pre id="seamline-probe">([^<]*)</pre>', dump.stdout)
    assert found, f"Chromium gave no probe result: {dump.stderr[-1000:]}"
    result = json.loads(found.group(1).replace("&quot;", '"'))
    assert result["found"], "no waterfall in the test of log.html"
    assert result["rows"] == 2 + 2 + 9 + 9 + 2  # SQL, HTTP, two traced journeys, HTTP and SQL
    assert result["overlaps"] == []
    assert result["titles"] == result["rows"]  # every row has its hover details
    assert result["bottleneck"] >= 2
    assert result["failed"] == 1

    SCREENSHOT.parent.mkdir(exist_ok=True)
    shot = chromium("--window-size=1280,860", f"--screenshot={SCREENSHOT}", f"{probe.as_uri()}?screenshot#s1-t1")
    assert SCREENSHOT.exists() and SCREENSHOT.stat().st_size > 10_000, shot.stderr[-1000:]
