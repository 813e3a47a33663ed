"""`seamline shard` and `seamline watch`: the parts that read Robot suites and run Robot.

shard: the tests of the suites (Robot's own suite builder) spread over N shards, balanced by the
durations a history or earlier output.xml files recorded; prints the `--test` arguments of one shard.

watch: re-runs the tests tagged ``critical`` when a file under the watched paths changes (watchfiles), or
every ``--interval``. A changed suite file re-runs its own critical tests; a changed resource or library
re-runs the suites that use it (directly or through other resources); anything else re-runs them all.
One line per run; an alert when a test that passed now fails, and when it recovers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from robot.api import ExecutionResult, TestSuiteBuilder, get_model, get_resource_model

from .engine.metrics.history import History
from .engine.runs import Verdicts, balance, literal_test_pattern

SUITE_SUFFIXES = {".robot"}
USER_SUFFIXES = {".resource", ".py", ".robot"}


# Shards
def suite_tests(paths: Sequence[str], name: str | None = None) -> list[str]:
    """The full names of every test under `paths`, as `robot [--name NAME] paths` would name them."""
    suite = TestSuiteBuilder().build(*paths)
    if name:
        suite.name = name
    return [test.full_name for test in suite.all_tests]


def recorded_durations(sources: Iterable[str]) -> dict[str, float]:
    """Mean seconds per test from history databases (``.db`` or SQL URLs) and output.xml files."""
    seen: dict[str, list[float]] = {}
    for source in sources:
        if source.endswith(".xml"):
            for test in ExecutionResult(source, include_keywords=False).suite.all_tests:
                seen.setdefault(test.full_name, []).append(test.elapsed_time.total_seconds())
            continue
        history = History(source)
        for run in history.runs(20):
            for row in history.tests(run["run_key"]):
                seen.setdefault(row["name"], []).append(float(row["elapsed"] or 0))
        history.close()
    return {name: sum(values) / len(values) for name, values in seen.items()}


def shard_arguments(paths: Sequence[str], index: int, total: int, sources: Sequence[str], name: str | None) -> str:
    if not 1 <= index <= total:
        raise SystemExit(f"seamline: --index must be between 1 and --total ({total}), got {index}")
    tests = suite_tests(paths, name)
    durations = recorded_durations(sources) if sources else {}
    shard = balance(tests, total, durations)[index - 1]
    by = "past durations" if durations else "count"
    lines = [f"# shard {index} of {total}: {len(shard.tests)} of {len(tests)} tests, balanced by {by}"]
    if durations:
        lines[0] += f" (~{shard.seconds:.1f} s)"
    lines += [f"--test {literal_test_pattern(test)}" for test in shard.tests]
    return "\n".join(lines)


# Watch
def uses(paths: Sequence[Path]) -> dict[Path, set[Path]]:
    """For each suite file under `paths`, every resource and library file it uses, through resources too."""
    direct: dict[Path, set[Path]] = {}

    def imports_of(file: Path) -> set[Path]:
        if file not in direct:
            direct[file] = set()
            try:
                model = get_model(str(file)) if file.suffix == ".robot" else _resource_model(file)
            except Exception:  # an unparsable file cannot say what it uses
                return direct[file]
            for section in model.sections:
                for statement in getattr(section, "body", []):
                    imported = _imported_file(statement, file.parent)
                    if imported is not None:
                        direct[file].add(imported)
        return direct[file]

    used: dict[Path, set[Path]] = {}
    for suite in _suite_files(paths):
        seen: set[Path] = set()
        pending = [suite]
        while pending:
            for imported in imports_of(pending.pop()):
                if imported not in seen:
                    seen.add(imported)
                    if imported.suffix == ".resource":
                        pending.append(imported)
        used[suite] = seen
    return used


def _resource_model(file: Path) -> Any:
    return get_resource_model(str(file))


def _imported_file(statement: Any, directory: Path) -> Path | None:
    kind = type(statement).__name__
    if kind not in ("ResourceImport", "LibraryImport", "VariablesImport"):
        return None
    name = statement.name.replace("${CURDIR}", str(directory))
    candidate = (directory / name).resolve()
    return candidate if candidate.is_file() else None


def _suite_files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_file() and path.suffix in SUITE_SUFFIXES:
            files.append(path.resolve())
        elif path.is_dir():
            files += sorted(file.resolve() for file in path.rglob("*.robot") if ".venv" not in file.parts)
    return files


def suite_names(paths: Sequence[Path]) -> dict[Path, str]:
    """Each suite file's full suite name when `paths` run together."""
    names: dict[Path, str] = {}
    pending = [TestSuiteBuilder().build(*(str(path) for path in paths))]
    while pending:
        suite = pending.pop()
        if suite.source is not None and Path(suite.source).is_file():
            names[Path(suite.source).resolve()] = suite.full_name
        pending += list(suite.suites)
    return names


