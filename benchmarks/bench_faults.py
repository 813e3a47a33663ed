"""The fault proxy with no faults against a direct connection, in the same run:

- small HTTP requests on a kept-alive connection: p50 and p99 round trip, direct and through the proxy;
- new-connection cost: connect, one request, close;
- bulk throughput: 100 MB downstream;
- latency-fault accuracy: the round trip under `Add Latency` 10ms and 50ms, less the proxy's own;
- a reference single-threaded selectors proxy (the other design) for the small-request latency.

The servers run in one process and the client in another, so the proxy's process (Robot's, in real use)
holds only the proxy, as it would. Toxiproxy cannot be installed here (no package of its server on PyPI
or npm, only clients): its own published figure, +270 to 370 µs per small request, is quoted beside ours.
Writes benchmarks/results/faults.json and prints a table. Runs alone: .venv/bin/python benchmarks/bench_faults.py
"""

from __future__ import annotations

import json
import os
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time

from common import ROOT, print_table, write_results

sys.path.insert(0, str(ROOT / "libraries"))

from Seamline.engine.faults import FaultProxy, Latency

REQUEST = b"GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\npong"
REQUESTS = 3000  # per path and round
ROUNDS = 3
CONNECTIONS = 300
BULK = 100 * 1000 * 1000
LATENCIES = (0.010, 0.050)
LATENCY_REQUESTS = 40


# The servers' process: a kept-alive HTTP responder and a bulk sender, each a thread per connection.
def serve() -> None:
    http = socket.create_server(("127.0.0.1", 0))
    bulk = socket.create_server(("127.0.0.1", 0))
    for listener, handler in ((http, _respond), (bulk, _send_bulk)):
        threading.Thread(target=_accept, args=(listener, handler), daemon=True).start()
    print(json.dumps({"http": http.getsockname()[1], "bulk": bulk.getsockname()[1]}), flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin


def _accept(listener: socket.socket, handler) -> None:
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handler, args=(conn,), daemon=True).start()


def _respond(conn: socket.socket) -> None:
    with conn:
        buffered = b""
        while data := conn.recv(65536):
            buffered += data
            while b"\r\n\r\n" in buffered:
                _head, buffered = buffered.split(b"\r\n\r\n", 1)
                conn.sendall(RESPONSE)


def _send_bulk(conn: socket.socket) -> None:
    with conn:
        conn.recv(10)
        block = b"b" * (1024 * 1024)
        for _ in range(BULK // len(block)):
            conn.sendall(block)
        conn.sendall(b"b" * (BULK % len(block)))


# The client's process: measures what it is told and prints the figures as JSON.
def client(kind: str, port: int, count: int) -> None:
    if kind == "requests":
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for _ in range(50):  # warm up
                _request(sock)
            print(json.dumps([_request(sock) for _ in range(count)]))
    elif kind == "connections":
        times = []
        for _ in range(count):
            started = time.perf_counter()
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                _request(sock)
            times.append(time.perf_counter() - started)
        print(json.dumps(times))
    else:
        buffer = bytearray(1024 * 1024)
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"go")
            received = 0
            while count := sock.recv_into(buffer):
                received += count
        seconds = time.perf_counter() - started
        assert received == BULK, received
        print(json.dumps([seconds]))


def _request(sock: socket.socket) -> float:
    started = time.perf_counter()
    sock.sendall(REQUEST)
    received = b""
    while len(received) < len(RESPONSE):
        received += sock.recv(65536)
    return time.perf_counter() - started


# A reference: the other design, one selectors loop forwarding every connection.
class SelectorProxy:
    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            for key, _events in self.selector.select():
                if key.fileobj is self.listener:
                    client, _ = self.listener.accept()
                    server = socket.create_connection(self.upstream)
                    for sock in (client, server):
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self.selector.register(client, selectors.EVENT_READ, server)
                    self.selector.register(server, selectors.EVENT_READ, client)
                    continue
                source, target = key.fileobj, key.data
                data = source.recv(65536)  # type: ignore[union-attr]
                if data:
                    target.sendall(data)
                else:
                    for sock in (source, target):
                        self.selector.unregister(sock)
                        sock.close()


