"""The canonical text of a row, computed inside each database, and its hash: what `tables` sums per segment.

PostgreSQL and MariaDB compute each value's canonical text (see `canonical`) in SQL, join a row's
values with ``|``, and hash it: the first 15 hex digits of its MD5, a 60-bit integer. Two PostgreSQL
sides hash the same text with PostgreSQL's own 64-bit ``hashtextextended`` instead, a third of the
cost, and when their columns have the same types (of those in RECORD_TYPES, PostgreSQL 14 or later)
they hash the rows themselves with ``hash_record_extended``: no text at all. Were two servers to
hash differently, equal segments would only look different: their rows would be read and diffed,
never a wrong result. A segment's checksum is its row count and the sum
of its rows' hashes (exact: NUMERIC/DECIMAL sums), so it does not depend on the order rows are read
in. SQLite runs in this process: its rows are read and hashed here with the same canonical text.
Which SQL expression gives a column's text depends on the Python type its driver returns for it
(`kind`), found from a few sample rows of each side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..database.sql import quote_identifier
from .canonical import NULL_TEXT, canonical_text, key_text

SEPARATOR = "|"
# How rows are hashed: MD5 of the canonical text everywhere; PostgreSQL's own hash of that text; or
# PostgreSQL's hash of the row itself, when both sides' columns have one PostgreSQL type each.
MD5, POSTGRESQL, RECORD = "md5", "postgresql", "record"
# PostgreSQL types whose hash follows their equality, which implies the one rule's (1.50 = 1.5).
RECORD_TYPES = frozenset({
    "smallint", "integer", "bigint", "numeric", "real", "double precision", "boolean", "text", "character varying",
    "timestamp without time zone", "timestamp with time zone", "date", "bytea", "uuid",
})  # fmt: skip
TEXT_TYPES = frozenset({"text", "character varying"})
_PG_TIMESTAMP = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS'"
_MY_TIMESTAMP = "CONCAT(DATE_FORMAT({c}, '%Y-%m-%dT%H:%i:%s.'), LEFT(DATE_FORMAT({c}, '%f'), 3))"


def kind_of(values: Sequence[Any]) -> str:
    """What the driver returns for a column: int, decimal, float, bool, timestamp, timestamptz, date, bytes, text."""
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, int):
            return "int"
        if isinstance(value, Decimal):
            return "decimal"
        if isinstance(value, float):
            return "float"
        if isinstance(value, datetime):
            return "timestamptz" if value.tzinfo else "timestamp"
        if isinstance(value, date):
            return "date"
        if isinstance(value, (bytes, bytearray, memoryview)):
            return "bytes"
        return "text"
    return "unknown"


def value_sql(column: str, kind: str, dialect: str) -> str:
    """The SQL of a column's canonical text (NULL as ``\\N``) on `dialect` (postgresql or mysql)."""
    c = quote_identifier(column, dialect)
    if dialect == "postgresql":
        expression = {
            "decimal": f"CAST(TRIM_SCALE({c}) AS TEXT)",
            "bool": f"CASE WHEN {c} THEN '1' ELSE '0' END",
            "timestamp": f"TO_CHAR({c}, {_PG_TIMESTAMP})",
            "timestamptz": f"TO_CHAR({c} AT TIME ZONE 'UTC', {_PG_TIMESTAMP})",
            "date": f"TO_CHAR({c}, 'YYYY-MM-DD')",
            "bytes": f"ENCODE({c}, 'hex')",
        }.get(kind, f"CAST({c} AS TEXT)")
    else:
        text = f"CAST({c} AS CHAR)"
        expression = {
            "decimal": f"CASE WHEN {text} LIKE '%.%' THEN TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM {text})) "
            f"ELSE {text} END",
            "timestamp": _MY_TIMESTAMP.format(c=c),
            "timestamptz": _MY_TIMESTAMP.format(c=c),
            "date": f"DATE_FORMAT({c}, '%Y-%m-%d')",
            "bytes": f"LOWER(HEX({c}))",
        }.get(kind, text)
    null = NULL_TEXT.replace("\\", "\\\\") if dialect == "mysql" else NULL_TEXT  # MariaDB reads \ in literals
    return f"COALESCE({expression}, '{null}')"


def row_hash_sql(
    columns: Sequence[str], kinds: Mapping[str, str], dialect: str, hashing: str = MD5, texts: Collection[str] = ()
) -> str:
    """The SQL of a row's hash over `columns` (keys first): 60 bits of MD5; with `hashing` POSTGRESQL
    (both sides PostgreSQL) its own 64-bit text hash, a third of MD5's cost; with RECORD (and the same
    column types on both sides; `texts` are the text columns) its hash of the row's values, without
    the canonical text: a tenth. PostgreSQL's hashes compare text in the "C" collation: a column's own
    collation may be one that hashes 'Ann' and 'ANN' alike."""
    if hashing == RECORD:
        values = [quote_identifier(column, dialect) + (' COLLATE "C"' if column in texts else "") for column in columns]
        return f"HASH_RECORD_EXTENDED(ROW({', '.join(values)}), 0)"
    parts = f", '{SEPARATOR}', ".join(value_sql(column, kinds[column], dialect) for column in columns)
    text = f"CONCAT({parts})"
    if hashing == POSTGRESQL:
        return f'HASHTEXTEXTENDED({text} COLLATE "C", 0)'
    if dialect == "postgresql":
        return f"('x' || SUBSTR(MD5({text}), 1, 15))::BIT(60)::BIGINT"
    return f"CAST(CONV(SUBSTR(MD5({text}), 1, 15), 16, 10) AS UNSIGNED)"


def row_hash(values: Sequence[Any], other_kinds: Sequence[str]) -> int:
    """A row's hash computed here (SQLite): text that the other side keeps as a timestamp is read as one."""
    texts = []
    for value, other in zip(values, other_kinds, strict=True):
        if type(value) is str and other in ("timestamp", "timestamptz"):
            texts.append(key_text(value))
        else:
            texts.append(canonical_text(value))
    digest = hashlib.md5(SEPARATOR.join(texts).encode("utf-8"), usedforsecurity=False).hexdigest()
    return int(digest[:15], 16)
