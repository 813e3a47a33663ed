"""Benchmark: `Call Api` vs RequestsLibrary `GET On Session` vs raw `requests.Session` in a bare keyword.

All three run through `robot` (so each pays Robot's per-keyword cost) against the same local
keep-alive HTTP server, in the same run, alternating, at --loglevel INFO. Reports the median time
per call (best round and median), the ratio to the bare-keyword floor, and output.xml bytes per call.

    .venv/bin/python benchmarks/bench_api.py [--calls 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import textwrap
from pathlib import Path

from common import local_server, passed_tests, print_table, run_robot, write_results

SERVER = """
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = json.dumps({"id": "0b5e4c1a", "status": "RESERVED", "quantity": 2, "amount": "25.00"}).encode()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs (40 ms per call)
    def log_message(self, *args):
        pass
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

BARE_LIBRARY = """
import requests

class BareHttp:
    ROBOT_LIBRARY_SCOPE = "GLOBAL"

    def __init__(self, trust_env="False"):
        self.session = requests.Session()
        self.session.trust_env = trust_env == "True"

    def raw_get(self, url):
        response = self.session.get(url, timeout=10)
        response.raise_for_status()
        return response
"""

CLOCK_LIBRARY = """
import time

def cpu_seconds():
    return time.process_time()
"""

SUITES = {
    "Seamline Call Api": (
        "Library    Seamline",
        "    Connect To Api    ${URL}",
        "    Call Api    GET    /orders/1",
    ),
    "RequestsLibrary GET On Session": (
        "Library    RequestsLibrary",
        "    Create Session    s    ${URL}",
        "    GET On Session    s    /orders/1",
    ),
    "raw requests.Session (bare keyword)": (
        "Library    BareHttp.py",
        "    No Operation",
        "    Raw Get    ${URL}/orders/1",
    ),
    "raw requests.Session, trust_env=True": (
        "Library    BareHttp.py    trust_env=True",
        "    No Operation",
        "    Raw Get    ${URL}/orders/1",
    ),
}
# The floor reads the environment once, as Call Api does; a default Session re-reads proxies, CA bundle and
# ~/.netrc on every call (the last row shows that cost).
FLOOR = "raw requests.Session (bare keyword)"


def suite_text(library: str, setup: str, call: str, calls: int) -> str:
    return textwrap.dedent(f"""\
        *** Settings ***
        {library}
        Library    BenchClock.py
        Suite Setup    Warm Up

        *** Keywords ***
        Warm Up
        {setup}
            FOR    ${{i}}    IN RANGE    20
            {call}
            END

        *** Test Cases ***
        Calls
            ${{start}} =    Cpu Seconds
            FOR    ${{i}}    IN RANGE    {calls}
            {call}
            END
            ${{end}} =    Cpu Seconds
            Set Test Message    ${{{{${{end}} - ${{start}}}}}}
        """)


def run_suite(path: Path, url: str, out: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds of Robot's process spent in the calls, and the output.xml size."""
    run_robot(path.name, path, "--loglevel", "INFO", "--variable", f"URL:{url}", output=out, timeout=600)
    [test] = passed_tests(out)
    return test.elapsed_time.total_seconds(), float(test.message), out.stat().st_size


def measure(
    suites: dict[str, str], rounds: int, libraries: dict[str, str], prefix: str
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, int]]:
    """Run each suite text `rounds` times, alternating, against one local server (bench_api's), with the
    `libraries` (file name -> source) beside them; per tool: wall seconds and CPU seconds of each round in the
    calls, and the size of its output.xml."""
    with local_server(SERVER) as url, tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        work = Path(tmp)
        for name, source in {**libraries, "BenchClock.py": CLOCK_LIBRARY}.items():
            (work / name).write_text(source)
        files = {}
        for index, (tool, text) in enumerate(suites.items()):
            files[tool] = work / f"suite_{index}.robot"
            files[tool].write_text(text)
        seconds: dict[str, list[float]] = {tool: [] for tool in suites}
        cpu: dict[str, list[float]] = {tool: [] for tool in suites}
        sizes: dict[str, int] = {}
        for _ in range(rounds):
            for tool, path in files.items():
                elapsed, cpu_seconds, size = run_suite(path, url, work / "output.xml")
                seconds[tool].append(elapsed)
                cpu[tool].append(cpu_seconds)
                sizes[tool] = size
    return seconds, cpu, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = {tool: suite_text(*parts, args.calls) for tool, parts in SUITES.items()}
    seconds, cpu, sizes = measure(texts, args.rounds, {"BareHttp.py": BARE_LIBRARY}, "seamline-bench-api-")
    # Best of the rounds: the machine is shared, and the least disturbed round shows each tool's own cost.
    per_op = {tool: min(values) / args.calls * 1000 for tool, values in seconds.items()}
    median_op = {tool: statistics.median(values) / args.calls * 1000 for tool, values in seconds.items()}
    cpu_op = {tool: statistics.median(values) / args.calls * 1000 for tool, values in cpu.items()}
    rows = [
        {
            "tool": tool,
            "per_op_ms": round(per_op[tool], 4),
            "ratio_to_floor": round(per_op[tool] / per_op[FLOOR], 3),
            "median_per_op_ms": round(median_op[tool], 4),
            "median_ratio_to_floor": round(median_op[tool] / median_op[FLOOR], 3),
            "robot_cpu_ms_per_op": round(cpu_op[tool], 4),
            "cpu_ratio_to_floor": round(cpu_op[tool] / cpu_op[FLOOR], 3),
            "output_xml_bytes_per_call": round(sizes[tool] / args.calls, 1),
            "runs_ms_per_op": [round(value / args.calls * 1000, 4) for value in seconds[tool]],
        }
        for tool in SUITES
    ]
    report = {
        "benchmark": "api",
        "calls": args.calls,
        "rounds": args.rounds,
        "rows": rows,
        "notes": (
            "Each tool runs GET calls in a Robot FOR loop at --loglevel INFO against the same local keep-alive "
            "HTTP server (another process), rounds alternating between tools; per_op_ms is the best round's test "
            "elapsed time / calls (the machine is shared; medians are reported beside it). robot_cpu_ms_per_op is "
            "the CPU time of Robot's own process per call (median), which other load on the machine barely moves. "
            "The floor is raw requests.Session.get in a bare Python keyword. output.xml bytes per call include "
            "the fixed suite overhead divided by the calls."
        ),
    }
    written = write_results("api", report)
    print_table(
        rows,
        [
            ("tool", "tool", "<38"),
            ("ms/call", "per_op_ms", ">8.3f"),
            ("ratio", "ratio_to_floor", ">6.3f"),
            ("median", "median_ratio_to_floor", ">7.3f"),
            ("cpu ms", "robot_cpu_ms_per_op", ">7.3f"),
            ("cpu", "cpu_ratio_to_floor", ">6.3f"),
            ("xml B/call", "output_xml_bytes_per_call", ">10.1f"),
        ],
    )
    print(f"written to {written}")


if __name__ == "__main__":
    main()
