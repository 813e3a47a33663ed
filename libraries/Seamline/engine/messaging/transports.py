"""Choosing a transport by URL, and reading dead letters from the source a test names.

RabbitMQ support needs pika, an optional dependency: `amqp.py` (which imports it) is loaded only
when an ``amqp://`` URL is opened, so ``Library    Seamline`` works without it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from ..database.sql import Database, open_database, quote_identifier
from ..errors import SeamError
from ..timeline import Timeline
from .broker import Broker
from .envelope import SEAM, Envelope
from .outbox import OutboxBroker

AMQP_SCHEMES = ("amqp://", "amqps://")
INSTALL_AMQP = "pip install 'robotframework-seamline[amqp]'"


def open_broker(
    url: str,
    password: str | None,
    timeout: float,
    timeline: Timeline | None,
    envelope: Envelope,
    position_column: str = "position",
    shown_url: str = "",
) -> Broker:
    """A connection to the broker `url` names: RabbitMQ for amqp(s)://, an outbox table for outbox+<sql url>."""
    if url.startswith("outbox+"):
        return OutboxBroker(url, password, timeout, timeline, envelope, position_column)
    if url.startswith(AMQP_SCHEMES):
        return amqp_broker_class()(url, password, timeout, timeline, envelope)
    raise SeamError(SEAM, f"'{shown_url or url}' is neither amqp://... nor outbox+<database url>#<table>")


def amqp_broker_class() -> Any:
    """`AmqpBroker`, imported on first use; a missing pika fails with the one line that installs it."""
    try:
        from .amqp import AmqpBroker
    except ModuleNotFoundError as error:
        if error.name != "pika" and not str(error.name).startswith("pika."):
            raise
        raise SeamError(SEAM, f"RabbitMQ (amqp://) needs pika, which is not installed: {INSTALL_AMQP}") from None
    return AmqpBroker


def read_dead_letters(source: str, broker: Callable[[], Broker], timeout: float) -> tuple[str, list[dict[str, Any]]]:
    """Where the dead letters were read (for spans and failures) and every one there, oldest first.

    `source` is ``amqp:<queue>`` (a dead-letter queue on the RabbitMQ connection `broker()`),
    ``sql:<table>`` (a table in the database of the outbox connection `broker()`) or
    ``<sql url>#<table>`` (a table in another database).
    """
    kind, _, name = source.partition(":")
    if kind == "amqp":
        connection = broker()
        peek = getattr(connection, "peek_queue", None)
        if peek is None:
            raise SeamError(SEAM, f"{connection.target} is not a RabbitMQ connection: 'amqp:{name}' names a queue")
        return f"queue '{name}' on {connection.target}", peek(name)
    if kind == "sql":
        connection = broker()
        if not isinstance(connection, OutboxBroker):
            raise SeamError(
                SEAM, f"{connection.target} is not an outbox: give the table as <sql url>#{name or '<table>'}"
            )
        return f"table '{name}' at {connection.target}", dead_letter_rows(connection.db, name, connection.target)
    url, hash_sign, table = source.partition("#")
    if "://" not in url or not hash_sign or not table:
        raise SeamError(SEAM, f"dead letters come from amqp:<queue>, sql:<table> or <sql url>#<table>, got '{source}'")
    db = open_database(url, timeout=timeout)
    try:
        return f"table '{table}' at {db.display_url}", dead_letter_rows(db, table, db.display_url)
    finally:
        db.close()


def dead_letter_rows(db: Database, table: str, where: str) -> list[dict[str, Any]]:
    """Every row of a dead-letter table in the order of its first column, text holding JSON parsed."""
    try:
        rows = db.query(f"SELECT * FROM {quote_identifier(table, db.dialect)} ORDER BY 1")
    except SeamError as error:
        raise SeamError(SEAM, f"cannot read dead letters from '{table}' at {where}: {error.detail}") from None
    for row in rows:
        for column, value in row.items():
            if isinstance(value, str) and value[:1] in ("{", "["):
                with suppress(ValueError):  # a malformed message is kept as the text that arrived
                    row[column] = json.loads(value)
    return rows
