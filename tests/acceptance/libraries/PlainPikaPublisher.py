"""A system that is not orderflow: a service publishing with plain pika, in its own envelope.

Its envelope is ``{"messageId", "eventType", "traceId", "data"}`` (no version, no time), its exchange
is declared on its first publish, as many services do, and a consumer of its work queue rejects
what it cannot process into a dead-letter queue, as RabbitMQ's dead-letter exchanges do it.
Nothing here uses Seamline.
"""

from __future__ import annotations

import json
import uuid

import pika


class PlainPikaPublisher:
    """Keywords of a foreign publisher, connected with pika's defaults."""

    ROBOT_LIBRARY_SCOPE = "SUITE"

    def __init__(self, url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"):
        self.url = url
        self._connection: pika.BlockingConnection | None = None
        self._connected_once = False

    def _channel(self):
        if self._connection is None or not self._connection.is_open:
            self._connection = pika.BlockingConnection(pika.URLParameters(self.url))
            self._connected_once = True
        return self._connection.channel()

    def publish_event(
        self, exchange: str, event_type: str, data: dict, trace_id: str = "", exchange_type: str = "topic"
    ) -> dict:
        """Declares ``exchange`` (durable), then publishes one event with routing key ``event_type``; returns it."""
        event = {"messageId": str(uuid.uuid4()), "eventType": event_type, "traceId": trace_id, "data": data}
        channel = self._channel()
        channel.exchange_declare(exchange, exchange_type, durable=True)
        channel.basic_publish(exchange, event_type, json.dumps(event).encode())
        channel.close()
        return event

    def declare_work_queue_with_dead_letters(self, queue: str, exchange: str, binding: str) -> str:
        """A work queue bound to ``exchange`` whose rejected messages go to ``<queue>.dead``; returns that name."""
        dead = f"{queue}.dead"
        channel = self._channel()
        channel.exchange_declare(exchange, "topic", durable=True)
        channel.queue_declare(dead, durable=True)
        channel.queue_declare(
            queue, durable=True, arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead}
        )
        channel.queue_bind(queue, exchange, routing_key=binding)
        channel.close()
        return dead

    def reject_next_message(self, queue: str) -> None:
        """The consumer gives up on the next message of ``queue``: rejected without requeue, so dead-lettered."""
        channel = self._channel()
        for _ in range(50):
            method, _, _ = channel.basic_get(queue)
            if method is not None:
                channel.basic_reject(method.delivery_tag, requeue=False)
                channel.close()
                return
            self._connection.sleep(0.1)
        raise AssertionError(f"no message reached {queue}")

    def remove_exchange_and_queues(self, exchange: str, *queues: str) -> None:
        """Deletes what the test declared, so a shared broker keeps nothing of it.

        A broker this library never reached (absent: the tests were skipped) holds nothing to delete.
        """
        try:
            channel = self._channel()
        except pika.exceptions.AMQPConnectionError:
            if self._connected_once:
                raise
            return
        for queue in queues:
            channel.queue_delete(queue)
        channel.exchange_delete(exchange)
        channel.close()
        self._connection.close()
