"""The messaging keywords leak no secret at TRACE: broker passwords, URL passwords, secrets in payloads."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "acceptance" / "messaging_secrets.robot"
CANARIES = {
    "MSG_CANARY_PASSWORD": "canary-broker-pw-6b1f",
    "MSG_CANARY_URL_PASSWORD": "canary-url-pw-0d7e",
    "MSG_CANARY_TOKEN": "canary-payload-token-93aa",
}


def log_html_strings(log: str) -> list[str]:
    """Every string of log.html's data model, decoded: they are stored zlib-compressed and base64-encoded."""
    strings = []
    for chunk in re.findall(r'window\.output\["strings"\] = window\.output\["strings"\]\.concat\((\[.*?\])\);', log):
        for item in json.loads(chunk.replace("\\x3c", "<")):
            strings.append(item[1:] if item.startswith("*") else zlib.decompress(base64.b64decode(item)).decode())
    return strings


def test_no_messaging_secret_in_output_xml_or_log_html(rabbitmq_url: str, tmp_path: Path) -> None:
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
        env={**os.environ, **CANARIES},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    output = (tmp_path / "output.xml").read_text(encoding="utf-8")
    log = (tmp_path / "log.html").read_text(encoding="utf-8")
    decoded = "\n".join(log_html_strings(log))
    assert "Published canary.sent" in decoded  # the decoding works: real messages are there
    assert '"api_key": "***"' in output  # the payload was logged, masked
    for secret in CANARIES.values():
        for where, text in (("output.xml", output), ("log.html", log), ("log.html strings", decoded)):
            assert secret not in text, f"{secret} leaked into {where}"
        assert secret not in run.stdout + run.stderr
