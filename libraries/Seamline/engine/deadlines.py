"""Wall-clock deadlines for blocking driver calls, whatever the peer does: the one timing-out rule.

Drivers bound each socket operation at best (requests, PyMySQL), or not at all on a partition (psycopg,
pika): a peer that drips, freezes or never answers keeps a call blocked past any timeout. One watchdog
thread per process holds the deadlines of the calls in flight and, when one passes, runs its `expire`
(shutting the call's socket down, so whatever the driver is blocked in returns at once). Arming and
disarming is a lock and a set operation, so the fast path stays fast, and the thread sleeps until the
next deadline (no polling tick). `expire` runs under the watchdog's lock: once `disarm` returns, a call
that finished in time is never ended afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator

log = logging.getLogger(__name__)


class Deadline:
    """One call at a time's wall-clock bound: armed, `expire` ends the call if its moment passes."""

    __slots__ = ("_expire", "at", "expired", "seconds")

    def __init__(self, expire: Callable[[], None]):
        self._expire = expire
        self.at = math.inf
        self.seconds = 0.0
        self.expired = False

    def arm(self, seconds: float) -> None:
        """Bound the call that starts now to `seconds`; `expired` turns true if the watchdog ends it."""
        self.seconds = seconds
        self.expired = False
        WATCHDOG.arm(self, time.monotonic() + seconds)

    def disarm(self) -> None:
        WATCHDOG.disarm(self)

    @contextlib.contextmanager
    def bounding(self, seconds: float) -> Iterator[Deadline]:
        self.arm(seconds)
        try:
            yield self
        finally:
            self.disarm()

    def _end(self) -> None:
        self.expired = True
        try:
            self._expire()
        except Exception as error:  # the watchdog thread must survive whatever one call's socket raises
            log.debug("ending an overdue call: %s", error)


class _Watchdog:
    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._armed: set[Deadline] = set()
        self._wake_at = math.inf
        self._thread: threading.Thread | None = None

    def arm(self, deadline: Deadline, at: float) -> None:
        with self._condition:
            deadline.at = at
            self._armed.add(deadline)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="seamline-deadlines", daemon=True)
                self._thread.start()
            if at < self._wake_at:  # else the watchdog wakes early enough already: no context switch
                self._wake_at = at
                self._condition.notify()

    def disarm(self, deadline: Deadline) -> None:
        with self._condition:
            self._armed.discard(deadline)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for deadline in [armed for armed in self._armed if armed.at <= now]:
                    self._armed.discard(deadline)
                    deadline._end()
                self._wake_at = min((armed.at for armed in self._armed), default=math.inf)
                self._condition.wait(None if self._wake_at == math.inf else self._wake_at - now)


WATCHDOG = _Watchdog()


def shut_down(sock: socket.socket | int | None) -> None:
    """Shut a socket (or a descriptor) down both ways; closing it stays its driver's business.

    socket.socket's own shutdown, also for TLS sockets: SSLSocket.shutdown would drop its SSL object under
    the reading thread's feet. An OSError means it is closed already: nothing is left to end.
    """
    if sock is None:
        return
    with contextlib.suppress(OSError):
        if isinstance(sock, int):
            borrowed = socket.socket(fileno=sock)
            try:
                borrowed.shutdown(socket.SHUT_RDWR)
            finally:
                borrowed.detach()
        else:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
