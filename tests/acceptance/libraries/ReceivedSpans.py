"""Acceptance-test helper: spans as a tracing system would send them, joined to the current test's timeline.

Until a receiver runs in these suites, `Record A Traced Order Journey` adds what orderflow's services would
export for one order (test -> gateway -> orders -> SQL, the outbox, a message to inventory -> SQL), laid
out at fixed offsets from now, so that the hop keywords' figures and failure messages are exact. The keyword
returns when the journey it recorded is over, as a call would, so the test's next span starts after it.
"""

from __future__ import annotations

import secrets
import time

from robot.libraries.BuiltIn import BuiltIn
from robot.utils import timestr_to_secs

from Seamline.engine.timeline import Span

# (service, kind, system, operation, target, start ms, duration ms, span, parent, peer.service);
# the orders service works `work` ms before its SQL calls, which start at 4 + work.
JOURNEY = (
    ("test", "client", "http", "POST", "/api/orders", 0, 23, "a", None, None),
    ("gateway", "server", "http", "POST", "/api/orders", 1, 21, "b", "a", None),
    ("gateway", "client", "http", "POST", "/orders", 2, 18, "c", "b", None),
    ("orders", "server", "http", "POST", "/orders", 3, 16, "d", "c", None),
    ("orders", "client", "sql", "INSERT", "orders", 14, 2, "e", "d", None),
    ("orders", "client", "sql", "INSERT", "outbox", 16, 1, "f", "d", "outbox"),
    ("orders", "producer", "amqp", "publish", "order.created", 17, 1, "g", "d", None),
    ("inventory", "consumer", "amqp", "process", "order.created", 22, 6, "h", "g", None),
    ("inventory", "client", "sql", "UPDATE", "stock", 23, 3, "i", "h", None),
)
MOVES = frozenset("efghi")  # after the orders service's work
GROWS = frozenset("abcd")  # around it


class ReceivedSpans:
    ROBOT_LIBRARY_SCOPE = "GLOBAL"

    def record_a_traced_order_journey(self, orders_work: str = "10ms", failed: str = "") -> str:
        """Adds one traced order journey to the test's timeline; returns its trace id. ``failed`` names the
        span ids (a-i) whose outcome is an error."""
        extra = timestr_to_secs(orders_work) * 1000 - 10
        timeline = BuiltIn().get_library_instance("Seamline").ctx.timeline
        trace_id, origin = secrets.token_hex(16), time.time()
        ids = {letter: secrets.token_hex(8) for letter in "abcdefghi"}
        for service, kind, system, operation, target, start, duration, span, parent, peer in JOURNEY:
            start += extra if span in MOVES else 0
            duration += extra if span in GROWS else 0
            timeline.add(
                Span(
                    system,
                    operation,
                    target,
                    origin + start / 1000,
                    duration / 1000,
                    outcome="error: status 500" if span in failed else "ok",
                    attributes={"peer.service": peer} if peer else {},
                    trace_id=trace_id,
                    span_id=ids[span],
                    parent_id=ids[parent] if parent else None,
                    service=service,
                    kind=kind,
                )
            )
        time.sleep(max(0.0, origin + (28 + extra) / 1000 - time.time()))
        return trace_id
