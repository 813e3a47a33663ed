"""Reconcile on rows streamed from SQLite, PostgreSQL and MariaDB: blocks of tuples, or of columns
(PostgreSQL's COPY; NUMERIC as text) find exactly what the same rows read as dicts of typed values find,
against a CSV file.

Each test works in its own uniquely named table and drops it: other engineers share the servers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from Seamline.engine import arrowed
from Seamline.engine.database import sql
from Seamline.engine.database.sql import Database, open_database
from Seamline.engine.reconcile.batches import Block, Blocks
from Seamline.engine.reconcile.diff import reconcile
from Seamline.engine.reconcile.options import build_options
from Seamline.engine.reconcile.sources import local_blocks

ROWS = 700


@pytest.fixture(params=["sqlite", "postgresql", "postgresql, without pyarrow", "postgresql, libpq before 17", "mysql"])
def database(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/stream.db"
    else:
        url = request.getfixturevalue("mariadb_url" if request.param == "mysql" else "postgres_url")
    if request.param == "postgresql" and not arrowed.available():
        pytest.skip("pyarrow is not installed: PostgreSQL's rows are read as tuples, not by COPY")
    if "before 17" in request.param or "without pyarrow" in request.param:  # tuples rather than COPY
        monkeypatch.setattr(arrowed, "available", lambda: False)
    if "before 17" in request.param:  # a server-side cursor rather than chunks of rows
        monkeypatch.setattr(sql, "CHUNKED_LIBPQ", 10**9)
    found = open_database(url, timeout=30)
    yield found
    found.close()


def _table(database: Database) -> str:
    table = f"rc_stream_{uuid.uuid4().hex[:10]}"
    database.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, customer VARCHAR(40), amount NUMERIC(12, 2))")
    rows = [(i, f"customer {i % 37}", None if i % 97 == 0 else f"{i % 500}.{i % 100:02d}") for i in range(ROWS)]
    for start in range(0, ROWS, 100):
        chunk = rows[start : start + 100]
        marks = ", ".join(["(?, ?, ?)"] * len(chunk))
        database.execute(f"INSERT INTO {table} VALUES {marks}", [value for row in chunk for value in row])
    return table


def _csv(path: Path, database: Database, table: str) -> None:
    """The table's rows as a CSV file, with a changed amount, a changed name, a missing row and a new one."""
    lines = ["id,customer,amount"]
    for row in database.query(f"SELECT id, customer, amount FROM {table} ORDER BY id"):
        amount = "" if row["amount"] is None else str(row["amount"])
        if row["id"] == 17:
            amount = "999.99"
        if row["id"] != 250:
            name = '"someone, else"' if row["id"] == 401 else row["customer"]
            lines.append(f"{row['id']},{name},{amount}")
    lines.append("9999,new,1.00")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _comparable(result) -> dict:
    found = result.to_dict()
    for kind in ("missing_left", "missing_right", "duplicates_left", "duplicates_right", "mismatches"):
        found[kind] = sorted(map(repr, found[kind]))
    return found


@pytest.mark.parametrize("batch", [64, 16384])
def test_streamed_rows_find_what_rows_read_whole_find(database: Database, tmp_path: Path, batch: int) -> None:
    table = _table(database)
    try:
        path = tmp_path / "export.csv"
        _csv(path, database, table)
        query = f"SELECT id, customer, amount FROM {table} ORDER BY id"
        options = build_options("id")
        streamed = database.stream(
            query, (), lambda blocks: reconcile(Blocks(blocks), local_blocks(str(path), "csv"), options), batch=batch
        )
        whole = reconcile(database.query(query), local_blocks(str(path), "csv"), options)
        assert _comparable(streamed) == _comparable(whole)
        assert (streamed.matched, streamed.mismatched_rows) == (ROWS - 1 - 2 - ROWS // 97 - 1, 2 + ROWS // 97 + 1)
        assert streamed.missing_right == [{"id": 250}] and streamed.missing_left == [{"id": "9999"}]
        amount = next(m for m in streamed.mismatches if m.key == {"id": 17})
        assert amount.field == "amount" and amount.right == "999.99"
        if database.dialect != "sqlite":  # SQLite keeps NUMERIC(12, 2) as a float
            assert amount.left == Decimal("17.17")
    finally:
        database.execute(f"DROP TABLE {table}")


def test_a_stream_left_unread_ends_its_statement_and_the_connection_goes_on(database: Database) -> None:
    table = _table(database)
    try:
        first = database.stream(
            f"SELECT id FROM {table} ORDER BY id", (), lambda blocks: Block(*next(blocks)).tuples()[0], batch=10
        )
        assert first == (0,)
        assert database.query(f"SELECT COUNT(*) AS n FROM {table}") == [{"n": ROWS}]
    finally:
        database.execute(f"DROP TABLE {table}")
