"""Parallel runs: the wall time of the full suites run by `robot` against the same suites in 2 pabot processes.

The suites as `make suites` runs them (orderflow on SQLite, the link faults that need a server left out),
through `robot` in one process and through pabot with 2 processes, each process running whole suites with an
orderflow of its own, grouped by `seamline shard --pabot` (the same tag selection) from the suites' durations
in the output.xml of the `robot` run just before, what a team has after its first run (a directory's own setup
and teardown counted once in each group that runs a suite under it). Rounds alternate robot and pabot; the
figures are each one's median and best round. Goal: pabot with 2 processes at least 1.6x faster on this 2-core machine.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, print_table, write_results

ROUNDS = 3
PROCESSES = 2
SELECTION = ["--exclude", "needs-database-link", "--exclude", "needs-broker-link", "--name", "Orderflow"]
QUIET = ["--log", "NONE", "--report", "NONE", "--console", "dotted"]


def timed(command: list[str], what: str) -> float:
    started = time.perf_counter()
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{run.stdout[-3000:]}{run.stderr[-2000:]}")
    return seconds


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        history = f"Seamline.Metrics:history={out / 'history.db'}"
        serial, parallel = [], []
        for round_ in range(1, ROUNDS + 1):
            robot = [sys.executable, "-m", "robot", "--outputdir", str(out / f"robot{round_}"), *SELECTION, *QUIET]
            serial.append(timed([*robot, "--listener", history, "suites"], "robot"))
            ordering = subprocess.run(
                [sys.executable, "-m", "Seamline.cli", "shard", "--pabot", "--total", str(PROCESSES), *SELECTION,
                 "--from", str(out / f"robot{round_}" / "output.xml"), "suites"],
                cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
            )  # fmt: skip
            (out / "ordering.txt").write_text(ordering.stdout, encoding="utf-8")
            pabot = [sys.executable, "-m", "pabot.pabot", "--processes", str(PROCESSES), "--no-pabotlib"]
            pabot += ["--ordering", str(out / "ordering.txt"), "--command", sys.executable, "-m", "robot"]
            pabot += ["--end-command", "--outputdir", str(out / f"pabot{round_}"), *SELECTION, *QUIET, "suites"]
            parallel.append(timed(pabot, "pabot"))
            print(f"round {round_}: robot {serial[-1]:.1f} s, pabot {parallel[-1]:.1f} s ({ordering.stderr.strip()})")
    result = {
        "robot_s": round(statistics.median(serial), 1),
        "pabot_s": round(statistics.median(parallel), 1),
        "processes": PROCESSES,
        "speedup": round(statistics.median(serial) / statistics.median(parallel), 2),
        "speedup_best": round(min(serial) / min(parallel), 2),
        "rounds": {"robot": [round(s, 1) for s in serial], "pabot": [round(s, 1) for s in parallel]},
    }
    print_table(
        [result],
        [
            ("robot s (median)", "robot_s", ">16.1f"),
            ("pabot s (median)", "pabot_s", ">16.1f"),
            ("processes", "processes", ">9d"),
            ("speed-up", "speedup", ">8.2f"),
            ("best", "speedup_best", ">5.2f"),
        ],
    )
    write_results("parallel", result)


if __name__ == "__main__":
    main()
