"""An OTLP/HTTP trace receiver on loopback: the systems under test export their spans to it.

``POST /v1/traces`` with an ``ExportTraceServiceRequest`` in protobuf (``application/x-protobuf``) or
JSON (``application/json``, ids in hex as OTLP/JSON has them), gzip or not, answered at once with the
OTLP response message (200). Decoding uses opentelemetry-proto (the ``traces`` extra), imported on first
use; a span becomes a timeline span only when a test asks for its trace (most belong to no test). Memory is
bounded: the store keeps `receiver.MAX_TRACES` traces and drops the oldest beyond it, and
a request body (unpacked) is at most `MAX_BODY` bytes. Every request has a socket timeout, so a client
that stops sending holds one thread for at most that long; `stop` returns within a second.
"""

from __future__ import annotations

import base64
import json
import threading
import zlib
from collections.abc import Callable, Iterable
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

from ..errors import SeamError
from ..timeline import Span
from .receiver import SEAM, SpanStore, flatten, received_span

MAX_BODY = 32 * 1024 * 1024
REQUEST_TIMEOUT = 10.0
PROTOBUF = "application/x-protobuf"
KINDS = {0: "internal", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
STATUS_ERROR = 2
_ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _proto() -> ModuleType:
    """The OTLP trace service messages; a missing extra fails in one line naming it."""
    try:
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    except ImportError:
        raise SeamError(
            SEAM, "receiving traces needs opentelemetry-proto: pip install 'robotframework-seamline[traces]'"
        ) from None
    return trace_service_pb2


class BadPayload(ValueError):
    """A request body that is not an OTLP trace export."""


def unpack(body: bytes, encoding: str | None, limit: int = MAX_BODY) -> bytes:
    """The body with its gzip/deflate content encoding undone, at most `limit` bytes unpacked."""
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding not in ("gzip", "deflate"):
        raise BadPayload(f"unsupported Content-Encoding '{encoding}' (gzip, deflate or none)")
    unpacker = zlib.decompressobj(zlib.MAX_WBITS | (16 if encoding == "gzip" else 0))
    try:
        data = unpacker.decompress(body, limit + 1)
    except zlib.error as error:
        raise BadPayload(f"body is not valid {encoding}: {error}") from None
    if len(data) > limit:
        raise BadPayload(f"unpacked body exceeds {limit} bytes")
    return data


def decode(body: bytes, content_type: str = PROTOBUF) -> list[Span]:
    """The spans of an OTLP ``ExportTraceServiceRequest`` in protobuf or OTLP/JSON."""
    return [make() for _trace_id, _span_id, make in entries_of(parse(body, content_type))]


def parse(body: bytes, content_type: str = PROTOBUF) -> Any:
    """The ``ExportTraceServiceRequest`` message of a body in protobuf or OTLP/JSON."""
    messages = _proto()
    request = messages.ExportTraceServiceRequest()
    media = content_type.split(";")[0].strip().lower()
    try:
        if media == "application/json":
            from google.protobuf import json_format

            json_format.ParseDict(_ids_as_base64(json.loads(body)), request, ignore_unknown_fields=True)
        elif media in (PROTOBUF, "application/protobuf"):
            request.ParseFromString(body)
        else:
            raise BadPayload(f"unsupported Content-Type '{content_type}' ({PROTOBUF} or application/json)")
    except BadPayload:
        raise
    except Exception as error:  # protobuf's DecodeError / ParseError, JSON's ValueError...
        raise BadPayload(f"body is not an OTLP trace export: {type(error).__name__}: {error}") from None
    return request


def _ids_as_base64(data: Any) -> Any:
    """OTLP/JSON writes ids in hex; protobuf's JSON mapping reads bytes as base64."""
    if isinstance(data, list):
        return [_ids_as_base64(item) for item in data]
    if not isinstance(data, dict):
        return data
    converted = {}
    for key, value in data.items():
        if key in _ID_FIELDS and isinstance(value, str):
            try:
                value = base64.b64encode(bytes.fromhex(value)).decode()
            except ValueError:
                raise BadPayload(f"{key} '{value}' is not hex") from None
        converted[key] = _ids_as_base64(value)
    return converted


def any_value(value: Any) -> Any:
    """A Python value for an OTLP ``AnyValue``."""
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if which == "kvlist_value":
        return {pair.key: any_value(pair.value) for pair in value.kvlist_value.values}
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which)


