"""What a run of generated inputs found: each distinct problem once, with a reproducer and the seed."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..masking import MASK, Masker
from ..values import cut

# Headers every HTTP client adds; a reproducer is easier to read without them.
_CLIENT_HEADERS = frozenset(
    {"user-agent", "accept-encoding", "accept", "connection", "content-length", "traceparent", "tracestate"}
)


@dataclass
class Problem:
    """One distinct problem: the check it broke, on which operation, and the first request that showed it."""

    check: str
    operation: str
    status: int | None
    title: str
    detail: str
    curl: str
    times: int = 1

    def describe(self, limit: int = 300, curl_limit: int | None = None) -> str:
        seen = f"{self.status}" if self.status is not None else "no response"
        repeated = f" ({self.times} requests)" if self.times > 1 else ""
        detail = f": {cut(self.detail, limit)}" if self.detail else ""
        curl = cut(self.curl, curl_limit) if curl_limit else self.curl
        return f"{self.operation} [{self.check}] {self.title}, got {seen}{repeated}{detail}\n    {curl}"


@dataclass
class Findings:
    """Problems deduplicated by check, operation and status (or the failure's own signature)."""

    seed: int
    problems: dict[tuple[str, str, str], Problem] = field(default_factory=dict)
    sent: int = 0
    skipped: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)
    stopped: str = ""
    notes: list[str] = field(default_factory=list)
    sequence_requests: int = 0

    def add(self, problem: Problem, signature: str = "") -> None:
        key = (problem.check, problem.operation, signature or str(problem.status))
        if key in self.problems:
            self.problems[key].times += 1
        else:
            self.problems[key] = problem

    def count(self, operation: str) -> None:
        self.sent += 1
        self.by_operation[operation] = self.by_operation.get(operation, 0) + 1

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        operations = ", ".join(f"{name}: {count}" for name, count in self.by_operation.items())
        stopped = f"; stopped early: {self.stopped}" if self.stopped else ""
        linked = f", {self.sequence_requests} of them in linked sequences" if self.sequence_requests else ""
        return f"{self.sent} requests ({operations}){linked}{stopped}"

    def report(self, limit: int = 300, most: int | None = None, curl_limit: int | None = None) -> str:
        """Each problem and its reproducer (the first `most` of them), and the seed that replays the run."""
        found = sorted(self.problems.values(), key=lambda problem: (problem.operation, problem.check))
        lines = [problem.describe(limit, curl_limit) for problem in found[:most]]
        if most is not None and len(found) > most:
            lines.append(f"... and {len(found) - most} more (all of them in the log)")
        return (
            f"{len(found)} distinct problem(s) in {self.summary()}; seed={self.seed} sends the same requests again:\n"
            + "\n".join(lines)
        )


def curl_command(method: str, url: str, headers: Mapping[str, Any], body: Any, masker: Masker) -> str:
    """A curl line that sends this request again, credentials masked."""
    parts, credentials = ["curl", "-X", method.upper()], []
    for name, value in masker.headers(headers).items():
        if masker.is_secret_name(name):
            credentials.append(f"-H {name}:{MASK}")
        elif name.lower() not in _CLIENT_HEADERS:
            parts += ["-H", f"{name}: {value}"]
    if body:
        text = body.decode("utf-8", "backslashreplace") if isinstance(body, bytes) else str(body)
        parts += ["--data-binary", masker.text(text)]
    parts.append(masker.url(url))
    # Credentials last and unquoted: the masker hides a credential header's value to the end of its line.
    return " ".join([*(_quote(part) for part in parts), *credentials[:1]])


def _quote(part: str) -> str:
    """Shell quoting; control characters as $'\\x..' so the line stays one readable line."""
    if part.isprintable():
        return shlex.quote(part)
    escaped = "".join(char if char.isprintable() and char not in "\\'" else _escape(char) for char in part)
    return f"$'{escaped}'"


def _escape(char: str) -> str:
    if char in "\\'":
        return "\\" + char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
