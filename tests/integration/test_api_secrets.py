"""Secrets canary: API credentials and password fields never reach output.xml, log.html or the metrics file."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "acceptance" / "api_secrets.robot"


def test_api_secrets_appear_nowhere_in_the_output(tmp_path):
    canaries = {
        "SEAMLINE_CANARY_PASSWORD": f"pw-{secrets.token_hex(8)}",
        "SEAMLINE_CANARY_TOKEN": f"tok-{secrets.token_hex(8)}",
        "SEAMLINE_CANARY_API_KEY": f"key-{secrets.token_hex(8)}",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--loglevel",
            "TRACE",
            "--outputdir",
            str(tmp_path),
            "--console",
            "dotted",
            str(SUITE),
        ],
        env={**os.environ, **canaries},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    password = canaries["SEAMLINE_CANARY_PASSWORD"]
    forbidden = [*canaries.values(), base64.b64encode(f"bob:{password}".encode()).decode(), quote(password)]
    written = [tmp_path / "output.xml", tmp_path / "log.html", tmp_path / "seamline-metrics.json"]
    assert all(path.exists() for path in written)
    for path in written:
        text = path.read_text(encoding="utf-8")
        leaked = [secret for secret in forbidden if secret in text]
        assert not leaked, f"{path.name} contains {leaked}"
    assert "***" in (tmp_path / "output.xml").read_text(encoding="utf-8")
