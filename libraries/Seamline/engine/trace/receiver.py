"""Spans received from the systems under test, and how they join the test that caused them.

A system that exports OpenTelemetry spans (over OTLP to `otlp.OtlpReceiver`, or kept in a tracing
backend that `jaeger.JaegerSource` queries) tells what happened inside it. Its spans become timeline
`Span`s here: the seam (`system`) comes from the span's attributes (``db.system`` -> ``sql``,
``messaging.system`` -> ``amqp`` or ``messaging``, HTTP attributes -> ``http``...), `service` is the
exporter's ``service.name``. They join a test by trace id: the test's own client spans carry the ids of
the ``traceparent`` they sent, and every span of those traces nests under them by `parent_id`.

A test's traces are complete (`problems` is empty) when at least one span arrived, every received span's
parent is known (received too, or one of the test's client spans), every service the test names is present,
and no new span arrived for a quiet period longer than the exporters' batch delay.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import SeamError
from ..timeline import Span, Timeline
from ..waiting import WaitTimedOut, poll

SEAM = "Timeline"
# Traces kept at most by a receiver; beyond it, the oldest trace is dropped (and counted).
MAX_TRACES = 5000
_TABLE = re.compile(r"\b(?:from|into|update|join|table)\s+[\"`\[]?([\w.]+)", re.IGNORECASE)
_AMQP_SYSTEMS = {"rabbitmq", "amqp"}
_SSH_PROTOCOLS = {"sftp", "ssh", "scp"}


def flatten(attributes: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested attribute maps as one level of dotted names (``{"a": {"b": 1}}`` -> ``{"a.b": 1}``)."""
    flat: dict[str, Any] = {}
    for key, value in attributes.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def seam_of(name: str, attributes: Mapping[str, Any]) -> tuple[str, str, str]:
    """The (system, operation, target) of a received span, read from its OpenTelemetry attributes."""
    get = attributes.get
    if get("db.system") or get("db.system.name"):
        statement = str(get("db.query.text") or get("db.statement") or "")
        # Some instrumentations write "INSERT <database>" as the operation: its first word is the verb.
        operation = (str(get("db.operation.name") or get("db.operation") or statement).split() or [name])[0]
        table = _TABLE.search(statement)
        target = get("db.collection.name") or get("db.sql.table") or (table.group(1) if table else get("db.name"))
        return "sql", operation.lower(), str(target or "")
    messaging = get("messaging.system")
    if messaging:
        system = "amqp" if str(messaging).lower() in _AMQP_SYSTEMS else "messaging"
        operation = get("messaging.operation.type") or get("messaging.operation") or name
        target = get("messaging.destination.name") or get("messaging.destination") or ""
        return system, str(operation), str(target)
    method = get("http.request.method") or get("http.method")
    if method:
        route = get("http.route")
        path = get("url.path") or str(get("http.target") or "").split("?")[0]
        if not route or (":path}" in str(route) and path):  # a catch-all route says less than the path
            route = path or get("url.full") or get("http.url")
        return "http", str(method).upper(), str(route or "")
    protocol = str(get("network.protocol.name") or get("rpc.system") or "").lower()
    if protocol in _SSH_PROTOCOLS:
        operation = get("rpc.method") or name.split()[-1]
        return protocol, str(operation), str(get("file.path") or get("server.address") or "")
    return "internal", name, ""


def received_span(
    *,
    trace_id: str,
    span_id: str,
    parent_id: str | None,
    name: str,
    kind: str,
    start: float,
    duration: float,
    attributes: Mapping[str, Any],
    service: str,
    error: str | None = None,
) -> Span:
    """A timeline span for one span a system exported (start in epoch seconds, duration in seconds, hex ids)."""
    system, operation, target = seam_of(name, attributes)
    return Span(
        system,
        operation,
        target,
        start,
        max(0.0, duration),
        outcome="ok" if error is None else f"error: {error}",
        attributes={"span.name": name, **attributes},
        trace_id=trace_id,
        span_id=span_id,
        parent_id=parent_id or None,
        service=service,
        kind=kind,
    )


class TraceIncomplete(SeamError):
    """`TraceJoin.wait` ran out of time: the message says what was missing and what did arrive."""


# A received span, or how to make it: most spans a receiver gets belong to no test, so they are built on demand.
Entry = Span | Callable[[], Span]


class SpanStore:
    """Received spans by trace id, bounded: beyond `max_traces` the oldest trace is dropped."""

    def __init__(self, max_traces: int = MAX_TRACES):
        self.max_traces = max_traces
        self.dropped_traces = 0
        self.received = 0
        self._traces: OrderedDict[str, dict[str, Entry]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, spans: Iterable[Span]) -> int:
        return self.add_entries((span.trace_id, span.span_id, span) for span in spans if span.trace_id and span.span_id)

    def add_entries(self, entries: Iterable[tuple[str, str, Entry]]) -> int:
        """Keep (trace id, span id, span or a function making it) entries; a span id seen again replaces."""
        count = 0
        with self._lock:
            for trace_id, span_id, entry in entries:
                trace = self._traces.get(trace_id)
                if trace is None:
                    trace = self._traces[trace_id] = {}
                    while len(self._traces) > self.max_traces:
                        self._traces.popitem(last=False)
                        self.dropped_traces += 1
                trace[span_id] = entry
                count += 1
            self.received += count
        return count

    def spans_of(self, trace_ids: Iterable[str]) -> list[Span]:
        found = []
        with self._lock:
            for trace_id in trace_ids:
                trace = self._traces.get(trace_id, {})
                for span_id, entry in trace.items():
                    if not isinstance(entry, Span):
                        entry = trace[span_id] = entry()
                    found.append(entry)
        return found

    def forget(self, trace_ids: Iterable[str]) -> None:
        with self._lock:
            for trace_id in trace_ids:
                self._traces.pop(trace_id, None)


