"""One HTTP request and its answer as a span on the timeline: what `Call Api` and `Call Api Concurrently` send.

Plain code without logging, so it runs in any thread (the timeline is thread-safe; Robot's logger is not).
"""

from __future__ import annotations

from typing import Any

import requests

from ..timeline import Timeline
from .session import ApiSession
from .spans import fill_http_span


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
        fill_http_span(span, response.request, response)
    return response
