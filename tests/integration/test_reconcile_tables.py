"""Reconcile Tables on SQLite, PostgreSQL and MariaDB, each pairing: checksums in each database agree
on equal rows whatever the driver's types, and differences come back row by row with their key.

Each test works in its own uniquely named tables and drops them: other engineers share the servers.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from Seamline.engine.database.sql import Database, open_database
from Seamline.engine.reconcile import tables
from Seamline.engine.reconcile.options import build_options
from Seamline.engine.reconcile.tables import Side, reconcile_tables

ROWS = 600
TIMESTAMP = {"sqlite": "TIMESTAMP", "postgresql": "TIMESTAMP", "mysql": "DATETIME(6)"}
BOOLEAN = {"sqlite": "INTEGER", "postgresql": "BOOLEAN", "mysql": "BOOLEAN"}


@pytest.fixture
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Database]]:
    found = {"sqlite": open_database(f"sqlite:///{tmp_path}/reconcile.db", timeout=30)}
    for name, fixture in (("postgresql", "postgres_url"), ("mysql", "mariadb_url")):
        found[name] = open_database(request.getfixturevalue(fixture), timeout=30)
    yield found
    for database in found.values():
        database.close()


def _fill(database: Database, table: str, order_key: str) -> None:
    dialect = database.dialect
    database.execute(
        f"CREATE TABLE {table} (region VARCHAR(8), id INTEGER, customer VARCHAR(40), amount NUMERIC(12, 2), "
        f"paid {BOOLEAN[dialect]}, at {TIMESTAMP[dialect]}, day DATE, note VARCHAR(20), PRIMARY KEY ({order_key}))"
    )
    rows = [
        (f"r{i % 3}", i, f"Cüstomer {i % 37}", f"{i % 500}.{i % 100:02d}", i % 2 == 0,
         f"2026-11-{1 + i % 28:02d} 10:{i % 60:02d}:00.250", f"2026-12-{1 + i % 28:02d}", None if i % 5 else "n")
        for i in range(ROWS)
    ]  # fmt: skip
    for start in range(0, ROWS, 200):
        chunk = rows[start : start + 200]
        marks = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
        database.execute(f"INSERT INTO {table} VALUES {marks}", [value for row in chunk for value in row])


def _tamper(database: Database, table: str) -> None:
    database.execute(f"UPDATE {table} SET amount = amount + 1 WHERE id = 17")
    database.execute(f"UPDATE {table} SET customer = 'someone else' WHERE id = 401")
    database.execute(f"DELETE FROM {table} WHERE id = 250")
    database.execute(
        f"INSERT INTO {table} (region, id, customer, amount, paid) VALUES ('r9', 9999, 'new', 1, ?)", [True]
    )


@pytest.mark.parametrize("key", ["id", "region,id"])
def test_every_pairing_finds_exactly_the_tampered_rows(databases: dict[str, Database], key: str) -> None:
    table = f"rc_{uuid.uuid4().hex[:8]}"
    names = {name: f"{table}_{name[:2]}" for name in databases}
    try:
        for name, database in databases.items():
            _fill(database, names[name], key)
        for (left_name, left_db), (right_name, right_db) in itertools.permutations(databases.items(), 2):
            options = build_options(key, name=f"{left_name} vs {right_name}")
            same, stats = reconcile_tables(Side(left_db, names[left_name]), Side(right_db, names[right_name]), options)
            assert same.consistent and same.matched == ROWS, same.summary()
            assert stats.rows_read == 0, f"{left_name} vs {right_name}: equal tables hashed differently"
            assert stats.hashing == "md5"
        _tamper(databases["mysql"], names["mysql"])
        result, stats = reconcile_tables(
            Side(databases["postgresql"], names["postgresql"]),
            Side(databases["mysql"], names["mysql"]),
            build_options(key),
        )
        assert [(m.key["id"], m.field) for m in result.mismatches] == [(17, "amount"), (401, "customer")]
        assert [k["id"] for k in result.missing_right] == [250] and [k["id"] for k in result.missing_left] == [9999]
        assert (result.left_rows, result.right_rows, result.matched) == (ROWS, ROWS, ROWS - 3)
        assert stats.rows_read <= 4 * 64 * 2  # both sides of the four differing segments (64 keys each), no more
    finally:
        for name, database in databases.items():
            database.execute(f"DROP TABLE IF EXISTS {names[name]}")


def test_two_queries_and_a_where_clause(databases: dict[str, Database]) -> None:
    table = f"rc_{uuid.uuid4().hex[:8]}"
    try:
        _fill(databases["postgresql"], table, "id")
        _fill(databases["sqlite"], table, "id")
        databases["sqlite"].execute(f"UPDATE {table} SET amount = 0 WHERE id = 3")
        left = Side(databases["postgresql"], f"SELECT id, amount FROM {table}", where="id < 100")
        right = Side(databases["sqlite"], f"SELECT id, amount FROM {table}", where="id < 100")
        result, _ = reconcile_tables(left, right, build_options("id"))
        assert (result.left_rows, [m.to_dict()["key"] for m in result.mismatches]) == (100, [{"id": 3}])
    finally:
        databases["postgresql"].execute(f"DROP TABLE IF EXISTS {table}")


def test_two_postgresql_tables_agree_by_postgresql_s_own_hash(
    databases: dict[str, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tables, "READ_RANGES", 1)  # each differing range read and diffed on its own
    database, table = databases["postgresql"], f"rc_{uuid.uuid4().hex[:8]}"
    try:
        for name in (f"{table}_a", f"{table}_b"):
            _fill(database, name, "id")
        same, stats = reconcile_tables(Side(database, f"{table}_a"), Side(database, f"{table}_b"), build_options("id"))
        assert same.consistent and same.matched == ROWS and stats.rows_read == 0, same.summary()
        assert stats.hashing == "record"  # the same column types: the rows themselves are hashed
        bigint_ids = Side(database, f"SELECT id::bigint AS id, amount FROM {table}_b")  # integer vs bigint
        same, stats = reconcile_tables(Side(database, f"{table}_a"), bigint_ids, build_options("id", fields="amount"))
        assert same.consistent and stats.rows_read == 0 and stats.hashing == "postgresql", same.summary()
        _tamper(database, f"{table}_b")
        result, _ = reconcile_tables(Side(database, f"{table}_a"), Side(database, f"{table}_b"), build_options("id"))
        assert [(m.key["id"], m.field) for m in result.mismatches] == [(17, "amount"), (401, "customer")]
        assert [k["id"] for k in result.missing_right] == [250] and [k["id"] for k in result.missing_left] == [9999]
    finally:
        for name in (f"{table}_a", f"{table}_b"):
            database.execute(f"DROP TABLE IF EXISTS {name}")


def test_postgresql_s_hashes_tell_text_apart_whatever_the_column_s_collation(databases: dict[str, Database]) -> None:
    """A case-insensitive collation makes 'Ann' = 'ANN' in PostgreSQL (and hashes them alike): the rule does not."""
    database, name = databases["postgresql"], f"rc_{uuid.uuid4().hex[:8]}"
    try:
        database.execute(
            f"CREATE COLLATION {name}_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
        )
        for table, customer in ((f"{name}_a", "Ann"), (f"{name}_b", "ANN")):
            database.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, customer TEXT COLLATE {name}_ci)")
            database.execute(
                f"INSERT INTO {table} SELECT g, CASE WHEN g = 7 THEN ? ELSE 'x' END FROM generate_series(1, 100) g",
                [customer],
            )
        for source in (f"{name}_b", f"SELECT id::bigint AS id, customer FROM {name}_b"):  # RECORD, then POSTGRESQL
            result, stats = reconcile_tables(Side(database, f"{name}_a"), Side(database, source), build_options("id"))
            assert [(m.key, m.left, m.right) for m in result.mismatches] == [({"id": 7}, "Ann", "ANN")], stats.hashing
    finally:
        database.execute(f"DROP TABLE IF EXISTS {name}_a")
        database.execute(f"DROP TABLE IF EXISTS {name}_b")
        database.execute(f"DROP COLLATION IF EXISTS {name}_ci")
