"""SQL databases through their DB-API drivers: one small API for SQLite, PostgreSQL and MariaDB.

    db = open_database("postgresql://postgres@127.0.0.1:5432/test", password=None, timeout=10.0)
    rows = db.query("SELECT id, status FROM orders WHERE id = ?", [order_id])   # list of dicts
    count = db.execute("DELETE FROM orders WHERE status = :status", {"status": "NEW"})
    db.close()

Placeholders are SQLite's, whatever the database: ``?`` with a sequence of parameters, ``:name``
with a mapping. They are translated to the driver's style (``%s`` / ``%(name)s``) outside string
literals, quoted identifiers and comments; a statement without parameters goes to the driver as
written. Values are always bound by the driver, never interpolated.

Every connection runs in autocommit mode (a read costs one round trip, no COMMIT after it) and has
a timeout for connecting and for each statement: PostgreSQL ``statement_timeout``, MariaDB
``max_statement_time`` (plus a socket read timeout as a backstop), SQLite a busy timeout for locks
and a progress handler for long statements. A statement that fails leaves the connection usable;
a connection that broke is re-opened by the next statement.

Rows are dicts of plain Python values (int, float, Decimal, str, bytes, bool, datetime, date, None);
PostgreSQL UUIDs come back as strings. SQLite keeps timestamps as text and returns them as such.
"""

from __future__ import annotations

import contextlib
import math
import re
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import SeamError
from ..masking import mask_url_passwords

SEAM = "SQL"
DIALECTS = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}
# Seconds a MariaDB socket read may take beyond the statement timeout before the client gives up.
READ_TIMEOUT_MARGIN = 5.0
# SQLite VM instructions between two looks at the statement deadline.
SQLITE_PROGRESS_STEPS = 10_000

# What drivers raise for parameters that do not fit the placeholders (a count or a name that differs).
PARAMETER_ERRORS = (KeyError, TypeError, IndexError)

