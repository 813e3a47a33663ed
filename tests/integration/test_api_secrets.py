"""Secrets canary: API credentials and password fields never reach output.xml, log.html or the metrics file."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from urllib.parse import quote

from canary import ROOT, assert_nowhere, run_canary

SUITE = ROOT / "tests" / "acceptance" / "api_secrets.robot"


def test_api_secrets_appear_nowhere_in_the_output(tmp_path: Path) -> None:
    password = f"pw-{secrets.token_hex(8)}"
    canaries = {
        "SEAMLINE_CANARY_PASSWORD": password,
        "SEAMLINE_CANARY_TOKEN": f"tok-{secrets.token_hex(8)}",
        "SEAMLINE_CANARY_API_KEY": f"key-{secrets.token_hex(8)}",
    }
    run = run_canary(SUITE, canaries, tmp_path)
    assert run.metrics is not None, "the library wrote no seamline-metrics.json"
    assert "***" in run.output_xml
    assert_nowhere(run, base64.b64encode(f"bob:{password}".encode()).decode(), quote(password))
