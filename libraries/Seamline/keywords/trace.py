"""The timeline of the current test: look at it, log it as a waterfall, check that it crossed a seam."""

from __future__ import annotations

from robot.api.deco import keyword

from ..engine.timeline import Span
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
