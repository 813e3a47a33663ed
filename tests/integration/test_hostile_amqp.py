"""Messaging keywords against hostile AMQP peers: a frozen link (a partition) and a server that never answers.

Each case runs the keyword as Robot would (through the library's `run_keyword`) and asserts that it ends
within its deadline plus a margin, with one readable failure and no traceback, and that the next
connection works. One case runs `robot` itself: a capture whose link is frozen when the test ends.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from Seamline import Seamline
from Seamline.keywords.base import SeamFailure

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hostile import Forwarder, SilentServer

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 2.0
# Scheduling noise on a shared 2-core machine, plus the watchdog's tick.
MARGIN = 1.5


def via(url: str, port: int) -> str:
    """`url` with its host and port replaced by a loopback port (credentials kept)."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{credentials}@127.0.0.1:{port}"))


@pytest.fixture
def forwarder(rabbitmq_url: str) -> Iterator[Forwarder]:
    parts = urlsplit(rabbitmq_url)
    with Forwarder(parts.hostname or "127.0.0.1", parts.port or 5672) as started:
        yield started


@pytest.fixture
def library() -> Iterator[Seamline]:
    seamline = Seamline(timeout=timedelta(seconds=DEADLINE))
    yield seamline
    seamline.ctx.close()


def run(library: Seamline, name: str, *args: Any, **kwargs: Any) -> Any:
    return library.run_keyword(name, args, kwargs)


def failure_of(library: Seamline, name: str, *args: Any, **kwargs: Any) -> tuple[str, float]:
    """The keyword's failure message and how long it took to fail; it must fail as Seamline fails."""
    started = time.monotonic()
    with pytest.raises(SeamFailure) as failure:
        run(library, name, *args, **kwargs)
    elapsed = time.monotonic() - started
    # One readable failure: a SeamFailure (a RobotError: no traceback in the log), nothing chained.
    assert failure.value.__cause__ is None and failure.value.__suppress_context__
    return str(failure.value), elapsed


def connect_through(library: Seamline, url: str, forwarder: Forwarder, alias: str = "frozen") -> str:
    run(library, "connect_to_broker", via(url, forwarder.port), alias=alias, timeout=timedelta(seconds=DEADLINE))
    return f"amqp://127.0.0.1:{forwarder.port}/%2F"


def assert_next_connection_works(library: Seamline, url: str) -> None:
    run(library, "connect_to_broker", url, alias="healthy")
    run(library, "start_capturing_messages", "amq.topic", binding=f"hostile.{uuid.uuid4().hex}")
    run(library, "disconnect_from_broker", "healthy")


def test_publish_through_a_frozen_link_fails_at_the_deadline(
    library: Seamline, rabbitmq_url: str, forwarder: Forwarder
) -> None:
    target = connect_through(library, rabbitmq_url, forwarder)
    forwarder.freeze()
    message, elapsed = failure_of(library, "publish_message", "amq.topic", "hostile.frozen", {"n": 1})
    assert message == (
        f"Messages: opening a channel on {target}: no answer within 2s (the broker or the network stopped "
        "answering); the connection is dropped, connect again"
    )
    assert elapsed < DEADLINE + MARGIN
    message, elapsed = failure_of(library, "publish_message", "amq.topic", "hostile.frozen", {"n": 2})
    assert message == f"Messages: opening a channel on {target}: the connection is closed; connect again"
    assert elapsed < MARGIN
    assert_next_connection_works(library, rabbitmq_url)


def test_a_publish_under_way_when_the_link_freezes_fails_at_the_deadline(
    library: Seamline, rabbitmq_url: str, forwarder: Forwarder
) -> None:
    target = connect_through(library, rabbitmq_url, forwarder)
    routing = f"hostile.{uuid.uuid4().hex}"
    run(library, "start_capturing_messages", "amq.topic", binding=routing)
    run(library, "publish_message", "amq.topic", routing, {"n": 1})  # the publishing channel is open now
    forwarder.freeze()
    message, elapsed = failure_of(library, "publish_message", "amq.topic", routing, {"n": 2})
    assert message == (
        f"Messages: publishing to exchange 'amq.topic' (routing key '{routing}') on {target}: no answer within 2s "
        "(the broker or the network stopped answering); the connection is dropped, connect again"
    )
    assert elapsed < DEADLINE + MARGIN
    assert_next_connection_works(library, rabbitmq_url)


def test_start_capturing_through_a_frozen_link_fails_at_the_deadline(
    library: Seamline, rabbitmq_url: str, forwarder: Forwarder
) -> None:
    target = connect_through(library, rabbitmq_url, forwarder)
    forwarder.freeze()
    message, elapsed = failure_of(library, "start_capturing_messages", "amq.topic")
    assert message == (
        f"Messages: capturing from exchange 'amq.topic' on {target}: no answer within 2s (the broker or the "
        "network stopped answering); the connection is dropped, connect again"
    )
    assert elapsed < DEADLINE + MARGIN
    assert_next_connection_works(library, rabbitmq_url)


