"""Seamline beside RequestsLibrary and DatabaseLibrary, without Robot or a network: the traced adapter and
cursor, the instrument= argument, the listener's hooks, and the private details of both libraries it reads."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from Seamline.compat import CompatListener, instrumented_libraries
from Seamline.engine.api.instrument import TracedAdapter, trace_session
from Seamline.engine.api.session import CORRELATION_HEADER, add_trace_headers
from Seamline.engine.context import SeamContext
from Seamline.engine.database.instrument import TracedConnection
from Seamline.engine.masking import Masker
from Seamline.engine.timeline import Timeline
from Seamline.keywords.base import SeamFailure


class CannedAdapter(BaseAdapter):
    """Answers every request with `status`, `body` and `headers`, remembering the requests it got."""

    def __init__(self, status: int = 200, body: bytes = b'{"ok": true}', headers: dict[str, str] | None = None):
        super().__init__()
        self.status, self.body, self.headers = status, body, headers or {}
        self.sent: list[requests.PreparedRequest] = []
        self.max_retries = 3

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append(request)
        response = requests.Response()
        response.status_code, response._content, response.request = self.status, self.body, request
        response.headers.update(self.headers)
        response.url = str(request.url)
        response.elapsed = timedelta(milliseconds=5)
        return response

    def close(self) -> None:
        self.closed = True


def traced(adapter: CannedAdapter, timeline: Timeline, masker: Masker | None = None) -> requests.Session:
    session = requests.Session()
    session.mount("http://", adapter)
    trace_session(session, timeline, masker or Masker())
    return session


def test_a_traced_session_sends_trace_headers_and_records_the_span_call_api_would():
    timeline, adapter = Timeline(), CannedAdapter(headers={"Server-Timing": "db;dur=4.5, app"})
    response = traced(adapter, timeline).post("http://api.test/orders?token=abc", json={"sku": "A"})
    sent = adapter.sent[0].headers
    (span,) = timeline.spans
    assert (span.system, span.operation, span.target) == ("http", "POST", "http://api.test/orders?token=***")
    assert span.correlation_id == sent[CORRELATION_HEADER] and span.trace_id == sent[CORRELATION_HEADER]
    assert sent["traceparent"] == f"00-{span.trace_id}-{span.span_id}-01"
    assert span.bytes_sent == len(b'{"sku": "A"}') and span.bytes_received == len(response.content)
    assert span.attributes == {"status": 200, "server_timing": {"db": 4.5, "app": 0.0}}
    assert span.outcome == "ok"


def test_a_server_error_is_a_failed_span_and_a_transport_error_propagates_as_one():
    timeline = Timeline()
    traced(CannedAdapter(status=503), timeline).get("http://api.test/")
    broken = CannedAdapter()
    broken.send = lambda request, **kwargs: (_ for _ in ()).throw(requests.ConnectionError("refused"))  # type: ignore[method-assign]
    with pytest.raises(requests.ConnectionError):
        traced(broken, timeline).get("http://api.test/down")
    assert [span.outcome for span in timeline.spans] == ["status 503", "error: ConnectionError"]


def test_trace_headers_the_caller_gave_are_kept_and_tie_the_ids_together():
    headers = {"x-correlation-id": "order-42"}
    add_trace_headers(headers)
    assert headers["x-correlation-id"] == "order-42" and headers["traceparent"].startswith("00-")
    caller = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    given = {"Traceparent": caller}
    add_trace_headers(given)
    assert given == {"Traceparent": caller, CORRELATION_HEADER: "a" * 32}


def test_wrapping_keeps_the_adapter_and_its_settings_and_happens_once():
    adapter, timeline = CannedAdapter(), Timeline()
    session = traced(adapter, timeline)
    assert not trace_session(session, timeline, Masker())  # already traced: nothing wrapped twice
    wrapped = session.get_adapter("http://api.test/")
    assert isinstance(wrapped, TracedAdapter) and wrapped.inner is adapter and wrapped.max_retries == 3
    session.close()
    assert adapter.closed


def test_a_traced_connection_records_statements_with_rows_and_alias_and_passes_the_rest_through():
    timeline = Timeline()
    connection = TracedConnection(sqlite3.connect(":memory:"), timeline, "sqlite3 main", "main")
    connection.isolation_level = None  # reaches the driver
    cursor = connection.cursor()
    cursor.execute("CREATE TABLE fruit (name TEXT)")
    cursor.executemany("INSERT INTO fruit VALUES (?)", [("apple",), ("pear",)])
    cursor.execute("SELECT name FROM fruit\n  ORDER BY name")
    assert cursor.fetchone() == ("apple",)
    assert cursor.fetchall() == [("pear",)]
    with pytest.raises(sqlite3.OperationalError):
        cursor.execute("SELECT * FROM nothing")
    connection.commit()
    spans = timeline.spans
    assert [(span.operation, span.attributes.get("rows"), span.outcome) for span in spans] == [
        ("execute", None, "ok"),  # sqlite3 says -1 rows for DDL: not known
        ("execute", 2, "ok"),
        ("query", 2, "ok"),
        ("execute", None, "error: OperationalError"),
    ]
    assert spans[2].attributes["statement"] == "SELECT name FROM fruit ORDER BY name"
    assert {span.target for span in spans} == {"sqlite3 main"} and spans[0].attributes["alias"] == "main"
    assert connection.isolation_level is None


def test_a_traced_cursor_counts_rows_read_by_iterating():
    timeline = Timeline()
    cursor = TracedConnection(sqlite3.connect(":memory:"), timeline, "t", "a").cursor()
    assert [row for row in cursor.execute("SELECT 1 UNION SELECT 2")] == [(1,), (2,)]
    assert timeline.spans[0].attributes["rows"] == 2


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (True, ("RequestsLibrary", "DatabaseLibrary")),
        (False, ()),
        ("requestslibrary", ("RequestsLibrary",)),
        ("DatabaseLibrary, RequestsLibrary", ("DatabaseLibrary", "RequestsLibrary")),
        (["DatabaseLibrary"], ("DatabaseLibrary",)),
    ],
)
def test_instrument_names_the_libraries(given, expected):
    assert instrumented_libraries(given) == expected


def test_an_unknown_library_to_instrument_is_refused_naming_the_known_ones():
    with pytest.raises(SeamFailure) as refused:
        instrumented_libraries("SeleniumLibrary")
    assert str(refused.value) == (
        "instrument: Seamline instruments RequestsLibrary and DatabaseLibrary, not 'SeleniumLibrary' "
        "(True for both, False for none)"
    )


class Library:
    """Stands in for Robot's TestLibrary, the `owner` of a library keyword (hashable, as Robot's is)."""

    def __init__(self, instance: Any):
        self.instance = instance


def keyword_of(instance: Any, name: str) -> SimpleNamespace:
    """What Robot gives start_library_keyword as `implementation`: the keyword's name and its library."""
    return SimpleNamespace(name=name, owner=Library(instance))


