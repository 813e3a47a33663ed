"""The client-side bound of every statement on a network database, whatever the peer does.

A server enforces a statement timeout only when it hears the statement: through a partition (the peer
neither answers nor closes) the driver waits on its socket for ever. One daemon thread per process looks
at the statements that are running a few times a second and ends one past its deadline by shutting its
socket down: the driver's blocked read returns at once with a lost connection, which the statement
reports as a timeout. Shutting the socket is the one thing that works whatever the link does: a cancel
request (psycopg's `cancel_safe`) needs a second connection through the same frozen link.
"""

from __future__ import annotations

import logging
import math
import socket
import threading
import time
import weakref
from collections.abc import Callable

log = logging.getLogger(__name__)

# How often the watchdog looks: the bound holds to within this much.
TICK = 0.05


class Watched:
    """A connection's running statement: armed with a deadline, ended by `expire` if it passes."""

    def __init__(self, expire: Callable[[], None]):
        self._expire = expire
        self._lock = threading.Lock()
        self._deadline = math.inf
        self.expired = False

    def arm(self, deadline: float) -> None:
        with self._lock:
            self._deadline = deadline
            self.expired = False

    def disarm(self) -> None:
        # Under the lock: a statement that finished in time is never ended afterwards.
        with self._lock:
            self._deadline = math.inf

    def check(self, now: float) -> None:
        with self._lock:
            if self._deadline < now:
                self._deadline = math.inf
                self.expired = True
                try:
                    self._expire()
                except Exception as error:  # a closed connection or socket: nothing is left to end
                    # Broad on purpose: the watchdog thread must survive whatever one connection raises.
                    log.debug("ending an overdue statement: %s", error)


class _Watchdog:
    def __init__(self) -> None:
        self._watched: weakref.WeakSet[Watched] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, watched: Watched) -> None:
        with self._lock:
            self._watched.add(watched)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="seamline-sql-watchdog", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(TICK)
            now = time.monotonic()
            with self._lock:
                watched = list(self._watched)
            for statement in watched:
                statement.check(now)


WATCHDOG = _Watchdog()


def watched(expire: Callable[[], None]) -> Watched:
    """A new `Watched` for one connection, checked by the process's watchdog from now on."""
    statement = Watched(expire)
    WATCHDOG.watch(statement)
    return statement


def shut_down(fileno: int) -> None:
    """Shuts the socket `fileno` down both ways (the descriptor itself stays the driver's to close)."""
    sock = socket.socket(fileno=fileno)
    try:
        sock.shutdown(socket.SHUT_RDWR)
    finally:
        sock.detach()
