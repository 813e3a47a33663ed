"""Hops on synthetic span trees: naming, self time, gap, percentiles, causal order and the bottleneck."""

import pytest

from Seamline.engine.errors import SeamError
from Seamline.engine.timeline import Span
from Seamline.engine.trace.conditions import parse_condition
from Seamline.engine.trace.hops import (
    SpanTree,
    compress,
    first_out_of_order,
    latency_figures,
    percentile,
    uncovered,
    union_length,
)

MS = 0.001


def span(service, kind, system, start_ms, duration_ms, span_id, parent_id=None, **attributes):
    return Span(
        system,
        attributes.pop("operation", "op"),
        attributes.pop("target", ""),
        1000.0 + start_ms * MS,
        duration_ms * MS,
        outcome=attributes.pop("outcome", "ok"),
        attributes=attributes,
        trace_id="t1",
        span_id=span_id,
        parent_id=parent_id,
        service=service,
        kind=kind,
    )


def order_journey(orders_work_ms=10.0):
    """test -> gateway -> orders -> (sql, outbox write); orders publishes, inventory consumes and reads sql."""
    orders_end = 2 + 1 + orders_work_ms + 4 + 2
    return [
        span("test", "client", "http", 0, orders_end + 4, "a"),
        span("gateway", "server", "http", 1, orders_end + 2, "b", "a"),
        span("gateway", "client", "http", 2, orders_end - 1, "c", "b"),
        span("orders", "server", "http", 3, orders_end - 3, "d", "c"),
        span("orders", "client", "sql", 4 + orders_work_ms, 2, "e", "d"),
        span("orders", "client", "sql", 6 + orders_work_ms, 1, "f", "d", **{"peer.service": "outbox"}),
        span("orders", "producer", "amqp", 7 + orders_work_ms, 1, "g", "d"),
        span("inventory", "consumer", "amqp", 12 + orders_work_ms, 6, "h", "g"),
        span("inventory", "client", "sql", 13 + orders_work_ms, 3, "i", "h"),
    ]


def test_hops_are_named_by_caller_and_the_service_that_answered_else_peer_service_else_system():
    tree = SpanTree(order_journey())
    assert tree.causal_order() == [
        "test>gateway",
        "gateway>orders",
        "orders>sql",
        "orders>outbox",
        "orders>inventory",
        "inventory>sql",
    ]


def test_a_test_call_nothing_answered_is_test_http_and_untraced_spans_are_roots():
    tree = SpanTree([Span("http", "GET", "/x", 1.0, 0.01), Span("sql", "select", "orders", 2.0, 0.002)])
    assert tree.causal_order() == ["test>http", "test>sql"]
    assert tree.latencies()["test>http"]["gap_ms"] is None


def test_a_call_sent_unsampled_is_a_hop_to_the_peer_that_answered_the_traced_calls_to_its_origin():
    traced = span("test", "client", "http", 0, 5, "a", target="http://127.0.0.1:8000/api/orders/1")
    answered = span("gateway", "server", "http", 1, 3, "b", "a")
    polls = [
        span("test", "client", "http", 10 * n, 4, f"p{n}", target=target, **{"trace.sampled": False})
        for n, target in ((1, "http://127.0.0.1:8000/api/orders/1"), (2, "http://127.0.0.1:9000/elsewhere"))
    ]
    tree = SpanTree([traced, answered, *polls])
    assert tree.causal_order() == ["test>gateway", "test>gateway", "test>http"]
    assert tree.latencies()["test>gateway"]["count"] == 2
    assert SpanTree(polls).causal_order() == ["test>http", "test>http"]  # no traced call: nothing to go by


def test_self_time_is_the_hop_minus_the_hops_it_caused():
    tree = SpanTree(order_journey(orders_work_ms=50.0))
    latencies = tree.latencies()
    # gateway>orders (2 to 60 ms) minus the hops it caused: orders>sql (2 ms), orders>outbox (1 ms) and the
    # message to inventory as far as the call lasted (57 to 60 ms; the consumer ends at 68 ms).
    gateway_orders = next(hop for hop in tree.all_hops() if hop.name == "gateway>orders")
    assert gateway_orders.duration == pytest.approx(58 * MS)
    assert latencies["gateway>orders"]["self_ms"] == pytest.approx(58 - 2 - 1 - 3, abs=1e-6)
    # a message hop lasts until its consumer is done: 57 to 68 ms, minus the consumer's 3 ms SQL call
    assert latencies["orders>inventory"]["self_ms"] == pytest.approx(8.0)
    assert latencies["inventory>sql"]["self_ms"] == pytest.approx(3.0)
    assert latencies["test>gateway"]["self_ms"] == pytest.approx(63 - 58)


