"""orderflow message bus: delivers outbox rows to consumers, at least once.

    python -m orderflow.bus --db URL --subscribers inventory=http://...,orders=http://...
    python -m orderflow.bus --db URL --broker amqp://guest:guest@127.0.0.1:5672/%2F

Outbox transport (default): every ~50 ms, POST each undelivered envelope to each subscribed
consumer's ``/messages`` (bookkeeping in ``deliveries``). A consumer that is down is retried
forever; a consumer that answers with a failure is retried with ``X-Delivery-Attempt`` counting
up, and dead-letters the message itself at the last attempt. With ``--broker``, rows are
relayed to RabbitMQ instead (see orderflow.amqp). ``published_at`` marks a row as done.

Serves GET /health and GET /status (pending rows, dead letters) for operators and tests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
from pika.exceptions import AMQPError
from sqlalchemy import Engine, and_, func, insert, select, update
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderflow import amqp, serving, telemetry
from orderflow.config import Flags, duration, mapping
from orderflow.db import connect, create_schema, dead_letters, deliveries, outbox, utcnow
from orderflow.messaging import SUBSCRIPTIONS, envelope_text

BATCH = 100
log = logging.getLogger("orderflow.bus")


class OutboxTransport:
    """POSTs envelopes to consumers' /messages endpoints and records each delivery."""

    def __init__(self, engine: Engine, subscribers: dict[str, str], timeout: float) -> None:
        self.engine = engine
        self.subscribers = {name: url.rstrip("/") for name, url in subscribers.items()}
        self.http = httpx.Client(timeout=timeout)
        self._marked_up_to: int | None = None

    def pass_once(self) -> int:
        if not self._any_unpublished():  # idle: one indexed lookup instead of a query per consumer
            return 0
        sent = 0
        for consumer, url in self.subscribers.items():
            for row in self._pending(consumer):
                self._deliver(consumer, url, row)
                sent += 1
        newest = self._newest_position()
        # Marking takes the write lock (SQLite): only when something could have changed.
        if sent or newest != self._marked_up_to:
            self._mark_published()
            self._marked_up_to = newest
        return sent

    def close(self) -> None:
        self.http.close()

    def _any_unpublished(self) -> bool:
        with self.engine.connect() as conn:
            return (
                conn.execute(select(outbox.c.position).where(outbox.c.published_at.is_(None)).limit(1)).first()
                is not None
            )

    def _newest_position(self) -> int | None:
        with self.engine.connect() as conn:
            newest: int | None = conn.execute(select(func.max(outbox.c.position))).scalar()
            return newest

    def _pending(self, consumer: str) -> Sequence[Any]:
        joined = outbox.outerjoin(
            deliveries,
            and_(deliveries.c.message_id == outbox.c.message_id, deliveries.c.consumer == consumer),
        )
        query = (
            select(outbox, func.coalesce(deliveries.c.attempts, 0).label("failed_attempts"))
            .select_from(joined)
            .where(
                outbox.c.published_at.is_(None),
                outbox.c.type.in_(SUBSCRIPTIONS.get(consumer, ())),
                deliveries.c.delivered_at.is_(None),
            )
            .order_by(outbox.c.position)
            .limit(BATCH)
        )
        with self.engine.connect() as conn:
            return conn.execute(query).all()

    def _deliver(self, consumer: str, url: str, row: Any) -> None:
        attempt = row.failed_attempts + 1
        headers = {
            "content-type": "application/json",
            "x-message-id": row.message_id,
            "x-message-type": row.type,
            "x-correlation-id": row.correlation_id,
            "x-delivery-attempt": str(attempt),
        }
        try:
            with telemetry.continued(row.traceparent, f"deliver {row.type}", **{"messaging.consumer": consumer}):
                response = self.http.post(f"{url}/messages", content=envelope_text(row), headers=headers)
        except httpx.HTTPError as error:
            # The consumer is unreachable: not the message's fault, so it costs no attempt.
            self._record(row.message_id, consumer, failed=False, error=f"{type(error).__name__}")
            return
        if response.is_success:
            self._record(row.message_id, consumer, delivered=True)
        else:
            self._record(row.message_id, consumer, failed=True, error=response.text[:2000])

    def _record(
        self,
        message_id: str,
        consumer: str,
        *,
        delivered: bool = False,
        failed: bool = False,
        error: str | None = None,
    ) -> None:
        key = and_(deliveries.c.message_id == message_id, deliveries.c.consumer == consumer)
        with self.engine.begin() as conn:
            current = conn.execute(select(deliveries.c.attempts).where(key)).first()
            attempts = (current.attempts if current else 0) + (1 if failed else 0)
            values = {
                "attempts": attempts,
                "last_error": error,
                "delivered_at": utcnow() if delivered else None,
            }
            if current is None:
                conn.execute(insert(deliveries).values(message_id=message_id, consumer=consumer, **values))
            else:
                conn.execute(update(deliveries).where(key).values(**values))

    def _mark_published(self) -> None:
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.published_at.is_(None), outbox.c.type.not_in(self._handled_types()))
                .values(published_at=now)
            )
            for message_type, consumers in self._consumers_by_type().items():
                delivered = (
                    select(func.count())
                    .select_from(deliveries)
                    .where(
                        deliveries.c.message_id == outbox.c.message_id,
                        deliveries.c.consumer.in_(consumers),
                        deliveries.c.delivered_at.is_not(None),
                    )
                    .scalar_subquery()
                )
                conn.execute(
                    update(outbox)
                    .where(
                        outbox.c.published_at.is_(None),
                        outbox.c.type == message_type,
                        delivered == len(consumers),
                    )
                    .values(published_at=now)
                )

    def _consumers_by_type(self) -> dict[str, list[str]]:
        by_type: dict[str, list[str]] = {}
        for consumer in self.subscribers:
            for message_type in SUBSCRIPTIONS.get(consumer, ()):
                by_type.setdefault(message_type, []).append(consumer)
        return by_type

    def _handled_types(self) -> list[str]:
        return list(self._consumers_by_type())


