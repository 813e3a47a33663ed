"""The OTLP receiver over real HTTP, fed by the real OpenTelemetry SDK exporter; Jaeger's query API served by
a stdlib server answering with Jaeger-shaped JSON (no Jaeger runs here)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from Seamline.engine.errors import SeamError
from Seamline.engine.timeline import Span, Timeline
from Seamline.engine.trace.jaeger import JaegerSource
from Seamline.engine.trace.otlp import OtlpReceiver
from Seamline.engine.trace.receiver import TraceJoin


@pytest.fixture
def receiver():
    receiver = OtlpReceiver()
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.mark.parametrize("compression", [Compression.Gzip, Compression.NoCompression])
def test_the_sdk_exporter_delivers_spans_that_join_under_the_tests_client_span(receiver, compression):
    provider = TracerProvider(resource=Resource.create({"service.name": "checkout"}))
    exporter = OTLPSpanExporter(endpoint=f"{receiver.endpoint}/v1/traces", compression=compression)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span("GET /cart", kind=SpanKind.SERVER, attributes={"http.method": "GET"}) as root,
        tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as query,
    ):
        query.set_attributes({"db.system": "postgresql", "db.statement": "SELECT * FROM carts"})
        query.set_status(Status(StatusCode.ERROR, "timeout"))
    provider.shutdown()
    context = root.get_span_context()
    trace_id = f"{context.trace_id:032x}"
    timeline = Timeline()
    timeline.add(Span("http", "GET", "/cart", time.time(), 0.01, trace_id=trace_id, span_id="f" * 16))
    spans = TraceJoin(receiver).wait(timeline, timeout=5, services=["checkout"], quiet=0.05)
    by_name = {span.attributes["span.name"]: span for span in spans}
    assert set(by_name) == {"GET /cart", "SELECT"}
    assert by_name["SELECT"].service == "checkout"
    assert (by_name["SELECT"].system, by_name["SELECT"].target) == ("sql", "carts")
    assert by_name["SELECT"].outcome == "error: timeout"
    assert by_name["SELECT"].parent_id == by_name["GET /cart"].span_id
    assert len(timeline.spans) == 3


def test_json_exports_are_answered_in_json_and_bad_requests_with_the_reason(receiver):
    span = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b174",
        "name": "publish",
        "kind": 4,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000000001000000",
        "attributes": [{"key": "messaging.system", "value": {"stringValue": "rabbitmq"}}],
    }
    body = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [span]}]}]}
    answer = requests.post(f"{receiver.endpoint}/v1/traces", json=body, timeout=5)
    assert (answer.status_code, answer.headers["Content-Type"], answer.text) == (200, "application/json", "{}")
    [received] = receiver.spans_of(["5b8efff798038103d269b633813fc60c"])
    assert (received.service, received.kind, received.system) == ("unknown_service", "producer", "amqp")
    refused = requests.post(f"{receiver.endpoint}/v1/traces", data=b"junk", timeout=5)
    assert refused.status_code == 400 and "not an OTLP trace export" in refused.text
    assert requests.post(f"{receiver.endpoint}/v1/metrics", data=b"", timeout=5).status_code == 404


def test_a_client_that_stops_sending_does_not_hold_stop(receiver):
    host, port = receiver.endpoint.removeprefix("http://").split(":")
    stuck = socket.create_connection((host, int(port)))
    stuck.sendall(b"POST /v1/traces HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial")
    started = time.monotonic()
    receiver.close()
    assert time.monotonic() - started < 2.0
    stuck.close()


def test_an_exporter_that_leaves_mid_body_costs_no_traceback(receiver, monkeypatch):
    errors: list[object] = []
    monkeypatch.setattr(type(receiver._server), "handle_error", lambda _server, _request, _address: errors.append(1))
    host, port = receiver.endpoint.removeprefix("http://").split(":")
    for _ in range(3):
        gone = socket.create_connection((host, int(port)))
        gone.sendall(b"POST /v1/traces HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial")
        gone.close()
    time.sleep(0.5)  # the handlers read to the end of the body, answer 400 and find the exporter gone
    assert errors == []
    assert requests.post(f"{receiver.endpoint}/v1/traces", data=b"junk", timeout=5).status_code == 400


def test_a_receiver_on_a_taken_port_fails_naming_it(receiver):
    port = int(receiver.endpoint.rsplit(":", 1)[1])
    with pytest.raises(SeamError, match=f"Timeline: cannot listen for traces on 127.0.0.1:{port}"):
        OtlpReceiver(port=port)


TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
JAEGER_ANSWER = {
    "data": [
        {
            "traceID": TRACE,
            "spans": [
                {
                    "traceID": TRACE,
                    "spanID": "b7ad6b7169203331",
                    "operationName": "POST /orders",
                    "references": [{"refType": "CHILD_OF", "traceID": TRACE, "spanID": "00f067aa0ba902b7"}],
                    "startTime": 1_700_000_000_000_000,
                    "duration": 50_000,
                    "tags": [{"key": "span.kind", "type": "string", "value": "server"}],
                    "processID": "p1",
                }
            ],
            "processes": {"p1": {"serviceName": "orders", "tags": []}},
        }
    ],
    "total": 0,
    "limit": 0,
    "offset": 0,
    "errors": None,
}
NOT_FOUND = {"data": None, "total": 0, "limit": 0, "offset": 0, "errors": [{"code": 404, "msg": "trace not found"}]}


class _Jaeger(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == f"/api/traces/{TRACE}":
            status, body = 200, JAEGER_ANSWER
        elif self.path.startswith("/api/traces/slow"):
            time.sleep(3)
            status, body = 200, JAEGER_ANSWER
        else:
            status, body = 404, NOT_FOUND
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def jaeger():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Jaeger)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    source = JaegerSource(f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        yield source
    finally:
        source.close()
        server.shutdown()
        server.server_close()


def test_jaeger_spans_are_fetched_by_trace_id_and_kept_for_the_end_of_the_test(jaeger):
    timeline = Timeline()
    timeline.add(Span("http", "POST", "/api/orders", 1.0, 0.1, trace_id=TRACE, span_id="00f067aa0ba902b7"))
    [span] = TraceJoin(jaeger).wait(timeline, timeout=5, services=["orders"], quiet=0.05)
    assert (span.service, span.kind, span.parent_id) == ("orders", "server", "00f067aa0ba902b7")
    assert jaeger.spans_of([TRACE], 0.0) == [span]  # no fetch at the end of the test
    assert jaeger.fetch("0" * 32, 5) == []  # not stored (yet)


def test_a_jaeger_that_does_not_answer_in_time_ends_at_the_deadline(jaeger):
    started = time.monotonic()
    with pytest.raises(SeamError, match=r"Timeline: GET .*/api/traces/slow failed"):
        jaeger.fetch("slow", 0.5)
    assert time.monotonic() - started < 2.5


def test_the_listener_joins_what_arrived_when_a_test_ends_and_the_receiver_forgets_it(receiver):
    from types import SimpleNamespace

    from Seamline.engine.context import SeamContext
    from Seamline.listener import SeamListener

    ctx = SeamContext(traces=TraceJoin(receiver))
    services = SimpleNamespace(begin_resource_window=lambda *_: None, end_resource_window=lambda *_: None)
    listener = SeamListener(ctx, services=services)  # type: ignore[arg-type]
    result = SimpleNamespace(name="t", longname="Suite.t", full_name="Suite.t", passed=True)
    ctx.timeline.add(Span("http", "GET", "/a", 1.0, 0.1, trace_id=TRACE, span_id="00f067aa0ba902b7"))
    received = Span("http", "GET", "/a", 1.01, 0.05, trace_id=TRACE, span_id="b7ad6b7169203331",
                    parent_id="00f067aa0ba902b7", service="orders", kind="server")  # fmt: skip
    receiver.store.add([received])
    listener.end_test(None, result)
    [(name, spans)] = ctx.finished_spans
    assert name == "Suite.t"
    assert [span.service for span in spans] == ["test", "orders"]
    assert receiver.spans_of([TRACE]) == []
