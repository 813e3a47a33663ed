"""The library core leaks no secret at TRACE: Secret env values, URL passwords, failure messages."""

from __future__ import annotations

from pathlib import Path

from canary import assert_nowhere, run_canary

SUITE = Path(__file__).parent / "canary" / "library_canary.robot"
SECRETS = {"CANARY_TOKEN": "canary-token-5f1e9a", "CANARY_URL_PASSWORD": "canary-url-pw-77b2"}


def test_no_secret_in_output_xml_or_log_html(tmp_path: Path) -> None:
    run = run_canary(SUITE, SECRETS, tmp_path)
    assert "token ***" in run.output_xml  # the process got the token; the log shows it masked
    assert_nowhere(run)