class BrokerTransport:
    """Relays outbox rows, in order, to RabbitMQ; a row is done once the broker confirmed it."""

    def __init__(self, engine: Engine, url: str, namespace: str) -> None:
        self.engine = engine
        self.url = url
        self.namespace = namespace
        self.relay: amqp.Relay | None = None

    def pass_once(self) -> int:
        if self.relay is None:
            self.relay = amqp.Relay(self.url, self.namespace)
        query = select(outbox).where(outbox.c.published_at.is_(None)).order_by(outbox.c.position).limit(BATCH)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        try:
            for row in rows:
                with telemetry.continued(row.traceparent, f"relay {row.type}"):
                    self.relay.send(row)
                with self.engine.begin() as conn:
                    conn.execute(update(outbox).where(outbox.c.position == row.position).values(published_at=utcnow()))
            if not rows:
                self.relay.idle(0.05)
        except AMQPError:
            self.close()
            raise
        return len(rows)

    def close(self) -> None:
        if self.relay is not None:
            relay, self.relay = self.relay, None
            try:
                relay.close()
            except AMQPError:
                log.debug("broker connection already gone")


class Dispatcher(threading.Thread):
    def __init__(self, transport: OutboxTransport | BrokerTransport, interval: float) -> None:
        super().__init__(name="dispatcher", daemon=True)
        self.transport = transport
        self.interval = interval
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                with telemetry.untraced():
                    sent = self.transport.pass_once()
            except Exception:
                log.exception("dispatch pass failed; retrying")
                self._stopping.wait(1.0)
                continue
            if not sent:
                self._stopping.wait(self.interval)

    def stop(self) -> None:
        self._stopping.set()
        self.join(5.0)
        self.transport.close()


def build_app(engine: Engine, dispatcher: Dispatcher, transport_name: str) -> Starlette:
    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": "bus"})

    def status_counts() -> dict[str, Any]:
        with engine.connect() as conn:
            pending = conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            ).scalar_one()
            dead = conn.execute(select(func.count()).select_from(dead_letters)).scalar_one()
        return {"transport": transport_name, "pending": pending, "dead_letters": dead}

    async def status(_request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(status_counts))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        dispatcher.start()
        yield
        dispatcher.stop()

    return serving.service_app([Route("/health", health), Route("/status", status)], lifespan=lifespan)


def main(argv: Sequence[str] | None = None) -> None:
    flags = Flags("python -m orderflow.bus", "orderflow message bus / outbox dispatcher")
    flags.add("--db", required=True, help="database URL (sqlite:///..., postgresql://, mysql://)")
    flags.add("--subscribers", type=mapping, default={}, help="consumer=url,... (outbox transport)")
    flags.add("--broker", help="amqp:// URL: relay to RabbitMQ instead of HTTP delivery")
    flags.add("--broker-namespace", default=amqp.DEFAULT_NAMESPACE, help="exchange / queue prefix")
    flags.add("--poll-interval", type=duration, default=0.05, help="outbox poll interval")
    flags.add("--delivery-timeout", type=duration, default=5.0, help="HTTP delivery timeout")
    flags.add("--port", type=int, default=0, help="HTTP port for /health and /status")
    args = flags.parse(argv)
    telemetry.setup("bus")
    logging.basicConfig(level=logging.WARNING)
    engine = connect(args.db)
    create_schema(engine)
    transport: OutboxTransport | BrokerTransport
    if args.broker:
        transport = BrokerTransport(engine, args.broker, args.broker_namespace)
    else:
        transport = OutboxTransport(engine, args.subscribers, args.delivery_timeout)
    dispatcher = Dispatcher(transport, args.poll_interval)
    app = build_app(engine, dispatcher, "amqp" if args.broker else "outbox")
    serving.run(app, "bus", args.port)


if __name__ == "__main__":
    main()
