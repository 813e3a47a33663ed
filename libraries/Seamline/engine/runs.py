"""Splitting a run into shards and telling what changed between two watched runs.

Shards are balanced by past durations when they are known (longest test first, each to the shard it
leaves with the least time), by count otherwise; a test whose duration is unknown counts as the median of
the known ones. A cost that a shard pays once whichever of its items bring it (a parent suite's setup and
teardown) is counted once per shard that has it. Every test lands in exactly one shard.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Shard:
    index: int
    tests: list[str] = field(default_factory=list)
    seconds: float = 0.0
    paid: set[str] = field(default_factory=set)  # the shared costs counted in `seconds`

    def load_with(self, seconds: float, shared: Mapping[str, float]) -> float:
        """This shard's time once an item of `seconds`, bringing the `shared` costs, is added."""
        return self.seconds + seconds + sum(cost for name, cost in shared.items() if name not in self.paid)


def balance(
    tests: Sequence[str],
    total: int,
    durations: Mapping[str, float] | None = None,
    shared: Mapping[str, Mapping[str, float]] | None = None,
) -> list[Shard]:
    """`tests` spread over `total` shards; by `durations` (seconds by test name) when any is known, with the
    costs `shared` gives a name (seconds by what pays them) counted once in each shard they come to."""
    if total < 1:
        raise ValueError(f"--total must be 1 or more, got {total}")
    shards = [Shard(index) for index in range(1, total + 1)]
    known = {name: seconds for name, seconds in (durations or {}).items() if name in set(tests)}
    if not known:
        for position, name in enumerate(tests):
            shards[position % total].tests.append(name)
        return shards
    typical = statistics.median(known.values())
    weighted = sorted(tests, key=lambda name: (-known.get(name, typical), name))
    for name in weighted:
        seconds, costs = known.get(name, typical), (shared or {}).get(name, {})
        # Equal loads: the shard that already pays the shared costs (less work in all), then the first.
        lightest = min(shards, key=lambda shard: (shard.load_with(seconds, costs), -shard.seconds, shard.index))
        lightest.seconds = lightest.load_with(seconds, costs)
        lightest.paid.update(costs)
        lightest.tests.append(name)
    order = {name: position for position, name in enumerate(tests)}
    for shard in shards:
        shard.tests.sort(key=order.__getitem__)  # each shard runs its tests in the suites' own order
    return shards


def literal_test_pattern(name: str) -> str:
    """A test's full name as a `--test` value matching only it: Robot reads ``*``, ``?`` and ``[`` as a glob."""
    return "".join(f"[{char}]" if char in "*?[" else char for char in name)


@dataclass
class Verdicts:
    """What one watched run said about each test, compared with the run before."""

    passed: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)  # name -> message

    def regressions(self, before: Verdicts | None) -> dict[str, str]:
        """Tests that passed in the run before and fail now."""
        return {name: message for name, message in self.failed.items() if before and name in before.passed}

    def recoveries(self, before: Verdicts | None) -> list[str]:
        """Tests that failed in the run before and pass now."""
        return sorted(name for name in self.passed if before and name in before.failed)
