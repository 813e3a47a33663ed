"""HTTP APIs: sessions, calls, JSON fields, polling and pagination."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret
from robot.running.context import EXECUTION_CONTEXTS

from ..engine.api.concurrent import ConcurrentCalls, send_concurrently
from ..engine.api.exchange import exchange
from ..engine.api.paging import Pages
from ..engine.api.session import ApiSession, ExpectedStatus, json_body, response_json
from ..engine.errors import SeamError
from ..engine.jsonpath import find_one
from ..engine.values import values_equal
from ..engine.waiting import WaitStopped, WaitTimedOut, poll
from .base import SeamKeywords

_MISSING = object()
FAILURE_BODY_LIMIT = 500
# The last attempt of a wait still gets this long, however little of the wait is left.
MIN_ATTEMPT_SECONDS = 0.05
_BODY_LOG_LEVELS = frozenset({"DEBUG", "TRACE"})


def _debug_logged() -> bool:
    """Whether DEBUG messages reach the log: bodies are masked and logged only then (masking costs per call).

    Robot has no public API for the current level that is cheap enough for every call: `${LOG LEVEL}` through
    BuiltIn costs 15 µs a call, this 0.2 µs. A value cached by the listener at each test start would miss a
    `Set Log Level` inside the test unless the listener watched every keyword, which costs every keyword of
    the run. So this is the one place Seamline reads Robot internals for it.
    """
    context = EXECUTION_CONTEXTS.current
    return context is not None and context.output.log_level.level in _BODY_LOG_LEVELS


class ApiKeywords(SeamKeywords):
    """HTTP APIs: sessions, calls, JSON fields, polling and pagination."""

    SEAM = "HTTP"

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
        timeout: timedelta | None = None,
        verify: bool | Path = True,
        connect_timeout: timedelta | None = None,
        trusted_hosts: list[str] | str | None = None,
    ) -> None:
        """Opens a pooled HTTP session to ``base_url`` as ``alias`` and makes it the current one.

        ``auth`` is one of (each value a ``Secret`` or a plain string):
        - a token: sent as ``Authorization: Bearer <token>``;
        - a list ``bearer  TOKEN``, ``basic  USER  PASSWORD`` or ``header  NAME  VALUE`` (an API key);
        - a dictionary of headers, e.g. ``X-Api-Key=${KEY}``.

        ``headers`` are sent with every call. ``timeout`` (the library default when not given) is
        the longest one call may take, all of it: connecting, sending, waiting for the answer and
        reading the whole body; ``connect_timeout`` bounds connecting alone (never beyond
        ``timeout``). ``verify`` is ``True``, ``False`` (no TLS verification) or the path of a CA bundle.

        Credentials stay with their origin: the ``auth`` headers and every header of ``headers``
        that is a credential (``Authorization``, ``Cookie``, ``X-Api-Key``... or given as a
        ``Secret``) are sent only to the scheme, host and port of ``base_url``. A call to an
        absolute URL elsewhere, a redirect to another origin and a `Get All Pages` ``next`` link to
        another host are sent without them (and without any credential header given to the call,
        on a redirect), and an INFO line says which headers were left out. ``trusted_hosts`` names
        other origins that may receive them: ``host``, ``host:port`` or ``scheme://host:port``
        (a list or a comma-separated string; the scheme defaults to that of ``base_url``, the port
        to the scheme's).

        | @{auth} = | Create List | basic | bob | ${PASSWORD} |
        | `Connect To Api` | ${GATEWAY_URL} | auth=${auth} | timeout=5s |
        | `Connect To Api` | ${GATEWAY_URL} | auth=${auth} | trusted_hosts=auth.example.com, files.example.com:8443 |
        """
        seconds = self.seconds(timeout)
        session = ApiSession(
            base_url,
            self.masker,
            headers=headers,
            auth=auth,
            timeout=seconds,
            connect_timeout=self.seconds(connect_timeout, "connect_timeout") if connect_timeout is not None else None,
            verify=verify if isinstance(verify, bool) else str(verify),
            trusted_hosts=_names(trusted_hosts),
            notify=self.info,
        )
        self.sessions.add(alias, session)
        self.info(f"API session '{alias}' to {self.masker.url(session.base_url)} (timeout {seconds:g}s).")

    @keyword
    def disconnect_from_api(self, alias: str | None = None) -> None:
        """Closes the API session ``alias`` (the current one by default; none open is fine).

        Fails, listing the open sessions, when no session has that alias.

        | `Disconnect From Api` | orders |
        """
        self.sessions.close(alias)

    @keyword
    def disconnect_from_all_apis(self) -> None:
        """Closes every API session (none open is fine).

        | `Disconnect From All Apis` |
        """
        self.sessions.close_all()

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
        params: dict[str, Any] | list | str | None = None,
        headers: dict[str, Any] | None = None,
        expected_status: int | str | list = "2xx",
        alias: str | None = None,
        timeout: timedelta | None = None,
        files: dict[str, Any] | None = None,
        msg: str | None = None,
    ) -> requests.Response:
        """Sends ``method`` to ``path`` (joined to the session's base URL) and returns the response.

        As with requests (and RequestsLibrary):
        - ``json`` is data (a dictionary or list; JSON text is parsed) sent as a JSON body;
        - ``data`` a form dictionary, text or bytes sent as they are;
        - ``params`` the query: a dictionary, a list of name-value pairs (a name may repeat) or a
          query string such as ``q=seam&page=2``;
        - ``files`` a multipart upload: a dictionary of field name to a file path, or to a list
          ``filename  content  content-type`` (content type optional).
        Secrets anywhere in ``json``, ``data``, ``params``, ``headers`` and ``files`` are revealed
        only for sending and masked in the log.

        Fails unless the status matches ``expected_status``: a code (``201``), a class (``4xx``),
        a list (``200, 404``) or ``any``. The failure shows the response body (cut, masked), or
        ``msg`` instead when given. ``timeout`` (the session's when not given) bounds the whole
        call, body included: a server that answers slowly or trickles its body fails the call
        at that deadline.

        Every call sends ``X-Correlation-Id`` (unless given in ``headers``) and a W3C
        ``traceparent``, and records a span on the timeline with the ``Server-Timing`` of the
        services. One INFO line is logged per call; the body is logged at DEBUG.

        The response has ``status_code``, ``reason``, ``headers``, ``json()``, ``text`` and ``elapsed``.

        | ${order} = | `Call Api` | POST | /api/orders | json=${order} | expected_status=201 |
        | ${found} = | `Call Api` | GET | /api/orders | params=status=NEW&limit=10 |
        | &{upload} = | Create Dictionary | batch=${CURDIR}/batch.txt |
        | `Call Api` | POST | /api/batches | files=${upload} |
        """
        session = self.sessions.get(alias)
        body = json_body(json) if isinstance(json, str) else json
        expected = ExpectedStatus.parse(expected_status)
        response = self._send(session, method, path, body, data, params, headers, self._timeout(timeout), files)
        if not expected.matches(response.status_code):
            self.fail(f"{self._describe(response)} expected status {expected}, {self._seen(response)}", msg)
        return response

    @keyword
    def call_api_concurrently(
        self,
        method: str,
        path: str,
        count: int = 10,
        concurrency: int = 10,
        json: Any = None,
        headers: dict[str, Any] | None = None,
        expected_status: int | str | list = "2xx",
        alias: str | None = None,
        timeout: timedelta | None = None,
        msg: str | None = None,
    ) -> ConcurrentCalls:
        """Sends ``method`` to ``path`` ``count`` times, ``concurrency`` requests at a time, and returns them all.

        A load of one operation, as many clients would send it at once: the requests go out from threads
        inside the library (only the HTTP sends; no keyword runs in a thread) through the session ``alias``,
        with everything `Call Api` gives each request: its own ``X-Correlation-Id`` (unless ``headers`` has
        one) and ``traceparent``, the session's credentials only for its origin, secrets revealed only for
        sending, a span on the timeline, and ``timeout`` (the session's when not given) bounding each
        request, body included. The whole keyword takes at most about ``count / concurrency`` timeouts.
        A session keeps 10 connections open: more concurrent requests open a connection each.

        Returns an object with ``responses`` (one per request, in the order they were sent), ``latency``
        (``count``, ``mean_ms``, ``p50_ms``, ``p95_ms``, ``p99_ms``, ``max_ms`` of the requests), ``statuses`` (how many
        responses had each status, e.g. ``{201: 8, 409: 2}``) and ``seconds`` (the whole load). One INFO
        line gives the statuses and percentiles.

        Fails when a request got no answer or a status outside ``expected_status`` (as in `Call Api`;
        ``any`` accepts every status), after every request has ended: the message lists each distinct
        failure once with how many requests had it (an unexpected status with the body of its first
        response), or is ``msg`` when given.

        | ${load} = | `Call Api Concurrently` | POST | /api/orders | count=20 | json=${order} | expected_status=201 |
        | Should Be True | ${load.latency}[p95_ms] < 500 |
        """
        session = self.sessions.get(alias)
        body = json_body(json) if isinstance(json, str) else json
        expected = ExpectedStatus.parse(expected_status)
        seconds = self._timeout(timeout)
        url = session.url_for(path)
        target = f"{method.upper()} {self.masker.url(url)}"
        if session.credentials and not session.guard.allows(url):
            # Said once, here: Robot drops what the sending threads would log.
            session.guard.note(session.credentials, url, f"{target} x {count}")

        def send() -> requests.Response:
            return exchange(
                session, self.timeline, method, url, self.masker.url(url), json=body, headers=headers, timeout=seconds
            )

        load = send_concurrently(send, count, concurrency, expected, self._text)
        statuses = ", ".join(f"{status} x {times}" for status, times in load.statuses.items()) or "no response"
        latency = ", ".join(f"{name[:-3]} {load.latency[name]:.1f} ms" for name in ("p50_ms", "p95_ms", "p99_ms"))
        self.info(
            f"{target} x {count} (concurrency {concurrency}): {statuses}; {latency}, "
            f"max {load.latency['max_ms']:.1f} ms ({load.seconds:.2f} s in all)."
        )
        if load.failures:
            lines = "\n".join(f"  {times} x {failure.removeprefix(target + ' ')}" for failure, times in load.failures)
            self.fail(f"{target}: {load.failed} of {count} requests failed (expected status {expected}):\n{lines}", msg)
        return load

    @keyword
    def get_response_field(self, response: Any, json_path: str, default: Any = _MISSING) -> Any:
        """Returns the value at ``json_path`` in a response's JSON body (or in data already parsed).

        Several matches give a list. Fails naming the request, the path and the body when nothing
        matches, unless ``default`` is given.

        | ${status} = | `Get Response Field` | ${response} | $.status |
        | ${reason} = | `Get Response Field` | ${response} | $.reason | default=${None} |
        """
        value = self._find(self._data(response), json_path)
        if value is not _MISSING:
            return value
        if default is not _MISSING:
            return default
        raise SeamError(self.SEAM, f"{self._request_of(response)}'{json_path}' matches nothing; {self._body(response)}")

    @keyword
    def response_field_should_be(self, response: Any, json_path: str, expected: Any, msg: str | None = None) -> None:
        """Fails unless the value at ``json_path`` equals ``expected``, by Seamline's one comparison rule.

        Numbers compare numerically (``12.50`` equals ``12.5``), ``true``/``false`` and
        ``null``/``None`` match the JSON values, timestamps compare as instants. The failure names
        the request (method, URL, status) and shows the body, masked and cut; ``msg`` replaces it.

        | `Response Field Should Be` | ${response} | $.status | RESERVED |
        | `Response Field Should Be` | ${response} | $.total | 12.50 | msg=The order total is wrong |
        """
        actual = self._find(self._data(response), json_path)
        where = self._request_of(response)
        if actual is _MISSING:
            self.fail(f"{where}'{json_path}' matches nothing, expected {expected!r}; {self._body(response)}", msg)
        if not values_equal(actual, expected):
            self.fail(f"{where}'{json_path}' is {actual!r}, expected {expected!r}; {self._body(response)}", msg)

    @keyword
    def wait_until_api_returns(
        self,
        method: str,
        path: str,
        json_path: str,
        expected: Any,
        timeout: timedelta | None = None,
        interval: timedelta | str = "200ms",
        fail_on: str | list | None = None,
        json: Any = None,
        params: dict[str, Any] | list | str | None = None,
        headers: dict[str, Any] | None = None,
        alias: str | None = None,
        msg: str | None = None,
    ) -> requests.Response:
        """Calls the API until ``json_path`` in a 2xx response equals ``expected``; returns that response.

        Values compare as in `Response Field Should Be`. Stops at once when the field has a
        ``fail_on`` value (one value or a list: a terminal state such as ``REJECTED``). Connection
        failures and non-2xx answers count as "not yet". ``timeout`` (the library default when not
        given) bounds the whole wait: each attempt gets at most the time left. The failure shows
        the last response or error; ``msg`` replaces it. Each attempt is a span on the timeline; the
        first one is traced, the others send an unsampled ``traceparent`` (flags ``00``): the system
        records no trace of each repeated read, and the test waits for none.

        | `Wait Until Api Returns` | GET | /api/orders/${id} | $.status | RESERVED | fail_on=REJECTED |
        """
        session = self.sessions.get(alias)
        terminal = [] if fail_on in (None, "") else fail_on if isinstance(fail_on, list) else [fail_on]
        body = json_body(json) if isinstance(json, str) else json
        wait = self.seconds(timeout)
        deadline = time.monotonic() + wait

        attempts = 0

        def probe() -> tuple[requests.Response, Any]:
            nonlocal attempts
            attempt = max(min(session.timeout, deadline - time.monotonic()), MIN_ATTEMPT_SECONDS)
            attempts += 1  # the first attempt is traced, its repeats are sent unsampled (`ApiSession.send`)
            response = self._send(
                session, method, path, body, None, params, headers, attempt, quiet=True, sampled=attempts == 1
            )
            value = _MISSING
            if response.ok:
                try:
                    value = self._find(response.json(), json_path)
                except ValueError:
                    value = _MISSING
            return response, value

        def reached(seen: tuple[requests.Response, Any]) -> bool:
            return seen[1] is not _MISSING and values_equal(seen[1], expected)

        def stopped(seen: tuple[requests.Response, Any]) -> bool:
            return seen[1] is not _MISSING and any(values_equal(seen[1], value) for value in terminal)

        target = f"{method.upper()} {self.masker.url(session.url_for(path))}"
        try:
            response, _ = poll(
                probe,
                reached,
                timeout=wait,
                interval=self.seconds(interval, "interval"),
                fail_on=stopped,
                retry_on=(SeamError,),
            )
        except WaitStopped as stop:
            response, value = stop.last
            self.fail(
                f"{target}: '{json_path}' is {value!r} (a fail_on value) after {stop.elapsed:.1f}s, "
                f"expected {expected!r}; {self._seen(response)}",
                msg,
            )
        except WaitTimedOut as timeout_error:
            self.fail(
                f"{target}: '{json_path}' did not become {expected!r} within {wait:g}s "
                f"({_attempts(timeout_error.attempts)}); {self._last_seen(timeout_error, json_path)}",
                msg,
            )
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
        more than ``max_pages`` pages fail. A ``next`` URL on another host gets none of the
        session's credentials unless ``trusted_hosts`` of `Connect To Api` names it (an INFO line
        says so). Each page is one call, bounded by the session's timeout.

        | ${orders} = | `Get All Pages` | /api/orders | limit=10 |
        """
        session = self.sessions.get(alias)
        query = dict(params or {})
        if limit is not None:
            query["limit"] = limit
        pages = Pages(path, items, next, cursor_param, max_pages, query)
        request: tuple[str, dict[str, Any]] | None = (path, query)
        while request is not None:
            response = self._send(session, "GET", request[0], None, None, request[1], None, None)
            if not response.ok:
                raise SeamError(
                    "HTTP", f"page {pages.page + 1} of {self._describe(response)} failed: {self._seen(response)}"
                )
            body = self._data(response)
            request = pages.next_request(body, self._cut(body))
        self.info(f"GET {path}: {len(pages.items)} items in {pages.page} pages.")
        return pages.items

    # Helpers
    def _send(
        self,
        session: ApiSession,
        method: str,
        path: str,
        json: Any,
        data: Any,
        params: Any,
        headers: dict[str, Any] | None,
        timeout: float | None,
        files: dict[str, Any] | None = None,
        quiet: bool = False,
        sampled: bool = True,
    ) -> requests.Response:
        url = session.url_for(path)
        shown_url = self.masker.url(url)
        response = exchange(
            session,
            self.timeline,
            method,
            url,
            shown_url,
            json=json,
            data=data,
            params=params,
            headers=headers,
            files=files,
            timeout=timeout,
            sampled=sampled,
        )
        request = response.request
        if response.url != url:  # redirected or query parameters added
            shown_url = self.masker.url(response.url)
        # Built from the masked URL, a status and numbers only: no second masking pass (this runs per call).
        line = (
            f"{request.method} {shown_url} -> {response.status_code} {response.reason} "
            f"({response.elapsed.total_seconds() * 1000:.1f} ms, {len(response.content)} bytes)"
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
            return response_json(response, self.masker)
        if isinstance(response, str):
            return json_body(response)
        return response

    def _find(self, data: Any, json_path: str) -> Any:
        """The value at `json_path`, or _MISSING; an invalid JSONPath fails under this seam."""
        try:
            return find_one(data, json_path, default=_MISSING)
        except SeamError as error:
            raise SeamError(self.SEAM, error.detail) from None

    def _request_of(self, response: Any) -> str:
        """`GET <url> (200 OK): ` for a response, nothing for data that came some other way."""
        if not isinstance(response, requests.Response):
            return ""
        return f"{self._describe(response)} ({response.status_code} {response.reason}): "

    def _body(self, response: Any) -> str:
        if isinstance(response, requests.Response):
            return f"body: {self._text(response)}"
        return f"data: {self._cut(self._data(response))}"

    def _describe(self, response: requests.Response) -> str:
        return f"{response.request.method} {self.masker.url(response.url)}"

    def _seen(self, response: requests.Response) -> str:
        return f"got {response.status_code} {response.reason}: {self._text(response)}"

    def _text(self, response: requests.Response) -> str:
        return self.cut(response.text, FAILURE_BODY_LIMIT) if response.text else "<empty body>"

    def _last_seen(self, error: WaitTimedOut, json_path: str) -> str:
        failure = error.error.detail if isinstance(error.error, SeamError) else error.error
        if error.last is None:
            return f"every attempt failed, the last with: {failure}"
        response, value = error.last
        shown = "nothing" if value is _MISSING else repr(value)
        failed = f" (the last attempt failed: {failure})" if error.error else ""
        return f"last response: '{json_path}' is {shown}, {self._seen(response)}{failed}"

    def _cut(self, data: Any) -> str:
        return self.format_data(data, FAILURE_BODY_LIMIT)


def _names(value: list[str] | str | None) -> list[str]:
    """`a, b` or a list of names as a list (empty entries dropped)."""
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [str(item).strip() for item in items if str(item).strip()]


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"
