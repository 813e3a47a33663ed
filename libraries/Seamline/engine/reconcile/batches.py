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

import itertools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from ..arrowed import ArrowColumn, as_list, same
from ..errors import SeamError
from .canonical import key_text
from .options import SEAM, Options

ABSENT = object()  # a field the row does not have
Key = Any  # a one-field key: `one_key` (an int or a text); a composite key: a tuple of key texts
Loader = Callable[[str], Any]  # the value a text stands for

# Types whose == between two values of the one type is the rule's first clause, and is False
# against any other of these types (numbers of different types excepted: 1 == 1.0 == True).
_PLAIN_TYPES = frozenset({str, int, float, Decimal, bool, datetime, date, bytes, type(None)})
_NUMBER_TYPES = frozenset({int, float, Decimal})
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")  # key_text of an integer
_INT_DIGITS = 4000  # texts of more digits than int() reads stay texts


class Block(NamedTuple):
    """Rows of a data set as its source hands them over: sequences of the values of `names` (one header:
    a database's tuples, a CSV file's records), or mappings when `names` is None; or, `columns` given
    (and `rows` empty), the values of each of `names` in a list (a columnar reader's).

    `loaders` (one per name, or None) say which values arrive as the text of what they stand for, and
    make that value from it (a database's NUMERIC: its text, and Decimal): the shortcut compares such
    text with text as it came, the rule and the results see the values."""

    names: Sequence[str] | None
    rows: list[Any]
    columns: list[Sequence[Any]] | None = None
    loaders: Sequence[Loader | None] | None = None
    texts: bool = False  # every value a text (a CSV file's): no need to look at their types
    # digits(i): column i's texts as ints when each is ASCII digits only, else None (a columnar reader's,
    # made at C speed: the one-field keys they are)
    digits: Callable[[int], Sequence[int] | None] | None = None

    def __len__(self) -> int:
        return len(self.rows) if self.columns is None else len(self.columns[0]) if self.columns else 0

    def tuples(self) -> list[Any]:
        """The rows as sequences of values (under `names`, or mappings when it is None)."""
        if self.loaders is None or not any(self.loaders):
            return self.rows if self.columns is None else list(zip(*self.columns, strict=True))
        columns = self.columns if self.columns is not None else list(zip(*self.rows, strict=True))
        return list(zip(*map(loaded, columns, self.loaders), strict=True))

    def mappings(self) -> list[Mapping[str, Any]]:
        """The rows as mappings: a header's values by name (a short row lacks the names past its end; of a
        name given twice, the last value)."""
        if self.names is None:
            return self.rows
        return list(map(dict, map(zip, itertools.repeat(self.names), self.tuples())))

    def first(self) -> Mapping[str, Any] | None:
        """The first row's fields (their values not loaded: only the names tell)."""
        if not len(self):
            return None
        if self.names is None:
            first: Mapping[str, Any] = self.rows[0]
            return first
        row = self.rows[0] if self.columns is None else [column[0] for column in self.columns]
        return dict(zip(self.names, row, strict=False))


def loaded(column: Sequence[Any], loader: Loader | None) -> Sequence[Any]:
    """The values a column's texts stand for (None stays None); the column itself without a loader."""
    if loader is None:
        return column
    if None in column:
        return [None if value is None else loader(value) for value in column]
    return list(map(loader, column))


class Blocks:
    """A data set handed over a block of rows at a time (`Block`), rather than a row at a time."""

    def __init__(self, blocks: Iterable[tuple[Any, ...]]):
        """`blocks`: `Block`s, or tuples of their fields (names, rows, and columns and loaders if any)."""
        self._blocks = itertools.starmap(Block, blocks)

    def __iter__(self) -> Iterator[Block]:
        return self._blocks


