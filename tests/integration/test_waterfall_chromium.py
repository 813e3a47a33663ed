"""A journey's waterfall as a reader sees it: log.html rendered by headless Chromium (Debian's `chromium`).

A real suite starts orderflow exporting its traces to Seamline's receiver (resources/orderflow.resource),
places an order through the gateway until it is reserved and waits for its trace, from the gateway to the
ledger; the waterfall is drawn when the test ends. Chromium opens its log.html at that test, and a small
probe script (appended to a copy of the log, so nothing is installed) measures every row: each label's
visible box (its text clipped to the label column) must end left of every bar of its row, and every bar
must end left of the row's duration. The screenshot is kept as docs/waterfall.png.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "waterfall.png"
SUITE = textwrap.dedent(
    """\
    *** Settings ***
    Resource          {resources}/orders.resource
    Suite Setup       Run Keywords    Start Orderflow    AND    Connect To Gateway As    clerk
    Suite Teardown    Stop Orderflow

    *** Test Cases ***
    Place An Order And Follow It Through The Platform
        Place A Reserved Order For    waterfall    1    SKU-APPLE
        Wait For Trace    services=gateway,orders,bus,inventory    timeout=30s
        Hops Should Follow    test>gateway    gateway>orders    orders>sql    orders>outbox    bus>inventory
        ...    inventory>sql    bus>orders
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
      out.services = Array.from(svg.querySelectorAll('svg svg text'), function (t) {
        return t.textContent.replace(/^✗ /, '').split(' ')[0];
      });
      if (window.location.search === '?screenshot') {  // the test's log at the top: no scrolling
        var above = document.getElementById('s1').previousElementSibling;
        for (; above; above = above.previousElementSibling) above.style.display = 'none';
        window.scrollTo(0, 0);
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


def test_the_waterfall_in_log_html_renders_with_labels_clear_of_bars(tmp_path, chromium_available):
    suite = tmp_path / "journey.robot"
    suite.write_text(SUITE.format(resources=REPO / "resources"), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), str(suite)],
        capture_output=True,
        text=True,
        timeout=180,
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
    result["services"] = set(result["services"])
    assert result["found"], "no waterfall in the test of log.html"
    assert result["rows"] >= 30  # the order's trace alone: gateway, orders, SQL, outbox, bus, inventory, ledger
    assert result["overlaps"] == []
    assert result["titles"] == result["rows"]  # every row has its hover details
    assert result["bottleneck"] >= 2
    assert result["services"] >= {"gateway", "orders", "bus", "inventory"}

    SCREENSHOT.parent.mkdir(exist_ok=True)
    shot = chromium("--window-size=1280,1000", f"--screenshot={SCREENSHOT}", f"{probe.as_uri()}?screenshot#s1-t1")
    assert SCREENSHOT.exists() and SCREENSHOT.stat().st_size > 10_000, shot.stderr[-1000:]
