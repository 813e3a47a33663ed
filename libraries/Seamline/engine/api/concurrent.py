"""One HTTP operation sent many times at once, from threads: the engine of `Call Api Concurrently`.

Robot Framework keywords are not thread-safe, so no keyword runs in these threads: each thread only sends
one request through the API session (its credentials guard, trace headers, secrets revealed only for
sending, one wall-clock deadline per request) and records the request's span on the timeline, which is
thread-safe. Nothing is logged from the threads: the caller reports once every request has ended.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from ..errors import SeamError
from ..trace.hops import latency_figures
from .session import ExpectedStatus


@dataclass
class Sent:
    """One of the requests: its answer (None when none came), how long it took, and why it failed if it did."""

    response: requests.Response | None
    seconds: float
    failure: str | None = None
    sample: str = ""


@dataclass
class ConcurrentCalls:
    """What `Call Api Concurrently` returns: every response in request order and their latency.

    ``responses`` holds a response per request (None for a request that got no answer), ``latency`` the
    ``count``, ``mean_ms``, ``p50_ms``, ``p95_ms``, ``p99_ms`` and ``max_ms`` of every request (the one
    percentile rule of the hops, engine/trace/hops), ``statuses`` how many
    responses had each status, ``failures`` each distinct failure (a transport error, or an unexpected
    status with the body of its first response) and how many requests had it, most frequent first, and
    ``seconds`` the wall-clock time of the whole load.
    """

    responses: list[requests.Response | None]
    latency: dict[str, float]
    statuses: dict[int, int]
    failures: list[tuple[str, int]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(count for _, count in self.failures)


def send_concurrently(
    send: Callable[[], requests.Response],
    count: int,
    concurrency: int,
    expected: ExpectedStatus,
    body_of: Callable[[requests.Response], str],
) -> ConcurrentCalls:
    """Call `send` `count` times from at most `concurrency` threads at once; return every answer in order.

    `send` must bound itself (ApiSession.send does: one deadline per request) and raise SeamError when no
    answer came; requests that failed alike count as one failure. A response whose status `expected` does
    not accept fails as ``got <status> <reason>``, shown with `body_of` its first such response (the caller
    masks and cuts it): the bodies of a hundred refusals differ in ids, not in what went wrong.
    """
    if count < 1:
        raise SeamError("HTTP", f"count must be at least 1, got {count}")
    if concurrency < 1:
        raise SeamError("HTTP", f"concurrency must be at least 1, got {concurrency}")

    def one() -> Sent:
        started = time.perf_counter()
        try:
            response = send()
        except SeamError as error:
            return Sent(None, time.perf_counter() - started, error.detail)
        seconds = time.perf_counter() - started
        if expected.matches(response.status_code):
            return Sent(response, seconds)
        return Sent(response, seconds, f"got {response.status_code} {response.reason}", body_of(response))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=min(count, concurrency), thread_name_prefix="seamline-load") as pool:
        futures = [pool.submit(one) for _ in range(count)]
        sent = [future.result() for future in futures]
    failures = Counter(item.failure for item in sent if item.failure is not None)
    samples: dict[str, str] = {}
    for item in sent:
        if item.failure is not None and item.sample:
            samples.setdefault(item.failure, item.sample)
    statuses = Counter(item.response.status_code for item in sent if item.response is not None)
    return ConcurrentCalls(
        responses=[item.response for item in sent],
        latency=latency_figures(item.seconds for item in sent),
        statuses=dict(sorted(statuses.items())),
        failures=[(_with_sample(failure, samples), times) for failure, times in failures.most_common()],
        seconds=time.perf_counter() - started,
    )


def _with_sample(failure: str, samples: dict[str, str]) -> str:
    sample = samples.get(failure)
    return f"{failure}, the first: {sample}" if sample else failure
