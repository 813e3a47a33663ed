"""`seamline shard` and `seamline watch`: the parts that read Robot suites and run Robot.

shard: the tests of the suites (Robot's own suite builder) spread over N shards, balanced by the
durations a history or earlier output.xml files recorded; prints the `--test` arguments of one shard, or
(``--pabot``) a pabot ``--ordering`` file whose groups give each of N processes whole suites of about
the same past duration, so that each process runs its suites in one robot run (one suite setup).

watch: re-runs the tests tagged ``critical`` when a file under the watched paths changes (watchfiles), or
every ``--interval``. A changed suite file re-runs its own critical tests; a changed resource or library
re-runs the suites that use it (directly or through other resources); anything else re-runs them all.
One line per run; an alert when a test that passed now fails, and when it recovers. Each run's robot
process is started while watch waits for the change it will run for (Python, Robot and Seamline imported:
most of a robot start), and given its arguments when the change comes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from robot.api import ExecutionResult, TestSuiteBuilder, get_model, get_resource_model

from .engine.metrics.history import History
from .engine.runs import Verdicts, balance, literal_test_pattern

SUITE_SUFFIXES = {".robot"}
USER_SUFFIXES = {".resource", ".py", ".robot"}
TICK_MS = 200


# Shards
@dataclass(frozen=True)
class Selection:
    """The tests ``robot [--name NAME] [--include TAG]... [--exclude TAG]... paths`` would run."""

    paths: Sequence[str]
    name: str | None = None
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()

    def tests(self) -> list[str]:
        """Their full names, in the suites' order (Robot's own suite builder and tag filter)."""
        suite = TestSuiteBuilder().build(*self.paths)
        if self.name:
            suite.name = self.name
        if self.include or self.exclude:
            suite.filter(included_tags=self.include or None, excluded_tags=self.exclude or None)
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
    return _means(seen)


def shard_arguments(selection: Selection, index: int, total: int, sources: Sequence[str]) -> str:
    if not 1 <= index <= total:
        raise SystemExit(f"seamline: --index must be between 1 and --total ({total}), got {index}")
    tests = selection.tests()
    durations = recorded_durations(sources) if sources else {}
    shard = balance(tests, total, durations)[index - 1]
    by = "past durations" if durations else "count"
    lines = [f"# shard {index} of {total}: {len(shard.tests)} of {len(tests)} tests, balanced by {by}"]
    if durations:
        lines[0] += f" (~{shard.seconds:.1f} s)"
    lines += [f"--test {literal_test_pattern(test)}" for test in shard.tests]
    return "\n".join(lines)


def pabot_ordering(selection: Selection, total: int, sources: Sequence[str]) -> tuple[str, str]:
    """A pabot ``--ordering`` file (one group of whole suites per process) and a line saying how it balanced them."""
    tests = selection.tests()
    suites = list(dict.fromkeys(suite_of(test) for test in tests))
    recorded, setups = recorded_suite_durations(sources) if sources else ({}, {})
    per_suite = {suite: seconds for suite, seconds in recorded.items() if suite in suites}
    shared = {suite: {parent: setups[parent] for parent in parents(suite) if parent in setups} for suite in suites}
    shards = [shard for shard in balance(suites, total, per_suite, shared) if shard.tests]
    lines = [line for shard in shards for line in ("{", *(f"--suite {suite}" for suite in shard.tests), "}")]
    summary = f"{len(suites)} suites in {len(shards)} groups, balanced by "
    summary += ("past durations: " + ", ".join(f"~{shard.seconds:.1f} s" for shard in shards)) if per_suite else "count"
    return "\n".join(lines), summary


def suite_of(test: str) -> str:
    return test.rpartition(".")[0]


def parents(suite: str) -> list[str]:
    """The directory suites above `suite`, outermost first."""
    names = suite.split(".")[:-1]
    return [".".join(names[: depth + 1]) for depth in range(len(names))]


def recorded_suite_durations(sources: Iterable[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean seconds per suite file: its whole run in output.xml (setup and teardown included), else the sum of
    its tests' mean seconds in a history; and per directory suite, from output.xml, its own time (its setup and
    teardown, around its suites): what a pabot group pays once if it runs any suite under it."""
    files: dict[str, list[float]] = {}
    directories: dict[str, list[float]] = {}
    for source in (source for source in sources if source.endswith(".xml")):
        pending = [ExecutionResult(source, include_keywords=False).suite]
        while pending:
            suite = pending.pop()
            pending += list(suite.suites)
            seconds = suite.elapsed_time.total_seconds()
            if suite.tests:
                files.setdefault(suite.full_name, []).append(seconds)
            elif suite.suites:
                inner = sum(child.elapsed_time.total_seconds() for child in suite.suites)
                directories.setdefault(suite.full_name, []).append(max(seconds - inner, 0.0))
    summed: dict[str, float] = {}
    for test, seconds in recorded_durations([source for source in sources if not source.endswith(".xml")]).items():
        summed[suite_of(test)] = summed.get(suite_of(test), 0.0) + seconds
    for suite, seconds in summed.items():
        files.setdefault(suite, []).append(seconds)
    return _means(files), _means(directories)


