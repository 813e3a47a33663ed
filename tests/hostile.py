"""Hostile peers on loopback, for the tests that prove no keyword hangs: every later change keeps them green.

- `Forwarder`: a TCP forwarder in its own process in front of a real server. `freeze()` stops the
  process (SIGSTOP): a network partition, where the peer neither answers nor closes — the kernel still
  accepts connections and buffers what is sent. `thaw()` resumes it; `cut()` kills it (connections reset).
- `SilentServer`: accepts connections and never sends a byte (nor closes).
- `DripServer`: answers HTTP 200 with a body sent one byte every `interval` seconds.
- `ResetServer`: accepts, reads the request, then resets the connection (RST).
- `RecordingServer`: a real HTTP server that records the headers of every request it gets, and redirects
  (`/redirect?to=URL`) or paginates (`/page?next=URL`) wherever it is told: to another host, say.

Each binds 127.0.0.1 port 0; use them as context managers. `python tests/hostile.py forward HOST PORT`
is the forwarder process itself (prints its port, then relays).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Forwarder:
    """A TCP forwarder process between a client and `upstream` that a test can freeze or cut."""

    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> Forwarder:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "forward", self.upstream[0], str(self.upstream[1])],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        return self

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def freeze(self) -> None:
        """A partition: nothing passes either way, and nothing is closed."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def cut(self) -> None:
        """Every connection through it ends at once (the process dies: the kernel resets them)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(5)

    def _signal(self, sig: int) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)

    def __enter__(self) -> Forwarder:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.cut()


def _relay(upstream: tuple[str, int]) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    peers: dict[socket.socket, socket.socket] = {}
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if sock is listener:
                client, _ = listener.accept()
                try:
                    server = socket.create_connection(upstream, timeout=5)
                except OSError:
                    client.close()
                    continue
                server.settimeout(None)
                peers[client], peers[server] = server, client
                selector.register(client, selectors.EVENT_READ)
                selector.register(server, selectors.EVENT_READ)
                continue
            other = peers.get(sock)
            try:
                data = sock.recv(65536)
                if data and other is not None:
                    other.sendall(data)
            except OSError:
                data = b""
            if not data:
                for end in (sock, other):
                    if end is not None and end in peers:
                        selector.unregister(end)
                        peers.pop(end, None)
                        end.close()


class _ThreadServer:
    """Accepts on 127.0.0.1 in a daemon thread and hands each connection to `serve`."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)  # here, not in the accept thread: a quick test may close it before that starts
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stopped = threading.Event()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            self.connections.append(conn)
            threading.Thread(target=self._serve_quietly, args=(conn,), daemon=True).start()

    def _serve_quietly(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self.serve(conn)

    def __enter__(self) -> Any:
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stopped.set()
        for conn in self.connections:
            conn.close()
        self.listener.close()


class SilentServer(_ThreadServer):
    """Accepts and then says nothing, ever (it does not close either)."""

    def serve(self, conn: socket.socket) -> None:
        self._stopped.wait()


class DripServer(_ThreadServer):
    """HTTP 200 whose body (`size` bytes) comes one byte every `interval` seconds."""

    def __init__(self, size: int = 100, interval: float = 1.0):
        super().__init__()
        self.size, self.interval = size, interval

    def serve(self, conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {self.size}\r\n\r\n".encode())
        for _ in range(self.size):
            if self._stopped.wait(self.interval):
                return
            conn.sendall(b"x")


class ResetServer(_ThreadServer):
    """Reads the request, then resets the connection (RST, not a clean close)."""

    def serve(self, conn: socket.socket) -> None:
        conn.recv(65536)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()


class RecordingServer:
    """HTTP/1.1 on 127.0.0.1 that records (path, headers) of each request in `received`.

    `GET /redirect?to=URL` answers 302 to URL; `GET /page?next=URL` answers `{"items": [path], "next": URL}`;
    anything else `{"items": [path], "next": null}`.
    """

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str]]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                recorder.received.append((self.path, dict(self.headers)))
                url = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                if url.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", query["to"])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"items": [url.path], "next": query.get("next")}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def headers_received(self, path_prefix: str = "/") -> list[dict[str, str]]:
        """Headers of the requests whose path starts with `path_prefix`, names in lower case."""
        return [
            {name.lower(): value for name, value in headers.items()}
            for path, headers in self.received
            if path.startswith(path_prefix)
        ]

    def __enter__(self) -> RecordingServer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_port_closed(port: int, timeout: float = 5.0) -> bool:
    """True once nothing accepts on `port` (for tests that check a server really went away)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            return True
        time.sleep(0.05)
    return False


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "forward":
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    _relay((sys.argv[2], int(sys.argv[3])))