def attributes_of(pairs: Iterable[Any]) -> dict[str, Any]:
    return flatten({pair.key: any_value(pair.value) for pair in pairs})


def entries_of(request: Any) -> Iterable[tuple[str, str, Callable[[], Span]]]:
    """(trace id, span id, how to make the timeline span) for every span of an export request."""
    for resource_spans in request.resource_spans:
        resource = attributes_of(resource_spans.resource.attributes)
        service = str(resource.get("service.name") or "unknown_service")
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield span.trace_id.hex(), span.span_id.hex(), partial(timeline_span, span, service)


def timeline_span(span: Any, service: str) -> Span:
    """The timeline span of one OTLP span message exported by `service`."""
    failed = span.status.code == STATUS_ERROR
    return received_span(
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_id=span.parent_span_id.hex() or None,
        name=span.name,
        kind=KINDS.get(span.kind, "internal"),
        start=span.start_time_unix_nano / 1e9,
        duration=(span.end_time_unix_nano - span.start_time_unix_nano) / 1e9,
        attributes=attributes_of(span.attributes),
        service=service,
        error=(span.status.message or "ERROR") if failed else None,
    )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = REQUEST_TIMEOUT

    def do_POST(self) -> None:
        if self.path.split("?")[0] != "/v1/traces":
            self._answer(404, "text/plain", b"only POST /v1/traces is served here")
            return
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            self._answer(411, "text/plain", b"Content-Length is required")
            return
        if int(length) > MAX_BODY:
            self._answer(413, "text/plain", f"body exceeds {MAX_BODY} bytes".encode())
            self.close_connection = True
            return
        content_type = self.headers.get("Content-Type", PROTOBUF)
        try:
            request = parse(unpack(self.rfile.read(int(length)), self.headers.get("Content-Encoding")), content_type)
            entries = list(entries_of(request))
        except BadPayload as error:
            self._answer(400, "text/plain", str(error).encode())
            return
        self.server.store.add_entries(entries)
        if content_type.startswith("application/json"):
            self._answer(200, "application/json", b"{}")
        else:
            self._answer(200, PROTOBUF, _proto().ExportTraceServiceResponse().SerializeToString())

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the exporter left (a truncated body, then gone): no one to answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a request per export batch is not news."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], store: SpanStore):
        self.store = store
        super().__init__(address, _Handler)


class OtlpReceiver:
    """The embedded OTLP/HTTP receiver: a trace source whose spans are in memory already."""

    poll_interval = 0.05

    def __init__(self, host: str = "127.0.0.1", port: int = 0, store: SpanStore | None = None):
        _proto()  # fail at start, not at the first export, when the extra is missing
        self.store = store or SpanStore()
        try:
            self._server = _Server((host, port), self.store)
        except OSError as error:
            raise SeamError(SEAM, f"cannot listen for traces on {host}:{port}: {error.strerror or error}") from None
        bound_host, bound_port = str(self._server.server_address[0]), int(self._server.server_address[1])
        self.endpoint = f"http://{bound_host}:{bound_port}"
        self.description = f"the OTLP receiver at {self.endpoint}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="seamline-otlp", daemon=True
        )
        self._thread.start()

    def spans_of(self, trace_ids: Iterable[str], timeout: float = 0.0) -> list[Span]:
        return self.store.spans_of(trace_ids)

    def forget(self, trace_ids: Iterable[str]) -> None:
        self.store.forget(trace_ids)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(1.0)


def parse_listen(listen: str) -> tuple[str, int]:
    """``127.0.0.1:4318`` / ``:0`` / ``4318`` -> (host, port); loopback unless a host is given."""
    host, _, port = listen.strip().rpartition(":")
    if not port.isdigit():
        raise SeamError(SEAM, f"listen '{listen}' is not host:port (127.0.0.1:0 picks a free port)")
    return host.strip("[]") or "127.0.0.1", int(port)
