"""Hops: the span tree of a test, where its time went, and the order in which the systems handled it.

A hop is one crossing from a service to a peer, made by a client or producer span and named
``<service>><peer>``: the peer is the service of the server (or consumer) span it caused when that span
was received, else the span's ``peer.service`` attribute, else its system (``sql``, ``amqp``, ``sftp``).
The test's own calls are hops of the service ``test`` (``test>gateway``, or ``test>http`` when nothing
answered with a span of its own). A call sent unsampled (a poll's repeated attempt: the system recorded
nothing of it) is a hop to the peer that answered the test's traced calls to the same origin, when one did.

- A hop lasts from the caller's start to the end of the caller or of the callee, whichever is later (a
  message hop lasts until its consumer is done).
- Its self time is that interval minus the union of the hops it caused: the callee's own work plus the
  time between the services. Along a sequential journey the self times add up to the journey.
- Its gap is the time between the services: the client span minus its server span (network and
  queueing); for a message, the time from the end of the publish to the start of the consumer. A call
  whose peer exported no span uses the largest ``Server-Timing`` entry as the time inside, when the peer
  sent one; else the gap is unknown (None).
- The bottleneck is the hop with the largest self time (summed over its calls); its share is that time
  over the self time of every hop.

Percentiles are nearest-rank, everywhere in Seamline: the p-th percentile of n values is the value at
rank ceil(p / 100 * n) of the values sorted in ascending order, so it is always a value that was seen
(p50 of 10, 20, 30, 40 is 20; p100 is the maximum).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..timeline import Span

CALLER_KINDS = frozenset({"client", "producer"})
CALLEE_KINDS = frozenset({"server", "consumer"})
MESSAGE_KINDS = frozenset({"producer", "consumer"})


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank p-th percentile (0 < p <= 100) of `values`; 0.0 when there are none."""
    if not values:
        return 0.0
    if not 0 < p <= 100:
        raise ValueError(f"a percentile is more than 0 and at most 100, got {p:g}")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def latency_figures(durations: Iterable[float], scale: float = 1000.0) -> dict[str, Any]:
    """Count, mean, p50, p95, p99 and max of `durations` in milliseconds, rounded to µs; `scale` turns one
    duration into milliseconds (1000 for seconds, 1 for durations already in milliseconds)."""
    milliseconds = sorted(duration * scale for duration in durations)
    if not milliseconds:
        return {"count": 0, "mean_ms": 0.0, "p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    return {
        "count": len(milliseconds),
        "mean_ms": round(statistics.fmean(milliseconds), 3),
        **{f"p{p}_ms": round(percentile(milliseconds, p), 3) for p in (50, 95, 99)},
        "max_ms": round(milliseconds[-1], 3),
    }


def union_length(intervals: Iterable[tuple[float, float]]) -> float:
    """How long the union of (start, end) intervals lasts."""
    total, reached = 0.0, -math.inf
    for start, end in sorted(intervals):
        if end > reached:
            total += end - max(start, reached)
            reached = end
    return total


