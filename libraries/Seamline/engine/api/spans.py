"""An HTTP call as a span of the timeline: one filling for `Call Api` and for requests sent by other libraries."""

from __future__ import annotations

import time
from typing import Any

import requests

from ..masking import Masker
from ..timeline import NOT_SAMPLED, Span, Timeline
from .session import CORRELATION_HEADER, is_sampled, server_timing, trace_ids_of


def fill_http_span(
    span: Span, request: requests.PreparedRequest, response: requests.Response, bytes_received: int | None = None
) -> None:
    """What a request and its response tell the span: trace ids sent, bytes, status, the services' Server-Timing.

    `bytes_received` is the body's length (read here when not given: give it for a streamed body left unread).
    """
    span.correlation_id = request.headers.get(CORRELATION_HEADER)
    traceparent = request.headers.get("traceparent")
    span.trace_id, span.span_id = trace_ids_of(traceparent)
    if not is_sampled(traceparent):
        span.attributes[NOT_SAMPLED] = False
    span.bytes_sent = body_length(request.body)
    span.bytes_received = len(response.content) if bytes_received is None else bytes_received
    span.attributes["status"] = response.status_code
    timings = server_timing(response.headers.get("Server-Timing"))
    if timings:
        span.attributes["server_timing"] = timings
    if response.status_code >= 500:
        span.outcome = f"status {response.status_code}"


def record_response(timeline: Timeline, masker: Masker, response: requests.Response) -> Span:
    """A span for a call that was measured elsewhere: it ended now and took the response's `elapsed`."""
    duration = response.elapsed.total_seconds()
    request = response.request
    span = Span("http", str(request.method), masker.url(request.url), time.time() - duration, duration)
    fill_http_span(span, request, response)
    return timeline.add(span)


def body_length(body: Any) -> int:
    """The bytes of a request body requests prepared (0 for none, or for a stream of unknown length)."""
    if body is None:
        return 0
    if isinstance(body, str):
        return len(body.encode())
    return len(body) if isinstance(body, bytes) else 0
