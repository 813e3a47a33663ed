"""The SQL keywords against hostile links to real PostgreSQL and MariaDB: a frozen link (a partition), a
server that accepts and never answers, a link cut in the middle of a query.

Each case asserts that the keyword ends within its deadline plus a small margin, with one readable SQL
failure (no traceback), and that a fresh connection works afterwards.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from hostile import Forwarder, SilentServer

from Seamline.engine.context import SeamContext
from Seamline.engine.errors import SeamError
from Seamline.keywords.database import DatabaseKeywords

# What a deadline may overrun by: the client's half-second grace, the watchdog's tick, a busy machine.
MARGIN = 1.5
SERVERS = {"postgres": (5432, "postgresql://postgres"), "mariadb": (3306, "mysql://root")}
SLEEP = {"postgres": "SELECT pg_sleep(30)", "mariadb": "SELECT SLEEP(30)"}


@pytest.fixture(params=list(SERVERS))
def server(request) -> str:
    request.getfixturevalue(f"{request.param}_url")  # skips (or fails when required) without the server
    return request.param


def through(forwarder: Forwarder, server: str) -> str:
    return f"{SERVERS[server][1]}@{forwarder.address}/test"


def keywords() -> DatabaseKeywords:
    return DatabaseKeywords(SeamContext(timeout=15))


def fails_within(seconds: float, action, match: str) -> str:
    """Runs `action`, which must fail with a SeamError matching `match` before `seconds` + MARGIN."""
    started = time.monotonic()
    with pytest.raises(SeamError, match=match) as raised:
        action()
    elapsed = time.monotonic() - started
    assert elapsed < seconds + MARGIN, f"took {elapsed:.1f}s for a {seconds}s deadline"
    return str(raised.value)


def a_fresh_connection_works(request, server: str) -> None:
    sql = keywords()
    sql.connect_to_sql(request.getfixturevalue(f"{server}_url"), timeout=timedelta(seconds=5))
    assert sql.query_rows("SELECT 1 AS ok") == [{"ok": 1}]
    sql.disconnect_from_all_sql()


def test_a_frozen_link_ends_the_query_at_its_timeout(request, server):
    sql = keywords()
    with Forwarder("127.0.0.1", SERVERS[server][0]) as link:
        sql.connect_to_sql(through(link, server), timeout=timedelta(seconds=2))
        assert sql.query_rows("SELECT 1 AS ok") == [{"ok": 1}]
        link.freeze()
        message = fails_within(
            2, lambda: sql.query_rows("SELECT 1 AS ok"), r"^SQL: statement did not finish within 2s on "
        )
        assert message.endswith("re-opens it)\nStatement: SELECT 1 AS ok")
        assert link.address in message
        # The next statement re-opens the connection, through the same frozen link: bounded as well.
        fails_within(2, lambda: sql.query_rows("SELECT 1 AS ok"), r"^SQL: cannot connect to .* within 2s: ")
        started = time.monotonic()
        sql.disconnect_from_all_sql()
        assert time.monotonic() - started < MARGIN
    a_fresh_connection_works(request, server)


def test_a_cleanup_on_a_frozen_link_ends_at_its_timeout(request, server):
    ctx = SeamContext(timeout=15)
    sql = DatabaseKeywords(ctx)
    table = f"hostile_{uuid.uuid4().hex[:10]}"
    direct = keywords()
    direct.connect_to_sql(request.getfixturevalue(f"{server}_url"))
    direct.execute_sql(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
    try:
        with Forwarder("127.0.0.1", SERVERS[server][0]) as link:
            sql.connect_to_sql(through(link, server), timeout=timedelta(seconds=2))
            ctx.enter_scope()
            sql.delete_rows_on_teardown(table, id=1)
            link.freeze()
            started = time.monotonic()
            failures = ctx.exit_scope()
            assert time.monotonic() - started < 2 + MARGIN
            assert [str(error).split(" on ")[0] for _, error in failures] == ["SQL: statement did not finish within 2s"]
            ctx.close()
    finally:
        direct.execute_sql(f"DROP TABLE {table}")
        direct.disconnect_from_all_sql()


def test_a_wait_on_a_frozen_link_ends_at_the_wait_timeout(server):
    sql = keywords()
    with Forwarder("127.0.0.1", SERVERS[server][0]) as link:
        sql.connect_to_sql(through(link, server), timeout=timedelta(seconds=10))
        link.freeze()
        fails_within(
            1,
            lambda: sql.wait_until_row_exists("anything", timedelta(seconds=1), id=1),
            r"(?s)^SQL: statement did not finish within (0\.\d+|1)s on "
            r".*Statement: SELECT \* FROM .anything. WHERE .id. = \? LIMIT 100",
        )
        sql.disconnect_from_all_sql()


def test_a_server_that_never_answers_fails_the_connect_at_its_timeout(request, server):
    sql = keywords()
    with SilentServer() as silent:
        url = f"{SERVERS[server][1]}@{silent.address}/test"
        fails_within(
            2, lambda: sql.connect_to_sql(url, timeout=timedelta(seconds=2)), r"^SQL: cannot connect to .* within 2s: "
        )
    a_fresh_connection_works(request, server)


def test_a_link_cut_mid_query_fails_at_once(request, server):
    sql = keywords()
    with Forwarder("127.0.0.1", SERVERS[server][0]) as link:
        sql.connect_to_sql(through(link, server), timeout=timedelta(seconds=20))
        threading.Timer(0.5, link.cut).start()
        message = fails_within(0.5, lambda: sql.query_rows(SLEEP[server]), r"^SQL: statement failed on ")
        assert f"re-opens it)\nStatement: {SLEEP[server]}" in message
    a_fresh_connection_works(request, server)


def test_a_frozen_link_fails_a_robot_test_on_time_without_a_traceback(tmp_path: Path, postgres_url):
    with Forwarder("127.0.0.1", 5432) as link:
        suite = tmp_path / "frozen.robot"
        suite.write_text(
            "*** Settings ***\nLibrary    Seamline    timeout=2s\n\n*** Test Cases ***\nFrozen Link\n"
            f"    Connect To Sql    postgresql://postgres@{link.address}/test\n"
            "    Query Rows    SELECT 1\n"
            f"    Run Process    kill    -STOP    {link.process.pid}\n"
            "    Query Rows    SELECT 1\n\n"
            "*** Settings ***\nLibrary    Process\n",
            encoding="utf-8",
        )
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "robot", "--loglevel", "TRACE", "--outputdir", str(tmp_path), str(suite)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert time.monotonic() - started < 2 + MARGIN + 15  # Robot's own start-up is the rest
    output = (tmp_path / "output.xml").read_text(encoding="utf-8")
    assert run.returncode == 1, run.stdout
    assert "SQL: statement did not finish within 2s on postgresql://postgres@" in run.stdout
    assert "Traceback" not in output
