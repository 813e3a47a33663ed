"""Cancelling against settling: an order is either cancelled or settled with the ledger, never both.

The settlement exporter and the orders service's cancel meet on the order's row (its lock): on SQLite,
PostgreSQL and MariaDB, whichever commits first wins and the other sees it. The ledger is a stand-in
that records what it was sent.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update

from orderflow.db import connect, create_schema, create_scratch_database, drop_database, orders, settlements, utcnow
from orderflow.orders import OrdersService
from orderflow.serving import ApiError
from orderflow.settlement import SettlementExporter


class FakeLedger:
    """A LedgerTarget whose client records the batches exported and posted."""

    def __init__(self) -> None:
        self.exported: dict[str, list[str]] = {}
        self.posted: list[str] = []

    @contextmanager
    def client(self) -> Iterator[FakeLedger]:
        yield self

    def export_batch(self, lines: list[Any], batch_id: str) -> str:
        self.exported[batch_id] = [line.order_id for line in lines]
        return batch_id

    def post(self, batch_id: str) -> None:
        self.posted.append(batch_id)


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'orderflow.db'}"
    else:
        url = create_scratch_database(request.getfixturevalue(f"{request.param}_url"))
    engine = connect(url)
    create_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        if request.param != "sqlite":
            drop_database(url)


def reserved_order(engine: Engine, reserved_ago: float = 60.0) -> str:
    order_id = str(uuid.uuid4())
    moment = utcnow() - timedelta(seconds=reserved_ago)
    with engine.begin() as conn:
        conn.execute(
            insert(orders).values(
                id=order_id,
                customer="settle-race",
                sku="SKU-RACE",
                quantity=1,
                unit_price=Decimal("12.50"),
                amount=Decimal("12.50"),
                currency="EUR",
                status="RESERVED",
                reject_reason=None,
                correlation_id=order_id,
                created_at=moment,
                updated_at=moment,
            )
        )
    return order_id


def exporter_for(engine: Engine, ledger: FakeLedger, settle_after: float = 2.0) -> SettlementExporter:
    return SettlementExporter(engine, ledger, interval=1.0, auto_post=True, settle_after=settle_after)  # type: ignore[arg-type]


def status_of(engine: Engine, order_id: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(orders.c.status).where(orders.c.id == order_id)).scalar_one())


def test_a_settled_order_is_refused_naming_its_batch(engine: Engine) -> None:
    ledger = FakeLedger()
    order_id = reserved_order(engine)
    batch_id = exporter_for(engine, ledger).export_once()
    assert ledger.exported == {batch_id: [order_id]} and ledger.posted == [batch_id]
    with pytest.raises(ApiError) as refused:
        OrdersService(engine).cancel(order_id, "c-1")
    assert (refused.value.status, refused.value.code) == (409, "ORDER_SETTLED")
    assert f"settlement batch {batch_id}" in refused.value.message
    assert status_of(engine, order_id) == "RESERVED"


def test_an_order_in_its_cancellation_window_is_not_settled_and_can_be_cancelled(engine: Engine) -> None:
    ledger = FakeLedger()
    order_id = reserved_order(engine, reserved_ago=0.0)
    assert exporter_for(engine, ledger, settle_after=60.0).export_once() is None
    assert OrdersService(engine).cancel(order_id, "c-2")["status"] == "CANCELLED"
    assert exporter_for(engine, ledger, settle_after=0.0).export_once() is None
    assert ledger.exported == {}


def test_a_cancel_waiting_for_the_exporters_claim_is_refused(engine: Engine) -> None:
    order_id = reserved_order(engine)
    outcome: dict[str, Any] = {}

    def cancel() -> None:
        try:
            outcome["order"] = OrdersService(engine).cancel(order_id, "c-3")
        except ApiError as error:
            outcome["refused"] = error.code

    with engine.begin() as conn:  # what the exporter's claim does, held open while the cancel comes
        conn.execute(select(orders).where(orders.c.id == order_id).with_for_update())
        conn.execute(insert(settlements).values(order_id=order_id, batch_id="SRACE1", exported_at=utcnow()))
        cancelling = threading.Thread(target=cancel)
        cancelling.start()
        time.sleep(0.3)  # the cancel is now waiting for the order's row
        assert cancelling.is_alive()
    cancelling.join(20)
    assert outcome == {"refused": "ORDER_SETTLED"}
    assert status_of(engine, order_id) == "RESERVED"


def test_a_claim_waiting_for_a_cancel_leaves_the_cancelled_order_out(engine: Engine) -> None:
    ledger = FakeLedger()
    order_id = reserved_order(engine)
    outcome: dict[str, Any] = {}
    with engine.begin() as conn:  # what a cancel does, held open while the exporter comes
        conn.execute(select(orders.c.status).where(orders.c.id == order_id).with_for_update())
        conn.execute(update(orders).where(orders.c.id == order_id).values(status="CANCELLED", updated_at=utcnow()))
        exporting = threading.Thread(target=lambda: outcome.update(batch=exporter_for(engine, ledger).export_once()))
        exporting.start()
        time.sleep(0.3)  # the exporter's claim is now waiting
        assert exporting.is_alive()
    exporting.join(20)
    assert outcome == {"batch": None}
    assert ledger.exported == {}
    with engine.connect() as conn:
        assert conn.execute(select(settlements).where(settlements.c.order_id == order_id)).first() is None
