"""Acceptance-test helper: one value, as each kind of system would hand it back to a test.

The cross-seam comparison table (tests/acceptance/surface/comparing.robot) writes a value as JSON text
once; this library serves it from a local HTTP endpoint (``GET /value?json=<JSON text>`` answers
``{"value": <that JSON>}``), decodes it for an SQL row or a message payload, and writes it into a CSV
batch file with a layout of its own: numbers in a decimal field, everything else in a text field.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

LAYOUT = """\
name: compared-values
description: one compared value per record, as a CSV export would carry it
format: csv
encoding: utf-8
header_row: true
records:
  value:
    fields:
      - {name: key, type: str}
      - {name: number, type: decimal, optional: true}
      - {name: text, type: str, optional: true}
"""


class _ValueHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        texts = parse_qs(url.query).get("json")
        if url.path != "/value" or not texts:
            self._send(404, {"error": "GET /value?json=<JSON text>"})
            return
        self._send(200, {"value": json.loads(texts[0])})

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class ComparedValues:
    ROBOT_LIBRARY_SCOPE = "SUITE"

    def __init__(self) -> None:
        self._servers: list[ThreadingHTTPServer] = []

    def start_value_server(self) -> str:
        """Starts the JSON value server on a free loopback port; returns its base URL."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _ValueHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    def stop_value_servers(self) -> None:
        """Stops every value server this library started."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def decode_json(self, text: str) -> Any:
        """The Python value of JSON ``text`` (what a driver or a JSON parser hands back)."""
        return json.loads(text)

    def write_value_layout(self, directory: str) -> str:
        """Writes the layout of the value CSV files into ``directory``; returns its path."""
        path = Path(directory, "compared-values.yaml")
        path.write_text(LAYOUT, encoding="utf-8")
        return str(path)

    def write_value_csv(self, path: str, key: str, json_text: str) -> str:
        """Writes a CSV file with one record holding the value; returns the field that holds it.

        A JSON number goes in the decimal field ``number`` and null leaves it empty (an empty optional
        typed field reads as None; an empty text field is the empty text); a string goes as it is and
        ``true``/``false`` as those words in the text field ``text``.
        """
        value = json.loads(json_text)
        if value is None:
            number, text, field = "", "", "number"
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            number, text, field = json_text.strip(), "", "number"
        else:
            number, text, field = "", value if isinstance(value, str) else json.dumps(value), "text"
        Path(path).write_text(f"key,number,text\n{key},{number},{text}\n", encoding="utf-8")
        return field