class TraceSource(Protocol):
    """Where received spans come from: the embedded OTLP receiver, or a tracing backend."""

    description: str
    # How often a wait looks again: spans in memory are cheap to look at, a remote backend is not.
    poll_interval: float

    def spans_of(self, trace_ids: Iterable[str], timeout: float) -> list[Span]:
        """The spans of these traces known now; a `timeout` > 0 lets a remote source fetch them first."""
        ...

    def forget(self, trace_ids: Iterable[str]) -> None: ...

    def close(self) -> None: ...


def test_traces(timeline: Timeline) -> tuple[set[str], set[str]]:
    """The trace ids a test's own client spans started, and those spans' ids (calls sent unsampled left out:
    the system records nothing of their traces)."""
    own = [span for span in timeline.spans if span.service == "test" and span.trace_id and span.sampled]
    return {span.trace_id for span in own if span.trace_id}, {span.span_id for span in own if span.span_id}


def problems(spans: list[Span], client_ids: set[str], services: Iterable[str] = ()) -> list[str]:
    """Why the received `spans` of a test's traces are not complete yet (empty: complete but for quiet)."""
    if not spans:
        return ["no span has arrived"]
    known = client_ids | {span.span_id for span in spans if span.span_id}
    found = []
    orphans = [span for span in spans if span.parent_id and span.parent_id not in known]
    for span in orphans[:3]:
        name = span.attributes.get("span.name", span.operation)
        found.append(f"{span.service} '{name}' waits for its parent span {span.parent_id}")
    if len(orphans) > 3:
        found.append(f"{len(orphans) - 3} more spans wait for their parents")
    present = {span.service for span in spans}
    missing = [service for service in services if service not in present]
    if missing:
        found.append(f"no span from {', '.join(missing)}")
    return found


@dataclass
class _Look:
    spans: list[Span]
    problems: list[str]
    quiet_for: float


class _Arrivals:
    """How long the set of received spans has stayed the same, seen from one look to the next."""

    def __init__(self) -> None:
        self.ids: frozenset[str] = frozenset()
        self.changed = time.monotonic()

    def quiet_for(self, spans: list[Span]) -> float:
        ids = frozenset(span.span_id for span in spans if span.span_id)
        if ids != self.ids:
            self.ids, self.changed = ids, time.monotonic()
        return time.monotonic() - self.changed


class TraceJoin:
    """Joins the spans of a source into each test's timeline: waiting for them, or as they are."""

    def __init__(self, source: TraceSource):
        self.source = source

    def join(self, timeline: Timeline, spans: list[Span] | None = None, timeout: float = 1.0) -> int:
        """Add the received spans of the test's traces that its timeline lacks; returns how many."""
        trace_ids, _ = test_traces(timeline)
        if not trace_ids:
            return 0
        if spans is None:
            spans = self.source.spans_of(trace_ids, timeout)
        present = {span.span_id for span in timeline.spans if span.service != "test"}
        added = [span for span in spans if span.span_id not in present]
        for span in added:
            timeline.add(span)
        return len(added)

    def finish(self, timeline: Timeline) -> int:
        """The end of a test: join what has arrived, without waiting or fetching, and forget those traces."""
        trace_ids, _ = test_traces(timeline)
        if not trace_ids:
            return 0
        added = self.join(timeline, self.source.spans_of(trace_ids, 0.0))
        self.source.forget(trace_ids)
        return added

    def wait(self, timeline: Timeline, timeout: float, services: Iterable[str] = (), quiet: float = 0.3) -> list[Span]:
        """Wait until the test's traces are complete (see the module), join them and return their spans."""
        trace_ids, client_ids = test_traces(timeline)
        if not trace_ids:
            raise SeamError(
                SEAM, "this test sent no traced call yet: Wait For Trace waits for the spans its calls caused"
            )
        wanted = list(dict.fromkeys(services))
        deadline = time.monotonic() + timeout
        arrivals = _Arrivals()

        def look() -> _Look:
            spans = self.source.spans_of(trace_ids, max(0.1, deadline - time.monotonic()))
            return _Look(spans, problems(spans, client_ids, wanted), arrivals.quiet_for(spans))

        try:
            result = poll(
                look,
                lambda seen: not seen.problems and seen.quiet_for >= quiet,
                timeout=timeout,
                interval=self.source.poll_interval,
            )
        except WaitTimedOut as timed_out:
            last: _Look | None = timed_out.last
            raise TraceIncomplete(SEAM, self._incomplete(timeout, last, trace_ids)) from None
        self.join(timeline, result.spans)
        return result.spans

    def _incomplete(self, timeout: float, last: _Look | None, trace_ids: set[str]) -> str:
        traces = ", ".join(sorted(trace_ids)[:3]) + (f" and {len(trace_ids) - 3} more" if len(trace_ids) > 3 else "")
        reasons = last.problems if last and last.problems else ["spans kept arriving"]
        seen = ""
        if last and last.spans:
            by_service: dict[str, int] = {}
            for span in last.spans:
                by_service[span.service] = by_service.get(span.service, 0) + 1
            seen = " Received: " + ", ".join(f"{count} from {name}" for name, count in sorted(by_service.items())) + "."
        return (
            f"the trace of this test (trace {traces}) was not complete within {timeout:g}s from "
            f"{self.source.description}: {'; '.join(reasons)}.{seen}"
        )
