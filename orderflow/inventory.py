"""orderflow inventory service: stock levels and reservations.

    python -m orderflow.inventory --db URL [--seed SKU-APPLE=100,...] [--broker amqp://...]

GET /stock, GET /stock/{sku}, PUT /stock/{sku} {"available": n}, POST /messages (consumes
order.created -> stock.reserved | stock.rejected, and order.cancelled -> release). The stock
change and the message it publishes are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import Connection, Engine, exc, insert, select, update
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderflow import telemetry
from orderflow.config import mapping
from orderflow.consumer_service import consumer_service_flags, serve_consumer
from orderflow.db import connect, create_schema, reservations, stock
from orderflow.messaging import Consumer, Poison, messages_route, publish
from orderflow.openapi_schemas import schemas
from orderflow.serving import ApiError, integer, json_body

DEFAULT_SEED = "SKU-APPLE=100,SKU-PEAR=50,SKU-RARE=0"


def stock_json(row: Any) -> dict[str, Any]:
    return {"sku": row.sku, "available": row.available, "reserved": row.reserved}


class InventoryService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def seed(self, levels: dict[str, int]) -> None:
        """Create the SKUs that do not exist yet; never overwrite stock another process changed."""
        for sku, available in levels.items():
            try:
                with self.engine.begin() as conn:
                    if conn.execute(select(stock.c.sku).where(stock.c.sku == sku)).first():
                        continue
                    conn.execute(insert(stock).values(sku=sku, available=available, reserved=0))
            except exc.IntegrityError:
                continue  # seeded concurrently by another process

    def all(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [stock_json(row) for row in conn.execute(select(stock).order_by(stock.c.sku))]

    def get(self, sku: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return self._get(conn, sku)

    def put(self, sku: str, available: int) -> tuple[dict[str, Any], bool]:
        """Set the available quantity; create the SKU when new. Returns (stock, created)."""
        with self.engine.begin() as conn:
            changed = conn.execute(update(stock).where(stock.c.sku == sku).values(available=available)).rowcount
            if not changed:
                conn.execute(insert(stock).values(sku=sku, available=available, reserved=0))
            return self._get(conn, sku), not changed

    def _get(self, conn: Connection, sku: str) -> dict[str, Any]:
        row = conn.execute(select(stock).where(stock.c.sku == sku)).first()
        if row is None:
            raise ApiError(404, "SKU_NOT_FOUND", f"no stock item {sku}")
        return stock_json(row)

    def on_order_created(self, conn: Connection, envelope: dict[str, Any]) -> None:
        order = contract_order(envelope["payload"])
        order_id, sku, quantity = str(order["id"]), str(order["sku"]), int(order["quantity"])
        if self._reservation(conn, order_id) is not None:
            return  # already reserved, rejected, or cancelled before it arrived
        reserved = conn.execute(
            update(stock)
            .where(stock.c.sku == sku, stock.c.available >= quantity)
            .values(available=stock.c.available - quantity, reserved=stock.c.reserved + quantity)
        ).rowcount
        status = "RESERVED" if reserved else "REJECTED"
        conn.execute(insert(reservations).values(order_id=order_id, sku=sku, quantity=quantity, status=status))
        if reserved:
            payload = {"order_id": order_id, "sku": sku, "quantity": quantity}
            publish(conn, "stock.reserved", payload, envelope["correlation_id"])
            return
        row = conn.execute(select(stock.c.available).where(stock.c.sku == sku)).first()
        reason = f"insufficient stock: requested {quantity}, available {row.available}" if row else f"unknown sku {sku}"
        payload = {"order_id": order_id, "sku": sku, "reason": reason}
        publish(conn, "stock.rejected", payload, envelope["correlation_id"])

    def on_order_cancelled(self, conn: Connection, envelope: dict[str, Any]) -> None:
        order = contract_order(envelope["payload"])
        order_id = str(order["id"])
        reservation = self._reservation(conn, order_id)
        if reservation is None:
            # Cancelled before order.created arrived: remember it so that order.created is ignored.
            conn.execute(
                insert(reservations).values(
                    order_id=order_id,
                    sku=str(order["sku"]),
                    quantity=int(order["quantity"]),
                    status="CANCELLED",
                )
            )
            return
        if reservation.status != "RESERVED":
            return
        conn.execute(
            update(stock)
            .where(stock.c.sku == reservation.sku)
            .values(
                available=stock.c.available + reservation.quantity,
                reserved=stock.c.reserved - reservation.quantity,
            )
        )
        conn.execute(update(reservations).where(reservations.c.order_id == order_id).values(status="RELEASED"))

    def _reservation(self, conn: Connection, order_id: str) -> Any:
        query = select(reservations).where(reservations.c.order_id == order_id)
        return conn.execute(query).first()


_ORDER = Draft202012Validator(schemas()["Order"], format_checker=Draft202012Validator.FORMAT_CHECKER)


def contract_order(payload: Any) -> dict[str, Any]:
    """The order of an order.* message; Poison when it breaks the Order contract.

    Checked whole, not only the fields used here: a quantity of -5 used to be reserved (stock grew), and an
    order the orders service never wrote got a stock answer its producer dead-lettered.
    """
    error = next(iter(sorted(_ORDER.iter_errors(payload), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "the payload"
        raise Poison(f"the order breaks the Order contract at {where}: {error.message[:200]}")
    return payload


# The column sizes: a longer SKU or a larger integer made the database fail (500) instead of a 422.
MAX_SKU, MAX_AVAILABLE = 64, 2**31 - 1


def valid_sku(sku: str) -> bool:
    return 0 < len(sku) <= MAX_SKU and not any(ord(char) < 32 or ord(char) == 127 for char in sku)


def routes(service: InventoryService, consumer: Consumer) -> list[Route]:
    async def all_stock(_request: Request) -> Response:
        return JSONResponse({"items": await run_in_threadpool(service.all)})

    async def get(request: Request) -> Response:
        sku = request.path_params["sku"]
        if not valid_sku(sku):  # no such SKU can exist; PostgreSQL would refuse a NUL in the query
            raise ApiError(404, "SKU_NOT_FOUND", f"no stock item {sku!r}")
        return JSONResponse(await run_in_threadpool(service.get, sku))

    async def put(request: Request) -> Response:
        sku = request.path_params["sku"]
        if not valid_sku(sku):
            raise ApiError(422, "VALIDATION_ERROR", f"sku must be 1 to {MAX_SKU} characters, no control characters")
        body = await json_body(request)
        if set(body) != {"available"}:
            raise ApiError(422, "VALIDATION_ERROR", 'body must be {"available": <integer >= 0>}')
        available = integer(body["available"])
        if available is None or not 0 <= available <= MAX_AVAILABLE:
            raise ApiError(422, "VALIDATION_ERROR", f"available must be an integer from 0 to {MAX_AVAILABLE}")
        item, created = await run_in_threadpool(service.put, sku, available)
        return JSONResponse(item, status_code=201 if created else 200)

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": "inventory"})

    return [
        Route("/stock", all_stock, methods=["GET"]),
        Route("/stock/{sku}", get, methods=["GET"]),
        Route("/stock/{sku}", put, methods=["PUT"]),
        Route("/health", health),
        messages_route(consumer),
    ]


def seed_levels(text: str) -> dict[str, int]:
    levels = mapping(text)
    try:
        return {sku: int(quantity) for sku, quantity in levels.items()}
    except ValueError as error:
        raise SystemExit(f"--seed: quantities must be integers ({error})") from error


def main(argv: Sequence[str] | None = None) -> None:
    flags = consumer_service_flags("inventory", "orderflow inventory service")
    flags.add("--seed", default=DEFAULT_SEED, help="initial stock SKU=qty,... for missing SKUs")
    args = flags.parse(argv)
    telemetry.setup("inventory")
    engine = connect(args.db)
    create_schema(engine)
    service = InventoryService(engine)
    service.seed(seed_levels(args.seed))
    handlers = {"order.created": service.on_order_created, "order.cancelled": service.on_order_cancelled}
    serve_consumer("inventory", args, engine, handlers, partial(routes, service))


if __name__ == "__main__":
    main()
