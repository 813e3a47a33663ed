"""Runs: how soon `seamline watch` gives a verdict after a change, for one critical test.

A watched suite holds one critical test; the benchmark changes the resource it uses and measures the time
from the write to watch's verdict line, over several changes, and subtracts the test's own time (its
elapsed in output.xml). What remains is watch's cost: noticing the change, choosing the suites, starting
robot and reading its output. Goal: at most 1 s plus the test's own time.
"""

from __future__ import annotations

import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import print_table, write_results
from robot.api import ExecutionResult

CHANGES = 8


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "suites").mkdir()
        (root / "suites/values.resource").write_text("*** Variables ***\n${VALUE}    0\n", encoding="utf-8")
        (root / "suites/critical.robot").write_text(
            "*** Settings ***\nResource    values.resource\n\n*** Test Cases ***\nCritical Path\n"
            "    [Tags]    critical\n    Should Be True    ${VALUE} >= 0\n",
            encoding="utf-8",
        )
        watch = subprocess.Popen(
            [sys.executable, "-m", "Seamline.cli", "watch", "suites", "--outputdir", "out", "--history", "NONE"],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in watch.stdout], daemon=True).start()  # type: ignore[union-attr]
        lines.get(timeout=120)  # the first run
        latencies, own = [], []
        for change in range(1, CHANGES + 1):
            time.sleep(0.3)  # let watchfiles settle between changes
            written = time.perf_counter()
            (root / "suites/values.resource").write_text(
                f"*** Variables ***\n${{VALUE}}    {change}\n", encoding="utf-8"
            )
            line = lines.get(timeout=120)
            latencies.append(time.perf_counter() - written)
            if "1 passed" not in line:
                raise RuntimeError(f"unexpected verdict: {line}")
            test = next(iter(ExecutionResult(str(root / "out/output.xml"), include_keywords=False).suite.all_tests))
            own.append(test.elapsed_time.total_seconds())
        watch.send_signal(signal.SIGINT)
        watch.wait(timeout=30)
    result = {
        "changes": CHANGES,
        "change_to_verdict_median_s": round(statistics.median(latencies), 3),
        "change_to_verdict_max_s": round(max(latencies), 3),
        "test_own_median_s": round(statistics.median(own), 4),
        "watch_cost_median_s": round(statistics.median(latencies) - statistics.median(own), 3),
    }
    print_table(
        [result],
        [
            ("changes", "changes", ">7d"),
            ("median s", "change_to_verdict_median_s", ">9.3f"),
            ("max s", "change_to_verdict_max_s", ">7.3f"),
            ("test s", "test_own_median_s", ">7.4f"),
            ("watch cost s", "watch_cost_median_s", ">12.3f"),
        ],
    )
    write_results("runs", {"watch": result})


if __name__ == "__main__":
    main()
