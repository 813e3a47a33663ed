"""Hostile peers for the HTTP seam, driven through `robot` as a user would: a server that never answers, one
that drips its body, one that resets, a link that freezes (a partition), and redirects and next links to
another host that record the headers they get. Every failing case ends within its deadline plus a margin,
with one readable message and no traceback in the log; no credential reaches a host it does not belong to.

One robot run (at DEBUG, where Robot would log a traceback) serves every test of this module.
"""

from __future__ import annotations

import fnmatch
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from robot.api import ExecutionResult
from robot.result import TestCase as RobotTest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hostile import DripServer, Forwarder, RecordingServer, ResetServer, SilentServer

MARGIN = 3.0  # seconds a keyword may take beyond its deadline on a loaded 2-core machine
CREDENTIALS = ("authorization", "x-api-key", "cookie", "x-call-auth")

SUITE = """\
*** Settings ***
Library    Seamline    timeout=10s
Library    Partition.py

*** Variables ***
${CALL_KEY: Secret}    %{SEAMLINE_HOSTILE_CALL_KEY=call-key-0042}

*** Test Cases ***
Silent Server
    Connect To Api    ${SILENT}
    Call Api    GET    /orders    timeout=2s

Drip Server
    Connect To Api    ${DRIP}
    Call Api    GET    /orders    timeout=2s

Reset Server
    Connect To Api    ${RESET}
    Call Api    GET    /orders

Frozen Link
    Connect To Api    http://127.0.0.1:${FORWARDER_PORT}
    Call Api    GET    /before
    Freeze    ${FORWARDER_PID}
    Call Api    GET    /during    timeout=2s
    [Teardown]    Thaw    ${FORWARDER_PID}

After A Partition The Next Call Works
    Connect To Api    http://127.0.0.1:${FORWARDER_PORT}
    Call Api    GET    /before
    Freeze    ${FORWARDER_PID}
    Run Keyword And Expect Error    *no response within 2s (timeout)    Call Api    GET    /during    timeout=2s
    Thaw    ${FORWARDER_PID}
    Call Api    GET    /after
    [Teardown]    Thaw    ${FORWARDER_PID}

Wait Until Api Returns Against A Silent Server
    Connect To Api    ${SILENT}
    Wait Until Api Returns    GET    /status    $.status    READY    timeout=3s

Redirect To Another Host
    Open Session With Credentials    ${ORIGIN}
    VAR    &{call}    X-Call-Auth=${CALL_KEY}
    Call Api    GET    /redirect?to=${OTHER}/landing    headers=${call}

Next Page On Another Host
    Open Session With Credentials    ${ORIGIN}
    ${items} =    Get All Pages    /page?next=${OTHER}/second
    VAR    @{expected}    /page    /second
    Should Be Equal    ${items}    ${expected}

Trusted Host Gets The Credentials
    Open Session With Credentials    ${ORIGIN}    trusted_hosts=127.0.0.1:${OTHER_PORT}
    Call Api    GET    /redirect?to=${OTHER}/trusted-landing
    Get All Pages    /page?next=${OTHER}/trusted-second

*** Keywords ***
Open Session With Credentials
    [Arguments]    ${url}    &{options}
    VAR    &{headers}    X-Api-Key=key-0007    Cookie=session=abc0815    X-Tenant=acme
    Connect To Api    ${url}    auth=token-0099    headers=${headers}    &{options}
"""

PARTITION = """\
import os
import signal


def freeze(pid):
    os.kill(int(pid), signal.SIGSTOP)


def thaw(pid):
    os.kill(int(pid), signal.SIGCONT)
"""


@dataclass
class Run:
    tests: dict[str, RobotTest]
    origin: RecordingServer
    other: RecordingServer
    servers: dict[str, str]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    work = tmp_path_factory.mktemp("hostile-http")
    (work / "hostile_http.robot").write_text(SUITE)
    (work / "Partition.py").write_text(PARTITION)
    with (
        SilentServer() as silent,
        DripServer(size=100, interval=1.0) as drip,
        ResetServer() as reset,
        RecordingServer() as origin,
        RecordingServer() as other,
        RecordingServer() as behind,
        Forwarder("127.0.0.1", behind.port) as forwarder,
    ):
        assert forwarder.process is not None
        servers = {
            "SILENT": silent.url,
            "DRIP": drip.url,
            "RESET": reset.url,
            "ORIGIN": origin.url,
            "OTHER": other.url,
            "OTHER_PORT": str(other.port),
            "FORWARDER_PORT": str(forwarder.port),
            "FORWARDER_PID": str(forwarder.process.pid),
        }
        command = [sys.executable, "-m", "robot", "--outputdir", str(work), "--loglevel", "DEBUG"]
        command += ["--pythonpath", str(work), "--console", "none"]
        for name, value in servers.items():
            command += ["--variable", f"{name}:{value}"]
        subprocess.run([*command, str(work / "hostile_http.robot")], timeout=180, check=False)
        result = ExecutionResult(str(work / "output.xml"))
        yield Run({test.name: test for test in result.suite.all_tests}, origin, other, servers)


