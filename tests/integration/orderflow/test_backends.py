"""The same journey on PostgreSQL, MariaDB (fresh database each) and with RabbitMQ transport."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pika
from conftest import AUDITOR, CLERK
from orderflow_harness import api, ledger_ack, place_order, start_up, wait_for_status, wait_until
from sqlalchemy import create_engine, select, text

from orderflow.db import connect, dead_letters, normalize_url


def journey(endpoints: dict[str, Any]) -> None:
    """Reserve, reject, cancel, page, post and report: every seam once."""
    with api(endpoints["gateway"], CLERK) as clerk:
        apple = place_order(clerk, "SKU-APPLE", quantity=2)
        rare = place_order(clerk, "SKU-RARE", quantity=1)
        pear = place_order(clerk, "SKU-PEAR", quantity=1)
        # Cancelled as soon as it is reserved: the exporter settles a reserved order after --settle-after (2 s).
        wait_for_status(clerk, pear["id"], "RESERVED")
        cancelled = clerk.post(f"/api/orders/{pear['id']}/cancel")
        assert cancelled.json().get("status") == "CANCELLED", cancelled.text
        wait_for_status(clerk, apple["id"], "RESERVED")
        rejected = wait_for_status(clerk, rare["id"], "REJECTED")
        assert rejected["reject_reason"] == "insufficient stock: requested 1, available 0"
        wait_until(
            lambda: clerk.get("/api/inventory/SKU-PEAR").json()["reserved"] == 0,
            what="the cancelled reservation to be released",
        )
        first = clerk.get("/api/orders", params={"limit": 2}).json()
        second = clerk.get("/api/orders", params={"limit": 2, "cursor": first["next"]}).json()
    assert [o["id"] for o in first["items"] + second["items"]] == [pear["id"], rare["id"], apple["id"]]
    assert second["next"] is None
    ledger_root = Path(endpoints["ledger"]["root"])
    wait_until(lambda: ledger_ack(ledger_root, apple["id"]), what="the ledger to post the order")
    with api(endpoints["gateway"], AUDITOR) as auditor:
        daily = auditor.get("/api/reports/daily").json()
    assert daily["orders"]["count"] == 3
    assert daily["orders"]["by_status"]["RESERVED"] == {"count": 1, "amount": "25.00"}
    assert daily["postings"]["orders"] >= 1


def database_exists(server_url: str, name: str) -> bool:
    engine = create_engine(normalize_url(server_url))
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                query = text("SELECT 1 FROM pg_database WHERE datname = :name")
            else:
                query = text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :name")
            return conn.execute(query, {"name": name}).first() is not None
    finally:
        engine.dispose()


def run_on_server(server_url: str) -> None:
    up = start_up("--db", server_url, "--fresh-db", "--export-interval", "0.2s")
    endpoints = up.info or {}
    database = normalize_url(endpoints["database"]).database or ""
    try:
        assert database.startswith("orderflow_")
        journey(endpoints)
    finally:
        assert up.stop() == 0
    assert not database_exists(server_url, database)


def test_journey_on_postgres(postgres_url: str) -> None:
    run_on_server(postgres_url)


def test_journey_on_mariadb(mariadb_url: str) -> None:
    run_on_server(mariadb_url)


def test_journey_over_rabbitmq_dead_letters_junk(rabbitmq_url: str) -> None:
    namespace = f"orderflow-test-{uuid.uuid4().hex[:8]}"
    up = start_up("--broker", rabbitmq_url, "--broker-namespace", namespace, "--export-interval", "0.2s")
    endpoints = up.info or {}
    engine = connect(f"sqlite:///{endpoints['data_dir']}/orderflow.db")
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    try:
        assert endpoints["broker"] and "guest:***@" in endpoints["broker"]
        channel = connection.channel()
        channel.basic_publish(namespace, "order.created", b"not an envelope", pika.BasicProperties(message_id="junk-1"))
        channel.basic_publish(namespace, "order.created", b'{"hello": "world"}')
        journey(endpoints)

        def junk() -> list[Any]:
            with engine.connect() as conn:
                return list(conn.execute(select(dead_letters).where(dead_letters.c.consumer == "inventory")))

        def both_dead_lettered() -> list[Any] | None:
            rows = junk()
            return rows if len(rows) == 2 else None

        letters = wait_until(both_dead_lettered, what="both junk messages dead-lettered")
        assert sorted(row.envelope for row in letters) == ["not an envelope", '{"hello": "world"}']
    finally:
        engine.dispose()
        assert up.stop() == 0
        channel = connection.channel()
        for service in ("inventory", "orders"):
            channel.queue_delete(f"{namespace}.{service}")
        channel.exchange_delete(namespace)
        connection.close()
