"""The message bus contract: envelopes, the transactional outbox, idempotent consumers.

A service publishes by inserting an outbox row in the same transaction as its state change.
The dispatcher (`orderflow.bus`) carries rows to consumers, over HTTP (`POST /messages`) or
RabbitMQ. A consumer handles each message_id once (processed_messages) and moves a message to
dead_letters when it is not an envelope, when its handler finds it poison (its payload breaks the contract),
or when its handler failed MAX_ATTEMPTS times.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Row, exc, insert, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderflow import telemetry
from orderflow.db import dead_letters, outbox, processed_messages, utcnow
from orderflow.serving import error_response

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "inventory": ("order.created", "order.cancelled"),
    "orders": ("stock.reserved", "stock.rejected"),
}
MAX_ATTEMPTS = 3
ENVELOPE_VERSION = 1

Handler = Callable[[Connection, dict[str, Any]], None]


def publish(conn: Connection, type: str, payload: Mapping[str, Any], correlation_id: str) -> str:
    """Append a message to the outbox inside the caller's transaction; return its message_id.

    The row keeps the producer span's ``traceparent``, so the consumer's spans continue this trace.
    """
    message_id = str(uuid.uuid4())
    with telemetry.producer_span(type, "outbox") as traceparent:
        conn.execute(
            insert(outbox).values(
                message_id=message_id,
                type=type,
                version=ENVELOPE_VERSION,
                occurred_at=utcnow(),
                correlation_id=correlation_id,
                payload=json.dumps(payload),
                traceparent=traceparent,
            )
        )
    return message_id


def envelope_text(row: Row[Any]) -> str:
    """The envelope of an outbox row, its payload text kept verbatim.

    A malformed payload stays malformed on the wire, so that the consumer, not the relay,
    decides it is poison and dead-letters it.
    """
    head = {
        "message_id": row.message_id,
        "type": row.type,
        "version": row.version,
        "occurred_at": row.occurred_at.isoformat().replace("+00:00", "Z"),
        "correlation_id": row.correlation_id,
    }
    return json.dumps(head)[:-1] + ', "payload": ' + row.payload + "}"


class NotAnEnvelope(ValueError):
    pass


class Poison(ValueError):
    """A message its handler can never process (its payload breaks the contract): dead-lettered at once."""


def parse_envelope(body: bytes) -> dict[str, Any]:
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise NotAnEnvelope(f"message is not JSON: {error}") from error
    if not isinstance(envelope, dict):
        raise NotAnEnvelope("message is not an envelope: expected a JSON object")
    for field, kind in (("message_id", str), ("type", str), ("payload", dict)):
        if not isinstance(envelope.get(field), kind):
            raise NotAnEnvelope(f"message is not an envelope: {field!r} missing or not {kind.__name__}")
    if envelope.get("version") != ENVELOPE_VERSION:
        raise NotAnEnvelope(f"unsupported envelope version {envelope.get('version')!r}")
    envelope.setdefault("correlation_id", "")
    return envelope


@dataclass(frozen=True)
class Outcome:
    status: str  # processed | duplicate | dead_lettered | failed
    error: str | None = None


class Consumer:
    """Runs each message's handler exactly once per message_id, or dead-letters the message."""

    def __init__(self, engine: Engine, name: str, handlers: dict[str, Handler]) -> None:
        self.engine = engine
        self.name = name
        self.handlers = handlers

    def receive(self, body: bytes, message_id: str | None = None, attempt: int = 1) -> Outcome:
        try:
            envelope = parse_envelope(body)
        except NotAnEnvelope as error:
            return self._dead_letter(message_id, None, body, str(error), attempt)
        message_id = envelope["message_id"]
        handler = self.handlers.get(envelope["type"])
        if handler is None:
            error_text = f"{self.name} has no handler for type {envelope['type']!r}"
            return self._dead_letter(message_id, envelope["type"], body, error_text, attempt)
        try:
            with self.engine.begin() as conn:
                if self._seen(conn, message_id):
                    return Outcome("duplicate")
                handler(conn, envelope)
                conn.execute(insert(processed_messages).values(consumer=self.name, message_id=message_id))
        except Poison as error:
            return self._dead_letter(message_id, envelope["type"], body, f"Poison: {error}", attempt)
        except Exception as error:
            if isinstance(error, exc.IntegrityError) and self._seen_now(message_id):
                return Outcome("duplicate")  # a concurrent delivery of the same message won
            reason = f"{type(error).__name__}: {error}"
            if attempt >= MAX_ATTEMPTS:
                return self._dead_letter(message_id, envelope["type"], body, reason, attempt)
            return Outcome("failed", reason)
        return Outcome("processed")

    def _seen(self, conn: Connection, message_id: str) -> bool:
        query = select(processed_messages.c.message_id).where(
            processed_messages.c.consumer == self.name,
            processed_messages.c.message_id == message_id,
        )
        return conn.execute(query).first() is not None

    def _seen_now(self, message_id: str) -> bool:
        with self.engine.connect() as conn:
            return self._seen(conn, message_id)

    def _dead_letter(self, message_id: str | None, type: str | None, body: bytes, error: str, attempts: int) -> Outcome:
        with self.engine.begin() as conn:
            if message_id and self._seen(conn, message_id):
                return Outcome("duplicate")
            conn.execute(
                insert(dead_letters).values(
                    message_id=(message_id or None) and message_id[:64],
                    consumer=self.name,
                    type=type and type[:64],
                    envelope=body.decode("utf-8", errors="replace"),
                    error=error,
                    attempts=attempts,
                    failed_at=utcnow(),
                )
            )
            if message_id:
                conn.execute(insert(processed_messages).values(consumer=self.name, message_id=message_id[:64]))
        return Outcome("dead_lettered", error)


def messages_route(consumer: Consumer) -> Route:
    """`POST /messages`: the outbox transport's delivery endpoint for `consumer`."""

    async def receive(request: Request) -> Response:
        body = await request.body()
        attempt_header = request.headers.get("x-delivery-attempt", "1")
        attempt = int(attempt_header) if attempt_header.isdigit() else 1
        outcome = await run_in_threadpool(consumer.receive, body, request.headers.get("x-message-id"), attempt)
        if outcome.status == "failed":
            return error_response(500, "HANDLER_FAILED", outcome.error or "handler failed")
        return JSONResponse({"outcome": outcome.status, "error": outcome.error})

    return Route("/messages", receive, methods=["POST"])
