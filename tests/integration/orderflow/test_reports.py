"""The reports service's consistency check on a real SQLite database: which orders it flags and why."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from orderflow.db import connect, create_schema, orders, reservations, utcnow
from orderflow.reports import Reports


def _order(order_id: str, status: str, age: timedelta) -> dict[str, object]:
    when = utcnow() - age
    return {
        "id": order_id, "customer": "c", "sku": "SKU-X", "quantity": 1, "unit_price": "1.00", "amount": "1.00",
        "currency": "EUR", "status": status, "correlation_id": "cid", "created_at": when, "updated_at": when,
    }  # fmt: skip


def test_only_reservations_of_orders_that_left_reserved_are_orphaned(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path}/reports.db")
    create_schema(engine)
    old, fresh = timedelta(minutes=5), timedelta(seconds=1)
    placed = {
        "healthy-old": ("RESERVED", old, "RESERVED"),
        "cancelled-old": ("CANCELLED", old, "RESERVED"),
        "cancelled-fresh": ("CANCELLED", fresh, "RESERVED"),
        "released": ("CANCELLED", old, "RELEASED"),
        "unreserved": ("RESERVED", fresh, None),
    }
    with engine.begin() as conn:
        for order_id, (status, age, reservation) in placed.items():
            conn.execute(insert(orders).values(**_order(order_id, status, age)))
            if reservation:
                conn.execute(
                    insert(reservations).values(order_id=order_id, sku="SKU-X", quantity=1, status=reservation)
                )
    report = Reports(engine, "http://127.0.0.1:9", None, grace=30.0).consistency()
    engine.dispose()
    found = {(item["order_id"], item["kind"]) for item in report["disagreements"]}
    assert found == {("cancelled-old", "reservation_orphaned"), ("unreserved", "reservation_missing")}
