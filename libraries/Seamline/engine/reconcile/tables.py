"""Two large tables (or queries) across databases, compared by checksums computed inside each database.

The key range is cut into segments (``factor`` of them, at key values taken from one side's own
order); each database returns one (row count, sum of row hashes) per segment in one statement (see
`checksums`). Equal segments are done; a differing segment is cut again, and one of at most ``leaf``
rows is read from both sides and diffed row by row (`diff.reconcile`, the one comparison rule). So
memory holds the segment boundaries and the rows of differing leaves, whatever the tables' size (an
integer key's leaves are diffed as they are read, a few hundred at a time, so not even all of those),
and the work is one pass per level over the segments that differ.

Segments follow the key order of the side the boundaries came from; a database that orders keys
otherwise (another collation) puts some rows into other segments, which then differ and are read:
the row-by-row diff of every leaf together still pairs them, so the result stays exact.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..database.sql import Database, StreamBlock, quote_identifier
from ..errors import SeamError
from .batches import Block
from .checksums import MD5, POSTGRESQL, RECORD, RECORD_TYPES, TEXT_TYPES, kind_of, row_hash, row_hash_sql
from .diff import Result, reconcile
from .options import SEAM, Options

SAMPLE_ROWS = 50
MAX_SEGMENTS = 100_000  # checksums one statement may return (an integer key's ranges)
READ_RANGES = 256  # differing ranges read (and diffed) at a time: a few thousand rows in memory
T = TypeVar("T")
Bound = tuple[Any, ...] | None  # a key value (one per key column); None: unbounded
Checksum = tuple[int, int]  # rows, sum of row hashes


@dataclass
class Side:
    """One table or query of one database. `source` is a table name or a SELECT statement."""

    database: Database
    source: str
    where: str = ""
    kinds: dict[str, str] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.database.dialect

    def relation(self) -> str:
        text = self.source.strip()
        if text.split(None, 1)[0].upper() in ("SELECT", "WITH", "(SELECT"):
            inner = text
        else:
            inner = f"SELECT * FROM {quote_identifier(text, self.dialect)}"
        if self.where:
            inner = f"SELECT * FROM ({inner}) seam_w WHERE {self.where}"
        return f"({inner}) seam_t"


@dataclass
class Stats:
    hashing: str = ""  # checksums.MD5, POSTGRESQL or RECORD
    statements: int = 0
    segments: int = 0
    rows_read: int = 0


def reconcile_tables(
    left: Side, right: Side, options: Options, columns: Sequence[str] | None = None, factor: int = 32, leaf: int = 64
) -> tuple[Result, Stats]:
    """The diff of two tables' rows by key: checksums per segment, rows only of differing leaves."""
    stats = Stats()
    key = options.key
    samples = _sample(left), _sample(right)
    compared = _columns(options, columns, samples)
    every = [*key, *compared]
    for side, sample in zip((left, right), samples, strict=True):
        missing = [column for column in every if sample and column not in sample[0]]
        if missing:
            raise SeamError(SEAM, f"{side.source} has no column {', '.join(missing)} on {side.database.display_url}")
        side.kinds = {column: kind_of([row.get(column) for row in sample]) for column in every}
    plan = _Plan(left, right, key, every, stats, factor, leaf)
    diff_options = Options(**{**options.__dict__, "fields": compared})
    if len(key) == 1 and left.kinds[key[0]] == right.kinds[key[0]] == "int":
        return _IntegerBisection(plan).run(diff_options), stats
    equal_rows, totals, left_rows, right_rows = _bisect_by_key_values(plan)
    return _finish(diff_options, left_rows, right_rows, totals, equal_rows), stats


def _bisect_by_key_values(plan: _Plan) -> tuple[int, list[int], list[dict[str, Any]], list[dict[str, Any]]]:
    """Any key: segments cut at key values one side returns in its own order, one statement per segment."""
    left_rows: list[dict[str, Any]] = []
    right_rows: list[dict[str, Any]] = []
    totals = [0, 0]
    pending: list[tuple[Bound, Bound]] = [(None, None)]
    equal_rows = 0
    while pending:
        low, high = pending.pop()
        for segment, (mine, theirs) in plan.segments(low, high):
            plan.stats.segments += 1
            if (low, high) == (None, None):
                totals[0] += mine[0]
                totals[1] += theirs[0]
            if mine == theirs:
                equal_rows += mine[0]
            elif max(mine[0], theirs[0]) <= plan.leaf or segment == (low, high):  # small, or cannot be cut further
                left_rows += plan.rows(plan.left, *segment)
                right_rows += plan.rows(plan.right, *segment)
            else:
                pending.append(segment)
    return equal_rows, totals, left_rows, right_rows


