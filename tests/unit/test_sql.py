"""engine.database without a server: URLs and driver options, identifiers, placeholders, drivers."""

from __future__ import annotations

import importlib
import sqlite3

import pytest

from Seamline.engine.database.drivers import driver_message
from Seamline.engine.database.placeholders import translate_placeholders
from Seamline.engine.database.sql import open_database, quote_identifier
from Seamline.engine.database.urls import MYSQL_OPTIONS, mysql_options, parse_url
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


@pytest.mark.parametrize(
    ("sql", "named", "expected"),
    [
        # The format drivers' own style goes to them as written: %% stays their literal percent, ? their operator.
        ("SELECT '50%%' FROM t WHERE a = %s", False, "SELECT '50%%' FROM t WHERE a = %s"),
        ("SELECT data ? 'k' FROM t WHERE a = %(a)s", True, "SELECT data ? 'k' FROM t WHERE a = %(a)s"),
    ],
)
def test_driver_style_goes_to_format_drivers_unchanged(sql, named, expected):
    assert translate_placeholders(sql, "postgresql", named) == expected
    assert translate_placeholders(sql, "mysql", named) == expected


@pytest.mark.parametrize(
    ("sql", "named", "expected"),
    [
        ("SELECT * FROM t WHERE a = %s AND b LIKE '5%%'", False, "SELECT * FROM t WHERE a = ? AND b LIKE '5%'"),
        ("SELECT * FROM t WHERE a = %(a)s OR b = %(a)s", True, "SELECT * FROM t WHERE a = :a OR b = :a"),
        ("SELECT '%s', \"%s\" FROM t WHERE a = %s -- %s", False, "SELECT '%s', \"%s\" FROM t WHERE a = ? -- %s"),
        ("SELECT 100 %% 7 WHERE a = %s", False, "SELECT 100 % 7 WHERE a = ?"),
    ],
)
def test_driver_style_becomes_sqlite_style_on_sqlite(sql, named, expected):
    assert translate_placeholders(sql, "sqlite", named) == expected


def test_positional_parameters_leave_named_placeholders_alone_and_back():
    assert translate_placeholders("SELECT :a WHERE b = ?", "postgresql", False) == "SELECT :a WHERE b = %s"
    assert translate_placeholders("SELECT ? WHERE b = :b", "postgresql", True) == "SELECT ? WHERE b = %(b)s"


def test_sqlite_binds_every_placeholder_style_and_an_injection_stays_a_value():
    db = open_database("sqlite:///:memory:")
    db.execute("CREATE TABLE t (id INTEGER, name TEXT)")
    db.execute("INSERT INTO t VALUES (%s, %s), (?, ?)", [1, "a%", 2, "b"])
    assert db.query("SELECT id FROM t WHERE name LIKE 'a%%' AND id = %s", [1]) == [{"id": 1}]
    assert db.query("SELECT id FROM t WHERE name = %(name)s", {"name": "b"}) == [{"id": 2}]
    assert db.query("SELECT id FROM t WHERE name = %s", ["b' OR '1'='1"]) == []
    assert db.query("SELECT count(*) AS n FROM t") == [{"n": 2}]


def test_mysql_url_options_become_typed_driver_arguments():
    url = parse_url("mysql://root@h/db?charset=latin1&read_timeout=2.5&ssl_disabled=true&max_allowed_packet=1024")
    assert mysql_options(url) == {
        "charset": "latin1",
        "read_timeout": 2.5,
        "ssl_disabled": True,
        "max_allowed_packet": 1024,
    }


def test_an_unknown_mysql_option_is_refused_listing_the_supported_ones():
    with pytest.raises(SeamError) as raised:
        mysql_options(parse_url("mysql://root:pw@h/db?bogus_option=1&charset=utf8"))
    url = "mysql://root:***@h/db?bogus_option=1&charset=utf8"
    supported = ", ".join(sorted(MYSQL_OPTIONS))
    assert str(raised.value) == f"SQL: unknown option bogus_option in {url}; the mysql driver takes: {supported}"


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        (
            "read_timeout=soon",
            "option read_timeout=soon in mysql://root@h/db?read_timeout=soon: "
            "'soon' is not a number of seconds above 0",
        ),
        (
            "connect_timeout=0",
            "option connect_timeout=0 in mysql://root@h/db?connect_timeout=0: '0' is not a number of seconds above 0",
        ),
        (
            "local_infile=maybe",
            "option local_infile=maybe in mysql://root@h/db?local_infile=maybe: 'maybe' is not true or false",
        ),
    ],
)
def test_a_mysql_option_of_the_wrong_type_is_refused(query, problem):
    with pytest.raises(SeamError) as raised:
        mysql_options(parse_url(f"mysql://root@h/db?{query}"))
    assert str(raised.value) == f"SQL: {problem}"


def test_options_the_url_itself_gives_are_refused_in_its_query():
    with pytest.raises(SeamError, match=r"^SQL: option password in postgresql://u@h/db\?password=\*\*\*: give it in"):
        parse_url("postgresql://u@h/db?password=s3cret")


def test_sqlite_urls_take_no_options():
    with pytest.raises(SeamError, match=r"^SQL: sqlite URLs take no options: sqlite:///x.db\?mode=ro$"):
        parse_url("sqlite:///x.db?mode=ro")


@pytest.mark.parametrize(
    ("dialect", "module", "extra"), [("postgresql", "psycopg", "postgres"), ("mysql", "pymysql", "mysql")]
)
def test_a_missing_driver_fails_in_one_line_naming_the_extra(monkeypatch, dialect, module, extra):
    real_import = importlib.import_module

    def without_driver(name, *args):
        if name == module:
            raise ModuleNotFoundError(f"No module named '{module}'", name=module)
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_driver)
    with pytest.raises(SeamError) as raised:
        open_database(f"{dialect}://u@127.0.0.1:1/db")
    assert str(raised.value) == (
        f"SQL: the {dialect} driver '{module}' is not installed: pip install 'robotframework-seamline[{extra}]'"
    )


def test_a_driver_message_never_shows_the_password():
    assert driver_message(RuntimeError("auth failed for pw-123 at host"), "pw-123") == "auth failed for *** at host"
    assert driver_message(KeyError("id")) == "parameters do not fit the placeholders (KeyError: 'id')"


@pytest.mark.parametrize("value", [object(), 2**70])
def test_a_value_sqlite_cannot_bind_is_one_readable_failure(value):
    db = open_database("sqlite:///:memory:")
    with pytest.raises(SeamError, match=r"^SQL: statement failed on sqlite:///:memory:: .*\nStatement: SELECT \?"):
        db.query("SELECT ?", [value])
    assert db.query("SELECT 1 AS ok") == [{"ok": 1}]
