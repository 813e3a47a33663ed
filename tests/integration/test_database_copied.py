"""PostgreSQL queries streamed by COPY and parsed by pyarrow (`copied`) hand over exactly the values the
typed path (psycopg's rows) hands over: NULL apart from an empty text, NUMERIC as its text, timestamps
with their zone in the session's zone, booleans, text with commas, quotes and line ends, and the types
pyarrow does not read; and the connection's deadline holds for the COPY as for any statement.

Each test works in its own uniquely named table and drops it: other engineers share the servers.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hostile import Forwarder

from Seamline.engine import arrowed
from Seamline.engine.database.sql import Database, open_database
from Seamline.engine.errors import SeamError
from Seamline.engine.reconcile.batches import Block, Blocks
from Seamline.engine.reconcile.diff import reconcile
from Seamline.engine.reconcile.options import build_options
from Seamline.engine.reconcile.sources import local_blocks

pytest.importorskip("pyarrow")

MARGIN = 1.5  # what a deadline may overrun by: the client's grace, a busy machine

COLUMNS = (
    "id INTEGER PRIMARY KEY, t TEXT, v VARCHAR(20), c CHAR(3), n NUMERIC(12, 2), nn NUMERIC, f FLOAT8, r REAL, "
    "b BOOLEAN, d DATE, ts TIMESTAMP, tz TIMESTAMPTZ, big BIGINT, j JSONB, by BYTEA, iv INTERVAL, u UUID, "
    "arr INTEGER[]"
)
# Each row sets a few columns (the others are NULL): values pyarrow reads, and values it leaves to psycopg.
ROWS = [
    "t, v, c", "'', '', ''",
    "t", "'a,b'",
    "t", "'say \"hi\", twice \"\"'",
    "t", "E'two\\nlines'",
    "t", "E'carriage\\r\\nreturn\\r'",
    "t", "'\\N'",
    "t", "'\\.'",
    "t", "' lead, é, ✓ '",
    "n, nn", "-1.50, 'NaN'",
    "n, nn", "12345.67, 0.00000000000000000001",
    "f, r", "1.1, 1.1",
    "f, r", "'NaN', 'Infinity'",
    "f", "'-Infinity'",
    "f", "'-0'",
    "f", "5e-324",
    "b", "TRUE",
    "b", "FALSE",
    "d, ts", "'2026-11-01', '2026-11-01 00:00:01.5'",
    "ts", "'1999-12-31 23:59:59.999999'",
    "tz", "'2026-11-01 00:00:01.123456+00'",
    "tz", "'2026-06-30 23:30:00-09:30'",
    "tz", "'1890-01-01 00:00:00+00'",  # before zones were whole minutes: an offset in seconds in some zones
    "big", "9223372036854775807",
    "j, by, iv, u, arr", "'{\"a\": [1, 2.5, null]}', '\\x00ff0a', '1 day 02:03:04.5', "
    "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,NULL,3}'",
    "j", "'\"text\"'",
    "t", "NULL",
]  # fmt: skip


@pytest.fixture
def postgres(postgres_url: str) -> Iterator[str]:
    """A table of every kind of value, its name; dropped afterwards."""
    database = open_database(postgres_url, timeout=30)
    table = f"copied_{uuid.uuid4().hex[:10]}"
    database.execute(f"CREATE TABLE {table} ({COLUMNS})")
    for number, (names, values) in enumerate(zip(ROWS[::2], ROWS[1::2], strict=True)):
        database.execute(f"INSERT INTO {table} (id, {names}) VALUES ({number}, {values})")
    try:
        yield table
    finally:
        database.execute(f"DROP TABLE {table}")
        database.close()


def _streamed(database: Database, sql: str, batch: int = 16384) -> tuple[list[str], list[tuple[Any, ...]], bool]:
    """The names and rows `stream` hands over, and whether they came by column (COPY's blocks)."""
    found: list[tuple[Any, ...]] = []
    names: list[str] = []
    by_column = False

    def read(blocks: Iterator[Any]) -> None:
        nonlocal names, by_column
        for block in blocks:
            names = list(block[0])
            by_column = by_column or block[2] is not None
            found.extend(Block(*block).tuples())

    database.stream(sql, (), read, batch=batch)
    return names, found, by_column


def _typed(database: Database, sql: str, monkeypatch: pytest.MonkeyPatch, batch: int = 16384) -> tuple:
    with monkeypatch.context() as patch:
        patch.setattr(arrowed, "available", lambda: False)
        return _streamed(database, sql, batch)


def _shown(rows: list[tuple[Any, ...]]) -> list[list[str]]:
    """Each value's type and repr: equal values of other types (or zones) differ here."""
    return [[f"{type(value).__name__} {value!r}" for value in row] for row in rows]


@pytest.mark.parametrize(
    "session",
    ["", "-c TimeZone=Asia/Kolkata", "-c TimeZone=America/St_Johns -c DateStyle=German,DMY"],  # psycopg reads no
    # timestamptz in German: that column is left out there
    ids=["default", "a zone of half hours", "another DateStyle"],
)
@pytest.mark.parametrize("batch", [3, 16384])
def test_copied_rows_are_the_typed_path_s_rows(
    postgres: str, postgres_url: str, session: str, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres_url + (
        f"{'&' if '?' in postgres_url else '?'}options={session.replace(' ', '%20')}" if session else ""
    )
    database = open_database(url, timeout=30)
    try:
        columns = "*" if "German" not in session else "id, t, n, f, b, d, ts, j, by, iv, u, arr"
        sql = f"SELECT {columns} FROM {postgres} ORDER BY id"
        names, rows, by_column = _streamed(database, sql, batch)
        typed_names, typed_rows, typed_by_column = _typed(database, sql, monkeypatch, batch)
        assert by_column and not typed_by_column
        assert names == typed_names
        assert len(rows) == len(ROWS) // 2
        assert _shown(rows) == _shown(typed_rows)
    finally:
        database.close()


def test_null_an_empty_text_and_numbers_keep_apart(postgres: str, postgres_url: str) -> None:
    database = open_database(postgres_url, timeout=30)
    try:
        _, rows, _ = _streamed(database, f"SELECT id, t, n, b, tz FROM {postgres} WHERE id IN (0, 8, 15, 19, 25)")
        by_id = {row[0]: row[1:] for row in rows}
        assert by_id[0][0] == "" and by_id[25][0] is None
        assert by_id[8][1] == Decimal("-1.50")
        assert by_id[15][2] is True and by_id[0][2] is None
        assert by_id[19][3].isoformat() == "2026-11-01T00:00:01.123456+00:00"
    finally:
        database.close()


@pytest.mark.parametrize("pyarrow", [True, False], ids=["COPY", "typed rows"])
def test_a_null_is_no_empty_field_of_a_csv_file(
    tmp_path: Path, postgres_url: str, pyarrow: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not pyarrow:
        monkeypatch.setattr(arrowed, "available", lambda: False)
    path = tmp_path / "export.csv"
    path.write_text('id,name,amount\n1,,1.50\n2,,\n3,"a, ""b""\nc",2\n', encoding="utf-8")
    database = open_database(postgres_url, timeout=30)
    try:
        sql = "SELECT * FROM (VALUES (1, '', 1.5), (2, NULL, NULL), (3, E'a, \"b\"\\nc', 2.00)) AS v(id, name, amount)"
        result = database.stream(
            sql, (), lambda blocks: reconcile(Blocks(blocks), local_blocks(str(path), "csv"), build_options("id"))
        )
        assert (result.matched, result.mismatched_rows) == (2, 1)
        assert sorted((m.key["id"], m.field, m.left, m.right) for m in result.mismatches) == [
            (2, "amount", None, ""),
            (2, "name", None, ""),
        ]
    finally:
        database.close()


def test_statements_copy_does_not_take_are_read_as_rows(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    database = open_database(postgres_url, timeout=30)
    try:
        for sql in [
            "SELECT 1 AS a, 'x' AS a;",
            "SELECT 1 AS one -- a comment",
            "SHOW DateStyle",
            "VALUES (1.50, NULL)",
        ]:
            names, rows, _ = _streamed(database, sql)
            assert (names, _shown(rows)) == (lambda found: (found[0], _shown(found[1])))(
                _typed(database, sql, monkeypatch)
            ), sql
        assert _streamed(database, "SHOW DateStyle")[2] is False
        assert _streamed(database, "SELECT 1 AS a;")[2] is True
    finally:
        database.close()


def test_parameters_are_merged_into_the_copied_query(postgres: str, postgres_url: str) -> None:
    database = open_database(postgres_url, timeout=30)
    try:
        found = database.stream(
            f"SELECT id, t FROM {postgres} WHERE t = ? OR n = ? ORDER BY id",
            ["a,b", Decimal("-1.50")],
            lambda blocks: [row for block in blocks for row in Block(*block).tuples()],
        )
        assert found == [(1, "a,b"), (8, None)]
    finally:
        database.close()


def test_a_query_that_fails_says_why_as_the_typed_path_does(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    database = open_database(postgres_url, timeout=30)
    try:
        messages = []
        for sql in ["SELECT id\nFROM no_such_table", "SELECT no_such_column FROM pg_class", "SELECT 1 / 0 AS n"]:
            with pytest.raises(SeamError, match=r"^SQL: statement failed on ") as copied_error:
                database.stream(sql, (), list)
            with monkeypatch.context() as patch, pytest.raises(SeamError) as typed_error:
                patch.setattr(arrowed, "available", lambda: False)
                database.stream(sql, (), list)
            assert str(copied_error.value) == str(typed_error.value)
            messages.append(str(copied_error.value))
        assert 'relation "no_such_table" does not exist LINE 2: FROM no_such_table ^' in messages[0]
        assert database.query("SELECT 1 AS ok") == [{"ok": 1}]
    finally:
        database.close()


def test_a_copy_left_unread_ends_and_the_connection_goes_on(postgres_url: str) -> None:
    database = open_database(postgres_url, timeout=30)
    try:
        started = time.monotonic()
        first = database.stream(
            "SELECT g, repeat('x', 100) FROM generate_series(1, 20000000) g",
            (),
            lambda blocks: Block(*next(blocks)).tuples()[0],
            batch=1000,
        )
        assert first == (1, "x" * 100)
        assert time.monotonic() - started < 10  # not the 2 GB the query would send
        assert database.query("SELECT 1 AS ok") == [{"ok": 1}]
    finally:
        database.close()


def test_the_server_s_timeout_ends_a_copy_and_the_connection_goes_on(postgres_url: str) -> None:
    database = open_database(postgres_url, timeout=1)
    try:
        started = time.monotonic()
        with pytest.raises(SeamError, match=r"^SQL: statement did not finish within 1s on .*canceling statement"):
            database.stream("SELECT g, pg_sleep(0.001) FROM generate_series(1, 100000) g", (), _read_all)
        assert time.monotonic() - started < 1 + MARGIN
        assert database.query("SELECT 1 AS ok") == [{"ok": 1}]
    finally:
        database.close()


def test_a_frozen_link_ends_a_copy_mid_way_at_its_deadline(postgres_url: str) -> None:
    with Forwarder("127.0.0.1", 5432) as link:
        database = open_database(f"postgresql://postgres@{link.address}/test", timeout=2)
        read = []

        def freeze_after_a_block(blocks: Iterator[Any]) -> None:
            read.append(next(blocks))
            link.freeze()
            for block in blocks:
                read.append(block)

        started = time.monotonic()
        with pytest.raises(SeamError, match=r"^SQL: statement did not finish within 2s on .*no answer from the server"):
            database.stream(
                "SELECT g, repeat('x', 200) FROM generate_series(1, 2000000) g", (), freeze_after_a_block, batch=1000
            )
        assert time.monotonic() - started < 2 + MARGIN
        assert read and len(read) * 1000 < 2000000
        link.thaw()
        assert database.query("SELECT 1 AS ok") == [{"ok": 1}]  # a new connection: the frozen one was discarded
        database.close()


def _read_all(blocks: Iterator[Any]) -> int:
    return sum(len(Block(*block)) for block in blocks)
