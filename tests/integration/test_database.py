"""engine.sql and the database keywords against real SQLite, PostgreSQL and MariaDB.

Each test works in its own uniquely named table (or user) and removes it: other engineers share the servers.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from Seamline.engine.context import SeamContext
from Seamline.engine.database.sql import open_database
from Seamline.engine.errors import SeamError
from Seamline.keywords.database import DatabaseKeywords


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/test.db"
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def table(url):
    """A fresh table `items_<random>`, dropped after the test."""
    name = f"items_{uuid.uuid4().hex[:10]}"
    db = open_database(url, timeout=5)
    db.execute(
        f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name VARCHAR(50), amount NUMERIC(12,2), status VARCHAR(16))"
    )
    yield name
    db.execute(f"DROP TABLE {name}")
    db.close()


def free_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_rows_are_plain_dicts_with_both_placeholder_styles(url, table):
    db = open_database(url, timeout=5)
    assert db.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", [1, "it's 50%", "12.50", "NEW"]) == 1
    db.execute(
        f"INSERT INTO {table} VALUES (:id, :name, :amount, :status)",
        {"id": 2, "name": "b", "amount": 3, "status": "NEW"},
    )
    rows = db.query(f"SELECT id, name, amount FROM {table} WHERE status = ? AND name LIKE '%5%' ORDER BY id", ["NEW"])
    assert rows == [{"id": 1, "name": "it's 50%", "amount": 12.5 if db.dialect == "sqlite" else Decimal("12.50")}]
    assert db.query(f"SELECT count(*) AS n FROM {table} WHERE name = ?", ["x' OR '1'='1"]) == [{"n": 0}]
    db.close()


def test_bad_sql_and_unknown_table_fail_clearly_and_the_connection_stays_usable(url, table):
    db = open_database(url, timeout=5)
    with pytest.raises(SeamError, match=r"^SQL: statement failed on .*\nStatement: SELEC 1$"):
        db.query("SELEC 1")
    with pytest.raises(SeamError) as raised:
        db.query("SELECT * FROM no_such_table_here")
    assert "no_such_table_here" in str(raised.value).splitlines()[0]
    assert db.query(f"SELECT count(*) AS n FROM {table}") == [{"n": 0}]
    db.close()


@pytest.mark.parametrize("server", ["postgres", "mariadb"])
def test_a_hanging_query_stops_at_the_timeout_and_the_connection_stays_usable(request, server):
    db = open_database(request.getfixturevalue(f"{server}_url"), timeout=1)
    sleep = "SELECT pg_sleep(5)" if db.dialect == "postgresql" else "SELECT SLEEP(5)"
    started = time.monotonic()
    with pytest.raises(SeamError, match=r"statement did not finish within 1s on"):
        db.query(sleep)
    assert time.monotonic() - started < 4  # stopped by the timeout, not by the sleep ending
    assert db.query("SELECT 1 AS ok") == [{"ok": 1}]
    db.close()


@pytest.mark.parametrize("scheme", ["postgresql://postgres", "mysql://root:pw"])
def test_a_database_that_is_down_fails_with_the_masked_url(scheme):
    url = f"{scheme}@127.0.0.1:{free_port()}/test"
    with pytest.raises(SeamError, match=r"^SQL: cannot connect to .*127\.0\.0\.1:\d+/test: .*[Cc]onnect") as raised:
        open_database(url, timeout=2)
    assert ":pw@" not in str(raised.value)


def test_postgres_unknown_user_and_unknown_database(postgres_url):
    # The test server trusts every local login, so a wrong password cannot fail there (see MariaDB below).
    base = postgres_url.rsplit("/", 1)[0].replace("postgres@", "nobody_seamline@")
    with pytest.raises(SeamError, match=r'cannot connect to .*: .*role "nobody_seamline" does not exist'):
        open_database(f"{base}/test", timeout=3)
    missing = postgres_url.rsplit("/", 1)[0] + "/no_such_db_seamline"
    with pytest.raises(SeamError, match=r'database "no_such_db_seamline" does not exist'):
        open_database(missing, timeout=3)


def test_mariadb_wrong_password_is_refused_without_showing_it(mariadb_url):
    user, password = f"seam_{uuid.uuid4().hex[:8]}", "right-pw-" + uuid.uuid4().hex[:6]
    root = open_database(mariadb_url, timeout=5)
    root.execute(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}'")
    root.execute(f"GRANT SELECT ON test.* TO '{user}'@'127.0.0.1'")
    try:
        host = mariadb_url.split("@", 1)[1]
        with pytest.raises(SeamError, match=rf"cannot connect to mysql://{user}@.*Access denied for user") as raised:
            open_database(f"mysql://{user}@{host}", password="wrong-pw-123", timeout=3)
        assert "wrong-pw-123" not in str(raised.value)
        with pytest.raises(SeamError, match=r"mysql://seam_\w+:\*\*\*@.*Access denied") as raised:
            open_database(f"mysql://{user}:wrong-pw-456@{host}", timeout=3)
        assert "wrong-pw-456" not in str(raised.value)
        right = open_database(f"mysql://{user}@{host}", password=password, timeout=3)
        assert right.query("SELECT CURRENT_USER() AS me")[0]["me"].startswith(user)
        right.close()
    finally:
        root.execute(f"DROP USER '{user}'@'127.0.0.1'")
        root.close()


@pytest.mark.parametrize("server", ["postgres", "mariadb"])
def test_a_killed_connection_fails_once_then_reopens(request, server):
    db = open_database(request.getfixturevalue(f"{server}_url"), timeout=5)
    killer = open_database(request.getfixturevalue(f"{server}_url"), timeout=5)
    if db.dialect == "postgresql":
        pid = db.query("SELECT pg_backend_pid() AS pid")[0]["pid"]
        killer.execute("SELECT pg_terminate_backend(?)", [pid])
    else:
        connection_id = db.query("SELECT CONNECTION_ID() AS id")[0]["id"]
        killer.execute(f"KILL {int(connection_id)}")
    with pytest.raises(SeamError, match="the connection was lost; the next statement re-opens it"):
        db.query("SELECT 1 AS ok")
    assert db.query("SELECT 1 AS ok") == [{"ok": 1}]
    db.close()
    killer.close()


def test_wait_until_row_exists_sees_a_row_inserted_later(url, table):
    keywords = DatabaseKeywords(SeamContext())
    keywords.connect_to_sql(url)
    writer = open_database(url, timeout=5)

    def insert_later() -> None:
        time.sleep(0.5)
        writer.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", [7, "late", "1.00", "RESERVED"])

    thread = threading.Thread(target=insert_later)
    thread.start()
    try:
        row = keywords.wait_until_row_exists(table, timedelta(seconds=10), "status=REJECTED", id=7, status="RESERVED")
    finally:
        thread.join()
        writer.close()
        keywords.ctx.close()
    assert row["name"] == "late"


def test_wait_until_row_exists_stops_at_a_terminal_state_on_the_server(url, table):
    keywords = DatabaseKeywords(SeamContext())
    keywords.connect_to_sql(url)
    keywords.execute_sql(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", 8, "r", "2.00", "REJECTED")
    started = time.monotonic()
    with pytest.raises(SeamError, match=r"reached a terminal state \(status=REJECTED\)"):
        keywords.wait_until_row_exists(table, timedelta(seconds=30), "status=REJECTED", id=8, status="RESERVED")
    assert time.monotonic() - started < 10  # stopped at once, not at the timeout
    keywords.ctx.close()


def test_snapshot_changes_and_row_match_across_drivers(url, table):
    keywords = DatabaseKeywords(SeamContext())
    keywords.connect_to_sql(url)
    keywords.execute_sql(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", 1, "a", "12.50", "NEW")
    before = keywords.take_table_snapshot(table)
    keywords.execute_sql(f"UPDATE {table} SET status = ? WHERE id = ?", "CANCELLED", 1)
    changes = keywords.table_changes_since(before)
    assert [update["changed"] for update in changes["updated"]] == [["status"]]
    row = keywords.row_should_exist(table, id=1)
    keywords.row_should_match(row, {"id": "1", "amount": 12.5, "status": "CANCELLED", "links": []})
    with pytest.raises(SeamError, match=r"amount: row has .*12\.5.*, expected '12\.51'"):
        keywords.row_should_match(row, {"id": 1, "amount": "12.51"})
    keywords.ctx.close()


def test_delete_rows_on_teardown_runs_at_scope_end(url, table):
    ctx = SeamContext()
    keywords = DatabaseKeywords(ctx)
    keywords.connect_to_sql(url)
    ctx.enter_scope()
    keywords.execute_sql(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", 5, "tmp", "1", "NEW")
    keywords.delete_rows_on_teardown(table, name="tmp")
    keywords.row_should_exist(table, id=5)
    assert ctx.exit_scope() == []
    keywords.row_should_not_exist(table, id=5)
    ctx.close()


def test_delete_rows_on_teardown_runs_when_the_robot_test_fails(tmp_path):
    db_file = tmp_path / "teardown.db"
    db = open_database(f"sqlite:///{db_file}")
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
    suite = tmp_path / "failing.robot"
    suite.write_text(
        "*** Settings ***\nLibrary    Seamline\n\n*** Test Cases ***\nFails After Registering A Cleanup\n"
        f"    Connect To Sql    sqlite:///{db_file}\n"
        "    Execute Sql    INSERT INTO items VALUES (?, ?)    ${1}    temporary\n"
        "    Delete Rows On Teardown    items    name=temporary\n"
        "    Fail    the test fails on purpose\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), str(suite)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout
    assert "the test fails on purpose" in run.stdout
    assert db.query("SELECT * FROM items") == []
    db.close()


def test_every_placeholder_style_binds_on_every_database(url, table):
    db = open_database(url, timeout=5)
    db.execute(f"INSERT INTO {table} VALUES (%s, %s, %s, %s)", [1, "50% off", "1.00", "NEW"])
    db.execute(
        f"INSERT INTO {table} VALUES (%(id)s, %(name)s, %(amount)s, %(status)s)",
        {"id": 2, "name": "b", "amount": 2, "status": "NEW"},
    )
    db.execute(f"INSERT INTO {table} VALUES (:id, :name, 3, 'NEW')", {"id": 3, "name": "x'); DROP TABLE t; --"})
    # %% is the format drivers' literal percent, on SQLite too; % stays plain text next to ?.
    assert db.query(f"SELECT id FROM {table} WHERE name LIKE '50%%' AND status = %s", ["NEW"]) == [{"id": 1}]
    assert db.query(f"SELECT id FROM {table} WHERE name LIKE '50%' AND status = ?", ["NEW"]) == [{"id": 1}]
    assert db.query(f"SELECT id FROM {table} WHERE name = %(name)s", {"name": "b"}) == [{"id": 2}]
    # An injection attempt stays a value: stored as written, matching nothing else.
    assert db.query(f"SELECT count(*) AS n FROM {table} WHERE name = %s", ["x' OR '1'='1"]) == [{"n": 0}]
    assert db.query(f"SELECT name FROM {table} WHERE id = %s", [3]) == [{"name": "x'); DROP TABLE t; --"}]
    db.close()


def test_postgres_url_options_reach_libpq(postgres_url):
    name = f"seam_{uuid.uuid4().hex[:8]}"
    options = f"application_name={name}&connect_timeout=3&sslmode=disable&options=-c%20lock_timeout%3D1234"
    db = open_database(f"{postgres_url}?{options}", timeout=5)
    assert db.query("SELECT current_setting('application_name') AS app") == [{"app": name}]
    assert db.query("SHOW lock_timeout") == [{"lock_timeout": "1234ms"}]
    assert db.query("SHOW statement_timeout") == [{"statement_timeout": "5s"}]  # the URL's options add to it
    db.close()


def test_postgres_unknown_url_option_is_refused_listing_libpq_options(postgres_url):
    with pytest.raises(SeamError, match=r"^SQL: unknown option bogus_option in .*; the postgresql driver takes: "):
        open_database(f"{postgres_url}?bogus_option=1")


def test_mariadb_url_options_reach_pymysql(mariadb_url):
    db = open_database(f"{mariadb_url}?charset=latin1&read_timeout=3", timeout=5)
    assert db.query("SELECT @@character_set_client AS cs") == [{"cs": "latin1"}]
    db.close()


def test_mariadb_unknown_database_fails_clearly(mariadb_url):
    missing = mariadb_url.rsplit("/", 1)[0] + "/no_such_db_seamline"
    with pytest.raises(SeamError) as raised:
        open_database(missing, timeout=3)
    assert str(raised.value) == f"SQL: cannot connect to {missing}: (1049) Unknown database 'no_such_db_seamline'"


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT * FROM {table} WHERE id = ? AND name = ?", [1]),  # too few parameters
        ("SELECT * FROM {table} WHERE id = ?", [1, 2]),  # too many
        ("SELECT * FROM {table} WHERE id = :id", {"other": 1}),  # a name that is not there
    ],
)
def test_every_driver_error_is_one_readable_failure_and_the_connection_stays_usable(url, table, sql, params):
    db = open_database(url, timeout=5)
    statement = sql.format(table=table)
    with pytest.raises(SeamError) as raised:
        db.query(statement, params)
    first, *rest = str(raised.value).splitlines()
    assert first.startswith(f"SQL: statement failed on {db.display_url}: ")
    assert rest[0] == f"Statement: {statement}"
    assert db.query(f"SELECT count(*) AS n FROM {table}") == [{"n": 0}]
    db.close()


def test_row_keywords_compare_by_the_one_rule_whatever_the_server_says(url, table):
    keywords = DatabaseKeywords(SeamContext())
    keywords.connect_to_sql(url)
    keywords.execute_sql(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", 1, "Ada", "12.50", "NEW")
    # MariaDB's collation finds 'ADA' equal to 'Ada'; the comparison rule of every seam does not.
    with pytest.raises(
        SeamError, match=rf"^SQL: no row of {table} has name=ADA, nor any row with one of these values$"
    ):
        keywords.row_should_exist(table, name="ADA")
    keywords.row_should_not_exist(table, name="ADA")
    assert keywords.row_should_exist(table, id="1", amount="12.5")["name"] == "Ada"
    keywords.ctx.close()
