"""The engine of Call Api Concurrently: order kept, concurrency bounded, failures counted, percentiles."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
import requests

from Seamline.engine.api import concurrent
from Seamline.engine.api.concurrent import send_concurrently
from Seamline.engine.api.session import ExpectedStatus
from Seamline.engine.errors import SeamError


def response(status: int, body: str = "", reason: str = "") -> requests.Response:
    made = requests.Response()
    made.status_code = status
    made.reason = reason or {201: "Created", 409: "Conflict", 429: "Too Many Requests"}.get(status, "OK")
    made._content = body.encode()
    return made


def body(answer: requests.Response) -> str:
    return answer.text


class Sender:
    """Answers with the statuses given, in call order, and records how many calls ran at once."""

    def __init__(self, answers: list[int | Exception], pause: float = 0.0):
        self.answers = answers
        self.pause = pause
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self.lock = threading.Lock()

    def __call__(self) -> requests.Response:
        with self.lock:
            index, self.calls = self.calls, self.calls + 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(self.pause)
            answer = self.answers[index % len(self.answers)]
            if isinstance(answer, Exception):
                raise answer
            return response(answer, f'{{"request": {index}}}')
        finally:
            with self.lock:
                self.running -= 1


def test_every_response_comes_back_in_request_order():
    load = send_concurrently(Sender([201]), 12, 1, ExpectedStatus.parse("201"), body)
    assert [item.json()["request"] for item in load.responses] == list(range(12))
    assert load.statuses == {201: 12}
    assert load.failures == []
    assert load.latency["count"] == 12
    loaded = send_concurrently(Sender([201]), 12, 4, ExpectedStatus.parse("201"), body)
    assert sorted(item.json()["request"] for item in loaded.responses) == list(range(12))


def test_no_more_requests_run_at_once_than_the_concurrency():
    sender = Sender([201], pause=0.02)
    send_concurrently(sender, 12, 3, ExpectedStatus.parse("2xx"), body)
    assert sender.calls == 12
    assert sender.most_at_once == 3


def test_unexpected_statuses_count_as_one_failure_each_with_the_first_body():
    sender = Sender([201, 409, 409, 201, 429])
    load = send_concurrently(sender, 5, 1, ExpectedStatus.parse("201"), body)
    assert load.statuses == {201: 2, 409: 2, 429: 1}
    assert load.failures == [
        ('got 409 Conflict, the first: {"request": 1}', 2),
        ('got 429 Too Many Requests, the first: {"request": 4}', 1),
    ]
    assert load.failed == 3


def test_a_request_without_an_answer_is_a_failure_with_no_response():
    timeout = SeamError("HTTP", "POST http://x/orders failed: no response within 1s (timeout)")
    sender = Sender([201, timeout])
    load = send_concurrently(sender, 4, 1, ExpectedStatus.parse("any"), body)
    assert [item is None for item in load.responses] == [False, True, False, True]
    assert load.statuses == {201: 2}
    assert load.failures == [("POST http://x/orders failed: no response within 1s (timeout)", 2)]


def test_any_status_is_accepted_with_any():
    load = send_concurrently(Sender([500, 404]), 4, 2, ExpectedStatus.parse("any"), body)
    assert load.failures == []
    assert load.statuses == {404: 2, 500: 2}


@pytest.mark.parametrize(
    ("count", "concurrency", "message"),
    [(0, 1, "HTTP: count must be at least 1, got 0"), (1, 0, "HTTP: concurrency must be at least 1, got 0")],
)
def test_count_and_concurrency_must_be_positive(count, concurrency, message):
    with pytest.raises(SeamError) as raised:
        send_concurrently(Sender([200]), count, concurrency, ExpectedStatus.parse("any"), body)
    assert str(raised.value) == message


def test_the_latency_has_the_percentiles_of_every_request(monkeypatch):
    # One thread: the clock is read at the start of the load, around each request, and at the end.
    ticks = iter([0.0, 0.0, 0.010, 1.0, 1.020, 2.0, 2.030, 3.0, 3.040, 4.0])
    monkeypatch.setattr(concurrent, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))
    load = send_concurrently(Sender([200]), 4, 1, ExpectedStatus.parse("any"), body)
    assert load.latency == {"count": 4, "mean_ms": 25.0, "p50_ms": 20.0, "p95_ms": 40.0, "p99_ms": 40.0, "max_ms": 40.0}
    assert load.seconds == 4.0
