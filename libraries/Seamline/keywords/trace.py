"""The timeline of the current test: look at it, log it as a waterfall, check that it crossed a seam, and
receive the spans the systems under test export (OTLP receiver or Jaeger)."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

from robot.api.deco import keyword

from ..engine.timeline import Span
from ..engine.trace.otlp import OtlpReceiver, parse_listen
from ..engine.trace.receiver import TraceIncomplete, TraceJoin
from ..engine.trace.waterfall import render_waterfall
from .base import SeamKeywords


class TraceKeywords(SeamKeywords):
    """The timeline: spans of the current test and the waterfall."""

    SEAM = "Timeline"

    @keyword
    def get_timeline(self, system: str | None = None, operation: str | None = None) -> list[Span]:
        """Returns the spans of the current test, oldest first, optionally of one ``system``/``operation``.

        Each span has ``system``, ``operation``, ``target``, ``start``, ``duration`` (seconds),
        ``bytes_sent``, ``bytes_received``, ``outcome``, ``correlation_id`` and ``attributes``.

        | ${spans} = | `Get Timeline` | system=http |
        | Length Should Be | ${spans} | 2 |
        """
        return self.timeline.select(system, operation)

    @keyword
    def log_timeline(self, title: str = "Timeline") -> None:
        """Logs the current test's spans as an SVG waterfall (hover a row for its details).

        The waterfall is also drawn at the end of every test that has spans, unless the library was
        imported with ``waterfall=False`` (or ``waterfall=failures``: failed tests only); see `Hops`.

        | `Log Timeline` | Order journey |
        """
        self.info(render_waterfall(self.timeline.spans, self.masker, self.masker.text(title)), html=True)

    @keyword
    def timeline_should_contain(
        self, system: str, operation: str | None = None, target: str | None = None, msg: str | None = None
    ) -> Span:
        """Fails unless the current test crossed ``system`` (and ``operation``, ``target`` when given).

        ``system`` and ``operation`` are names (``http`` ``GET``, ``sql`` ``select``, ``sftp`` ``put``)
        matched exactly; ``target`` is found anywhere in the span's target (a URL, a table, a path).
        Returns the first matching span. The failure lists the spans recorded; ``msg`` replaces it.

        | `Timeline Should Contain` | http | GET | /api/orders |
        | ${span} = | `Timeline Should Contain` | sql | select | orders | msg=the order was never read back |
        """
        spans = self.timeline.select(system, operation)
        matching = [span for span in spans if target is None or target in span.target]
        if not matching:
            seen = "\n".join(f"  {s.system} {s.operation} {s.target} ({s.outcome})" for s in self.timeline.spans)
            wanted = " ".join(part for part in (system, operation, target) if part)
            self.fail(f"no span '{wanted}'. Spans recorded:\n{self.cut(seen) or '  (none)'}", msg)
        return matching[0]

    @keyword
    def start_trace_receiver(self, listen: str = "127.0.0.1:0") -> str:
        """Starts the OTLP/HTTP trace receiver on ``listen`` and returns its endpoint URL.

        Give the endpoint to the systems under test as ``OTEL_EXPORTER_OTLP_ENDPOINT`` (they export to
        ``<endpoint>/v1/traces``, protobuf or JSON, gzip or not). Port 0 picks a free port. When a receiver
        runs already (``Library    Seamline    traces=otlp`` or an earlier call), returns its endpoint.
        The receiver lives until `Stop Trace Receiver` or the end of the run.

        | ${endpoint} = | `Start Trace Receiver` |
        """
        current = self.ctx.traces
        endpoint = getattr(current.source, "endpoint", None) if current else None
        if endpoint:
            self.info(f"Trace receiver already listening at {endpoint}")
            return endpoint
        receiver = OtlpReceiver(*parse_listen(listen))
        if current is not None:
            current.source.close()
        self.ctx.traces = TraceJoin(receiver)
        self.info(f"Trace receiver listening at {receiver.endpoint}")
        return receiver.endpoint

    @keyword
    def stop_trace_receiver(self) -> None:
        """Stops receiving traces (the OTLP receiver, or the Jaeger source given at import).

        Spans already joined stay in their tests' timelines.

        | `Stop Trace Receiver` |
        """
        current, self.ctx.traces = self.ctx.traces, None
        if current is None:
            self.info("No trace receiver was running")
            return
        current.source.close()
        self.info(f"Stopped receiving traces from {current.source.description}")

    @keyword
    def wait_for_trace(
        self,
        timeout: timedelta | None = None,
        services: str | list[str] | None = None,
        quiet: timedelta | str = "300ms",
        msg: str | None = None,
    ) -> list[Span]:
        """Waits until the spans of the current test's traces have arrived, joins them and returns them.

        The traces are those of the test's own calls (`Call Api` sends a W3C ``traceparent``). They are
        complete when at least one span arrived, every span's parent is known (a received span or one of
        the test's calls), every service in ``services`` (comma-separated ``service.name`` values) sent a
        span, and no new span arrived for ``quiet`` (keep it longer than the exporters' batch delay).
        The spans join the test's timeline under the call that caused them (`Get Timeline`). Fails at
        ``timeout`` saying what was missing and what did arrive; ``msg`` replaces that message.

        | `Call Api` | POST | /api/orders | json=${order} |
        | ${spans} = | `Wait For Trace` | services=orders,inventory | timeout=5s |
        """
        join = self.ctx.traces
        if join is None:
            self.fail(
                "no trace source: import Seamline with traces=otlp (or traces=jaeger:<URL>) "
                "or call Start Trace Receiver first"
            )
        names = [name.strip() for name in services.split(",")] if isinstance(services, str) else services or []
        started = time.monotonic()
        try:
            spans = join.wait(
                self.timeline, self.seconds(timeout), [name for name in names if name], self.duration(quiet, "quiet")
            )
        except TraceIncomplete as incomplete:
            self.fail(incomplete.detail, msg)
        counts = Counter(span.service for span in spans)
        shown = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
        self.info(f"Trace complete in {time.monotonic() - started:.2f}s: {len(spans)} spans ({shown}).")
        return spans