def uncovered(start: float, end: float, covers: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """The parts of [start, end] that none of `covers` covers, in order."""
    parts, at = [], start
    for cover_start, cover_end in sorted(covers):
        if cover_start > at:
            parts.append((at, min(cover_start, end)))
        at = max(at, cover_end)
        if at >= end:
            break
    if at < end:
        parts.append((at, end))
    return [(left, right) for left, right in parts if right > left]


@dataclass
class Hop:
    """One call of a hop: the caller's span, the callee's when it was received, and what it cost."""

    name: str
    caller: Span
    callee: Span | None
    start: float
    end: float
    gap: float | None
    children: list[Hop] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def self_time(self) -> float:
        covered = [(max(c.start, self.start), min(c.end, self.end)) for c in self.children]
        return max(0.0, self.duration - union_length((s, e) for s, e in covered if e > s))

    @property
    def ok(self) -> bool:
        return self.caller.ok and (self.callee is None or self.callee.ok)


@dataclass
class Bottleneck:
    """The hop where the most time went: its self time summed over its calls, and its share of all."""

    hop: str
    self_time: float
    share: float
    total: float

    def describe(self) -> str:
        return (
            f"bottleneck {self.hop}: {self.share:.0%} of the time spent in hops "
            f"({self.self_time * 1000:.1f} ms self time of {self.total * 1000:.1f} ms)"
        )


class SpanTree:
    """The spans of a test nested by parent: received spans under the client span that caused them."""

    def __init__(self, spans: Iterable[Span]):
        self.spans = sorted(spans, key=lambda span: span.start)
        by_id: dict[str, Span] = {}
        for span in self.spans:
            if span.span_id:
                by_id.setdefault(span.span_id, span)
        self._children: dict[int, list[Span]] = {}
        self.roots: list[Span] = []
        for span in self.spans:  # in start order, so every list of children is too
            parent = by_id.get(span.parent_id) if span.parent_id else None
            if parent is None or parent is span:
                self.roots.append(span)
            else:
                self._children.setdefault(id(parent), []).append(span)
        self._break_cycles(by_id)
        self._peers = self._peers_by_origin()
        self.hops = [hop for root in self.roots for hop in self._hops_from(root)]

    def _break_cycles(self, by_id: dict[str, Span]) -> None:
        """Spans whose parents lead round in a circle (ids repeated by a faulty exporter) never reach a root:
        the earliest of each circle becomes one, so that every span is drawn and counted once."""
        reached: set[int] = set()

        def reach(span: Span) -> None:
            stack = [span]
            while stack:
                current = stack.pop()
                if id(current) not in reached:
                    reached.add(id(current))
                    stack.extend(self.children(current))

        for root in self.roots:
            reach(root)
        for span in self.spans:
            if id(span) not in reached:
                self._children[id(by_id[str(span.parent_id)])].remove(span)
                self.roots.append(span)
                reach(span)
        self.roots.sort(key=lambda span: span.start)

    def children(self, span: Span) -> list[Span]:
        return self._children.get(id(span), [])

    def walk(self) -> Iterator[tuple[Span, int]]:
        """Every span with its depth, in causal order: a parent before its children, siblings by start."""
        stack = [(root, 0) for root in reversed(self.roots)]
        while stack:
            span, depth = stack.pop()
            yield span, depth
            stack.extend((child, depth + 1) for child in reversed(self.children(span)))

    def self_time(self, span: Span) -> float:
        """The span's duration minus the union of its children's (its own work, not waiting on them)."""
        return sum(end - start for start, end in self.self_intervals(span))

    def self_intervals(self, span: Span) -> list[tuple[float, float]]:
        return uncovered(span.start, span.end, ((child.start, child.end) for child in self.children(span)))

    def all_hops(self) -> Iterator[Hop]:
        """Every call of every hop, in causal order."""
        stack = list(reversed(self.hops))
        while stack:
            hop = stack.pop()
            yield hop
            stack.extend(reversed(hop.children))

    def causal_order(self) -> list[str]:
        return [hop.name for hop in self.all_hops()]

    def journey_duration(self, trace_id: str | None = None) -> float:
        """From the first start to the last end of the test's spans (or of one trace's)."""
        spans = [span for span in self.spans if trace_id is None or span.trace_id == trace_id]
        return max(span.end for span in spans) - min(span.start for span in spans) if spans else 0.0

    def trace_durations(self) -> dict[str, float]:
        traces = dict.fromkeys(span.trace_id for span in self.spans if span.trace_id)
        return {trace_id: self.journey_duration(trace_id) for trace_id in traces if trace_id}

    def latencies(self) -> dict[str, dict[str, Any]]:
        """Per hop name, in causal order of first call: the latency figures, mean and median self time, mean gap."""
        calls: dict[str, list[Hop]] = {}
        for hop in self.all_hops():
            calls.setdefault(hop.name, []).append(hop)
        figures = {}
        for name, hops in calls.items():
            gaps = [hop.gap for hop in hops if hop.gap is not None]
            self_times = [hop.self_time * 1000 for hop in hops]
            figures[name] = {
                **latency_figures(hop.duration for hop in hops),
                "self_ms": round(statistics.fmean(self_times), 3),
                "self_p50_ms": round(percentile(self_times, 50), 3),
                "gap_ms": round(statistics.fmean(gaps) * 1000, 3) if gaps else None,
            }
        return figures

    def self_times(self) -> dict[str, float]:
        """Per hop name, its self time summed over its calls (seconds), largest first."""
        totals: dict[str, float] = {}
        for hop in self.all_hops():
            totals[hop.name] = totals.get(hop.name, 0.0) + hop.self_time
        return dict(sorted(totals.items(), key=lambda item: -item[1]))

    def bottleneck(self) -> Bottleneck | None:
        totals = self.self_times()
        if not totals:
            return None
        hop, spent = next(iter(totals.items()))
        everything = sum(totals.values())
        return Bottleneck(hop, spent, spent / everything if everything else 0.0, everything)

    def _hops_from(self, span: Span) -> list[Hop]:
        """The hops made under `span` (itself included), each with the hops it caused."""
        if span.kind in CALLER_KINDS:
            return [self._hop(span)]
        return [hop for child in self.children(span) for hop in self._hops_from(child)]

    def _peers_by_origin(self) -> dict[str, str]:
        """The service that answered the test's traced calls to each origin (the first one seen)."""
        peers: dict[str, str] = {}
        for root in self.roots:
            callee = next((child for child in self.children(root) if child.kind in CALLEE_KINDS), None)
            if root.service == "test" and callee is not None:
                peers.setdefault(_origin(root.target), callee.service)
        return peers

    def _hop(self, caller: Span) -> Hop:
        callee = next((child for child in self.children(caller) if child.kind in CALLEE_KINDS), None)
        peer = callee.service if callee else caller.attributes.get("peer.service") or caller.system
        if callee is None and not caller.sampled:
            peer = self._peers.get(_origin(caller.target), peer)
        end = max(caller.end, callee.end) if callee else caller.end
        children = [hop for child in self.children(caller) for hop in self._hops_from(child)]
        return Hop(f"{caller.service}>{peer}", caller, callee, caller.start, end, _gap(caller, callee), children)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _gap(caller: Span, callee: Span | None) -> float | None:
    if callee is None:
        timings = caller.attributes.get("server_timing")
        if isinstance(timings, dict) and timings:
            return max(0.0, caller.duration - max(float(value) for value in timings.values()) / 1000)
        return None
    if caller.kind in MESSAGE_KINDS or callee.kind in MESSAGE_KINDS:
        return max(0.0, callee.start - caller.end)
    return max(0.0, caller.duration - callee.duration)


def compress(names: Sequence[str]) -> str:
    """Hop names in order, repeats in a row shown once with their count: ``a, b x3, c``."""
    parts: list[str] = []
    index = 0
    while index < len(names):
        run = 1
        while index + run < len(names) and names[index + run] == names[index]:
            run += 1
        parts.append(names[index] + (f" x{run}" if run > 1 else ""))
        index += run
    return ", ".join(parts) or "(no hops)"


def first_out_of_order(happened: Sequence[str], expected: Sequence[str]) -> int | None:
    """The index in `expected` of the first hop that did not follow the ones before it, or None.

    `expected` must be a subsequence of `happened` (other hops may come between).
    """
    position = 0
    for index, name in enumerate(expected):
        try:
            position = happened.index(name, position) + 1
        except ValueError:
            return index
    return None
