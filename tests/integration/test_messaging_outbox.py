"""Messaging over a transactional-outbox table on SQLite, PostgreSQL and MariaDB (orderflow's columns)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from Seamline.engine.database.sql import Database, open_database
from Seamline.engine.errors import SeamError
from Seamline.engine.messaging.envelope import Envelope
from Seamline.engine.messaging.outbox import OutboxBroker
from Seamline.engine.messaging.transports import dead_letter_rows
from Seamline.engine.timeline import Timeline

new_envelope = Envelope().new
# orderflow's outbox and dead_letters columns, in each dialect.
AUTO_ID = {
    "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgresql": "SERIAL PRIMARY KEY",
    "mysql": "INTEGER AUTO_INCREMENT PRIMARY KEY",
}
TIMESTAMP = {"sqlite": "TIMESTAMP", "postgresql": "TIMESTAMPTZ", "mysql": "DATETIME(6)"}


def create_tables(db: Database, outbox: str, dead_letters: str) -> None:
    auto_id, stamp = AUTO_ID[db.dialect], TIMESTAMP[db.dialect]
    db.execute(
        f"CREATE TABLE {outbox} (position {auto_id}, message_id VARCHAR(36) NOT NULL UNIQUE, "
        f"type VARCHAR(64) NOT NULL, version INTEGER NOT NULL, occurred_at {stamp} NOT NULL, "
        f"correlation_id VARCHAR(64) NOT NULL, payload TEXT NOT NULL, published_at {stamp} NULL)"
    )
    db.execute(
        f"CREATE TABLE {dead_letters} (id {auto_id}, message_id VARCHAR(64), consumer VARCHAR(64) NOT NULL, "
        f"type VARCHAR(64), envelope TEXT NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL, "
        f"failed_at {stamp} NOT NULL)"
    )


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'orderflow.db'}"
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def tables(database_url: str) -> Iterator[tuple[str, str, Database]]:
    suffix = uuid.uuid4().hex[:8]
    outbox, dead_letters = f"outbox_{suffix}", f"dead_letters_{suffix}"
    db = open_database(database_url)
    create_tables(db, outbox, dead_letters)
    yield outbox, dead_letters, db
    db.execute(f"DROP TABLE {outbox}")
    db.execute(f"DROP TABLE {dead_letters}")
    db.close()


@pytest.fixture
def broker(database_url: str, tables: tuple[str, str, Database]) -> Iterator[OutboxBroker]:
    opened = OutboxBroker(f"outbox+{database_url}#{tables[0]}", timeout=5, timeline=Timeline())
    yield opened
    opened.close()


def test_a_capture_sees_only_rows_after_its_start(broker: OutboxBroker) -> None:
    broker.publish("", new_envelope("order.created", {"id": "before"}))
    capture = broker.capture("c", "", "order.*")
    sent = new_envelope("order.created", {"id": "after", "amount": "25.00"}, correlation_id="cid-outbox")
    broker.publish("", new_envelope("stock.reserved", {"order_id": "after"}))
    broker.publish("", sent)
    received = capture.wait_for("order.created", {"payload.id": "after"}, timeout=5)
    assert received is not None
    assert {key: value for key, value in received.items() if key != "occurred_at"} == {
        key: value for key, value in sent.items() if key != "occurred_at"
    }
    assert received["occurred_at"].endswith("Z")
    assert [message["payload"] for message in capture.messages] == [sent["payload"]]
    spans = broker.timeline.select("outbox", "receive") if broker.timeline else []
    assert [span.correlation_id for span in spans] == ["cid-outbox"]


def test_a_malformed_payload_is_inserted_as_is_and_captured(broker: OutboxBroker) -> None:
    capture = broker.capture("c", "", "#")
    sent = new_envelope("order.created", {})
    broker.publish("", sent, raw_payload="{not json")
    received = capture.wait_for("order.created", {"malformed": True}, timeout=5)
    assert received is not None
    assert received.message_id == sent["message_id"]
    assert received["body"] == "{not json"


def test_the_same_message_id_twice_fails_clearly(broker: OutboxBroker) -> None:
    sent = new_envelope("order.created", {"id": "dup"})
    broker.publish("", sent)
    with pytest.raises(SeamError) as failure:
        broker.publish("", sent)
    assert str(failure.value).startswith(
        f"Messages: inserting order.created {sent['message_id']} into '{broker.table}' at {broker.target} failed: "
    )


def test_a_message_that_never_arrives_is_none_after_the_timeout(broker: OutboxBroker) -> None:
    capture = broker.capture("c", "", "#")
    broker.publish("", new_envelope("order.created", {"id": "other"}))
    assert capture.wait_for("stock.rejected", {}, timeout=0.3) is None
    assert [message.type for message in capture.messages] == ["order.created"]


def test_an_outbox_with_its_own_columns(database_url: str, tables: tuple[str, str, Database]) -> None:
    db = tables[2]
    table = f"events_{uuid.uuid4().hex[:8]}"
    db.execute(
        f"CREATE TABLE {table} (seq {AUTO_ID[db.dialect]}, event_id VARCHAR(36), kind VARCHAR(64), "
        "trace VARCHAR(64), body TEXT)"
    )
    fields = Envelope(id="event_id", type="kind", version=None, occurred_at=None, correlation="trace", payload="body")
    opened = OutboxBroker(f"outbox+{database_url}#{table}", timeout=5, envelope=fields, position_column="seq")
    try:
        capture = opened.capture("c", "", "order.#")
        sent = fields.new("order.created", {"total": 12.5}, correlation_id="t-1")
        opened.publish("", sent)
        received = capture.wait_for("order.created", {"body.total": "12.50", "trace": "t-1"}, timeout=5)
        assert received is not None
        assert dict(received) == sent
        assert (received.message_id, received.correlation_id, received.payload) == (
            sent["event_id"],
            "t-1",
            {"total": 12.5},
        )
    finally:
        opened.close()
        db.execute(f"DROP TABLE {table}")


def test_dead_letters_are_read_with_their_envelope(tables: tuple[str, str, Database]) -> None:
    _, dead_letters, db = tables
    envelope = new_envelope("order.created", {"id": "x"})
    stamp = "2026-01-02 03:04:05" if db.dialect != "postgresql" else "2026-01-02 03:04:05+00"
    rows = [
        [envelope["message_id"], "inventory", "order.created", json.dumps(envelope), "boom", 3, stamp],
        [None, "inventory", None, "junk{", "message is not JSON", 1, stamp],
    ]
    for row in rows:
        db.execute(
            f"INSERT INTO {dead_letters} (message_id, consumer, type, envelope, error, attempts, failed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            row,
        )
    letters = dead_letter_rows(db, dead_letters, "test")
    assert [letter["envelope"] for letter in letters] == [envelope, "junk{"]
    assert [letter["attempts"] for letter in letters] == [3, 1]
    assert letters[1]["error"] == "message is not JSON"


def test_a_missing_outbox_table_fails_at_connect(database_url: str) -> None:
    with pytest.raises(SeamError) as failure:
        OutboxBroker(f"outbox+{database_url}#no_such_outbox_table", timeout=5)
    assert str(failure.value).startswith("Messages: cannot read outbox table 'no_such_outbox_table' at outbox+")


def test_an_invalid_table_name_is_refused(database_url: str, broker: OutboxBroker) -> None:
    with pytest.raises(SeamError, match="is not a valid table or column name"):
        broker.capture("c", "outbox; DROP TABLE x", "#")
