"""`seamline shard` and `seamline watch` on real suites run by real robot processes."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import psutil

from Seamline.engine.metrics.attempts import Attempt, TestRecord
from Seamline.engine.metrics.history import History
from Seamline.engine.metrics.run import RunMetrics
from Seamline.engine.runs import balance, literal_test_pattern

PYTHON = sys.executable
WAIT = 90  # seconds a watched run may take on a busy machine


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def seamline(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "Seamline.cli", *arguments], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def make_suites(root: Path) -> list[str]:
    names = []
    for suite in ("Alpha", "Beta", "Gamma"):
        tests = "".join(f"{suite} Test {index} [x]\n    Log    {index}\n" for index in range(7))
        write(root / "suites" / f"{suite.lower()}.robot", f"*** Test Cases ***\n{tests}")
        names += [f"Suites.{suite}.{suite} Test {index} [x]" for index in range(7)]
    return names


def test_shards_cover_every_test_exactly_once(tmp_path) -> None:
    everything = make_suites(tmp_path)
    ran: list[str] = []
    for index in (1, 2, 3):
        shard = seamline("shard", "--index", str(index), "--total", "3", "suites", cwd=tmp_path)
        assert shard.returncode == 0, shard.stderr
        assert shard.stdout.startswith(f"# shard {index} of 3: 7 of 21 tests, balanced by count")
        (tmp_path / f"shard{index}.args").write_text(shard.stdout, encoding="utf-8")
        done = subprocess.run(
            [
                PYTHON,
                "-m",
                "robot",
                "--argumentfile",
                f"shard{index}.args",
                "--outputdir",
                f"out{index}",
                "--console",
                "none",
                "suites",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        ran += [test.get("name") for test in ET.parse(tmp_path / f"out{index}/output.xml").iter("test")]
    assert sorted(ran) == sorted(name.rsplit(".", 1)[-1] for name in everything)  # once each, none left out


def test_shards_balanced_by_a_recorded_history_are_within_20_percent(tmp_path) -> None:
    everything = make_suites(tmp_path)
    history = History(tmp_path / "history.db")
    for run in range(3):
        metrics = RunMetrics(run={"run_key": f"r{run}", "started": f"2026-12-0{run + 1}T10:00:00"})
        for position, name in enumerate(everything):
            seconds = 30.0 if position % 7 == 0 else 1.0 + position % 5  # a few long tests among short ones
            metrics.add_attempt(TestRecord(name, [], [Attempt("PASS", "", "2026-12-01T10:00:00", seconds)]))
        history.append(metrics)
    history.close()
    seconds = []
    for index in (1, 2, 3):
        shard = seamline("shard", "--index", str(index), "--total", "3", "--from", "history.db", "suites", cwd=tmp_path)
        header = shard.stdout.splitlines()[0]
        assert "balanced by past durations" in header, header
        seconds.append(float(header.rsplit("~", 1)[1].split()[0]))
    assert max(seconds) <= 1.2 * min(seconds), seconds
    by_count = [sum(1 for _ in shard.tests) for shard in balance(everything, 3)]
    assert by_count == [7, 7, 7]


def test_a_pabot_ordering_gives_two_processes_whole_suites_balanced_by_history(tmp_path) -> None:
    # Four suites of 40, 30, 20 and 10 recorded seconds; their __init__ setup notes each robot run that starts.
    write(
        tmp_path / "suites/__init__.robot",
        "*** Settings ***\nLibrary    OperatingSystem\nSuite Setup    Append To File    ${STARTS}    x\n",
    )
    everything = []
    for suite, seconds in (("Alpha", 10.0), ("Beta", 7.5), ("Gamma", 5.0), ("Delta", 2.5)):
        tests = "".join(f"{suite} {index}\n    Log    {index}\n" for index in range(4))
        write(tmp_path / f"suites/{suite.lower()}.robot", f"*** Test Cases ***\n{tests}")
        everything += [(f"Suites.{suite}.{suite} {index}", seconds) for index in range(4)]
    history = History(tmp_path / "history.db")
    metrics = RunMetrics(run={"run_key": "r1", "started": "2026-12-01T10:00:00"})
    for name, seconds in everything:
        metrics.add_attempt(TestRecord(name, [], [Attempt("PASS", "", "2026-12-01T10:00:00", seconds)]))
    history.append(metrics)
    history.close()

    by_count = seamline("shard", "--pabot", "--total", "2", "suites", cwd=tmp_path)
    assert by_count.stderr == "seamline: 4 suites in 2 groups, balanced by count\n"
    ordering = seamline("shard", "--pabot", "--total", "2", "--from", "history.db", "suites", cwd=tmp_path)
    assert ordering.stderr == "seamline: 4 suites in 2 groups, balanced by past durations: ~50.0 s, ~50.0 s\n"
    groups = ordering.stdout.replace("--suite ", "").splitlines()
    assert groups == ["{", "Suites.Alpha", "Suites.Delta", "}", "{", "Suites.Beta", "Suites.Gamma", "}"]

    (tmp_path / "ordering.txt").write_text(ordering.stdout, encoding="utf-8")
    pabot = subprocess.run(
        [PYTHON, "-m", "pabot.pabot", "--processes", "2", "--no-pabotlib", "--ordering", "ordering.txt",
         "--command", PYTHON, "-m", "robot", "--end-command", "--outputdir", "out", "--variable",
         f"STARTS:{tmp_path / 'starts.txt'}", "suites"],
        cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert pabot.returncode == 0, pabot.stdout + pabot.stderr
    ran = [test.get("name") for test in ET.parse(tmp_path / "out/output.xml").iter("test")]
    assert sorted(ran) == sorted(name.rsplit(".", 1)[-1] for name, _ in everything)  # once each
    assert (tmp_path / "starts.txt").read_text() == "xx"  # one robot run (one suite setup) per process
    # An output.xml gives each suite's whole time, setup and teardown included.
    from_output = seamline("shard", "--pabot", "--total", "2", "--from", "out/output.xml", "suites", cwd=tmp_path)
    assert from_output.stderr.startswith("seamline: 4 suites in 2 groups, balanced by past durations: ~")
    assert from_output.stdout.count("--suite ") == 4


def test_a_parent_suites_setup_is_counted_once_in_each_shard_that_runs_one_of_its_suites() -> None:
    suites = ["Top.C", "Top.Dir.A", "Top.Dir.B", "Top.E"]
    durations = {"Top.C": 10.0, "Top.Dir.A": 10.0, "Top.Dir.B": 2.0, "Top.E": 2.0}
    setup = {"Top.Dir": 6.0}  # what a robot run pays once to run anything under Top.Dir
    shards = balance(suites, 2, durations, {"Top.Dir.A": setup, "Top.Dir.B": setup})
    assert [(shard.tests, shard.seconds) for shard in shards] == [(["Top.C", "Top.E"], 12.0), (suites[1:3], 18.0)]
    # Unaware of the setup, the directory's suites are split and both halves pay it, unseen in their 12 s.
    plain = balance(suites, 2, durations)
    assert [(shard.tests, shard.seconds) for shard in plain] == [
        (["Top.C", "Top.Dir.B"], 12.0),
        (["Top.Dir.A", "Top.E"], 12.0),
    ]


def test_shards_hold_only_the_tests_robot_would_select_by_tag(tmp_path) -> None:
    write(
        tmp_path / "suites/alpha.robot",
        "*** Test Cases ***\nKept\n    Log    1\nLink\n    [Tags]    needs-link\n    Log    2\n",
    )
    write(tmp_path / "suites/beta.robot", "*** Test Cases ***\nOnly Link\n    [Tags]    needs-link\n    Log    3\n")
    shard = seamline("shard", "--index", "1", "--total", "1", "--exclude", "needs-link", "suites", cwd=tmp_path)
    assert shard.stdout.splitlines() == ["# shard 1 of 1: 1 of 1 tests, balanced by count", "--test Suites.Alpha.Kept"]
    ordering = seamline("shard", "--pabot", "--total", "2", "--include", "needs-link", "suites", cwd=tmp_path)
    assert ordering.stdout.replace("--suite ", "").splitlines() == ["{", "Suites.Alpha", "}", "{", "Suites.Beta", "}"]


def test_shard_names_are_matched_literally() -> None:
    assert literal_test_pattern("Suite.Odd * name? [x]") == "Suite.Odd [*] name[?] [[]x]"


def read_lines(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line.rstrip("\n"))


def wait_for(lines: queue.Queue[str], text: str, seen: list[str]) -> str:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"no line with {text!r} within {WAIT} s; seen:\n" + "\n".join(seen))


def test_watch_reruns_critical_tests_on_a_change_and_alerts_on_regression_and_recovery(tmp_path) -> None:
    write(
        tmp_path / "suites/common.resource",
        """
        *** Variables ***
        ${STOCK}    5
    """,
    )
    write(
        tmp_path / "suites/stock.robot",
        """
        *** Settings ***
        Resource    common.resource

        *** Test Cases ***
        Stock Is Available
            [Tags]    critical
            Should Be Equal    ${STOCK}    5
        Not Critical
            Fail    never run by watch
    """,
    )
    watch = subprocess.Popen(
        [PYTHON, "-m", "Seamline.cli", "watch", "suites", "--outputdir", "watch-out", "--history", "history.db"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(watch, lines), daemon=True).start()
    seen: list[str] = []
    try:
        assert (
            wait_for(lines, "first run", seen).endswith(tuple(f"1 passed, 0 failed in {s}" for s in "0123456789"))
            or "1 passed, 0 failed" in seen[-1]
        )
        write(tmp_path / "suites/common.resource", "*** Variables ***\n${STOCK}    0\n")
        assert "changed common.resource: 0 passed, 1 failed" in wait_for(lines, "changed", seen)
        assert wait_for(lines, "REGRESSION", seen) == (
            "REGRESSION: Suites.Stock.Stock Is Available passed before and now fails: 0 != 5"
        )
        write(tmp_path / "suites/common.resource", "*** Variables ***\n${STOCK}    5\n")
        assert "changed common.resource: 1 passed, 0 failed" in wait_for(lines, "changed", seen)
        assert wait_for(lines, "RECOVERED", seen) == "RECOVERED: Suites.Stock.Stock Is Available passes again"
        children = psutil.Process(watch.pid).children(recursive=True)
        watch.send_signal(signal.SIGINT)
        assert watch.wait(timeout=30) == 0
        wait_for(lines, "watch stopped", seen)
        assert not [child for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE]
    finally:
        if watch.poll() is None:
            os.kill(watch.pid, signal.SIGKILL)
            watch.wait()
    history = History(tmp_path / "history.db")
    assert [run["failed"] for run in history.runs()] == [0, 1, 0]
    history.close()