def affected_suites(changed: Iterable[Path], used: dict[Path, set[Path]]) -> list[Path] | None:
    """The suites a change touches; None when it cannot be told (re-run every critical test)."""
    affected: set[Path] = set()
    for path in (path.resolve() for path in changed):
        if path in used:
            affected.add(path)
            continue
        users = {suite for suite, files in used.items() if path in files}
        if not users:
            return None
        affected |= users
    return sorted(affected)


class Watcher:
    """Runs `robot --include critical` on the watched suites, then again on every change or interval."""

    def __init__(
        self,
        paths: Sequence[str],
        robot_args: Sequence[str],
        output_dir: Path,
        interval: float | None,
        history: str,
        out: Callable[[str], None] = print,
    ):
        self.paths = [Path(path) for path in paths]
        self.robot_args = list(robot_args)
        self.output_dir = output_dir
        self.interval = interval
        self.history = history
        self.out = out
        self.before: Verdicts | None = None
        self.child: subprocess.Popen[str] | None = None

    def run_once(self, what: str, suites: list[Path] | None) -> Verdicts:
        """One run of the critical tests: of the given suite files only, or of every watched suite.

        The same paths are always run (a subset is chosen with ``--suite``), so a test keeps its full name
        from one run to the next and its verdicts compare.
        """
        started = time.monotonic()
        selected: list[str] = []
        if suites:
            names = suite_names(self.paths)
            for suite in suites:
                selected += ["--suite", literal_test_pattern(names[suite])] if suite in names else []
        listener = f"Seamline.Metrics:history={self.history}"
        command = [sys.executable, "-m", "robot", "--include", "critical", "--outputdir", str(self.output_dir)]
        command += ["--console", "none", "--listener", listener, "--runemptysuite", *selected, *self.robot_args]
        command += [str(path) for path in self.paths]
        self.child = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        _, errors = self.child.communicate()
        self.child = None
        verdicts = self._verdicts()
        clock = datetime.now().strftime("%H:%M:%S")
        seconds = time.monotonic() - started
        if verdicts is None:
            self.out(f"{clock} {what}: robot could not run ({errors.strip()[-300:]}) in {seconds:.1f} s")
            return Verdicts()
        self.out(f"{clock} {what}: {len(verdicts.passed)} passed, {len(verdicts.failed)} failed in {seconds:.1f} s")
        for name, message in verdicts.regressions(self.before).items():
            self.out(f"REGRESSION: {name} passed before and now fails: {message}")
        for name in verdicts.recoveries(self.before):
            self.out(f"RECOVERED: {name} passes again")
        merged = Verdicts(
            set(self.before.passed) if self.before else set(), dict(self.before.failed) if self.before else {}
        )
        for name in verdicts.passed:
            merged.passed.add(name)
            merged.failed.pop(name, None)
        for name, message in verdicts.failed.items():
            merged.failed[name] = message
            merged.passed.discard(name)
        self.before = merged
        return verdicts

    def _verdicts(self) -> Verdicts | None:
        output = self.output_dir / "output.xml"
        if not output.exists():
            return None
        verdicts = Verdicts()
        for test in ExecutionResult(str(output), include_keywords=False).suite.all_tests:
            if test.passed:
                verdicts.passed.add(test.full_name)
            elif test.failed:
                verdicts.failed[test.full_name] = test.message
        return verdicts

    def watch(self) -> int:
        from watchfiles import watch

        used = uses(self.paths)
        stop = _StopOnSignal(self._stop_child)
        try:
            self.run_once("first run", None)
            for changes in watch(
                *self.paths,
                debounce=50,
                step=50,
                stop_event=stop.event,
                yield_on_timeout=True,
                rust_timeout=int((self.interval or 0) * 1000) or 5000,
                raise_interrupt=False,
                watch_filter=lambda _change, path: Path(path).suffix in USER_SUFFIXES,
            ):
                if stop.event.is_set():
                    break
                if not changes:
                    if self.interval:
                        self.run_once("interval", None)
                    continue
                changed = sorted({Path(path) for _change, path in changes})
                used = uses(self.paths)  # a change may add or remove imports
                names = ", ".join(path.name for path in changed[:3]) + (" ..." if len(changed) > 3 else "")
                self.run_once(f"changed {names}", affected_suites(changed, used))
        finally:
            stop.restore()
            self._stop_child()
        self.out("watch stopped")
        return 0

    def _stop_child(self) -> None:
        """Robot, and whatever it started, stops: its whole process group gets SIGTERM, then SIGKILL."""
        child = self.child
        if child is None or child.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(child.pid, sig)
                child.wait(timeout=wait)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue


class _StopOnSignal:
    """Ctrl-C or SIGTERM ends the watch loop cleanly (the running robot is stopped, nothing left behind)."""

    def __init__(self, stop_child: Callable[[], None]) -> None:
        self.event = threading.Event()
        self.stop_child = stop_child
        self.previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}

    def _stop(self, signum: int, frame: Any) -> None:
        self.event.set()
        threading.Thread(target=self.stop_child, daemon=True).start()  # not in the handler: it waits

    def restore(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
