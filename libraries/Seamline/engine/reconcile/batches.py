"""A side's rows a batch at a time: their keys, their compared values, and which pairs are surely equal.

`SideReader.row` is the definition: one row's canonical key, raw key and compared values.
`SideReader.batch` gives the same for a whole batch with map/itemgetter/zip (C speed, no Python
frame per row) in the common cases (one plain int or digit-text key, fields present in every row),
and row by row otherwise. `surely_equal` vouches for the pairs whose values are equal by the first
clause of the one comparison rule (same type, ``==``), or numerically equal where one side is
numeric text and the other a number (the rule's number clause, whole columns converted at once);
a pair it does not vouch for goes to the rule (`values.values_equal`) itself, so results do not
depend on the shortcut.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from ..errors import SeamError
from .canonical import key_text
from .options import SEAM, Options

ABSENT = object()  # a field the row does not have
Key = Any  # a one-field key: `one_key` (an int or a text); a composite key: a tuple of key texts

# Types whose == between two values of the one type is the rule's first clause, and is False
# against any other of these types (numbers of different types excepted: 1 == 1.0 == True).
_PLAIN_TYPES = frozenset({str, int, float, Decimal, bool, datetime, date, bytes, type(None)})
_NUMBER_TYPES = frozenset({int, float, Decimal})
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")  # key_text of an integer
_INT_DIGITS = 4000  # texts of more digits than int() reads stay texts


class Batch(NamedTuple):
    """Rows of one side: canonical keys, raw keys (the key fields' values: a tuple each, or the value
    itself for a one-field key), compared values (tuples), and the same values by field (None until
    asked for)."""

    keys: list[Key]
    raw_keys: list[Any]
    values: list[tuple[Any, ...]]
    columns: list[Sequence[Any]] | None = None
    one_field_key: bool = False

    def raw_key(self, index: int) -> tuple[Any, ...]:
        raw = self.raw_keys[index]
        return (raw,) if self.one_field_key else raw

    def by_field(self) -> list[Sequence[Any]]:
        return self.columns if self.columns is not None else list(zip(*self.values, strict=True))


class SideReader:
    """How to take a row's key and compared values on one side (renamed fields, normalisers)."""

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
        self.plain_values = not own_to_given and not any(self.normalisers)
        self.plain_key = len(options.key) == 1 and not own_to_given and not self.key_normalisers[0]
        self._absent = [ABSENT] * len(fields)

    def row(self, row: Mapping[str, Any]) -> tuple[Key, tuple[Any, ...], tuple[Any, ...]]:
        """One row's canonical key, raw key (the key fields' values) and compared values."""
        key, raw = self._one_key(row) if self.plain_key else self._key(row)
        return key, raw, self._values(row)

    def batch(self, rows: Sequence[Mapping[str, Any]]) -> Batch:
        """`row` of every row in `rows`, as three lists."""
        found = self._fast_batch(rows)
        if found is not None:
            return found
        keys, raws, values = [], [], []
        for row in rows:
            key, raw, compared = self.row(row)
            keys.append(key)
            raws.append(raw)
            values.append(compared)
        return Batch(keys, raws, values)

    def _fast_batch(self, rows: Sequence[Mapping[str, Any]]) -> Batch | None:
        if not (self.plain_key and self.plain_values):
            return None
        try:
            raw = list(map(operator.itemgetter(self.key_fields[0]), rows))
            columns: list[Sequence[Any]] = [list(map(operator.itemgetter(name), rows)) for name in self.fields]
        except KeyError:
            return None  # a row without a field: the row-by-row path says which, or takes it as absent
        keys = _plain_keys(raw)
        if keys is None:
            keys = list(map(one_key, raw))
        values = list(zip(*columns, strict=True)) if columns else [()] * len(rows)
        return Batch(keys, raw, values, columns, one_field_key=True)

    def _missing_key(self, row: Mapping[str, Any], name: str) -> SeamError:
        shown = ", ".join(map(str, row)) or "none"
        return SeamError(SEAM, f"a row has no key field '{name}' (its fields: {shown})")

    def _one_key(self, row: Mapping[str, Any]) -> tuple[Key, tuple[Any, ...]]:
        name = self.key_fields[0]
        try:
            value = row[name]
        except KeyError:
            raise self._missing_key(row, name) from None
        return one_key(value), (value,)

    def _key(self, row: Mapping[str, Any]) -> tuple[Key, tuple[Any, ...]]:
        raw = []
        for name, normalise in zip(self.key_fields, self.key_normalisers, strict=True):
            value = self._value(row, name)
            if value is ABSENT:
                raise self._missing_key(row, name)
            raw.append(normalise(value) if normalise else value)
        if len(raw) == 1:
            return one_key(raw[0]), tuple(raw)
        return tuple(key_text(part) for part in raw), tuple(raw)

    def _value(self, row: Mapping[str, Any], name: str) -> Any:
        for given in self.lookup[name]:
            value = row.get(given, ABSENT)
            if value is not ABSENT:
                return value
        return ABSENT

    def _values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        if self.plain_values:
            return tuple(map(row.get, self.fields, self._absent))
        found = []
        for name, normalise in zip(self.fields, self.normalisers, strict=True):
            value = self._value(row, name)
            found.append(normalise(value) if normalise is not None and value is not ABSENT else value)
        return tuple(found)


