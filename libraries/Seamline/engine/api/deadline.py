"""A wall-clock deadline for a whole HTTP call: connect, send, every read and the whole body.

requests bounds each socket operation, not the call: a server that sends a byte a second never trips a
read timeout. One watchdog thread per process holds the deadlines of the calls in flight and, when one
passes, shuts the call's socket down, so whatever the call is blocked in (waiting for headers, reading
the body, sending) returns at once. The connection classes below tell the watchdog which socket a call
uses. Arming and disarming is a lock and a set operation: the fast path stays fast (no thread per call).
"""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager, ProxyManager


class Deadline:
    """One call's deadline; `expired` once the watchdog ended the call."""

    __slots__ = ("at", "connection", "expired", "seconds")

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.connection: HTTPConnection | None = None
        self.expired = False


class _Watchdog:
    """Ends calls whose deadline passed by shutting their socket down (both ways: reads see the end)."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._armed: set[Deadline] = set()
        self._wake_at = math.inf
        self._thread: threading.Thread | None = None

    def arm(self, deadline: Deadline) -> None:
        with self._condition:
            self._armed.add(deadline)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="seamline-http-deadlines", daemon=True)
                self._thread.start()
            if deadline.at < self._wake_at:  # else the watchdog wakes early enough already: no context switch
                self._wake_at = deadline.at
                self._condition.notify()

    def disarm(self, deadline: Deadline) -> None:
        """After this returns the watchdog no longer touches the call's connection."""
        with self._condition:
            self._armed.discard(deadline)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for deadline in [armed for armed in self._armed if armed.at <= now]:
                    self._armed.discard(deadline)
                    deadline.expired = True
                    _shut_down(deadline.connection)
                self._wake_at = min((armed.at for armed in self._armed), default=math.inf)
                self._condition.wait(None if self._wake_at == math.inf else self._wake_at - now)


def _shut_down(connection: HTTPConnection | None) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:  # still connecting: the connect timeout (never above the deadline) ends that
        return
    # socket.socket's own shutdown, also for TLS sockets: SSLSocket.shutdown would drop its SSL object under
    # the reading thread's feet. An OSError means it is closed already: nothing left to end.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


WATCHDOG = _Watchdog()
_calls = threading.local()


class bounded:
    """`with bounded(deadline):` ends the HTTP call made inside it (in this thread) at the deadline."""

    __slots__ = ("deadline",)

    def __init__(self, deadline: Deadline):
        self.deadline = deadline

    def __enter__(self) -> Deadline:
        _calls.deadline = self.deadline
        WATCHDOG.arm(self.deadline)
        return self.deadline

    def __exit__(self, *exc: Any) -> None:
        WATCHDOG.disarm(self.deadline)
        _calls.deadline = None


class _Watched:
    """Tells the current call's deadline which connection (so which socket) the call uses."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        deadline = getattr(_calls, "deadline", None)
        if deadline is not None:
            deadline.connection = self
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections a `bounded` call's deadline can end."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager):  # SOCKS managers bring their own connection classes
            _watch_pools(manager)
        return manager


def _watch_pools(manager: PoolManager) -> None:
    manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
