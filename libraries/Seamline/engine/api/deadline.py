"""A wall-clock deadline for a whole HTTP call: connect, send, every read and the whole body.

requests bounds each socket operation, not the call: a server that sends a byte a second never trips a
read timeout. The call's `Deadline` (engine/deadlines: the one timing-out rule) shuts its socket down
when it passes, so whatever the call is blocked in (waiting for headers, reading the body, sending)
returns at once. The connection classes below tell the deadline which socket a call uses.
"""

from __future__ import annotations

import threading
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager, ProxyManager

from ..deadlines import Deadline, shut_down


class CallDeadline(Deadline):
    """One HTTP call's deadline; the connection classes below say which socket it ends."""

    __slots__ = ("connection",)

    def __init__(self, seconds: float):
        super().__init__(self._shut_connection)
        self.seconds = seconds
        self.connection: HTTPConnection | None = None

    def _shut_connection(self) -> None:
        # Still connecting (no socket yet): the connect timeout, never above the deadline, ends that.
        shut_down(getattr(self.connection, "sock", None))


_calls = threading.local()


class bounded:
    """`with bounded(deadline):` ends the HTTP call made inside it (in this thread) at the deadline."""

    __slots__ = ("deadline",)

    def __init__(self, deadline: CallDeadline):
        self.deadline = deadline

    def __enter__(self) -> CallDeadline:
        _calls.deadline = self.deadline
        self.deadline.arm(self.deadline.seconds)
        return self.deadline

    def __exit__(self, *exc: Any) -> None:
        self.deadline.disarm()
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
