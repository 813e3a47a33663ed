"""The same spans fetched by trace id from a Jaeger query API, for deployments with a tracing backend.

``GET <base>/api/traces/<trace id>`` answers ``{"data": [{"traceID", "spans": [...], "processes": {...}}]}``
(times in microseconds, the parent in ``references`` as ``CHILD_OF``, attributes as ``tags``, the service
in the span's process); a trace not stored yet answers 404. Each fetch is one HTTP call bounded by the
wall-clock deadline of engine/api (the one timing-out rule). Fetched spans are kept until the test ends,
so joining them at the end of a test needs no further call.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import requests

from ..api.deadline import CallDeadline, DeadlineAdapter, bounded
from ..errors import SeamError
from ..timeline import Span
from .receiver import SEAM, flatten, received_span

_KINDS = {"server", "client", "producer", "consumer", "internal"}


def spans_of_trace(trace: dict[str, Any]) -> list[Span]:
    """Timeline spans of one trace of a Jaeger API answer."""
    processes = trace.get("processes") or {}
    spans = []
    for item in trace.get("spans") or []:
        tags = flatten({tag["key"]: tag.get("value") for tag in item.get("tags") or []})
        kind = str(tags.pop("span.kind", "internal")).lower()
        status = str(tags.pop("otel.status_code", "")).upper()
        failed = status == "ERROR" or tags.get("error") in (True, "true")
        parent = next((ref["spanID"] for ref in item.get("references") or [] if ref.get("refType") == "CHILD_OF"), None)
        process = processes.get(item.get("processID"), {})
        start = int(item.get("startTime", 0)) / 1e6
        spans.append(
            received_span(
                trace_id=str(item["traceID"]).zfill(32),
                span_id=str(item["spanID"]).zfill(16),
                parent_id=str(parent).zfill(16) if parent else None,
                name=str(item.get("operationName", "")),
                kind=kind if kind in _KINDS else "internal",
                start=start,
                duration=int(item.get("duration", 0)) / 1e6,
                attributes=tags,
                service=str(process.get("serviceName") or "unknown_service"),
                error=str(tags.pop("otel.status_description", "ERROR")) if failed else None,
            )
        )
    return spans


class JaegerSource:
    """Spans by trace id from a Jaeger query service (``http://jaeger:16686``)."""

    poll_interval = 0.25

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.description = f"Jaeger at {self.url}"
        self._fetched: dict[str, list[Span]] = {}
        self._http = requests.Session()
        self._http.mount("http://", DeadlineAdapter(max_retries=0))
        self._http.mount("https://", DeadlineAdapter(max_retries=0))

    def fetch(self, trace_id: str, timeout: float) -> list[Span]:
        """The spans Jaeger holds for `trace_id` now (none when it answers 404: not stored yet)."""
        url = f"{self.url}/api/traces/{trace_id}"
        deadline = CallDeadline(timeout)
        try:
            with bounded(deadline):
                response = self._http.get(url, timeout=timeout)
        except requests.RequestException as error:
            late = " (deadline passed)" if deadline.expired else ""
            raise SeamError(SEAM, f"GET {url} failed{late}: {type(error).__name__}: {error}") from None
        if response.status_code == 404:
            return []
        if not response.ok:
            raise SeamError(SEAM, f"GET {url} answered {response.status_code}: {response.text[:200]}")
        try:
            traces = response.json().get("data") or []
            return [span for trace in traces for span in spans_of_trace(trace)]
        except (ValueError, AttributeError, KeyError, TypeError) as error:
            raise SeamError(SEAM, f"GET {url} did not answer a Jaeger trace: {type(error).__name__}: {error}") from None

    def spans_of(self, trace_ids: Iterable[str], timeout: float) -> list[Span]:
        ids = list(trace_ids)
        if timeout > 0:
            ends = time.monotonic() + timeout
            for trace_id in ids:
                self._fetched[trace_id] = self.fetch(trace_id, max(0.05, ends - time.monotonic()))
        return [span for trace_id in ids for span in self._fetched.get(trace_id, [])]

    def forget(self, trace_ids: Iterable[str]) -> None:
        for trace_id in trace_ids:
            self._fetched.pop(trace_id, None)

    def close(self) -> None:
        self._http.close()
