"""The metrics listener: ``robot --listener Seamline.Metrics`` (or registered by the library).

It writes ``metrics.json`` (tests by verdict, first-run pass %, hop and inter-service latency, detection
times, resources per service, durations, the commit) and ``seamline-xunit.xml`` into the output directory,
retries failed tests when asked, honours quarantines and appends the run to the history database.

Arguments (``--listener Seamline.Metrics:retry=2:history=results/history.db``):
``retry`` the retries of a failed test (a ``retry:N`` tag overrides it), ``retry_on`` a regular expression
(``;``-separated for several) a failure message must match to be retried, ``history`` the history file or
SQL URL (``NONE`` to keep none), ``quarantine`` a file of ``<date> <test full name>`` lines, ``xunit`` the
xunit file name (``NONE`` for none).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import uuid
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from .engine.metrics import collector
from .engine.metrics.attempts import (
    FAIL,
    PASS,
    Attempt,
    RetryPolicy,
    TestRecord,
    quarantine_active,
    quarantine_date,
    read_quarantine_file,
)
from .engine.metrics.history import History
from .engine.metrics.run import RunMetrics, merge
from .engine.metrics.xunit import write_xunit

METRICS_FILE = "metrics.json"


class Metrics:
    """Robot's listener API v3: verdicts, retries, quarantine, metrics.json, xunit and history."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(
        self,
        retry: int | str = 0,
        retry_on: str = "",
        history: str | None = None,
        quarantine: str = "",
        xunit: str = "seamline-xunit.xml",
        registered_by_library: bool = False,
    ):
        self.policy = RetryPolicy.parse(retry, [part for part in retry_on.split(";") if part])
        # The library's own instance keeps no history unless asked: a run adds to a history where one is kept.
        history = history or ("NONE" if registered_by_library else "results/history.db")
        self.history = None if history.upper() == "NONE" else history
        self.quarantined = read_quarantine_file(Path(quarantine).read_text(encoding="utf-8")) if quarantine else {}
        self.xunit = None if xunit.upper() == "NONE" else xunit
        self.by_library = registered_by_library
        if registered_by_library:
            self.owner = collector.claim_library_metrics(self)
        else:
            collector.GLOBAL_METRICS_ACTIVE = True
            self.owner = True
        self.metrics = RunMetrics(run={"started": _now(), "run_key": uuid.uuid4().hex})
        # A retry's full name -> the original test's full name, its own name, and this attempt's number.
        self.retries_of: dict[str, tuple[str, str, int]] = {}
        self.output_dir: Path | None = None
        self.pabot = False

    @property
    def active(self) -> bool:
        """The library's own instance stands down when a global `--listener Seamline.Metrics` runs."""
        return self.owner and not (self.by_library and collector.GLOBAL_METRICS_ACTIVE)

    def start_suite(self, data: Any, result: Any) -> None:
        if not self.active or self.output_dir is not None:
            return
        try:
            variables = BuiltIn()
            self.output_dir = Path(variables.get_variable_value("${OUTPUT DIR}"))
            caller = variables.get_variable_value("${CALLER_ID}")
            log_file = variables.get_variable_value("${LOG FILE}")
        except RobotNotRunningError:
            return
        if caller:  # a pabot process: its parts share one key, pabot's own process (our parent) and directory
            self.pabot = True
            top = self.output_dir.parent.parent
            self.metrics.run["run_key"] = f"pabot-{os.getppid()}-{zlib.crc32(str(top.resolve()).encode()):08x}"
        if log_file and log_file != "NONE":
            self.metrics.run["log"] = str(log_file)

    def end_suite(self, data: Any, result: Any) -> None:
        if self.active:
            self.metrics.suites.append(
                {"name": result.full_name, "status": result.status, "elapsed": result.elapsed_time.total_seconds()}
            )

    def end_test(self, data: Any, result: Any) -> None:
        if not self.active:
            return
        original, name, number = self.retries_of.pop(result.full_name, (result.full_name, result.name, 1))
        tags = [str(tag) for tag in data.tags]
        until = quarantine_date(tags, self.quarantined, original)
        record = TestRecord(original, tags, [self._attempt(result)], until)
        self.metrics.add_attempt(record)
        if result.status == FAIL and number <= self.policy.retries_for(tags) and self.policy.allows(result.message):
            self._retry(data, result, original, name, number)
            return
        known = self.metrics.tests[original]
        if known.verdict == "FLAKY":
            failures = sum(1 for attempt in known.attempts if attempt.status == FAIL)
            result.message = f"FLAKY: passed on attempt {number} after {failures} failed. " + result.message
        if result.status == FAIL and until:
            if quarantine_active(until):
                result.message = f"Quarantined until {until} (does not fail the run): {result.message}"
                result.status = "SKIP"
            else:
                result.message = f"Quarantine ended {until}. {result.message}"

    def _retry(self, data: Any, result: Any, original: str, name: str, number: int) -> None:
        """Run the test again right after this attempt; this attempt stays in the log as a SKIP."""
        again = data.deepcopy()
        again.name = f"{name} (retry {number})"
        data.parent.tests.insert(data.parent.tests.index(data) + 1, again)
        self.retries_of[f"{result.parent.full_name}.{again.name}"] = (original, name, number + 1)
        result.message = f"Attempt {number} failed, retrying: {result.message}"
        result.status = "SKIP"

    @staticmethod
    def _attempt(result: Any) -> Attempt:
        # The status before this listener changes it: a retried or quarantined failure is still a failure.
        return Attempt(
            result.status, result.message, result.start_time.isoformat(), result.elapsed_time.total_seconds()
        )

    def close(self) -> None:
        if not self.active or self.output_dir is None:
            return
        self.metrics.run["ended"] = _now()
        self.metrics.run["commit"] = _commit()  # read once, by the listener that writes (not each one at start)
        for ctx in collector.contexts():
            collector.add_context_figures(self.metrics, ctx)
        if self.pabot:
            self._write_pabot_part()
        else:
            self._write(self.output_dir, self.metrics)

    def _write(self, directory: Path, metrics: RunMetrics) -> None:
        path = directory / METRICS_FILE
        path.write_text(json.dumps(metrics.to_dict(), indent=1, default=str), encoding="utf-8")
        if self.xunit:
            write_xunit(metrics, directory / self.xunit)
        if self.history:
            try:
                history = History(self.history)
                history.append(metrics)
                history.close()
            except Exception as error:  # a history that cannot be written must not fail the run
                logger.console(f"Seamline: the run was not added to history {self.history}: {error}")

    def _write_pabot_part(self) -> None:
        """Each pabot process writes its part; the parts so far are merged into the run's one metrics.json."""
        assert self.output_dir is not None
        top = self.output_dir.parent.parent  # pabot runs each process in <outputdir>/pabot_results/<n>
        parts = top / "metrics.d"
        parts.mkdir(exist_ok=True)
        (parts / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.json").write_text(
            json.dumps(self.metrics.to_dict(), default=str), encoding="utf-8"
        )
        with open(parts / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            merged = merge(
                RunMetrics.from_dict(json.loads(part.read_text(encoding="utf-8")))
                for part in sorted(parts.glob("*.json"))
            )
            self._write(top, merged)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _commit() -> str | None:
    """The commit under test: CI's variable, else the git checkout's HEAD."""
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT", "BUILD_VCS_NUMBER"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


__all__ = ["PASS", "Metrics"]
