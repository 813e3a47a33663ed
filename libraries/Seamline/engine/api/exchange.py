"""One HTTP request and its answer as a span on the timeline: what `Call Api` and `Call Api Concurrently` send.

Plain code without logging, so it runs in any thread (the timeline is thread-safe; Robot's logger is not).
"""

from __future__ import annotations

from typing import Any

import requests

from ..timeline import Timeline
from .session import CORRELATION_HEADER, ApiSession, server_timing, trace_ids_of


def exchange(
    session: ApiSession, timeline: Timeline, method: str, url: str, shown_url: str, **send: Any
) -> requests.Response:
    """Send one request through `session` (`send` are ApiSession.send's arguments) and record its span.

    The span carries the correlation id and W3C ids the request sent, the bytes each way, the status and
    the services' Server-Timing; a 5xx marks it failed, and so does a request that got no answer (its
    SeamError propagates).
    """
    with timeline.span("http", method.upper(), shown_url) as span:
        response = session.send(method, url, **send)
        request = response.request
        span.correlation_id = request.headers.get(CORRELATION_HEADER)
        span.trace_id, span.span_id = trace_ids_of(request.headers.get("traceparent"))
        span.bytes_sent = body_length(request.body)
        span.bytes_received = len(response.content)
        span.attributes["status"] = response.status_code
        timings = server_timing(response.headers.get("Server-Timing"))
        if timings:
            span.attributes["server_timing"] = timings
        if response.status_code >= 500:
            span.outcome = f"status {response.status_code}"
    return response


def body_length(body: Any) -> int:
    if body is None:
        return 0
    return len(body) if isinstance(body, (bytes, str)) else 0
