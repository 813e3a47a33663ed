"""HTTP engine: status expectations, auth from secrets, trace headers, Server-Timing, JSON helpers, origins,
uploads, deadlines."""

from __future__ import annotations

import base64
import re
import socket
import time

import pytest
import requests
from urllib3.exceptions import ProtocolError

from Seamline.engine.api.deadline import CallDeadline, bounded
from Seamline.engine.api.origin import CredentialGuard, origin_of
from Seamline.engine.api.session import (
    ApiSession,
    ExpectedStatus,
    auth_headers,
    describe,
    is_sampled,
    json_body,
    new_trace_ids,
    response_json,
    server_timing,
    upload,
)
from Seamline.engine.deadlines import WATCHDOG
from Seamline.engine.errors import SeamError
from Seamline.engine.masking import Masker


class Secret:
    """Stands in for robot.api.types.Secret (the engine duck-types it)."""

    def __init__(self, value: str):
        self.value = value


@pytest.mark.parametrize(
    ("spec", "accepted", "refused"),
    [
        ("2xx", [200, 201, 299], [199, 300, 404]),
        (201, [201], [200, 202]),
        ("200, 404", [200, 404], [201, 500]),
        (["201", 409], [201, 409], [200]),
        ("4XX", [400, 404, 499], [500, 200]),
        ("any", [100, 200, 404, 503], []),
    ],
)
def test_expected_status_accepts_codes_classes_lists_and_any(spec, accepted, refused):
    expected = ExpectedStatus.parse(spec)
    assert all(expected.matches(code) for code in accepted)
    assert not any(expected.matches(code) for code in refused)


def test_expected_status_refuses_nonsense_with_a_clear_message():
    with pytest.raises(SeamError, match=r"expected_status 'ok' is not a code \(200\), a class \(2xx\)"):
        ExpectedStatus.parse("ok")


def test_bearer_token_from_a_secret_is_masked_afterwards():
    masker = Masker()
    assert auth_headers(Secret("tok-12345"), masker) == {"Authorization": "Bearer tok-12345"}
    assert masker.text("sent tok-12345") == "sent ***"


def test_basic_auth_masks_the_password_and_the_base64_form():
    masker = Masker()
    headers = auth_headers(["basic", "bob", Secret("pw-98765")], masker)
    token = base64.b64encode(b"bob:pw-98765").decode()
    assert headers == {"Authorization": f"Basic {token}"}
    assert "pw-98765" not in masker.text(f"pw-98765 {token}")
    assert token not in masker.text(f"Basic {token}")


def test_api_key_header_from_list_or_dictionary():
    masker = Masker()
    assert auth_headers(["header", "X-Api-Key", Secret("key-abc")], masker) == {"X-Api-Key": "key-abc"}
    assert auth_headers({"X-Api-Key": Secret("key-def")}, masker) == {"X-Api-Key": "key-def"}
    assert masker.text("key-abc key-def") == "*** ***"


def test_unusable_auth_says_which_forms_are_accepted():
    with pytest.raises(SeamError, match=r"auth must be a token \(bearer\).*got a list of 2 items starting 'digest'"):
        auth_headers(["digest", "x"], Masker())


def test_trace_ids_are_w3c_traceparent_and_unique():
    correlation, traceparent = new_trace_ids()
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", traceparent)
    assert traceparent.split("-")[1] == correlation
    assert new_trace_ids()[0] != correlation


def test_a_traceparent_is_sampled_unless_its_flags_say_not():
    assert new_trace_ids(sampled=False)[1].endswith("-00")
    assert is_sampled(new_trace_ids()[1]) and not is_sampled(new_trace_ids(sampled=False)[1])
    assert is_sampled(None) and is_sampled("garbage") and is_sampled("00-a-b-zz")  # nothing says not
    assert not is_sampled("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02")  # flags without bit 0


def test_server_timing_gives_milliseconds_per_service():
    header = 'gateway;dur=1.5, orders;desc="db";dur=12, cache'
    assert server_timing(header) == {"gateway": 1.5, "orders": 12.0, "cache": 0.0}
    assert server_timing(None) == {}


def test_malformed_json_argument_is_a_clear_failure():
    with pytest.raises(SeamError, match=r"HTTP: json= '\{\"a\": ' is not valid JSON: Expecting value"):
        json_body('{"a": ')


def test_non_json_response_shows_status_type_and_body():
    response = requests.Response()
    response.status_code = 200
    response._content = b"<html>hello</html>"
    response.headers["Content-Type"] = "text/html"
    response.url = "http://h/x"
    response.request = requests.Request("GET", "http://h/x").prepare()
    with pytest.raises(SeamError) as raised:
        response_json(response)
    assert str(raised.value) == "HTTP: response of GET http://h/x (200, text/html) is not JSON: <html>hello</html>"


def test_session_joins_paths_and_keeps_absolute_urls():
    session = ApiSession("http://host:1/api", Masker())
    assert session.url_for("/orders") == "http://host:1/api/orders"
    assert session.url_for("orders/1") == "http://host:1/api/orders/1"
    assert session.url_for("https://other/x") == "https://other/x"
    assert (session.timeout, session.connect_timeout) == (10.0, 10.0)
    session.close()


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://Host:8080/x", ("http", "host", 8080)),
        ("https://host/x", ("https", "host", 443)),
        ("http://user:pw@host/x", ("http", "host", 80)),
        ("http://[::1]:9/x", ("http", "::1", 9)),
        ("http://host:port/x", None),
        ("/relative", None),
    ],
)
def test_origin_is_scheme_host_and_port_with_the_default_port_filled_in(url, origin):
    assert origin_of(url) == origin


