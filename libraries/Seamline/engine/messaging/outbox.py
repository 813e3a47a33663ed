"""A transactional-outbox table read and written through SQL: orderflow's default message transport.

URL: ``outbox+<sql url>#<table>`` (``outbox+sqlite:///data/orderflow.db#outbox``); the table is
``outbox`` when no fragment is given. Its columns are orderflow's: position (monotonic), message_id,
type, version, occurred_at, correlation_id, payload (JSON text, kept verbatim), published_at.
A capture starts at ``max(position)`` and reads ``position > start``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime, timezone
from typing import Any

from ..database.sql import Database, open_database, quote_identifier
from ..errors import SeamError
from ..timeline import Timeline
from .broker import Broker, Capture, Message, malformed_message, topic_matches

SEAM = "outbox"
COLUMNS = "position, message_id, type, version, occurred_at, correlation_id, payload"
# Rows one fetch reads at most: a burst is taken in a few round trips, never one huge result.
BATCH = 500


def split_outbox_url(url: str) -> tuple[str, str]:
    """``outbox+sqlite:///x.db#outbox`` -> (``sqlite:///x.db``, ``outbox``)."""
    if not url.startswith("outbox+"):
        raise SeamError(SEAM, f"'{url}' is not an outbox URL: expected outbox+<database url>#<table>")
    sql_url, _, table = url[len("outbox+") :].partition("#")
    return sql_url, table or "outbox"


class OutboxBroker(Broker):
    """Captures are positions in the table; publishing inserts a row as a service would."""

    system = "outbox"

    def __init__(self, url: str, password: str | None = None, timeout: float = 10.0, timeline: Timeline | None = None):
        sql_url, self.table = split_outbox_url(url)
        self.db: Database = open_database(sql_url, password, timeout)
        super().__init__(f"outbox+{self.db.display_url}#{self.table}", timeline)
        self.last_position(self.table)  # fail now, not at the first capture, when the table is missing

    def quoted(self, table: str) -> str:
        return quote_identifier(table or self.table, self.db.dialect)

    def last_position(self, table: str) -> int:
        try:
            rows = self.db.query(f"SELECT MAX(position) AS last FROM {self.quoted(table)}")
        except SeamError as error:
            raise SeamError(SEAM, f"cannot read outbox table '{table}' at {self.target}: {error.detail}") from None
        return int(rows[0]["last"] or 0)

    def start_capture(self, source: str, binding: str) -> OutboxCapture:
        table = source or self.table
        return OutboxCapture(self, table, binding or "#", self.last_position(table))

    def publish(self, destination: str, envelope: Mapping[str, Any], raw_payload: str | None = None) -> int:
        """Insert a row into table `destination` (the URL's table when empty); `raw_payload` goes in as-is."""
        payload_text = json.dumps(envelope["payload"]) if raw_payload is None else raw_payload
        message_id, message_type = envelope["message_id"], envelope["type"]
        row = [
            message_id,
            message_type,
            envelope["version"],
            self._timestamp(),
            envelope["correlation_id"],
            payload_text,
        ]
        table = destination or self.table
        sql = (
            f"INSERT INTO {self.quoted(table)} (message_id, type, version, occurred_at, correlation_id, payload) "
            "VALUES (?, ?, ?, ?, ?, ?)"
        )
        try:
            self.db.execute(sql, row)
        except SeamError as error:
            raise SeamError(
                SEAM, f"inserting {message_type} {message_id} into '{table}' at {self.target} failed: {error.detail}"
            ) from None
        return len(payload_text.encode())

    def _timestamp(self) -> Any:
        # What orderflow's UtcDateTime column holds on each database: aware on PostgreSQL, naive UTC
        # elsewhere, as SQLAlchemy's text form on SQLite (so the services read it back).
        now = datetime.now(timezone.utc)
        if self.db.dialect == "postgresql":
            return now
        naive = now.replace(tzinfo=None)
        return naive.isoformat(sep=" ", timespec="microseconds") if self.db.dialect == "sqlite" else naive

    def dead_letters(self) -> list[dict[str, Any]]:
        return read_dead_letters(self.db, self.target)

    def _disconnect(self) -> None:
        self.db.close()


class OutboxCapture(Capture):
    """The rows appended to an outbox table after the capture started, whose type matches the binding."""

    system = "outbox"
    poll_interval = 0.02

    def __init__(self, broker: OutboxBroker, table: str, binding: str, position: int):
        super().__init__(table, binding, broker.timeline)
        self.broker = broker
        self.position = position
        self._sql = f"SELECT {COLUMNS} FROM {broker.quoted(table)} WHERE position > ? ORDER BY position"

    def _receive(self, wait: float) -> list[Message]:
        rows = self.broker.db.query(f"{self._sql} LIMIT {BATCH}", [self.position])
        if rows:
            self.position = int(rows[-1]["position"])
        return [row_message(row, self.source) for row in rows if topic_matches(self.binding, str(row["type"]))]

    def close(self) -> None:
        """Nothing to remove: a capture of an outbox is only a position."""


def row_message(row: Mapping[str, Any], source: str) -> Message:
    """The envelope an outbox row stands for; a payload that is not JSON makes a malformed message."""
    envelope = {
        "message_id": row["message_id"],
        "type": row["type"],
        "version": row["version"],
        "occurred_at": iso_utc(row["occurred_at"]),
        "correlation_id": row["correlation_id"],
    }
    text = str(row["payload"])
    try:
        payload = json.loads(text)
    except ValueError:
        return malformed_message(text, envelope, source=source, routing_key=str(row["type"]))
    body = json.dumps({**envelope, "payload": payload})
    return Message({**envelope, "payload": payload}, body=body, source=source, routing_key=str(row["type"]))


def iso_utc(value: Any) -> str:
    """A timestamp column as ISO-8601 UTC with ``Z``, as the envelope carries it on the wire."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return moment.isoformat().replace("+00:00", "Z")
    return str(value)


def read_dead_letters(db: Database, where: str, table: str = "dead_letters") -> list[dict[str, Any]]:
    """Every row of orderflow's dead-letter table, oldest first, with `envelope` parsed when it is JSON."""
    try:
        rows = db.query(
            f"SELECT id, message_id, consumer, type, envelope, error, attempts, failed_at "
            f"FROM {quote_identifier(table, db.dialect)} ORDER BY id"
        )
    except SeamError as error:
        raise SeamError("dead letters", f"cannot read '{table}' at {where}: {error.detail}") from None
    for row in rows:
        row["failed_at"] = iso_utc(row["failed_at"])
        with suppress(TypeError, ValueError):  # a malformed message is kept as the text that arrived
            row["envelope"] = json.loads(row["envelope"])
    return rows
