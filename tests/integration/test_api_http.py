"""The API seam against a real local HTTP server: pooling, trace headers, spans with Server-Timing, timeouts."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from Seamline.engine.context import SeamContext
from Seamline.engine.errors import SeamError
from Seamline.keywords.api import ApiKeywords


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so pooling can be seen
    seen: list[dict[str, str]] = []

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(1.0)
        Recorder.seen.append({"client_port": str(self.client_address[1]), **dict(self.headers)})
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Server-Timing", "gateway;dur=2.5, orders;dur=1.25")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server_url() -> Iterator[str]:
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def api() -> Iterator[ApiKeywords]:
    ctx = SeamContext(timeout=5.0)
    yield ApiKeywords(ctx)
    ctx.close()


def test_calls_reuse_one_pooled_connection_and_send_fresh_trace_headers(api, server_url):
    api.connect_to_api(server_url)
    for _ in range(5):
        api.call_api("GET", "/orders")
    assert len({seen["client_port"] for seen in Recorder.seen}) == 1
    correlation_ids = {seen["X-Correlation-Id"] for seen in Recorder.seen}
    assert len(correlation_ids) == 5
    assert all(seen["traceparent"].split("-")[1] == seen["X-Correlation-Id"] for seen in Recorder.seen)


def test_each_call_is_a_span_with_status_bytes_and_server_timing(api, server_url):
    api.connect_to_api(server_url)
    api.call_api("GET", "/orders/1")
    (span,) = api.timeline.select("http")
    assert (span.operation, span.target, span.outcome) == ("GET", f"{server_url}/orders/1", "ok")
    assert span.attributes == {"status": 200, "server_timing": {"gateway": 2.5, "orders": 1.25}}
    assert span.bytes_received == len(b'{"path": "/orders/1"}')
    assert span.correlation_id == Recorder.seen[0]["X-Correlation-Id"]


def test_a_slow_server_fails_at_the_deadline_recorded_as_a_failed_span(api, server_url):
    api.connect_to_api(server_url, timeout=timedelta(seconds=0.2))
    with pytest.raises(SeamError) as raised:
        api.call_api("GET", "/slow")
    assert str(raised.value) == f"HTTP: GET {server_url}/slow failed: no response within 0.2s (timeout)"
    assert api.timeline.select("http")[0].outcome == "error: SeamError"


def test_a_closed_port_fails_at_once_naming_the_cause(api):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api.connect_to_api(f"http://127.0.0.1:{port}")
    with pytest.raises(SeamError, match=r"failed: cannot connect: \[Errno 111\] Connection refused"):
        api.call_api("GET", "/")
