"""Hops of the current test: where its time went, in which order the systems handled it, what its spans say."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api.deco import keyword

from ..engine.timeline import Span
from ..engine.trace.conditions import Condition, describe, parse_condition
from ..engine.trace.hops import SpanTree, compress, first_out_of_order
from ..engine.trace.hops import percentile as percentile_of
from .base import SeamKeywords, seconds_of

SHOWN_SPANS = 10


class HopKeywords(SeamKeywords):
    """Hop latency, journey duration, causal order and span assertions over the current test's timeline."""

    SEAM = "Timeline"

    @keyword
    def get_hop_latencies(self) -> dict[str, dict[str, Any]]:
        """Returns, per hop of the current test (``test>gateway``, ``gateway>orders``, ``orders>sql``...),
        ``count``, ``mean_ms``, ``p50_ms``, ``p95_ms``, ``p99_ms``, ``max_ms``, ``self_ms`` (mean self time),
        ``self_p50_ms`` (median self time, steadier on a busy machine) and ``gap_ms`` (mean time between the
        services, ``None`` when unknown), in causal order.

        See `Hops` for how hops are named and measured. The figures and the bottleneck are logged.

        | ${hops} = | `Get Hop Latencies` |
        | Should Be True | ${hops}[gateway>orders][p95_ms] < 50 |
        """
        tree = self._tree()
        latencies = tree.latencies()
        rows = [{"hop": name, **figures} for name, figures in latencies.items()]
        self.info(self.html_table(rows, limit=50, title="Hop latencies (ms)"), html=True)
        bottleneck = tree.bottleneck()
        if bottleneck:
            self.info(bottleneck.describe())
        return latencies

    @keyword
    def hop_latency_should_be_below(
        self, hop: str, limit: timedelta, percentile: float = 95, msg: str | None = None
    ) -> float:
        """Fails unless the ``percentile`` (nearest rank, 100 for the maximum) of ``hop``'s durations in the
        current test is below ``limit``; returns it in milliseconds.

        The failure gives the hop's figures and names the bottleneck hop with its share of the time spent
        in hops; a hop that was never crossed fails listing those that were. ``msg`` replaces the message.

        | `Hop Latency Should Be Below` | gateway>orders | 50ms | percentile=99 |
        """
        tree = self._tree()
        calls = [call for call in tree.all_hops() if call.name == hop]
        if not calls:
            self.fail(f"no hop '{hop}' in the test; hops crossed: {compress(tree.causal_order())}", msg)
        try:
            measured = percentile_of([call.duration for call in calls], percentile)
        except ValueError as error:
            self.fail(str(error))
        seconds = seconds_of(limit)
        if measured >= seconds:
            figures = tree.latencies()[hop]
            gap = "unknown" if figures["gap_ms"] is None else f"{figures['gap_ms']} ms"
            self.fail(
                f"hop {hop} p{percentile:g} is {measured * 1000:.1f} ms, not below {seconds * 1000:g} ms "
                f"({_calls(figures['count'])}: p50 {figures['p50_ms']} ms, max {figures['max_ms']} ms, "
                f"self {figures['self_ms']} ms, gap {gap}); {self._bottleneck(tree)}",
                msg,
            )
        return round(measured * 1000, 3)

    @keyword
    def journey_duration_should_be_below(
        self, limit: timedelta, trace_id: str | None = None, msg: str | None = None
    ) -> float:
        """Fails unless the current test's journey (from the first span's start to the last one's end, or
        one trace's with ``trace_id``) took less than ``limit``; returns its duration in milliseconds.

        The failure names the bottleneck hop and its share of the time spent in hops. ``msg`` replaces it.

        | `Journey Duration Should Be Below` | 2s |
        """
        tree = self._tree()
        if trace_id is not None and trace_id not in tree.trace_durations():
            self.fail(f"no trace {trace_id} in the test; traces: {', '.join(tree.trace_durations()) or 'none'}", msg)
        took = tree.journey_duration(trace_id)
        seconds = seconds_of(limit)
        if took >= seconds:
            what = f"trace {trace_id}" if trace_id else f"the journey ({len(tree.spans)} spans)"
            self.fail(
                f"{what} took {took * 1000:.1f} ms, not below {seconds * 1000:g} ms; {self._bottleneck(tree)}", msg
            )
        return round(took * 1000, 3)

    @keyword
    def slowest_hops(self, n: int = 3) -> list[dict[str, Any]]:
        """Returns the ``n`` hops of the current test where most time went (self time summed over their
        calls), the bottleneck first: each a dictionary of ``hop``, ``self_total_ms`` (the sum), ``share``
        (percent of the time spent in hops) and the figures of `Get Hop Latencies`.

        | ${slowest} = | `Slowest Hops` | 3 |
        | Should Be Equal | ${slowest}[0][hop] | gateway>orders |
        """
        tree = self._tree()
        totals = tree.self_times()
        everything = sum(totals.values()) or 1.0
        latencies = tree.latencies()
        slowest = [
            {
                **latencies[name],
                "hop": name,
                "self_total_ms": round(spent * 1000, 3),
                "share": round(spent / everything * 100, 1),
            }
            for name, spent in list(totals.items())[: max(n, 0)]
        ]
        self.info(self.html_table(slowest, title=f"The {len(slowest)} slowest hops"), html=True)
        return slowest

    @keyword
    def hops_should_follow(self, *hops: str, msg: str | None = None) -> None:
        """Fails unless the current test's journey crossed ``hops`` in this order, by the traces' causal
        order (a caller before what it caused, then in order of start), other hops allowed in between.

        The failure shows the hops that did happen, in that order. ``msg`` replaces it.

        | `Hops Should Follow` | test>gateway | gateway>orders | orders>sql | inventory>sql |
        """
        happened = self._tree().causal_order()
        wrong = first_out_of_order(happened, hops)
        if wrong is not None:
            after = f"after {', '.join(hops[:wrong])} " if wrong else ""
            self.fail(f"no hop {hops[wrong]} {after}in the journey; hops in causal order: {compress(happened)}", msg)

    @keyword
    def trace_should_contain(self, *conditions: str, msg: str | None = None) -> list[Span]:
        """Fails unless the current test's spans include one selected by the equalities of ``conditions``
        and every selected span meets its comparisons; returns the selected spans.

        Conditions come in any order, ``msg=`` last. A selector is an equality, ``field=value``:
        ``service=``, ``operation=``, ``system=``, ``kind=``, ``outcome=``, ``trace_id=``, ``target=``
        (found anywhere in the target) or an attribute (``http.status_code=201``,
        ``attributes.peer.service=ledger``), compared by the rule of `Comparing values`. A condition
        compares with ``<``, ``<=``, ``>``, ``>=`` or ``!=``: ``duration<50ms``, ``self<10ms`` (the span's
        own time, without its children's), ``http.status_code!=500``, ``outcome!=ok``. Times are Robot
        times; other values compare as numbers when both are, else as text.

        The failure lists the spans closest to the selection, or the selected spans that missed a
        condition, and latency failures name the bottleneck hop. ``msg`` replaces it.

        | `Trace Should Contain` | service=inventory | kind=server | duration<200ms | http.status_code=200 |
        """
        parsed = [parse_condition(text, seconds_of) for text in conditions]
        selection = [condition for condition in parsed if condition.selects]
        checks = [condition for condition in parsed if not condition.selects]
        tree = self._tree()
        selected = [span for span in tree.spans if all(c.holds(span, tree) for c in selection)]
        wanted = " ".join(condition.text for condition in selection) or "(any span)"
        if not selected:
            self.fail(f"no span with {wanted} in the test; {self._closest(tree, selection)}", msg)
        for check in checks:
            missed = [span for span in selected if not check.holds(span, tree)]
            if missed:
                shown = "; ".join(describe(span, tree) for span in missed[:SHOWN_SPANS])
                more = f" and {len(missed) - SHOWN_SPANS} more" if len(missed) > SHOWN_SPANS else ""
                latency = f"; {self._bottleneck(tree)}" if check.field in ("duration", "self") else ""
                self.fail(
                    f"{len(missed)} of {len(selected)} spans with {wanted} fail {check.text}: "
                    f"{self.cut(shown)}{more}{latency}",
                    msg,
                )
        return selected

    def _tree(self) -> SpanTree:
        return SpanTree(self.timeline.spans)

    def _bottleneck(self, tree: SpanTree) -> str:
        bottleneck = tree.bottleneck()
        return bottleneck.describe() if bottleneck else "no hops recorded"

    def _closest(self, tree: SpanTree, selection: list[Condition]) -> str:
        if not tree.spans:
            return "no spans recorded"
        ranked = sorted(tree.spans, key=lambda span: -sum(c.holds(span, tree) for c in selection))
        shown = "; ".join(describe(span, tree) for span in ranked[:SHOWN_SPANS])
        more = f" and {len(tree.spans) - SHOWN_SPANS} more" if len(tree.spans) > SHOWN_SPANS else ""
        return f"closest spans: {self.cut(shown)}{more}"


def _calls(count: int) -> str:
    return f"{count} call" if count == 1 else f"{count} calls"
