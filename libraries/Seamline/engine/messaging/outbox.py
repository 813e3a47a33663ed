"""A transactional-outbox table read and written through SQL.

URL: ``outbox+<sql url>#<table>`` (``outbox+sqlite:///data/orderflow.db#outbox``); the table is
``outbox`` when no fragment is given. A row is one message: a monotonic position column (``position``
unless `position_column` says otherwise) and one column per envelope field, named as the field
(orderflow's: message_id, type, version, occurred_at, correlation_id, payload as JSON text, kept
verbatim). A capture starts at ``max(position)`` and reads ``position > start``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ..database.sql import Database, open_database, quote_identifier
from ..errors import SeamError
from ..timeline import Timeline
from .broker import DEFAULT_ENVELOPE, Broker, Capture, Message, malformed_message, topic_matches
from .envelope import SEAM, Envelope

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

    def __init__(
        self,
        url: str,
        password: str | None = None,
        timeout: float = 10.0,
        timeline: Timeline | None = None,
        envelope: Envelope | None = None,
        position_column: str = "position",
    ):
        sql_url, self.table = split_outbox_url(url)
        self.db: Database = open_database(sql_url, password, timeout)
        super().__init__(f"outbox+{self.db.display_url}#{self.table}", envelope or Envelope(), timeline)
        self.position_column = position_column
        self.last_position(self.table)  # fail now, not at the first capture, when the table is missing

    def quoted(self, name: str) -> str:
        return quote_identifier(name, self.db.dialect)

    def last_position(self, table: str) -> int:
        position = self.quoted(self.position_column)
        try:
            rows = self.db.query(f"SELECT MAX({position}) AS last FROM {self.quoted(table)}")
        except SeamError as error:
            raise SeamError(SEAM, f"cannot read outbox table '{table}' at {self.target}: {error.detail}") from None
        return int(rows[0]["last"] or 0)

    def start_capture(
        self, source: str, binding: str, exchange_type: str = "topic", durable: bool = True
    ) -> OutboxCapture:
        table = source or self.table
        return OutboxCapture(self, table, binding or "#", self.last_position(table))

    def publish(self, destination: str, envelope: Mapping[str, Any], raw_payload: str | None = None) -> int:
        """Insert a row into table `destination` (the URL's table when empty); `raw_payload` goes in as-is."""
        fields = self.envelope
        payload_text = json.dumps(envelope[fields.payload]) if raw_payload is None else raw_payload
        row = {**envelope, fields.payload: payload_text}
        if fields.occurred_at:
            row[fields.occurred_at] = self._timestamp()
        table = destination or self.table
        columns = ", ".join(self.quoted(name) for name in row)
        sql = f"INSERT INTO {self.quoted(table)} ({columns}) VALUES ({', '.join('?' for _ in row)})"
        try:
            self.db.execute(sql, list(row.values()))
        except SeamError as error:
            raise SeamError(
                SEAM,
                f"inserting {envelope[fields.type]} {envelope[fields.id]} into '{table}' at {self.target} failed: "
                f"{error.detail}",
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

    def _disconnect(self) -> None:
        self.db.close()


class OutboxCapture(Capture):
    """The rows appended to an outbox table after the capture started, whose type matches the binding."""

    system = "outbox"
    poll_interval = 0.02

    def __init__(self, broker: OutboxBroker, table: str, binding: str, position: int):
        super().__init__(table, binding, broker.envelope, broker.timeline)
        self.broker = broker
        self.position = position
        position_column = broker.quoted(broker.position_column)
        columns = ", ".join([position_column, *(broker.quoted(name) for name in broker.envelope.present().values())])
        self._sql = (
            f"SELECT {columns} FROM {broker.quoted(table)} WHERE {position_column} > ? ORDER BY {position_column}"
        )

    def _receive(self, wait: float) -> list[Message]:
        try:
            rows = self.broker.db.query(f"{self._sql} LIMIT {BATCH}", [self.position])
        except SeamError as error:
            raise SeamError(
                SEAM, f"reading outbox table '{self.source}' at {self.broker.target}: {error.detail}"
            ) from None
        if rows:
            self.position = int(rows[-1][self.broker.position_column])
        type_field = self.envelope.type
        return [
            row_message(row, self.source, self.envelope, self.broker.position_column)
            for row in rows
            if topic_matches(self.binding, str(row[type_field]))
        ]

    def check_link(self) -> None:
        """Nothing to check: every fetch is a query, which fails on its own when the database is gone."""

    def close(self) -> None:
        """Nothing to remove: a capture of an outbox is only a position."""


def row_message(
    row: Mapping[str, Any], source: str, envelope: Envelope = DEFAULT_ENVELOPE, position_column: str = "position"
) -> Message:
    """The envelope an outbox row stands for; a payload that is not JSON makes a malformed message."""
    data = {name: value for name, value in row.items() if name not in (position_column, envelope.payload)}
    if envelope.occurred_at and envelope.occurred_at in data:
        data[envelope.occurred_at] = iso_utc(data[envelope.occurred_at])
    message_type = str(row[envelope.type])
    text = str(row[envelope.payload])
    try:
        payload = json.loads(text)
    except ValueError:
        known = {role: data.get(name) for role, name in envelope.present().items()}
        return malformed_message(text, envelope, known, source=source, routing_key=message_type)
    data[envelope.payload] = payload
    return Message(data, body=json.dumps(data, default=str), envelope=envelope, source=source, routing_key=message_type)


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
