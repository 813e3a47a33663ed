"""The messaging keywords leak no secret at TRACE: broker passwords, URL passwords, secrets in payloads."""

from __future__ import annotations

from pathlib import Path

from canary import ACCEPTANCE_LIBRARIES, ROOT, assert_nowhere, run_canary

SUITE = ROOT / "tests" / "acceptance" / "messaging_secrets.robot"
CANARIES = {
    "MSG_CANARY_PASSWORD": "canary-broker-pw-6b1f",
    "MSG_CANARY_URL_PASSWORD": "canary-url-pw-0d7e",
    "MSG_CANARY_TOKEN": "canary-payload-token-93aa",
}


def test_no_messaging_secret_in_output_xml_or_log_html(rabbitmq_url: str, tmp_path: Path) -> None:
    run = run_canary(SUITE, CANARIES, tmp_path, pythonpath=[ACCEPTANCE_LIBRARIES])
    assert "Published canary.sent" in run.log_strings  # the decoding works: real messages are there
    assert '"api_key": "***"' in run.output_xml  # the payload was logged, masked
    assert_nowhere(run)
