"""Acceptance-test helper: small local HTTP(S) servers for what httpbin cannot do.

- a JSON server with cursor pagination, a state that changes between polls, Server-Timing and an
  OpenAPI document (one endpoint deliberately drifts from it);
- an HTTPS server with a self-signed certificate made at test time (TLS verification failures);
- the URL of a port nothing listens on (unreachable host).
Every server binds 127.0.0.1 port 0 and runs in a daemon thread until the suite ends.
"""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ITEMS = [{"id": n} for n in range(1, 8)]
# Values as systems return them, for the comparison rule (numbers, booleans, null, timestamps, codes).
VALUES = {"amount": 12.5, "paid": True, "note": None, "at": "2026-11-24T10:00:00Z", "code": "007"}
ORDER_SCHEMA = {
    "type": "object",
    "required": ["id", "quantity", "status"],
    "properties": {
        "id": {"type": "string"},
        "quantity": {"type": "integer", "minimum": 1},
        "status": {"enum": ["NEW", "RESERVED", "REJECTED"]},
    },
}
OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "acceptance test server", "version": "1"},
    "paths": {
        "/orders/{id}": {
            "get": {
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}
                }
            }
        },
        "/drift/{id}": {
            "get": {
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}
                }
            }
        },
        "/html": {"get": {"responses": {"200": {"content": {"application/json": {}}}}}},
    },
    "components": {"schemas": {"Order": ORDER_SCHEMA}},
}


class _Handler(BaseHTTPRequestHandler):
    polls: dict[str, int] = {}
    traceparents: dict[str, list[str | None]] = {}

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        if url.path == "/openapi.json":
            self._json(200, OPENAPI)
        elif url.path == "/pages":
            start, limit = int(query.get("cursor", 0)), int(query.get("limit", 3))
            following = str(start + limit) if start + limit < len(ITEMS) else None
            self._json(200, {"items": ITEMS[start : start + limit], "next": following})
        elif url.path == "/looping-pages":
            self._json(200, {"items": [1], "next": "same"})
        elif parts[0] == "orders" and len(parts) == 2:
            self._json(200, {"id": parts[1], "quantity": 2, "status": "NEW"})
        elif parts[0] == "drift" and len(parts) == 2:
            self._json(200, {"id": parts[1], "quantity": "2", "status": "SHIPPED"})
        elif parts[0] == "eventually" and len(parts) == 3:
            # /eventually/<final status>/<key>: NEW for the first two polls of <key>, then the final status; the
            # traceparent of each poll of <key> (a list under "traceparents") at /eventually/traceparents/<key>
            if parts[1] == "traceparents":
                self._json(200, {"traceparents": _Handler.traceparents.get(parts[2], [])})
                return
            seen = _Handler.polls[parts[2]] = _Handler.polls.get(parts[2], 0) + 1
            _Handler.traceparents.setdefault(parts[2], []).append(self.headers.get("traceparent"))
            self._json(200, {"id": parts[2], "status": "NEW" if seen <= 2 else parts[1], "polls": seen})
        elif url.path == "/values":
            self._json(200, VALUES)
        elif url.path == "/html":
            self._send(200, b"<!DOCTYPE html><p>not json</p>", "text/html; charset=utf-8")
        else:
            self._json(404, {"error": {"code": "NOT_FOUND", "message": url.path}})

    def _json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Server-Timing", "app;dur=1.5, db;dur=0.5")
        self.end_headers()
        self.wfile.write(body)


class ApiTestServers:
    ROBOT_LIBRARY_SCOPE = "SUITE"

    def __init__(self) -> None:
        self._servers: list[ThreadingHTTPServer] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="seamline-tls-")

    def start_json_test_server(self) -> str:
        """Starts the JSON test server; returns its base URL."""
        return self._serve(ThreadingHTTPServer(("127.0.0.1", 0), _Handler), "http")

    def start_self_signed_tls_server(self) -> str:
        """Starts an HTTPS server whose certificate no CA signed; returns its base URL."""
        cert, key = self._self_signed_certificate()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        return self._serve(server, "https")

    def closed_port_url(self) -> str:
        """The URL of a loopback port nothing listens on."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop_test_servers(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()
        self._tmp.cleanup()

    def _serve(self, server: ThreadingHTTPServer, scheme: str) -> str:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._servers.append(server)
        return f"{scheme}://127.0.0.1:{server.server_address[1]}"

    def _self_signed_certificate(self) -> tuple[str, str]:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .sign(key, hashes.SHA256())
        )
        cert_path, key_path = Path(self._tmp.name, "cert.pem"), Path(self._tmp.name, "key.pem")
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return str(cert_path), str(key_path)
