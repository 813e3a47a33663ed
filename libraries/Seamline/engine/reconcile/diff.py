"""The diff of two data sets: rows matched by key, their fields compared by the one comparison rule.

Both sides are read in step, one row of each at a time (a symmetric hash join): a row waits in
memory only until its partner arrives from the other side. Two sources in the same order (whatever
that order is: no collation has to agree) keep a handful of rows waiting; sources in different
orders degrade to a hash join of the rows still unmatched. A waiting row keeps only its compared
values. Every row is accounted for exactly once: each left row is matched, mismatched, missing on
the right or a duplicate; each right row likewise.

Rows of one key pair up in the order they arrive. An extra row of a key is a duplicate when that key
also paired (or has another extra row on its side), else it is missing on the other side. Which keys
paired is kept in a filter of fixed size (`PairedKeys`), so memory does not grow with the rows that
matched: counts are always exact, and an extra row is called a duplicate in error with a chance below
0.1% at a million paired keys (2% at ten million).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import SeamError
from ..values import values_equal
from .canonical import key_text
from .options import SEAM, Options

MISSING = "(no such field)"
STEP = 256  # rows read from one side before the other side's turn
_ABSENT = object()
Key = Any  # the canonical text of a one-field key, a tuple of texts for a composite key


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
    """A Bloom filter of keys (2 bits each in 2**27, 16 MB): no false "not paired", rare false "paired"."""

    BITS = 1 << 27

    def __init__(self) -> None:
        self._bits = bytearray(self.BITS // 8)

    def _places(self, key: Key) -> tuple[int, int]:
        code = hash(key) & 0xFFFFFFFFFFFFFFFF
        return code & (self.BITS - 1), (code >> 32) & (self.BITS - 1)

    def add(self, key: Key) -> None:
        for place in self._places(key):
            self._bits[place >> 3] |= 1 << (place & 7)

    def __contains__(self, key: Key) -> bool:
        return all(self._bits[place >> 3] & (1 << (place & 7)) for place in self._places(key))


class _Side:
    """How to take a row's key and compared values: `key(row)` -> (canonical key, raw key values),
    `values(row)` -> the compared values. Built once per reconciliation, with a fast path for the
    common case (no renamed field, no normaliser, one key field)."""

    def __init__(self, options: Options, fields: list[str]):
        own_to_given: dict[str, list[str]] = {}
        for other, own in options.rename.items():
            own_to_given.setdefault(own, []).append(other)
        # A field may arrive under its own name or any name renamed to it (v1 and v2 of one payload).
        self.lookup = {name: [name, *own_to_given.get(name, [])] for name in [*options.key, *fields]}
        self.key_fields = options.key
        self.fields = fields
        self.normalisers = [options.normaliser_of(name) for name in fields]
        self.key_normalisers = [options.normaliser_of(name) for name in options.key]
        plain = not own_to_given and not any(self.normalisers)
        self.values = self._plain_values if plain else self._values
        self._absent = [_ABSENT] * len(fields)
        plain_key = len(options.key) == 1 and not own_to_given and not self.key_normalisers[0]
        self.key = self._one_key if plain_key else self._key

    def _value(self, row: Mapping[str, Any], name: str) -> Any:
        for given in self.lookup[name]:
            value = row.get(given, _ABSENT)
            if value is not _ABSENT:
                return value
        return _ABSENT

    def _missing_key(self, row: Mapping[str, Any], name: str) -> SeamError:
        shown = ", ".join(map(str, row)) or "none"
        return SeamError(SEAM, f"a row has no key field '{name}' (its fields: {shown})")

    def _one_key(self, row: Mapping[str, Any]) -> tuple[Key, tuple[Any, ...]]:
        name = self.key_fields[0]
        try:
            value = row[name]
        except KeyError:
            raise self._missing_key(row, name) from None
        kind = type(value)
        if kind is int:
            return str(value), (value,)
        return (value if kind is str and not value[:1].isdigit() else key_text(value)), (value,)

    def _key(self, row: Mapping[str, Any]) -> tuple[Key, tuple[Any, ...]]:
        raw = []
        for name, normalise in zip(self.key_fields, self.key_normalisers, strict=True):
            value = self._value(row, name)
            if value is _ABSENT:
                raise self._missing_key(row, name)
            raw.append(normalise(value) if normalise else value)
        if len(raw) == 1:
            return key_text(raw[0]), tuple(raw)
        return tuple(key_text(part) for part in raw), tuple(raw)

    def _plain_values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(map(row.get, self.fields, self._absent))

    def _values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        found = []
        for name, normalise in zip(self.fields, self.normalisers, strict=True):
            value = self._value(row, name)
            found.append(normalise(value) if normalise is not None and value is not _ABSENT else value)
        return tuple(found)


def reconcile(left: Iterable[Mapping[str, Any]], right: Iterable[Mapping[str, Any]], options: Options) -> Result:
    """The diff of `left` and `right` (rows as mappings, read once, in step)."""
    left_rows, right_rows = iter(left), iter(right)
    if options.only:
        left_rows, right_rows = filter(options.keeps, left_rows), filter(options.keeps, right_rows)
    left_first, right_first = next(left_rows, None), next(right_rows, None)
    fields = options.compared(left_first, right_first)
    result = Result(options.name, list(options.key), fields, samples=options.samples)
    sides = (_Side(options, fields), _Side(options, fields))
    tolerances = [options.tolerance.get(name) for name in fields]
    left_stream = itertools.chain(() if left_first is None else (left_first,), left_rows)
    right_stream = itertools.chain(() if right_first is None else (right_first,), right_rows)
    _merge((left_stream, right_stream), sides, tolerances, result)
    return result


def _merge(
    streams: tuple[Iterator[Mapping], Iterator[Mapping]], sides: tuple[_Side, _Side], tolerances: list, result: Result
) -> None:
    """Reads both sides in step, a batch of each in turn: a row waits only until its partner arrives."""
    # waiting[side][key] = [(raw key, values), ...]: rows of `side` whose partner has not arrived yet.
    waiting: tuple[dict[Key, list], dict[Key, list]] = ({}, {})
    paired = PairedKeys()  # the keys that paired: an extra row of such a key is a duplicate
    counts = [0, 0]
    fields = result.fields
    ended = [False, False]
    while not all(ended):
        for side in (0, 1):
            batch = list(itertools.islice(streams[side], STEP))
            if len(batch) < STEP:
                ended[side] = True
            if not batch:
                continue
            counts[side] += len(batch)
            key_of, values_of = sides[side].key, sides[side].values
            mine, theirs = waiting[side], waiting[1 - side]
            for row in batch:
                key, raw_key = key_of(row)
                values = values_of(row)
                others = theirs.get(key)
                if others is None:
                    entry = mine.get(key)
                    if entry is None:
                        mine[key] = [(raw_key, values)]
                    else:
                        entry.append((raw_key, values))
                    continue
                other_raw, other_values = others.pop(0)
                if not others:
                    del theirs[key]
                paired.add(key)
                if values == other_values and tuple(map(type, values)) == tuple(map(type, other_values)):
                    result.matched += 1  # the same values of the same types: equal by the one rule, field by field
                elif side == 0:
                    _compare(raw_key, values, other_values, fields, tolerances, result)
                else:
                    _compare(other_raw, other_values, values, fields, tolerances, result)
    result.left_rows, result.right_rows = counts
    for side, (missing, duplicates) in enumerate(
        (("missing_right", "duplicates_left"), ("missing_left", "duplicates_right"))
    ):
        for key, extras in waiting[side].items():
            first_is_duplicate = key in paired
            for index, (raw_key, _) in enumerate(extras):
                kind = duplicates if first_is_duplicate or index else missing
                result.keep(kind, _key_dict(result.key, raw_key))


def _compare(raw_key: tuple, left: tuple, right: tuple, fields: list[str], tolerances: list, result: Result) -> None:
    different = False
    for index, (left_value, right_value) in enumerate(zip(left, right, strict=True)):
        if type(left_value) is type(right_value) and left_value == right_value:
            continue
        if left_value is _ABSENT or right_value is _ABSENT:
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
                MISSING if left_value is _ABSENT else left_value,
                MISSING if right_value is _ABSENT else right_value,
            ),
        )
    if different:
        result.mismatched_rows += 1
    else:
        result.matched += 1


def _key_dict(key_fields: list[str], raw_key: tuple) -> dict[str, Any]:
    return dict(zip(key_fields, raw_key, strict=True))
