"""orderflow reports service: daily figures and a consistency check across the seams.

    python -m orderflow.reports --db URL --inventory URL [--ledger ssh://settle@HOST:PORT]
        [--ledger-fingerprint SHA256:...] [--ledger-timeout 10s] [--settle-grace 30s] [--export-interval 1s]
        [--settle-after 2s]
        [--no-auto-post] [--port 0]

GET /reports/daily?date=YYYY-MM-DD[&sku=SKU]: orders (count and amount per status), stock (inventory
API), postings (ledger acks); with ``sku``, only that SKU's orders, stock and postings (the figures of one
product while other clients order others). GET /reports/consistency: orders vs reservations vs postings.
With --ledger, this process also runs the settlement exporter (orderflow.settlement).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderflow import serving, telemetry
from orderflow.config import Flags, duration
from orderflow.db import connect, create_schema, orders, reservations, utcnow
from orderflow.ledger.client import Ack
from orderflow.openapi_schemas import STATUSES
from orderflow.serving import ApiError
from orderflow.settlement import LedgerTarget, SettlementExporter

CENT = Decimal("0.01")
DEFAULT_LEDGER_PASSWORD = "settle-pw-123"


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def disagreement(order_id: str, kind: str, detail: str) -> dict[str, str]:
    return {"order_id": order_id, "kind": kind, "detail": detail}


class Reports:
    def __init__(self, engine: Engine, inventory_url: str, ledger: LedgerTarget | None, grace: float) -> None:
        self.engine = engine
        self.inventory_url = inventory_url.rstrip("/")
        self.ledger = ledger
        self.grace = timedelta(seconds=grace)

    def daily(self, day: date, sku: str | None = None) -> dict[str, Any]:
        start = datetime.combine(day, time.min, tzinfo=timezone.utc)
        query = select(orders.c.id, orders.c.status, orders.c.amount).where(
            orders.c.created_at >= start, orders.c.created_at < start + timedelta(days=1)
        )
        if sku is not None:
            query = query.where(orders.c.sku == sku)
        counts: dict[str, int] = defaultdict(int)
        amounts: dict[str, Decimal] = defaultdict(Decimal)
        amount_of: dict[str, Decimal] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                counts[row.status] += 1
                amounts[row.status] += Decimal(row.amount)
                amount_of[row.id] = Decimal(row.amount)
        postings = None
        if self.ledger is not None:
            acks = [ack for ack in self._acks() if ack["posted_at"].startswith(day.isoformat())]
            postings = self._postings(acks) if sku is None else self._postings_of(acks, amount_of)
        return {
            "date": day.isoformat(),
            **({} if sku is None else {"sku": sku}),
            "orders": {
                "count": sum(counts.values()),
                "amount": money(sum(amounts.values(), Decimal())),
                "by_status": {
                    status: {"count": counts[status], "amount": money(amounts[status])} for status in STATUSES
                },
            },
            "stock": [item for item in self._stock() if sku is None or item["sku"] == sku],
            "postings": postings,
        }

    @staticmethod
    def _postings(acks: list[Ack]) -> dict[str, Any]:
        return {
            "batches": len(acks),
            "orders": sum(len(ack["order_ids"]) for ack in acks),
            "total": money(sum((ack["total"] for ack in acks), Decimal())),
        }

    @staticmethod
    def _postings_of(acks: list[Ack], amount_of: dict[str, Decimal]) -> dict[str, Any]:
        """Postings of some orders only: a batch carries several SKUs, so the total is their orders' amounts."""
        posted = [order_id for ack in acks for order_id in ack["order_ids"] if order_id in amount_of]
        batches = [ack for ack in acks if any(order_id in amount_of for order_id in ack["order_ids"])]
        return {
            "batches": len(batches),
            "orders": len(posted),
            "total": money(sum((amount_of[order_id] for order_id in posted), Decimal())),
        }

    def consistency(self) -> dict[str, Any]:
        now = utcnow()
        settled_before = now - self.grace
        with self.engine.connect() as conn:
            order_rows = {row.id: row for row in conn.execute(select(orders))}
            reserved = {row.order_id: row.status for row in conn.execute(select(reservations))}
        found = self._reservation_disagreements(order_rows, reserved, settled_before)
        if self.ledger is not None:
            found += self._posting_disagreements(order_rows, self._acks(), settled_before)
        return {
            "consistent": not found,
            "checked_at": now.isoformat().replace("+00:00", "Z"),
            "disagreements": found,
        }

    def _reservation_disagreements(
        self, order_rows: dict[str, Any], reserved: dict[str, str], settled_before: datetime
    ) -> list[dict[str, str]]:
        found = []
        for order_id, order in order_rows.items():
            reservation = reserved.get(order_id)
            if order.status == "RESERVED" and reservation != "RESERVED":
                found.append(
                    disagreement(
                        order_id,
                        "reservation_missing",
                        f"order is RESERVED but its reservation is {reservation or 'absent'}",
                    )
                )
            elif reservation == "RESERVED" and order.status != "RESERVED" and order.updated_at < settled_before:
                # Stock still held for an order that left RESERVED (cancelled, rejected) past the grace:
                # inventory never released it. A healthy RESERVED order keeps its reservation.
                found.append(
                    disagreement(
                        order_id,
                        "reservation_orphaned",
                        f"stock is reserved for an order that is {order.status}",
                    )
                )
        return found

    def _posting_disagreements(
        self, order_rows: dict[str, Any], acks: list[Ack], settled_before: datetime
    ) -> list[dict[str, str]]:
        found = []
        batches_of: dict[str, list[str]] = defaultdict(list)
        for ack in acks:
            for order_id in ack["order_ids"]:
                batches_of[order_id].append(ack["batch_id"])
            known = [order_rows[oid] for oid in ack["order_ids"] if oid in order_rows]
            expected = sum((Decimal(order.amount) for order in known), Decimal())
            posted = ack["total"]
            if known and posted != expected:
                detail = f"batch {ack['batch_id']} posted {money(posted)} but its orders amount to {money(expected)}"
                found += [disagreement(order.id, "amount_mismatch", detail) for order in known]
        for order_id, batch_ids in batches_of.items():
            order = order_rows.get(order_id)
            if order is None:
                detail = f"posted in batch {batch_ids[0]} but there is no such order"
                found.append(disagreement(order_id, "posted_unknown_order", detail))
            elif order.status != "RESERVED":
                detail = f"posted in batch {batch_ids[0]} but the order is {order.status}"
                found.append(disagreement(order_id, "posted_not_reserved", detail))
            if len(batch_ids) > 1:
                detail = f"posted in {len(batch_ids)} batches: {', '.join(batch_ids)}"
                found.append(disagreement(order_id, "posted_twice", detail))
        for order_id, order in order_rows.items():
            overdue = order.status == "RESERVED" and order.updated_at < settled_before
            if overdue and order_id not in batches_of:
                detail = f"RESERVED since {order.updated_at.isoformat()} and not posted"
                found.append(disagreement(order_id, "posting_missing", detail))
        return found

    def _stock(self) -> list[dict[str, Any]]:
        try:
            response = httpx.get(f"{self.inventory_url}/stock", timeout=5.0)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise ApiError(503, "DEPENDENCY_UNAVAILABLE", f"inventory: {type(error).__name__}: {error}") from error
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def _acks(self) -> list[Ack]:
        assert self.ledger is not None
        try:
            with self.ledger.client() as client:
                return client.acks()
        except Exception as error:
            raise ApiError(503, "DEPENDENCY_UNAVAILABLE", f"ledger: {type(error).__name__}: {error}") from error


