"""Plumbing every benchmark shares: run a generated suite in its own `robot` process, read its tests'
times, write benchmarks/results/<name>.json and print the figures as a table."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from robot.api import ExecutionResult
from robot.result import TestCase

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
BENCH_OUTPUT = Path(tempfile.gettempdir()) / "seamline-bench"


def run_robot(what: str, robot_file: Path, *options: str, output: Path | None, timeout: float = 300) -> None:
    """Run `robot_file` quietly (no log, no report; `output` NONE when None), with its own folder and
    libraries/ on the Python path; when it fails, raise with the end of Robot's output and the failed tests."""
    command = [sys.executable, "-m", "robot", "--output", str(output or "NONE"), "--log", "NONE", "--report", "NONE"]
    command += ["--outputdir", str(BENCH_OUTPUT)]  # what listeners write (metrics.json, xunit) stays out of the tree
    command += ["--pythonpath", str(robot_file.parent), "--pythonpath", str(ROOT / "libraries"), "--console", "none"]
    command += [*options, str(robot_file)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{run.stdout[-2000:]}{run.stderr[-2000:]}{_failures(output)}")


def _failures(output: Path | None) -> str:
    if output is None or not output.exists():
        return ""
    tests = ExecutionResult(str(output), include_keywords=False).suite.all_tests
    return "".join(f"\n{test.full_name} failed: {test.message}" for test in tests if not test.passed)


def passed_tests(output: Path) -> list[TestCase]:
    """The tests in `output` (output.xml); raises if any of them did not pass."""
    tests = list(ExecutionResult(str(output), include_keywords=False).suite.all_tests)
    for test in tests:
        if not test.passed:
            raise RuntimeError(f"{test.full_name} failed: {test.message}")
    return tests


def test_seconds(output: Path) -> dict[str, float]:
    """Each test's own elapsed seconds (Robot's start-up left out), by test name."""
    return {test.name: test.elapsed_time.total_seconds() for test in passed_tests(output)}


@contextlib.contextmanager
def local_server(script: str) -> Iterator[str]:
    """Run `script` (Python that prints the port it listens on, then serves) in its own process; yields
    its http://127.0.0.1:<port> URL and ends it afterwards."""
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield f"http://127.0.0.1:{server.stdout.readline().strip()}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def reachable(port: int) -> bool:
    """Whether a server listens on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def write_results(name: str, result: Mapping[str, Any], indent: int = 2) -> Path:
    """Write benchmarks/results/<name>.json (the committed figures the README quotes)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=indent) + "\n", encoding="utf-8")
    return path


def print_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[tuple[str, str, str]]) -> None:
    """One line of titles, then a line per row; a column is (title, row key, format spec of its values),
    and its title takes the spec's alignment and width."""
    print(" ".join(format(title, _alignment_and_width(spec)) for title, _key, spec in columns))
    for row in rows:
        print(" ".join(format(row[key], spec) for _title, key, spec in columns))


def _alignment_and_width(spec: str) -> str:
    return spec.split(".")[0].rstrip("dfgs")
