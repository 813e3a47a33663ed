"""The `seamline` command: `seamline report [OUTPUT_DIR]` summarises a run's seamline-metrics.json."""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from .engine.timeline import Span
from .engine.trace.hops import latency_figures


def report(output_dir: Path) -> int:
    path = output_dir / "seamline-metrics.json"
    if not path.exists():
        print(f"seamline: no {path} (run the suites with `Library  Seamline` first)", file=sys.stderr)
        return 2
    metrics = json.loads(path.read_text(encoding="utf-8"))
    by_system: dict[str, list[Span]] = defaultdict(list)
    for test in metrics.get("tests", []):
        for span in test["spans"]:
            by_system[span["system"]].append(Span(**span))
    print(f"{'system':<10} {'spans':>6} {'p50 ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for system, spans in sorted(by_system.items()):
        summary = latency_figures(span.duration for span in spans)
        figures = f"{summary['p50_ms']:>10} {summary['p95_ms']:>8} {summary['max_ms']:>8}"
        print(f"{system:<10} {summary['count']:>6} {figures}")
    for usage in metrics.get("resource_usage", []):
        print(
            f"service {usage['name']}: {usage['cpu_seconds']} s CPU, peak RSS "
            f"{usage['peak_rss_bytes'] / 1_048_576:.1f} MB, {usage['open_connections']} connections"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seamline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    report_parser = commands.add_parser("report", help="hop latency and resource usage of a run")
    report_parser.add_argument("output_dir", nargs="?", default="results", type=Path)
    args = parser.parse_args(argv)
    return report(args.output_dir)


if __name__ == "__main__":
    sys.exit(main())