FAILURES = [
    ("Silent Server", "HTTP: GET {SILENT}/orders failed: no response within 2s (timeout)", 2),
    (
        "Drip Server",
        "HTTP: GET {DRIP}/orders failed: 200 OK came, but not its whole body within 2s "
        "(timeout; * of 100 bytes received)",
        2,
    ),
    (
        "Reset Server",
        "HTTP: GET {RESET}/orders failed: the connection was lost before a response came: *Connection reset by peer",
        0,
    ),
    (
        "Frozen Link",
        "HTTP: GET http://127.0.0.1:{FORWARDER_PORT}/during failed: no response within 2s (timeout)",
        2,
    ),
    (
        "Wait Until Api Returns Against A Silent Server",
        # One attempt takes the whole wait, unless a busy machine leaves a moment for a second, shorter one.
        "HTTP: GET {SILENT}/status: '$.status' did not become 'READY' within 3s (* attempt*); every attempt failed, "
        "the last with: GET {SILENT}/status failed: no response within *s (timeout)",
        3,
    ),
]


@pytest.mark.parametrize(("name", "message", "deadline"), FAILURES, ids=[case[0] for case in FAILURES])
def test_a_hostile_peer_fails_the_keyword_within_its_deadline_with_one_readable_message(run, name, message, deadline):
    test = run.tests[name]
    assert test.status == "FAIL"
    assert fnmatch.fnmatchcase(test.message, message.format(**run.servers)), test.message
    assert test.elapsed_time.total_seconds() < deadline + MARGIN
    assert not any("Traceback" in text for text in _messages(test))


def test_after_a_partition_the_session_works_again_on_a_new_connection(run):
    test = run.tests["After A Partition The Next Call Works"]
    assert test.status == "PASS", test.message
    assert test.elapsed_time.total_seconds() < 2 + MARGIN


def test_a_redirect_to_another_host_carries_no_credential_and_says_so(run):
    test = run.tests["Redirect To Another Host"]
    assert test.status == "PASS", test.message
    [sent] = run.origin.headers_received("/redirect?to=" + run.other.url + "/landing")
    assert set(CREDENTIALS) <= set(sent)
    [landed] = run.other.headers_received("/landing")
    assert not set(CREDENTIALS) & set(landed)
    assert landed["x-tenant"] == "acme"
    note = (
        # requests itself drops a Cookie header on every redirect (and sends the cookies its jar holds for the
        # new host): what Seamline withholds is the rest.
        f"redirect from {run.origin.url}/redirect?to={run.other.url}/landing: Authorization, X-Api-Key, "
        f"X-Call-Auth not sent to {run.other.url}, which is not the session's origin {run.origin.url} "
        "(name it in trusted_hosts= of Connect To Api to send them there)."
    )
    assert [text for text in _messages(test) if "not sent to" in text] == [note]


def test_a_next_link_to_another_host_gets_no_session_credential_and_says_so(run):
    test = run.tests["Next Page On Another Host"]
    assert test.status == "PASS", test.message
    [landed] = run.other.headers_received("/second")
    assert not set(CREDENTIALS) & set(landed)
    note = (
        f"GET {run.other.url}/second: Authorization, Cookie, X-Api-Key not sent to {run.other.url}, "
        f"which is not the session's origin {run.origin.url} "
        "(name it in trusted_hosts= of Connect To Api to send them there)."
    )
    assert [text for text in _messages(test) if "not sent to" in text] == [note]


def test_a_trusted_host_gets_the_session_credentials(run):
    test = run.tests["Trusted Host Gets The Credentials"]
    assert test.status == "PASS", test.message
    for path in ("/trusted-landing", "/trusted-second"):
        [landed] = run.other.headers_received(path)
        assert landed["authorization"] == "Bearer token-0099"
        assert landed["x-api-key"] == "key-0007"
    assert not any("not sent to" in text for text in _messages(test))


def _messages(test: RobotTest) -> list[str]:
    """Every message logged in the test, at any depth."""
    found: list[str] = []

    def walk(item) -> None:
        for child in getattr(item, "body", ()):
            if getattr(child, "type", "") == "MESSAGE":
                found.append(child.message)
            else:
                walk(child)
        for part in ("setup", "teardown"):
            child = getattr(item, part, None)
            if child:
                walk(child)

    walk(test)
    return found
