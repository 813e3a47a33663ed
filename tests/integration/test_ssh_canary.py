"""The SSH keywords leak neither the password nor the key passphrase at TRACE (output.xml, log.html, console)."""

from __future__ import annotations

from pathlib import Path

from canary import ACCEPTANCE_LIBRARIES, assert_nowhere, run_canary
from sshd import TEST_PASSWORD

SUITE = Path(__file__).parent / "canary" / "ssh_canary.robot"
SECRETS = {"CANARY_SSH_PASSWORD": TEST_PASSWORD, "SEAMLINE_SSHD_PASSPHRASE": "canary-passphrase-3c9d41"}


def test_no_ssh_secret_in_output_xml_or_log_html(sshd_available: None, tmp_path: Path) -> None:
    run = run_canary(SUITE, SECRETS, tmp_path, pythonpath=[ACCEPTANCE_LIBRARIES])
    assert "Logged in to seamline-test@127.0.0.1" in run.log_strings  # the decoding works: real messages are there
    assert_nowhere(run)
