"""orderflow gateway: the only public entry.

    python -m orderflow.gateway --orders URL --inventory URL --reports URL
        [--upstream-timeout 5s] [--upstream-retries 3] [--rate-limit 20/s] [--max-body 64KiB] [--port 0]

Routes /api/orders..., /api/inventory/... (-> /stock...) and /api/reports/... to the services.
Checks, in order: route (404/405), X-Api-Key (401), role (403), per-key rate (429 +
Retry-After), body size (413); then proxies (502 upstream down, 504 upstream slow: no answer
within --upstream-timeout, however the upstream drips). A GET/HEAD the upstream refused or
answered 502/503/504 is retried (--upstream-retries, backoff from 50 ms, within that same
timeout); a write is never retried. An upstream failure that remains is passed on with its
status, code and message, "(after N attempts)" added when retried. Every
failure is ``{"error": {"code", "message", "correlation_id", "upstream"?}}``. Keys come from
ORDERFLOW_API_KEYS ("key:role,..."; demo keys by default). GET /openapi.json, GET /health.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import request_response

from orderflow import serving, telemetry
from orderflow.config import Flags, duration, rate, size
from orderflow.gateway_policy import (
    DEMO_API_KEYS,
    PERMISSIONS,
    RateLimiter,
    RetryPolicy,
    TraceContext,
    find_route,
    parse_api_keys,
    public_path,
    upstream_path,
)
from orderflow.openapi import openapi_document
from orderflow.serving import HTTP_CODES

MAX_CORRELATION_ID = 64


@dataclass(frozen=True)
class GatewaySettings:
    upstreams: dict[str, str]  # service -> base URL
    api_keys: dict[str, str]  # key -> role
    upstream_timeout: float
    rate_limit: float
    max_body: int
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class Refused(Exception):
    """A request the gateway answers itself with an error envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        upstream: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.upstream = upstream
        self.headers = headers or {}


