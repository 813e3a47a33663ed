"""HTTP engine: status expectations, auth from secrets, trace headers, Server-Timing, JSON helpers."""

from __future__ import annotations

import base64
import re

import pytest
import requests

from Seamline.engine.api.session import (
    ApiSession,
    ExpectedStatus,
    auth_headers,
    json_body,
    new_trace_ids,
    response_json,
    server_timing,
)
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
