"""Timeline and trace context for `requests` sessions that Seamline did not create (RequestsLibrary's).

`trace_session` wraps each transport adapter mounted on a session: every request it sends gets the
correlation id and ``traceparent`` that `Call Api` sends (unless the caller gave its own) and becomes an
``http`` span filled as `Call Api` fills its own. Only requests' public adapter interface is used: the
session, its other adapters' settings (retries, pools) and its callers see no difference.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import BaseAdapter

from ..masking import Masker
from ..timeline import Timeline
from .session import add_trace_headers
from .spans import fill_http_span


class TracedAdapter(BaseAdapter):
    """A transport adapter that sends through another one and records each request as a span."""

    def __init__(self, inner: BaseAdapter, timeline: Timeline, masker: Masker):
        super().__init__()
        self.inner = inner
        self.timeline = timeline
        self.masker = masker

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        add_trace_headers(request.headers)
        with self.timeline.span("http", str(request.method), self.masker.url(request.url)) as span:
            response = self.inner.send(
                request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
            )
            # The body is read here, as requests would read it next, so that the span covers it; a stream is the
            # caller's to read, and counts what its Content-Length says.
            fill_http_span(span, request, response, _announced_length(response) if stream else None)
        return response

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # Settings of the wrapped adapter (max_retries, pool sizes...) stay readable where callers look for them.
        if name == "inner":  # not set yet (a copy being built): no wrapped adapter to ask
            raise AttributeError(name)
        return getattr(self.inner, name)


def trace_session(session: requests.Session, timeline: Timeline, masker: Masker) -> bool:
    """Wrap every adapter of `session` not wrapped yet; True when one was (the session is traced from now on)."""
    wrapped = False
    for prefix, adapter in list(session.adapters.items()):
        if not isinstance(adapter, TracedAdapter):
            session.adapters[prefix] = TracedAdapter(adapter, timeline, masker)
            wrapped = True
    return wrapped


def _announced_length(response: requests.Response) -> int:
    length = response.headers.get("Content-Length", "")
    return int(length) if length.isdigit() else 0
