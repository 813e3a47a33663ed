"""orderflow orders service: accepts orders, publishes order.created / order.cancelled.

    python -m orderflow.orders --db URL [--broker amqp://...] [--port 0]

POST /orders, GET /orders?limit=&cursor=, GET /orders/{id}, POST /orders/{id}/cancel,
POST /messages (consumes stock.reserved / stock.rejected). Each state change and its outbox
row are written in one transaction.

Cancelling: a NEW or RESERVED order can be cancelled until it is settled, that is until the settlement
exporter has put it in a batch for the ledger (a row in ``settlements``; the exporter leaves a reserved
order alone for ``--settle-after``, the window in which it can still be cancelled). From then on the
ledger posts it, and ``POST /orders/{id}/cancel`` answers 409 ``ORDER_SETTLED`` naming the batch: a
posted amount is never silently contradicted by a cancelled order (the ledger has no reversal postings).
A REJECTED or CANCELLED order answers 409 ``ORDER_NOT_CANCELLABLE``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, or_, select, update
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderflow import telemetry
from orderflow.consumer_service import consumer_service_flags, serve_consumer
from orderflow.db import connect, create_schema, orders, settlements, transaction, utcnow
from orderflow.messaging import Consumer, messages_route, publish
from orderflow.serving import ApiError, integer, json_body

CANCELLABLE = ("NEW", "RESERVED")
DEFAULT_PAGE, MAX_PAGE = 20, 100
_PRICE = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_LIMIT = re.compile(r"^[0-9]{1,6}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ORDER_FIELDS = {"customer", "sku", "quantity", "unit_price", "currency"}
CENT = Decimal("0.01")


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def order_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "customer": row.customer,
        "sku": row.sku,
        "quantity": row.quantity,
        "unit_price": str(Decimal(row.unit_price).quantize(CENT)),
        "amount": str(Decimal(row.amount).quantize(CENT)),
        "currency": row.currency,
        "status": row.status,
        "reject_reason": row.reject_reason,
        "correlation_id": row.correlation_id,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def validate_order(body: dict[str, Any]) -> dict[str, Any]:
    """The new order's columns, or 422 naming the first field that is wrong."""
    unknown = sorted(set(body) - _ORDER_FIELDS)
    if unknown:
        raise ApiError(422, "VALIDATION_ERROR", f"unknown field(s): {', '.join(unknown)}")
    for field, limit in (("customer", 200), ("sku", 64)):
        value = body.get(field)
        if not isinstance(value, str) or not value.strip() or len(value) > limit or "\x00" in value:
            raise ApiError(422, "VALIDATION_ERROR", f"{field} must be a non-empty string of at most {limit}, no NUL")
    quantity = integer(body.get("quantity"))
    if quantity is None or not 0 < quantity <= 1_000_000:
        raise ApiError(422, "VALIDATION_ERROR", "quantity must be an integer from 1 to 1000000")
    price_text = body.get("unit_price")
    if not isinstance(price_text, str) or not _PRICE.match(price_text):
        raise ApiError(422, "VALIDATION_ERROR", 'unit_price must be a decimal string such as "12.50"')
    unit_price = Decimal(price_text)
    if unit_price <= 0:
        raise ApiError(422, "VALIDATION_ERROR", "unit_price must be greater than 0")
    currency = body.get("currency", "EUR")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise ApiError(422, "VALIDATION_ERROR", "currency must be a 3-letter ISO code such as EUR")
    amount = (unit_price * quantity).quantize(CENT)
    if amount >= Decimal("1e10"):
        raise ApiError(422, "VALIDATION_ERROR", "amount (quantity x unit_price) is too large")
    return {
        "customer": body["customer"],
        "sku": body["sku"],
        "quantity": quantity,
        "unit_price": unit_price,
        "amount": amount,
        "currency": currency,
    }