def test_a_delay_in_one_service_shows_in_its_hop_self_time_only():
    fast, slow = SpanTree(order_journey(10.0)).latencies(), SpanTree(order_journey(60.0)).latencies()
    deltas = {hop: slow[hop]["self_ms"] - fast[hop]["self_ms"] for hop in fast}
    assert deltas["gateway>orders"] == pytest.approx(50.0)
    assert all(delta == pytest.approx(0.0, abs=1e-6) for hop, delta in deltas.items() if hop != "gateway>orders")


def test_gap_is_client_minus_server_and_queueing_for_messages():
    latencies = SpanTree(order_journey()).latencies()
    assert latencies["test>gateway"]["gap_ms"] == pytest.approx(2.0)
    assert latencies["gateway>orders"]["gap_ms"] == pytest.approx(2.0)
    assert latencies["orders>inventory"]["gap_ms"] == pytest.approx(4.0)  # published at 18, consumed at 22
    assert latencies["orders>sql"]["gap_ms"] is None


def test_without_a_server_span_the_largest_server_timing_entry_is_the_time_inside():
    call = Span("http", "GET", "/x", 1.0, 0.010, attributes={"server_timing": {"gateway": 7.0, "app": 6.0}})
    assert SpanTree([call]).latencies()["test>http"]["gap_ms"] == pytest.approx(3.0)


def test_the_bottleneck_is_the_hop_with_the_most_self_time_and_its_share_of_all():
    bottleneck = SpanTree(order_journey(orders_work_ms=50.0)).bottleneck()
    assert bottleneck is not None
    assert bottleneck.hop == "gateway>orders"
    assert bottleneck.self_time == pytest.approx(52 * MS)
    assert bottleneck.share == pytest.approx(52 / 71)
    assert (
        bottleneck.describe()
        == "bottleneck gateway>orders: 73% of the time spent in hops (52.0 ms self time of 71.0 ms)"
    )
    assert SpanTree([]).bottleneck() is None


def test_percentiles_are_nearest_rank():
    values = [10.0, 20.0, 30.0, 40.0]
    assert [percentile(values, p) for p in (25, 50, 51, 95, 100)] == [10.0, 20.0, 30.0, 40.0, 40.0]
    assert percentile(list(range(1, 21)), 95) == 19
    assert percentile([], 95) == 0.0
    with pytest.raises(ValueError, match="more than 0 and at most 100"):
        percentile(values, 0)


def test_latency_figures_in_milliseconds():
    figures = latency_figures([0.010, 0.020, 0.030, 0.040])
    assert figures == {"count": 4, "mean_ms": 25.0, "p50_ms": 20.0, "p95_ms": 40.0, "p99_ms": 40.0, "max_ms": 40.0}
    assert latency_figures([])["count"] == 0


def test_latencies_summarise_every_call_of_a_hop():
    spans = [Span("http", "GET", "/", float(i), d) for i, d in enumerate([0.010, 0.030, 0.020, 0.100])]
    figures = SpanTree(spans).latencies()["test>http"]
    assert (figures["count"], figures["p50_ms"], figures["max_ms"]) == (4, 20.0, 100.0)
    assert (figures["self_ms"], figures["self_p50_ms"]) == (40.0, 20.0)  # the median shrugs off one slow call


def test_journey_duration_of_the_test_and_of_each_trace():
    spans = order_journey()
    other = span("test", "client", "http", 100, 5, "z")
    other.trace_id = "t2"
    tree = SpanTree([*spans, other])
    assert tree.journey_duration() == pytest.approx(105 * MS)
    assert tree.trace_durations() == {"t1": pytest.approx(28 * MS), "t2": pytest.approx(5 * MS)}


