"""One proxied connection: the client's socket, the upstream socket, and a pump thread each way.

With no fault on a direction, its pump is a blocking ``recv`` and ``sendall`` (the fast path: nothing
but two system calls per chunk). Under faults a chunk is shaped into pieces (see `kinds`), which the
pump sends in order, each at its due time, reading on meanwhile, so a latency is the same for every
chunk however the client streams. The control path never waits for a pump: it changes the proxy's
fault state and, to end a connection, shuts its sockets down, which wakes whatever a pump is blocked in.
"""

from __future__ import annotations

import _thread
import collections
import contextlib
import select
import socket
import struct
import threading
import time
from typing import TYPE_CHECKING

from ..deadlines import Deadline, shut_down
from .http import HttpFault, RequestFramer
from .kinds import Answer, Close, Effect, Fault, Hold, Piece
from .splice import open_splicer
from .units import Direction

if TYPE_CHECKING:
    from .proxy import FaultProxy

CHUNK = 64 * 1024
# Bytes a shaping pump reads ahead of what it has sent: beyond it the client is held back by TCP itself.
READ_AHEAD = 4 * 1024 * 1024
_RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 seconds: close() sends RST


class _Pending:
    """The pieces a shaping pump has yet to send, in order, and how many bytes they hold."""

    def __init__(self) -> None:
        self.pieces: collections.deque[Piece] = collections.deque()
        self.bytes = 0

    def __bool__(self) -> bool:
        return bool(self.pieces)

    @property
    def due(self) -> float:
        return self.pieces[0][0]

    def add(self, pieces: list[Piece], first: bool = False) -> None:
        self.bytes += sum(len(item) for _due, item in pieces if isinstance(item, bytes))
        if first:
            self.pieces.extendleft(reversed(pieces))
        else:
            self.pieces.extend(pieces)

    def pop(self) -> Piece:
        piece = self.pieces.popleft()
        if isinstance(piece[1], bytes):
            self.bytes -= len(piece[1])
        return piece


