"""The diff of two data sets: rows matched by key, their fields compared by the one comparison rule.

Both sides are read in step, a batch of each at a time (a symmetric hash join): a row waits in
memory only until its partner arrives from the other side. Two sources in the same order (whatever
that order is: no collation has to agree) keep about a batch of rows waiting; sources in different
orders degrade to a hash join of the rows still unmatched. A waiting row keeps only its compared
values. Every row is accounted for exactly once: each left row is matched, mismatched, missing on
the right or a duplicate; each right row likewise.

Rows of one key pair up in the order they arrive. An extra row of a key is a duplicate when that key
also paired (or has another extra row on its side), else it is missing on the other side. Which keys
paired is kept as one 64-bit hash each (`PairedKeys`, 8 bytes a row: 80 MB at ten million rows):
counts are always exact, and an extra row is called a duplicate in error only when its key's hash
collides with a paired key's.

A batch is paired in whole columns (`batches`: map, zip and itemgetter, no Python frame per row);
only the pairs the shortcut cannot vouch for are compared field by field by the rule.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..arrowed import ArrowColumn
from ..values import values_equal
from .batches import ABSENT, Batch, Block, Blocks, Key, SideReader, surely_equal
from .options import Options

MISSING = "(no such field)"
STEP = 16384  # rows read from one side before the other side's turn


@dataclass
class Mismatch:
    key: dict[str, Any]
    field: str
    left: Any
    right: Any

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "field": self.field, "left": self.left, "right": self.right}


@dataclass
class Result:
    """Counts are exact; lists keep the first `samples` of each kind (keys as ``{field: value}``)."""

    name: str
    key: list[str]
    fields: list[str]
    left_rows: int = 0
    right_rows: int = 0
    matched: int = 0
    mismatched_rows: int = 0
    missing_left: list[dict[str, Any]] = field(default_factory=list)  # keys only the right side has
    missing_right: list[dict[str, Any]] = field(default_factory=list)  # keys only the left side has
    duplicates_left: list[dict[str, Any]] = field(default_factory=list)
    duplicates_right: list[dict[str, Any]] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    samples: int = 1000

    @property
    def consistent(self) -> bool:
        return self.matched == self.left_rows == self.right_rows

    def keep(self, kind: str, item: Any) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        found: list[Any] = getattr(self, kind)
        if len(found) < self.samples:
            found.append(item)

    def absorb(self, other: Result) -> None:
        """Adds `other`, the diff of other keys (its counts, and its samples while there is room)."""
        self.left_rows += other.left_rows
        self.right_rows += other.right_rows
        self.matched += other.matched
        self.mismatched_rows += other.mismatched_rows
        for kind, number in other.counts.items():
            self.counts[kind] = self.counts.get(kind, 0) + number
            found: list[Any] = getattr(self, kind)
            found += getattr(other, kind)[: max(self.samples - len(found), 0)]

    def count(self, kind: str) -> int:
        return self.counts.get(kind, 0)

    def summary(self) -> str:
        text = (
            f"{self.name}: {self.left_rows} left rows, {self.right_rows} right rows by {', '.join(self.key)}: "
            f"{self.matched} matched"
        )
        parts = [
            (self.mismatched_rows, "with different fields"),
            (self.count("missing_right"), "missing on the right"),
            (self.count("missing_left"), "missing on the left"),
            (self.count("duplicates_left"), "duplicated on the left"),
            (self.count("duplicates_right"), "duplicated on the right"),
        ]
        return text + "".join(f", {number} {what}" for number, what in parts if number)

    def differences(self) -> list[dict[str, Any]]:
        """Every kept difference as one flat row: kind, the key's fields, field, left, right."""
        rows: list[dict[str, Any]] = []
        for kind, label in (
            ("missing_right", "missing on the right"),
            ("missing_left", "missing on the left"),
            ("duplicates_left", "duplicated on the left"),
            ("duplicates_right", "duplicated on the right"),
        ):
            rows += [{"difference": label, **key} for key in getattr(self, kind)]
        rows += [
            {"difference": "different", **m.key, "field": m.field, "left": m.left, "right": m.right}
            for m in self.mismatches
        ]
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "consistent": self.consistent,
            "key": list(self.key),
            "fields": list(self.fields),
            "left_rows": self.left_rows,
            "right_rows": self.right_rows,
            "matched": self.matched,
            "mismatched_rows": self.mismatched_rows,
            "missing_left": list(self.missing_left),
            "missing_right": list(self.missing_right),
            "duplicates_left": list(self.duplicates_left),
            "duplicates_right": list(self.duplicates_right),
            "mismatches": [m.to_dict() for m in self.mismatches],
            "counts": {
                "missing_left": self.count("missing_left"),
                "missing_right": self.count("missing_right"),
                "duplicates_left": self.count("duplicates_left"),
                "duplicates_right": self.count("duplicates_right"),
                "mismatches": self.count("mismatches"),
            },
            "summary": self.summary(),
        }


