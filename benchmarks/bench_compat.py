"""Benchmark: RequestsLibrary `GET On Session` with and without Seamline instrumenting it, in the same run.

Three suites call `GET On Session` in a Robot FOR loop against the same local keep-alive HTTP server
(bench_api's), rounds alternating, at --loglevel INFO:

- RequestsLibrary alone;
- beside `Library    Seamline    instrument=False` (Seamline's listener masks RequestsLibrary's log messages);
- beside `Library    Seamline` (also a span, trace headers and Server-Timing per request).

The goal is the instrumentation's cost: the last against the second, at most 5% per call. The last against
the first is all Seamline adds to such a suite, masking included.

    .venv/bin/python benchmarks/bench_compat.py [--calls 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics

from bench_api import measure, suite_text
from common import print_table, write_results

CALL = "    GET On Session    s    /orders/1"
SETUP = "    Create Session    s    ${URL}"
# bench_api's suite_text indents its settings lines by 8 spaces before dedenting them: a second import line
# takes the same indentation.
SECOND_IMPORT = "\n        Library    "
SUITES = {
    "RequestsLibrary alone": "Library    RequestsLibrary",
    "+ Seamline instrument=False": f"Library    RequestsLibrary{SECOND_IMPORT}Seamline    instrument=False",
    "+ Seamline (instrumented)": f"Library    RequestsLibrary{SECOND_IMPORT}Seamline",
}
ALONE, MASKED, INSTRUMENTED = SUITES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = {tool: suite_text(imports, SETUP, CALL, args.calls) for tool, imports in SUITES.items()}
    seconds, cpu, _sizes = measure(texts, args.rounds, {}, "seamline-bench-compat-")
    # Best of the rounds for wall time (the machine is shared); the median of Robot's own CPU time beside it.
    per_op = {tool: min(values) / args.calls * 1000 for tool, values in seconds.items()}
    cpu_op = {tool: statistics.median(values) / args.calls * 1000 for tool, values in cpu.items()}
    rows = [
        {
            "tool": tool,
            "per_op_ms": round(per_op[tool], 4),
            "ratio_to_alone": round(per_op[tool] / per_op[ALONE], 3),
            "robot_cpu_ms_per_op": round(cpu_op[tool], 4),
            "cpu_ratio_to_alone": round(cpu_op[tool] / cpu_op[ALONE], 3),
            "runs_ms_per_op": [round(value / args.calls * 1000, 4) for value in seconds[tool]],
        }
        for tool in SUITES
    ]
    instrumentation = {
        "added_per_call_pct": round((per_op[INSTRUMENTED] / per_op[MASKED] - 1) * 100, 1),
        "added_cpu_per_call_pct": round((cpu_op[INSTRUMENTED] / cpu_op[MASKED] - 1) * 100, 1),
        "goal_pct": 5,
    }
    report = {
        "benchmark": "compat",
        "calls": args.calls,
        "rounds": args.rounds,
        "rows": rows,
        "instrumentation": instrumentation,
        "notes": (
            "GET On Session in a Robot FOR loop at --loglevel INFO against bench_api's local keep-alive server, "
            "rounds alternating between the three suites; per_op_ms is the best round's test time / calls, "
            "robot_cpu_ms_per_op the median CPU time of Robot's process per call. 'instrumentation' compares the "
            "instrumented suite with Seamline imported with instrument=False: the cost of the spans and trace "
            "headers alone (the goal is at most 5% per call)."
        ),
    }
    written = write_results("compat", report)
    print_table(
        rows,
        [
            ("tool", "tool", "<30"),
            ("ms/call", "per_op_ms", ">8.3f"),
            ("ratio", "ratio_to_alone", ">6.3f"),
            ("cpu ms", "robot_cpu_ms_per_op", ">7.3f"),
            ("cpu", "cpu_ratio_to_alone", ">6.3f"),
        ],
    )
    print(
        f"instrumentation adds {instrumentation['added_per_call_pct']}% per call "
        f"({instrumentation['added_cpu_per_call_pct']}% CPU); goal <= 5%"
    )
    print(f"written to {written}")


if __name__ == "__main__":
    main()
