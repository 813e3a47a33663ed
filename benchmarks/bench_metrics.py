"""Metrics: what the metrics listener costs a run, per test and per span, and what a report of 1000 runs costs.

- per test: a suite of trivial tests (the worst case: nothing else to hide the listener behind) run by
  `robot` with no listener (the floor) and with `--listener Seamline.Metrics` keeping a history, best of
  three rounds each, in the same run;
- the same for a suite whose tests call a local HTTP server (a realistic integration test);
- per span: turning spans into hop samples and writing them into metrics.json, in process;
- `seamline report`: the dashboard from a history of 1000 runs of 200 tests and 6 hops each.
- per test with a watched service: the resource window (a sample as the test begins and one as it ends) of
  an orderflow (7 processes), against the same readings taken with psutil's per-process ``net_connections``.
- in process: the listener's own work per test and at the end of the run, without Robot's start-up or the
  import of Seamline (which a suite using the library pays anyway).
Goals: the listener costs at most 2% of a suite's run time; the report of 1000 runs takes seconds, not minutes.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench_api import SERVER
from common import ROOT, local_server, print_table, write_results

from Seamline.engine.metrics.attempts import Attempt, TestRecord
from Seamline.engine.metrics.collector import hop_samples
from Seamline.engine.metrics.dashboard import write_dashboard
from Seamline.engine.metrics.history import History
from Seamline.engine.metrics.run import RunMetrics
from Seamline.engine.services.sampling import ResourceSampler, _named_processes
from Seamline.engine.timeline import Span
from Seamline.metrics import Metrics

TESTS = 500
ROUNDS = 3
SPANS = 20_000
HISTORY_RUNS = 1000
WINDOWS = 30
FIRST_RUN = datetime(2026, 1, 1, tzinfo=timezone.utc)


def suite(directory: Path, name: str, body: str) -> Path:
    tests = "".join(f"Test {index}\n{body}\n" for index in range(TESTS))
    path = directory / f"{name}.robot"
    path.write_text(f"*** Test Cases ***\n{tests}", encoding="utf-8")
    return path


def wall_seconds(robot_file: Path, *options: str) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        command = [sys.executable, "-m", "robot", "--output", "NONE", "--log", "NONE", "--report", "NONE"]
        command += ["--console", "none", "--outputdir", str(robot_file.parent / "out"), *options, str(robot_file)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=ROOT)
        if done.returncode != 0:
            raise RuntimeError(f"{robot_file.name} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")
        best = min(best, time.perf_counter() - started)
    return best


def listener_cost(directory: Path, kind: str, body: str) -> dict[str, object]:
    floor = wall_seconds(suite(directory, f"{kind}_floor", body))
    with_metrics = wall_seconds(
        suite(directory, f"{kind}_metrics", body), "--listener", f"Seamline.Metrics:history={directory / 'h.db'}"
    )
    return {
        "suite": kind,
        "tests": TESTS,
        "floor_s": round(floor, 3),
        "metrics_s": round(with_metrics, 3),
        "added_pct": round(100 * (with_metrics - floor) / floor, 2),
        "per_test_us": round((with_metrics - floor) / TESTS * 1e6, 1),
    }


class _Status:
    """What the listener reads of Robot's running and result objects (the same attribute names)."""

    def __init__(self, index: int) -> None:
        self.name = f"Test {index}"
        self.full_name = f"Suite.Test {index}"
        self.tags = ["smoke"]
        self.status = "PASS"
        self.message = ""
        self.start_time = datetime(2026, 12, 1, tzinfo=timezone.utc)
        self.elapsed_time = timedelta(milliseconds=20)


def in_process_cost(directory: Path) -> dict[str, float]:
    """The listener's own work per test (end_test) and at the end of the run (metrics.json, xunit, history),
    measured in this process: what it adds to a suite that imports Seamline anyway."""
    tests = 20_000
    listener = Metrics(history=str(directory / "inproc.db"))
    listener.output_dir = directory
    started = time.perf_counter()
    for index in range(tests):
        status = _Status(index)
        listener.end_test(status, status)
    per_test = (time.perf_counter() - started) / tests
    started = time.perf_counter()
    listener.close()
    closing = time.perf_counter() - started
    return {
        "tests": tests,
        "end_test_us": round(per_test * 1e6, 2),
        "close_s": round(closing, 3),
        "per_test_us_with_close": round((per_test + closing / tests) * 1e6, 2),
    }


