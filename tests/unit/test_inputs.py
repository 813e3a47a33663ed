"""Unexpected inputs: the engine's choices that need no server (checks, modes, documents, reproducers, dedup)."""

import pytest

from Seamline.engine.errors import SeamError
from Seamline.engine.inputs.document import ALL_CHECKS, generation_modes, parse_checks, without_security
from Seamline.engine.inputs.problems import Findings, Problem, curl_command
from Seamline.engine.masking import Masker


def test_checks_all_or_named_unknown_fails():
    assert parse_checks("all") == ALL_CHECKS
    assert parse_checks("not_a_server_error, correlation_id") == ("not_a_server_error", "correlation_id")
    with pytest.raises(SeamError, match="unknown check\\(s\\) no_500; use all or some of: not_a_server_error"):
        parse_checks(["no_500"])


def test_modes():
    assert generation_modes("ALL") == ("positive", "negative")
    assert generation_modes("invalid") == ("negative",)
    with pytest.raises(SeamError, match="mode must be all, valid or invalid, got 'hostile'"):
        generation_modes("hostile")


def test_security_left_to_the_session():
    document = {
        "openapi": "3.1.0",
        "security": [{"ApiKey": []}],
        "paths": {"/a": {"get": {"security": [{"ApiKey": []}], "responses": {}}, "parameters": []}},
    }
    stripped = without_security(document)
    assert "security" not in stripped and "security" not in stripped["paths"]["/a"]["get"]
    assert stripped["paths"]["/a"]["parameters"] == [] and document["security"]  # the original is untouched


def test_curl_masks_credentials_and_keeps_control_characters_visible():
    curl = curl_command(
        "get", "http://h/notes/a", {"X-Api-Key": "k-123", "X-Tag": "a\tb", "User-Agent": "x"}, None, Masker()
    )
    assert curl == "curl -X GET -H $'X-Tag: a\\x09b' http://h/notes/a -H X-Api-Key:***"
    assert "k-123" not in Masker().text(curl)


def test_findings_list_each_problem_once_with_the_seed():
    findings = Findings(seed=7)
    for _ in range(3):
        findings.add(Problem("not_a_server_error", "GET /a", 500, "Server error", "", "curl a"))
    findings.add(Problem("not_a_server_error", "GET /a", 502, "Server error", "", "curl b"))
    findings.count("GET /a")
    report = findings.report()
    assert report.startswith("2 distinct problem(s) in 1 requests (GET /a: 1); seed=7 sends the same requests again:")
    assert "GET /a [not_a_server_error] Server error, got 500 (3 requests)\n    curl a" in report
    assert findings.report(most=1).endswith("... and 1 more (all of them in the log)")


def test_without_the_extra_one_line_names_it(monkeypatch):
    import sys

    from Seamline.engine.inputs.document import load_document

    monkeypatch.setitem(sys.modules, "schemathesis", None)  # import schemathesis now raises ImportError
    with pytest.raises(SeamError) as failure:
        load_document({"openapi": "3.1.0", "paths": {}})
    assert str(failure.value) == "Inputs: Schemathesis is not installed: pip install 'robotframework-seamline[inputs]'"


def test_two_crashes_of_one_operation_are_two_problems_and_one_crash_is_one():
    import requests

    from Seamline.engine.inputs.api import _signature

    def answer(status, text):
        response = requests.Response()
        response.status_code, response._content = status, text.encode()
        return response

    url = answer(500, """{"message": "InvalidURL: character '\\\\x02' at position 31", "id": "6bcec7530ed7a6dd"}""")
    same = answer(500, """{"message": "InvalidURL: character '\\\\x18' at position 9", "id": "0f1e2d3c4b5a6978"}""")
    other = answer(500, '{"message": "OverflowError: Python int too large to convert to SQLite INTEGER"}')
    assert _signature(url, "not_a_server_error") == _signature(same, "not_a_server_error")
    assert _signature(url, "not_a_server_error") != _signature(other, "not_a_server_error")
    assert _signature(other, "status_code_conformance") == "500"
