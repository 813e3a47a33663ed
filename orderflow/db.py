"""orderflow's one SQL schema and the engines that reach it.

Works on SQLite (default; WAL so several processes share the file), PostgreSQL and MariaDB.
Plain URLs (``postgresql://``, ``mysql://``) are mapped to the psycopg / pymysql drivers.

Deadlocks: InnoDB and PostgreSQL end one transaction of a lock cycle (a cancel and the settlement
exporter's claim of the same order can form one on MariaDB, through the orders status index);
:func:`transaction` runs a unit of work again when the database chose it as the victim.

Isolation on a shared server: :func:`create_scratch_database` makes a fresh
``orderflow_<random>`` database next to the one a URL names, and :func:`drop_database` removes
it (``python -m orderflow up --fresh-db`` does both).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    exc,
    text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import URL, make_url

from orderflow import telemetry

_DRIVERS = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "sqlite": "sqlite+pysqlite",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the database keeps (MariaDB and SQLite keep no zone)."""

    impl = DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql")
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer", String(200), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Numeric(12, 2), nullable=False),
    Column("amount", Numeric(12, 2), nullable=False),
    Column("currency", String(3).with_variant(mysql.CHAR(3), "mysql"), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("reject_reason", String(255), nullable=True),
    Column("correlation_id", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    Column("updated_at", UtcDateTime, nullable=False),
    # The trace that created the order (W3C traceparent): settlement continues it (orderflow.telemetry).
    Column("traceparent", String(55), nullable=True),
)

outbox = Table(
    "outbox",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(36), nullable=False, unique=True),
    Column("type", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("correlation_id", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("published_at", UtcDateTime, nullable=True, index=True),
    # The producer span's traceparent: the bus carries it to consumers (HTTP header / AMQP header).
    Column("traceparent", String(55), nullable=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("message_id", String(36), nullable=False),
    Column("consumer", String(64), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", UtcDateTime, nullable=True),
    UniqueConstraint("message_id", "consumer", name="uq_deliveries_message_consumer"),
)

processed_messages = Table(
    "processed_messages",
    metadata,
    Column("consumer", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    UniqueConstraint("consumer", "message_id", name="uq_processed_consumer_message"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(64), nullable=True),
    Column("consumer", String(64), nullable=False),
    Column("type", String(64), nullable=True),
    Column("envelope", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("failed_at", UtcDateTime, nullable=False),
)

stock = Table(
    "stock",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("available", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
)

reservations = Table(
    "reservations",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", String(16), nullable=False),
)

settlements = Table(
    "settlements",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("batch_id", String(64), nullable=False),
    Column("exported_at", UtcDateTime, nullable=False),
)


def normalize_url(url: str) -> URL:
    """A plain database URL with the driver orderflow uses for its dialect."""
    parsed = make_url(url)
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername=_DRIVERS.get(parsed.drivername, parsed.drivername))
    return parsed


def masked(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take the write lock at BEGIN: a deferred transaction that upgrades its lock later gets
    # SQLITE_BUSY at once in WAL mode instead of waiting for the busy timeout.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def connect(url: str) -> Engine:
    """An engine for `url`, with timeouts so that no statement can wait forever (traced when exporting)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    else:
        connect_args: dict[str, Any] = {"connect_timeout": 10}
        if parsed.get_backend_name() == "mysql":
            connect_args |= {"read_timeout": 30, "write_timeout": 30}
        engine = create_engine(parsed, pool_pre_ping=True, pool_size=5, connect_args=connect_args)
    telemetry.instrument_engine(engine)
    return engine


T = TypeVar("T")

# MySQL/MariaDB: deadlock found. PostgreSQL (SQLSTATE): deadlock detected, serialization failure. (A lock wait
# timeout is not among them: it already took its whole timeout.)
_MYSQL_VICTIM = {1213}
_POSTGRES_VICTIM = {"40P01", "40001"}


def is_deadlock(error: exc.DBAPIError) -> bool:
    """Did the database end this transaction to break a lock cycle, so that running it again can pass?"""
    orig = error.orig
    if getattr(orig, "sqlstate", None) in _POSTGRES_VICTIM:
        return True
    code = orig.args[0] if orig is not None and orig.args else None
    return isinstance(code, int) and code in _MYSQL_VICTIM


def transaction(engine: Engine, work: Callable[[Connection], T], attempts: int = 3) -> T:
    """``work(conn)`` in one transaction, run again (`attempts` in all) if the database ends it as deadlock victim."""
    for attempt in range(1, attempts):
        try:
            with engine.begin() as conn:
                return work(conn)
        except exc.DBAPIError as error:
            if not is_deadlock(error):
                raise
            time.sleep(0.01 * attempt)
    with engine.begin() as conn:
        return work(conn)


def create_schema(engine: Engine, attempts: int = 5) -> None:
    """Create every table that is missing; several processes may race to do it at once."""
    for attempt in range(1, attempts + 1):
        try:
            metadata.create_all(engine)
            return
        except (exc.OperationalError, exc.ProgrammingError, exc.IntegrityError):
            # Another process created the same table between our check and our CREATE.
            if attempt == attempts:
                raise
            time.sleep(0.2 * attempt)


def _server_engine(url: URL) -> Engine:
    admin_db = "postgres" if url.get_backend_name() == "postgresql" else None
    return create_engine(url.set(database=admin_db), isolation_level="AUTOCOMMIT")


def create_scratch_database(url: str) -> str:
    """Create a fresh `orderflow_<random>` database on the server `url` names; return its URL."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        raise ValueError("a scratch database needs a PostgreSQL or MariaDB server URL")
    name = f"orderflow_{uuid.uuid4().hex[:12]}"
    server = _server_engine(parsed)
    try:
        with server.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    finally:
        server.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the database `url` names (a scratch database made by create_scratch_database)."""
    parsed = normalize_url(url)
    name = parsed.database or ""
    if not name.startswith("orderflow_"):
        raise ValueError(f"refusing to drop {name!r}: only orderflow_* scratch databases")
    server = _server_engine(parsed)
    force = " WITH (FORCE)" if parsed.get_backend_name() == "postgresql" else ""
    try:
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
    finally:
        server.dispose()
