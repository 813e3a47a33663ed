"""The figures of one run, and how runs (pabot processes, reruns merged by rebot) add up.

A run's metrics keep raw samples (each hop's durations, each detection time) rather than summaries, so
merging parts gives the same percentiles as one process would have.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..trace.hops import latency_figures
from .attempts import FAIL, FLAKY, PASS, SKIP, TestRecord

FORMAT = 1


def resource_reading(usage: dict[str, Any]) -> dict[str, Any]:
    """One resource record as the figures read it, whichever shape it came in: a per-test reading
    (``service``, ``peak_rss_mb``) or a service's whole-life usage at its stop (``name``, ``peak_rss_bytes``)."""
    return {
        "service": usage.get("service") or usage.get("name"),
        "test": usage.get("test"),
        "cpu_seconds": usage.get("cpu_seconds"),
        "peak_rss_mb": usage.get("peak_rss_mb") or round((usage.get("peak_rss_bytes") or 0) / 1_048_576, 1),
        "mean_rss_mb": usage.get("mean_rss_mb"),
        "connections": usage.get("open_connections"),
    }


def summary(values: list[float]) -> dict[str, float]:
    """Count, mean, p50, p95, p99 and max of samples in milliseconds (the hops' one percentile rule)."""
    return latency_figures(values, scale=1.0)


@dataclass
class RunMetrics:
    """Everything `metrics.json` holds about one run."""

    run: dict[str, Any] = field(default_factory=dict)  # started, ended, commit, run_key, log, parts
    tests: dict[str, TestRecord] = field(default_factory=dict)
    suites: list[dict[str, Any]] = field(default_factory=list)  # name, status, elapsed
    hop_samples: dict[str, list[float]] = field(default_factory=dict)  # hop -> durations (ms)
    gap_samples: dict[str, list[float]] = field(default_factory=dict)  # hop -> inter-service gaps (ms)
    detections: list[dict[str, Any]] = field(default_factory=list)  # name, seconds
    resources: list[dict[str, Any]] = field(default_factory=list)  # service, test, cpu_seconds, rss...

    def add_attempt(self, record: TestRecord) -> None:
        known = self.tests.get(record.name)
        if known is None:
            self.tests[record.name] = record
        else:
            known.attempts.extend(record.attempts)
            known.tags = record.tags or known.tags
            known.quarantined_until = record.quarantined_until or known.quarantined_until

    def add_hops(self, durations: dict[str, list[float]], gaps: dict[str, list[float]]) -> None:
        for hop, values in durations.items():
            self.hop_samples.setdefault(hop, []).extend(values)
        for hop, values in gaps.items():
            self.gap_samples.setdefault(hop, []).extend(values)

    # The figures
    def counts(self) -> dict[str, int]:
        verdicts = [record.verdict for record in self.tests.values()]
        run_date = self._run_date()
        quarantined = sum(1 for record in self.tests.values() if record.quarantined_failure(run_date))
        return {
            "tests": len(verdicts),
            "passed": verdicts.count(PASS),
            "flaky": verdicts.count(FLAKY),
            "failed": verdicts.count(FAIL),
            "skipped": verdicts.count(SKIP),
            "quarantined": quarantined,
        }

    def first_run_pass_pct(self) -> float | None:
        """Tests whose first attempt passed, in % of the tests that ran (FLAKY counts as a first-run failure)."""
        firsts = [record.first_run_passed for record in self.tests.values()]
        ran = [passed for passed in firsts if passed is not None]
        return round(100 * sum(ran) / len(ran), 2) if ran else None

    def mean_detect_seconds(self) -> float | None:
        times = [float(detection["seconds"]) for detection in self.detections]
        return round(statistics.fmean(times), 4) if times else None

    def mean_inter_service_ms(self) -> float | None:
        gaps = [gap for values in self.gap_samples.values() for gap in values]
        return round(statistics.fmean(gaps), 3) if gaps else None

    def failed_run(self) -> bool:
        """Whether the run fails: a FAIL verdict that is not under an active quarantine."""
        run_date = self._run_date()
        return any(
            record.verdict == FAIL and not record.quarantined_failure(run_date) for record in self.tests.values()
        )

    def _run_date(self) -> date:
        started = self.run.get("started")
        return datetime.fromisoformat(started).date() if started else date.today()

    def to_dict(self) -> dict[str, Any]:
        elapsed = sum(record.elapsed for record in self.tests.values())
        return {
            "format": FORMAT,
            "run": self.run,
            "summary": {
                **self.counts(),
                "first_run_pass_pct": self.first_run_pass_pct(),
                "mean_detect_s": self.mean_detect_seconds(),
                "mean_inter_service_ms": self.mean_inter_service_ms(),
                "test_seconds": round(elapsed, 3),
            },
            "hops": {hop: summary(values) for hop, values in sorted(self.hop_samples.items())},
            "inter_service": {hop: summary(values) for hop, values in sorted(self.gap_samples.items())},
            "tests": [record.to_dict() for record in self.tests.values()],
            "suites": self.suites,
            "detections": self.detections,
            "resources": self.resources,
            "samples": {"hops": self.hop_samples, "gaps": self.gap_samples},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunMetrics:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a Seamline metrics file (format {data.get('format')!r}, expected {FORMAT})")
        samples = data.get("samples", {})
        return cls(
            dict(data.get("run", {})),
            {test["name"]: TestRecord.from_dict(test) for test in data.get("tests", [])},
            list(data.get("suites", [])),
            {hop: list(values) for hop, values in samples.get("hops", {}).items()},
            {hop: list(values) for hop, values in samples.get("gaps", {}).items()},
            list(data.get("detections", [])),
            list(data.get("resources", [])),
        )


def merge(parts: Iterable[RunMetrics]) -> RunMetrics:
    """One run from its parts: pabot processes (different tests) or reruns (the same tests again).

    A test found in several parts keeps every attempt in time order, so a failure followed by a passing
    rerun ends FLAKY, with both timings.
    """
    merged = RunMetrics()
    starts, ends = [], []
    for part in parts:
        for record in part.tests.values():
            merged.add_attempt(TestRecord(record.name, record.tags, list(record.attempts), record.quarantined_until))
        merged.suites.extend(part.suites)
        merged.add_hops(part.hop_samples, part.gap_samples)
        merged.detections.extend(part.detections)
        merged.resources.extend(part.resources)
        starts.append(part.run.get("started"))
        ends.append(part.run.get("ended"))
        for key in ("commit", "run_key", "log", "source"):
            if part.run.get(key) and not merged.run.get(key):
                merged.run[key] = part.run[key]
    for record in merged.tests.values():
        record.attempts.sort(key=lambda attempt: attempt.start)
    merged.run["started"] = min((start for start in starts if start), default=None)
    merged.run["ended"] = max((end for end in ends if end), default=None)
    merged.run["parts"] = len(starts)
    return merged
