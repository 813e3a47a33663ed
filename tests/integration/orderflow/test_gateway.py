"""The gateway's own behaviour, in front of a recording upstream, a slow one and a dead one."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from orderflow_harness import Process, api, start_service

from orderflow.gateway_policy import ROUTES

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
# The rate limit is 2/min, a burst of one: every test gets keys of its own.
KEYS = ",".join(
    f"k-{name}:{role}"
    for name, role in [
        ("trace", "clerk"), ("new-trace", "clerk"), ("rate", "clerk"), ("other", "clerk"),
        ("big", "admin"), ("big-streamed", "admin"), ("down", "admin"), ("slow", "admin"), ("boom", "admin"),
        ("newline", "clerk"), ("tab", "clerk"),
    ]
)  # fmt: skip


class Recorder(BaseHTTPRequestHandler):
    """Answers like the orders service, records request headers, sleeps on /orders/slow."""

    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        Recorder.seen.append(
            {name.lower(): value for name, value in self.headers.items()} | {"x-forwarded-path": self.path}
        )
        if self.path.startswith("/orders/slow"):
            time.sleep(2.0)
        if self.path.startswith("/orders/boom"):
            self.send_response(500)
            self.send_header("content-length", "5")
            self.end_headers()
            self.wfile.write(b"boom!")
            return
        body = json.dumps({"items": [], "next": None}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("server-timing", "app;dur=7.5")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    upstream.daemon_threads = True
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    recorder = f"http://127.0.0.1:{upstream.server_address[1]}"
    process: Process = start_service(
        "gateway",
        "--orders", recorder,
        "--inventory", f"http://127.0.0.1:{closed_port()}",
        "--reports", recorder,
        "--upstream-timeout", "300ms",
        "--rate-limit", "2/min",
        "--max-body", "1KiB",
        env={"ORDERFLOW_API_KEYS": KEYS},
    )  # fmt: skip
    try:
        yield str((process.info or {})["url"])
    finally:
        process.stop()
        upstream.shutdown()
        upstream.server_close()


def test_correlation_id_is_kept_and_traceparent_continues_with_a_new_span(gateway: str) -> None:
    Recorder.seen.clear()
    caller = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
    with api(gateway, "k-trace") as clerk:
        response = clerk.get("/api/orders", headers={"x-correlation-id": "corr-42", "traceparent": caller})
    assert response.status_code == 200
    upstream = Recorder.seen[-1]
    assert upstream["x-correlation-id"] == response.headers["x-correlation-id"] == "corr-42"
    version, trace_id, span_id, flags = upstream["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    assert re.fullmatch("[0-9a-f]{16}", span_id) and span_id != CALLER_SPAN
    assert response.headers["traceresponse"] == upstream["traceparent"]
    timing = response.headers["server-timing"]
    assert re.fullmatch(r"gateway;dur=\d+\.\d, orders;dur=7\.5", timing), timing


def test_a_path_parameter_of_whitespace_control_characters_is_routed_as_sent(gateway: str) -> None:
    # The decoded path, not request.url's re-parsed one, which drops tabs and newlines ("no route /api/orders/").
    for key, encoded in (("k-newline", "%0A"), ("k-tab", "%09")):
        with api(gateway, key) as client:
            response = client.get(f"/api/orders/{encoded}")
        assert response.status_code == 200, response.text
    paths = [seen["x-forwarded-path"] for seen in Recorder.seen if "x-forwarded-path" in seen]
    assert paths[-2:] == ["/orders/%0A", "/orders/%09"]


def test_a_trace_is_started_when_the_caller_sends_none(gateway: str) -> None:
    Recorder.seen.clear()
    with api(gateway, "k-new-trace") as clerk:
        response = clerk.get("/api/orders", headers={"traceparent": "garbage"})
    traceparent = Recorder.seen[-1]["traceparent"]
    assert re.fullmatch("00-[0-9a-f]{32}-[0-9a-f]{16}-01", traceparent)
    assert traceparent.split("-")[1] != TRACE_ID
    assert re.fullmatch("[0-9a-f-]{36}", response.headers["x-correlation-id"])


def test_rate_limit_per_key_answers_429_with_retry_after(gateway: str) -> None:
    with api(gateway, "k-rate") as limited, api(gateway, "k-other") as other:
        first = limited.get("/api/orders")
        refused = limited.get("/api/orders")
        assert other.get("/api/orders").status_code == 200
    assert first.status_code == 200
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) >= 1


def test_bodies_over_the_limit_get_413_declared_or_streamed(gateway: str) -> None:
    big = b'{"customer": "' + b"x" * 2000 + b'"}'
    with api(gateway, "k-big") as admin:
        declared = admin.post("/api/orders", content=big, headers={"content-type": "application/json"})
    with api(gateway, "k-big-streamed") as admin:
        streamed = admin.post("/api/orders", content=iter([big[:600], big[600:]]))
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_stopped_upstream_is_a_502_envelope(gateway: str) -> None:
    with api(gateway, "k-down") as admin:
        response = admin.get("/api/inventory", headers={"x-correlation-id": "c-down"})
    assert response.status_code == 502
    error = response.json()["error"]
    # A GET is retried within the 300 ms budget (backoff 50 ms, 100 ms, ...): 3 attempts, 2 on a slow day.
    assert re.fullmatch(r"inventory is unreachable: ConnectError \(after [23] attempts\)", error.pop("message"))
    assert error == {"code": "UPSTREAM_UNAVAILABLE", "correlation_id": "c-down", "upstream": "inventory"}


def test_slow_upstream_is_a_504_envelope(gateway: str) -> None:
    with api(gateway, "k-slow") as admin:
        response = admin.get("/api/orders/slow")
    assert response.status_code == 504
    error = response.json()["error"]
    assert (error["code"], error["upstream"]) == ("UPSTREAM_TIMEOUT", "orders")


def test_upstream_500_without_an_envelope_gets_one(gateway: str) -> None:
    with api(gateway, "k-boom") as admin:
        response = admin.get("/api/orders/boom", headers={"x-correlation-id": "c-boom"})
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "INTERNAL_ERROR",
            "message": "upstream answered 500: boom!",
            "correlation_id": "c-boom",
            "upstream": "orders",
        }
    }


def test_openapi_documents_every_route_and_method(gateway: str) -> None:
    with api(gateway, None) as anonymous:
        document = anonymous.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    routed = {(route.template, method) for route in ROUTES for method in route.methods}
    assert routed <= documented
    assert documented - routed == {("/health", "GET"), ("/openapi.json", "GET")}
