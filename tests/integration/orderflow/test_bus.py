"""Outbox delivery: poison messages, idempotent consumers, a consumer killed mid-stream."""

from __future__ import annotations

import signal
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from orderflow_harness import Process, start_service, wait_until
from sqlalchemy import Engine, func, insert, select

from orderflow.db import connect, dead_letters, orders, outbox, reservations, utcnow
from orderflow.messaging import envelope_text


@dataclass
class Platform:
    db: str
    engine: Engine
    orders: str
    inventory: str
    inventory_process: Process
    processes: list[Process]
    http: httpx.Client

    def restart_inventory(self) -> None:
        port = self.inventory.rsplit(":", 1)[1]
        self.inventory_process = start_service("inventory", "--db", self.db, "--port", port)
        self.processes.append(self.inventory_process)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    db = f"sqlite:///{Path(tmp_path_factory.mktemp('bus')) / 'orderflow.db'}"
    inventory = start_service("inventory", "--db", db, "--seed", "SKU-APPLE=100,SKU-BULK=1000")
    orders = start_service("orders", "--db", db)
    urls = {name: str((p.info or {})["url"]) for name, p in (("inventory", inventory), ("orders", orders))}
    subscribers = ",".join(f"{name}={url}" for name, url in urls.items())
    bus = start_service("bus", "--db", db, "--subscribers", subscribers)
    engine = connect(db)
    http = httpx.Client(timeout=10)
    platform = Platform(db, engine, urls["orders"], urls["inventory"], inventory, [inventory, orders, bus], http)
    try:
        yield platform
    finally:
        for process in platform.processes:
            process.stop()
        http.close()
        engine.dispose()


def place(platform: Platform, sku: str) -> str:
    body = {"customer": "Bo", "sku": sku, "quantity": 1, "unit_price": "2.00"}
    response = platform.http.post(f"{platform.orders}/orders", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def status_of(platform: Platform, order_id: str) -> str:
    return str(platform.http.get(f"{platform.orders}/orders/{order_id}").json()["status"])


def publish_raw(engine: Engine, payload: str) -> str:
    message_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            insert(outbox).values(
                message_id=message_id,
                type="order.created",
                version=1,
                occurred_at=utcnow(),
                correlation_id="junk",
                payload=payload,
            )
        )
    return message_id


def dead_letter(engine: Engine, message_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(dead_letters).where(dead_letters.c.message_id == message_id)).first()


def test_poison_messages_are_dead_lettered_and_later_ones_still_flow(platform: Platform) -> None:
    not_json = publish_raw(platform.engine, "{not json")
    handler_fails = publish_raw(platform.engine, "{}")
    order_id = place(platform, "SKU-APPLE")

    wait_until(lambda: status_of(platform, order_id) == "RESERVED", what="the later order")
    junk = wait_until(lambda: dead_letter(platform.engine, not_json), what="the non-JSON message")
    failing = wait_until(lambda: dead_letter(platform.engine, handler_fails), what="failing one")
    assert (junk.consumer, junk.attempts) == ("inventory", 1)
    assert "not JSON" in junk.error and "{not json" in junk.envelope
    # A payload breaking the Order contract is poison: dead-lettered at once, not retried.
    assert failing.attempts == 1 and "breaks the Order contract" in failing.error


def test_a_redelivered_message_is_not_applied_twice(platform: Platform) -> None:
    order_id = place(platform, "SKU-APPLE")
    wait_until(lambda: status_of(platform, order_id) == "RESERVED", what="the order")
    stock_before = platform.http.get(f"{platform.inventory}/stock/SKU-APPLE").json()
    with platform.engine.connect() as conn:
        row = conn.execute(
            select(outbox).where(outbox.c.type == "order.created", outbox.c.payload.contains(order_id))
        ).one()
    again = platform.http.post(f"{platform.inventory}/messages", content=envelope_text(row))
    assert again.json()["outcome"] == "duplicate"
    assert platform.http.get(f"{platform.inventory}/stock/SKU-APPLE").json() == stock_before


def test_killing_the_consumer_mid_stream_loses_and_doubles_nothing(platform: Platform) -> None:
    count = 100
    placed: list[str] = []
    placing = threading.Thread(target=lambda: placed.extend(place(platform, "SKU-BULK") for _ in range(count)))
    placing.start()

    def reserved() -> int:
        with platform.engine.connect() as conn:
            query = select(func.count()).select_from(reservations).where(reservations.c.sku == "SKU-BULK")
            return int(conn.execute(query).scalar_one())

    wait_until(lambda: reserved() >= 5, what="the first reservations")
    platform.inventory_process.stop(signal.SIGKILL)
    reserved_at_kill = reserved()
    placing.join(60)
    assert len(placed) == count
    assert reserved_at_kill < count, "the consumer was not killed while messages were in flight"

    platform.restart_inventory()

    def all_reserved() -> bool:
        query = select(func.count()).where(orders.c.sku == "SKU-BULK", orders.c.status == "RESERVED")
        with platform.engine.connect() as conn:
            return conn.execute(query).scalar_one() == count

    wait_until(all_reserved, 30, "every order to be RESERVED")
    stock = platform.http.get(f"{platform.inventory}/stock/SKU-BULK").json()
    assert stock == {"sku": "SKU-BULK", "available": 1000 - count, "reserved": count}
    with platform.engine.connect() as conn:
        rows = conn.execute(select(reservations.c.order_id).where(reservations.c.sku == "SKU-BULK")).all()
    assert sorted(row.order_id for row in rows) == sorted(placed)


def test_an_idle_pass_costs_one_lookup_and_a_new_row_still_gets_a_full_pass(tmp_path: Path) -> None:
    from sqlalchemy import event

    from orderflow.bus import OutboxTransport
    from orderflow.db import create_schema

    engine = connect(f"sqlite:///{tmp_path / 'idle.db'}")
    create_schema(engine)
    transport = OutboxTransport(engine, {"inventory": "http://127.0.0.1:9", "orders": "http://127.0.0.1:9"}, 1.0)
    statements: list[str] = []
    # The statements the pass sends (SQLite's BEGIN, sent with every connection here, aside).
    event.listen(
        engine, "before_cursor_execute", lambda *args: args[2].startswith("BEGIN") or statements.append(args[2])
    )
    try:
        assert transport.pass_once() == 0
        assert len(statements) == 1, statements
        row = {"message_id": str(uuid.uuid4()), "type": "nobody.listens", "version": 1, "occurred_at": utcnow()}
        with engine.begin() as conn:
            conn.execute(insert(outbox).values(correlation_id="c", payload="{}", **row))
        statements.clear()
        transport.pass_once()  # nobody subscribes to the type: the full pass marks it published
        assert len(statements) > 1
        with engine.connect() as conn:
            assert conn.execute(select(outbox.c.published_at)).scalar_one() is not None
        statements.clear()
        assert transport.pass_once() == 0
        assert len(statements) == 1
    finally:
        transport.close()
        engine.dispose()
