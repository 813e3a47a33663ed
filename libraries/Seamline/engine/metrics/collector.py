"""Where the run's listeners meet: the library instances' shared state, read when metrics are written.

The metrics listener (global, ``--listener Seamline.Metrics``, or the one each library instance
registers) reads the spans, detection times and resource readings every Seamline instance of the
process collected. The library's own metrics listener stands down when a global one is active.
"""

from __future__ import annotations

import weakref
from typing import Any

from ..timeline import Span
from ..trace.hops import SpanTree
from .run import RunMetrics

GLOBAL_METRICS_ACTIVE = False
_CONTEXTS: list[weakref.ref[Any]] = []


_LIBRARY_METRICS: list[Any] = []


def claim_library_metrics(listener: Any) -> bool:
    """Whether this library-registered metrics listener is the process's first (the one that writes)."""
    if not _LIBRARY_METRICS:
        _LIBRARY_METRICS.append(listener)
    return _LIBRARY_METRICS[0] is listener


def register(ctx: Any) -> None:
    """A library instance's SeamContext, whose figures go into the run's metrics."""
    _CONTEXTS.append(weakref.ref(ctx))


def contexts() -> list[Any]:
    return [ctx for ctx in (ref() for ref in _CONTEXTS) if ctx is not None]


def add_context_figures(metrics: RunMetrics, ctx: Any) -> None:
    """A library instance's spans (as hop samples), detection times and resource readings."""
    for _test, spans in ctx.finished_spans:
        durations, gaps = hop_samples(spans)
        metrics.add_hops(durations, gaps)
    metrics.detections.extend(ctx.metrics.get("detection", []))
    metrics.resources.extend(ctx.metrics.get("resource_usage", []))


def hop_samples(spans: list[Span]) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each hop's durations and inter-service gaps (ms) in one test's spans, as `Get Hop Latencies` sees them."""
    durations: dict[str, list[float]] = {}
    gaps: dict[str, list[float]] = {}
    for hop in SpanTree(spans).all_hops():
        durations.setdefault(hop.name, []).append(hop.duration * 1000)
        if hop.gap is not None:
            gaps.setdefault(hop.name, []).append(hop.gap * 1000)
    return durations, gaps
