"""Received spans: OTLP decoding (protobuf, JSON, gzip), Jaeger answers, seams, the bounded store, completeness."""

import gzip
import json
import zlib

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList

from Seamline.engine.errors import SeamError
from Seamline.engine.timeline import Span, Timeline
from Seamline.engine.trace import otlp
from Seamline.engine.trace.jaeger import spans_of_trace
from Seamline.engine.trace.receiver import SpanStore, TraceJoin, problems, seam_of
from Seamline.engine.trace.sources import open_source

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT = "00f067aa0ba902b7"
SERVER = "b7ad6b7169203331"
SQL = "a2fb4a1d1a96d312"


def value(python):
    if isinstance(python, bool):
        return AnyValue(bool_value=python)
    if isinstance(python, int):
        return AnyValue(int_value=python)
    if isinstance(python, float):
        return AnyValue(double_value=python)
    if isinstance(python, list):
        return AnyValue(array_value=ArrayValue(values=[value(item) for item in python]))
    if isinstance(python, dict):
        return AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key=k, value=value(v)) for k, v in python.items()]))
    return AnyValue(string_value=python)


def export(service="orders", spans=()):
    """An ExportTraceServiceRequest of one resource (service.name) holding `spans` (dicts)."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(key="service.name", value=value(service))
    scope = resource_spans.scope_spans.add()
    for given in spans:
        span = scope.spans.add(
            trace_id=bytes.fromhex(given.get("trace", TRACE)),
            span_id=bytes.fromhex(given["id"]),
            parent_span_id=bytes.fromhex(given.get("parent", "")),
            name=given["name"],
            kind=given.get("kind", 2),
            start_time_unix_nano=given.get("start", 1_700_000_000_000_000_000),
            end_time_unix_nano=given.get("end", 1_700_000_000_050_000_000),
        )
        for key, item in given.get("attributes", {}).items():
            span.attributes.add(key=key, value=value(item))
        if given.get("error"):
            span.status.code = 2
            span.status.message = given["error"]
    return request


SERVER_SPAN = {
    "id": SERVER,
    "parent": CLIENT,
    "name": "POST /orders",
    "attributes": {"http.request.method": "POST", "http.route": "/orders", "http.response.status_code": 201},
}
SQL_SPAN = {
    "id": SQL,
    "parent": SERVER,
    "name": "INSERT orderflow",
    "kind": 3,
    "start": 1_700_000_000_010_000_000,
    "end": 1_700_000_000_012_500_000,
    "attributes": {"db.system": "sqlite", "db.statement": "INSERT INTO orders (id) VALUES (?)", "peer": {"n": [1, 2]}},
    "error": "database is locked",
}


def test_protobuf_export_decodes_to_timeline_spans():
    server, sql = otlp.decode(export(spans=[SERVER_SPAN, SQL_SPAN]).SerializeToString())
    assert (server.trace_id, server.span_id, server.parent_id) == (TRACE, SERVER, CLIENT)
    assert (server.service, server.kind, server.system, server.operation, server.target) == (
        "orders",
        "server",
        "http",
        "POST",
        "/orders",
    )
    assert server.start == 1_700_000_000.0
    assert server.duration == pytest.approx(0.05)
    assert server.outcome == "ok"
    assert server.attributes["http.response.status_code"] == 201
    assert (sql.system, sql.operation, sql.target, sql.kind) == ("sql", "insert", "orders", "client")
    assert sql.duration == pytest.approx(0.0025)
    assert sql.outcome == "error: database is locked"
    assert sql.attributes["peer.n"] == [1, 2]  # nested attributes flattened to dotted names
    assert sql.attributes["span.name"] == "INSERT orderflow"


def test_otlp_json_with_hex_ids_decodes_like_protobuf():
    request = export(spans=[SERVER_SPAN, SQL_SPAN])
    as_json = json_format.MessageToDict(request)
    # OTLP/JSON writes ids in hex, not protobuf JSON's base64.
    spans = as_json["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[0].update(traceId=TRACE, spanId=SERVER, parentSpanId=CLIENT)
    spans[1].update(traceId=TRACE, spanId=SQL, parentSpanId=SERVER)
    from_json = otlp.decode(json.dumps(as_json).encode(), "application/json; charset=utf-8")
    assert from_json == otlp.decode(request.SerializeToString(), otlp.PROTOBUF)


def test_gzip_and_deflate_bodies_are_unpacked_and_bounded():
    body = export(spans=[SERVER_SPAN]).SerializeToString()
    assert otlp.unpack(gzip.compress(body), "gzip") == body
    assert otlp.unpack(zlib.compress(body), "deflate") == body
    assert otlp.unpack(body, None) == body
    with pytest.raises(otlp.BadPayload, match="unpacked body exceeds 100 bytes"):
        otlp.unpack(gzip.compress(b"\0" * 10_000), "gzip", limit=100)
    with pytest.raises(otlp.BadPayload, match="unsupported Content-Encoding 'br'"):
        otlp.unpack(body, "br")
    with pytest.raises(otlp.BadPayload, match="body is not valid gzip"):
        otlp.unpack(b"not gzip", "gzip")


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"\xff\xff\xff", otlp.PROTOBUF, "body is not an OTLP trace export: DecodeError"),
        (b"{", "application/json", "body is not an OTLP trace export: JSONDecodeError"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "xyz"}]}]}]}', "application/json", "not hex"),
        (b"", "text/plain", "unsupported Content-Type 'text/plain'"),
    ],
)
def test_what_is_not_an_otlp_export_is_refused_with_the_reason(body, content_type, message):
    with pytest.raises(otlp.BadPayload, match=message):
        otlp.decode(body, content_type)


@pytest.mark.parametrize(
    ("name", "attributes", "seam"),
    [
        ("GET", {"http.method": "GET", "http.url": "http://h/stock"}, ("http", "GET", "http://h/stock")),
        ("POST /{path:path}", {"http.method": "post", "http.route": "/{path:path}", "http.target": "/api/x?a=1"},
         ("http", "POST", "/api/x")),
        ("SELECT db", {"db.system": "postgresql", "db.operation": "SELECT db", "db.statement": "SELECT a FROM stock"},
         ("sql", "select", "stock")),
        ("connect", {"db.system": "sqlite", "db.name": "/tmp/x.db"}, ("sql", "connect", "/tmp/x.db")),
        ("q send", {"messaging.system": "rabbitmq", "messaging.operation": "publish",
                    "messaging.destination.name": "q"}, ("amqp", "publish", "q")),
        ("publish order.created", {"messaging.system": "outbox", "messaging.operation.type": "publish"},
         ("messaging", "publish", "")),
        ("sftp put", {"network.protocol.name": "sftp", "file.path": "/inbox/b.dat"}, ("sftp", "put", "/inbox/b.dat")),
        ("ssh post", {"network.protocol.name": "ssh", "rpc.method": "ledger post"}, ("ssh", "ledger post", "")),
        ("settlement batch", {}, ("internal", "settlement batch", "")),
    ],
)  # fmt: skip
def test_the_seam_of_a_span_comes_from_its_attributes(name, attributes, seam):
    assert seam_of(name, attributes) == seam


def span(span_id, parent=None, service="orders", trace=TRACE, system="http", start=1.0):
    return Span(system, "POST", "/x", start, 0.1, trace_id=trace, span_id=span_id, parent_id=parent, service=service)


def test_the_store_keeps_the_newest_traces_and_counts_those_dropped():
    store = SpanStore(max_traces=2)
    for number in range(3):
        store.add([span(f"{number:016x}", trace=f"{number:032x}")])
    assert store.dropped_traces == 1
    assert store.spans_of([f"{0:032x}"]) == []
    assert len(store.spans_of([f"{1:032x}", f"{2:032x}"])) == 2
    store.forget([f"{1:032x}"])
    assert store.spans_of([f"{1:032x}"]) == []


def test_a_trace_is_complete_when_every_parent_is_known_and_every_named_service_is_there():
    server, sql = span(SERVER, CLIENT), span(SQL, SERVER, system="sql")
    assert problems([], {CLIENT}) == ["no span has arrived"]
    assert problems([sql], {CLIENT}) == [f"orders 'POST' waits for its parent span {SERVER}"]
    assert problems([server, sql], {CLIENT}) == []
    assert problems([server, sql], {CLIENT}, ["orders", "inventory"]) == ["no span from inventory"]


class FakeSource:
    description = "the fake source"
    poll_interval = 0.05

    def __init__(self, *arrivals):
        self.arrivals = list(arrivals)
        self.forgotten = []

    def spans_of(self, trace_ids, timeout):
        return self.arrivals.pop(0) if len(self.arrivals) > 1 else self.arrivals[0]

    def forget(self, trace_ids):
        self.forgotten.extend(trace_ids)

    def close(self):
        pass


def timeline_with_client_span():
    timeline = Timeline()
    timeline.add(Span("http", "POST", "http://gw/api/orders", 0.9, 0.3, trace_id=TRACE, span_id=CLIENT))
    return timeline


def test_wait_joins_the_spans_once_complete_and_quiet_under_the_client_span():
    timeline = timeline_with_client_span()
    server, sql = span(SERVER, CLIENT), span(SQL, SERVER, system="sql", start=1.05)
    join = TraceJoin(FakeSource([sql], [sql, server]))
    spans = join.wait(timeline, timeout=5, services=["orders"], quiet=0.1)
    assert {s.span_id for s in spans} == {SERVER, SQL}
    assert [s.span_id for s in timeline.spans] == [CLIENT, SERVER, SQL]
    assert join.join(timeline) == 0  # joined once, not twice


def test_wait_fails_at_its_timeout_saying_what_is_missing_and_what_arrived():
    join = TraceJoin(FakeSource([span(SQL, SERVER, system="sql")]))
    with pytest.raises(SeamError) as failure:
        join.wait(timeline_with_client_span(), timeout=0.3, services=["orders", "ledger"], quiet=0.05)
    assert str(failure.value) == (
        f"Timeline: the trace of this test (trace {TRACE}) was not complete within 0.3s from the fake source: "
        f"orders 'POST' waits for its parent span {SERVER}; no span from ledger. Received: 1 from orders."
    )


def test_wait_without_a_traced_call_fails_at_once():
    with pytest.raises(SeamError, match="this test sent no traced call yet"):
        TraceJoin(FakeSource([])).wait(Timeline(), timeout=5)


def test_the_end_of_a_test_joins_what_arrived_and_forgets_those_traces():
    timeline = timeline_with_client_span()
    source = FakeSource([span(SERVER, CLIENT)])
    assert TraceJoin(source).finish(timeline) == 1
    assert source.forgotten == [TRACE]
    assert TraceJoin(source).finish(Timeline()) == 0  # a test without traced calls costs nothing


def test_a_call_sent_unsampled_is_no_trace_of_the_test():
    timeline = timeline_with_client_span()
    poll = Span("http", "GET", "http://gw/api/orders/1", 1.3, 0.01, trace_id="f" * 32, span_id="e" * 16)
    poll.attributes["trace.sampled"] = False  # what fill_http_span writes for a traceparent with flags 00
    timeline.add(poll)
    source = FakeSource([span(SERVER, CLIENT)])
    assert TraceJoin(source).finish(timeline) == 1
    assert source.forgotten == [TRACE]  # the unsampled call's trace was neither waited for nor looked up


# Shaped as the Jaeger query API documents GET /api/traces/{id} (jaeger-query, api_v2 JSON).
JAEGER_TRACE = {
    "traceID": TRACE,
    "spans": [
        {
            "traceID": TRACE,
            "spanID": SERVER,
            "operationName": "POST /orders",
            "references": [{"refType": "CHILD_OF", "traceID": TRACE, "spanID": CLIENT}],
            "startTime": 1_700_000_000_000_000,
            "duration": 50_000,
            "tags": [
                {"key": "span.kind", "type": "string", "value": "server"},
                {"key": "http.method", "type": "string", "value": "POST"},
                {"key": "http.route", "type": "string", "value": "/orders"},
            ],
            "logs": [],
            "processID": "p1",
            "warnings": None,
        },
        {
            "traceID": TRACE,
            "spanID": "2fb4a1d1a96d312",  # Jaeger drops leading zeros
            "operationName": "INSERT orderflow",
            "references": [{"refType": "CHILD_OF", "traceID": TRACE, "spanID": SERVER}],
            "startTime": 1_700_000_000_010_000,
            "duration": 2_500,
            "tags": [
                {"key": "span.kind", "type": "string", "value": "client"},
                {"key": "db.system", "type": "string", "value": "sqlite"},
                {"key": "db.statement", "type": "string", "value": "INSERT INTO orders (id) VALUES (?)"},
                {"key": "otel.status_code", "type": "string", "value": "ERROR"},
                {"key": "otel.status_description", "type": "string", "value": "database is locked"},
            ],
            "processID": "p1",
        },
    ],
    "processes": {"p1": {"serviceName": "orders", "tags": [{"key": "host.name", "type": "string", "value": "a"}]}},
    "warnings": None,
}


def test_a_jaeger_trace_becomes_the_same_timeline_spans():
    server, sql = spans_of_trace(JAEGER_TRACE)
    assert (server.span_id, server.parent_id, server.service, server.kind) == (SERVER, CLIENT, "orders", "server")
    assert (server.system, server.operation, server.target) == ("http", "POST", "/orders")
    assert server.duration == pytest.approx(0.05)
    assert (sql.span_id, sql.parent_id, sql.system, sql.operation, sql.target) == (
        "02fb4a1d1a96d312",
        SERVER,
        "sql",
        "insert",
        "orders",
    )
    assert sql.outcome == "error: database is locked"


@pytest.mark.parametrize("spec", ["zipkin", "jaeger:", "jaeger:host:16686", "otlp:nowhere"])
def test_an_unknown_trace_source_is_refused_naming_the_choices(spec):
    with pytest.raises(SeamError, match="Timeline: "):
        open_source(spec)


def test_listen_addresses():
    assert otlp.parse_listen("127.0.0.1:4318") == ("127.0.0.1", 4318)
    assert otlp.parse_listen(":0") == ("127.0.0.1", 0)
    assert otlp.parse_listen("4318") == ("127.0.0.1", 4318)
