"""Polling ends (met, terminal state or timeout); connections are found by alias."""

import pytest

from Seamline.engine.connections import Connections
from Seamline.engine.errors import SeamError
from Seamline.engine.waiting import WaitStopped, WaitTimedOut, poll


def test_poll_returns_the_first_value_that_meets_the_condition():
    values = iter([1, 2, 3, 4])
    assert poll(lambda: next(values), lambda v: v >= 3, timeout=5, interval=0) == 3


def test_poll_stops_at_once_on_a_terminal_state():
    values = iter(["NEW", "REJECTED", "RESERVED"])
    with pytest.raises(WaitStopped) as stopped:
        poll(lambda: next(values), lambda v: v == "RESERVED", timeout=5, interval=0, fail_on=lambda v: v == "REJECTED")
    assert stopped.value.last == "REJECTED"


def test_poll_times_out_with_the_last_value():
    with pytest.raises(WaitTimedOut) as timed_out:
        poll(lambda: "NEW", lambda v: v == "RESERVED", timeout=0.05, interval=0.01)
    assert timed_out.value.last == "NEW"
    assert timed_out.value.attempts >= 2


def test_poll_retries_listed_errors_and_keeps_the_last():
    def probe():
        raise ConnectionRefusedError("refused")

    with pytest.raises(WaitTimedOut) as timed_out:
        poll(probe, bool, timeout=0.05, interval=0.01, retry_on=(ConnectionRefusedError,))
    assert isinstance(timed_out.value.error, ConnectionRefusedError)


def test_poll_lets_other_errors_through():
    def probe():
        raise KeyError("bug")

    with pytest.raises(KeyError):
        poll(probe, bool, timeout=1, retry_on=(ConnectionError,))


def test_connections_by_alias_with_current_switching_and_close():
    closed = []
    connections = Connections("SQL", "Connect To Sql", close=closed.append)
    connections.add("a", "conn-a")
    connections.add("b", "conn-b")
    assert connections.get() == "conn-b"
    assert connections.get("a") == "conn-a"
    connections.switch("a")
    assert connections.get() == "conn-a"
    connections.close()
    assert closed == ["conn-a"]
    assert connections.get() == "conn-b"
    connections.close_all()
    assert closed == ["conn-a", "conn-b"]


def test_missing_connection_names_the_keyword_that_opens_one():
    connections = Connections("SQL", "Connect To Sql")
    with pytest.raises(SeamError, match=r"SQL: no open connection \(open: none\); open one with `Connect To Sql`"):
        connections.get()
    connections.add("main", object())
    with pytest.raises(SeamError, match=r"no 'other' connection \(open: main\)"):
        connections.get("other")


def test_closing_an_unknown_alias_fails_but_closing_with_none_open_does_not():
    closed = []
    connections = Connections("SQL", "Connect To Sql", close=closed.append)
    connections.close()
    connections.add("main", "conn-main")
    with pytest.raises(SeamError, match=r"^SQL: no 'mian' connection to close \(open: main\)$"):
        connections.close("mian")
    assert closed == []
    assert connections.get() == "conn-main"
