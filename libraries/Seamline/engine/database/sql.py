"""SQL databases through their DB-API drivers: one small API for SQLite, PostgreSQL and MariaDB.

    db = open_database("postgresql://postgres@127.0.0.1:5432/test", password=None, timeout=10.0)
    rows = db.query("SELECT id, status FROM orders WHERE id = ?", [order_id])   # list of dicts
    count = db.execute("DELETE FROM orders WHERE status = %(status)s", {"status": "NEW"})
    db.close()

Placeholders: `?` / `:name` or `%s` / `%(name)s` on every database (see `placeholders`); values are
always bound by the driver. A statement without parameters goes to the driver as written.

Every connection runs in autocommit mode (a read costs one round trip, no COMMIT after it) and has
a timeout for connecting and for each statement: on the server (PostgreSQL `statement_timeout`,
MariaDB `max_statement_time`), in the driver (libpq's `connect_timeout`; PyMySQL's connect, read and
write timeouts) and on the client (engine/deadlines: a statement the server cannot end, through a frozen
link, ends a moment later). SQLite has a busy timeout for locks and a progress handler for long
statements. A statement that fails leaves the connection usable; one that broke or ran out of time
is discarded, and the next statement opens a new connection.

Rows are dicts of plain Python values (int, float, Decimal, str, bytes, bool, datetime, date, None);
PostgreSQL UUIDs come back as strings. SQLite keeps timestamps as text and returns them as such.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from .. import arrowed
from ..deadlines import Deadline, shut_down
from ..errors import SeamError
from ..values import cut
from . import copied
from .drivers import SEAM, connect_error, driver_message, is_timeout, load_driver, statement_errors
from .placeholders import translate_placeholders
from .urls import DatabaseUrl, mysql_options, parse_url, refuse_unknown

# How long past its timeout the client gives a statement before ending it: the server's own timeout
# (which keeps the connection) gets this long to answer first.
CLIENT_GRACE = 0.5
# SQLite VM instructions between two looks at the statement deadline.
SQLITE_PROGRESS_STEPS = 10_000
STATEMENT_SHOWN = 500
# libpq sends a result in chunks of rows from version 17 on (before it, one row at a time or all at once).
CHUNKED_LIBPQ = 170000

Params = Sequence[Any] | Mapping[str, Any]
# A block of streamed rows: column names, rows (or none), the values by column (or None), and how to load
# each column's values.
StreamBlock = tuple[
    list[str], list[tuple[Any, ...]], list[Sequence[Any]] | None, list[Callable[[str], Any] | None] | None
]
NUMERIC_OID = 1700  # PostgreSQL's NUMERIC, streamed as text
T = TypeVar("T")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")


def quote_identifier(name: str, dialect: str) -> str:
    """A table or column name (optionally `schema.table`) quoted for `dialect`; anything else is refused."""
    if not _IDENTIFIER.match(name):
        raise SeamError(SEAM, f"'{name}' is not a valid table or column name (letters, digits, _ and one '.')")
    # SQLite takes an unknown "name" for a string literal; an unknown `name` fails, as it should.
    quote = '"' if dialect == "postgresql" else "`"
    return ".".join(f"{quote}{part}{quote}" for part in name.split("."))


class Database:
    """One connection to one database, re-opened when it broke. Not shared between threads."""

    def __init__(self, url: DatabaseUrl, password: str | None, timeout: float):
        self.url = url
        self.dialect = url.dialect
        self.timeout = timeout
        self._password = password if password is not None else url.password
        self._connection: Any = None
        self._deadline = math.inf
        self._driver = load_driver(url.dialect)
        self._errors = statement_errors(self._driver)
        self._network = url.dialect != "sqlite"
        self._statement = Deadline(self._end_statement) if self._network else None
        self._connection = self._connect()

    @property
    def display_url(self) -> str:
        return self.url.display

    def query(self, sql: str, params: Params = (), *, timeout: float | None = None) -> list[dict[str, Any]]:
        """The rows `sql` returns, as dicts (an empty list for a statement that returns none).

        `timeout` (seconds) bounds this statement on the client when it is shorter than the connection's
        (a wait's last attempt); the server's own timeout stays the connection's.
        """
        return self._run(sql, params, _rows, timeout)

    def stream(
        self,
        sql: str,
        params: Params,
        consume: Callable[[Iterator[StreamBlock]], T],
        *,
        batch: int = 16384,
    ) -> T:
        """Hands the rows `sql` returns to `consume` as they arrive, and returns what it returns: blocks of
        up to `batch` rows, each as (the column names, the rows as tuples, None, loaders), or (the names,
        [], the values by column, loaders). PostgreSQL's NUMERIC values come as their text (no Decimal
        made for each), and `loaders` has Decimal in their place (None in the others'): text compares
        with text before any number is made.

        Memory holds about one block, not the result. On PostgreSQL with pyarrow installed, a query is
        read by ``COPY (query) TO STDOUT`` and parsed by column (`copied`: the values the rows as tuples
        would hold); else PostgreSQL sends the rows in chunks of `batch` (libpq 17 and later; with an
        older libpq, through a server-side cursor in a transaction of its own), MariaDB through an
        unbuffered cursor. The connection's timeout bounds the statement and the reading together.
        """
        return self._run(sql, params, consume, streaming=batch)

    def execute(self, sql: str, params: Params = (), *, timeout: float | None = None) -> int:
        """Runs a statement (committed at once) and returns the number of rows it changed."""
        return self._run(sql, params, _row_count, timeout)

    def columns(self, table: str) -> list[str]:
        """The column names of `table` (fails clearly when there is no such table)."""
        sql = f"SELECT * FROM {quote_identifier(table, self.dialect)} WHERE 1 = 0"
        return self._run(sql, (), _column_names)

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            # Closing a connection the server (or the watchdog) already dropped: nothing is left to release.
            with contextlib.suppress(*self._errors):
                connection.close()

    def _run(
        self, sql: str, params: Params, read: Callable[[Any], T], timeout: float | None = None, streaming: int = 0
    ) -> T:
        statement = self._statement
        if statement is not None and statement.expired:
            self.close()  # the watchdog ended the last statement as it finished: its socket is shut
        if self._connection is None:
            self._connection = self._connect()
        if params:
            named = isinstance(params, Mapping)
            driver_sql: str = translate_placeholders(sql, self.dialect, named)
            driver_params: Any = params if named else tuple(params)
        else:
            driver_sql, driver_params = sql, None
        seconds = self.timeout if timeout is None else min(timeout, self.timeout)
        self._deadline = time.monotonic() + seconds
        if statement is not None:
            statement.arm(seconds + CLIENT_GRACE)
        try:
            if streaming:
                with self._streamed(driver_sql, driver_params, streaming) as blocks:
                    return read(blocks)
            return self._execute(driver_sql, driver_params, read)
        except self._errors as error:
            failure: Exception = error
        finally:
            if statement is not None:
                statement.disarm()
        raise self._failure(failure, sql, params, seconds) from None

    def _execute(self, sql: str, params: Any, read: Callable[[Any], T], cursor: Any = None) -> T:
        cursor = self._connection.cursor() if cursor is None else cursor
        try:
            if params is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, params)
            return read(cursor)
        finally:
            cursor.close()

    @contextlib.contextmanager
    def _streamed(self, sql: str, params: Any, batch: int) -> Iterator[Iterator[StreamBlock]]:
        connection = self._connection
        copyable = copied.copyable(sql) if self.dialect == "postgresql" and arrowed.available() else None
        if copyable is not None:
            with connection.cursor() as cursor:
                blocks = copied.blocks(cursor, copyable, params, batch)
                try:
                    yield blocks
                finally:
                    blocks.close()  # rows left unread: the COPY is cancelled and the rest of it drained
            return
        if self.dialect == "postgresql" and self._driver.pq.version() >= CHUNKED_LIBPQ:
            with connection.cursor() as cursor:
                cursor.adapters.register_loader("numeric", self._driver.types.string.TextLoader)
                rows = cursor.stream(sql, params, size=batch)
                try:
                    yield _blocks(cursor, lambda: list(itertools.islice(rows, batch)))
                finally:
                    rows.close()  # rows left unread: the server is told to stop sending them
            return
        with contextlib.ExitStack() as stack:
            if self.dialect == "postgresql":
                stack.enter_context(connection.transaction())
                cursor = connection.cursor(name="seamline_stream")
                cursor.adapters.register_loader("numeric", self._driver.types.string.TextLoader)
            elif self.dialect == "mysql":
                cursor = connection.cursor(self._driver.cursors.SSCursor)
            else:
                cursor = connection.cursor()
            stack.callback(cursor.close)
            if params is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, params)
            yield _blocks(cursor, lambda: cursor.fetchmany(batch), self.dialect == "postgresql")

    def _end_statement(self) -> None:
        """Called by the watchdog: the running statement is past its deadline."""
        connection = self._connection
        if connection is None:
            return
        if self.dialect == "postgresql":
            shut_down(connection.fileno())
        elif connection._sock is not None:  # PyMySQL keeps its socket to itself: no public way to reach it
            shut_down(connection._sock.fileno())

    def _connect(self) -> Any:
        url = self.url
        try:
            if url.dialect == "sqlite":
                return self._connect_sqlite()
            if url.dialect == "postgresql":
                return self._connect_postgresql()
            return self._connect_mysql()
        except self._errors as error:
            raise connect_error(error, url, self.timeout, self._password) from None

    def _connect_sqlite(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.url.database, timeout=self.timeout, isolation_level=None, check_same_thread=False
        )
        connection.set_progress_handler(self._past_deadline, SQLITE_PROGRESS_STEPS)
        return connection

    def _past_deadline(self) -> bool:
        return time.monotonic() > self._deadline

    def _connect_postgresql(self) -> Any:
        psycopg = self._driver
        url = self.url
        refuse_unknown(url, [option.keyword.decode() for option in psycopg.pq.Conninfo.get_defaults()])
        statement_timeout = f"-c statement_timeout={max(1, round(self.timeout * 1000))}"
        options = {
            "host": url.host,
            "port": url.port or 5432,
            # libpq waits at least 2 s for a connection, whatever it is told.
            "connect_timeout": max(2, math.ceil(self.timeout)),
            **url.options,
            # The keyword's statement_timeout first: one in the URL's own server options comes later and wins.
            "options": f"{statement_timeout} {url.options.get('options', '')}".strip(),
        }
        connection = psycopg.connect(
            user=url.user, password=self._password, dbname=url.database or None, autocommit=True, **options
        )
        # A UUID as text compares with what APIs return; the rest of psycopg's types are plain already.
        from psycopg.types.string import TextLoader

        connection.adapters.register_loader("uuid", TextLoader)
        return connection

    def _connect_mysql(self) -> Any:
        pymysql = self._driver
        url = self.url
        # The socket timeouts bound what the server cannot: connecting, and a link that stops answering.
        socket_timeout = self.timeout + CLIENT_GRACE
        options = {
            "charset": "utf8mb4",
            "connect_timeout": self.timeout,
            "read_timeout": socket_timeout,
            "write_timeout": socket_timeout,
            **mysql_options(url),
        }
        connection = pymysql.connect(
            host=url.host,
            port=url.port or 3306,
            user=url.user,
            password=self._password or "",
            database=url.database or None,
            autocommit=True,
            **options,
        )
        with connection.cursor() as cursor:
            try:
                cursor.execute("SET SESSION max_statement_time = %s", (self.timeout,))
            except pymysql.err.OperationalError:  # MySQL rather than MariaDB: SELECTs only, in ms
                cursor.execute("SET SESSION max_execution_time = %s", (round(self.timeout * 1000),))
        return connection

    def _is_broken(self) -> bool:
        connection = self._connection
        if connection is None:
            return True
        if self.dialect == "postgresql":
            return bool(connection.broken or connection.closed)
        if self.dialect == "mysql":
            return not connection.open
        return False

    def _failure(self, error: Exception, sql: str, params: Params, seconds: float) -> SeamError:
        expired = self._statement is not None and self._statement.expired
        message = "no answer from the server" if expired else driver_message(error, self._password)
        timed_out = expired or is_timeout(error, self.dialect)
        what = f"did not finish within {round(seconds, 2):g}s" if timed_out else "failed"
        if expired or self._is_broken():
            self.close()
            message += f" (the connection was {'discarded' if expired else 'lost'}; the next statement re-opens it)"
        statement = cut(" ".join(sql.split()), STATEMENT_SHOWN)
        detail = f"statement {what} on {self.url.display}: {message}\nStatement: {statement}"
        if params:
            shown = dict(params) if isinstance(params, Mapping) else list(params)
            detail += f"\nParameters: {shown}"
        return SeamError(SEAM, detail)


def _rows(cursor: Any) -> list[dict[str, Any]]:
    description = cursor.description
    if description is None:
        return []
    names = [column[0] for column in description]
    return list(map(dict, map(zip, itertools.repeat(names), cursor.fetchall())))


def _blocks(cursor: Any, fetch: Callable[[], list[tuple]], numeric_as_text: bool = True) -> Iterator[StreamBlock]:
    """`fetch`'s rows as blocks; with `numeric_as_text`, PostgreSQL's NUMERIC arrives as text (a loader
    registered on the cursor)."""
    names: list[str] = []
    loaders: list[Callable[[str], Any] | None] = []
    while rows := fetch():
        if not names:
            names = [column[0] for column in cursor.description]
            kinds = [column[1] for column in cursor.description] if numeric_as_text else []
            loaders = [Decimal if kind == NUMERIC_OID else None for kind in kinds]
        yield names, rows, None, loaders if any(loaders) else None


def _row_count(cursor: Any) -> int:
    return int(cursor.rowcount)


def _column_names(cursor: Any) -> list[str]:
    return [column[0] for column in cursor.description]


def open_database(url: str, password: str | None = None, timeout: float = 10.0) -> Database:
    """A connection to the database `url` names; `password` (plain text) wins over one in the URL.

    `timeout` (seconds) bounds connecting and every statement. Fails with a `SeamError` naming the
    URL (password masked) when the database cannot be reached.
    """
    return Database(parse_url(url), password, timeout)
