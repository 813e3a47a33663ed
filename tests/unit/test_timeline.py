"""The timeline: spans recorded in order, failures marked, latency summarised, waterfall drawn."""

import threading

import pytest

from Seamline.engine.timeline import Timeline, latency_summary
from Seamline.engine.trace.waterfall import render_waterfall


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


def test_latency_summary():
    timeline = Timeline()
    for index, duration in enumerate([0.010, 0.020, 0.030, 0.040]):
        timeline.record("http", "GET", "/", start=float(index), duration=duration)
    summary = latency_summary(timeline.spans)
    assert summary["count"] == 4
    assert summary["median_ms"] == pytest.approx(25.0)
    assert summary["max_ms"] == pytest.approx(40.0)
    assert latency_summary([])["count"] == 0


def test_waterfall_has_a_bar_per_span_and_escapes_labels():
    timeline = Timeline()
    timeline.record("http", "GET", "/a?x=<b>", start=1.0, duration=0.2)
    timeline.record("sql", "query", "orders", start=1.1, duration=0.05, outcome="error: Timeout")
    svg = render_waterfall(timeline.spans)
    assert svg.count("<rect") == 2
    assert "&lt;b&gt;" in svg
    assert "#c0392b" in svg  # the failed span is drawn red
    assert "no spans" in render_waterfall([])
