"""The metrics listener on real Robot runs: retries and FLAKY, quarantine, xunit, history, gates, pabot,
merged reruns, resources per service and per test, a Prometheus endpoint, the dashboard in Chromium."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from xml.etree import ElementTree as ET

from chromium import render

from Seamline.engine.metrics.history import History

PYTHON = sys.executable
BIN = Path(sys.executable).parent
SCREENSHOTS = os.environ.get("SEAMLINE_SCREENSHOT_DIR")

FLAKY_SUITE = """
*** Settings ***
Library    Seamline
Library    OperatingSystem

*** Test Cases ***
Fails Once Then Passes
    [Tags]    retry:2
    ${{first}} =    Run Keyword And Return Status    File Should Not Exist    {flag}
    Create File    {flag}
    Should Not Be True    ${{first}}    first attempt fails

Always Fails
    [Tags]    retry:1
    Fail    broken for real

Known Flaky
    [Tags]    quarantine:{until}
    Fail    known flaky

Passes
    Log    fine
"""


def robot(directory: Path, *arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "robot", "--console", "none", *arguments],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, **(env or {})},
    )


def seamline(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "Seamline.cli", *arguments], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def metrics_of(directory: Path) -> dict:
    return json.loads((directory / "metrics.json").read_text(encoding="utf-8"))


def verdicts(metrics: dict) -> dict[str, str]:
    return {test["name"].rsplit(".", 1)[-1]: test["verdict"] for test in metrics["tests"]}


def test_a_retried_failure_ends_flaky_with_both_attempts_and_a_quarantine_does_not_fail_the_run(tmp_path) -> None:
    write(tmp_path / "flaky.robot", FLAKY_SUITE.format(flag=tmp_path / "flag", until="2099-12-31"))
    done = robot(tmp_path, "--listener", "Seamline.Metrics:history=NONE", "--outputdir", "out", "flaky.robot")
    assert done.returncode == 1, done.stdout + done.stderr  # Always Fails, and only it
    metrics = metrics_of(tmp_path / "out")
    assert verdicts(metrics) == {
        "Fails Once Then Passes": "FLAKY",
        "Always Fails": "FAIL",
        "Known Flaky": "FAIL",
        "Passes": "PASS",
    }
    flaky = next(test for test in metrics["tests"] if test["verdict"] == "FLAKY")
    assert [(a["status"], a["message"]) for a in flaky["attempts"]] == [("FAIL", "first attempt fails"), ("PASS", "")]
    assert all(a["elapsed"] > 0 for a in flaky["attempts"])
    assert metrics["summary"]["first_run_pass_pct"] == 25.0
    assert metrics["summary"]["quarantined"] == 1
    # Robot's own output keeps every attempt: a retried one is a SKIP saying why.
    tests = {test.get("name"): test.find("status") for test in ET.parse(tmp_path / "out/output.xml").iter("test")}
    assert tests["Fails Once Then Passes"].get("status") == "SKIP"
    assert tests["Fails Once Then Passes"].text == "Attempt 1 failed, retrying: first attempt fails"
    assert tests["Fails Once Then Passes (retry 1)"].text == "FLAKY: passed on attempt 2 after 1 failed. "
    assert tests["Known Flaky"].get("status") == "SKIP"
    assert tests["Known Flaky"].text == "Quarantined until 2099-12-31 (does not fail the run): known flaky"
    cases = {
        case.get("name"): [child.tag for child in case]
        for case in ET.parse(tmp_path / "out/seamline-xunit.xml").getroot()
    }
    assert cases == {
        "Fails Once Then Passes": ["flakyFailure"],
        "Always Fails": ["failure", "rerunFailure"],
        "Known Flaky": ["skipped"],
        "Passes": [],
    }


def test_an_expired_quarantine_fails_again(tmp_path) -> None:
    write(
        tmp_path / "q.robot",
        """
        *** Test Cases ***
        Known Flaky
            [Tags]    quarantine:2020-01-01
            Fail    known flaky
    """,
    )
    done = robot(tmp_path, "--listener", "Seamline.Metrics:history=NONE", "--outputdir", "out", "q.robot")
    assert done.returncode == 1
    status = next(ET.parse(tmp_path / "out/output.xml").iter("test")).find("status")
    assert (status.get("status"), status.text) == ("FAIL", "Quarantine ended 2020-01-01. known flaky")


def test_retry_on_retries_only_allowed_failures(tmp_path) -> None:
    write(
        tmp_path / "r.robot",
        """
        *** Test Cases ***
        Timed Out
            Fail    HTTP: no response within 1 s (timeout)
        Wrong Data
            Fail    SQL: no row
    """,
    )
    done = robot(
        tmp_path, "--listener", "Seamline.Metrics:retry=1:retry_on=timeout:history=NONE", "--outputdir", "o", "r.robot"
    )
    assert done.returncode == 2
    attempts = {test["name"].rsplit(".", 1)[-1]: len(test["attempts"]) for test in metrics_of(tmp_path / "o")["tests"]}
    assert attempts == {"Timed Out": 2, "Wrong Data": 1}


def wobbly_history(directory: Path, suite: str, outcomes: tuple[str, ...], commits: tuple[str, ...]) -> Path:
    """A history of runs (`run0`, `run1`... in `directory`) of a suite whose test Wobbly passes or fails as told,
    each on its commit; returns the history file."""
    write(
        directory / suite,
        """
        *** Test Cases ***
        Wobbly
            Should Be Equal    %{WOBBLY}    pass
        Steady
            Log    fine
    """,
    )
    history = directory / "history.db"
    for run, (outcome, commit) in enumerate(zip(outcomes, commits, strict=True)):
        robot(
            directory,
            "--listener",
            f"Seamline.Metrics:history={history}",
            "--outputdir",
            f"run{run}",
            suite,
            env={"WOBBLY": outcome, "GITHUB_SHA": commit},
        )
    return history


def test_history_flags_a_test_that_passed_and_failed_on_one_commit_and_gates_exit_non_zero(tmp_path) -> None:
    history = wobbly_history(tmp_path, "w.robot", ("pass", "fail", "pass"), ("c0ffee",) * 3)
    store = History(history)
    flaky = store.flaky_tests([run["run_key"] for run in store.runs()])
    store.close()
    assert [(entry["name"], entry["flips"], entry.get("same_commit")) for entry in flaky] == [("W.Wobbly", 2, True)]

    passing = seamline("report", "run2", "--history", str(history), "--fail-under", "first_run=95", cwd=tmp_path)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "first-run pass rate: 100 %" in passing.stdout
    failing = seamline(
        "report",
        "run1",
        "--history",
        "NONE",
        "--fail-under",
        "first_run=95",
        "--max-hop-p95",
        "gateway>orders=50ms",
        "--max-detect",
        "2s",
        cwd=tmp_path,
    )
    assert failing.returncode == 1
    assert failing.stdout.splitlines()[-3:] == [
        "GATE BROKEN: first-run pass rate 50 % is under 95 %",
        "GATE BROKEN: hop 'gateway>orders' has no latency in this run (hops: none)",
        "GATE BROKEN: no detection time in this run (no Measure Time To Detect ran)",
    ]
    wrong = seamline("report", "run1", "--fail-under", "pass=95", cwd=tmp_path)
    assert (wrong.returncode, wrong.stderr.strip()) == (
        1,
        "seamline: --fail-under knows first_run=<percent>, got 'pass=95'",
    )


def test_a_rerun_of_failed_tests_merges_into_flaky(tmp_path) -> None:
    write(
        tmp_path / "m.robot",
        """
        *** Test Cases ***
        Needs A Second Go
            Should Be Equal    %{ATTEMPT}    second
        Fine
            Log    fine
    """,
    )
    robot(
        tmp_path,
        "--listener",
        "Seamline.Metrics:history=NONE",
        "--outputdir",
        "first",
        "m.robot",
        env={"ATTEMPT": "first"},
    )
    robot(
        tmp_path,
        "--listener",
        "Seamline.Metrics:history=NONE",
        "--outputdir",
        "second",
        "--rerunfailed",
        "first/output.xml",
        "m.robot",
        env={"ATTEMPT": "second"},
    )
    done = seamline("merge", "first", "second", "--output", "merged", "--history", "NONE", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    merged = metrics_of(tmp_path / "merged")
    assert verdicts(merged) == {"Needs A Second Go": "FLAKY", "Fine": "PASS"}
    assert merged["summary"]["first_run_pass_pct"] == 50.0


def test_pabot_processes_write_one_metrics_file_and_one_history_run(tmp_path) -> None:
    suites = tmp_path / "suites"
    write(
        suites / "a.robot",
        f"""
        *** Test Cases ***
        A Flaky
            [Tags]    retry:1
            ${{first}} =    Evaluate    not os.path.exists(r'{tmp_path / "flag"}')    modules=os
            Evaluate    open(r'{tmp_path / "flag"}', 'w').close()
            Should Not Be True    ${{first}}
        A Fine
            Log    a
    """,
    )
    write(
        suites / "b.robot",
        """
        *** Test Cases ***
        B Fine
            Log    b
    """,
    )
    history = tmp_path / "h.db"
    done = subprocess.run(
        [
            str(BIN / "pabot"),
            "--processes",
            "2",
            "--outputdir",
            "out",
            "--listener",
            f"Seamline.Metrics:history={history}",
            "suites",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = metrics_of(tmp_path / "out")
    assert verdicts(metrics) == {"A Flaky": "FLAKY", "A Fine": "PASS", "B Fine": "PASS"}
    assert metrics["run"]["parts"] == 2
    store = History(history)
    assert [(run["tests"], run["flaky"]) for run in store.runs()] == [(3, 1)]
    store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_resources_are_read_per_service_process_and_per_test(tmp_path) -> None:
    http_port, prometheus_port = free_port(), free_port()
    # The child works 20 ms of CPU per request, so the test's CPU reading of it is well above the clock's tick.
    write(
        tmp_path / "busy.py",
        f"""
        import http.server, time

        class Busy(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                until = time.process_time() + 0.02
                while time.process_time() < until:
                    pass
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        http.server.HTTPServer(("127.0.0.1", {http_port}), Busy).serve_forever()
    """,
    )
    write(
        tmp_path / "parent.py",
        f"""
        import subprocess, sys
        child = subprocess.Popen([sys.executable, r"{tmp_path / "busy.py"}"])
        child.wait()
    """,
    )
    exporter = subprocess.Popen(
        [
            PYTHON,
            "-c",
            f"import prometheus_client, time; prometheus_client.start_http_server({prometheus_port}, "
            "addr='127.0.0.1'); time.sleep(120)",
        ]
    )
    try:
        write(
            tmp_path / "res.robot",
            f"""
            *** Settings ***
            Library    Seamline
            Suite Setup    Start Service    web    {PYTHON} {tmp_path / "parent.py"}    ready=tcp://127.0.0.1:{http_port}
            Suite Teardown    Stop All Services

            *** Test Cases ***
            Busy
                Connect To Api    http://127.0.0.1:{http_port}
                FOR    ${{i}}    IN RANGE    30
                    Call Api    GET    /
                END
        """,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", prometheus_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        done = robot(
            tmp_path,
            "--listener",
            "Seamline.Metrics:history=NONE",
            "--outputdir",
            "out",
            "--variable",
            f"SEAMLINE_PROMETHEUS:exporter=http://127.0.0.1:{prometheus_port}/metrics",
            "res.robot",
        )
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        exporter.kill()
        exporter.wait()
    readings = {usage["service"]: usage for usage in metrics_of(tmp_path / "out")["resources"] if usage.get("test")}
    assert set(readings) == {"web", "web/busy", "exporter"}
    assert readings["web/busy"]["test"] == "Res.Busy"
    assert readings["web/busy"]["cpu_seconds"] >= 0.3  # 30 requests of 20 ms CPU each, during the test
    assert readings["web"]["cpu_seconds"] < 0.3  # the parent, named apart, did not do that work
    assert readings["web/busy"]["peak_rss_mb"] > 1
    assert readings["exporter"]["source"] == "prometheus" and readings["exporter"]["mean_rss_mb"] > 1


def test_the_dashboard_loads_in_chromium_without_console_errors_and_shows_the_figures(tmp_path, chromium_available):
    commits = ("commit0", "commit0", "commit1", "commit1")
    history = wobbly_history(tmp_path, "d.robot", ("pass", "fail", "pass", "pass"), commits)
    done = seamline("report", "run3", "--history", str(history), "--dashboard", "dashboard.html", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dashboard: dashboard.html (4 runs)" in done.stdout
    screenshot = Path(SCREENSHOTS) / "dashboard.png" if SCREENSHOTS else tmp_path / "dashboard.png"
    page = render(tmp_path / "dashboard.html", screenshot=screenshot)
    assert page.console == []
    assert '<div class="value">100.0 %</div>' in page.dom
    assert page.dom.count("<canvas") == 5 and "D.Wobbly" in page.dom
    assert screenshot.stat().st_size > 10_000