class Gateway:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_limit)
        self.http: httpx.AsyncClient | None = None
        # The gateway's own GET routes, answered with the same headers as every proxied call.
        self.own_routes: dict[str, Callable[[Request], Awaitable[Response]]] = {}

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        given = request.headers.get("x-correlation-id", "")
        # A longer id is refused, not cut: cutting broke the documented maxLength, and a cut ending in
        # whitespace made an invalid response header, so the connection was dropped without an answer.
        correlation_id = given if 0 < len(given) <= MAX_CORRELATION_ID else str(uuid.uuid4())
        trace = TraceContext.continue_from(request.headers.get("traceparent"))
        timing: dict[str, float] = {}
        try:
            response = await self._route(request, given, correlation_id, trace, timing)
        except Refused as refused:
            response = envelope(refused, correlation_id)
        except Exception as error:
            response = envelope(Refused(500, "INTERNAL_ERROR", f"{type(error).__name__}: {error}"), correlation_id)
        own_ms = (time.perf_counter() - started) * 1000 - timing.get("round_trip", 0.0)
        server_timing = [f"gateway;dur={own_ms:.1f}"]
        if "service" in timing:
            server_timing.append(f"{timing['name']};dur={timing['service']:.1f}")
        response.headers["x-correlation-id"] = correlation_id
        response.headers["traceresponse"] = trace.traceparent
        response.headers["server-timing"] = ", ".join(server_timing)
        return response

    async def _route(
        self, request: Request, given_id: str, correlation_id: str, trace: TraceContext, timing: dict[str, Any]
    ) -> Response:
        # The decoded path as the server received it: request.url re-parses it and drops tabs and newlines.
        path = request.scope["path"]
        own = self.own_routes.get(path)
        if own is not None:
            if request.method not in ("GET", "HEAD"):
                raise Refused(
                    405,
                    "METHOD_NOT_ALLOWED",
                    f"{request.method} {path} is not allowed; use GET",
                    headers={"allow": "GET"},
                )
            return await own(request)
        route = find_route(path)
        if route is None:
            raise Refused(404, "NOT_FOUND", f"no route {path}")
        access = route.methods.get(request.method)
        if access is None:
            allowed = ", ".join(route.methods)
            raise Refused(
                405,
                "METHOD_NOT_ALLOWED",
                f"{request.method} {path} is not allowed; use {allowed}",
                headers={"allow": allowed},
            )
        if len(given_id) > MAX_CORRELATION_ID:
            raise Refused(422, "VALIDATION_ERROR", f"X-Correlation-Id must be at most {MAX_CORRELATION_ID} characters")
        key = request.headers.get("x-api-key")
        if not key:
            raise Refused(401, "UNAUTHORIZED", "missing X-Api-Key header")
        role = self.settings.api_keys.get(key)
        if role is None:
            raise Refused(401, "UNAUTHORIZED", "unknown API key")
        if (route.service, access) not in PERMISSIONS[role]:
            raise Refused(403, "FORBIDDEN", f"role {role} may not {access} {route.service}")
        wait = self.limiter.take(key)
        if wait:
            raise Refused(
                429,
                "RATE_LIMITED",
                f"more than {self.settings.rate_limit:g} requests/s for this API key",
                headers={"retry-after": RateLimiter.retry_after(wait)},
            )
        body = await self._read_body(request)
        return await self._proxy(request, route.service, body, correlation_id, trace, timing)

    async def _read_body(self, request: Request) -> bytes:
        limit = self.settings.max_body
        too_large = Refused(413, "PAYLOAD_TOO_LARGE", f"request body exceeds {limit} bytes")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise too_large
        return bytes(body)

    async def _proxy(
        self,
        request: Request,
        service: str,
        body: bytes,
        correlation_id: str,
        trace: TraceContext,
        timing: dict[str, Any],
    ) -> Response:
        # The path as it came (percent-encoded), not decoded: a decoded control character is no valid URL.
        url = self.settings.upstreams[service] + upstream_path(request.scope.get("raw_path", b"").decode("latin-1"))
        headers = {"x-correlation-id": correlation_id, "traceparent": trace.traceparent}
        for name in ("content-type", "accept", "tracestate"):
            if name in request.headers:
                headers[name] = request.headers[name]
        started = time.perf_counter()
        try:
            upstream, attempts = await self._send(request.method, url, request.query_params, body, headers, service)
        finally:
            timing["round_trip"] = (time.perf_counter() - started) * 1000
        timing["name"] = service
        timing["service"] = app_duration(upstream.headers.get("server-timing"), timing["round_trip"])
        if upstream.status_code >= 400:
            code, message = upstream_error(upstream)
            message += attempts_note(attempts)
            raise Refused(upstream.status_code, code, message, upstream=service)
        passed = {name: upstream.headers[name] for name in ("content-type",) if name in upstream.headers}
        if "location" in upstream.headers:
            passed["location"] = public_path(upstream.headers["location"])
        return Response(upstream.content, status_code=upstream.status_code, headers=passed)

    async def _send(
        self, method: str, url: str, params: Any, body: bytes, headers: dict[str, str], service: str
    ) -> tuple[httpx.Response, int]:
        """The upstream's answer and the attempts it took, all within one --upstream-timeout.

        Retries follow the RetryPolicy; the budget running out is 504 whatever the upstream
        does meanwhile (a slow drip of bytes included), an unreachable upstream 502.
        """
        assert self.http is not None
        timeout = self.settings.upstream_timeout
        deadline = time.monotonic() + timeout
        attempts = self.settings.retry.attempts(method)
        attempt = 0
        while True:
            attempt += 1
            more = attempt < attempts
            try:
                with anyio.fail_after(max(0.0, deadline - time.monotonic())):
                    upstream = await self.http.request(method, url, params=params, content=body, headers=headers)
            except (TimeoutError, httpx.TimeoutException) as error:
                raise Refused(
                    504, "UPSTREAM_TIMEOUT", f"{service} did not answer within {timeout:g}s", upstream=service
                ) from error
            except httpx.TransportError as error:
                if more and await self._pause(attempt, deadline):
                    continue
                raise Refused(
                    502,
                    "UPSTREAM_UNAVAILABLE",
                    f"{service} is unreachable: {type(error).__name__}" + attempts_note(attempt),
                    upstream=service,
                ) from error
            retryable = upstream.status_code in self.settings.retry.RETRY_STATUSES
            if retryable and more and await self._pause(attempt, deadline):
                continue
            return upstream, attempt

    async def _pause(self, attempt: int, deadline: float) -> bool:
        """Wait before the next attempt; False when the budget would not leave time for it."""
        delay = self.settings.retry.delay(attempt)
        if time.monotonic() + delay >= deadline:
            return False
        await anyio.sleep(delay)
        return True


