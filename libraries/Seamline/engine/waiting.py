"""Polling with a deadline: every wait in Seamline ends, with the last thing it saw."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class WaitTimedOut(Exception, Generic[T]):
    """The condition was not met in time; `last` is the last value seen (or None)."""

    def __init__(self, last: T | None, elapsed: float, attempts: int, error: Exception | None = None):
        super().__init__(f"not met within {elapsed:.1f}s after {attempts} attempts")
        self.last = last
        self.elapsed = elapsed
        self.attempts = attempts
        self.error = error


class WaitStopped(Exception, Generic[T]):
    """A terminal state (`fail_on`) was seen: waiting longer cannot help."""

    def __init__(self, last: T, elapsed: float):
        super().__init__(f"terminal state seen after {elapsed:.1f}s")
        self.last = last
        self.elapsed = elapsed


def poll(
    probe: Callable[[], T],
    until: Callable[[T], bool],
    *,
    timeout: float,
    interval: float = 0.2,
    fail_on: Callable[[T], bool] | None = None,
    retry_on: tuple[type[Exception], ...] = (),
) -> T:
    """Call `probe` until `until(value)` holds; stop early when `fail_on(value)` holds.

    Exceptions listed in `retry_on` count as "not yet" (the last one is kept on timeout);
    any other exception propagates at once. The probe always runs at least once.
    """
    started = time.monotonic()
    deadline = started + timeout
    attempts = 0
    last: T | None = None
    error: Exception | None = None
    while True:
        attempts += 1
        try:
            last = probe()
            error = None
        except retry_on as raised:
            error = raised
        else:
            if until(last):
                return last
            if fail_on is not None and fail_on(last):
                raise WaitStopped(last, time.monotonic() - started)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimedOut(last, time.monotonic() - started, attempts, error)
        time.sleep(min(interval, remaining))
