"""Acceptance-test helper: a service that is not orderflow exporting spans with the OpenTelemetry SDK.

`Export Spans As Service` continues a W3C traceparent (the one a test's `Call Api` sent, as httpbin echoes
it) with a server span and an SQL child, and exports them with the SDK's own OTLP/HTTP exporter.
"""

from __future__ import annotations

from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags


def _tracer(endpoint: str, service: str) -> tuple[TracerProvider, trace.Tracer]:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
    return provider, provider.get_tracer("acceptance")


def export_spans_as_service(endpoint: str, traceparent: str, service: str) -> None:
    """A server span continuing `traceparent` and its SQL query, exported to `endpoint` as `service`."""
    provider, tracer = _tracer(endpoint, service)
    parent = propagate.extract({"traceparent": traceparent})
    with (
        tracer.start_as_current_span(
            "GET /cart", context=parent, kind=SpanKind.SERVER, attributes={"http.method": "GET", "http.route": "/cart"}
        ),
        tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as query,
    ):
        query.set_attributes({"db.system": "postgresql", "db.statement": "SELECT * FROM carts WHERE id = $1"})
    provider.shutdown()


def export_orphan_span(endpoint: str, traceparent: str, service: str, parent_id: str) -> None:
    """A span of `traceparent`'s trace whose parent (`parent_id`, hex) is never exported."""
    provider, tracer = _tracer(endpoint, service)
    trace_id = int(traceparent.split("-")[1], 16)
    missing = SpanContext(trace_id, int(parent_id, 16), is_remote=True, trace_flags=TraceFlags(1))
    parent = trace.set_span_in_context(NonRecordingSpan(missing))
    with tracer.start_as_current_span("render", context=parent):
        pass
    provider.shutdown()