def _means(seen: dict[str, list[float]]) -> dict[str, float]:
    return {name: sum(values) / len(values) for name, values in seen.items()}


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


# A robot process that imports what every run needs, then waits for its command line on stdin.
WARM_ROBOT = """
import json, sys
import robot
try:
    import Seamline, Seamline.metrics
except ImportError:
    pass
arguments = json.loads(sys.stdin.readline() or "null")
sys.exit(0 if arguments is None else robot.run_cli(arguments, exit=False))
"""


class WarmRobot:
    """The robot process of the next run, started ahead of it (in a process group of its own)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None

    def prepare(self) -> None:
        if self.process is None:
            self.process = subprocess.Popen(
                [sys.executable, "-c", WARM_ROBOT],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )

    def take(self, fresh: bool) -> subprocess.Popen[str]:
        """The prepared process (a new one when `fresh`: a changed Python file may be one it imported)."""
        if fresh or (self.process is not None and self.process.poll() is not None):
            self.discard()
        self.prepare()
        process, self.process = self.process, None
        assert process is not None
        return process

    def discard(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process_group(process)


def stop_process_group(process: subprocess.Popen[str]) -> None:
    """A process, and whatever it started, stops: its whole process group gets SIGTERM, then SIGKILL."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


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
        self.warm = WarmRobot()

    def run_once(self, what: str, suites: list[Path] | None, fresh: bool = False) -> Verdicts:
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
        arguments = ["--include", "critical", "--outputdir", str(self.output_dir), "--console", "none"]
        arguments += ["--listener", listener, "--runemptysuite", *selected, *self.robot_args]
        arguments += [str(path) for path in self.paths]
        self.child = self.warm.take(fresh)
        _, errors = self.child.communicate(json.dumps(arguments) + "\n")
        self.child = None
        self.warm.prepare()  # the next run's process imports while this run's verdict is read and printed
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
        try:
            from watchfiles import watch
        except ImportError:
            raise SystemExit(
                "seamline watch needs watchfiles: pip install 'robotframework-seamline[metrics]'"
            ) from None
        stop = _StopOnSignal(self._stop_run)
        first, due = True, None
        try:
            # The watcher yields (nothing) every TICK_MS once it watches: the first run starts then, so a change
            # made during it is not missed, and the interval is kept without a second clock.
            for changes in watch(
                *self.paths,
                debounce=50,
                step=50,
                stop_event=stop.event,
                yield_on_timeout=True,
                rust_timeout=TICK_MS,
                raise_interrupt=False,
                watch_filter=lambda _change, path: Path(path).suffix in USER_SUFFIXES,
            ):
                if stop.event.is_set():
                    break
                if first:
                    first = False
                    self.run_once("first run", None)
                elif changes:
                    changed = sorted({Path(path) for _change, path in changes})
                    names = ", ".join(path.name for path in changed[:3]) + (" ..." if len(changed) > 3 else "")
                    fresh = any(path.suffix == ".py" for path in changed)
                    self.run_once(f"changed {names}", affected_suites(changed, uses(self.paths)), fresh)
                elif due is not None and time.monotonic() >= due:
                    self.run_once("interval", None)
                else:
                    continue
                due = time.monotonic() + self.interval if self.interval else None
        finally:
            stop.restore()
            self._stop_child()
        self.out("watch stopped")
        return 0

    def _stop_run(self) -> None:
        """The running robot stops, with whatever it started (from the signal's thread: the loop waits on it)."""
        child = self.child
        if child is not None:
            stop_process_group(child)

    def _stop_child(self) -> None:
        """The running robot and the prepared one stop, before watch returns (not in a thread it could outlive)."""
        self._stop_run()
        self.warm.discard()


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