def encode_cursor(row: Any) -> str:
    raw = json.dumps([iso(row.created_at), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, order_id = json.loads(raw)
        return datetime.fromisoformat(created_at.replace("Z", "+00:00")), str(order_id)
    except (ValueError, TypeError, binascii.Error) as error:
        raise ApiError(422, "INVALID_CURSOR", "cursor is not one this service returned") from error


def order_id(request: Request) -> str:
    """The path's order id; one that is no UUID names no order (and a NUL in it would fail on PostgreSQL)."""
    given = request.path_params["id"]
    if not _UUID.match(given):
        raise ApiError(404, "ORDER_NOT_FOUND", f"no order {given!r}")
    return given


def correlation_id(request: Request) -> str:
    given = request.headers.get("x-correlation-id", "")
    return given[:64] if given else str(uuid.uuid4())


class OrdersService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, columns: dict[str, Any], correlation: str) -> dict[str, Any]:
        now = utcnow()
        row = {
            **columns,
            "id": str(uuid.uuid4()),
            "status": "NEW",
            "reject_reason": None,
            "correlation_id": correlation,
            "created_at": now,
            "updated_at": now,
            "traceparent": telemetry.current_traceparent(),
        }
        return transaction(self.engine, partial(self._insert, row, correlation))

    def _insert(self, row: dict[str, Any], correlation: str, conn: Connection) -> dict[str, Any]:
        conn.execute(insert(orders).values(**row))
        order = self._get(conn, row["id"])
        publish(conn, "order.created", order, correlation)
        return order

    def get(self, order_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return self._get(conn, order_id)

    def page(self, limit: int, cursor: str | None) -> dict[str, Any]:
        query = select(orders).order_by(orders.c.created_at.desc(), orders.c.id.desc())
        if cursor:
            created_at, order_id = decode_cursor(cursor)
            query = query.where(
                or_(
                    orders.c.created_at < created_at,
                    and_(orders.c.created_at == created_at, orders.c.id < order_id),
                )
            )
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "items": [order_json(row) for row in rows],
            "next": encode_cursor(rows[-1]) if more else None,
        }

    def cancel(self, order_id: str, correlation: str) -> dict[str, Any]:
        """Cancel a NEW or RESERVED order that has not been settled yet (see the module's docstring)."""
        return transaction(self.engine, partial(self._cancel, order_id, correlation))

    def _cancel(self, order_id: str, correlation: str, conn: Connection) -> dict[str, Any]:
        # The row lock orders this cancel and the settlement exporter's claim of the same order: whichever
        # comes second sees what the first committed (SQLite serialises every write transaction anyway). On
        # MariaDB the claim can hold this order's status-index entry while it waits for the row: the database
        # ends one of the two as a deadlock victim, and `transaction` runs the cancel again.
        row = conn.execute(select(orders.c.status).where(orders.c.id == order_id).with_for_update()).first()
        if row is None:
            raise ApiError(404, "ORDER_NOT_FOUND", f"no order {order_id}")
        if row.status not in CANCELLABLE:
            raise ApiError(
                409,
                "ORDER_NOT_CANCELLABLE",
                f"order {order_id} is {row.status}; only NEW or RESERVED can be cancelled",
            )
        settled = conn.execute(
            select(settlements.c.batch_id).where(settlements.c.order_id == order_id).with_for_update(read=True)
        ).first()
        if settled is not None:
            raise ApiError(
                409,
                "ORDER_SETTLED",
                f"order {order_id} was sent to the ledger in settlement batch {settled.batch_id}; "
                "a settled order cannot be cancelled",
            )
        conn.execute(update(orders).where(orders.c.id == order_id).values(status="CANCELLED", updated_at=utcnow()))
        order = self._get(conn, order_id)
        publish(conn, "order.cancelled", order, correlation)
        return order

    def _get(self, conn: Connection, order_id: str) -> dict[str, Any]:
        row = conn.execute(select(orders).where(orders.c.id == order_id)).first()
        if row is None:
            raise ApiError(404, "ORDER_NOT_FOUND", f"no order {order_id}")
        return order_json(row)

    def on_stock_reserved(self, conn: Connection, envelope: dict[str, Any]) -> None:
        self._settle(conn, envelope["payload"]["order_id"], "RESERVED", None)

    def on_stock_rejected(self, conn: Connection, envelope: dict[str, Any]) -> None:
        payload = envelope["payload"]
        self._settle(conn, payload["order_id"], "REJECTED", str(payload["reason"])[:255])

    def _settle(self, conn: Connection, order_id: str, status: str, reason: str | None) -> None:
        # Only a NEW order moves: one cancelled meanwhile stays cancelled (inventory releases it).
        self._get(conn, order_id)
        conn.execute(
            update(orders)
            .where(orders.c.id == order_id, orders.c.status == "NEW")
            .values(status=status, reject_reason=reason, updated_at=utcnow())
        )


def routes(service: OrdersService, consumer: Consumer) -> list[Route]:
    async def create(request: Request) -> Response:
        columns = validate_order(await json_body(request))
        order = await run_in_threadpool(service.create, columns, correlation_id(request))
        return JSONResponse(order, status_code=201, headers={"location": f"/orders/{order['id']}"})

    async def get(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(service.get, order_id(request)))

    async def page(request: Request) -> Response:
        limit_text = request.query_params.get("limit", str(DEFAULT_PAGE))
        # ASCII digits only: "²".isdigit() holds and int("²") fails (500), a huge number costs a conversion.
        if not _LIMIT.match(limit_text) or not 1 <= int(limit_text) <= MAX_PAGE:
            raise ApiError(422, "VALIDATION_ERROR", f"limit must be an integer from 1 to {MAX_PAGE}")
        cursor = request.query_params.get("cursor") or None
        return JSONResponse(await run_in_threadpool(service.page, int(limit_text), cursor))

    async def cancel(request: Request) -> Response:
        order = await run_in_threadpool(service.cancel, order_id(request), correlation_id(request))
        return JSONResponse(order)

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": "orders"})

    return [
        Route("/orders", create, methods=["POST"]),
        Route("/orders", page, methods=["GET"]),
        Route("/orders/{id}", get, methods=["GET"]),
        Route("/orders/{id}/cancel", cancel, methods=["POST"]),
        Route("/health", health),
        messages_route(consumer),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    args = consumer_service_flags("orders", "orderflow orders service").parse(argv)
    telemetry.setup("orders")
    engine = connect(args.db)
    create_schema(engine)
    service = OrdersService(engine)
    handlers = {"stock.reserved": service.on_stock_reserved, "stock.rejected": service.on_stock_rejected}
    serve_consumer("orders", args, engine, handlers, partial(routes, service))


if __name__ == "__main__":
    main()