def test_causal_order_puts_a_parent_first_then_siblings_by_start_whatever_the_clock_says():
    # The consumer's clock runs 5 ms behind: it "starts" before the producer, yet comes after it.
    spans = [
        span("test", "client", "http", 0, 30, "a"),
        span("orders", "server", "http", 1, 28, "b", "a"),
        span("orders", "producer", "amqp", 10, 1, "c", "b"),
        span("inventory", "consumer", "amqp", 6, 4, "d", "c"),
        span("orders", "client", "sql", 2, 1, "e", "b"),
    ]
    assert SpanTree(spans).causal_order() == ["test>orders", "orders>sql", "orders>inventory"]


def test_a_span_whose_parent_never_arrived_is_a_root():
    spans = [span("inventory", "client", "sql", 5, 1, "x", "missing"), span("test", "client", "http", 0, 2, "a")]
    tree = SpanTree(spans)
    assert [root.span_id for root in tree.roots] == ["a", "x"]
    assert tree.causal_order() == ["test>http", "inventory>sql"]


def test_spans_whose_parents_go_round_in_a_circle_are_each_drawn_and_counted_once():
    spans = [span("a", "client", "http", 0, 5, "x", "y"), span("b", "server", "http", 1, 3, "y", "x")]
    tree = SpanTree(spans)
    assert [s.span_id for s, _ in tree.walk()] == ["x", "y"]
    assert tree.causal_order() == ["a>b"]


def test_walk_gives_depths_and_self_intervals_leave_out_children():
    tree = SpanTree(order_journey())
    depths = {s.span_id: depth for s, depth in tree.walk()}
    assert depths == {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4, "f": 4, "g": 4, "h": 5, "i": 6}
    orders = next(s for s in tree.spans if s.span_id == "d")
    assert tree.self_time(orders) == pytest.approx(orders.duration - 4 * MS)


def test_intervals():
    assert union_length([(0, 2), (1, 3), (5, 6)]) == 4
    assert uncovered(0, 10, [(2, 3), (2.5, 4), (8, 12)]) == [(0, 2), (4, 8)]
    assert uncovered(0, 1, []) == [(0, 1)]


def test_order_checks_and_their_summary():
    happened = ["test>gateway", "gateway>orders", "orders>sql", "orders>sql", "orders>sql", "inventory>sql"]
    assert first_out_of_order(happened, ["test>gateway", "orders>sql", "inventory>sql"]) is None
    assert first_out_of_order(happened, ["inventory>sql", "gateway>orders"]) == 1
    assert first_out_of_order(happened, ["nowhere>x"]) == 0
    assert compress(happened) == "test>gateway, gateway>orders, orders>sql x3, inventory>sql"
    assert compress([]) == "(no hops)"


def _seconds(text):
    return float(text.removesuffix("ms")) / 1000


def test_conditions_select_by_equality_and_check_comparisons():
    tree = SpanTree(order_journey())
    inventory = next(s for s in tree.spans if s.span_id == "h")
    assert parse_condition("service=inventory", _seconds).holds(inventory, tree)
    assert parse_condition("attributes.peer.service=outbox", _seconds).field == "peer.service"
    assert parse_condition("duration<7ms", _seconds).holds(inventory, tree)
    assert not parse_condition("duration<=5ms", _seconds).holds(inventory, tree)
    assert parse_condition("self>=2.5ms", _seconds).holds(inventory, tree)  # 6 ms minus its 3 ms child
    assert parse_condition("outcome!=error", _seconds).holds(inventory, tree)
    assert parse_condition("duration<=6ms", _seconds).holds(inventory, tree)
    assert not parse_condition("missing.attribute=x", _seconds).holds(inventory, tree)
    coded = Span("http", "GET", "/orders/7", 1, 0.1, attributes={"http.status_code": 201}, service="orders")
    assert parse_condition("http.status_code=201", _seconds).holds(coded, tree)
    assert parse_condition("http.status_code<300", _seconds).holds(coded, tree)
    assert parse_condition("target=/orders/", _seconds).holds(coded, tree)
    assert not parse_condition("operation>HEAD", _seconds).holds(coded, tree)  # text compares as text


def test_a_malformed_condition_says_how_to_write_one():
    with pytest.raises(SeamError, match="condition 'duration' is not field<operator>value"):
        parse_condition("duration", _seconds)
    with pytest.raises(SeamError, match="compare duration with <, <=, > or >="):
        parse_condition("duration=5ms", _seconds)
    with pytest.raises(SeamError, match="'soon' is not a Robot time"):
        parse_condition("duration<soon", _seconds)
