"""The gateway's rules: routes, API keys and roles, per-key rate limits, W3C trace context."""

from __future__ import annotations

import math
import re
import secrets
import time
from dataclasses import dataclass, field

DEMO_API_KEYS = "clerk-key-123:clerk,auditor-key-123:auditor,admin-key-123:admin"

# role -> (service, access) pairs it may use
PERMISSIONS: dict[str, set[tuple[str, str]]] = {
    "clerk": {("orders", "read"), ("orders", "write"), ("inventory", "read")},
    "auditor": {("reports", "read"), ("orders", "read"), ("inventory", "read")},
    "admin": {(service, access) for service in ("orders", "inventory", "reports") for access in ("read", "write")},
}


@dataclass(frozen=True)
class GatewayRoute:
    service: str
    template: str  # public path, {name} matches one segment
    methods: dict[str, str]  # HTTP method -> access ("read" | "write")
    pattern: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{[a-z_]+\}", "[^/]+", self.template)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))


ROUTES = (
    GatewayRoute("orders", "/api/orders", {"GET": "read", "POST": "write"}),
    GatewayRoute("orders", "/api/orders/{id}", {"GET": "read"}),
    GatewayRoute("orders", "/api/orders/{id}/cancel", {"POST": "write"}),
    GatewayRoute("inventory", "/api/inventory", {"GET": "read"}),
    GatewayRoute("inventory", "/api/inventory/{sku}", {"GET": "read", "PUT": "write"}),
    GatewayRoute("reports", "/api/reports/daily", {"GET": "read"}),
    GatewayRoute("reports", "/api/reports/consistency", {"GET": "read"}),
)

# public path prefix -> the service's own path prefix
UPSTREAM_PREFIXES = {
    "/api/orders": "/orders",
    "/api/inventory": "/stock",
    "/api/reports": "/reports",
}


def find_route(path: str) -> GatewayRoute | None:
    return next((route for route in ROUTES if route.pattern.match(path)), None)


def upstream_path(public_path: str) -> str:
    for public, own in UPSTREAM_PREFIXES.items():
        if public_path == public or public_path.startswith(public + "/"):
            return own + public_path[len(public) :]
    raise ValueError(f"no upstream for {public_path}")


def public_path(own_path: str) -> str:
    for public, own in UPSTREAM_PREFIXES.items():
        if own_path == own or own_path.startswith(own + "/"):
            return public + own_path[len(own) :]
    return own_path


def parse_api_keys(text: str) -> dict[str, str]:
    """'key:role,key:role' -> {key: role}; every role must be a known one."""
    keys: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, role = item.rpartition(":")
        if not sep or not key or role not in PERMISSIONS:
            raise ValueError(f"API key entry {item!r}: expected key:role, role one of {sorted(PERMISSIONS)}")
        keys[key] = role
    return keys


class RateLimiter:
    """A token bucket per API key: `rate` requests a second, bursts of up to one second's worth."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)

    def take(self, key: str) -> float:
        """0 when the request may pass, else the seconds until it could."""
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> str:
        return str(max(1, math.ceil(wait)))


_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


@dataclass(frozen=True)
class TraceContext:
    trace_id: str
    span_id: str  # this hop's span: the parent of the next hop
    flags: str

    @classmethod
    def continue_from(cls, traceparent: str | None) -> TraceContext:
        """Join the caller's trace with a new span, or start a trace when there is none."""
        match = _TRACEPARENT.match((traceparent or "").strip().lower())
        valid = (
            match is not None and match.group(1) != "ff" and match.group(2) != "0" * 32 and match.group(3) != "0" * 16
        )
        if match and valid:
            return cls(match.group(2), secrets.token_hex(8), match.group(4))
        return cls(secrets.token_hex(16), secrets.token_hex(8), "01")

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


@dataclass(frozen=True)
class RetryPolicy:
    """Which upstream failures the gateway tries again, and how soon.

    Only idempotent reads (GET, HEAD) are repeated, and only when the upstream was unreachable
    or answered 502, 503 or 504: a write might have happened and is reported, never repeated.
    Every attempt shares the one --upstream-timeout budget of the request.
    """

    retries: int = 3
    backoff: float = 0.05  # seconds before the first retry; doubles each time

    RETRY_METHODS = frozenset({"GET", "HEAD"})
    RETRY_STATUSES = frozenset({502, 503, 504})

    def attempts(self, method: str) -> int:
        return 1 + (self.retries if method in self.RETRY_METHODS else 0)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return float(self.backoff * 2 ** (attempt - 1))
