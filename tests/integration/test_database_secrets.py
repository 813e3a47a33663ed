"""Secrets canary for the database keywords: run tests/acceptance/database_secrets.robot at TRACE, then
look for the secret strings in everything Robot wrote."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "acceptance" / "database_secrets.robot"


def test_no_database_secret_in_output_xml_log_html_or_console(tmp_path, mariadb_url, postgres_url):
    secrets = {
        "SEAMLINE_DB_CANARY_PASSWORD": f"db-pw-{uuid.uuid4().hex[:12]}",
        "SEAMLINE_DB_CANARY_URL_PASSWORD": f"url-pw-{uuid.uuid4().hex[:12]}",
        "SEAMLINE_DB_CANARY_VALUE": f"value-{uuid.uuid4().hex[:12]}",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--loglevel",
            "TRACE",
            "--pythonpath",
            str(ROOT / "tests" / "acceptance" / "libraries"),
            "--outputdir",
            str(tmp_path),
            str(SUITE),
        ],
        env={**os.environ, **secrets},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    output = (tmp_path / "output.xml").read_text(encoding="utf-8")
    log = (tmp_path / "log.html").read_text(encoding="utf-8")
    assert "'value': '***'" in output  # the secret value came back from the database, masked
    for secret in secrets.values():
        assert secret not in output
        assert secret not in log
        assert secret not in run.stdout + run.stderr
