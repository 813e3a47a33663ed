"""Acceptance-test helper: skip a test whose real server is absent, fail when SEAMLINE_REQUIRE names it."""

import sys
from pathlib import Path

from robot.api import Failure, SkipExecution

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from servers import absence_reason, required, server_url


def require_server(name: str) -> str:
    """Skips the test unless server `name` is usable (fails instead when SEAMLINE_REQUIRE names it).

    Returns the server's URL (postgres, mariadb, rabbitmq) or an empty string (sshd).
    """
    reason = absence_reason(name)
    if reason is not None:
        if required(name):
            raise Failure(f"{reason}, and SEAMLINE_REQUIRE requires it")
        raise SkipExecution(reason)
    return server_url(name) if name != "sshd" else ""