def one_key(value: Any) -> Key:
    """The canonical key of a one-field key: its `key_text`, an int when that text is an integer
    (so that int keys, by far the most common, need no text)."""
    if type(value) is int:
        return value
    text = key_text(value)
    return int(text) if len(text) < _INT_DIGITS and _INTEGER.fullmatch(text) else text


def _plain_keys(raw: list[Any]) -> list[Key] | None:
    """`one_key` of every key, at C speed for ints and ASCII digit texts (None: another kind of key)."""
    kinds = set(map(type, raw))
    if kinds == {int}:
        return raw
    if kinds == {str}:
        joined = "".join(raw)
        if joined.isascii() and joined.isdigit() and "" not in raw and max(map(len, raw)) < _INT_DIGITS:
            return list(map(int, raw))  # "007" -> 7, as key_text reads it
    return None


def surely_equal(
    left: Batch, mine: Sequence[int] | None, right: Batch, theirs: Sequence[int] | None
) -> list[bool] | None:
    """For the rows at `mine` in `left` and at `theirs` in `right` (None: every row, the batches
    being aligned), pair by pair: True when the one rule surely finds every field equal.

    False means "ask the rule"; None means the columns hold types this shortcut does not know (ask
    the rule, or its first clause, pair by pair)."""
    if mine is not None and not mine:
        return []
    left_columns, right_columns = list(left.by_field()), list(right.by_field())
    converted = False
    for index, (my_column, their_column) in enumerate(zip(left_columns, right_columns, strict=True)):
        kinds = set(map(type, my_column)), set(map(type, their_column))
        together = kinds[0] | kinds[1]
        if together <= _PLAIN_TYPES and len(together - {type(None)}) <= 1:
            continue  # one type (and None): == is the rule's first clause
        numbers = _as_numbers(my_column, kinds[0], their_column, kinds[1])
        if numbers is None:
            return None
        left_columns[index], right_columns[index] = numbers
        converted = True
    left_values, right_values = left.values, right.values
    if converted:
        left_values, right_values = list(zip(*left_columns, strict=True)), list(zip(*right_columns, strict=True))
    if mine is None or theirs is None:
        return list(map(operator.eq, left_values, right_values))
    return list(map(operator.eq, map(left_values.__getitem__, mine), map(right_values.__getitem__, theirs)))


def _as_numbers(
    mine: Sequence[Any], my_kinds: set[type], theirs: Sequence[Any], their_kinds: set[type]
) -> tuple[Sequence[Any], Sequence[Any]] | None:
    """Two columns of one type each, numbers or numeric text (not both text), as numbers the rule
    compares exactly: Decimal for text (as the rule reads numeric text) and floats (by their repr)."""
    if len(my_kinds) != 1 or len(their_kinds) != 1 or my_kinds == their_kinds == {str}:
        return None
    if not (my_kinds | their_kinds) <= _NUMBER_TYPES | {str}:
        return None
    converted: list[Sequence[Any]] = []
    for column, (kind,) in ((mine, my_kinds), (theirs, their_kinds)):
        if kind is str:
            numbers = _numeric_text(column)
            if numbers is None:
                return None
            converted.append(numbers)
        elif kind is float:
            converted.append(list(map(Decimal, map(repr, column))))
        else:
            converted.append(column)
    return converted[0], converted[1]


def _numeric_text(column: Sequence[str]) -> list[Decimal] | None:
    """The texts as Decimal when each is a number as the rule's number pattern reads it (Decimal also
    reads NaN, Infinity and 1_000, which the rule does not take for numbers)."""
    if "_" in "".join(column):
        return None
    try:
        numbers = list(map(Decimal, column))
    except ArithmeticError:  # decimal.InvalidOperation: a text that is no number
        return None
    return numbers if all(map(Decimal.is_finite, numbers)) else None
