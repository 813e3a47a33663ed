"""HTTP-aware faults: the proxy finds each HTTP/1.x request in the client's bytes and answers or delays it.

The framer reads request lines, headers and bodies (Content-Length or chunked) as they stream past, so
a request is matched by its path and then forwarded, held back or answered by the proxy itself, while
the bytes of other requests flow unchanged. It starts at a chunk that begins a request; bytes that do
not look like HTTP pass through untouched (the framer tries again at the next chunk).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from http import HTTPStatus

from .kinds import Answer, Fault, Piece
from .units import Direction, time_text

HEADER_LIMIT = 64 * 1024
_REQUEST_LINE = re.compile(rb"^[A-Z]{3,10} (\S+) HTTP/1\.[01]$")


@dataclass(eq=False)
class HttpFault(Fault):
    """A fault on whole HTTP requests whose path matches `path` (a glob; empty matches every request)."""

    path: str = ""
    count: int | None = None  # how many requests it takes; None: every matching one until removed
    direction: Direction = Direction.UPSTREAM

    def matches(self, target: str) -> bool:
        path = target.split("?", 1)[0]
        return not self.path or fnmatch.fnmatchcase(path, self.path)

    def take(self, target: str) -> bool:
        """Whether this request is the fault's (counting it): a fault with a count takes that many."""
        if not self.matches(target):
            return False
        with self._lock:
            if self.count is not None and self.applied >= self.count:
                return False
            self.applied += 1
        return True

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.applied >= self.count

    def scope(self) -> str:
        where = f" to {self.path}" if self.path else ""
        times = f" (the next {self.count})" if self.count is not None else ""
        return f"requests{where}{times}"

    def describe(self) -> str:
        return f"{self.summary()}, used up" if self.exhausted else self.summary()


@dataclass(eq=False)
class HttpFailure(HttpFault):
    status: int = 503
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    kind = "http_fail"

    def answer(self, close: bool) -> Answer:
        reason = HTTPStatus(self.status).phrase if self.status in HTTPStatus._value2member_map_ else "Fault"
        names = {name.lower() for name in self.headers}
        lines = [f"HTTP/1.1 {self.status} {reason}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if "content-type" not in names and self.body:
            lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append(f"Content-Length: {len(self.body)}")
        lines.append("Connection: close" if close else "Connection: keep-alive")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return Answer(head + self.body, close)

    def summary(self) -> str:
        return f"HTTP {self.status} for {self.scope()}"


@dataclass(eq=False)
class HttpDelay(HttpFault):
    delay: float = 0.0
    kind = "http_delay"

    def summary(self) -> str:
        return f"HTTP delay {time_text(self.delay)} for {self.scope()}"


@dataclass
class _Request:
    target: str
    close: bool
    failure: HttpFailure | None
    delay: float


class RequestFramer:
    """Follows the client's byte stream request by request (one per connection, its upstream direction)."""

    def __init__(self) -> None:
        self.head = b""  # the request head read so far, when between requests
        self.request: _Request | None = None  # the request whose body is streaming
        self.body_left = 0
        self.chunked: _Chunked | None = None

    def feed(self, due: float, data: bytes, faults: list[HttpFault]) -> list[Piece]:
        """The pieces `data` becomes under `faults` (which may be none: the framer then only keeps count)."""
        pieces: list[Piece] = []
        while data:
            if self.request is None:
                data = self._read_head(due, data, faults, pieces)
            else:
                data = self._read_body(due, data, pieces)
        return pieces

    def _read_head(self, due: float, data: bytes, faults: list[HttpFault], pieces: list[Piece]) -> bytes:
        buffered = self.head + data
        end = buffered.find(b"\r\n\r\n")
        if end < 0:
            if len(buffered) > HEADER_LIMIT or not _looks_like_request(buffered):
                self.head = b""
                pieces.append((due, buffered))  # not HTTP (or mid-stream): pass it on unchanged
            else:
                self.head = buffered
            return b""
        head, rest = buffered[: end + 4], buffered[end + 4 :]
        self.head = b""
        parsed = _parse_head(head)
        if parsed is None:
            pieces.append((due, buffered))
            return b""
        target, headers = parsed
        self.request = self._decide(target, headers, faults)
        self.chunked = _Chunked() if "chunked" in headers.get("transfer-encoding", "").lower() else None
        self.body_left = 0 if self.chunked else int(headers.get("content-length", "0") or 0)
        self._emit(due, head, pieces)
        if not self.chunked and self.body_left == 0:
            self._finish(due, pieces)
        return rest

    def _read_body(self, due: float, data: bytes, pieces: list[Piece]) -> bytes:
        if self.chunked is not None:
            taken = self.chunked.consume(data)
            self._emit(due, data[:taken], pieces)
            if self.chunked.done:
                self._finish(due, pieces)
            return data[taken:]
        taken = min(self.body_left, len(data))
        self.body_left -= taken
        self._emit(due, data[:taken], pieces)
        if self.body_left == 0:
            self._finish(due, pieces)
        return data[taken:]

    def _decide(self, target: str, headers: dict[str, str], faults: list[HttpFault]) -> _Request:
        failure, delay = None, 0.0
        for fault in faults:
            if isinstance(fault, HttpFailure) and failure is None and fault.take(target):
                failure = fault
            elif isinstance(fault, HttpDelay) and fault.take(target):
                delay += fault.delay
        return _Request(target, "close" in headers.get("connection", "").lower(), failure, delay)

    def _emit(self, due: float, data: bytes, pieces: list[Piece]) -> None:
        assert self.request is not None
        if data and self.request.failure is None:  # a request the proxy answers itself is not forwarded
            pieces.append((due + self.request.delay, data))

    def _finish(self, due: float, pieces: list[Piece]) -> None:
        assert self.request is not None
        if self.request.failure is not None:
            pieces.append((due + self.request.delay, self.request.failure.answer(self.request.close)))
        self.request, self.chunked = None, None


def _looks_like_request(data: bytes) -> bool:
    line = data.split(b"\r\n", 1)[0]
    if b"\r\n" in data:
        return bool(_REQUEST_LINE.match(line))
    method = line.split(b" ", 1)[0]
    return method.isupper() and method.isalpha() and len(method) <= 10


def _parse_head(head: bytes) -> tuple[str, dict[str, str]] | None:
    lines = head.decode("latin-1").split("\r\n")
    match = _REQUEST_LINE.match(lines[0].encode("latin-1"))
    if not match:
        return None
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return match.group(1).decode("latin-1"), headers


class _Chunked:
    """Finds the end of a chunked body: sizes, data, CRLFs and the trailer, across any chunk boundaries."""

    def __init__(self) -> None:
        self.line = b""
        self.data_left = 0  # data bytes of the current chunk, plus its CRLF
        self.in_trailer = False
        self.done = False

    def consume(self, data: bytes) -> int:
        """How many bytes of `data` belong to the body (all of them unless the body ends inside)."""
        position = 0
        while position < len(data) and not self.done:
            if self.data_left:
                taken = min(self.data_left, len(data) - position)
                self.data_left -= taken
                position += taken
                continue
            end = data.find(b"\n", position)
            if end < 0:
                self.line += data[position:]
                return len(data)
            line, self.line = (self.line + data[position:end]).strip(), b""
            position = end + 1
            if self.in_trailer:
                self.done = not line
            else:
                try:
                    size = int(line.split(b";", 1)[0] or b"0", 16)
                except ValueError:  # not chunked after all: the framer lets the rest through as it is
                    self.done = True
                    return position
                self.in_trailer = size == 0
                self.data_left = size + 2 if size else 0
        return position
