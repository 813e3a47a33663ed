"""The timeline: every boundary crossing of a test is a span, so hops can be seen and measured."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any

# The attribute, False, of a client span whose traceparent was not sampled (flags 00): no spans will join it.
NOT_SAMPLED = "trace.sampled"


@dataclass
class Span:
    """One boundary crossing: who was called, how, how long it took and how it ended."""

    system: str
    operation: str
    target: str
    start: float
    duration: float = 0.0
    bytes_sent: int = 0
    bytes_received: int = 0
    outcome: str = "ok"
    correlation_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    # W3C trace context (hex ids): a client span Seamline sent carries the ids of the traceparent it sent;
    # spans received from the system (OTLP, Jaeger) carry their own, and nest under their parent.
    trace_id: str | None = None
    span_id: str | None = None
    parent_id: str | None = None
    # Who did the work: "test" for what the test itself sent, else the service that exported the span.
    service: str = "test"
    # OpenTelemetry's span kind, lower case: client, server, internal, producer, consumer.
    kind: str = "client"

    @property
    def end(self) -> float:
        return self.start + self.duration

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def sampled(self) -> bool:
        """False for a call whose ``traceparent`` asked the system to record nothing (`NOT_SAMPLED`)."""
        return self.attributes.get(NOT_SAMPLED) is not False

    def to_dict(self) -> dict[str, Any]:
        """The span's fields as a dict of its own (its attributes copied, their values shared)."""
        data = {name: getattr(self, name) for name in _SPAN_FIELDS}
        data["attributes"] = dict(self.attributes)
        return data


_SPAN_FIELDS = tuple(spec.name for spec in fields(Span))


class Timeline:
    """The spans of one test, in the order they started. Thread-safe: proxies record from threads."""

    def __init__(self) -> None:
        self._spans: list[Span] = []
        self._lock = threading.Lock()

    def add(self, span: Span) -> Span:
        with self._lock:
            self._spans.append(span)
        return span

    def record(self, system: str, operation: str, target: str, start: float, duration: float, **details: Any) -> Span:
        """Add a span that was measured elsewhere (`start` is epoch seconds)."""
        return self.add(Span(system, operation, target, start, duration, **details))

    @contextmanager
    def span(self, system: str, operation: str, target: str, correlation_id: str | None = None) -> Iterator[Span]:
        """Measure the block as one span; an exception marks it failed and propagates."""
        current = Span(system, operation, target, time.time(), correlation_id=correlation_id)
        started = time.perf_counter()
        try:
            yield current
        except BaseException as error:
            current.outcome = f"error: {type(error).__name__}"
            raise
        finally:
            current.duration = time.perf_counter() - started
            self.add(current)

    @property
    def spans(self) -> list[Span]:
        with self._lock:
            return sorted(self._spans, key=lambda span: span.start)

    def select(self, system: str | None = None, operation: str | None = None) -> list[Span]:
        return [
            span
            for span in self.spans
            if (system is None or span.system == system) and (operation is None or span.operation == operation)
        ]

    def clear(self) -> list[Span]:
        """Forget every span and return them (the end of one test, the start of the next)."""
        with self._lock:
            spans, self._spans = self._spans, []
        return sorted(spans, key=lambda span: span.start)

    def __len__(self) -> int:
        return len(self._spans)
