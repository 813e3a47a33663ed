"""The fault proxy: a TCP listener in the test process that forwards to an upstream address, with faults.

One accept thread per proxy and two pump threads per connection (`link.Link`). Everything a keyword
does (add or remove a fault, cut, reset, stop) takes the proxy's lock for a few list operations and
never waits for traffic: pumps read the fault state when the generation number changes, and a
connection is ended by shutting its sockets down. Time-boxed faults (``for=``) end by the one
deadline watchdog (`engine/deadlines`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from typing import Any

from ..deadlines import Deadline, shut_down
from ..errors import SeamError
from ..timeline import Timeline
from .http import HttpFault
from .kinds import Cut, Fault, Reset
from .link import Link, no_delay
from .units import SEAM, Direction, time_text

STOP_DEADLINE = 2.0  # how long Stop waits, at most, for the pumps to notice their sockets were shut down


class FaultProxy:
    """A running proxy `name`: listens on `address`, forwards to `upstream`, applies its faults."""

    def __init__(
        self,
        name: str,
        upstream: tuple[str, int],
        listen: tuple[str, int],
        timeline: Timeline | None = None,
        connect_timeout: float = 10.0,
    ):
        self.name = name
        self.upstream = upstream
        self.upstream_info = self._resolve(upstream)
        self.connect_timeout = connect_timeout
        self.timeline = timeline
        self.generation = 0
        self._condition = threading.Condition()
        self._faults: list[Fault] = []
        self._every_fault: list[Fault] = []  # removed ones too: their counts stay in the stats
        self._deadlines: dict[Fault, Deadline] = {}
        self._snapshot: dict[Direction, tuple[tuple[Fault, ...], tuple[HttpFault, ...]]] = {}
        self._links: set[Link] = set()
        self._accepted = 0
        self._closed = Counter[str]()
        self._events: list[str] = []
        self._threads: list[threading.Thread] = []
        self.stopped = False
        self._refresh()
        self._listener = self._bind(listen)
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self._accept_in_background()

    @property
    def listen_text(self) -> str:
        host, port = self.address
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    @property
    def upstream_text(self) -> str:
        host, port = self.upstream
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def _resolve(self, address: tuple[str, int]) -> tuple[Any, ...]:
        """The upstream's socket address, found once: each connection then costs no name lookup."""
        try:
            return socket.getaddrinfo(*address, type=socket.SOCK_STREAM)[0]
        except OSError as error:
            host, port = address
            raise SeamError(
                SEAM, f"proxy '{self.name}' cannot resolve upstream {host}:{port}: {error.strerror}"
            ) from None

    # Listening.
    def _bind(self, address: tuple[str, int]) -> socket.socket:
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(address)
            listener.listen(128)
        except OSError as error:
            listener.close()
            host, port = address
            raise SeamError(SEAM, f"proxy '{self.name}' cannot listen on {host}:{port}: {error.strerror}") from None
        return listener

    def _accept_in_background(self) -> None:
        thread = threading.Thread(
            target=self._accept, args=(self._listener,), name=f"seamline-proxy-{self.name}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, address = listener.accept()
            except OSError:  # shut down: cut or stopped
                listener.close()
                return
            no_delay(client)
            with self._condition:
                if self.stopped:
                    client.close()
                    continue
                self._accepted += 1
                link = Link(self, self._accepted, client, f"{address[0]}:{address[1]}")
                self._links.add(link)
                resets = [fault for fault in self._faults if isinstance(fault, Reset)]
            link.start()
            for fault in resets:  # a time-boxed reset meets every connection while it lasts
                self._reset(link, fault)

    # Faults: the control path.
    def add(self, fault: Fault, seconds: float | None = None) -> Fault:
        """Apply `fault` from now on; for `seconds` only when given (then it removes itself)."""
        with self._condition:
            self._ensure_running()
            self._faults.append(fault)
            self._every_fault.append(fault)
            self._refresh()
            links = list(self._links)
        if isinstance(fault, Cut):
            self._stop_listening()
            fault.hit(len(links))
            for link in links:
                link.end("cut by fault")
        elif isinstance(fault, Reset):
            for link in links:
                self._reset(link, fault)
        if seconds is not None:
            deadline = Deadline(lambda: self._expire(fault, seconds))
            self._deadlines[fault] = deadline
            deadline.arm(seconds)
        if isinstance(fault, Reset) and seconds is None:  # a one-off: the connections open now
            self.remove(fault)
        return fault

    def remove(self, fault: Fault, why: str | None = None) -> bool:
        """Stop applying `fault`; False when it was no longer applied. `why` goes to `events`."""
        with self._condition:
            if fault not in self._faults:
                return False
            self._faults.remove(fault)
            self._refresh()
            self._condition.notify_all()
            if why:
                self._events.append(f"removed {fault.describe()} from proxy '{self.name}': {why}")
            cut_over = isinstance(fault, Cut) and not any(isinstance(other, Cut) for other in self._faults)
        deadline = self._deadlines.pop(fault, None)
        if deadline is not None and why is None:  # not the watchdog calling: the deadline may still be armed
            deadline.disarm()
        if cut_over and not self.stopped:
            self._listen_again(keyword=why is None)
        return True

    def _expire(self, fault: Fault, seconds: float) -> None:
        self.remove(fault, f"its {time_text(seconds)} are over")

    def remove_all(self) -> list[Fault]:
        return [fault for fault in self.faults if self.remove(fault)]

    @property
    def faults(self) -> list[Fault]:
        with self._condition:
            return list(self._faults)

    def take_events(self) -> list[str]:
        """What happened off the control thread since the last call (time-boxed faults that ended)."""
        with self._condition:
            events, self._events = self._events, []
        return events

    def faults_for(self, way: Direction) -> tuple[int, tuple[Fault, ...], tuple[HttpFault, ...]]:
        """The generation and the faults a pump of direction `way` applies (read without the lock)."""
        generation = self.generation
        faults, http = self._snapshot[way]
        return generation, faults, http

    def wait_removed(self, fault: Fault, ending: threading.Event) -> bool:
        """Block a pump until `fault` is removed (True) or its connection or the proxy ends (False)."""
        with self._condition:
            while fault in self._faults and not ending.is_set() and not self.stopped:
                self._condition.wait()
        return not ending.is_set() and not self.stopped

    def wake(self) -> None:
        """Let pumps waiting in `wait_removed` look again (their connection may be ending)."""
        with self._condition:
            self._condition.notify_all()

    def _refresh(self) -> None:
        """Rebuild what pumps read (under the lock); the new generation tells them to look again."""
        for way in (Direction.UPSTREAM, Direction.DOWNSTREAM):
            data = tuple(
                fault
                for fault in self._faults
                if not isinstance(fault, (HttpFault, Cut, Reset)) and fault.direction.covers(way)
            )
            http = tuple(f for f in self._faults if isinstance(f, HttpFault)) if way is Direction.UPSTREAM else ()
            self._snapshot[way] = (data, http)
        self.generation += 1

    def _reset(self, link: Link, fault: Reset) -> None:
        legs = tuple(way for way in (Direction.DOWNSTREAM, Direction.UPSTREAM) if fault.direction.covers(way))
        fault.hit()
        link.end("reset by fault", reset=legs)

    def _stop_listening(self) -> None:
        shut_down(self._listener)  # wakes accept(): new connections are refused from now on
        self._listener.close()

    def _listen_again(self, keyword: bool) -> None:
        """Listen on the same address after a cut; a failure fails the keyword, or is an event off it."""
        with self._condition:
            if self.stopped:
                return
            try:
                self._listener = self._bind(self.address)
            except SeamError as error:
                if keyword:
                    raise
                self._events.append(f"{error.detail} after the cut ended")
                return
        self._accept_in_background()

    def _ensure_running(self) -> None:
        if self.stopped:
            raise SeamError(SEAM, f"proxy '{self.name}' is stopped")

    # Connections.
    def link_ended(self, link: Link) -> None:
        with self._condition:
            self._links.discard(link)
            self._closed["bytes_upstream"] += link.bytes_upstream
            self._closed["bytes_downstream"] += link.bytes_downstream + link.bytes_answered
        if self.timeline is not None:
            self.timeline.record(
                "proxy",
                self.name,
                self.upstream_text,
                link.started,
                link.duration,
                bytes_sent=link.bytes_upstream,
                bytes_received=link.bytes_downstream + link.bytes_answered,
                outcome=link.outcome,
                attributes={
                    "client": link.client_address,
                    "listen": self.listen_text,
                    "faults": sorted(link.faults_met),
                },
                kind="internal",
            )

    def stats(self) -> dict[str, Any]:
        with self._condition:
            links = list(self._links)
            applied = Counter[str]()
            for fault in self._every_fault:
                applied[fault.kind] += fault.applied
            closed = dict(self._closed)
            total = self._accepted
            active = [fault.describe() for fault in self._faults]
        return {
            "name": self.name,
            "listen": self.listen_text,
            "upstream": self.upstream_text,
            "connections": {"total": total, "open": len(links)},
            "bytes_upstream": closed.get("bytes_upstream", 0) + sum(link.bytes_upstream for link in links),
            "bytes_downstream": closed.get("bytes_downstream", 0)
            + sum(link.bytes_downstream + link.bytes_answered for link in links),
            "faults_applied": dict(applied),
            "active_faults": active,
        }

    def stop(self, deadline: float = STOP_DEADLINE) -> None:
        """Close the listener and every connection; returns within `deadline` whatever the traffic does."""
        with self._condition:
            if self.stopped:
                return
            self.stopped = True
            links = list(self._links)
            deadlines = list(self._deadlines.values())
            self._deadlines.clear()
            self._faults.clear()
            self._refresh()
            self._condition.notify_all()
        for armed in deadlines:
            armed.disarm()
        self._stop_listening()
        for link in links:
            link.end("proxy stopped")
        ends_at = time.monotonic() + deadline
        for thread in self._threads:
            thread.join(max(0.0, ends_at - time.monotonic()))
        for link in links:
            link.finished.wait(max(0.0, ends_at - time.monotonic()))