def _finish(options: Options, left_rows: list, right_rows: list, totals: list[int], equal: int) -> Result:
    """The row-by-row diff of the rows read, with the rows of equal segments counted as matched."""
    result = reconcile(left_rows, right_rows, options)
    result.left_rows, result.right_rows = totals
    result.matched += equal
    return result


def _sample(side: Side) -> list[dict[str, Any]]:
    return side.database.query(f"SELECT * FROM {side.relation()} LIMIT {SAMPLE_ROWS}")


def _columns(options: Options, columns: Sequence[str] | None, samples: tuple[list, list]) -> list[str]:
    if columns:
        chosen = list(columns)
    elif samples[0] and samples[1]:
        chosen = [name for name in samples[0][0] if name in samples[1][0]]
    else:
        chosen = list(samples[0][0] if samples[0] else samples[1][0] if samples[1] else [])
    return [name for name in chosen if name not in options.key and name not in options.ignore]


class _Plan:
    def __init__(
        self, left: Side, right: Side, key: list[str], columns: list[str], stats: Stats, factor: int, leaf: int
    ):
        self.left, self.right, self.key, self.columns = left, right, key, columns
        self.stats, self.factor, self.leaf = stats, factor, leaf
        self.texts: set[str] = set()  # with RECORD hashing: the columns of PostgreSQL text types
        self.hashing = stats.hashing = self._hashing()
        shared = left.database is right.database
        self.pool = None if shared else ThreadPoolExecutor(2, thread_name_prefix="seamline-checksum")

    def _hashing(self) -> str:
        """MD5, unless both sides are PostgreSQL: then its own hash, of the rows themselves when the
        columns have the same hashable types on both sides."""
        if not self.left.dialect == self.right.dialect == "postgresql":
            return MD5
        types = self._postgresql_types(self.left), self._postgresql_types(self.right)
        if not (types[0] and types[0] == types[1] and set(types[0]) <= RECORD_TYPES):
            return POSTGRESQL
        self.texts = {column for column, kind in zip(self.columns, types[0], strict=True) if kind in TEXT_TYPES}
        return RECORD

    def _postgresql_types(self, side: Side) -> list[str]:
        """The PostgreSQL type of each column (none: an empty side, or a server before hash_record_extended)."""
        listed = ", ".join(
            f"pg_typeof({quote_identifier(column, side.dialect)})::text AS seam_{index}"
            for index, column in enumerate(self.columns)
        )
        self.stats.statements += 1
        version = "current_setting('server_version_num')::int AS seam_version"
        rows = side.database.query(f"SELECT {version}, {listed} FROM {side.relation()} LIMIT 1")
        if not rows or rows[0]["seam_version"] < 140000:
            return []
        return [rows[0][f"seam_{index}"] for index in range(len(self.columns))]

    def segments(self, low: Bound, high: Bound) -> Iterator[tuple[tuple[Bound, Bound], tuple[Checksum, Checksum]]]:
        """The sub-segments of [low, high) with each side's checksum."""
        bounds = self._boundaries(self.left, low, high) or self._boundaries(self.right, low, high)
        edges: list[Bound] = [low, *bounds, high]
        mine, theirs = self.both(lambda side: self._checksums(side, edges))
        for index in range(len(edges) - 1):
            yield (edges[index], edges[index + 1]), (mine.get(index, (0, 0)), theirs.get(index, (0, 0)))

    def _boundaries(self, side: Side, low: Bound, high: Bound) -> list[Bound]:
        """Key values that cut [low, high) into about `factor` segments of equal row counts (on `side`)."""
        where, params = self._range(side, low, high)
        keys = ", ".join(quote_identifier(column, side.dialect) for column in self.key)
        count_sql = f"SELECT COUNT(*) AS n FROM {side.relation()} WHERE {where}"
        self.stats.statements += 1
        count = int(side.database.query(count_sql, params)[0]["n"])
        if count <= self.leaf:
            return []
        step = -(-count // self.factor)
        sql = (
            f"SELECT {keys} FROM (SELECT {keys}, ROW_NUMBER() OVER (ORDER BY {keys}) AS seam_rn "
            f"FROM {side.relation()} WHERE {where}) seam_b WHERE MOD(seam_rn - 1, {step}) = 0 AND seam_rn > 1 "
            f"ORDER BY {keys}"
        )
        self.stats.statements += 1
        found = [tuple(row[column] for column in self.key) for row in side.database.query(sql, params)]
        return [bound for bound in dict.fromkeys(found) if bound != low]

    def _checksums(self, side: Side, edges: list[Bound]) -> dict[int, Checksum]:
        where, params = self._range(side, edges[0], edges[-1])
        cases, case_params = [], []
        for index, edge in enumerate(edges[1:-1]):
            assert edge is not None  # only the outer edges are unbounded
            condition, values = self._compare(side, "<", edge)
            cases.append(f"WHEN {condition} THEN {index}")
            case_params += values
        segment = f"CASE {' '.join(cases)} ELSE {len(edges) - 2} END" if cases else "0"
        return self.grouped(side, segment, where, case_params + params)

    def grouped(self, side: Side, segment: str, where: str, params: list[Any]) -> dict[int, Checksum]:
        """(rows, sum of row hashes) of the rows matching `where`, by the segment number `segment` computes."""
        self.stats.statements += 1
        if side.dialect == "sqlite":
            return self._checksums_here(side, segment, where, params)
        row_hash_expression = row_hash_sql(self.columns, side.kinds, side.dialect, self.hashing, self.texts)
        sql = (
            f"SELECT seam_s, COUNT(*) AS seam_n, SUM(seam_h) AS seam_h FROM (SELECT {segment} AS seam_s, "
            f"{row_hash_expression} AS seam_h FROM {side.relation()} WHERE {where}) seam_x GROUP BY seam_s"
        )
        rows = side.database.query(sql, params)
        return {int(row["seam_s"]): (int(row["seam_n"]), int(row["seam_h"])) for row in rows}

    def both(self, task: Callable[[Side], T]) -> tuple[T, T]:
        """`task` on the left and the right side, at once when they are two connections."""
        if self.pool is None:
            return task(self.left), task(self.right)
        jobs = self.pool.submit(task, self.left), self.pool.submit(task, self.right)
        return jobs[0].result(), jobs[1].result()

    def read(self, side: Side, where: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        names = ", ".join(quote_identifier(column, side.dialect) for column in self.columns)
        self.stats.statements += 1
        found = side.database.query(f"SELECT {names} FROM {side.relation()} WHERE {where}", tuple(params))
        self.stats.rows_read += len(found)
        return found

    def _checksums_here(self, side: Side, segment: str, where: str, params: list[Any]) -> dict[int, Checksum]:
        other = self.right if side is self.left else self.left
        other_kinds = [other.kinds.get(column, "unknown") for column in self.columns]
        names = ", ".join(quote_identifier(column, side.dialect) for column in self.columns)
        sql = f"SELECT {segment} AS seam_s, {names} FROM {side.relation()} WHERE {where}"
        sums: dict[int, list[int]] = {}

        def add(blocks: Iterator[StreamBlock]) -> None:
            for block in blocks:
                for values in Block(*block).tuples():  # values, not the texts NUMERIC streams as
                    total = sums.setdefault(int(values[0]), [0, 0])
                    total[0] += 1
                    total[1] += row_hash(values[1:], other_kinds)

        side.database.stream(sql, params, add)
        return {index: (count, total) for index, (count, total) in sums.items()}

    def rows(self, side: Side, low: Bound, high: Bound) -> list[dict[str, Any]]:
        where, params = self._range(side, low, high)
        return self.read(side, where, params)

    def _range(self, side: Side, low: Bound, high: Bound) -> tuple[str, list[Any]]:
        conditions, params = ["1 = 1"], []
        if low is not None:
            condition, values = self._compare(side, ">=", low)
            conditions.append(condition)
            params += values
        if high is not None:
            condition, values = self._compare(side, "<", high)
            conditions.append(condition)
            params += values
        return " AND ".join(conditions), params

    def _compare(self, side: Side, operator: str, bound: tuple[Any, ...]) -> tuple[str, list[Any]]:
        columns = [quote_identifier(column, side.dialect) for column in self.key]
        if len(columns) == 1:
            return f"{columns[0]} {operator} ?", [bound[0]]
        marks = ", ".join("?" for _ in columns)
        return f"({', '.join(columns)}) {operator} ({marks})", list(bound)


class _IntegerBisection:
    """A single integer key: segments are ranges of equal width (a power of two), one statement per side
    per level for the whole level.

    The first level cuts [min, max] into ranges of `leaf` keys (at most MAX_SEGMENTS of them): one pass
    over each table, whose checksums come back per range. Differing ranges of at most `leaf`
    rows are read (one statement per side); larger ones are cut again, into ranges of about `leaf` rows
    by their own density, each level nesting exactly in the one before.
    """

    def __init__(self, plan: _Plan):
        self.plan = plan
        self.key = plan.key[0]

    def run(self, options: Options) -> Result:
        """The diff: rows of differing ranges are diffed as they are read, READ_RANGES ranges at a time
        (an integer key falls in the same range on both sides, so each read pairs on its own)."""
        plan = self.plan
        result = Result(options.name, list(options.key), list(options.fields or []), samples=options.samples)
        bounds = plan.both(self._bounds)
        present = [(int(lo), int(hi)) for lo, hi in bounds if lo is not None and hi is not None]
        if not present:
            return result
        low = min(found[0] for found in present)
        span = max(found[1] for found in present) - low + 1
        # Ranges of `leaf` keys: `leaf` rows for dense unique keys (MIN and MAX come from the index; a
        # count would cost a pass), fewer for sparse ones; a denser range is cut again by its own density.
        width = _power_of_two(max(plan.leaf, -(-span // MAX_SEGMENTS), 1))
        parents: tuple[int, list[int]] | None = None  # the previous level's width and its differing ranges
        equal, totals = 0, [0, 0]
        while True:
            mine, theirs = plan.both(functools.partial(self._level, low=low, width=width, parents=parents))
            if parents is None:
                totals = [sum(n for n, _ in mine.values()), sum(n for n, _ in theirs.values())]
            differing, small = [], []
            for bucket in sorted(set(mine) | set(theirs)):
                first, second = mine.get(bucket, (0, 0)), theirs.get(bucket, (0, 0))
                if first == second:
                    equal += first[0]
                elif width == 1 or max(first[0], second[0]) <= plan.leaf:
                    small.append(bucket)
                else:
                    differing.append(bucket)
            for start in range(0, len(small), READ_RANGES):
                buckets = small[start : start + READ_RANGES]
                found = plan.both(functools.partial(self._read, low=low, width=width, buckets=buckets))
                result.absorb(reconcile(found[0], found[1], options))
            if not differing:
                result.left_rows, result.right_rows = totals
                result.matched += equal
                return result
            busiest = max(max(mine.get(b, (0, 0))[0], theirs.get(b, (0, 0))[0]) for b in differing)
            finer = max(width * plan.leaf // busiest, -(-width * len(differing) // MAX_SEGMENTS), 1)
            parents, width = (width, differing), min(width // 2, _power_of_two(finer) // 2 or 1)

    def _read(self, side: Side, low: int, width: int, buckets: list[int]) -> list[dict[str, Any]]:
        return self.plan.read(side, self._in(side, low, width, buckets))

    def _bounds(self, side: Side) -> tuple[Any, Any]:
        column = quote_identifier(self.key, side.dialect)
        self.plan.stats.statements += 1
        row = side.database.query(f"SELECT MIN({column}) AS lo, MAX({column}) AS hi FROM {side.relation()}")[0]
        return row["lo"], row["hi"]

    def _bucket(self, side: Side, low: int, width: int) -> str:
        column = quote_identifier(self.key, side.dialect)
        divide = "DIV" if side.dialect == "mysql" else "/"
        return f"(({column} - {int(low)}) {divide} {int(width)})"

    def _in(self, side: Side, low: int, width: int, buckets: list[int]) -> str:
        column = quote_identifier(self.key, side.dialect)
        first, last = low + min(buckets) * width, low + (max(buckets) + 1) * width
        listed = ", ".join(str(int(bucket)) for bucket in buckets)
        return f"{column} >= {int(first)} AND {column} < {int(last)} AND {self._bucket(side, low, width)} IN ({listed})"

    def _level(self, side: Side, low: int, width: int, parents: tuple[int, list[int]] | None) -> dict[int, Checksum]:
        where = "1 = 1" if parents is None else self._in(side, low, parents[0], parents[1])
        return self.plan.grouped(side, self._bucket(side, low, width), where, [])


def _power_of_two(number: int) -> int:
    """The smallest power of two at least `number` (1 for 1 or less)."""
    return 1 << max(int(number) - 1, 0).bit_length()