class Batch:
    """Rows of one side: canonical keys, raw keys (the key fields' values: a tuple each, or the value
    itself for a one-field key), and compared values, by row (`values`: tuples) or by field
    (`columns`), whichever the batch was read as; the other is made when asked for. A field with a
    loader (`loaders`) holds texts in `columns`: `value` gives what they stand for."""

    __slots__ = ("_values", "columns", "keys", "loaders", "one_field_key", "raw_keys", "texts")

    def __init__(
        self,
        keys: Sequence[Key],
        raw_keys: Sequence[Any],
        values: list[tuple[Any, ...]] | None = None,
        columns: list[Sequence[Any]] | None = None,
        one_field_key: bool = False,
        loaders: Sequence[Loader | None] | None = None,
        texts: Sequence[bool] | None = None,
    ):
        self.keys, self.raw_keys, self._values, self.columns = keys, raw_keys, values, columns
        self.one_field_key = one_field_key
        self.loaders = loaders if loaders and any(loaders) else None
        self.texts = texts  # of each field: whether every value is a text

    def raw_key(self, index: int) -> tuple[Any, ...]:
        raw = self.raw_keys[index]
        return (raw,) if self.one_field_key else raw

    def value(self, index: int) -> tuple[Any, ...]:
        """The compared values of row `index`."""
        if self._values is not None:
            return self._values[index]
        assert self.columns is not None
        if self.loaders is None:
            return tuple(column[index] for column in self.columns)
        return tuple(
            loaded([column[index]], loader)[0] for column, loader in zip(self.columns, self.loaders, strict=True)
        )

    def by_field(self) -> list[Sequence[Any]]:
        if self.columns is None:
            assert self._values is not None
            self.columns = list(zip(*self._values, strict=True))
        return self.columns

    def loader(self, field_index: int) -> Loader | None:
        return None if self.loaders is None else self.loaders[field_index]

    def is_text(self, field_index: int) -> bool:
        return self.texts is not None and self.texts[field_index]


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
        self._header: tuple[Sequence[str] | None, list[Callable[[Any], Any] | None] | None] = (None, None)
        self._positions: list[int | None] = []  # of the key and each field in the last header seen

    def row(self, row: Mapping[str, Any]) -> tuple[Key, tuple[Any, ...], tuple[Any, ...]]:
        """One row's canonical key, raw key (the key fields' values) and compared values."""
        key, raw = self._one_key(row) if self.plain_key else self._key(row)
        return key, raw, self._values(row)

    def batch(self, block: Block) -> Batch:
        """`row` of every row in `block`, as lists."""
        found = self._fast_batch(block)
        if found is not None:
            return found
        keys, raws, values = [], [], []
        for row in block.mappings():
            key, raw, compared = self.row(row)
            keys.append(key)
            raws.append(raw)
            values.append(compared)
        return Batch(keys, raws, values)

    def _fast_batch(self, block: Block) -> Batch | None:
        if not (self.plain_key and self.plain_values):
            return None
        getters = self._getters(block.names)
        if getters is None:
            return None
        taken: list[Sequence[Any]]
        if block.columns is not None:
            taken = [block.columns[at] if at is not None else [ABSENT] * len(block) for at in self._positions]
        else:
            rows = block.rows
            try:
                taken = [list(map(getter, rows)) if getter is not None else [ABSENT] * len(rows) for getter in getters]
            except (KeyError, IndexError):
                return None  # a row without a field: the row-by-row path says which, or takes it as absent
        raw, columns = taken[0], taken[1:]
        loaders = None
        if block.loaders is not None:
            key_at, *field_at = self._positions
            raw = loaded(raw, block.loaders[key_at]) if key_at is not None else raw
            loaders = [None if at is None else block.loaders[at] for at in field_at]
        texts = [at is not None for at in self._positions] if block.texts else None  # not the absent ones
        key_at = self._positions[0] if block.names is not None else None
        keys: Sequence[Key] | None = None
        if block.digits is not None and key_at is not None:
            keys = block.digits(key_at)
        if keys is None:
            keys = _plain_keys(raw, texts is not None)
        if keys is None:
            keys = list(map(one_key, raw))
        return Batch(keys, raw, None, columns, one_field_key=True, loaders=loaders, texts=texts and texts[1:])

    def _getters(self, names: Sequence[str] | None) -> list[Callable[[Any], Any] | None] | None:
        """How to take the key and each compared field from a row: by name from mappings (`names` None),
        else by position in `names` (None for a field the header lacks); None when it lacks the key."""
        if names is None:
            return [operator.itemgetter(name) for name in (self.key_fields[0], *self.fields)]
        if self._header[0] is not names:
            position = {name: index for index, name in enumerate(names)}  # a name given twice: its last place
            self._positions = [position.get(name) for name in (self.key_fields[0], *self.fields)]
            getters: list[Callable[[Any], Any] | None] | None = (
                None
                if self._positions[0] is None
                else [None if at is None else operator.itemgetter(at) for at in self._positions]
            )
            self._header = (names, getters)
        return self._header[1]

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