class PairedKeys:
    """A 64-bit fingerprint of each key that paired (8 bytes a key): no false "not paired"; a false
    "paired" only when two keys' fingerprints collide. An int key's fingerprint is the key itself, any
    other key's a hash; a batch of int keys that is a run of consecutive ints (ids, mostly) is kept as
    its first and last key, taken at C speed: ten million such keys take a few bytes, not 80 MB."""

    def __init__(self) -> None:
        self._hashes = array("q")
        self._runs: list[list[int]] = []  # [first, last] of runs of consecutive int keys

    def add(self, key: Key) -> None:
        self._hashes.append(_fingerprint(key))

    def add_all(self, keys: Sequence[Key]) -> None:
        """`keys`: distinct ones."""
        if isinstance(keys, ArrowColumn):
            bounds = keys.distinct_ints()
            if bounds is not None and bounds[1] - bounds[0] == len(keys) - 1:
                self._add_run(*bounds)
                return
        try:
            found = array("q", keys)  # every key an int of 64 bits (or a bool: as its int)
        except (TypeError, OverflowError):
            self._hashes.extend(map(_fingerprint, keys))
            return
        if not found:
            return
        low, high = min(found), max(found)
        if high - low != len(found) - 1:  # not every int from low to high
            self._hashes.extend(found)
        else:
            self._add_run(low, high)

    def _add_run(self, low: int, high: int) -> None:
        if self._runs and self._runs[-1][1] + 1 == low:
            self._runs[-1][1] = high
        else:
            self._runs.append([low, high])

    def among(self, keys: Iterable[Key]) -> set[Key]:
        """Those of `keys` that paired (one pass over the fingerprints kept)."""
        by_fingerprint: dict[int, list[Key]] = {}
        for key in keys:
            by_fingerprint.setdefault(_fingerprint(key), []).append(key)
        if not by_fingerprint:
            return set()
        found = set(by_fingerprint).intersection(self._hashes)  # the array read once, not copied
        runs = sorted(self._runs)
        firsts = [first for first, _ in runs]
        reach = list(itertools.accumulate((last for _, last in runs), max))  # the furthest run so far
        for fingerprint in by_fingerprint.keys() - found:
            at = bisect.bisect_right(firsts, fingerprint) - 1  # of the runs that start at or before it
            if at >= 0 and fingerprint <= reach[at]:
                found.add(fingerprint)
        return {key for fingerprint in found for key in by_fingerprint[fingerprint]}


def _fingerprint(key: Key) -> int:
    """An int key of 64 bits itself; any other key the hash of a tuple of it (not its own hash: hash("")
    is 0, and a long int's hash is a small int)."""
    return key if type(key) is int and -(2**63) <= key < 2**63 else hash((key,))


Data = Iterable[Mapping[str, Any]] | Blocks  # rows as mappings, or blocks of rows


def reconcile(left: Data, right: Data, options: Options) -> Result:
    """The diff of `left` and `right` (read once, in step)."""
    left_blocks, right_blocks = _blocks(left, options), _blocks(right, options)
    left_first, right_first = next(left_blocks, None), next(right_blocks, None)
    fields = options.compared(left_first and left_first.first(), right_first and right_first.first())
    result = Result(options.name, list(options.key), fields, samples=options.samples)
    with _collector_paused():
        _Merge(options, result).run((_again(left_first, left_blocks), _again(right_first, right_blocks)))
    return result


