"""Seamline beside RequestsLibrary and DatabaseLibrary, through `robot`: their calls are spans in
seamline-metrics.json, their secrets are masked at INFO and TRACE, and their suites pass without Seamline."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from canary import ACCEPTANCE_LIBRARIES, ROOT, CanaryRun, assert_nowhere, run_canary

SUITE = Path(__file__).parent / "canary" / "compat_canary.robot"
SECRETS = {
    "CANARY_TOKEN": "canary-token-4d1c8e",
    "CANARY_COOKIE": "canary-cookie-90ab7f",
    "CANARY_API_KEY": "canary-api-key-2e6d35",
    "CANARY_PASSWORD": "canary-password-7fa2c1",
    "CANARY_KNOWN_SECRET": "canary-known-b83e0d",
    "CANARY_DB_PASSWORD": "canary-db-pw-61c9aa",
    "CANARY_DB_SECRET": "canary-db-secret-0f5e27",
}
ACCEPTANCE = ROOT / "tests" / "acceptance"


@pytest.fixture(scope="module", params=["INFO", "TRACE"])
def canary_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> CanaryRun:
    output = tmp_path_factory.mktemp(f"compat-{request.param}")
    return run_canary(SUITE, SECRETS, output, pythonpath=[ACCEPTANCE_LIBRARIES], loglevel=request.param)


def test_their_secrets_are_masked_in_every_output(canary_run: CanaryRun) -> None:
    # The decoding works and the secrets did travel: RequestsLibrary logged the request, masked.
    assert "'Authorization': '***'" in canary_run.log_strings
    assert "/anything/***" in canary_run.log_strings
    assert_nowhere(canary_run)


def test_their_calls_are_spans_in_the_metrics_file(canary_run: CanaryRun, postgres_url: str) -> None:
    assert canary_run.metrics is not None
    run = canary_run
    tests = {test["test"].rsplit(".", 1)[-1]: test["spans"] for test in json.loads(run.metrics)["tests"]}
    http = tests["RequestsLibrary Credential Headers And Bodies Are Masked"]
    assert [(span["operation"], span["attributes"]["status"]) for span in http] == [
        ("GET", 200),
        ("POST", 200),
        ("POST", 200),
    ]
    for span in http:
        assert re.fullmatch("[0-9a-f]{32}", span["trace_id"]) and span["correlation_id"] == span["trace_id"]
        assert span["bytes_received"] > 0
    assert tests["A Value Seamline Knows As A Secret Is Masked In RequestsLibrary's Log"][0]["target"].endswith(
        "/anything/***"
    )
    sql = tests["DatabaseLibrary Connection Passwords Are Masked"]
    assert [(span["target"], span["attributes"]["rows"]) for span in sql] == [("psycopg params", 1)]


@pytest.mark.parametrize("suite", ["compat_requests.robot", "compat_database.robot"])
def test_their_suites_pass_without_seamline(tmp_path: Path, suite: str) -> None:
    command = [sys.executable, "-m", "robot", "--variable", "SEAMLINE:BuiltIn", "--outputdir", str(tmp_path)]
    command += ["--pythonpath", str(ACCEPTANCE_LIBRARIES), "--console", "dotted", str(ACCEPTANCE / suite)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert not (tmp_path / "seamline-metrics.json").exists()
