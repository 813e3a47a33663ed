"""An SQL statement as a span of the timeline: one way for Seamline's own keywords and for other libraries'."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from ..timeline import Span, Timeline

# The statement kept on a span (the metrics file and the waterfall's tooltip show it).
SPAN_STATEMENT_LIMIT = 300

T = TypeVar("T")


def statement_span(
    timeline: Timeline,
    operation: str,
    target: str,
    statement: str,
    started: float,
    duration: float,
    outcome: str = "ok",
    rows: int | None = None,
    **attributes: Any,
) -> Span:
    """Record one statement (`started` epoch seconds, `duration` seconds): its text, rows and other attributes."""
    details: dict[str, Any] = {"statement": statement[:SPAN_STATEMENT_LIMIT], **attributes}
    if rows is not None:
        details["rows"] = rows
    return timeline.record("sql", operation, target, started, duration, outcome=outcome, attributes=details)


def timed_statement(timeline: Timeline, operation: str, target: str, statement: str, action: Callable[[], T]) -> T:
    """Run `action` as one span (measured by hand, not with `Timeline.span`: this is every query's hot path).

    Its rows are the length of the list it returns (rows read) or the count it returns (rows changed).
    """
    started, clock = time.time(), time.perf_counter()
    outcome, result = "ok", None
    try:
        result = action()
        return result
    except BaseException as error:
        outcome = f"error: {type(error).__name__}"
        raise
    finally:
        statement_span(
            timeline, operation, target, statement, started, time.perf_counter() - clock, outcome, rows_of(result)
        )


def rows_of(result: Any) -> int | None:
    """The rows a statement's result stands for: rows read (a list) or changed (a count); None for others."""
    if isinstance(result, list):
        return len(result)
    if isinstance(result, int) and not isinstance(result, bool):
        return result
    return None
