"""The fault proxy against real sockets: every fault's bytes, timing (generous bounds) and direction,
HTTP-aware faults against a real HTTP server, for= and seed=, stats, spans, and Stop under frozen traffic."""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hostile import SilentServer, _ThreadServer

from Seamline.engine.errors import SeamError
from Seamline.engine.faults import (
    Bandwidth,
    CloseAfter,
    Cut,
    Direction,
    Drop,
    FaultProxy,
    Hang,
    HttpDelay,
    HttpFailure,
    Latency,
    Reset,
    Slicing,
)
from Seamline.engine.timeline import Timeline
from Seamline.engine.waiting import poll

ANY_PORT = ("127.0.0.1", 0)


class Server(_ThreadServer):
    """A TCP server in threads (tests/hostile's), `handle(conn)` serving each connection."""

    def __init__(self, handle: Callable[[socket.socket], None]):
        super().__init__()
        self.handle = handle
        self.endpoint = ("127.0.0.1", self.port)
        self.__enter__()

    def serve(self, conn: socket.socket) -> None:
        with conn:  # closed when served: the proxy sees the server's end
            self.handle(conn)

    def close(self) -> None:
        self.__exit__()


def echo(conn: socket.socket) -> None:
    while data := conn.recv(65536):
        conn.sendall(data)


def clock(conn: socket.socket) -> None:
    """Answers each message with the moment it arrived (the same monotonic clock as the test)."""
    while conn.recv(65536):
        conn.sendall(f"{time.monotonic():.6f}".encode())


@pytest.fixture
def echo_server() -> Iterator[Server]:
    server = Server(echo)
    yield server
    server.close()


@pytest.fixture
def timeline() -> Timeline:
    return Timeline()


@pytest.fixture
def proxy(echo_server: Server, timeline: Timeline) -> Iterator[FaultProxy]:
    proxy = FaultProxy("echo", echo_server.endpoint, ANY_PORT, timeline, connect_timeout=5)
    yield proxy
    proxy.stop()