def no_delay(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # not TCP (a test's socketpair): nothing to tune
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Link:
    """A client connection and its upstream connection, pumped both ways until both ends are done."""

    def __init__(self, proxy: FaultProxy, serial: int, client: socket.socket, client_address: str):
        self.proxy = proxy
        self.serial = serial
        self.client = client
        self.client_address = client_address
        self.upstream: socket.socket | None = None
        self.started = time.time()
        self._started = time.perf_counter()
        self.bytes_upstream = 0  # written by the upstream pump only
        self.bytes_downstream = 0  # written by the downstream pump only
        self.bytes_answered = 0  # what the proxy answered itself (HTTP faults), written by the upstream pump
        self.outcome = "ok"
        self.ending = threading.Event()  # set when the connection is being ended: every wait stops
        self.faults_met: set[str] = set()
        self.framer = RequestFramer()
        self._effects: dict[Direction, dict[Fault, Effect | None]] = {Direction.UPSTREAM: {}, Direction.DOWNSTREAM: {}}
        self._pumps_left = 2
        self._lock = threading.Lock()
        self.finished = threading.Event()  # both pumps are done and the sockets closed

    @property
    def duration(self) -> float:
        return time.perf_counter() - self._started

    def start(self) -> None:
        # _thread's start does not wait for the new thread to run (threading's does): a connection costs
        # no scheduling round trip of the accept thread. `finished` stands in for join().
        _thread.start_new_thread(self._run, ())

    def _run(self) -> None:
        try:
            self.upstream = self._connect()
        except OSError as error:
            self.end(f"upstream unreachable: {error.strerror or error}", reset=(Direction.DOWNSTREAM,))
            self._pumps_left = 1
            self._pump_done()
            return
        if self.ending.is_set():  # ended (cut, stop) while connecting
            shut_down(self.upstream)
        _thread.start_new_thread(self._pump, (self.upstream, self.client, Direction.DOWNSTREAM))
        self._pump(self.client, self.upstream, Direction.UPSTREAM)

    def _connect(self) -> socket.socket:
        family, kind, protocol, _name, address = self.proxy.upstream_info
        sock = socket.socket(family, kind, protocol)
        try:
            with Deadline(lambda: shut_down(sock)).bounding(self.proxy.connect_timeout) as deadline:
                try:
                    sock.connect(address)
                except OSError:
                    if deadline.expired:
                        raise TimeoutError(f"no answer within {self.proxy.connect_timeout:g}s") from None
                    raise
        except OSError:
            sock.close()
            raise
        no_delay(sock)
        return sock

    # Ending: from any thread, without waiting for the pumps.
    def end(self, outcome: str, reset: tuple[Direction, ...] = ()) -> None:
        """End the connection: FIN both ways, or RST on the legs named (downstream: the client's)."""
        with self._lock:
            if self.ending.is_set():
                return
            self.outcome = outcome
            self.ending.set()
        self.proxy.wake()  # a pump holding data for a hang stops waiting
        legs = {Direction.DOWNSTREAM: self.client, Direction.UPSTREAM: self.upstream}
        for way, sock in legs.items():
            if sock is None:
                continue
            if way in reset:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
                    socket.socket.shutdown(sock, socket.SHUT_RD)  # wakes its reader; close() then sends RST
                except OSError:
                    pass
            else:
                shut_down(sock)

    def _pump_done(self) -> None:
        with self._lock:
            self._pumps_left -= 1
            last = self._pumps_left == 0
        if last:
            self.client.close()
            if self.upstream is not None:
                self.upstream.close()
            self.proxy.link_ended(self)
            self.finished.set()

    # The pumps.
    def _pump(self, source: socket.socket, target: socket.socket, way: Direction) -> None:
        proxy = self.proxy
        generation = -1
        effects: tuple[Effect, ...] = ()
        http: tuple[HttpFault, ...] = ()
        pending = _Pending()
        poller = select.poll()
        poller.register(source, select.POLLIN)
        splicer = open_splicer()
        try:
            while not self.ending.is_set():
                if pending and not self._wait_for_data_or_due(pending, poller):
                    if not self._send_due(pending, target, way):
                        return
                    continue
                data: bytes | None = None
                if splicer is not None and not (effects or http or pending):
                    size = splicer.take(source.fileno())  # the fast path: the bytes stay in the kernel
                else:
                    data = source.recv(CHUNK)
                    size = len(data)
                if self.ending.is_set():
                    return
                if proxy.generation != generation:
                    generation, effects, http = self._current_effects(way)
                if not size:
                    self._drain(pending, target, way)
                    socket.socket.shutdown(target, socket.SHUT_WR)
                    return
                if not effects and not http and not pending:
                    if data is None and splicer is not None:
                        splicer.give(target.fileno(), size)
                    else:
                        target.sendall(data or b"")
                    self._count(way, size)
                    continue
                if data is None and splicer is not None:  # a fault arrived while the pipe held a chunk
                    data = splicer.read(size)
                pending.add(self._shape(time.monotonic(), data or b"", effects, http))
                if not self._send_due(pending, target, way):
                    return
        except OSError as error:
            self._failed(error, way)
        finally:
            if splicer is not None:
                splicer.close()
            self._pump_done()

    def _wait_for_data_or_due(self, pending: _Pending, poller: select.poll) -> bool:
        """Wait until the first pending piece is due (False) or, with room to read ahead, data arrives (True).

        poll() counts whole milliseconds: it wakes up to a millisecond early, and the rest of the wait is an
        Event's, exact to microseconds, so a latency fault is accurate to well under a millisecond.
        """
        wait = pending.due - time.monotonic()
        if wait <= 0:
            return False
        if wait < 0.002 or pending.bytes >= READ_AHEAD:
            self.ending.wait(wait)
            return False
        return bool(poller.poll(wait * 1000 - 1))

    def _shape(self, due: float, data: bytes, effects: tuple[Effect, ...], http: tuple[HttpFault, ...]) -> list[Piece]:
        pieces: list[Piece] = self.framer.feed(due, data, list(http)) if http else [(due, data)]
        for effect in effects:
            pieces = effect.shape(pieces)
        return pieces

    def _send_due(self, pending: _Pending, target: socket.socket, way: Direction) -> bool:
        """Send the pieces that are due, in order; False when the connection is to end."""
        while pending and pending.due <= time.monotonic():
            _due, item = pending.pop()
            if isinstance(item, bytes):
                target.sendall(item)
                self._count(way, len(item))
            elif isinstance(item, Close):
                self.end(f"closed by fault after {self._sent(way)} bytes {way.value}")
                return False
            elif isinstance(item, Answer):
                self.client.sendall(item.data)  # requests are answered in turn: HTTP pipelining is not followed
                self.bytes_answered += len(item.data)
                if item.close:
                    self.end("ok")
                    return False
            elif isinstance(item, Hold) and not self._hold(item, pending, way):
                return False
        return True

    def _hold(self, hold: Hold, pending: _Pending, way: Direction) -> bool:
        """Hang: forward nothing until the fault is removed, then let the held bytes through what is left."""
        if not self.proxy.wait_removed(hold.fault, self.ending):
            return False
        _generation, effects, _http = self._current_effects(way)  # held bytes were framed already
        pending.add(self._shape(time.monotonic(), hold.rest, effects, ()), first=True)
        return True

    def _drain(self, pending: _Pending, target: socket.socket, way: Direction) -> None:
        """The source has finished: deliver what is pending, each at its time, unless the link ends."""
        while pending and not self.ending.is_set():
            wait = pending.due - time.monotonic()
            if wait > 0 and self.ending.wait(wait):
                return
            if not self._send_due(pending, target, way):
                return

    def _current_effects(self, way: Direction) -> tuple[int, tuple[Effect, ...], tuple[HttpFault, ...]]:
        generation, faults, http = self.proxy.faults_for(way)
        known = self._effects[way]
        effects = []
        for fault in faults:
            if fault not in known:  # toxicity decides once per connection and direction
                known[fault] = fault.start(self.serial, way)
            effect = known[fault]
            if effect is not None:
                effects.append(effect)
                self.faults_met.add(fault.describe())
        for fault in http:
            self.faults_met.add(fault.summary())
        if not http:  # when HTTP faults come back, the framer starts afresh at a request
            self.framer = RequestFramer()
        return generation, tuple(effects), http

    def _count(self, way: Direction, size: int) -> None:
        if way is Direction.UPSTREAM:
            self.bytes_upstream += size
        else:
            self.bytes_downstream += size

    def _sent(self, way: Direction) -> int:
        return self.bytes_upstream if way is Direction.UPSTREAM else self.bytes_downstream

    def _failed(self, error: OSError, way: Direction) -> None:
        if self.ending.is_set():
            return
        if isinstance(error, ConnectionResetError):
            self.end(f"reset by a peer ({way.value})")
        elif isinstance(error, BrokenPipeError):
            self.end(f"closed by a peer ({way.value})")
        else:
            self.end(f"error {way.value}: {error.strerror or error}")
