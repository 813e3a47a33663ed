"""Attempts and verdicts: a test ends PASS, FLAKY (failed, then passed on a retry), FAIL or SKIP.

First-run pass rate counts a FLAKY test as a first-run failure: its first attempt failed. A quarantined
test (``quarantine:<date>`` tag) does not fail the run until that date; it is still counted and reported.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

PASS, FAIL, SKIP, FLAKY = "PASS", "FAIL", "SKIP", "FLAKY"
RETRY_TAG = re.compile(r"^retry:(\d+)$", re.IGNORECASE)
QUARANTINE_TAG = re.compile(r"^quarantine:(\d{4}-\d{2}-\d{2})$", re.IGNORECASE)


@dataclass
class Attempt:
    """One run of a test: its own status, message and timing."""

    status: str
    message: str
    start: str  # ISO 8601
    elapsed: float  # seconds


@dataclass
class TestRecord:
    """Every attempt of one test, and what they add up to."""

    __test__ = False  # not a pytest test class, whatever its name

    name: str  # the test's full name (suite path included), the same across attempts and runs
    tags: list[str] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    quarantined_until: str | None = None

    @property
    def verdict(self) -> str:
        if not self.attempts:
            return SKIP
        last = self.attempts[-1].status
        ran = [attempt.status for attempt in self.attempts if attempt.status != SKIP]
        if last == PASS and FAIL in ran:
            return FLAKY
        if last == SKIP and not ran:
            return SKIP
        return PASS if last == PASS else FAIL

    @property
    def first_run_passed(self) -> bool | None:
        """Whether the first attempt that ran passed; None for a test that never ran (skipped)."""
        for attempt in self.attempts:
            if attempt.status != SKIP:
                return attempt.status == PASS
        return None

    def quarantined_failure(self, on: date | None = None) -> bool:
        """Whether the test failed under a quarantine still active `on` that day (today by default)."""
        return self.verdict == FAIL and quarantine_active(self.quarantined_until, on)

    @property
    def elapsed(self) -> float:
        return sum(attempt.elapsed for attempt in self.attempts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tags": self.tags,
            "verdict": self.verdict,
            "first_run_passed": self.first_run_passed,
            "elapsed": round(self.elapsed, 6),
            "quarantined_until": self.quarantined_until,
            "attempts": [asdict(attempt) for attempt in self.attempts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestRecord:
        return cls(
            data["name"],
            list(data.get("tags", [])),
            [Attempt(**attempt) for attempt in data.get("attempts", [])],
            data.get("quarantined_until"),
        )


@dataclass
class RetryPolicy:
    """How often a failed test runs again: ``retry:N`` on the test, else the run's default.

    With an allow-list, only failures whose message matches one of its regular expressions are retried
    (a retry should cover a known flaky cause, not hide a real regression).
    """

    default: int = 0
    allow: list[re.Pattern[str]] = field(default_factory=list)

    @classmethod
    def parse(cls, retries: int | str = 0, allow: str | list[str] | None = None) -> RetryPolicy:
        patterns = [allow] if isinstance(allow, str) else list(allow or [])
        return cls(int(retries or 0), [re.compile(pattern) for pattern in patterns if pattern])

    def retries_for(self, tags: list[str]) -> int:
        for tag in tags:
            match = RETRY_TAG.match(tag)
            if match:
                return int(match.group(1))
        return self.default

    def allows(self, message: str) -> bool:
        return not self.allow or any(pattern.search(message) for pattern in self.allow)


def quarantine_date(tags: list[str], listed: dict[str, str], name: str) -> str | None:
    """The date a test is quarantined until: its ``quarantine:<date>`` tag or its line in a quarantine file."""
    for tag in tags:
        match = QUARANTINE_TAG.match(tag)
        if match:
            return match.group(1)
    return listed.get(name)


def quarantine_active(until: str | None, today: date | None = None) -> bool:
    return until is not None and date.fromisoformat(until) >= (today or date.today())


def read_quarantine_file(text: str) -> dict[str, str]:
    """Lines ``<date>  <test full name>`` (``#`` starts a comment) as {name: date}."""
    listed = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        until, _, name = line.partition(" ")
        try:
            date.fromisoformat(until)
        except ValueError:
            expected = "expected '<YYYY-MM-DD> <test full name>'"
            raise ValueError(f"quarantine file line {number}: {expected}, got {line!r}") from None
        listed[name.strip()] = until
    return listed
