"""Secrets canary for the database keywords: run tests/acceptance/database_secrets.robot at TRACE, then
look for the secret strings in everything Robot wrote."""

from __future__ import annotations

import uuid
from pathlib import Path

from canary import ACCEPTANCE_LIBRARIES, ROOT, assert_nowhere, run_canary

SUITE = ROOT / "tests" / "acceptance" / "database_secrets.robot"


def test_no_database_secret_in_output_xml_log_html_or_console(
    tmp_path: Path, mariadb_url: str, postgres_url: str
) -> None:
    secrets = {
        "SEAMLINE_DB_CANARY_PASSWORD": f"db-pw-{uuid.uuid4().hex[:12]}",
        "SEAMLINE_DB_CANARY_URL_PASSWORD": f"url-pw-{uuid.uuid4().hex[:12]}",
        "SEAMLINE_DB_CANARY_VALUE": f"value-{uuid.uuid4().hex[:12]}",
    }
    run = run_canary(SUITE, secrets, tmp_path, pythonpath=[ACCEPTANCE_LIBRARIES])
    assert "'value': '***'" in run.output_xml  # the secret value came back from the database, masked
    assert_nowhere(run)