MAX_SKU = 64
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def build_app(reports: Reports, exporter: SettlementExporter | None) -> Starlette:
    async def daily(request: Request) -> Response:
        text = request.query_params.get("date")
        # Only a missing date means today: an empty one is refused, and so is 20261201 (fromisoformat takes it).
        try:
            day = utcnow().date() if text is None else date.fromisoformat(text) if _DATE.match(text) else None
        except ValueError:
            day = None
        if day is None:
            raise ApiError(422, "INVALID_DATE", f"date must be YYYY-MM-DD, not {text!r}")
        sku = request.query_params.get("sku")
        if sku is not None and (not sku.strip() or len(sku) > MAX_SKU or "\x00" in sku):
            raise ApiError(422, "INVALID_SKU", f"sku must be 1 to {MAX_SKU} characters, not all blank, no NUL")
        return JSONResponse(await run_in_threadpool(reports.daily, day, sku))

    async def consistency(_request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(reports.consistency))

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": "reports"})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if exporter is not None:
            exporter.start()
        yield
        if exporter is not None:
            exporter.stop()

    return serving.service_app(
        [
            Route("/reports/daily", daily, methods=["GET"]),
            Route("/reports/consistency", consistency, methods=["GET"]),
            Route("/health", health),
        ],
        lifespan=lifespan,
    )


def main(argv: Sequence[str] | None = None) -> None:
    flags = Flags("python -m orderflow.reports", "orderflow reports and settlement exporter")
    flags.add("--db", required=True, help="database URL (sqlite:///..., postgresql://, mysql://)")
    flags.add("--inventory", required=True, help="inventory service base URL")
    flags.add("--ledger", help="ssh://user@host:port of the ledger (no ledger: no postings)")
    flags.add("--ledger-password", default=DEFAULT_LEDGER_PASSWORD, help="ledger SSH password")
    flags.add("--ledger-fingerprint", help="expected ledger host key, SHA256:...")
    flags.add("--ledger-timeout", type=duration, default=10.0, help="per ledger connection and command")
    flags.add("--settle-grace", type=duration, default=30.0, help="time to post a RESERVED order")
    flags.add("--export-interval", type=duration, default=1.0, help="settlement export period")
    flags.add("--settle-after", type=duration, default=2.0, help="time a RESERVED order can still be cancelled")
    flags.switch("--no-auto-post", help="export batches but leave posting them to someone else")
    flags.add("--port", type=int, default=0, help="listening port (0: any free port)")
    args = flags.parse(argv)
    telemetry.setup("reports")
    engine = connect(args.db)
    create_schema(engine)
    ledger = None
    if args.ledger:
        ledger = LedgerTarget.parse(args.ledger, args.ledger_password, args.ledger_fingerprint, args.ledger_timeout)
    exporter = (
        SettlementExporter(engine, ledger, args.export_interval, not args.no_auto_post, args.settle_after)
        if ledger
        else None
    )
    reports = Reports(engine, args.inventory, ledger, args.settle_grace)
    serving.run(build_app(reports, exporter), "reports", args.port)


if __name__ == "__main__":
    main()