def test_credentials_are_allowed_for_the_session_origin_and_trusted_hosts_only():
    guard = CredentialGuard(
        "https://api.example.com/v1/", Masker(), ["auth.example.com", "files.example.com:8443", "http://legacy:8080"]
    )
    allowed = [
        "https://api.example.com/v1/orders",
        "https://API.example.com:443/other",
        "https://auth.example.com/token",
        "https://files.example.com:8443/f",
        "http://legacy:8080/x",
    ]
    refused = [
        "http://api.example.com/v1/orders",  # the scheme differs: no downgrade
        "https://api.example.com:8443/v1/",
        "https://api.example.com.evil.net/v1/",
        "https://files.example.com/f",  # trusted on 8443 only
        "https://legacy:8080/x",
        "https://auth.example.com:444/token",
    ]
    assert [url for url in allowed if not guard.allows(url)] == []
    assert [url for url in refused if guard.allows(url)] == []


def test_a_trusted_host_that_is_not_one_fails_clearly():
    with pytest.raises(SeamError, match=r"^HTTP: trusted_hosts entry 'x:y' is not a host, host:port or scheme://host"):
        CredentialGuard("http://h/", Masker(), ["x:y"])


def test_a_redirect_elsewhere_loses_every_credential_header_and_says_which():
    notes: list[str] = []
    masker = Masker()
    masker.register("call-secret-1")
    guard = CredentialGuard("http://a:1/", masker, notify=notes.append)
    guard.credential_names = {"x-session-key"}
    headers = {
        "Authorization": "Bearer t",
        "X-Session-Key": "k",
        "X-Call": "call-secret-1",
        "Proxy-Authorization": "Basic p",
        "X-Tenant": "acme",
    }
    guard.withhold(headers, "http://b:2/landing", "http://a:1/go")
    assert headers == {"Proxy-Authorization": "Basic p", "X-Tenant": "acme"}
    assert notes == [
        "redirect from http://a:1/go: Authorization, X-Call, X-Session-Key not sent to http://b:2, which is not the "
        "session's origin http://a:1 (name it in trusted_hosts= of Connect To Api to send them there)."
    ]
    kept = {"Authorization": "Bearer t"}
    guard.withhold(kept, "http://a:1/elsewhere", "http://a:1/go")
    assert kept == {"Authorization": "Bearer t"}


def test_session_credentials_are_kept_apart_from_the_other_headers():
    masker = Masker()
    session = ApiSession(
        "http://a:1/", masker, headers={"X-Api-Key": "k-1", "X-Tenant": "acme", "X-Custom": Secret("c-1")}, auth="t-1"
    )
    assert session.credentials == {"X-Api-Key": "k-1", "X-Custom": "c-1", "Authorization": "Bearer t-1"}
    assert session.session.headers["X-Tenant"] == "acme"
    assert "X-Api-Key" not in session.session.headers
    assert session._headers_for("GET", "http://a:1/x", None)["X-Custom"] == "c-1"
    elsewhere = session._headers_for("GET", "http://b:2/x", {"X-Mine": "m"})
    assert not set(session.credentials) & set(elsewhere)
    assert elsewhere["X-Mine"] == "m"
    session.close()


def test_files_take_a_path_bytes_or_filename_content_and_type(tmp_path):
    path = tmp_path / "batch.txt"
    path.write_text("line 1")
    with upload({"a": str(path), "b": b"raw", "c": ["r.csv", "x,y", "text/csv"]}, Masker()) as parts:
        assert parts["a"][0] == "batch.txt"
        assert parts["a"][1].read() == b"line 1"
        assert parts["b"] == ("b", b"raw")
        assert parts["c"] == ("r.csv", "x,y", "text/csv")
        opened = parts["a"][1]
    assert opened.closed


def test_files_that_cannot_be_sent_fail_before_sending(tmp_path):
    with (
        pytest.raises(SeamError, match=r"^HTTP: files= 'a': .*missing.txt is not a file$"),
        upload({"a": str(tmp_path / "missing.txt")}, Masker()),
    ):
        pass
    with (
        pytest.raises(SeamError, match=r"^HTTP: files= 'a' must be .* got a value of type dict$"),
        upload({"a": {}}, Masker()),
    ):
        pass


def test_a_deadline_shuts_the_socket_of_its_call_down_and_no_other():
    class Connection:
        def __init__(self):
            self.sock = socket.socket()

    expired, kept = CallDeadline(0.05), CallDeadline(30)
    expired.connection, kept.connection = Connection(), Connection()
    for deadline in (expired, kept):
        deadline.connection.sock.connect(LISTENER.getsockname())
    with bounded(kept):
        expired.arm(expired.seconds)
        assert _eventually(lambda: expired.expired)
        assert expired.connection.sock.recv(1) == b""  # shut down: reads end at once
        assert not kept.expired
    assert kept not in WATCHDOG._armed
    for deadline in (expired, kept):
        deadline.connection.sock.close()


def test_lost_connections_are_told_apart_from_refused_ones():
    reset = requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    )
    assert describe(reset, 1) == "the connection was lost before a response came: [Errno 104] Connection reset by peer"
    broken = requests.exceptions.ChunkedEncodingError(ProtocolError("Connection broken: IncompleteRead(3 bytes read)"))
    assert (
        describe(broken, 1)
        == "the connection broke while the body was read: Connection broken: IncompleteRead(3 bytes read)"
    )


LISTENER = socket.create_server(("127.0.0.1", 0))


def _eventually(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False
