"""Which trace source the ``traces=`` import argument names: the embedded OTLP receiver or Jaeger."""

from __future__ import annotations

from ..errors import SeamError
from .receiver import SEAM, TraceSource

USAGE = "otlp, otlp:<host>:<port> or jaeger:<query URL> (jaeger:http://jaeger:16686)"


def open_source(spec: str) -> TraceSource:
    """``otlp`` (a free loopback port), ``otlp:127.0.0.1:4318`` or ``jaeger:http://host:16686``."""
    kind, _, where = spec.strip().partition(":")
    if kind.lower() == "otlp":
        from .otlp import OtlpReceiver, parse_listen

        return OtlpReceiver(*parse_listen(where or "127.0.0.1:0"))
    if kind.lower() == "jaeger" and where.startswith(("http://", "https://")):
        from .jaeger import JaegerSource

        return JaegerSource(where)
    raise SeamError(SEAM, f"traces '{spec}' is not a trace source: use {USAGE}")