def test_a_wait_on_a_frozen_link_says_the_link_is_down(
    library: Seamline, rabbitmq_url: str, forwarder: Forwarder
) -> None:
    target = connect_through(library, rabbitmq_url, forwarder)
    run(library, "start_capturing_messages", "amq.topic", binding=f"hostile.{uuid.uuid4().hex}")
    forwarder.freeze()
    message, elapsed = failure_of(library, "wait_for_message", "hostile.never", timeout=timedelta(seconds=1))
    assert message == (
        f"Messages: checking the capture of exchange 'amq.topic' on {target}: no answer within 2s (the broker or "
        "the network stopped answering); the connection is dropped, connect again"
    )
    # The wait's own second, then the link check's deadline.
    assert elapsed < 1 + DEADLINE + MARGIN
    assert_next_connection_works(library, rabbitmq_url)


def test_silence_on_a_frozen_link_is_no_pass(library: Seamline, rabbitmq_url: str, forwarder: Forwarder) -> None:
    connect_through(library, rabbitmq_url, forwarder)
    run(library, "start_capturing_messages", "amq.topic", binding=f"hostile.{uuid.uuid4().hex}")
    forwarder.freeze()
    message, elapsed = failure_of(library, "no_message_should_arrive", "hostile.never", within=timedelta(seconds=1))
    assert "checking the capture of exchange 'amq.topic'" in message and "no answer within 2s" in message
    assert elapsed < 1 + DEADLINE + MARGIN


def test_cleanup_of_a_capture_on_a_frozen_link_ends_within_its_deadline(
    library: Seamline, rabbitmq_url: str, forwarder: Forwarder
) -> None:
    library.ctx.enter_scope()  # what the listener does when a test starts
    target = connect_through(library, rabbitmq_url, forwarder)
    run(library, "start_capturing_messages", "amq.topic", binding=f"hostile.{uuid.uuid4().hex}")
    forwarder.freeze()
    started = time.monotonic()
    failures = library.ctx.exit_scope()  # ... and when it ends
    assert time.monotonic() - started < DEADLINE + MARGIN
    assert len(failures) == 1
    assert re.fullmatch(
        rf"Messages: deleting capture queue 'seamline\.capture\.\w+' on {re.escape(target)}: no answer within 2s "
        r"\(the broker or the network stopped answering\); the connection is dropped, connect again",
        str(failures[0][1]),
    )
    started = time.monotonic()
    library.ctx.close()  # the end of the run: the dropped connection closes at once
    assert time.monotonic() - started < MARGIN
    assert_next_connection_works(library, rabbitmq_url)


def test_a_server_that_never_answers_fails_connect_at_the_deadline(library: Seamline, rabbitmq_url: str) -> None:
    with SilentServer() as silent:
        message, elapsed = failure_of(
            library, "connect_to_broker", via(rabbitmq_url, silent.port), timeout=timedelta(seconds=DEADLINE)
        )
    assert message == (
        f"Messages: cannot connect to amqp://127.0.0.1:{silent.port}/%2F within 2s: no answer to the AMQP "
        "handshake (is the broker running?)"
    )
    assert elapsed < DEADLINE + MARGIN
    assert_next_connection_works(library, rabbitmq_url)


FROZEN_SUITE = """\
*** Settings ***
Library    Seamline    timeout=2s
Library    FrozenLink.py

*** Test Cases ***
A Capture Whose Link Freezes Before The Test Ends
    ${{url}} =    Link Url
    Connect To Broker    ${{url}}    alias=frozen
    Start Capturing Messages    amq.topic    binding=hostile.run.{run}
    Freeze Link
"""
FROZEN_LIBRARY = """\
import atexit
import sys
sys.path.insert(0, {tests!r})
from urllib.parse import urlsplit, urlunsplit

from hostile import Forwarder

FORWARDER = Forwarder({host!r}, {port}).start()
atexit.register(FORWARDER.cut)  # a stopped forwarder must not outlive the run
_parts = urlsplit({url!r})
LINK_URL = urlunsplit(_parts._replace(netloc=f"{{_parts.netloc.rpartition('@')[0]}}@127.0.0.1:{{FORWARDER.port}}"))


def link_url():
    return LINK_URL


def freeze_link():
    FORWARDER.freeze()
"""


def test_a_run_whose_capture_link_is_frozen_at_the_end_finishes(rabbitmq_url: str, tmp_path: Path) -> None:
    parts = urlsplit(rabbitmq_url)
    (tmp_path / "FrozenLink.py").write_text(
        FROZEN_LIBRARY.format(
            tests=str(ROOT / "tests"), url=rabbitmq_url, host=parts.hostname, port=parts.port or 5672
        ),
        encoding="utf-8",
    )
    suite = tmp_path / "frozen.robot"
    suite.write_text(FROZEN_SUITE.format(run=uuid.uuid4().hex))
    started = time.monotonic()
    # Robot's own start-up and teardown take a few seconds here; the capture's cleanup may add one deadline.
    completed = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), str(suite)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + 15, completed.stdout
    output = (tmp_path / "output.xml").read_text(encoding="utf-8")
    assert completed.returncode == 0, completed.stdout  # the test itself passed; its cleanup warned
    assert "Cleanup 'stop capturing amq.topic hostile.run." in output
    assert "no answer within 2s (the broker or the network stopped answering)" in output
    assert "Traceback" not in output and "Traceback" not in completed.stdout + completed.stderr
