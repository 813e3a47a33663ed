"""Run metrics: verdicts across attempts, merging parts and reruns, gates, xunit, history."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree as ET

import pytest

from Seamline.engine.metrics.attempts import (
    Attempt,
    RetryPolicy,
    TestRecord,
    quarantine_active,
    quarantine_date,
    read_quarantine_file,
)
from Seamline.engine.metrics.collector import hop_samples
from Seamline.engine.metrics.gates import Gates
from Seamline.engine.metrics.history import History
from Seamline.engine.metrics.run import RunMetrics, merge
from Seamline.engine.metrics.xunit import write_xunit
from Seamline.engine.timeline import Span
from Seamline.engine.trace.hops import percentile


def attempt(status: str, start: str = "2026-12-01T10:00:00", elapsed: float = 1.0, message: str = "") -> Attempt:
    return Attempt(status, message, start, elapsed)


def record(name: str, *statuses: str, tags: list[str] | None = None, until: str | None = None) -> TestRecord:
    attempts = [
        attempt(status, f"2026-12-01T10:00:0{index}", 1.0, f"{status} {index}") for index, status in enumerate(statuses)
    ]
    return TestRecord(name, tags or [], attempts, until)


@pytest.mark.parametrize(
    ("statuses", "verdict", "first"),
    [
        (("PASS",), "PASS", True),
        (("FAIL",), "FAIL", False),
        (("FAIL", "PASS"), "FLAKY", False),
        (("SKIP", "FAIL", "PASS"), "FLAKY", False),
        (("FAIL", "FAIL"), "FAIL", False),
        (("SKIP",), "SKIP", None),
    ],
)
def test_a_test_ends_pass_flaky_fail_or_skip(statuses: tuple[str, ...], verdict: str, first: bool | None) -> None:
    test = record("S.T", *statuses)
    assert test.verdict == verdict
    assert test.first_run_passed is first
    assert test.elapsed == len(statuses)


def test_first_run_pass_rate_counts_flaky_as_a_first_run_failure() -> None:
    metrics = RunMetrics()
    for test in (record("S.A", "PASS"), record("S.B", "FAIL", "PASS"), record("S.C", "PASS"), record("S.D", "SKIP")):
        metrics.add_attempt(test)
    assert metrics.first_run_pass_pct() == pytest.approx(66.67)
    assert metrics.counts() == {"tests": 4, "passed": 2, "flaky": 1, "failed": 0, "skipped": 1, "quarantined": 0}


def test_retries_come_from_the_tag_else_the_default_and_only_for_allowed_failures() -> None:
    policy = RetryPolicy.parse(1, ["timed out", "Connection reset"])
    assert policy.retries_for(["smoke", "retry:3"]) == 3
    assert policy.retries_for(["smoke"]) == 1
    assert policy.allows("HTTP: GET /x failed: no response within 5 s (timed out)")
    assert not policy.allows("Row Should Exist: no row")
    assert RetryPolicy.parse(0).allows("anything")


def test_quarantine_by_tag_or_file_until_a_date() -> None:
    listed = read_quarantine_file("# known flaky\n2026-12-31 Suite.Test One\n\n2026-01-01 Suite.Old  # expired\n")
    assert listed == {"Suite.Test One": "2026-12-31", "Suite.Old": "2026-01-01"}
    assert quarantine_date(["quarantine:2027-02-01"], listed, "Suite.Test One") == "2027-02-01"
    assert quarantine_date([], listed, "Suite.Test One") == "2026-12-31"
    assert quarantine_active("2026-12-31", date(2026, 12, 31))
    assert not quarantine_active("2026-01-01", date(2026, 12, 1))
    with pytest.raises(ValueError, match="quarantine file line 1: expected '<YYYY-MM-DD> <test full name>', got 'x y'"):
        read_quarantine_file("x y")


def test_a_quarantined_failure_does_not_fail_the_run_until_its_date() -> None:
    metrics = RunMetrics(run={"started": "2026-12-01T10:00:00+00:00"})
    metrics.add_attempt(record("S.Q", "FAIL", until="2026-12-31"))
    assert not metrics.failed_run()
    assert metrics.counts()["quarantined"] == 1
    metrics.run["started"] = "2027-01-02T10:00:00+00:00"
    assert metrics.failed_run()


def test_merging_pabot_parts_and_reruns() -> None:
    first = RunMetrics(run={"run_key": "r", "started": "2026-12-01T10:00:00", "ended": "2026-12-01T10:01:00"})
    first.add_attempt(record("S.A", "PASS"))
    first.add_attempt(TestRecord("S.B", [], [attempt("FAIL", "2026-12-01T10:00:05", 2.0, "boom")]))
    first.add_hops({"gateway>orders": [1.0, 2.0]}, {"gateway>orders": [0.5]})
    rerun = RunMetrics(run={"run_key": "r2", "started": "2026-12-01T10:02:00", "ended": "2026-12-01T10:03:00"})
    rerun.add_attempt(TestRecord("S.B", [], [attempt("PASS", "2026-12-01T10:02:05", 3.0)]))
    rerun.add_hops({"gateway>orders": [3.0]}, {})
    merged = merge([RunMetrics.from_dict(rerun.to_dict()), RunMetrics.from_dict(first.to_dict())])
    assert merged.tests["S.B"].verdict == "FLAKY"
    assert [a.status for a in merged.tests["S.B"].attempts] == ["FAIL", "PASS"]  # in time order
    assert merged.tests["S.B"].elapsed == 5.0
    assert merged.to_dict()["hops"]["gateway>orders"]["count"] == 3
    assert merged.run["started"] == "2026-12-01T10:00:00" and merged.run["ended"] == "2026-12-01T10:03:00"
    assert merged.run["parts"] == 2


def test_a_metrics_file_of_another_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Seamline metrics file"):
        RunMetrics.from_dict({"tests": []})


def test_percentiles_are_nearest_rank() -> None:
    values = [float(value) for value in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([7.0], 99) == 7.0 and percentile([], 50) == 0.0


def test_gates_say_which_bound_broke() -> None:
    metrics = RunMetrics()
    metrics.add_attempt(record("S.A", "PASS"))
    metrics.add_attempt(record("S.B", "FAIL"))
    metrics.add_hops({"gateway>orders": [10.0, 80.0]}, {})
    metrics.detections.append({"name": "tampered amount", "seconds": 3.5})
    gates = Gates(first_run_min_pct=95, hop_p95_max={"gateway>orders": 0.05, "orders>sql": 0.01}, detect_max=2.0)
    assert gates.broken(metrics) == [
        "first-run pass rate 50 % is under 95 %",
        "hop 'gateway>orders' p95 80 ms is over 50 ms",
        "hop 'orders>sql' has no latency in this run (hops: gateway>orders)",
        "mean time to detect 3.5 s is over 2 s",
    ]
    assert Gates(first_run_min_pct=50, hop_p95_max={"gateway>orders": 0.1}, detect_max=4).broken(metrics) == []


def test_xunit_marks_flaky_and_rerun_failures(tmp_path) -> None:
    metrics = RunMetrics()
    metrics.add_attempt(record("S.Flaky", "FAIL", "PASS"))
    metrics.add_attempt(record("S.Broken", "FAIL", "FAIL"))
    metrics.add_attempt(record("S.Fine", "PASS"))
    write_xunit(metrics, tmp_path / "x.xml")
    suite = ET.parse(tmp_path / "x.xml").getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    cases = {case.get("name"): [child.tag for child in case] for case in suite}
    assert cases == {"Flaky": ["flakyFailure"], "Broken": ["failure", "rerunFailure"], "Fine": []}


def test_history_replaces_a_run_appended_again_and_flags_flaky_on_one_commit(tmp_path) -> None:
    history = History(tmp_path / "h.db")
    for key, started, status in (("a", "2026-12-01T10:00", "PASS"), ("b", "2026-12-01T11:00", "FAIL")):
        run = RunMetrics(run={"run_key": key, "started": started, "commit": "abc123"})
        run.add_attempt(record("S.Wobbly", status))
        run.add_attempt(record("S.Steady", "PASS"))
        history.append(run)
        history.append(run)  # a pabot part re-merging the same run
    assert [run["run_key"] for run in history.runs()] == ["a", "b"]
    flaky = history.flaky_tests(["a", "b"])
    assert [(entry["name"], entry["flips"], entry.get("same_commit")) for entry in flaky] == [("S.Wobbly", 1, True)]
    history.close()


def test_hops_are_named_by_caller_and_the_service_that_answered() -> None:
    client = Span("http", "POST", "/api/orders", 0.0, 0.010, span_id="c1", trace_id="t")
    server = Span(
        "http",
        "POST",
        "/api/orders",
        0.001,
        0.007,
        span_id="s1",
        parent_id="c1",
        trace_id="t",
        service="gateway",
        kind="server",
    )
    sql = Span("sql", "INSERT", "orders", 0.002, 0.002, span_id="q1", parent_id="s1", trace_id="t", service="orders")
    durations, gaps = hop_samples([client, server, sql])
    assert durations == {"test>gateway": [10.0], "orders>sql": [2.0]}
    assert gaps == {"test>gateway": [pytest.approx(3.0)]}
