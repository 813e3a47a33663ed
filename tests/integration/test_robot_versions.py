"""Pins the Robot Framework internals Seamline relies on, on the oldest and the newest supported release.

No public API covers three things the library does, so each is checked by running a tiny suite with
each Robot Framework version installed in its own venv:

- an expected failure subclasses `robot.errors.RobotError` (keywords/base.py `SeamFailure`), which is
  what keeps Robot from logging a Python traceback for it at DEBUG;
- the HTTP keywords read the current log level through `robot.running.context.EXECUTION_CONTEXTS`
  (keywords/api.py) to build DEBUG-only body messages only when they are logged;
- the library listener's `log_message` rewrites messages in place, which is how Robot's own TRACE
  argument lines get masked.

The venvs are cached under .venv/robot-versions/<version> (rebuilt when pyproject.toml changes).
PyPI unreachable: the tests skip, unless SEAMLINE_REQUIRE contains "robot-versions".
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
import venv
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from servers import required

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".venv" / "robot-versions"
# The minimum pyproject.toml allows (robotframework>=7.4); 7.4 is the first 7.4.x release.
OLDEST = "7.4"
PIP_TIMEOUT = 600

SUITE = textwrap.dedent(
    """\
    *** Settings ***
    Library    Seamline

    *** Test Cases ***
    Failure Without Traceback
        Start Service    bad    python -c pass    ready=ftp://nowhere

    Body Logged Only At Debug
        ${svc} =    Start Service    web    python -m http.server 0 --bind 127.0.0.1
        ...    ready=log:Serving HTTP on \\\\S+ port (\\\\d+)
        Connect To Api    http://127.0.0.1:${svc.ready_value}
        Call Api    GET    /?at=debug
        Set Log Level    INFO
        Call Api    GET    /?at=info
        [Teardown]    Run Keywords    Set Log Level    TRACE    AND    Stop All Services

    Trace Argument Lines Are Masked
        Connect To Api    http://tester:hunter2-secret@127.0.0.1:9/    alias=masked
    """
)


def _skip_or_fail(reason: str) -> None:
    if required("robot-versions"):
        pytest.fail(f"{reason}, and SEAMLINE_REQUIRE requires robot-versions")
    pytest.skip(reason)


def _pip(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT,
    )


def _newest_release() -> str:
    """The newest robotframework on the package index, by asking pip what it would install."""
    found = _pip(
        Path(sys.executable),
        "install",
        "--dry-run",
        "--ignore-installed",
        "--no-deps",
        "--quiet",
        "--report",
        "-",
        "robotframework",
    )
    if found.returncode != 0:
        _skip_or_fail(f"the package index is unreachable: {found.stderr.strip().splitlines()[-1:]}")
    return str(json.loads(found.stdout)["install"][0]["metadata"]["version"])


def _robot_venv(version: str) -> Path:
    """A venv with robotframework==`version` and this checkout installed (editable), cached."""
    home = CACHE / version
    python = home / "bin" / "python"
    stamp = home / ".seamline-installed"
    wanted = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    shutil.rmtree(home, ignore_errors=True)
    venv.create(home, with_pip=True)
    # The library's own dependencies come from pyproject.toml, as a user's `pip install` gets them.
    installed = _pip(python, "install", "--quiet", f"robotframework=={version}", "-e", str(REPO))
    if installed.returncode != 0:
        shutil.rmtree(home, ignore_errors=True)
        _skip_or_fail(f"installing robotframework=={version} failed: {installed.stderr.strip()[-500:]}")
    stamp.write_text(wanted)
    return python


def _messages(output: Path, test: str) -> list[str]:
    """The text of every log message of one test in output.xml (keyword arguments are not messages)."""
    root = ET.parse(output).getroot()
    case = next(element for element in root.iter("test") if element.get("name") == test)
    return [message.text or "" for message in case.iter("msg")]


@pytest.fixture(scope="module", params=["oldest", "newest"])
def robot_run(request, tmp_path_factory) -> tuple[str, Path]:
    """Runs the pinning suite at --loglevel TRACE under one Robot version; returns the version and output.xml."""
    version = OLDEST if request.param == "oldest" else _newest_release()
    python = _robot_venv(version)
    reported = subprocess.run(
        [str(python), "-c", "import robot; print(robot.__version__)"], capture_output=True, text=True, check=True
    )
    assert reported.stdout.strip() == version
    work = tmp_path_factory.mktemp(f"robot-{version}")
    (work / "pinning.robot").write_text(SUITE)
    run = subprocess.run(
        [
            str(python),
            "-m",
            "robot",
            "--loglevel",
            "TRACE",
            "--outputdir",
            str(work),
            "--log",
            "NONE",
            "--report",
            "NONE",
            str(work / "pinning.robot"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Robot reports a library that fails to import on stderr and goes on; say so instead of a puzzling miss.
    assert "[ ERROR ]" not in run.stderr, run.stderr
    return version, work / "output.xml"


def test_an_expected_failure_logs_no_traceback(robot_run):
    version, output = robot_run
    messages = _messages(output, "Failure Without Traceback")
    assert any(m.startswith("Services: ready 'ftp://nowhere' must start with") for m in messages), (version, messages)
    assert not [m for m in messages if "Traceback" in m], version


def test_response_bodies_are_logged_only_while_debug_is_on(robot_run):
    version, output = robot_run
    bodies = [m for m in _messages(output, "Body Logged Only At Debug") if "Directory listing for" in m]
    assert len(bodies) == 1, (version, bodies)
    assert "?at=debug" in bodies[0], version


def test_the_listener_masks_robots_own_trace_argument_lines(robot_run):
    version, output = robot_run
    messages = _messages(output, "Trace Argument Lines Are Masked")
    argument_lines = [m for m in messages if m.startswith("Arguments:")]
    assert argument_lines, (version, messages)
    assert not [m for m in messages if "hunter2-secret" in m], version
