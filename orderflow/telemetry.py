"""OpenTelemetry for orderflow's services: every service exports its spans when told where.

`setup(service)` runs first in each service's main. When ``OTEL_EXPORTER_OTLP_ENDPOINT`` (the standard
variable; ``up --otlp-endpoint`` sets it for every child) is set, it installs the SDK with the resource
``service.name`` = the service, an OTLP/HTTP exporter behind a BatchSpanProcessor with a short schedule
delay (`EXPORT_DELAY_MS`: spans reach a receiver promptly, a test waits for them instead of sleeping),
and the maintained instrumentations: Starlette/ASGI (`instrument_app`, server spans that continue the
caller's ``traceparent``), httpx (client spans that send it on), SQLAlchemy (`instrument_engine`) and pika
(producer/consumer spans, context in the message headers). Without the variable nothing is installed:
the API's no-op tracer is all that runs.

A trace only starts at an entry point (a request or a message received); the background polls of the
bus and the settlement exporter start none, so they do not flood the receiver. Work that records no trace
runs `untraced`, the instrumentations suppressed and their fixed work per request and per SQL statement
skipped: those polls, and a request whose ``traceparent`` says its trace is not sampled (flags ``00``: a
poll's repeats, say; `instrument_app`), whose ``traceparent`` the gateway still passes on, so the services
behind it skip theirs too. Work that continues a trace asynchronously (the outbox row, the settlement
batch) keeps its ``traceparent`` and resumes with `continued`, instrumented again inside `untraced` work.
Spans whose peer exports no trace of its own (the outbox, the ledger over SFTP/SSH) carry ``peer.service``.
"""

from __future__ import annotations

import atexit
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, Span, SpanKind

ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"
EXPORT_DELAY_MS = 100
_state: dict[str, Any] = {"enabled": False}
_tracer = trace.get_tracer("orderflow")


def enabled() -> bool:
    return bool(_state["enabled"])


def setup(service: str) -> bool:
    """Export this process's spans as `service` when an OTLP endpoint is configured; True if so."""
    if _state["enabled"] or not (os.environ.get(ENDPOINT_VARIABLE) or "").strip():
        return enabled()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.pika import PikaInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}), sampler=sampler())
    exporter = OTLPSpanExporter(session=direct_session())
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=EXPORT_DELAY_MS))
    trace.set_tracer_provider(provider)
    atexit.register(provider.shutdown)  # the last spans leave before the process does
    HTTPXClientInstrumentor().instrument()
    PikaInstrumentor().instrument()
    _state["enabled"] = True
    return True


def sampler() -> Sampler:
    """What orderflow records: traces from an entry point (or a caller that sampled them), less the noise."""
    return _Sampler(ParentBased(_EntryPoints()))


def direct_session() -> Any:
    """The exporter's HTTP session, posting to the one endpoint it is given: no proxy variables or ``.netrc``
    looked up at every export (requests' environment lookups were a quarter of the CPU of a post)."""
    import requests

    session = requests.Session()
    session.trust_env = False
    return session


class _Sampler(Sampler):
    """Drops leaves that say nothing a test asks about, else asks `parent_based`: ASGI's per-message spans
    (``http send``/``http receive``) and SQLAlchemy's ``connect`` (a pool checkout, not a round trip)."""

    def __init__(self, parent_based: Sampler) -> None:
        self.parent_based = parent_based

    def should_sample(self, parent_context: Any, trace_id: int, name: str, kind: Any = None, *rest: Any) -> Any:
        if (kind == SpanKind.INTERNAL and name.endswith((" http send", " http receive"))) or (
            kind == SpanKind.CLIENT and name == "connect"
        ):
            return SamplingResult(Decision.DROP)
        return self.parent_based.should_sample(parent_context, trace_id, name, kind, *rest)

    def get_description(self) -> str:
        return "orderflow"


class _EntryPoints(Sampler):
    """Samples a trace that starts at an entry point (a request or a message received), nothing else."""

    def should_sample(
        self,
        parent_context: Any,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Any = None,
        links: Sequence[Link] | None = None,
        trace_state: Any = None,
    ) -> Any:
        keep = kind in (SpanKind.SERVER, SpanKind.CONSUMER)
        return SamplingResult(Decision.RECORD_AND_SAMPLE if keep else Decision.DROP, attributes)

    def get_description(self) -> str:
        return "EntryPoints"


def instrument_app(app: Any) -> Any:
    """What the server runs for a Starlette app: its server spans (continuing the caller's ``traceparent``), and
    the instrumentations suppressed for a request whose trace is not sampled; `app` itself when off."""
    if not enabled():
        return app
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor

    StarletteInstrumentor.instrument_app(app)
    return _SkipUnsampled(app)


_UNSAMPLED = re.compile(rb"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]([02468ace])$")


class _SkipUnsampled:
    """The outermost ASGI layer: the instrumentations sit out a request whose caller did not sample its trace."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and _not_sampled(scope["headers"]):
            with untraced():
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _not_sampled(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"traceparent":
            return _UNSAMPLED.match(value.strip().lower()) is not None
    return False


def instrument_engine(engine: Any) -> None:
    """A span per SQL statement of `engine` (``db.system``, ``db.statement``); nothing when off."""
    if enabled():
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        # Its declared range stops below SQLAlchemy 2.1; the engine events it uses are unchanged there.
        SQLAlchemyInstrumentor().instrument(engine=engine, enable_commenter=False, skip_dep_check=True)


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the span in progress, to keep with work that continues it later."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def untraced() -> Iterator[None]:
    """Work that records no trace (a background poll, a request not sampled): the instrumentations sit out,
    but for the spans `continued` inside it."""
    if not enabled():
        yield
        return
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    with suppress_instrumentation():
        yield


@contextmanager
def continued(
    traceparent: str | None, name: str, links: Sequence[str | None] = (), **attributes: Any
) -> Iterator[Span]:
    """An internal span resuming the trace of `traceparent` (a stored one), linked to `links`' traces."""
    fresh = context.Context()  # not the current one: instrumented again inside `untraced` work
    parent = propagate.extract({"traceparent": traceparent}, fresh) if traceparent else fresh
    linked = [
        Link(trace.get_current_span(propagate.extract({"traceparent": tp})).get_span_context()) for tp in links if tp
    ]
    token = context.attach(parent)
    try:
        with _tracer.start_as_current_span(name, links=linked, attributes=attributes) as span:
            yield span
    finally:
        context.detach(token)


@contextmanager
def client_span(name: str, peer: str, **attributes: Any) -> Iterator[Span]:
    """A client span to a peer that exports no spans itself (``peer.service``: outbox, ledger)."""
    with _tracer.start_as_current_span(
        name, kind=SpanKind.CLIENT, attributes={"peer.service": peer, **attributes}
    ) as span:
        yield span


@contextmanager
def producer_span(message_type: str, peer: str) -> Iterator[str | None]:
    """A producer span for one message written to `peer`; yields the ``traceparent`` the message keeps."""
    attributes = {
        "peer.service": peer,
        "messaging.system": peer,
        "messaging.operation.type": "publish",
        "messaging.destination.name": message_type,
    }
    with _tracer.start_as_current_span(f"publish {message_type}", kind=SpanKind.PRODUCER, attributes=attributes):
        yield current_traceparent()