def _measure(kind: str, port: int, count: int) -> list[float]:
    run = subprocess.run(
        [sys.executable, __file__, "client", kind, str(port), str(count)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(run.stdout)


def _cpu() -> float:
    """CPU seconds this process (the proxy's: servers and client run apart) has used so far."""
    times = os.times()
    return times.user + times.system


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _us(seconds: float) -> float:
    return round(seconds * 1e6, 1)


def main() -> int:
    servers = subprocess.Popen(
        [sys.executable, __file__, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert servers.stdout is not None
        ports = json.loads(servers.stdout.readline())
        return _bench(ports["http"], ports["bulk"])
    finally:
        servers.kill()
        servers.wait()


def _bench(http_port: int, bulk_port: int) -> int:
    proxy = FaultProxy("bench", ("127.0.0.1", http_port), ("127.0.0.1", 0))
    bulk_proxy = FaultProxy("bulk", ("127.0.0.1", bulk_port), ("127.0.0.1", 0))
    selector = SelectorProxy(("127.0.0.1", http_port))
    paths = {
        "direct": http_port,
        "Seamline proxy": proxy.address[1],
        "selectors proxy (reference)": selector.address[1],
    }
    small: dict[str, list[float]] = {name: [] for name in paths}
    connections: dict[str, list[float]] = {name: [] for name in ("direct", "Seamline proxy")}
    bulk: dict[str, list[float]] = {name: [] for name in ("direct", "Seamline proxy")}
    cpu = {"small_request": 0.0, "bulk": 0.0}  # the proxy's own CPU time: what load cannot inflate much
    for _ in range(ROUNDS):  # interleaved, so a noisy moment hits every path alike
        for name, port in paths.items():
            used = _cpu()
            small[name] += _measure("requests", port, REQUESTS)
            if name == "Seamline proxy":
                cpu["small_request"] += _cpu() - used
        for name in connections:
            connections[name] += _measure("connections", paths[name], CONNECTIONS)
        for name, port in (("direct", bulk_port), ("Seamline proxy", bulk_proxy.address[1])):
            used = _cpu()
            bulk[name] += _measure("bulk", port, 0)
            if name == "Seamline proxy":
                cpu["bulk"] += _cpu() - used
    accuracy = []
    baseline = statistics.median(small["Seamline proxy"])
    for delay in LATENCIES:
        fault = proxy.add(Latency(delay=delay))
        measured = statistics.median(_measure("requests", proxy.address[1], LATENCY_REQUESTS)) - baseline
        proxy.remove(fault)
        error = measured - delay
        accuracy.append(
            {"delay_ms": delay * 1000, "measured_ms": round(measured * 1000, 3), "error_ms": round(error * 1000, 3)}
        )
    proxy.stop()
    bulk_proxy.stop()

    direct = small["direct"]
    rows = []
    for name, times in small.items():
        rows.append(
            {
                "path": name,
                "p50": _us(_percentile(times, 0.5)),
                "p99": _us(_percentile(times, 0.99)),
                "added_p50": _us(_percentile(times, 0.5) - _percentile(direct, 0.5)),
                "added_p99": _us(_percentile(times, 0.99) - _percentile(direct, 0.99)),
            }
        )
    connect = {name: _us(statistics.median(times)) for name, times in connections.items()}
    throughput = {name: round(BULK / min(times) / 1e6) for name, times in bulk.items()}
    result = {
        "note": "measured on a shared 2-core machine with other work running: figures are noisy",
        "load_average_at_end": [round(load, 1) for load in os.getloadavg()],
        "small_requests_us": rows,
        "toxiproxy_published_added_us": "270-370 per small request (its own benchmark; not installable here)",
        "new_connection_us": {**connect, "added": round(connect["Seamline proxy"] - connect["direct"], 1)},
        "bulk_mb_per_s": {**throughput, "ratio": round(throughput["Seamline proxy"] / throughput["direct"], 2)},
        "latency_fault_accuracy": accuracy,
        "proxy_cpu": {
            "us_per_small_request": round(cpu["small_request"] / ((REQUESTS + 50) * ROUNDS) * 1e6, 1),
            "ms_per_100_mb": round(cpu["bulk"] / ROUNDS * 1000, 1),
        },
        "goals": "added p50 <= 100 us, added p99 <= 300 us, bulk >= 0.8x direct, latency within 1 ms or 2%",
    }
    path = write_results("faults", result)
    print(f"Small HTTP request round trip ({REQUESTS * ROUNDS} per path, kept alive), microseconds:")
    columns = [("path", "path", "<28s"), ("p50", "p50", ">8.1f"), ("p99", "p99", ">8.1f")]
    columns += [("+p50", "added_p50", ">8.1f"), ("+p99", "added_p99", ">8.1f")]
    print_table(rows, columns)
    print(f"New connection + one request (median µs): {result['new_connection_us']}")
    print(f"Bulk 100 MB downstream (MB/s, best of {ROUNDS}): {result['bulk_mb_per_s']}")
    print(f"Latency fault accuracy: {accuracy}")
    print(f"The proxy's own CPU time: {result['proxy_cpu']}")
    print(f"Toxiproxy (published): +270-370 µs per small request. Wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve()
    elif len(sys.argv) > 1 and sys.argv[1] == "client":
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(main())
