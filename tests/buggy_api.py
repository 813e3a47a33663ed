"""A small, deliberately buggy HTTP API with an OpenAPI document, for the unexpected-inputs keyword's tests.

    python tests/buggy_api.py          # prints READY http://127.0.0.1:<port>

Its defects, each of a class real services have:
- ``GET /notes/{name}`` answers 500 when the name holds a control character;
- ``POST /notes`` answers 500 for a ``size`` beyond 32 bits, and accepts a ``title`` longer than its
  documented ``maxLength`` (it cuts it);
- a request whose ``X-Tag`` header holds a ``;`` gets no answer at all: the connection is dropped;
- ``DELETE /notes/{name}`` is answered 404 where 405 is due.
Everything else answers as documented and echoes ``X-Correlation-Id``. Binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}},
}
NOTE = {
    "type": "object",
    "required": ["title", "size"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 20},
        "size": {"type": "integer", "minimum": 0},
    },
}
TAG = {"name": "X-Tag", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 12}}


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "buggy notes", "version": "1"},
    "paths": {
        "/notes/{name}": {
            "get": {
                "operationId": "getNote",
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}, TAG],
                "responses": {
                    "200": _json_response("The note", NOTE),
                    "404": _json_response("No such note", ERROR),
                },
            }
        },
        "/notes": {
            "post": {
                "operationId": "createNote",
                "parameters": [TAG],
                "requestBody": {"required": True, "content": {"application/json": {"schema": NOTE}}},
                "responses": {
                    "201": {
                        **_json_response("Stored", NOTE),
                        "links": {
                            "GetNote": {"operationId": "getNote", "parameters": {"name": "$response.body#/title"}}
                        },
                    },
                    "422": _json_response("Invalid note", ERROR),
                },
            }
        },
    },
}
NOTES = {"first": {"title": "first", "size": 1}}


class BuggyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self._read_body()
        if self._dropped():
            return
        path = urlsplit(self.path).path
        if path == "/openapi.json":
            self._json(200, OPENAPI)
            return
        if not path.startswith("/notes/"):
            self._json(404, {"error": {"code": "NOT_FOUND"}})
            return
        name = unquote(path[len("/notes/") :])
        if any(ord(char) < 32 for char in name):
            self._json(500, {"error": {"code": "INTERNAL_ERROR", "message": "name.encode('ascii') failed"}})
        elif name in NOTES:
            self._json(200, NOTES[name])
        else:
            self._json(404, {"error": {"code": "NOTE_NOT_FOUND"}})

    def do_POST(self) -> None:
        raw = self._read_body()
        if self._dropped():
            return
        if urlsplit(self.path).path != "/notes":
            self._json(404, {"error": {"code": "NOT_FOUND"}})
            return
        try:
            note = json.loads(raw)
        except ValueError:
            self._json(422, {"error": {"code": "INVALID_JSON"}})
            return
        if not isinstance(note, dict) or set(note) != {"title", "size"}:
            self._json(422, {"error": {"code": "VALIDATION_ERROR"}})
            return
        title, size = note["title"], note["size"]
        if not isinstance(title, str) or not title or isinstance(size, bool) or not isinstance(size, int) or size < 0:
            self._json(422, {"error": {"code": "VALIDATION_ERROR"}})
            return
        if size >= 2**31:
            self._json(500, {"error": {"code": "INTERNAL_ERROR", "message": "integer out of range"}})
            return
        stored = {"title": title[:20], "size": size}
        self._json(201, stored)

    def do_DELETE(self) -> None:
        self._read_body()
        self._json(404, {"error": {"code": "NOT_FOUND"}})

    def _not_allowed(self) -> None:
        self._read_body()
        allowed = "POST" if urlsplit(self.path).path == "/notes" else "GET"
        self._json(405, {"error": {"code": "METHOD_NOT_ALLOWED"}}, {"Allow": allowed})

    do_PUT = do_PATCH = do_OPTIONS = do_TRACE = do_QUERY = do_HEAD = _not_allowed

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length", "0")
        return self.rfile.read(int(length)) if length.isdigit() else b""

    def _dropped(self) -> bool:
        """The header defect: a tag holding ';' closes the connection without any answer."""
        if ";" in self.headers.get("X-Tag", ""):
            self.close_connection = True
            return True
        return False

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        correlation = self.headers.get("X-Correlation-Id")
        if correlation:
            self.send_header("X-Correlation-Id", correlation)
        self.end_headers()
        self.wfile.write(data)


def start() -> tuple[ThreadingHTTPServer, str]:
    """Serve in a daemon thread; returns the server and its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BuggyHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="buggy-api", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


if __name__ == "__main__":
    _server, url = start()
    print(f"READY {url}", flush=True)
    threading.Event().wait()
