"""SQL databases: queries, rows, waits, snapshots and cleanup.

These keywords do not wrap robotframework-databaselibrary: what it would contribute here (connecting
through a DB-API module) is a few lines per driver in `engine.database.sql`, while its query path commits
after every read, logs a table per result and costs about twice a bare driver call per keyword (see
benchmarks/bench_database.py); its connection parameters are also where custom strings leak passwords.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, NoReturn, TypeVar

from robot.api.deco import keyword
from robot.api.types import Secret

from ..engine.database.rows import compare_row, expected_object
from ..engine.database.spans import timed_statement
from ..engine.database.sql import Database, Params, open_database
from ..engine.database.tables import (
    SHOWN_ROWS,
    MissingRow,
    RowWaitStopped,
    RowWaitTimedOut,
    TableChanges,
    TableSnapshot,
    changes_since,
    column_names,
    criteria_text,
    delete_rows,
    delete_statement,
    find_rows,
    missing_row,
    take_snapshot,
    unexpected_rows,
    wait_for_row,
)
from ..engine.errors import SeamError
from .base import SeamKeywords

T = TypeVar("T")
STATEMENT_LOG_LIMIT = 300


class DatabaseKeywords(SeamKeywords):
    """SQL databases: queries, rows, waits, snapshots and cleanup."""

    SEAM = "SQL"

    @property
    def databases(self):
        return self.ctx.seam("SQL", "Connect To Sql", close=Database.close)

    @keyword
    def connect_to_sql(
        self,
        url: Secret | str,
        alias: str = "default",
        password: Secret | str | None = None,
        timeout: timedelta | None = None,
    ) -> None:
        """Connects to the database ``url`` names as ``alias`` and makes it the current connection.

        ``url`` is ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
        ``postgresql://user@host:port/db`` or ``mysql://user@host:port/db`` (MariaDB; ``mariadb://``
        works too). ``password`` (best a ``Secret``) wins over a password in the URL; either is
        masked everywhere in the log.

        The URL's query string holds driver options: any libpq option on PostgreSQL
        (``?sslmode=require&application_name=suite&connect_timeout=5``), PyMySQL's ``charset``,
        ``collation``, ``init_command``, ``sql_mode``, ``ssl_*``, ``connect_timeout``, ``read_timeout``,
        ``write_timeout``... on MariaDB. An option the driver does not take fails, listing those it does.
        PostgreSQL and MariaDB need their driver: ``pip install 'robotframework-seamline[postgres]'``
        or ``[mysql]``.

        ``timeout`` (the library's default when not given) bounds connecting and every statement,
        whatever the database does: the server ends a statement that runs too long (PostgreSQL
        ``statement_timeout``, MariaDB ``max_statement_time``: the connection stays usable); a server
        that stops answering (a frozen network link) is given half a second more, then the statement
        fails and its connection is discarded (the next statement opens a new one). PostgreSQL's
        driver waits at least 2 seconds for a connection. On SQLite it is the busy timeout for locks
        and the longest a statement may run.

        Connections run in autocommit mode: every statement is committed at once, a read costs one
        round trip.

        | `Connect To Sql` | postgresql://app@db:5432/orders?sslmode=require | password=${DB_PASSWORD} | timeout=5s |
        """
        plain_url = self.masker.reveal_url(url)
        plain_password = self.masker.reveal(password)
        self.masker.register(plain_password)
        seconds = self.seconds(timeout)
        with self.timeline.span("sql", "connect", self.masker.url(plain_url)):
            database = open_database(plain_url, plain_password or None, seconds)
        self.databases.add(alias, database)
        self.info(f"SQL connection '{alias}' to {database.display_url} (timeout {seconds:g}s).")

    @keyword
    def disconnect_from_sql(self, alias: str | None = None) -> None:
        """Closes the SQL connection ``alias`` (the current one by default; none open is fine).

        Fails, listing the open connections, when no connection has that alias.

        | `Disconnect From Sql` | reporting |
        """
        self.databases.close(alias)

    @keyword
    def disconnect_from_all_sql(self) -> None:
        """Closes every SQL connection (none open is fine); a suite teardown's keyword.

        | `Disconnect From All Sql` |
        """
        self.databases.close_all()

    @keyword
    def switch_sql(self, alias: str) -> None:
        """Makes the SQL connection ``alias`` the current one (aliases match ignoring case, spaces and ``_``).

        | `Switch Sql` | reporting |
        """
        self.databases.switch(alias)

    @keyword
    def query_rows(self, sql: str, *params: Any, alias: str | None = None) -> list[dict[str, Any]]:
        """Runs ``sql`` with ``params`` bound to its placeholders; returns the rows as dictionaries.

        Placeholders are those you already write, on every database: ``?`` or ``%s`` with the values
        as arguments, ``:name`` or ``%(name)s`` with one dictionary argument. In a statement with
        ``%s`` placeholders ``%%`` is a literal percent, as psycopg and PyMySQL have it; with ``?``,
        ``%`` is plain text. Parameters are always bound by the driver, never pasted into the SQL
        text; a ``Secret`` parameter is unwrapped for the driver and masked in the log.

        Values are plain Python values whatever the database (int, Decimal, str, datetime, None...).
        The log shows the statement (the keyword's argument) and, at TRACE, the rows: no HTML table
        per query.

        | @{rows} = | `Query Rows` | SELECT id, status FROM orders WHERE customer = ? AND status = ? | ${name} | NEW |
        | @{rows} = | `Query Rows` | SELECT id FROM orders WHERE customer = %(name)s | ${{ {'name': $name} }} |
        """
        database = self._database(alias)
        bound = self._bound(params)
        # The hot path logs nothing of its own: the log shows the statement as the keyword's argument and
        # the rows as its return value (TRACE); masking a message per query would cost more than the query.
        return self._timed(database, "query", sql, lambda: database.query(sql, bound))

    @keyword
    def execute_sql(self, sql: str, *params: Any, alias: str | None = None) -> int:
        """Runs a statement (committed at once) with ``params`` bound to its placeholders; returns the rows it changed.

        Placeholders as in `Query Rows`: ``?`` / ``%s`` with values, ``:name`` / ``%(name)s`` with a dictionary.

        | ${count} = | `Execute Sql` | UPDATE stock SET available = ? WHERE sku = ? | 100 | SKU-APPLE |
        """
        database = self._database(alias)
        bound = self._bound(params)
        count = self._timed(database, "execute", sql, lambda: database.execute(sql, bound))
        self.info(f"{count} row{'' if count == 1 else 's'} changed by: {self._statement(sql)}")
        return count

    @keyword
    def row_should_exist(
        self, table: str, alias: str | None = None, msg: str | None = None, **criteria: Any
    ) -> dict[str, Any]:
        """Fails unless ``table`` has a row with every ``column=value`` given; returns that row.

        A value ``${None}`` means NULL. Values compare by meaning, as everywhere in Seamline
        (``12.50`` and ``12.5`` are equal; case counts, also on MariaDB). The failure shows the rows
        that come closest; ``msg`` replaces its message.

        | ${row} = | `Row Should Exist` | orders | id=${order}[id] | status=NEW |
        """
        database = self._database(alias)
        search = self._timed(database, "select", table, lambda: find_rows(database, table, criteria, limit=1))
        if not search.matches:
            self._fail_missing(table, missing_row(database, table, criteria, candidates=search.candidates), msg)
        row = search.matches[0]
        self.info(f"Row of {table} with {criteria_text(criteria)}: {self.format_data(row, 500)}")
        return row

    @keyword
    def row_should_not_exist(
        self, table: str, alias: str | None = None, msg: str | None = None, **criteria: Any
    ) -> None:
        """Fails if ``table`` has a row with every ``column=value`` given (``msg`` replaces the message).

        | `Row Should Not Exist` | orders | customer=${customer} | status=NEW |
        """
        database = self._database(alias)
        search = self._timed(
            database, "select", table, lambda: find_rows(database, table, criteria, limit=SHOWN_ROWS + 1)
        )
        if search.matches:
            self.fail(unexpected_rows(table, criteria, search.matches), msg)

    @keyword
    def wait_until_row_exists(
        self,
        table: str,
        timeout: timedelta | None = None,
        fail_on: dict[str, Any] | str | None = None,
        alias: str | None = None,
        msg: str | None = None,
        **criteria: Any,
    ) -> dict[str, Any]:
        """Polls ``table`` until it has a row with every ``column=value`` given; returns that row.

        ``timeout`` (the library's default when not given) bounds the whole wait, each query
        included. ``fail_on`` names a terminal state that stops the wait at once: ``status=REJECTED``
        (``status=REJECTED|CANCELLED`` for several values) or a dictionary of columns that must all
        match. It applies to rows that match the other criteria. ``msg`` replaces the failure message.

        | ${row} = | `Wait Until Row Exists` | orders | id=${id} | status=RESERVED | fail_on=status=REJECTED |
        """
        database = self._database(alias)
        seconds = self.seconds(timeout)
        with self.timeline.span("sql", "wait", f"{table} @ {database.display_url}"):
            try:
                row = wait_for_row(database, table, criteria, fail_on, seconds)
            except RowWaitStopped as stop:
                self.fail(stop.message, msg)
            except RowWaitTimedOut as timed_out:
                self._fail_missing(table, timed_out.missing, msg)
        self.info(f"Row of {table} with {criteria_text(criteria)}: {self.format_data(row, 500)}")
        return row

    @keyword
    def take_table_snapshot(
        self, table: str, key: str | list[str] = "id", alias: str | None = None, **criteria: Any
    ) -> TableSnapshot:
        """Remembers the rows of ``table`` (only those with every ``column=value`` given, if any).

        ``key`` names the column, or columns (``order_id,sku`` or a list), that identify a row.
        Give the snapshot to `Table Changes Since` or `Table Should Be Unchanged Since`.
        A row whose values stop matching the criteria counts as deleted.

        | ${before} = | `Take Table Snapshot` | stock | key=sku |
        """
        key_columns = column_names(key)
        database = self._database(alias)
        snapshot = self._timed(
            database,
            "snapshot",
            table,
            lambda: take_snapshot(database, table, key_columns, criteria, alias or self.databases.current_alias),
        )
        self.info(f"Took {snapshot}.")
        return snapshot

    @keyword
    def table_changes_since(self, snapshot: TableSnapshot, ignore: str | list[str] = "") -> dict[str, Any]:
        """Returns what changed in the snapshot's table: rows ``inserted``, ``updated`` and ``deleted``.

        Each updated entry has ``key``, ``changed`` (the sorted names of the changed columns),
        ``changes`` (``{column: {before, after}}``) and ``row`` (as it is now). ``summary`` is text.
        Changes in the ``ignore`` columns (``published_at`` or ``published_at,updated_at``) do not count.
        Values compare by meaning (``12.5`` and ``12.50`` are the same amount).

        | ${changes} = | `Table Changes Since` | ${before} | ignore=published_at |
        | Length Should Be | ${changes}[inserted] | 1 |
        """
        changes = self._changes(snapshot, ignore)
        self.info(f"{snapshot.table}: {changes.summary()} since the snapshot.")
        if not changes.unchanged:
            updates = [{**update.key, "changed": ", ".join(sorted(update.changes))} for update in changes.updated]
            tables = (
                self.html_table(changes.inserted, limit=10, title="inserted")
                + self.html_table(updates, limit=10, title="updated")
                + self.html_table(changes.deleted, limit=10, title="deleted")
            )
            self.debug(tables, html=True)
        return changes.to_dict()

    @keyword
    def table_should_be_unchanged_since(
        self, snapshot: TableSnapshot, ignore: str | list[str] = "", msg: str | None = None
    ) -> None:
        """Fails if any row of the snapshot's table was inserted, updated or deleted since.

        Changes in the ``ignore`` columns do not count (see `Table Changes Since`); ``msg`` replaces
        the failure message.

        | `Table Should Be Unchanged Since` | ${before} |
        """
        changes = self._changes(snapshot, ignore)
        if not changes.unchanged:
            self.fail(f"expected {snapshot.table} unchanged, but {changes.describe()}", msg)
        self.info(f"{snapshot.table} is unchanged ({len(snapshot.rows)} rows).")

    @keyword
    def row_should_match(
        self,
        row: dict[str, Any],
        expected: dict[str, Any] | str,
        mapping: dict[str, str] | None = None,
        msg: str | None = None,
    ) -> None:
        """Fails unless the database ``row`` agrees with ``expected`` (a JSON object from an API, or its text).

        Fields of ``expected`` are compared with the column of the same name (case ignored);
        ``mapping`` maps other fields (names or JSONPaths like ``payment.amount``) to columns, and a
        field mapped to an empty name is skipped. Comparison is type-aware: ``12.5``,
        ``Decimal('12.50')`` and ``"12.50"`` are equal; so are ``1`` and ``true``, and timestamps
        that are the same instant (a value without a time zone is UTC). ``msg`` replaces the failure message.

        | `Row Should Match` | ${row} | ${response.json()} | mapping={'order_id': 'id', 'links': ''} |
        """
        comparison = compare_row(row, expected_object(expected), mapping)
        if comparison.not_compared:
            self.info(f"Not compared (no such column): {', '.join(comparison.not_compared)}")
        if not comparison.ok:
            self.fail(comparison.describe(), msg)
        self.info(f"Row matches on {', '.join(comparison.matched)}.")

    @keyword
    def delete_rows_on_teardown(self, table: str, alias: str | None = None, **criteria: Any) -> None:
        """Deletes the rows of ``table`` with every ``column=value`` given when the test (or suite) ends, pass or fail.

        At least one criterion is required; nothing is deleted now. The delete is bounded by the
        connection's timeout like any statement, so a database that stopped answering cannot hold
        up the end of the test.

        | `Delete Rows On Teardown` | orders | customer=${customer} |
        """
        database = self._database(alias)
        connection = alias or self.databases.current_alias
        delete_statement(table, criteria, database.dialect)  # fail now, not at teardown, on a bad name

        def cleanup() -> None:
            target = self._database(connection)
            count = self._timed(target, "delete", table, lambda: delete_rows(target, table, criteria))
            self.info(f"Teardown deleted {count} row{'' if count == 1 else 's'} of {table}.")

        self.ctx.add_cleanup(f"delete rows of {table} with {criteria_text(criteria)}", cleanup)
        self.info(f"Rows of {table} with {criteria_text(criteria)} will be deleted when the test ends.")

    def _database(self, alias: str | None) -> Database:
        return self.databases.get(alias)

    def _bound(self, params: tuple[Any, ...]) -> Params:
        """The keyword's parameters for the driver: one dictionary for named placeholders, else the values."""
        if len(params) == 1 and isinstance(params[0], Mapping):
            return {name: self.masker.reveal(value) for name, value in params[0].items()}
        return tuple(map(self.masker.reveal, params))

    def _changes(self, snapshot: TableSnapshot, ignore: str | list[str]) -> TableChanges:
        if not isinstance(snapshot, TableSnapshot):
            given = self.cut(repr(snapshot), 80)
            raise SeamError(
                "SQL", f"expected a snapshot from `Take Table Snapshot`, got {type(snapshot).__name__} {given}"
            )
        database = self._database(snapshot.alias)
        columns = column_names(ignore)
        return self._timed(database, "changes", snapshot.table, lambda: changes_since(database, snapshot, columns))

    def _timed(self, database: Database, operation: str, what: str, action: Callable[[], T]) -> T:
        """Runs `action` as one span of the timeline."""
        return timed_statement(self.timeline, operation, database.display_url, what, action)

    def _statement(self, sql: str) -> str:
        return self.cut(" ".join(sql.split()), STATEMENT_LOG_LIMIT)

    def _fail_missing(self, table: str, missing: MissingRow, msg: str | None) -> NoReturn:
        if missing.closest:
            self.info(self.html_table(missing.closest, title=f"closest rows of {table}"), html=True)
        self.fail(missing.message, msg)
