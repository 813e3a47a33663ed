"""SQL databases: queries, rows, waits, snapshots and cleanup (issue 5).

These keywords do not wrap robotframework-databaselibrary: what it would contribute here (connecting
through a DB-API module) is a few lines per driver in `engine.sql`, while its query path commits after
every read, logs a table per result and costs about twice a bare driver call per keyword (see
benchmarks/bench_database.py); its connection parameters are also where custom strings leak passwords.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from robot.api.deco import keyword
from robot.api.types import Secret

from ..engine.database.rows import compare_row, row_matches
from ..engine.database.sql import Database, open_database, quote_identifier
from ..engine.database.tables import (
    TableChanges,
    TableSnapshot,
    changes_since,
    closest_rows,
    column_names,
    criteria_text,
    delete_rows,
    differing_columns,
    fail_on_text,
    parse_fail_on,
    row_text,
    select_rows,
    take_snapshot,
    where_clause,
)
from ..engine.errors import SeamError
from ..engine.waiting import WaitStopped, WaitTimedOut, poll
from .base import SeamKeywords

T = TypeVar("T")
SHOWN_ROWS = 5
STATEMENT_LOG_LIMIT = 300


class DatabaseKeywords(SeamKeywords):
    """SQL databases: queries, rows, waits, snapshots and cleanup (issue 5)."""

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
        masked everywhere in the log. ``timeout`` bounds connecting and every statement
        (PostgreSQL ``statement_timeout``, MariaDB ``max_statement_time``, SQLite busy timeout).

        Connections run in autocommit mode: every statement is committed at once, a read costs one
        round trip.

        | `Connect To Sql` | postgresql://app@127.0.0.1:5432/orders | password=${DB_PASSWORD} | timeout=5s |
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
    def switch_sql_connection(self, alias: str) -> None:
        """Makes the SQL connection ``alias`` the current one.

        | `Switch Sql Connection` | reporting |
        """
        self.databases.switch(alias)

    @keyword
    def query_rows(self, sql: str, *params: Any, alias: str | None = None) -> list[dict[str, Any]]:
        """Runs ``sql`` with ``params`` bound to its ``?`` placeholders; returns the rows as dictionaries.

        Values are plain Python values whatever the database (int, Decimal, str, datetime, None...).
        Parameters are always bound by the driver, never pasted into the SQL text; a ``Secret``
        parameter is unwrapped for the driver and masked in the log. The log shows the statement (the
        keyword's argument) and, at TRACE, the rows: no HTML table per query.

        | @{rows} = | `Query Rows` | SELECT id, status FROM orders WHERE customer = ? AND status = ? | ${name} | NEW |
        """
        database = self._database(alias)
        # The hot path logs nothing of its own: the log shows the statement as the keyword's argument and
        # the rows as its return value (TRACE); masking a message per query would cost more than the query.
        return self._timed(database, "query", sql, lambda: database.query(sql, tuple(map(self.masker.reveal, params))))

    @keyword
    def execute_sql(self, sql: str, *params: Any, alias: str | None = None) -> int:
        """Runs a statement (committed at once) with ``params`` bound to its ``?``; returns the rows it changed.

        | ${count} = | `Execute Sql` | UPDATE stock SET available = ? WHERE sku = ? | 100 | SKU-APPLE |
        """
        database = self._database(alias)
        count = self._timed(
            database, "execute", sql, lambda: database.execute(sql, tuple(map(self.masker.reveal, params)))
        )
        self.info(f"{count} row{'' if count == 1 else 's'} changed by: {self._statement(sql)}")
        return count

    @keyword
    def row_should_exist(self, table: str, alias: str | None = None, **criteria: Any) -> dict[str, Any]:
        """Fails unless ``table`` has a row with every ``column=value`` given; returns that row.

        A value ``${None}`` means NULL. The failure shows the rows that come closest.

        | ${row} = | `Row Should Exist` | orders | id=${order}[id] | status=NEW |
        """
        database = self._database(alias)
        rows = self._timed(database, "select", table, lambda: select_rows(database, table, criteria, limit=2))
        if not rows:
            raise SeamError("SQL", self._missing_row_message(database, table, criteria))
        self.info(f"Row of {table} with {criteria_text(criteria)}: {self.format_data(rows[0], 500)}")
        return rows[0]

    @keyword
    def row_should_not_exist(self, table: str, alias: str | None = None, **criteria: Any) -> None:
        """Fails if ``table`` has a row with every ``column=value`` given.

        | `Row Should Not Exist` | orders | customer=${customer} | status=NEW |
        """
        database = self._database(alias)
        rows = self._timed(
            database, "select", table, lambda: select_rows(database, table, criteria, limit=SHOWN_ROWS + 1)
        )
        if rows:
            shown = "\n".join(f"  {row_text(row)}" for row in rows[:SHOWN_ROWS])
            more = " (first shown)" if len(rows) > SHOWN_ROWS else ""
            raise SeamError("SQL", f"expected no row of {table} with {criteria_text(criteria)}, found{more}:\n{shown}")

    @keyword
    def wait_until_row_exists(
        self,
        table: str,
        timeout: timedelta = timedelta(seconds=10),
        fail_on: dict[str, Any] | str | None = None,
        alias: str | None = None,
        **criteria: Any,
    ) -> dict[str, Any]:
        """Polls ``table`` until it has a row with every ``column=value`` given; returns that row.

        ``fail_on`` names a terminal state that stops the wait at once: ``status=REJECTED``
        (``status=REJECTED|CANCELLED`` for several values) or a dictionary of columns that must all
        match. It applies to rows that match the other criteria.

        | ${row} = | `Wait Until Row Exists` | orders | id=${id} | status=RESERVED | fail_on=status=REJECTED |
        """
        database = self._database(alias)
        terminal = parse_fail_on(fail_on)
        terminal_columns = {column for state in terminal for column in state}
        identity = {column: value for column, value in criteria.items() if column not in terminal_columns}
        seconds = self.seconds(timeout)

        def probe() -> list[dict[str, Any]]:
            return select_rows(database, table, identity, limit=100)

        def found(rows: list[dict[str, Any]]) -> bool:
            return any(row_matches(row, criteria) for row in rows)

        def stopped(rows: list[dict[str, Any]]) -> bool:
            return any(row_matches(row, state) for row in rows for state in terminal)

        with self.timeline.span("sql", "wait", f"{table} @ {database.display_url}") as span:
            try:
                rows = poll(probe, found, timeout=seconds, fail_on=stopped if terminal else None)
            except WaitStopped as stop:
                row = next(row for row in stop.last for state in terminal if row_matches(row, state))
                raise SeamError(
                    "SQL",
                    f"row of {table} reached a terminal state ({fail_on_text(terminal)}) after "
                    f"{stop.elapsed:.1f}s while waiting for {criteria_text(criteria)}: {row_text(row)}",
                ) from None
            except WaitTimedOut:
                message = self._missing_row_message(database, table, criteria, f"within {seconds:g}s ")
                raise SeamError("SQL", message) from None
            span.attributes["rows"] = len(rows)
        row = next(row for row in rows if row_matches(row, criteria))
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
    def table_should_be_unchanged_since(self, snapshot: TableSnapshot, ignore: str | list[str] = "") -> None:
        """Fails if any row of the snapshot's table was inserted, updated or deleted since.

        Changes in the ``ignore`` columns do not count (see `Table Changes Since`).

        | `Table Should Be Unchanged Since` | ${before} |
        """
        changes = self._changes(snapshot, ignore)
        if changes.unchanged:
            self.info(f"{snapshot.table} is unchanged ({len(snapshot.rows)} rows).")
            return
        lines = [f"  inserted: {row_text(row)}" for row in changes.inserted[:SHOWN_ROWS]]
        lines += [
            f"  updated: {row_text(update.key)}: "
            + ", ".join(f"{column} {old!s} -> {new!s}" for column, (old, new) in update.changes.items())
            for update in changes.updated[:SHOWN_ROWS]
        ]
        lines += [f"  deleted: {row_text(row)}" for row in changes.deleted[:SHOWN_ROWS]]
        raise SeamError("SQL", f"expected {snapshot.table} unchanged, but {changes.summary()}:\n" + "\n".join(lines))

    @keyword
    def row_should_match(
        self, row: dict[str, Any], expected: dict[str, Any] | str, mapping: dict[str, str] | None = None
    ) -> None:
        """Fails unless the database ``row`` agrees with ``expected`` (a JSON object from an API, or its text).

        Fields of ``expected`` are compared with the column of the same name (case ignored);
        ``mapping`` maps other fields (names or JSONPaths like ``payment.amount``) to columns, and a
        field mapped to an empty name is skipped. Comparison is type-aware: ``12.5``,
        ``Decimal('12.50')`` and ``"12.50"`` are equal; so are ``1`` and ``true``, and timestamps
        that are the same instant (a value without a time zone is UTC).

        | `Row Should Match` | ${row} | ${response.json()} | mapping={'order_id': 'id', 'links': ''} |
        """
        expected_object = json.loads(expected) if isinstance(expected, str) else expected
        if not isinstance(expected_object, dict):
            raise SeamError(
                "SQL", f"expected a JSON object to compare the row with, got {type(expected_object).__name__}"
            )
        comparison = compare_row(row, expected_object, mapping)
        if comparison.not_compared:
            self.info(f"Not compared (no such column): {', '.join(comparison.not_compared)}")
        if not comparison.ok:
            lines = [
                f"  {m.field}: row has {m.actual!r}"
                + (f" (column {m.column})" if m.column != m.field else "")
                + f", expected {m.expected!r}"
                for m in comparison.mismatches
            ]
            count = len(comparison.mismatches)
            raise SeamError(
                "SQL",
                f"row differs from the expected object in {count} field{'s' * (count != 1)}:\n" + "\n".join(lines),
            )
        self.info(f"Row matches on {', '.join(comparison.matched)}.")

    @keyword
    def delete_rows_on_teardown(self, table: str, alias: str | None = None, **criteria: Any) -> None:
        """Deletes the rows of ``table`` with every ``column=value`` given when the test (or suite) ends, pass or fail.

        At least one criterion is required; nothing is deleted now.

        | `Delete Rows On Teardown` | orders | customer=${customer} |
        """
        database = self._database(alias)
        connection = alias or self.databases.current_alias
        quote_identifier(table, database.dialect)
        where_clause(criteria, database.dialect)  # fail now, not at teardown, on a bad name
        if not criteria:
            raise SeamError("SQL", f"refusing to delete every row of {table}: give at least one column=value")

        def cleanup() -> None:
            target = self._database(connection)
            count = self._timed(target, "delete", table, lambda: delete_rows(target, table, criteria))
            self.info(f"Teardown deleted {count} row{'' if count == 1 else 's'} of {table}.")

        self.ctx.add_cleanup(f"delete rows of {table} with {criteria_text(criteria)}", cleanup)
        self.info(f"Rows of {table} with {criteria_text(criteria)} will be deleted when the test ends.")

    def _database(self, alias: str | None) -> Database:
        return self.databases.get(alias)

    def _changes(self, snapshot: TableSnapshot, ignore: str | list[str]) -> TableChanges:
        if not isinstance(snapshot, TableSnapshot):
            given = self.cut(repr(self.masker.data(snapshot)), 80)
            raise SeamError(
                "SQL", f"expected a snapshot from `Take Table Snapshot`, got {type(snapshot).__name__} {given}"
            )
        database = self._database(snapshot.alias)
        columns = column_names(ignore)
        return self._timed(database, "changes", snapshot.table, lambda: changes_since(database, snapshot, columns))

    def _timed(self, database: Database, operation: str, what: str, action: Callable[[], T]) -> T:
        """Runs `action` as one span of the timeline (measured by hand: this is every query's hot path)."""
        started, clock = time.time(), time.perf_counter()
        outcome = "ok"
        try:
            return action()
        except BaseException as error:
            outcome = f"error: {type(error).__name__}"
            raise
        finally:
            self.timeline.record(
                "sql",
                operation,
                database.display_url,
                started,
                time.perf_counter() - clock,
                outcome=outcome,
                attributes={"statement": what[:STATEMENT_LOG_LIMIT]},
            )

    def _statement(self, sql: str) -> str:
        return self.cut(" ".join(sql.split()), STATEMENT_LOG_LIMIT)

    def _missing_row_message(self, database: Database, table: str, criteria: dict[str, Any], within: str = "") -> str:
        wanted = f"{within}no row of {table} has {criteria_text(criteria)}"
        closest = closest_rows(database, table, criteria, SHOWN_ROWS)
        if not closest:
            return f"{wanted}, nor any row with one of these values"
        self.info(self.html_table(closest, title=f"closest rows of {table}"), html=True)
        lines = [f"  {row_text(row)}  (differs: {', '.join(differing_columns(row, criteria))})" for row in closest]
        return f"{wanted}. Closest rows:\n" + "\n".join(lines)
