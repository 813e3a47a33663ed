"""Gates on a run's figures: `seamline report --fail-under first_run=95 --max-hop-p95 gateway>orders=50ms`."""

from __future__ import annotations

from dataclasses import dataclass

from .run import RunMetrics


@dataclass
class Gates:
    """Bounds a run must keep; seconds for times, percent for the pass rate."""

    first_run_min_pct: float | None = None
    hop_p95_max: dict[str, float] | None = None  # hop -> seconds
    detect_max: float | None = None  # seconds (the mean time to detect)

    def broken(self, metrics: RunMetrics) -> list[str]:
        """One line per broken bound; empty when the run keeps them all."""
        problems = []
        figures = metrics.to_dict()
        if self.first_run_min_pct is not None:
            pct = figures["summary"]["first_run_pass_pct"]
            if pct is None or pct < self.first_run_min_pct:
                problems.append(f"first-run pass rate {_pct(pct)} is under {self.first_run_min_pct:g} %")
        for hop, limit in (self.hop_p95_max or {}).items():
            stats = figures["hops"].get(hop)
            if stats is None:
                known = ", ".join(figures["hops"]) or "none"
                problems.append(f"hop '{hop}' has no latency in this run (hops: {known})")
            elif stats["p95_ms"] > limit * 1000:
                problems.append(f"hop '{hop}' p95 {stats['p95_ms']:g} ms is over {limit * 1000:g} ms")
        if self.detect_max is not None:
            mean = figures["summary"]["mean_detect_s"]
            if mean is None:
                problems.append("no detection time in this run (no Measure Time To Detect ran)")
            elif mean > self.detect_max:
                problems.append(f"mean time to detect {mean:g} s is over {self.detect_max:g} s")
        return problems


def _pct(value: float | None) -> str:
    return "n/a (no test ran)" if value is None else f"{value:g} %"
