"""Acceptance-test helper: httpbin in a thread of the test process, for suites that must run without Seamline
(whose `Start Service` the other API suites use to run it as a process)."""

from __future__ import annotations

import logging
import threading

from werkzeug.serving import BaseWSGIServer, make_server

# httpbin warns at import that flasgger (its Swagger UI) is missing: nothing these suites use.
logging.getLogger("httpbin.core").setLevel(logging.ERROR)
from httpbin import app  # noqa: E402


class Httpbin:
    ROBOT_LIBRARY_SCOPE = "SUITE"

    def __init__(self) -> None:
        self._server: BaseWSGIServer | None = None

    def start_httpbin(self) -> str:
        """Starts httpbin on a free port of 127.0.0.1 and returns its base URL."""
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop_httpbin(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