def requests_library() -> Any:
    from RequestsLibrary import RequestsLibrary

    return RequestsLibrary()


def database_library() -> Any:
    from DatabaseLibrary import DatabaseLibrary

    return DatabaseLibrary()


def test_the_listener_traces_requestslibrary_sessions_before_its_keywords_use_them():
    library, ctx = requests_library(), SeamContext()
    session = library.create_session("bin", "http://api.test")
    listener = CompatListener(ctx, ["RequestsLibrary"])
    listener.start_library_keyword(None, keyword_of(library, "GET On Session"), None)
    assert all(isinstance(adapter, TracedAdapter) for adapter in session.adapters.values())
    assert session.adapters["http://"].timeline is ctx.timeline


def test_the_listener_records_a_sessionless_response_when_the_keyword_ends():
    library, ctx = requests_library(), SeamContext()
    listener = CompatListener(ctx, ["RequestsLibrary"])
    implementation = keyword_of(library, "GET")
    listener.start_library_keyword(None, implementation, None)
    library.last_response = traced(CannedAdapter(), Timeline()).get("http://api.test/get?q=1")
    listener.end_library_keyword(None, implementation, None)
    listener.start_library_keyword(None, implementation, None)
    listener.end_library_keyword(None, implementation, None)  # no new response: no second span
    (span,) = ctx.timeline.spans
    assert (span.operation, span.target, span.attributes["status"]) == ("GET", "http://api.test/get?q=1", 200)
    assert span.duration == library.last_response.elapsed.total_seconds()


def test_the_listener_traces_databaselibrary_connections_by_alias(tmp_path):
    library, ctx = database_library(), SeamContext()
    library.connect_to_database("sqlite3", database=str(tmp_path / "t.db"), isolation_level=None, alias="shop")
    listener = CompatListener(ctx, ["DatabaseLibrary"])
    listener.start_library_keyword(None, keyword_of(library, "Query"), None)
    assert library.query("SELECT 1", alias="shop") == [(1,)]
    (span,) = ctx.timeline.spans
    assert (span.target, span.attributes["alias"], span.attributes["rows"]) == ("sqlite3 shop", "shop", 1)
    library.disconnect_from_all_databases()


def test_the_listener_leaves_other_and_not_chosen_libraries_alone():
    library = requests_library()
    session = library.create_session("bin", "http://api.test")
    listener = CompatListener(SeamContext(), ["DatabaseLibrary"])
    listener.start_library_keyword(None, keyword_of(library, "GET On Session"), None)
    listener.start_library_keyword(None, keyword_of(object(), "Log"), None)
    assert isinstance(session.adapters["http://"], HTTPAdapter)


def test_the_private_details_read_are_those_of_the_supported_versions():
    """RequestsLibrary 0.9.x keeps its sessions in `_cache` (a Robot ConnectionCache) and the last response of
    a sessionless keyword in `last_response`; DatabaseLibrary 2.x keeps its connections by alias in
    `connection_store._connections` as objects with `client` and `module_name`. A new version that changes
    them fails here, not silently in a suite."""
    from importlib.metadata import version

    assert version("robotframework-requests").startswith("0.9.")
    assert version("robotframework-databaselibrary").startswith("2.")
    requests_lib = requests_library()
    session = requests_lib.create_session("bin", "http://api.test")
    assert list(requests_lib._cache) == [session] and requests_lib.last_response is None
    database = database_library()
    database.connect_to_database("sqlite3", database=":memory:", alias="mem")
    connection = database.connection_store._connections["mem"]
    assert isinstance(connection.client, sqlite3.Connection) and connection.module_name == "sqlite3"
    database.disconnect_from_all_databases()


def test_instrument_false_registers_no_compat_listener_and_true_registers_one():
    from Seamline import Seamline
    from Seamline.listener import SeamListener
    from Seamline.metrics import Metrics

    # robotlibcore keeps the library's listeners as a list: its own, the metrics one, then compat's.
    alone, metrics = Seamline(instrument=False).ROBOT_LIBRARY_LISTENER
    assert isinstance(alone, SeamListener) and isinstance(metrics, Metrics)
    main, _, compat = Seamline().ROBOT_LIBRARY_LISTENER
    assert isinstance(main, SeamListener) and isinstance(compat, CompatListener) and compat.ctx is main.ctx
