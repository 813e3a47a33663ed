"""The library core leaks no secret at TRACE: Secret env values, URL passwords, failure messages."""

import os
import subprocess
import sys
from pathlib import Path

CANARY_TOKEN = "canary-token-5f1e9a"
CANARY_URL_PASSWORD = "canary-url-pw-77b2"
SUITE = Path(__file__).parent / "canary" / "library_canary.robot"


def test_no_secret_in_output_xml_or_log_html(tmp_path):
    env = {**os.environ, "CANARY_TOKEN": CANARY_TOKEN, "CANARY_URL_PASSWORD": CANARY_URL_PASSWORD}
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--loglevel", "TRACE", "--outputdir", str(tmp_path), str(SUITE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    output = (tmp_path / "output.xml").read_text(encoding="utf-8")
    log = (tmp_path / "log.html").read_text(encoding="utf-8")
    assert "token ***" in output  # the process got the token; the log shows it masked
    for secret in (CANARY_TOKEN, CANARY_URL_PASSWORD):
        assert secret not in output
        assert secret not in log
        assert secret not in run.stdout