Params = Sequence[Any] | Mapping[str, Any]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed database URL; `display` is safe to log (password masked)."""

    dialect: str
    host: str
    port: int | None
    user: str | None
    password: str | None
    database: str
    options: dict[str, str]
    display: str


def parse_url(url: str) -> DatabaseUrl:
    """`sqlite:///relative.db`, `sqlite:////absolute.db`, `postgresql://user:pw@host:port/db`, `mysql://...`.

    A `+driver` suffix (`postgresql+psycopg://`, `mysql+pymysql://`) is accepted and ignored.
    """
    scheme, sep, rest = url.partition("://")
    dialect = DIALECTS.get(scheme.split("+", 1)[0].lower()) if sep else None
    if dialect is None:
        raise SeamError(
            SEAM,
            f"unsupported database URL '{mask_url_passwords(url)}': expected sqlite:///path, "
            "postgresql://user@host:port/db or mysql://user@host:port/db",
        )
    if dialect == "sqlite":
        path = rest[1:] if rest.startswith("/") else rest
        return DatabaseUrl("sqlite", "", None, None, None, path.split("?", 1)[0] or ":memory:", {}, url)
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise SeamError(SEAM, f"database URL '{mask_url_passwords(url)}' has an invalid port") from None
    return DatabaseUrl(
        dialect=dialect,
        host=parts.hostname or "127.0.0.1",
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=unquote(parts.path.lstrip("/")),
        options=dict(parse_qsl(parts.query)),
        display=mask_url_passwords(url),
    )


def quote_identifier(name: str, dialect: str) -> str:
    """A table or column name (optionally `schema.table`) quoted for `dialect`; anything else is refused."""
    if not _IDENTIFIER.match(name):
        raise SeamError(SEAM, f"'{name}' is not a valid table or column name (letters, digits, _ and one '.')")
    # SQLite takes an unknown "name" for a string literal; an unknown `name` fails, as it should.
    quote = '"' if dialect == "postgresql" else "`"
    return ".".join(f"{quote}{part}{quote}" for part in name.split("."))


_SQL_TOKENS = {
    # Text where placeholders mean nothing: literals, quoted identifiers, comments, dollar quotes.
    "standard": r"'(?:''|[^'])*'|\"(?:\"\"|[^\"])*\"|--[^\n]*|/\*.*?\*/|\$(?P<tag>\w*)\$.*?\$(?P=tag)\$",
    # MariaDB also escapes with backslashes and quotes identifiers with backticks.
    "mysql": r"'(?:''|\\.|[^'\\])*'|\"(?:\"\"|\\.|[^\"\\])*\"|`[^`]*`|--[^\n]*|#[^\n]*|/\*.*?\*/",
}


@lru_cache(maxsize=1024)
def translate_placeholders(sql: str, dialect: str, named: bool) -> str:
    """`?` (or `:name` when `named`) in driver style; `%` doubled, as format-style drivers require."""
    if dialect == "sqlite":
        return sql
    quoted = _SQL_TOKENS["mysql" if dialect == "mysql" else "standard"]
    placeholder = r"(?<![:\w]):(?P<name>[A-Za-z_]\w*)" if named else r"\?"
    pattern = re.compile(f"(?P<quoted>{quoted})|(?P<placeholder>{placeholder})|%", re.DOTALL)

    def replace(match: re.Match[str]) -> str:
        if match.group("quoted") is not None:
            return match.group("quoted").replace("%", "%%")
        if match.group("placeholder") is not None:
            return f"%({match.group('name')})s" if named else "%s"
        return "%%"

    return pattern.sub(replace, sql)


class Database:
    """One connection to one database, re-opened when it broke. Not shared between threads."""

    def __init__(self, url: DatabaseUrl, password: str | None, timeout: float):
        self.url = url
        self.dialect = url.dialect
        self.timeout = timeout
        self._password = password if password is not None else url.password
        self._connection: Any = None
        self._deadline = math.inf
        self._driver = _load_driver(url.dialect)
        self._connection = self._connect()

    @property
    def display_url(self) -> str:
        return self.url.display

    def query(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        """The rows `sql` returns, as dicts (an empty list for a statement that returns none)."""
        cursor = self._run(sql, params)
        try:
            description = cursor.description
            if description is None:
                return []
            names = [column[0] for column in description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except self._driver.Error as error:
            raise self._failure(error, sql, params) from None
        finally:
            cursor.close()

    def execute(self, sql: str, params: Params = ()) -> int:
        """Runs a statement (committed at once) and returns the number of rows it changed."""
        cursor = self._run(sql, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def columns(self, table: str) -> list[str]:
        """The column names of `table` (fails clearly when there is no such table)."""
        sql = f"SELECT * FROM {quote_identifier(table, self.dialect)} WHERE 1 = 0"
        cursor = self._run(sql, ())
        try:
            return [column[0] for column in cursor.description]
        finally:
            cursor.close()

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            # Closing a connection the server already dropped: nothing is left to release.
            with contextlib.suppress(self._driver.Error):
                connection.close()

    def _run(self, sql: str, params: Params) -> Any:
        connection = self._connection if self._connection is not None else self._reconnect()
        if params:
            driver_sql: str = translate_placeholders(sql, self.dialect, isinstance(params, Mapping))
            driver_params: Any = params if isinstance(params, Mapping) else tuple(params)
        else:
            driver_sql, driver_params = sql, None
        self._deadline = time.monotonic() + self.timeout
        cursor = connection.cursor()
        try:
            if driver_params is None:
                cursor.execute(driver_sql)
            else:
                cursor.execute(driver_sql, driver_params)
        except (self._driver.Error, *PARAMETER_ERRORS) as error:
            cursor.close()
            raise self._failure(error, sql, params) from None
        except BaseException:
            cursor.close()
            raise
        return cursor

    def _reconnect(self) -> Any:
        self._connection = self._connect()
        return self._connection

    def _connect(self) -> Any:
        url = self.url
        try:
            if url.dialect == "sqlite":
                return self._connect_sqlite()
            if url.dialect == "postgresql":
                return self._connect_postgresql()
            return self._connect_mysql()
        except self._driver.Error as error:
            raise SeamError(SEAM, f"cannot connect to {url.display}: {_driver_message(error)}") from None

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
        connection = psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.user,
            password=self._password,
            dbname=url.database or None,
            # libpq waits at least 2 s for a connection, whatever it is told.
            connect_timeout=max(2, math.ceil(self.timeout)),
            options=f"-c statement_timeout={max(1, round(self.timeout * 1000))}",
            autocommit=True,
            **url.options,
        )
        # A UUID as text compares with what APIs return; the rest of psycopg's types are plain already.
        from psycopg.types.string import TextLoader

        connection.adapters.register_loader("uuid", TextLoader)
        return connection

    def _connect_mysql(self) -> Any:
        pymysql = self._driver
        url = self.url
        options = {"charset": "utf8mb4", **url.options}
        connection = pymysql.connect(
            host=url.host,
            port=url.port or 3306,
            user=url.user,
            password=self._password or "",
            database=url.database or None,
            connect_timeout=self.timeout,
            read_timeout=self.timeout + READ_TIMEOUT_MARGIN,
            write_timeout=self.timeout + READ_TIMEOUT_MARGIN,
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

    def _failure(self, error: Exception, sql: str, params: Params) -> SeamError:
        message = _driver_message(error)
        what = f"did not finish within {self.timeout:g}s" if _is_timeout(error, self.dialect) else "failed"
        if self._is_broken():
            self.close()
            message += " (the connection was lost; the next statement re-opens it)"
        detail = f"statement {what} on {self.url.display}: {message}\nStatement: {_cut(sql)}"
        if params:
            shown = dict(params) if isinstance(params, Mapping) else list(params)
            detail += f"\nParameters: {shown}"
        return SeamError(SEAM, detail)


def _is_timeout(error: Exception, dialect: str) -> bool:
    if dialect == "postgresql":
        return type(error).__name__ == "QueryCanceled"
    if dialect == "mysql":
        code = error.args[0] if error.args else None
        return code in (1969, 3024) or "timed out" in str(error)
    return "interrupted" in str(error) or "locked" in str(error)


def _driver_message(error: Exception) -> str:
    if isinstance(error, PARAMETER_ERRORS):
        return f"parameters do not fit the placeholders ({type(error).__name__}: {error})"
    if len(error.args) == 2 and isinstance(error.args[0], int):  # pymysql: (code, message)
        return f"({error.args[0]}) {error.args[1]}"
    return " ".join(str(error).split()) or type(error).__name__


def _cut(sql: str, limit: int = 500) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else f"{flat[:limit]}… [{len(flat) - limit} more characters]"


def _load_driver(dialect: str) -> Any:
    if dialect == "sqlite":
        return sqlite3
    module, extra = ("psycopg", "postgres") if dialect == "postgresql" else ("pymysql", "mysql")
    try:
        return __import__(module)
    except ImportError:
        raise SeamError(
            SEAM,
            f"the {dialect} driver '{module}' is not installed: pip install 'robotframework-seamline[{extra}]'",
        ) from None


def open_database(url: str, password: str | None = None, timeout: float = 10.0) -> Database:
    """A connection to the database `url` names; `password` (plain text) wins over one in the URL.

    `timeout` (seconds) bounds connecting and every statement. Fails with a `SeamError` naming the
    URL (password masked) when the database cannot be reached.
    """
    return Database(parse_url(url), password, timeout)
