"""Call Api Concurrently against real servers: a local recorder and httpbin (Flask, in a thread)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from robot.api.types import Secret
from werkzeug.serving import make_server

from Seamline.engine.context import SeamContext
from Seamline.engine.errors import SeamError
from Seamline.keywords.api import ApiKeywords


class Recorder(BaseHTTPRequestHandler):
    """Answers 201 with the request's number; /slow answers after two seconds; records every request."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, str]] = []
    lock = threading.Lock()
    in_flight = 0
    most_in_flight = 0

    def log_message(self, format, *args):  # quiet
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        sent = json.loads(self.rfile.read(length) or b"null")
        with Recorder.lock:
            Recorder.seen.append({**dict(self.headers), "body": json.dumps(sent)})
            Recorder.in_flight += 1
            Recorder.most_in_flight = max(Recorder.most_in_flight, Recorder.in_flight)
        time.sleep(2.0 if self.path == "/slow" else 0.02)
        with Recorder.lock:
            Recorder.in_flight -= 1
        body = json.dumps({"ok": True}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(handler) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def recorder_url() -> Iterator[str]:
    Recorder.seen, Recorder.in_flight, Recorder.most_in_flight = [], 0, 0
    server, url = serve(Recorder)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def httpbin_url() -> Iterator[str]:
    from httpbin import app

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def api() -> Iterator[ApiKeywords]:
    ctx = SeamContext(timeout=5.0)
    yield ApiKeywords(ctx)
    ctx.close()


def test_each_request_carries_its_own_trace_and_is_a_span(api, recorder_url):
    api.connect_to_api(recorder_url)
    load = api.call_api_concurrently(
        "POST", "/orders", count=8, concurrency=4, json={"sku": "SKU-1"}, expected_status=201
    )
    assert [response.status_code for response in load.responses] == [201] * 8
    assert load.statuses == {201: 8}
    assert load.latency["count"] == 8
    assert 0 < load.latency["p50_ms"] <= load.latency["p95_ms"] <= load.latency["p99_ms"] <= load.latency["max_ms"]
    assert 1 < Recorder.most_in_flight <= 4
    assert {entry["body"] for entry in Recorder.seen} == {'{"sku": "SKU-1"}'}
    assert len({entry["X-Correlation-Id"] for entry in Recorder.seen}) == 8
    assert len({entry["traceparent"] for entry in Recorder.seen}) == 8
    spans = api.timeline.select("http", "POST")
    assert len(spans) == 8
    assert {span.trace_id for span in spans} == {entry["traceparent"].split("-")[1] for entry in Recorder.seen}
    assert all(span.attributes["status"] == 201 and span.ok for span in spans)


def test_every_request_ends_at_its_deadline(api, recorder_url):
    api.connect_to_api(recorder_url)
    started = time.monotonic()
    with pytest.raises(SeamError) as raised:
        api.call_api_concurrently("POST", "/slow", count=4, concurrency=4, json={}, timeout=0.3)
    assert time.monotonic() - started < 1.8  # four 2 s answers, cut at 0.3 s each, all at once
    assert str(raised.value) == (
        f"HTTP: POST {recorder_url}/slow: 4 of 4 requests failed (expected status 2xx):\n"
        "  4 x failed: no response within 0.3s (timeout)"
    )
    assert [span.outcome for span in api.timeline.spans] == ["error: SeamError"] * 4


def test_credentials_stay_with_their_origin_and_secrets_are_revealed_only_to_send(api, recorder_url):
    _, elsewhere = serve(Recorder)
    api.connect_to_api(recorder_url, auth={"X-Api-Key": Secret("key-123")})
    api.call_api_concurrently("POST", "/own", count=2, concurrency=2, json={"token": Secret("t-9")})
    api.call_api_concurrently("POST", f"{elsewhere}/other", count=2, concurrency=2, json={})
    keys = [entry.get("X-Api-Key") for entry in Recorder.seen]
    assert keys == ["key-123", "key-123", None, None]
    assert Recorder.seen[0]["body"] == '{"token": "t-9"}'


def test_credentials_left_out_are_said_once_from_the_keywords_own_thread(api, recorder_url):
    _, elsewhere = serve(Recorder)
    api.connect_to_api(recorder_url, auth={"X-Api-Key": Secret("key-123")})
    said: list[tuple[str, str]] = []
    session = api.sessions.get(None)
    session.guard.notify = lambda text: said.append((threading.current_thread().name, text))
    api.call_api_concurrently("POST", f"{elsewhere}/other", count=3, concurrency=3, json={})
    assert said[0] == (
        threading.current_thread().name,
        f"POST {elsewhere}/other x 3: X-Api-Key not sent to {elsewhere}, which is not the session's origin "
        f"{recorder_url} (name it in trusted_hosts= of Connect To Api to send them there).",
    )


def test_httpbin_echoes_every_request_and_failures_are_counted_by_status(api, httpbin_url):
    api.connect_to_api(httpbin_url)
    load = api.call_api_concurrently("POST", "/anything", count=6, concurrency=3, json={"quantity": 2})
    assert [response.json()["json"] for response in load.responses] == [{"quantity": 2}] * 6
    assert len({response.json()["headers"]["X-Correlation-Id"] for response in load.responses}) == 6
    with pytest.raises(SeamError) as raised:
        api.call_api_concurrently("GET", "/status/418", count=3, concurrency=3)
    message = str(raised.value)
    assert message.startswith(
        f"HTTP: GET {httpbin_url}/status/418: 3 of 3 requests failed (expected status 2xx):\n"
        "  3 x got 418 I'M A TEAPOT, the first: "
    )
    assert "teapot" in message


def test_a_secret_in_a_refused_body_is_masked_in_the_failure(api, httpbin_url):
    api.connect_to_api(httpbin_url)
    with pytest.raises(SeamError) as raised:
        api.call_api_concurrently(
            "POST", "/anything", count=2, concurrency=2, json={"password": Secret("pw-secret-77")}, expected_status=404
        )
    assert "pw-secret-77" not in str(raised.value)
    assert "2 x got 200 OK, the first: " in str(raised.value)
