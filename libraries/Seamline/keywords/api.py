"""HTTP APIs: sessions, calls, JSON fields, polling and pagination (issue 4)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret
from robot.output.loglevel import LEVELS
from robot.running.context import EXECUTION_CONTEXTS

from ..engine.api.session import (
    CORRELATION_HEADER,
    ApiSession,
    ExpectedStatus,
    json_body,
    response_json,
    same_value,
    server_timing,
)
from ..engine.context import SeamContext
from ..engine.errors import SeamError
from ..engine.jsonpath import find_one
from ..engine.waiting import WaitStopped, WaitTimedOut, poll
from .base import SeamKeywords

_MISSING = object()
FAILURE_BODY_LIMIT = 500
DEBUG_PRIORITY = LEVELS["DEBUG"]


def _debug_logged() -> bool:
    """Whether DEBUG messages reach the log: bodies are masked and logged only then (masking costs per call).

    Reads the running context's level (0.2 µs) rather than `${LOG_LEVEL}` through BuiltIn (16 µs a call).
    """
    context = EXECUTION_CONTEXTS.current
    return context is not None and context.output.log_level.priority <= DEBUG_PRIORITY


class ApiKeywords(SeamKeywords):
    """HTTP APIs: sessions, calls, JSON fields, polling and pagination (issue 4)."""

    SEAM = "HTTP"

    def __init__(self, ctx: SeamContext):
        super().__init__(ctx)

    @property
    def sessions(self):
        return self.ctx.seam("HTTP", "Connect To Api", close=ApiSession.close)

    @keyword
    def connect_to_api(
        self,
        base_url: str,
        alias: str = "default",
        headers: dict[str, Any] | None = None,
        auth: Secret | str | list | dict | None = None,
        timeout: timedelta = timedelta(seconds=10),
        verify: bool | Path = True,
        connect_timeout: timedelta | None = None,
    ) -> None:
        """Opens a pooled HTTP session to ``base_url`` as ``alias`` and makes it the current one.

        ``auth`` is one of (each value a ``Secret`` or a plain string):
        - a token: sent as ``Authorization: Bearer <token>``;
        - a list ``bearer  TOKEN``, ``basic  USER  PASSWORD`` or ``header  NAME  VALUE`` (an API key);
        - a dictionary of headers, e.g. ``X-Api-Key=${KEY}``.

        ``headers`` are sent with every call. ``timeout`` is the read timeout of each call and,
        unless ``connect_timeout`` is given, the connect timeout too. ``verify`` is ``True``,
        ``False`` (no TLS verification) or the path of a CA bundle.

        | @{auth} = | Create List | basic | bob | ${PASSWORD} |
        | `Connect To Api` | ${GATEWAY_URL} | auth=${auth} | timeout=5s |
        """
        read = self.seconds(timeout)
        session = ApiSession(
            base_url,
            self.masker,
            headers=headers,
            auth=auth,
            timeout=read,
            connect_timeout=self.seconds(connect_timeout) if connect_timeout is not None else None,
            verify=verify if isinstance(verify, bool) else str(verify),
        )
        self.sessions.add(alias, session)
        self.info(f"API session '{alias}' to {self.masker.url(session.base_url)} (timeout {read:g}s).")

    @keyword
    def disconnect_from_api(self, alias: str | None = None) -> None:
        """Closes the API session ``alias`` (the current one by default; none open is fine).

        Fails, listing the open sessions, when no session has that alias.

        | `Disconnect From Api` | orders |
        """
        self.sessions.close(alias)

    @keyword
    def switch_api(self, alias: str) -> None:
        """Makes the API session ``alias`` the current one.

        | `Switch Api` | auditor |
        """
        self.sessions.switch(alias)

    @keyword
    def call_api(
        self,
        method: str,
        path: str,
        json: Any = None,
        data: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        expected_status: int | str | list = "2xx",
        alias: str | None = None,
        timeout: timedelta | None = None,
    ) -> requests.Response:
        """Sends ``method`` to ``path`` (joined to the session's base URL) and returns the response.

        ``json`` is data (a dictionary or list; JSON text is parsed) sent as a JSON body; ``data``
        a form dictionary or raw text. Secrets anywhere in ``json``, ``data``, ``params`` and
        ``headers`` are revealed only for sending and masked in the log.

        Fails unless the status matches ``expected_status``: a code (``201``), a class (``4xx``),
        a list (``200, 404``) or ``any``. The failure shows the response body (cut, masked).

        Every call sends ``X-Correlation-Id`` (unless given in ``headers``) and a W3C
        ``traceparent``, and records a span on the timeline with the ``Server-Timing`` of the
        services. One INFO line is logged per call; the body is logged at DEBUG.

        The response has ``status_code``, ``reason``, ``headers``, ``json()``, ``text`` and ``elapsed``.

        | ${order} = | `Call Api` | POST | /api/orders | json=${order} | expected_status=201 |
        """
        session = self.sessions.get(alias)
        body = json_body(json) if isinstance(json, str) else json
        expected = ExpectedStatus.parse(expected_status)
        response = self._send(session, method, path, body, data, params, headers, self._timeout(timeout))
        if not expected.matches(response.status_code):
            raise SeamError("HTTP", f"{self._describe(response)} expected status {expected}, {self._seen(response)}")
        return response

    @keyword
    def get_response_field(self, response: Any, json_path: str, default: Any = _MISSING) -> Any:
        """Returns the value at ``json_path`` in a response's JSON body (or in data already parsed).

        Several matches give a list. Fails naming the path and the body when nothing matches,
        unless ``default`` is given.

        | ${status} = | `Get Response Field` | ${response} | $.status |
        """
        if default is _MISSING:
            return find_one(self._data(response), json_path)
        return find_one(self._data(response), json_path, default=default)

    @keyword
    def response_field_should_be(self, response: Any, json_path: str, expected: Any) -> None:
        """Fails unless the value at ``json_path`` equals ``expected``.

        A string ``expected`` also matches a number, boolean or null written the Robot way
        (``3``, ``true``, ``null``).

        | `Response Field Should Be` | ${response} | $.status | RESERVED |
        """
        data = self._data(response)
        actual = find_one(data, json_path, default=_MISSING)
        if actual is _MISSING:
            raise SeamError("JSONPath", f"'{json_path}' matches nothing, expected {expected!r}, in {self._cut(data)}")
        if not same_value(actual, expected):
            raise SeamError("JSONPath", f"'{json_path}' is {actual!r}, expected {expected!r}")

    @keyword
    def wait_until_api_returns(
        self,
        method: str,
        path: str,
        json_path: str,
        expected: Any,
        timeout: timedelta = timedelta(seconds=10),
        interval: timedelta = timedelta(milliseconds=200),
        fail_on: str | list | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        alias: str | None = None,
    ) -> requests.Response:
        """Calls the API until ``json_path`` in a 2xx response equals ``expected``; returns that response.

        Stops at once when the field has a ``fail_on`` value (one value or a list: a terminal
        state such as ``REJECTED``). Connection failures and non-2xx answers count as "not yet".
        The failure shows the last response. Each attempt is a span on the timeline.

        | `Wait Until Api Returns` | GET | /api/orders/${id} | $.status | RESERVED | fail_on=REJECTED |
        """
        session = self.sessions.get(alias)
        terminal = [] if fail_on in (None, "") else fail_on if isinstance(fail_on, list) else [fail_on]
        body = json_body(json) if isinstance(json, str) else json
        call_timeout = self._timeout(None)

        def probe() -> tuple[requests.Response, Any]:
            response = self._send(session, method, path, body, None, params, headers, call_timeout, quiet=True)
            value = _MISSING
            if response.ok:
                try:
                    value = find_one(response.json(), json_path, default=_MISSING)
                except ValueError:
                    value = _MISSING
            return response, value

        def reached(seen: tuple[requests.Response, Any]) -> bool:
            return seen[1] is not _MISSING and same_value(seen[1], expected)

        def stopped(seen: tuple[requests.Response, Any]) -> bool:
            return seen[1] is not _MISSING and any(same_value(seen[1], value) for value in terminal)

        target = f"{method.upper()} {self.masker.url(session.url_for(path))}"
        try:
            response, _ = poll(
                probe,
                reached,
                timeout=self.seconds(timeout),
                interval=self.seconds(interval),
                fail_on=stopped,
                retry_on=(SeamError,),
            )
        except WaitStopped as stop:
            response, value = stop.last
            raise SeamError(
                "HTTP",
                f"{target}: '{json_path}' is {value!r} (a fail_on value) after {stop.elapsed:.1f}s, "
                f"expected {expected!r}; {self._seen(response)}",
            ) from None
        except WaitTimedOut as timeout_error:
            raise SeamError(
                "HTTP",
                f"{target}: '{json_path}' did not become {expected!r} within {self.seconds(timeout):g}s "
                f"({timeout_error.attempts} attempts); {self._last_seen(timeout_error, json_path)}",
            ) from None
        self.info(f"{target}: '{json_path}' is {expected!r}.")
        return response

    @keyword
    def get_all_pages(
        self,
        path: str,
        items: str = "$.items",
        next: str = "$.next",
        limit: int | None = None,
        params: dict[str, Any] | None = None,
        cursor_param: str = "cursor",
        max_pages: int = 1000,
        alias: str | None = None,
    ) -> list[Any]:
        """GETs ``path`` page after page and returns the items of every page as one list.

        ``items`` and ``next`` are JSONPaths in each page. A ``next`` that is a URL or starts with
        ``/`` is followed as it is; any other value is sent as the ``cursor_param`` query
        parameter. Paging ends when ``next`` is missing, null or empty; a cursor seen twice or
        more than ``max_pages`` pages fail.

        | ${orders} = | `Get All Pages` | /api/orders | limit=10 |
        """
        session = self.sessions.get(alias)
        query = dict(params or {})
        if limit is not None:
            query["limit"] = limit
        collected: list[Any] = []
        location, seen_cursors = path, set()
        timeout = self._timeout(None)
        for page in range(1, max_pages + 1):
            response = self._send(session, "GET", location, None, None, query, None, timeout)
            if not response.ok:
                raise SeamError("HTTP", f"page {page} of {self._describe(response)} failed: {self._seen(response)}")
            body = response_json(response)
            page_items = find_one(body, items, default=_MISSING)
            if not isinstance(page_items, list):
                shown = "nothing" if page_items is _MISSING else repr(page_items)
                raise SeamError(
                    "HTTP", f"page {page} of GET {path}: '{items}' is {shown}, not a list: {self._cut(body)}"
                )
            collected.extend(page_items)
            cursor = find_one(body, next, default=None)
            if cursor in (None, "", []):
                self.info(f"GET {path}: {len(collected)} items in {page} pages.")
                return collected
            if str(cursor) in seen_cursors:
                raise SeamError("HTTP", f"page {page} of GET {path}: '{next}' repeats {cursor!r}; paging would loop")
            seen_cursors.add(str(cursor))
            if str(cursor).startswith(("http://", "https://", "/")):
                location, query = str(cursor), {}
            else:
                query[cursor_param] = cursor
        raise SeamError(
            "HTTP", f"GET {path} has more than {max_pages} pages (max_pages); {len(collected)} items so far"
        )

    # Helpers
    def _send(
        self,
        session: ApiSession,
        method: str,
        path: str,
        json: Any,
        data: Any,
        params: dict[str, Any] | None,
        headers: dict[str, Any] | None,
        timeout: float | None,
        quiet: bool = False,
    ) -> requests.Response:
        url = session.url_for(path)
        shown_url = self.masker.url(url)
        with self.timeline.span("http", method.upper(), shown_url) as span:
            response = session.send(method, url, json=json, data=data, params=params, headers=headers, timeout=timeout)
            request = response.request
            span.correlation_id = request.headers.get(CORRELATION_HEADER)
            span.bytes_sent = len(request.body or b"")
            span.bytes_received = len(response.content)
            span.attributes["status"] = response.status_code
            timings = server_timing(response.headers.get("Server-Timing"))
            if timings:
                span.attributes["server_timing"] = timings
            if response.status_code >= 500:
                span.outcome = f"status {response.status_code}"
        if response.url != url:  # redirected or query parameters added
            shown_url = self.masker.url(response.url)
        # Built from the masked URL, a status and numbers only: no second masking pass (this runs per call).
        line = (
            f"{request.method} {shown_url} -> {response.status_code} {response.reason} "
            f"({response.elapsed.total_seconds() * 1000:.1f} ms, {span.bytes_received} bytes)"
        )
        if quiet:
            logger.debug(line)
        else:
            logger.info(line)
        if response.content and _debug_logged():
            self.debug(self.cut(response.text))
        return response

    def _timeout(self, timeout: timedelta | None) -> float | None:
        return None if timeout is None else self.seconds(timeout)

    def _data(self, response: Any) -> Any:
        if isinstance(response, requests.Response):
            return response_json(response)
        if isinstance(response, str):
            return json_body(response)
        return response

    def _describe(self, response: requests.Response) -> str:
        return f"{response.request.method} {self.masker.url(response.url)}"

    def _seen(self, response: requests.Response) -> str:
        body = self.masker.text(response.text)
        cut = self.cut(body, FAILURE_BODY_LIMIT) if body else "<empty body>"
        return f"got {response.status_code} {response.reason}: {cut}"

    def _last_seen(self, error: WaitTimedOut, json_path: str) -> str:
        if error.last is None:
            return f"every attempt failed, the last with: {error.error}"
        response, value = error.last
        shown = "nothing" if value is _MISSING else repr(value)
        failed = f" (the last attempt failed: {error.error})" if error.error else ""
        return f"last response: '{json_path}' is {shown}, {self._seen(response)}{failed}"

    def _cut(self, data: Any) -> str:
        return self.format_data(data, FAILURE_BODY_LIMIT)
