"""Acceptance-test helper: the deliberately buggy notes API of tests/buggy_api.py, in a thread."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from buggy_api import start


class BuggyApi:
    ROBOT_LIBRARY_SCOPE = "SUITE"

    def start_buggy_api(self) -> str:
        """Starts the buggy notes API; returns its base URL."""
        self._server, url = start()
        return url

    def stop_buggy_api(self) -> None:
        self._server.shutdown()
        self._server.server_close()