def connect(proxy: FaultProxy, timeout: float = 5) -> socket.socket:
    sock = socket.create_connection(proxy.address, timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def round_trip(sock: socket.socket, data: bytes = b"ping") -> tuple[bytes, float]:
    started = time.monotonic()
    sock.sendall(data)
    received = b""
    while len(received) < len(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received, time.monotonic() - started


def read_all(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_without_faults_bytes_pass_both_ways_and_each_connection_is_a_span(proxy, timeline):
    with connect(proxy) as sock:
        assert round_trip(sock, b"x" * 100_000)[0] == b"x" * 100_000
    poll(lambda: timeline.select("proxy"), bool, timeout=5, interval=0.01)
    (span,) = timeline.select("proxy", "echo")
    assert (span.target, span.bytes_sent, span.bytes_received, span.outcome) == (
        f"127.0.0.1:{proxy.upstream[1]}",
        100_000,
        100_000,
        "ok",
    )
    stats = proxy.stats()
    assert stats["connections"] == {"total": 1, "open": 0}
    assert (stats["bytes_upstream"], stats["bytes_downstream"]) == (100_000, 100_000)


@pytest.mark.parametrize(
    ("direction", "upstream_delayed", "downstream_delayed"),
    [(Direction.UPSTREAM, True, False), (Direction.DOWNSTREAM, False, True), (Direction.BOTH, True, True)],
)
def test_latency_delays_the_direction_it_names(timeline, direction, upstream_delayed, downstream_delayed):
    server = Server(clock)
    proxy = FaultProxy("clock", server.endpoint, ANY_PORT, timeline)
    try:
        proxy.add(Latency(direction=direction, delay=0.2))
        with connect(proxy) as sock:
            for _ in range(2):
                sent = time.monotonic()
                sock.sendall(b"t")
                arrived = float(sock.recv(100))
                answered = time.monotonic()
                assert (arrived - sent >= 0.2) is upstream_delayed
                assert (answered - arrived >= 0.2) is downstream_delayed
                assert answered - sent < 1.5
    finally:
        proxy.stop()
        server.close()


def test_latency_holds_for_streamed_chunks_instead_of_adding_up(proxy):
    proxy.add(Latency(delay=0.2))
    with connect(proxy) as sock:
        started = time.monotonic()
        for _ in range(10):  # ten writes 20 ms apart: each arrives 200 ms after it was sent
            sock.sendall(b"y" * 1000)
            time.sleep(0.02)
        received = b""
        while len(received) < 10_000:
            received += sock.recv(65536)
        assert 0.35 <= time.monotonic() - started < 1.2  # added up, it would take 2 s


def test_toxicity_and_seed_pick_the_same_connections_each_run(echo_server):
    def delayed_connections() -> list[bool]:
        proxy = FaultProxy("echo", echo_server.endpoint, ANY_PORT)
        try:
            proxy.add(Latency(delay=0.15, toxicity=0.5, seed=42))
            delayed = []
            for _ in range(8):
                with connect(proxy) as sock:
                    delayed.append(round_trip(sock)[1] >= 0.15)
            return delayed
        finally:
            proxy.stop()

    first = delayed_connections()
    assert 0 < sum(first) < 8
    assert delayed_connections() == first


def test_drop_with_a_seed_drops_the_same_chunks_each_run(echo_server):
    def arrivals() -> list[bool]:
        proxy = FaultProxy("echo", echo_server.endpoint, ANY_PORT)
        try:
            proxy.add(Drop(direction=Direction.UPSTREAM, probability=0.5, seed=7))
            seen = []
            with connect(proxy, timeout=0.15) as sock:
                for number in range(12):
                    try:
                        seen.append(round_trip(sock, f"{number:02}".encode())[0] == f"{number:02}".encode())
                    except TimeoutError:
                        seen.append(False)
            return seen
        finally:
            proxy.stop()

    first = arrivals()
    assert 0 < sum(first) < 12
    assert arrivals() == first


def _sink(got: list[float]) -> Callable[[socket.socket], None]:
    def receive(conn: socket.socket) -> None:
        received = 0
        while received < 200_000 and (chunk := conn.recv(65536)):
            received += len(chunk)
        got.append(time.monotonic())
        conn.sendall(b"z" * 200_000)

    return receive


def test_bandwidth_limits_the_rate_of_its_direction_only():
    got: list[float] = []
    server = Server(_sink(got))
    proxy = FaultProxy("sink", server.endpoint, ANY_PORT)
    try:
        proxy.add(Bandwidth(direction=Direction.DOWNSTREAM, rate=500_000))
        with connect(proxy) as sock:
            started = time.monotonic()
            sock.sendall(b"u" * 200_000)
            received = 0
            while received < 200_000:
                received += len(sock.recv(65536))
            done = time.monotonic()
        assert got[0] - started < 0.3  # upstream: not limited
        assert 0.35 <= done - got[0] < 2.0  # downstream: 200 KB at 500 KB/s take 0.4 s
    finally:
        proxy.stop()
        server.close()


def test_cut_closes_refuses_then_restore_listens_on_the_same_address(proxy):
    sock = connect(proxy)
    round_trip(sock)
    cut = proxy.add(Cut())
    assert sock.recv(10) == b""
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(proxy.address, timeout=2)
    proxy.remove(cut)
    with connect(proxy) as again:
        assert round_trip(again)[0] == b"ping"
    sock.close()


def test_a_time_boxed_cut_restores_itself(proxy):
    proxy.add(Cut(), seconds=0.3)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(proxy.address, timeout=2)

    def answers() -> bytes:
        with connect(proxy) as sock:
            return round_trip(sock)[0]

    assert poll(answers, lambda data: data == b"ping", timeout=5, interval=0.05, retry_on=(OSError,)) == b"ping"
    assert any("are over" in event for event in proxy.take_events())


def test_reset_sends_rst_to_the_client(proxy, timeline):
    sock = connect(proxy)
    round_trip(sock)
    proxy.add(Reset(direction=Direction.BOTH))
    with pytest.raises(ConnectionResetError):
        sock.recv(10)
    sock.close()
    with connect(proxy) as fresh:  # a one-off: later connections are not reset
        assert round_trip(fresh)[0] == b"ping"
    poll(lambda: timeline.select("proxy"), lambda spans: len(spans) >= 1, timeout=5, interval=0.01)
    assert timeline.select("proxy")[0].outcome == "reset by fault"


def test_reset_upstream_only_closes_the_client_cleanly(echo_server, proxy):
    sock = connect(proxy)
    round_trip(sock)
    proxy.add(Reset(direction=Direction.UPSTREAM))
    assert sock.recv(10) == b""  # FIN, not RST, on the client's leg
    sock.close()


def test_a_time_boxed_reset_resets_new_connections_too(proxy):
    proxy.add(Reset(direction=Direction.DOWNSTREAM), seconds=5)
    with connect(proxy) as sock, pytest.raises((ConnectionResetError, BrokenPipeError)):
        round_trip(sock)


def test_hang_forwards_nothing_until_removed_then_the_data_flows(proxy):
    with connect(proxy, timeout=0.3) as sock:
        hang = proxy.add(Hang(after=3))
        sock.sendall(b"hello")
        assert sock.recv(10) == b"hel"
        with pytest.raises(TimeoutError):
            sock.recv(10)
        proxy.remove(hang)
        sock.settimeout(5)
        assert sock.recv(10) == b"lo"


def test_close_after_bytes_lets_exactly_that_many_through(proxy):
    proxy.add(CloseAfter(limit=1000))
    with connect(proxy) as sock:
        sock.sendall(b"a" * 5000)
        assert read_all(sock) == b"a" * 1000


def test_slice_data_splits_chunks_into_pieces_sent_apart(proxy):
    proxy.add(Slicing(size=10, delay=0.01))
    with connect(proxy) as sock:
        sock.sendall(b"s" * 100)
        reads = []
        while sum(map(len, reads)) < 100:
            reads.append(sock.recv(65536))
        assert max(map(len, reads)) <= 20  # pieces 10 ms apart: at most two land in one read
        assert len(reads) >= 5


def test_drop_everything_or_nothing(proxy):
    drop = proxy.add(Drop(direction=Direction.UPSTREAM, probability=1.0))
    with connect(proxy, timeout=0.2) as sock:
        sock.sendall(b"lost")
        with pytest.raises(TimeoutError):
            sock.recv(10)
        proxy.remove(drop)
        proxy.add(Drop(probability=0.0))
        sock.settimeout(5)
        assert round_trip(sock)[0] == b"ping"
    assert proxy.stats()["faults_applied"]["drop"] == 1


def test_a_time_boxed_fault_removes_itself(proxy):
    proxy.add(Latency(delay=0.5), seconds=0.2)
    with connect(proxy) as sock:
        poll(lambda: round_trip(sock)[1], lambda seconds: seconds < 0.1, timeout=5, interval=0.05)
    assert proxy.faults == []


def test_upstream_unreachable_closes_the_client_and_records_why(timeline):
    with socket.socket() as probe:
        probe.bind(ANY_PORT)
        closed_port = probe.getsockname()
    proxy = FaultProxy("nowhere", closed_port, ANY_PORT, timeline)
    try:
        with connect(proxy) as sock, pytest.raises(ConnectionResetError):
            sock.recv(10)
        spans = poll(lambda: timeline.select("proxy"), bool, timeout=5, interval=0.01)
        assert spans[0].outcome.startswith("upstream unreachable: Connection refused")
    finally:
        proxy.stop()


def test_listen_on_a_busy_port_fails_naming_it(echo_server):
    with pytest.raises(SeamError, match=r"proxy 'busy' cannot listen on 127\.0\.0\.1:\d+: Address already in use"):
        FaultProxy("busy", echo_server.endpoint, echo_server.endpoint)


def test_stop_returns_within_its_deadline_under_frozen_traffic():
    with SilentServer() as frozen:  # accepts, never reads
        proxy = FaultProxy("frozen", ("127.0.0.1", frozen.port), ANY_PORT)
        clients = []
        try:
            for _ in range(3):
                sock = connect(proxy)
                sock.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    while True:
                        sock.send(b"f" * 65536)  # until every buffer on the way is full
                clients.append(sock)
            proxy.add(Hang(direction=Direction.BOTH))
            started = time.monotonic()
            proxy.stop()
            assert time.monotonic() - started < 2.5
            for sock in clients:
                sock.settimeout(5)
                with pytest.raises((ConnectionResetError, BrokenPipeError)):
                    while True:
                        sock.send(b"f" * 65536)
        finally:
            for sock in clients:
                sock.close()


# HTTP-aware faults, against a real HTTP server (the standard library's, keep-alive).
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        self._answer(b"real " + self.path.encode())

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self._answer(b"got " + self.rfile.read(length))

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def http_proxy(timeline) -> Iterator[FaultProxy]:
    server = ThreadingHTTPServer(ANY_PORT, _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = FaultProxy("web", server.server_address[:2], ANY_PORT, timeline)
    yield proxy
    proxy.stop()
    server.shutdown()
    server.server_close()


def _get(client: http.client.HTTPConnection, path: str, body: bytes | None = None) -> tuple[int, bytes, dict]:
    client.request("POST" if body else "GET", path, body=body)
    response = client.getresponse()
    return response.status, response.read(), dict(response.getheaders())


def test_fail_http_requests_answers_the_next_matching_ones_on_a_kept_alive_connection(http_proxy):
    failure = HttpFailure(status=503, count=2, path="/orders*", body=b'{"error": "down"}', headers={"Retry-After": "1"})
    http_proxy.add(failure)
    client = http.client.HTTPConnection(*http_proxy.address, timeout=5)
    assert _get(client, "/stock")[:2] == (200, b"real /stock")
    status, body, headers = _get(client, "/orders/1", body=b"x" * 3000)
    assert (status, body, headers["Retry-After"], headers["Content-Length"]) == (503, b'{"error": "down"}', "1", "17")
    assert _get(client, "/orders?page=2")[:2] == (503, b'{"error": "down"}')
    assert _get(client, "/orders/1", body=b"now")[:2] == (200, b"got now")
    assert http_proxy.stats()["faults_applied"]["http_fail"] == 2
    client.close()


def test_fail_http_requests_follows_chunked_bodies(http_proxy):
    http_proxy.add(HttpFailure(status=500, count=1))
    with connect(http_proxy) as sock:
        sock.sendall(b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
        sock.sendall(b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while not answer.endswith(b"real /after"):
            answer += sock.recv(65536)


def test_delay_http_requests_holds_back_only_matching_paths(http_proxy):
    http_proxy.add(HttpDelay(delay=0.3, path="/slow/*"))
    client = http.client.HTTPConnection(*http_proxy.address, timeout=5)
    started = time.monotonic()
    assert _get(client, "/fast")[0] == 200
    assert time.monotonic() - started < 0.25
    started = time.monotonic()
    assert _get(client, "/slow/report")[:2] == (200, b"real /slow/report")
    assert 0.3 <= time.monotonic() - started < 2
    client.close()


def test_non_http_bytes_pass_an_http_fault_unchanged(proxy):
    proxy.add(HttpFailure(status=503))
    with connect(proxy) as sock:
        assert round_trip(sock, b"\x00\x01binary")[0] == b"\x00\x01binary"


SUITE = """\
*** Settings ***
Library        Seamline
Suite Setup    Start Fault Proxy    web    upstream=${UPSTREAM}

*** Test Cases ***
Fails With Faults On
    Add Latency    web    2s
    Cut Connections    web
    Fail    on purpose

Sees No Fault
    ${stats} =    Get Proxy Stats    web
    Should Be Empty    ${stats}[active_faults]
    Connect To Api    http://${stats}[listen]
    Call Api    GET    /after    timeout=1s
"""


def test_a_failed_test_leaves_no_fault_behind_for_the_next(tmp_path: Path, http_proxy):
    (tmp_path / "cleanup.robot").write_text(SUITE, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--output", "out.xml", "--log", "NONE", "--report", "NONE",
         "--variable", f"UPSTREAM:{http_proxy.upstream_text}", "cleanup.robot"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "2 tests, 1 passed, 1 failed" in run.stdout, run.stdout
    log = (tmp_path / "out.xml").read_text(encoding="utf-8")
    assert "Faults on when the test failed: proxy 'web': latency 2s downstream; proxy 'web': cut" in log
    assert "Proxy 'web': latency 2s downstream was still on at the end; removed it." in log


def test_restore_fails_when_the_address_was_taken_during_the_cut(proxy):
    cut = proxy.add(Cut())
    squatter = socket.create_server(proxy.address)
    try:
        with pytest.raises(SeamError, match=r"proxy 'echo' cannot listen on 127\.0\.0\.1:\d+: Address already in use"):
            proxy.remove(cut)
    finally:
        squatter.close()
