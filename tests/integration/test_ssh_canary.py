"""The SSH keywords leak neither the password nor the key passphrase at TRACE (output.xml, log.html, console)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

from sshd import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "integration" / "canary" / "ssh_canary.robot"
PASSPHRASE = "canary-passphrase-3c9d41"


def log_html_strings(log: str) -> list[str]:
    """Every string of log.html's data model, decoded: they are stored zlib-compressed and base64-encoded."""
    strings = []
    for chunk in re.findall(r'window\.output\["strings"\] = window\.output\["strings"\]\.concat\((\[.*?\])\);', log):
        # A JavaScript array: its only non-JSON escape is \x3c ("<", so that no "</script>" appears).
        for item in json.loads(chunk.replace("\\x3c", "<")):
            strings.append(item[1:] if item.startswith("*") else zlib.decompress(base64.b64decode(item)).decode())
    return strings


def test_no_ssh_secret_in_output_xml_or_log_html(sshd_available: None, tmp_path: Path) -> None:
    env = {**os.environ, "CANARY_SSH_PASSWORD": TEST_PASSWORD, "SEAMLINE_SSHD_PASSPHRASE": PASSPHRASE}
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
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    output = (tmp_path / "output.xml").read_text(encoding="utf-8")
    log = (tmp_path / "log.html").read_text(encoding="utf-8")
    decoded = "\n".join(log_html_strings(log))
    assert "Logged in to seamline-test@127.0.0.1" in decoded  # the decoding works: real messages are there
    for secret in (TEST_PASSWORD, PASSPHRASE):
        for where, text in (("output.xml", output), ("log.html", log), ("log.html strings", decoded)):
            assert secret not in text, f"{secret} leaked into {where}"
        assert secret not in run.stdout + run.stderr
