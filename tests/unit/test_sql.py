"""engine.sql without a server: URLs, identifiers and placeholder translation."""

from __future__ import annotations

import sqlite3

import pytest

from Seamline.engine.database.placeholders import translate_placeholders
from Seamline.engine.database.sql import open_database, quote_identifier
from Seamline.engine.database.urls import parse_url
from Seamline.engine.errors import SeamError


def test_postgresql_url_parts_and_masked_display():
    url = parse_url("postgresql+psycopg://app:s%40cret@db.example:6543/orders?sslmode=disable")
    assert (url.dialect, url.host, url.port, url.user, url.password, url.database) == (
        "postgresql",
        "db.example",
        6543,
        "app",
        "s@cret",
        "orders",
    )
    assert url.options == {"sslmode": "disable"}
    assert "cret" not in url.display
    assert url.display == "postgresql+psycopg://app:***@db.example:6543/orders?sslmode=disable"


def test_mariadb_scheme_is_mysql_dialect():
    assert parse_url("mariadb://root@127.0.0.1/test").dialect == "mysql"


@pytest.mark.parametrize(
    ("url", "path"),
    [("sqlite:///relative.db", "relative.db"), ("sqlite:////tmp/abs.db", "/tmp/abs.db"), ("sqlite://", ":memory:")],
)
def test_sqlite_paths_follow_sqlalchemy_convention(url, path):
    assert parse_url(url).database == path


def test_unsupported_scheme_fails_with_masked_url():
    with pytest.raises(SeamError, match=r"unsupported database URL 'oracle://u:\*\*\*@h/db'") as raised:
        parse_url("oracle://u:topsecret@h/db")
    assert "topsecret" not in str(raised.value)


def test_identifiers_are_quoted_per_dialect_and_injection_refused():
    assert quote_identifier("orders", "postgresql") == '"orders"'
    assert quote_identifier("app.orders", "mysql") == "`app`.`orders`"
    assert quote_identifier("orders", "sqlite") == "`orders`"
    with pytest.raises(SeamError, match="not a valid table or column name"):
        quote_identifier("orders; DROP TABLE x", "sqlite")


@pytest.mark.parametrize(
    ("sql", "named", "expected"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", False, "SELECT * FROM t WHERE a = %s AND b = %s"),
        ("SELECT '?', \"?\" FROM t WHERE a = ?", False, "SELECT '?', \"?\" FROM t WHERE a = %s"),
        ("SELECT '50%' FROM t WHERE a LIKE ?", False, "SELECT '50%%' FROM t WHERE a LIKE %s"),
        ("SELECT x::text FROM t WHERE a = :a -- :b?", True, "SELECT x::text FROM t WHERE a = %(a)s -- :b?"),
        ("SELECT ':a' /* :a */ FROM t WHERE a = :a", True, "SELECT ':a' /* :a */ FROM t WHERE a = %(a)s"),
        ("SELECT $$?$$ WHERE a = ?", False, "SELECT $$?$$ WHERE a = %s"),
    ],
)
def test_placeholders_translate_outside_literals_and_comments(sql, named, expected):
    assert translate_placeholders(sql, "postgresql", named) == expected


def test_mysql_backslash_escapes_and_backticks_are_literals():
    sql = r"SELECT 'it\'s ?', `a?` FROM t WHERE a = ?"
    assert translate_placeholders(sql, "mysql", False) == r"SELECT 'it\'s ?', `a?` FROM t WHERE a = %s"


def test_sqlite_sql_goes_to_the_driver_unchanged():
    sql = "SELECT '50%' WHERE a = ?"
    assert translate_placeholders(sql, "sqlite", False) is sql


def test_sqlite_database_queries_plain_rows(tmp_path):
    db = open_database(f"sqlite:///{tmp_path}/t.db", timeout=2)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    assert db.execute("INSERT INTO t VALUES (?, ?), (2, 'b')", [1, "a"]) == 2
    assert db.query("SELECT * FROM t WHERE id = :id", {"id": 1}) == [{"id": 1, "name": "a"}]
    assert db.columns("t") == ["id", "name"]
    # autocommit: another connection sees the rows at once
    assert sqlite3.connect(f"{tmp_path}/t.db").execute("SELECT count(*) FROM t").fetchone() == (2,)
    db.close()


def test_sqlite_runaway_statement_stops_at_timeout_and_connection_stays_usable():
    db = open_database("sqlite:///:memory:", timeout=0.3)
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    with pytest.raises(SeamError, match=r"statement did not finish within 0.3s on sqlite:///:memory:: interrupted"):
        db.query(endless)
    assert db.query("SELECT 1 AS ok") == [{"ok": 1}]


def test_sqlite_bad_sql_names_statement_and_parameters():
    db = open_database("sqlite:///:memory:")
    with pytest.raises(SeamError) as raised:
        db.query("SELECT * FROM missing WHERE id = ?", [7])
    assert str(raised.value) == (
        "SQL: statement failed on sqlite:///:memory:: no such table: missing\n"
        "Statement: SELECT * FROM missing WHERE id = ?\nParameters: [7]"
    )
