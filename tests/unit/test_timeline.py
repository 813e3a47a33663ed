"""The timeline: spans recorded in order, failures marked, selected and cleared."""

import threading

import pytest

from Seamline.engine.timeline import Timeline


def test_span_records_system_operation_target_and_duration():
    timeline = Timeline()
    with timeline.span("http", "GET", "/api/orders", correlation_id="c-1") as span:
        span.bytes_received = 42
    [recorded] = timeline.spans
    assert (recorded.system, recorded.operation, recorded.target) == ("http", "GET", "/api/orders")
    assert recorded.correlation_id == "c-1"
    assert recorded.bytes_received == 42
    assert recorded.duration >= 0
    assert recorded.ok


def test_a_failing_block_is_recorded_as_failed_and_the_error_propagates():
    timeline = Timeline()
    with pytest.raises(ConnectionError), timeline.span("sql", "query", "orders"):
        raise ConnectionError("down")
    assert timeline.spans[0].outcome == "error: ConnectionError"
    assert not timeline.spans[0].ok


def test_spans_come_back_in_start_order_and_can_be_selected():
    timeline = Timeline()
    timeline.record("sql", "query", "b", start=2.0, duration=0.1)
    timeline.record("http", "GET", "a", start=1.0, duration=0.5)
    assert [span.target for span in timeline.spans] == ["a", "b"]
    assert [span.target for span in timeline.select(system="sql")] == ["b"]


def test_clear_returns_the_test_spans_and_starts_empty():
    timeline = Timeline()
    timeline.record("ssh", "exec", "echo", start=1.0, duration=0.01)
    assert len(timeline.clear()) == 1
    assert len(timeline) == 0


def test_spans_from_many_threads_are_all_kept():
    timeline = Timeline()
    threads = [threading.Thread(target=timeline.record, args=("proxy", "relay", str(i), i, 0.0)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(timeline) == 50
