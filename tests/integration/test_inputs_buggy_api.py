"""Unexpected inputs against the deliberately buggy notes API (tests/buggy_api.py), through a Seamline session."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from buggy_api import OPENAPI, start

from Seamline.engine.api.session import ApiSession
from Seamline.engine.inputs.api import InputProbe
from Seamline.engine.inputs.document import load_document, select_operations
from Seamline.engine.masking import Masker


@pytest.fixture(scope="module")
def buggy():
    server, url = start()
    yield url
    server.shutdown()
    server.server_close()


def findings(url: str, seed: int, examples: int = 60):
    masker = Masker()
    session = ApiSession(url, masker, timeout=5)
    schema = load_document(OPENAPI)  # a fresh schema per run: Schemathesis remembers the methods it probed
    probe = InputProbe(schema, url, session.send, masker, seed=seed, examples=examples, max_time=30)
    return probe.run(select_operations(schema, "all"))


def sweep(url: str, seed: int, examples: int = 60) -> dict:
    return findings(url, seed, examples).problems


def test_the_document_links_are_followed_in_sequences(buggy):
    found = findings(buggy, seed=2, examples=20)
    assert found.sequence_requests > 0
    assert found.sent == sum(found.by_operation.values())


def test_finds_each_defect_once_and_the_same_seed_finds_them_again(buggy):
    first = sweep(buggy, seed=1)
    found = {(problem.check, problem.operation, problem.status) for problem in first.values()}
    assert ("not_a_server_error", "GET /notes/{name}", 500) in found  # the control character
    assert ("not_a_server_error", "POST /notes", 500) in found  # the integer beyond 32 bits
    assert ("negative_data_rejection", "POST /notes", 201) in found  # the title cut, not refused
    assert ("unsupported_method", "POST /notes", 404) in found  # DELETE answered 404
    assert len(found) == len(first)  # each once
    assert set(sweep(buggy, seed=1)) == set(first)


def test_a_dropped_connection_is_a_problem_with_a_reproducer(buggy):
    problems = sweep(buggy, seed=1, examples=100)
    dropped = [problem for problem in problems.values() if problem.check == "response"]
    assert dropped and all(problem.status is None for problem in dropped)
    assert "the connection was lost before a response came" in dropped[0].detail
    assert ";" in dropped[0].curl and dropped[0].curl.startswith("curl -X ")
