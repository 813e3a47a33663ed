"""A column of values pyarrow holds (a CSV file's, a PostgreSQL COPY's), a Python list only when asked.

`ArrowColumn` is a `Sequence` of exactly the Python values ``array.to_pylist()`` gives, made on first
need: a reconciliation that finds two columns equal in pyarrow (C++, `same`) never makes them. A few
values read one by one (the rows that differ) are read from pyarrow without making the whole list.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Sequence
from typing import Any, overload

# Values read one at a time before the whole column is made a list (a scalar costs about a microsecond).
SINGLE_READS = 256


def available() -> bool:
    """Is pyarrow installed (the optional `[fast]` extra)?"""
    return importlib.util.find_spec("pyarrow") is not None


class ArrowColumn(Sequence[Any]):
    __slots__ = ("_bounds", "_bounds_known", "_reads", "_values", "array")

    def __init__(self, array: Any):
        import pyarrow as pa

        # a ChunkedArray (an Array made one): two columns compare whatever their chunks
        self.array = array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])
        self._values: list[Any] | None = None
        self._reads = 0
        self._bounds: tuple[int, int] | None = None  # distinct_ints, once asked
        self._bounds_known = False

    @property
    def values(self) -> list[Any]:
        if self._values is None:
            self._values = self.array.to_pylist()
        return self._values

    def __len__(self) -> int:
        return len(self.array)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if self._values is None and isinstance(index, int) and self._reads < SINGLE_READS:
            self._reads += 1
            return self.array[index].as_py()
        return self.values[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.values)

    def __contains__(self, value: object) -> bool:
        return value in self.values

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ArrowColumn) and other.array.type == self.array.type:
            return bool(self.array.equals(other.array))
        return self.values == other

    __hash__ = None  # type: ignore[assignment]  # a mutable sequence's equality, as a list's

    def kind(self) -> str | None:
        """'text', 'int', or another name of the one Python type pyarrow's values all have (None counting
        as none): the types `same` compares in pyarrow as Python's == compares them."""
        import pyarrow as pa

        kind = self.array.type
        if pa.types.is_string(kind):
            return "text"
        if pa.types.is_int64(kind):
            return "int"
        if pa.types.is_float64(kind):
            return "float"
        if pa.types.is_boolean(kind):
            return "bool"
        if pa.types.is_date32(kind):
            return "date"
        if pa.types.is_timestamp(kind) and kind.tz is None and kind.unit == "us":
            return "timestamp"
        return None

    def distinct_ints(self) -> tuple[int, int] | None:
        """(lowest, highest) when every value is an int (none missing) and no two are equal, else None."""
        if not self._bounds_known:
            self._bounds, self._bounds_known = self._distinct_ints(), True
        return self._bounds

    def _distinct_ints(self) -> tuple[int, int] | None:
        import pyarrow.compute as pc

        array = self.array
        if self.kind() != "int" or array.null_count or not len(array):
            return None
        rising = len(array) == 1 or pc.all(pc.greater(array[1:], array[:-1])).as_py()
        if not rising and pc.count_distinct(array).as_py() != len(array):  # rising: distinct, cheaply told
            return None
        bounds = pc.min_max(array)
        return bounds["min"].as_py(), bounds["max"].as_py()


def same(mine: Sequence[Any], theirs: Sequence[Any]) -> Any:
    """For two columns pyarrow holds, of one kind (`ArrowColumn.kind`): a pyarrow boolean array, True
    where the two values are equal by Python's == and of one type (two None included); for ints and
    texts, True where a text is the int's own (``str(5) == "5"``: equal by the rule's number clause).
    None for other columns."""
    if not (isinstance(mine, ArrowColumn) and isinstance(theirs, ArrowColumn)) or len(mine) != len(theirs):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    left, right = mine.array, theirs.array
    kinds = {mine.kind(), theirs.kind()}
    if kinds == {"int", "text"}:  # the ints' texts (as str() writes them) against the texts
        left, right = (pc.cast(side, pa.string()) if pa.types.is_integer(side.type) else side for side in (left, right))
    elif None in kinds or len(kinds) != 1:
        return None
    equal = pc.equal(left, right)
    if equal.null_count:  # a value missing on one side or both
        equal = pc.fill_null(equal, False)
    if left.null_count and right.null_count:
        equal = pc.or_(equal, pc.and_(pc.is_null(left), pc.is_null(right)))
    return equal


def as_list(column: Sequence[Any]) -> Sequence[Any]:
    """The column's values in a list when pyarrow holds them (for access by index), else the column."""
    return column.values if isinstance(column, ArrowColumn) else column