def attempts_note(attempts: int) -> str:
    return f" (after {attempts} attempts)" if attempts > 1 else ""


def app_duration(server_timing: str | None, fallback: float) -> float:
    """The `app;dur=` an upstream reports for its own work, else the measured round trip."""
    for metric in (server_timing or "").split(","):
        name, _, params = metric.strip().partition(";")
        if name == "app":
            for param in params.split(";"):
                key, _, value = param.strip().partition("=")
                if key == "dur":
                    try:
                        return float(value)
                    except ValueError:
                        break
    return fallback


def upstream_error(response: httpx.Response) -> tuple[str, str]:
    """Code and message of an upstream failure, kept when it already used the envelope."""
    try:
        error = response.json().get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            return error["code"], str(error.get("message", ""))
    except (ValueError, AttributeError):
        pass
    code = HTTP_CODES.get(response.status_code, "UPSTREAM_ERROR")
    return code, f"upstream answered {response.status_code}: {response.text[:200]}"


def envelope(refused: Refused, correlation_id: str) -> JSONResponse:
    error: dict[str, str] = {
        "code": refused.code,
        "message": refused.message,
        "correlation_id": correlation_id,
    }
    if refused.upstream:
        error["upstream"] = refused.upstream
    return JSONResponse({"error": error}, status_code=refused.status, headers=refused.headers)


def build_app(settings: GatewaySettings) -> Starlette:
    gateway = Gateway(settings)
    document = json.dumps(openapi_document()).encode()

    async def openapi(_request: Request) -> Response:
        return Response(document, media_type="application/json")

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": "gateway"})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=settings.upstream_timeout) as client:
            gateway.http = client
            yield

    gateway.own_routes = {"/openapi.json": openapi, "/health": health}
    app = serving.service_app([], lifespan=lifespan, timing=False)
    # Every request, whatever its method or path (a decoded newline included), reaches the gateway's own
    # routing, so every answer is the documented envelope with a correlation id.
    app.router.default = request_response(gateway.handle)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    flags = Flags("python -m orderflow.gateway", "orderflow API gateway")
    flags.add("--orders", required=True, help="orders service base URL")
    flags.add("--inventory", required=True, help="inventory service base URL")
    flags.add("--reports", required=True, help="reports service base URL")
    flags.add("--upstream-timeout", type=duration, default=5.0, help="per upstream call, retries included")
    flags.add("--upstream-retries", type=int, default=3, help="retries of a failed GET/HEAD (502/503/504, down)")
    flags.add("--rate-limit", type=rate, default=20.0, help="requests per API key, e.g. 20/s")
    flags.add("--max-body", type=size, default=64 * 1024, help="largest request body, e.g. 64KiB")
    flags.add("--api-keys", default=DEMO_API_KEYS, help="key:role,... (roles clerk auditor admin)")
    flags.add("--port", type=int, default=0, help="listening port (0: any free port)")
    args = flags.parse(argv)
    telemetry.setup("gateway")
    settings = GatewaySettings(
        upstreams={
            "orders": args.orders.rstrip("/"),
            "inventory": args.inventory.rstrip("/"),
            "reports": args.reports.rstrip("/"),
        },
        api_keys=parse_api_keys(args.api_keys),
        upstream_timeout=args.upstream_timeout,
        rate_limit=args.rate_limit,
        max_body=args.max_body,
        retry=RetryPolicy(retries=args.upstream_retries),
    )
    serving.run(build_app(settings), "gateway", args.port)


if __name__ == "__main__":
    main()
