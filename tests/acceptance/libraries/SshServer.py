"""Acceptance-test helper: a real OpenSSH sshd on a loopback port (see tests/sshd.py)."""

import os
import sys
from pathlib import Path

from robot.api.deco import keyword, library
from robot.api.types import Secret
from robot.utils import DotDict

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sshd import RunningSshd, start_sshd


@library(scope="SUITE")
class SshServer:
    """Starts Debian's sshd for a suite; `Stop Test Sshd` (or the end of the suite) stops it."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        self.server: RunningSshd | None = None
        self.ROBOT_LIBRARY_LISTENER = self

    @keyword
    def start_test_sshd(self) -> DotDict:
        """Starts sshd; returns host, port, user, password and passphrase (Secrets), key files, known_hosts...

        The passphrase is ``%{SEAMLINE_SSHD_PASSPHRASE}`` when set (the secrets canary), else random.
        """
        self.server = start_sshd(passphrase=os.environ.get("SEAMLINE_SSHD_PASSPHRASE") or None)
        server = self.server
        return DotDict(
            host=server.host,
            port=server.port,
            user=server.user,
            password=Secret(server.password),
            key_file=str(server.key_file),
            protected_key_file=str(server.protected_key_file),
            passphrase=Secret(server.passphrase),
            unauthorized_key_file=str(server.unauthorized_key_file),
            known_hosts=str(server.known_hosts),
            fingerprint=server.host_key_fingerprint,
            work_dir=str(server.work_dir),
        )

    @keyword
    def stop_test_sshd(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    @keyword
    def known_hosts_with_another_key(self) -> tuple[str, str]:
        """A known_hosts file naming the test sshd with a different key; returns (path, that key's fingerprint)."""
        if self.server is None:
            raise RuntimeError("Start Test Sshd first")
        path, fingerprint = self.server.known_hosts_with_another_key()
        return str(path), fingerprint

    def end_suite(self, data: object, result: object) -> None:
        self.stop_test_sshd()
