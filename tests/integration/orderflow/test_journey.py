"""End-to-end journeys through the gateway of a real `python -m orderflow up` (SQLite)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from conftest import ADMIN, AUDITOR, CLERK, Deployment
from jsonschema import Draft202012Validator
from orderflow_harness import api, ledger_ack, place_order, wait_for_status, wait_until
from sqlalchemy import select

from orderflow.db import outbox, reservations, settlements


@pytest.fixture(scope="module")
def openapi(deployment: Deployment) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{deployment.gateway}/openapi.json", timeout=5).json()
    return document


def assert_conforms(document: dict[str, Any], schema_name: str, instance: Any) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    problems = [error.message for error in Draft202012Validator(schema).iter_errors(instance)]
    assert not problems, f"{schema_name}: {problems}"


def new_sku(deployment: Deployment, available: int) -> str:
    sku = f"SKU-T{uuid.uuid4().hex[:8].upper()}"
    with api(deployment.gateway, ADMIN) as admin:
        response = admin.put(f"/api/inventory/{sku}", json={"available": available})
    assert response.status_code == 201, response.text
    return sku


def test_order_reaches_sql_outbox_inventory_ledger_and_report(deployment: Deployment, openapi: dict[str, Any]) -> None:
    sku = new_sku(deployment, 10)
    with api(deployment.gateway, CLERK) as clerk:
        order = place_order(clerk, sku, quantity=2, currency="EUR")
        assert_conforms(openapi, "Order", order)
        assert (order["status"], order["amount"]) == ("NEW", "25.00")
        reserved = wait_for_status(clerk, order["id"], "RESERVED")
        assert reserved["reject_reason"] is None
        stock = clerk.get(f"/api/inventory/{sku}").json()
        assert stock == {"sku": sku, "available": 8, "reserved": 2}

    with deployment.engine.connect() as conn:
        messages = conn.execute(
            select(outbox.c.type, outbox.c.payload).where(outbox.c.correlation_id == order["correlation_id"])
        ).all()
        reservation = conn.execute(select(reservations).where(reservations.c.order_id == order["id"])).one()
    assert [message.type for message in messages] == ["order.created", "stock.reserved"]
    assert json.loads(messages[0].payload)["id"] == order["id"]
    assert (reservation.sku, reservation.quantity, reservation.status) == (sku, 2, "RESERVED")

    ack = wait_until(lambda: ledger_ack(deployment.ledger_root, order["id"]), what="the ledger's ack")
    with deployment.engine.connect() as conn:
        batch_id = conn.execute(
            select(settlements.c.batch_id).where(settlements.c.order_id == order["id"])
        ).scalar_one()
    assert ack["batch_id"] == batch_id
    assert (deployment.ledger_root / "archive" / f"{batch_id}.dat").is_file()

    with api(deployment.gateway, AUDITOR) as auditor:
        report = auditor.get("/api/reports/daily", params={"date": order["created_at"][:10]})
        assert report.status_code == 200, report.text
        daily = report.json()
        consistency = auditor.get("/api/reports/consistency").json()
        of_sku = auditor.get("/api/reports/daily", params={"date": order["created_at"][:10], "sku": sku}).json()
        blank_sku = auditor.get("/api/reports/daily", params={"sku": " "})
        nul_sku = auditor.get("/api/reports/daily", params={"sku": "SKU-\u0000"})
    assert_conforms(openapi, "DailyReport", daily)
    # One SKU's figures: this order alone, whatever else was ordered that day.
    assert_conforms(openapi, "DailyReport", of_sku)
    assert of_sku["sku"] == sku and "sku" not in daily
    assert (of_sku["orders"]["count"], of_sku["orders"]["by_status"]["RESERVED"]) == (
        1, {"count": 1, "amount": order["amount"]}
    )  # fmt: skip
    assert of_sku["stock"] == [{"sku": sku, "available": 8, "reserved": 2}]
    assert of_sku["postings"] == {"batches": 1, "orders": 1, "total": order["amount"]}
    assert (blank_sku.status_code, blank_sku.json()["error"]["code"]) == (422, "INVALID_SKU")
    assert (nul_sku.status_code, nul_sku.json()["error"]["code"]) == (422, "INVALID_SKU")
    assert daily["orders"]["by_status"]["RESERVED"]["count"] >= 1
    assert {"sku": sku, "available": 8, "reserved": 2} in daily["stock"]
    assert daily["postings"]["orders"] >= 1
    assert_conforms(openapi, "ConsistencyReport", consistency)
    assert order["id"] not in {item["order_id"] for item in consistency["disagreements"]}


def test_rare_sku_is_rejected_with_the_reason(deployment: Deployment) -> None:
    with api(deployment.gateway, CLERK) as clerk:
        order = place_order(clerk, "SKU-RARE", quantity=3)
        rejected = wait_for_status(clerk, order["id"], "REJECTED")
    assert rejected["reject_reason"] == "insufficient stock: requested 3, available 0"


def test_cancel_releases_stock_and_a_second_cancel_conflicts(deployment: Deployment, openapi: dict[str, Any]) -> None:
    sku = new_sku(deployment, 5)
    with api(deployment.gateway, CLERK) as clerk:
        order = place_order(clerk, sku, quantity=3)
        wait_for_status(clerk, order["id"], "RESERVED")
        cancelled = clerk.post(f"/api/orders/{order['id']}/cancel")
        assert (cancelled.status_code, cancelled.json()["status"]) == (200, "CANCELLED")
        wait_until(
            lambda: clerk.get(f"/api/inventory/{sku}").json() == {
                "sku": sku, "available": 5, "reserved": 0
            },
            what="the reservation to be released",
        )  # fmt: skip
        again = clerk.post(f"/api/orders/{order['id']}/cancel", headers={"x-correlation-id": "c-1"})
    assert again.status_code == 409
    assert_conforms(openapi, "Error", again.json())
    assert again.json()["error"] | {"message": ""} == {
        "code": "ORDER_NOT_CANCELLABLE",
        "message": "",
        "correlation_id": "c-1",
        "upstream": "orders",
    }


def test_a_settled_order_cannot_be_cancelled_and_the_report_stays_consistent(
    deployment: Deployment, openapi: dict[str, Any]
) -> None:
    sku = new_sku(deployment, 5)
    with api(deployment.gateway, CLERK) as clerk:
        order = place_order(clerk, sku, quantity=1)
        ack = wait_until(lambda: ledger_ack(deployment.ledger_root, order["id"]), what="the order's posting")
        refused = clerk.post(f"/api/orders/{order['id']}/cancel", headers={"x-correlation-id": "c-settled"})
        after = clerk.get(f"/api/orders/{order['id']}").json()
        stock = clerk.get(f"/api/inventory/{sku}").json()
    assert refused.status_code == 409
    assert_conforms(openapi, "Error", refused.json())
    assert refused.json()["error"] == {
        "code": "ORDER_SETTLED",
        "message": f"order {order['id']} was sent to the ledger in settlement batch {ack['batch_id']}; "
        "a settled order cannot be cancelled",
        "correlation_id": "c-settled",
        "upstream": "orders",
    }
    assert after["status"] == "RESERVED"
    assert stock == {"sku": sku, "available": 4, "reserved": 1}
    with api(deployment.gateway, AUDITOR) as auditor:
        consistency = auditor.get("/api/reports/consistency").json()
    kinds = {item["kind"] for item in consistency["disagreements"] if item["order_id"] == order["id"]}
    assert "posted_not_reserved" not in kinds


def test_pages_walk_every_order_once_newest_first(deployment: Deployment, openapi: dict[str, Any]) -> None:
    with api(deployment.gateway, CLERK) as clerk:
        placed = [place_order(clerk, "SKU-PEAR", quantity=1)["id"] for _ in range(5)]
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = clerk.get("/api/orders", params=params).json()
            assert_conforms(openapi, "OrderPage", page)
            assert len(page["items"]) <= 2
            seen += [item["id"] for item in page["items"]]
            cursor = page["next"]
            if cursor is None:
                break
        bad_limit = clerk.get("/api/orders", params={"limit": 0})
    assert len(seen) == len(set(seen))
    assert seen[:5] == list(reversed(placed))
    assert bad_limit.status_code == 422
    assert bad_limit.json()["error"]["upstream"] == "orders"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"customer": "A", "sku": "SKU-APPLE", "quantity": 0, "unit_price": "1.00"}, "quantity"),
        ({"customer": "A", "sku": "SKU-APPLE", "quantity": 1, "unit_price": 1.5}, "unit_price"),
        ({"customer": "", "sku": "SKU-APPLE", "quantity": 1, "unit_price": "1.00"}, "customer"),
        # PostgreSQL cannot store a NUL: refused before it reaches the database, on every backend.
        ({"customer": "A\u0000B", "sku": "SKU-APPLE", "quantity": 1, "unit_price": "1.00"}, "customer"),
        ({"customer": "A", "sku": "SKU-\u0000", "quantity": 1, "unit_price": "1.00"}, "sku"),
    ],
)
def test_invalid_orders_get_a_422_envelope_naming_the_field(
    deployment: Deployment, openapi: dict[str, Any], body: dict[str, Any], fragment: str
) -> None:
    with api(deployment.gateway, CLERK) as clerk:
        response = clerk.post("/api/orders", json=body)
    assert response.status_code == 422
    assert_conforms(openapi, "Error", response.json())
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert fragment in response.json()["error"]["message"]


def test_keys_and_roles(deployment: Deployment) -> None:
    order = {"customer": "A", "sku": "SKU-APPLE", "quantity": 1, "unit_price": "1.00"}
    with api(deployment.gateway, None) as anonymous:
        assert anonymous.get("/api/orders").status_code == 401
        assert anonymous.get("/api/orders", headers={"x-api-key": "nope"}).status_code == 401
        assert anonymous.get("/health").status_code == 200
    with api(deployment.gateway, AUDITOR) as auditor:
        assert auditor.get("/api/orders").status_code == 200
        forbidden = auditor.post("/api/orders", json=order)
        assert forbidden.status_code == 403
        assert forbidden.json()["error"]["code"] == "FORBIDDEN"
    with api(deployment.gateway, CLERK) as clerk:
        assert clerk.put("/api/inventory/SKU-APPLE", json={"available": 1}).status_code == 403
        assert clerk.get("/api/reports/daily").status_code == 403
        assert clerk.get("/api/inventory").status_code == 200
    with api(deployment.gateway, ADMIN) as admin:
        assert admin.get("/api/reports/consistency").status_code == 200


def test_unknown_routes_methods_and_orders_use_the_envelope(deployment: Deployment, openapi: dict[str, Any]) -> None:
    with api(deployment.gateway, CLERK) as clerk:
        failures = {
            "route": clerk.get("/api/nowhere"),
            "method": clerk.delete("/api/orders"),
            "order": clerk.get(f"/api/orders/{uuid.uuid4()}"),
        }
    for response in failures.values():
        assert_conforms(openapi, "Error", response.json())
    assert [(r.status_code, r.json()["error"]["code"]) for r in failures.values()] == [
        (404, "NOT_FOUND"),
        (405, "METHOD_NOT_ALLOWED"),
        (404, "ORDER_NOT_FOUND"),
    ]
    assert failures["order"].json()["error"]["upstream"] == "orders"
    assert failures["method"].headers["allow"] == "GET, POST"