def _plain_keys(raw: Sequence[Any], texts: bool = False) -> Sequence[Key] | None:
    """`one_key` of every key, at C speed for ints and ASCII digit texts (None: another kind of key)."""
    if isinstance(raw, ArrowColumn) and raw.kind() == "int" and not raw.array.null_count:
        return raw  # ints that pyarrow holds: their own keys, not made Python ints here
    kinds = _kinds(raw, texts)
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
    equal: list[bool] | None = None
    equal_in_arrow: Any = None  # of the fields pyarrow compares (columns it holds, batches aligned)
    for index, (my_column, their_column) in enumerate(zip(left.by_field(), right.by_field(), strict=True)):
        my_loader, their_loader = left.loader(index), right.loader(index)
        if mine is None and theirs is None:
            found = _same_in_arrow(my_column, my_loader, their_column, their_loader)
            if found is not None:
                equal_in_arrow = found if equal_in_arrow is None else _and(equal_in_arrow, found)
                continue
        my_column, their_column = as_list(my_column), as_list(their_column)
        if mine is not None and theirs is not None:
            my_column = list(map(my_column.__getitem__, mine))
            their_column = list(map(their_column.__getitem__, theirs))
        my_kinds, their_kinds = _kinds(my_column, left.is_text(index)), _kinds(their_column, right.is_text(index))
        if (my_loader is None) != (their_loader is None) and _texts(my_kinds, their_kinds):
            same = list(map(operator.eq, my_column, their_column))  # the texts of values, and texts
        else:
            if my_loader is not None or their_loader is not None:
                my_column, their_column = loaded(my_column, my_loader), loaded(their_column, their_loader)
                my_kinds, their_kinds = _kinds(my_column, False), _kinds(their_column, False)
            comparable = _comparable(my_column, my_kinds, their_column, their_kinds)
            if comparable is None:
                return None
            same = list(map(operator.eq, *comparable))
        equal = same if equal is None else list(map(operator.and_, equal, same))
    if equal_in_arrow is not None:
        found = equal_in_arrow.to_pylist()
        equal = found if equal is None else list(map(operator.and_, equal, found))
    if equal is None:  # no field compared
        return [True] * (len(left.keys) if mine is None else len(mine))
    return equal


def _same_in_arrow(
    mine: Sequence[Any], my_loader: Loader | None, theirs: Sequence[Any], their_loader: Loader | None
) -> Any:
    """`arrowed.same` of two columns pyarrow holds, where it vouches as the Python shortcut does: values
    of one type equal by ==; texts equal as texts where one side's or both sides' (one loader) texts
    stand for values (a number and its own text are equal by the rule). None: compare them in Python."""
    if my_loader is not None or their_loader is not None:
        texts = isinstance(mine, ArrowColumn) and mine.kind() == "text"
        if not texts or (my_loader is not None and their_loader is not None and my_loader is not their_loader):
            return None
    return same(mine, theirs)


def _and(first: Any, second: Any) -> Any:
    import pyarrow.compute as pc

    return pc.and_(first, second)


def _kinds(column: Sequence[Any], texts: bool) -> set[type]:
    return {str} if texts else set(map(type, column))


def _texts(my_kinds: set[type], their_kinds: set[type]) -> bool:
    """Whether two columns, one holding the texts of values (a loader's: a database's NUMERIC as text),
    compare text with text: the one rule finds a number and its own text equal (other pairs are left to
    the rule)."""
    return my_kinds | their_kinds <= {str, type(None)}


def _comparable(
    mine: Sequence[Any], my_kinds: set[type], theirs: Sequence[Any], their_kinds: set[type]
) -> tuple[Sequence[Any], Sequence[Any]] | None:
    """Two columns whose values `==` compares as the rule does (None: no such columns)."""
    together = my_kinds | their_kinds
    if together <= _PLAIN_TYPES and len(together - {type(None)}) <= 1:
        return mine, theirs  # one type (and None): == is the rule's first clause
    return _as_numbers(mine, my_kinds, theirs, their_kinds)


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