def span_cost() -> dict[str, float]:
    spans = []
    for index in range(SPANS // 2):
        client = Span("http", "GET", "/x", index, 0.004, span_id=f"c{index}", trace_id=f"t{index}")
        server = Span(
            "http",
            "GET",
            "/x",
            index,
            0.003,
            span_id=f"s{index}",
            parent_id=f"c{index}",
            trace_id=f"t{index}",
            service="gateway",
            kind="server",
        )
        spans += [client, server]
    started = time.perf_counter()
    durations, gaps = hop_samples(spans)
    metrics = RunMetrics(run={"run_key": "bench"})
    metrics.add_hops(durations, gaps)
    metrics.to_dict()
    return {"spans": SPANS, "per_span_us": round((time.perf_counter() - started) / SPANS * 1e6, 3)}


def report_cost(directory: Path) -> dict[str, float]:
    history = History(directory / "big-history.db")
    for run in range(HISTORY_RUNS):
        metrics = RunMetrics(
            run={
                "run_key": f"run{run}",
                "started": (FIRST_RUN + timedelta(hours=run)).isoformat(),
                "commit": f"c{run // 3}",
            }
        )
        for test in range(200):
            status = "FAIL" if (run + test) % 97 == 0 else "PASS"
            metrics.add_attempt(TestRecord(f"S.T{test}", [], [Attempt(status, "", "2026-01-01T00:00:00", 0.1)]))
        metrics.add_hops({f"svc{hop}>svc{hop + 1}": [1.0 + hop, 2.0, 3.0] for hop in range(6)}, {})
        history.append(metrics)
    started = time.perf_counter()
    data = write_dashboard(history, directory / "dashboard.html")
    seconds = time.perf_counter() - started
    history.close()
    return {
        "runs": HISTORY_RUNS,
        "shown": len(data["runs"]),
        "seconds": round(seconds, 3),
        "size_kb": round((directory / "dashboard.html").stat().st_size / 1024, 1),
    }


def resource_window_cost(directory: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "orderflow", "up", "--data-dir", str(directory / "orderflow")]
    platform = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert platform.stdout is not None
        for line in platform.stdout:
            if "ORDERFLOW READY" in line:
                break
        sampler = ResourceSampler(interval=3600)  # no background samples: only the windows' own
        sampler.services["orderflow"] = platform.pid
        processes = len(_named_processes("orderflow", platform.pid))
        started = time.perf_counter()
        for _ in range(WINDOWS):
            sampler.begin()
            sampler.end()
        seamline = (time.perf_counter() - started) / WINDOWS
        started = time.perf_counter()
        for _ in range(WINDOWS * 2):
            for _name, process in _named_processes("orderflow", platform.pid):
                with process.oneshot():
                    process.cpu_times(), process.memory_info(), len(process.net_connections(kind="inet"))
        psutil_only = (time.perf_counter() - started) / WINDOWS
    finally:
        platform.terminate()
        platform.wait(timeout=30)
    return {
        "processes": processes,
        "window_ms": round(seamline * 1000, 2),
        "psutil_net_connections_window_ms": round(psutil_only * 1000, 2),
        "ratio": round(psutil_only / seamline, 1),
    }


def main() -> None:
    with local_server(SERVER) as url, tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        trivial = listener_cost(directory, "trivial", "    Log    fine")
        http_body = f"    Evaluate    __import__('urllib.request').request.urlopen('{url}/').read()\n" * 5
        calling = listener_cost(directory, "http", http_body)
        spans = span_cost()
        in_process = in_process_cost(directory)
        report = report_cost(directory)
        window = resource_window_cost(directory)
    print_table(
        [trivial, calling],
        [
            ("suite", "suite", "<8s"),
            ("floor s", "floor_s", ">8.3f"),
            ("metrics s", "metrics_s", ">10.3f"),
            ("added %", "added_pct", ">8.2f"),
            ("us/test", "per_test_us", ">8.1f"),
        ],
    )
    print(f"per span (hop samples + metrics.json): {spans['per_span_us']} us")
    print(
        f"in process, {in_process['tests']} tests: end_test {in_process['end_test_us']} us a test, "
        f"metrics.json + xunit + history {in_process['close_s']} s ({in_process['per_test_us_with_close']} us a test)"
    )
    print(f"dashboard from {report['runs']} runs: {report['seconds']} s, {report['size_kb']} KB")
    print(
        f"a test's resource window on orderflow ({window['processes']} processes): {window['window_ms']} ms; "
        f"with psutil's net_connections per process {window['psutil_net_connections_window_ms']} ms "
        f"({window['ratio']}x)"
    )
    write_results(
        "metrics",
        {
            "listener": [trivial, calling],
            "in_process": in_process,
            "spans": spans,
            "report": report,
            "resource_window": window,
        },
    )


if __name__ == "__main__":
    main()
