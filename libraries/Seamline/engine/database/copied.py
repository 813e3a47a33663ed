"""A PostgreSQL query's rows read by ``COPY (query) TO STDOUT`` and parsed by column with pyarrow.

How `Database.stream` reads a query on PostgreSQL when pyarrow is installed (the optional `[fast]`
extra): no Python tuple is made per row, nor a Python value per field. The rows arrive as CSV text, one
CopyData message each (added to a bytearray: the one Python step a row costs), and are parsed a block
at a time by pyarrow's CSV reader (C++) into columns pyarrow keeps (`ArrowColumn`: Python values only
when asked), of the very values the typed path (psycopg's rows, text format) returns:

- the column names and types come from the query itself, prepared and described before the COPY;
- integers, floats, booleans, dates and timestamps (ISO DateStyle) are parsed by pyarrow; a
  timestamp with time zone is moved to the session's zone, as psycopg does; NUMERIC stays its text
  (with Decimal as its loader), as on the typed path; text is text (a UTF-8 connection);
- a NULL is an unquoted empty field and an empty text a quoted one: they stay apart;
- any other type (JSON, bytea, arrays, intervals...), a value pyarrow does not read (a timestamp
  BC or ``infinity``, another DateStyle) or text in another encoding is loaded by psycopg's own
  loader for its type, from the same text the typed path would get.

Only a query that ``COPY (...)`` takes as it is (SELECT, WITH, VALUES or TABLE, with no `;` but
trailing ones and nothing that writes) is read so; another statement is read by the typed path.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..arrowed import ArrowColumn

NUMERIC_OID = 1700
_INTEGERS = {20, 21, 23, 26}  # int8, int2, int4, oid
_FLOATS = {700, 701}
_TEXTS = {25, 1043, 1042, 19, 2950}  # text, varchar, bpchar, name; uuid (loaded as text on Seamline's connections)
BOOL, DATE, TIMESTAMP, TIMESTAMPTZ = 16, 1082, 1114, 1184
# A block is read up to `batch` rows or this many bytes of CSV text, whichever comes first.
MOST_BYTES = 32 << 20

_QUERY = re.compile(r"\s*(?:(?:--[^\n]*(?:\n|$)|/\*(?:[^*]|\*(?!/))*\*/)\s*)*\(*\s*(SELECT|WITH|VALUES|TABLE)\b", re.I)
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|INTO)\b", re.I)


def copyable(sql: str) -> str | None:
    """The query `COPY (...)` reads as `sql` is (trailing `;` left out), or None for another statement."""
    body = sql.rstrip()
    while body.endswith(";"):
        body = body[:-1].rstrip()
    if ";" in body or not _QUERY.match(body) or _WRITES.search(body):
        return None
    return body


@dataclass
class _Column:
    arrow: Any  # the pyarrow type the CSV reader parses the column as
    load: Callable[[Any], Any]  # psycopg's loader of the column's type: a value from its text
    finish: Callable[[Any], Any] | None = None  # what turns a parsed value into the typed path's (not None)

    def values(self, parsed: Any) -> Sequence[Any]:
        """The column's values: kept in pyarrow (a list when asked), or made now when they need finishing
        (so that what psycopg's loader raises, it raises as the rows are read)."""
        if self.finish is None:
            return ArrowColumn(parsed)
        finish = self.finish
        return [None if value is None else finish(value) for value in parsed.to_pylist()]

    def unparsed(self) -> _Column:
        """The column read as its text, each value loaded by psycopg (a text column stays text)."""
        import pyarrow as pa

        return self if pa.types.is_string(self.arrow) else _Column(pa.binary(), self.load, self.load)


def blocks(cursor: Any, query: str, params: Any, batch: int) -> Generator[tuple[Any, ...], None, None]:
    """The rows of `query` (from `copyable`) as blocks of up to `batch` rows: (names, [], columns, loaders).

    `params` (or None) are merged into the query on the client, as psycopg's COPY does."""
    import psycopg
    from psycopg import pq
    from psycopg.types.string import TextLoader

    connection = cursor.connection
    if params is not None:
        query = psycopg.ClientCursor(connection).mogrify(query, params)
    cursor.adapters.register_loader("numeric", TextLoader)  # as the typed path: NUMERIC as its text
    names, oids = _described(connection, query)
    transformer = psycopg.adapt.Transformer(cursor)
    parse = _Parser(_plan(oids, connection.info, lambda oid: transformer.get_loader(oid, pq.Format.TEXT).load))
    loaders = [Decimal if oid == NUMERIC_OID else None for oid in oids]
    with cursor.copy(f"COPY (\n{query}\n) TO STDOUT (FORMAT csv)"):
        ended = False
        while not ended:
            text, rows, ended = connection.wait(_read_rows(connection.pgconn, batch, connection.info.encoding))
            if not rows:
                continue
            if not names:  # a query of no columns: each row an empty line
                yield names, [()] * rows, None, None
            else:
                yield names, [], parse(text), loaders if any(loaders) else None


def _described(connection: Any, query: str) -> tuple[list[str], list[int]]:
    """The names and type OIDs of the columns `query` returns, as the server describes the query prepared
    (not run): it fails, if it does, as the query itself would."""
    from psycopg import errors, pq
    from psycopg.generators import execute

    pgconn, encoding = connection.pgconn, connection.info.encoding

    def results() -> list[Any]:
        found = connection.wait(execute(pgconn))
        for result in found:
            if result.status != pq.ExecStatus.COMMAND_OK:
                raise errors.error_from_result(result, encoding=encoding)
        return list(found)

    pgconn.send_prepare(b"", query.encode(encoding))  # the unnamed statement, as psycopg's own queries use
    results()
    pgconn.send_describe_prepared(b"")
    (described,) = results()
    fields = range(described.nfields)
    return [described.fname(at).decode(encoding) for at in fields], [described.ftype(at) for at in fields]


def _plan(oids: Sequence[int], info: Any, loader_of: Callable[[int], Callable[[Any], Any]]) -> list[_Column]:
    import pyarrow as pa

    iso = (info.parameter_status("DateStyle") or "").startswith("ISO")
    utf8 = info.encoding == "utf-8"
    zone = info.timezone
    plan = []
    for oid in oids:
        load = loader_of(oid)
        if oid in _INTEGERS:
            plan.append(_Column(pa.int64(), load))
        elif oid in _FLOATS:
            plan.append(_Column(pa.float64(), load))
        elif oid == BOOL:
            plan.append(_Column(pa.bool_(), load))
        elif (oid in _TEXTS or oid == NUMERIC_OID) and utf8:
            plan.append(_Column(pa.string(), load))
        elif oid == DATE and iso:
            plan.append(_Column(pa.date32(), load))
        elif oid == TIMESTAMP and iso:
            plan.append(_Column(pa.timestamp("us"), load))
        elif oid == TIMESTAMPTZ and iso:  # read in UTC, handed over in the session's zone as psycopg does
            plan.append(_Column(pa.timestamp("us", tz="UTC"), load, operator.methodcaller("astimezone", zone)))
        else:
            plan.append(_Column(pa.binary(), load, load))
    return plan


class _Parser:
    """CSV rows (COPY's, one bytes-like a row) to the typed path's columns of values."""

    def __init__(self, columns: list[_Column]):
        self.columns = columns
        self.unparsed = [column.unparsed() for column in columns]
        self.positions = [str(index) for index in range(len(columns))]

    def __call__(self, data: bytearray) -> list[Sequence[Any]]:
        import pyarrow as pa

        columns = self.columns
        try:
            table = self._read(data, columns)
            return [column.values(parsed) for column, parsed in zip(columns, table.columns, strict=True)]
        except (pa.ArrowInvalid, OverflowError):  # a value pyarrow does not read as its type, or a zone
            # moves past year 9999: psycopg loads this block's values as the typed path does
            columns = self.unparsed
            table = self._read(data, columns)
            return [column.values(parsed) for column, parsed in zip(columns, table.columns, strict=True)]

    def _read(self, data: bytearray, columns: list[_Column]) -> Any:
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        return pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=self.positions, block_size=len(data) + 1, use_threads=False),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: column.arrow for name, column in zip(self.positions, columns, strict=True)},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                true_values=["t"],
                false_values=["f"],
            ),
        )


def _read_rows(pgconn: Any, batch: int, encoding: str) -> Any:
    """A psycopg generator (run by `connection.wait`, which waits on the socket without the GIL): the
    next rows of the COPY, up to `batch` or MOST_BYTES, and whether the COPY ended (its result read)."""
    from psycopg import errors, pq
    from psycopg.generators import fetch_many
    from psycopg.waiting import Wait

    text = bytearray()  # the rows' CSV text (no object kept per row: nothing for the cycle collector to walk)
    rows = size = 0
    get = pgconn.get_copy_data
    while True:
        nbytes, data = get(1)
        if nbytes > 0:
            text += data
            rows += 1
            size += nbytes
            if rows >= batch or size >= MOST_BYTES:
                return text, rows, False
        elif nbytes == 0:  # nothing buffered: wait for the socket
            while not (yield Wait.R):
                continue
            pgconn.consume_input()
        else:  # the COPY's end: its result says whether it succeeded
            for result in (yield from fetch_many(pgconn)):
                if result.status != pq.ExecStatus.COMMAND_OK:
                    raise errors.error_from_result(result, encoding=encoding)
            return text, rows, True
