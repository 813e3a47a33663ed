"""How every orderflow HTTP service is built and run.

A service binds its own socket (port 0 allowed) so that the real port is known before uvicorn
starts, prints one ``READY {json}`` line when it accepts connections, and answers every failure
with ``{"error": {"code", "message"}}``; a database that cannot be reached (its link cut, or reset
mid-statement) is 503 DEPENDENCY_UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import uvicorn
from sqlalchemy import exc
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderflow import telemetry
from orderflow.config import duration, env_name, mapping

log = logging.getLogger("orderflow.serving")

HOST = "127.0.0.1"

HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


class ApiError(Exception):
    """A failure a client should see: HTTP status, SNAKE_CASE code and a readable message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


async def _api_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return error_response(error.status, error.code, error.message)


async def _http_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = HTTP_CODES.get(error.status_code, "HTTP_ERROR")
    return error_response(error.status_code, code, str(error.detail), dict(error.headers or {}))


async def _database_unavailable(request: Request, error: Exception) -> Response:
    # The driver's text names the statement and its parameters: not for the caller; its error (code and
    # message) goes to the service's own log, where whoever runs the service looks.
    assert isinstance(error, exc.OperationalError)
    log.warning("%s %s: database unavailable: %s", request.method, request.url.path, error.orig)
    return error_response(503, "DEPENDENCY_UNAVAILABLE", f"database: {type(error.orig).__name__}")


async def _unexpected_error(_request: Request, error: Exception) -> Response:
    return error_response(500, "INTERNAL_ERROR", f"{type(error).__name__}: {error}")


class ServerTiming:
    """Adds `Server-Timing: app;dur=<ms>` so callers can tell time inside from time between."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={elapsed_ms:.1f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_timing)


Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def service_app(routes: Sequence[BaseRoute], lifespan: Lifespan | None = None, timing: bool = True) -> Starlette:
    return Starlette(
        routes=routes,
        middleware=[Middleware(ServerTiming)] if timing else [],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            exc.OperationalError: _database_unavailable,
            Exception: _unexpected_error,
        },
        lifespan=lifespan,
    )


def integer(value: Any) -> int | None:
    """A JSON integer as JSON Schema counts them (``5`` and ``5.0``; not ``true``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else None


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as error:
        raise ApiError(422, "INVALID_JSON", f"request body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise ApiError(422, "VALIDATION_ERROR", "request body must be a JSON object")
    return body


def bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it, a response written as headers + body
    # waits for the client's delayed ACK (~40 ms per request).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((HOST, port))
    sock.listen(128)
    return sock


def announce(service: str, **details: Any) -> None:
    """Print the one READY line `up` and the tests wait for."""
    print("READY " + json.dumps({"service": service, **details}), flush=True)


def exit_with_parent() -> None:
    """Stop this process when `up` (ORDERFLOW_PARENT_PID) is gone, so no orphan keeps a port."""
    parent = os.environ.get("ORDERFLOW_PARENT_PID")
    if not parent or not parent.isdigit():
        return

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(0.5)
        os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Delay:
    """Holds every request but ``/health`` for a set time inside the service (``ORDERFLOW_DELAY``).

    ``ORDERFLOW_DELAY=orders=50ms,inventory=10ms`` (``up --delay``) slows the named services' request
    handling, inside their server span and their ``Server-Timing``: a known delay on one hop, for tests
    of latency attribution.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") != "/health":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


def delay_of(service: str) -> float:
    """The artificial delay ``ORDERFLOW_DELAY`` gives `service`, in seconds (0 when none)."""
    given = mapping(os.environ.get(env_name("--delay"), "")).get(service)
    return duration(given) if given else 0.0


def run(app: ASGIApp, service: str, port: int = 0) -> None:
    """Serve `app` until SIGINT/SIGTERM; announce READY once it accepts connections."""
    exit_with_parent()
    if isinstance(app, Starlette):
        seconds = delay_of(service)
        if seconds:
            app.user_middleware.append(Middleware(Delay, seconds=seconds))  # innermost: inside Server-Timing
        app = telemetry.instrument_app(app)
    sock = bind(port)
    url = f"http://{HOST}:{sock.getsockname()[1]}"
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=3, lifespan="on")
    server = uvicorn.Server(config)

    async def serve() -> None:
        serving: asyncio.Task[None] = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started:
            announce(service, url=url)
        await serving

    asyncio.run(serve())
    if not server.started:
        sys.exit(f"{service}: failed to start")