def _blocks(data: Data, options: Options) -> Iterator[Block]:
    """The rows of `data` in blocks of STEP rows (fewer where its header changes, and at its end)."""
    if isinstance(data, Blocks):
        blocks: Iterator[Block] = iter(data)
    elif isinstance(data, list):  # slices of a list: no look at each row
        blocks = (Block(None, data[start : start + STEP]) for start in range(0, len(data), STEP))
    else:
        rows = iter(data)
        blocks = (Block(None, chunk) for chunk in iter(lambda: list(itertools.islice(rows, STEP)), []))
    if options.only:
        blocks = (Block(None, list(filter(options.keeps, block.mappings()))) for block in blocks)
    return _rebatched(blocks, STEP)


def _rebatched(blocks: Iterator[Block], size: int) -> Iterator[Block]:
    names: Sequence[str] | None = None
    pending: list[Any] = []
    for block in blocks:
        if pending and block.names != names:
            yield Block(names, pending)
            pending = []
        names = block.names
        if not pending and len(block) == size:
            yield block
            continue
        pending += block.tuples()
        while len(pending) >= size:
            yield Block(names, pending[:size])
            del pending[:size]
    if pending:
        yield Block(names, pending)


def _again(first: Block | None, rest: Iterator[Block]) -> Iterator[Block]:
    return itertools.chain(() if first is None else (first,), rest)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while diffing: the diff makes millions of tuples and no cycle,
    and each full collection would walk all the caller's rows again (3x the time of the diff at 1M rows)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Merge:
    """Both sides read in step, a batch of each in turn; a row waits only until its partner arrives.

    The i-th row of a key on the left pairs with the i-th row of that key on the right, whatever the
    order rows arrive in, so a batch is free to pair its rows at once: the keys that are unique in
    both batches and not waiting from an earlier batch pair in whole columns (`surely_equal`); the
    other rows arrive one by one (`_arrive`)."""

    def __init__(self, options: Options, result: Result):
        self.result = result
        self.sides = (SideReader(options, result.fields), SideReader(options, result.fields))
        self.tolerances = [options.tolerance.get(name) for name in result.fields]
        # waiting[side][key] = [(raw key, values), ...]: rows of `side` whose partner has not arrived yet.
        self.waiting: tuple[dict[Key, list], dict[Key, list]] = ({}, {})
        self.paired = PairedKeys()  # an extra row of a key that paired is a duplicate

    def run(self, streams: tuple[Iterator[Block], Iterator[Block]]) -> None:
        counts = [0, 0]
        ended = [False, False]
        empty = Block(None, [])
        while True:
            blocks = [empty, empty]
            for side in (0, 1):
                if not ended[side]:
                    block = next(streams[side], None)
                    ended[side] = block is None
                    blocks[side] = block or empty
            if all(ended):
                break
            counts[0] += len(blocks[0])
            counts[1] += len(blocks[1])
            self._pair(self.sides[0].batch(blocks[0]), self.sides[1].batch(blocks[1]))
        self.result.left_rows, self.result.right_rows = counts
        self._finish()

    def _pair(self, left: Batch, right: Batch) -> None:
        if left.keys == right.keys and self._aligned(left.keys):
            self.paired.add_all(left.keys)
            self._compare_pairs(left, None, right, None)
            return
        left_index, right_index = dict(zip(left.keys, itertools.count())), dict(zip(right.keys, itertools.count()))
        if len(left_index) < len(left.keys) or len(right_index) < len(right.keys):  # a key twice in one batch
            self._arrive_all(0, left, range(len(left.keys)))
            self._arrive_all(1, right, range(len(right.keys)))
            return
        waited = set()
        for index in (left_index, right_index):
            for waiting in self.waiting:
                if waiting:
                    waited |= index.keys() & waiting.keys()
        both = list(filter(right_index.__contains__, left.keys))
        if waited:  # rows of keys already waiting arrive one by one, after those before them
            self._arrive_all(0, left, itertools.compress(itertools.count(), map(waited.__contains__, left.keys)))
            self._arrive_all(1, right, itertools.compress(itertools.count(), map(waited.__contains__, right.keys)))
            both = list(itertools.filterfalse(waited.__contains__, both))
        self.paired.add_all(both)
        self._compare_pairs(
            left, list(map(left_index.__getitem__, both)), right, list(map(right_index.__getitem__, both))
        )
        for side, batch, index, other in ((0, left, left_index, right_index), (1, right, right_index, left_index)):
            waiting = self.waiting[side]
            for key in itertools.filterfalse(other.__contains__, batch.keys):
                if key not in waited:
                    waiting[key] = [(batch.raw_key(index[key]), batch.value(index[key]))]

    def _aligned(self, keys: Sequence[Key]) -> bool:
        """Whether batches of these same keys pair row for row: no key twice, none waiting."""
        if isinstance(keys, ArrowColumn) and not any(self.waiting):  # ints pyarrow holds: counted there
            return keys.distinct_ints() is not None
        distinct = set(keys)
        return len(distinct) == len(keys) and all(distinct.isdisjoint(waiting) for waiting in self.waiting)

    def _compare_pairs(
        self, left: Batch, mine: Sequence[int] | None, right: Batch, theirs: Sequence[int] | None
    ) -> None:
        """The rows at `mine` in `left` against those at `theirs` in `right` (None: every row, in
        order), pair by pair."""
        equal = surely_equal(left, mine, right, theirs)
        mine = range(len(left.keys)) if mine is None else mine
        theirs = range(len(right.keys)) if theirs is None else theirs
        result = self.result
        if equal is None:
            for left_row, right_row in zip(mine, theirs, strict=True):
                self._compare_one(left.raw_key(left_row), left.value(left_row), right.value(right_row))
            return
        result.matched += sum(equal)
        for index in _unvouched(equal):
            left_row, right_row = mine[index], theirs[index]
            _compare(
                left.raw_key(left_row),
                left.value(left_row),
                right.value(right_row),
                result.fields,
                self.tolerances,
                result,
            )

    def _compare_one(self, raw_key: tuple, left: tuple, right: tuple) -> None:
        if left == right and tuple(map(type, left)) == tuple(map(type, right)):
            self.result.matched += 1  # the same values of the same types: equal by the one rule, field by field
        else:
            _compare(raw_key, left, right, self.result.fields, self.tolerances, self.result)

    def _arrive_all(self, side: int, batch: Batch, indexes: Iterable[int]) -> None:
        for index in indexes:
            self._arrive(side, batch.keys[index], batch.raw_key(index), batch.value(index))

    def _arrive(self, side: int, key: Key, raw_key: tuple, values: tuple) -> None:
        """One row: paired with the first row of its key waiting on the other side, or left waiting."""
        mine, theirs = self.waiting[side], self.waiting[1 - side]
        others = theirs.get(key)
        if others is None:
            mine.setdefault(key, []).append((raw_key, values))
            return
        other_raw, other_values = others.pop(0)
        if not others:
            del theirs[key]
        self.paired.add(key)
        if side == 0:
            self._compare_one(raw_key, values, other_values)
        else:
            self._compare_one(other_raw, other_values, values)

    def _finish(self) -> None:
        """The rows still waiting: missing on the other side, or duplicates."""
        result = self.result
        paired = self.paired.among(itertools.chain(*self.waiting))
        for side, (missing, duplicates) in enumerate(
            (("missing_right", "duplicates_left"), ("missing_left", "duplicates_right"))
        ):
            for key, extras in self.waiting[side].items():
                first_is_duplicate = key in paired
                for index, (raw_key, _) in enumerate(extras):
                    kind = duplicates if first_is_duplicate or index else missing
                    result.keep(kind, _key_dict(result.key, raw_key))


def _unvouched(equal: list[bool]) -> Iterator[int]:
    """The places of the False ones (found at C speed: they are few)."""
    index = -1
    with contextlib.suppress(ValueError):
        while True:
            index = equal.index(False, index + 1)
            yield index


def _compare(raw_key: tuple, left: tuple, right: tuple, fields: list[str], tolerances: list, result: Result) -> None:
    different = False
    for index, (left_value, right_value) in enumerate(zip(left, right, strict=True)):
        if type(left_value) is type(right_value) and left_value == right_value:
            continue
        if left_value is ABSENT or right_value is ABSENT:
            if left_value is right_value:
                continue
        elif values_equal(left_value, right_value, tolerances[index]):
            continue
        different = True
        result.keep(
            "mismatches",
            Mismatch(
                _key_dict(result.key, raw_key),
                fields[index],
                MISSING if left_value is ABSENT else left_value,
                MISSING if right_value is ABSENT else right_value,
            ),
        )
    if different:
        result.mismatched_rows += 1
    else:
        result.matched += 1


def _key_dict(key_fields: list[str], raw_key: tuple) -> dict[str, Any]:
    return dict(zip(key_fields, raw_key, strict=True))
