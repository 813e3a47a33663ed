"""orderflow gateway: the only public entry.

    python -m orderflow.gateway --orders URL --inventory URL --reports URL
        [--upstream-timeout 5s] [--rate-limit 20/s] [--max-body 64KiB] [--port 0]

Routes /api/orders..., /api/inventory/... (-> /stock...) and /api/reports/... to the services.
Checks, in order: route (404/405), X-Api-Key (401), role (403), per-key rate (429 +
Retry-After), body size (413); then proxies (502 upstream down, 504 upstream slow). Every
failure is ``{"error": {"code", "message", "correlation_id", "upstream"?}}``. Keys come from
ORDERFLOW_API_KEYS ("key:role,..."; demo keys by default). GET /openapi.json, GET /health.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderflow import serving, telemetry
from orderflow.config import Flags, duration, rate, size
from orderflow.gateway_policy import (
    DEMO_API_KEYS,
    PERMISSIONS,
    RateLimiter,
    TraceContext,
    find_route,
    parse_api_keys,
    public_path,
    upstream_path,
)
from orderflow.openapi import openapi_document
from orderflow.serving import HTTP_CODES

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass(frozen=True)
class GatewaySettings:
    upstreams: dict[str, str]  # service -> base URL
    api_keys: dict[str, str]  # key -> role
    upstream_timeout: float
    rate_limit: float
    max_body: int


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

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        correlation_id = request.headers.get("x-correlation-id", "")[:64] or str(uuid.uuid4())
        trace = TraceContext.continue_from(request.headers.get("traceparent"))
        timing: dict[str, float] = {}
        try:
            response = await self._route(request, correlation_id, trace, timing)
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
        self, request: Request, correlation_id: str, trace: TraceContext, timing: dict[str, Any]
    ) -> Response:
        path = request.url.path
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
        assert self.http is not None
        url = self.settings.upstreams[service] + upstream_path(request.url.path)
        headers = {"x-correlation-id": correlation_id, "traceparent": trace.traceparent}
        for name in ("content-type", "accept", "tracestate"):
            if name in request.headers:
                headers[name] = request.headers[name]
        started = time.perf_counter()
        try:
            upstream = await self.http.request(
                request.method, url, params=request.query_params, content=body, headers=headers
            )
        except httpx.TimeoutException as error:
            raise Refused(
                504,
                "UPSTREAM_TIMEOUT",
                f"{service} did not answer within {self.settings.upstream_timeout:g}s",
                upstream=service,
            ) from error
        except httpx.TransportError as error:
            raise Refused(
                502,
                "UPSTREAM_UNAVAILABLE",
                f"{service} is unreachable: {type(error).__name__}",
                upstream=service,
            ) from error
        finally:
            timing["round_trip"] = (time.perf_counter() - started) * 1000
        timing["name"] = service
        timing["service"] = app_duration(upstream.headers.get("server-timing"), timing["round_trip"])
        if upstream.status_code >= 400:
            code, message = upstream_error(upstream)
            raise Refused(upstream.status_code, code, message, upstream=service)
        passed = {name: upstream.headers[name] for name in ("content-type",) if name in upstream.headers}
        if "location" in upstream.headers:
            passed["location"] = public_path(upstream.headers["location"])
        return Response(upstream.content, status_code=upstream.status_code, headers=passed)


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

    return serving.service_app(
        [
            Route("/openapi.json", openapi, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/{path:path}", gateway.handle, methods=ALL_METHODS),
        ],
        lifespan=lifespan,
        timing=False,
    )


def main(argv: Sequence[str] | None = None) -> None:
    flags = Flags("python -m orderflow.gateway", "orderflow API gateway")
    flags.add("--orders", required=True, help="orders service base URL")
    flags.add("--inventory", required=True, help="inventory service base URL")
    flags.add("--reports", required=True, help="reports service base URL")
    flags.add("--upstream-timeout", type=duration, default=5.0, help="per upstream call")
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
    )
    serving.run(build_app(settings), "gateway", args.port)


if __name__ == "__main__":
    main()
