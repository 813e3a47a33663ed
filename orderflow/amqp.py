"""RabbitMQ transport: the dispatcher relays outbox rows to a topic exchange, services consume.

Exchange ``<namespace>`` (default ``orderflow``), routing key = message type, one durable queue
``<namespace>.<service>`` per consuming service. A namespace other than the default lets several
deployments share one broker without stealing each other's messages.

A failed message is republished to the tail of its queue with ``x-delivery-attempt`` + 1, so it
never blocks the messages behind it; the consumer dead-letters it at the last attempt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError

from orderflow.messaging import SUBSCRIPTIONS, Consumer, envelope_text
from orderflow.serving import Lifespan

DEFAULT_NAMESPACE = "orderflow"
ATTEMPT_HEADER = "x-delivery-attempt"
log = logging.getLogger("orderflow.amqp")


def connect(url: str) -> pika.BlockingConnection:
    params = pika.URLParameters(url)
    params.socket_timeout = 5
    params.stack_timeout = 10
    params.blocked_connection_timeout = 10
    params.connection_attempts = 1
    params.heartbeat = 30
    return pika.BlockingConnection(params)


def queue_name(namespace: str, service: str) -> str:
    return f"{namespace}.{service}"


def declare(channel: BlockingChannel, namespace: str) -> None:
    """Declare the exchange and every subscriber's queue, so no message is routed to nowhere."""
    channel.exchange_declare(namespace, exchange_type="topic", durable=True)
    for service, types in SUBSCRIPTIONS.items():
        queue = queue_name(namespace, service)
        channel.queue_declare(queue, durable=True)
        for message_type in types:
            channel.queue_bind(queue, namespace, routing_key=message_type)


def remove_namespace(url: str, namespace: str) -> None:
    """Delete the namespace's queues and exchange: a throw-away namespace leaves nothing on the broker."""
    connection = connect(url)
    try:
        channel = connection.channel()
        for service in SUBSCRIPTIONS:
            channel.queue_delete(queue_name(namespace, service))
        channel.exchange_delete(namespace)
    finally:
        connection.close()


class Relay:
    """Publishes outbox rows with publisher confirms: a row counts as sent once the broker has it."""

    def __init__(self, url: str, namespace: str) -> None:
        self.namespace = namespace
        self.connection = connect(url)
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        declare(self.channel, namespace)

    def send(self, row: Any) -> None:
        self.channel.basic_publish(
            self.namespace,
            row.type,
            envelope_text(row).encode(),
            pika.BasicProperties(
                message_id=row.message_id,
                correlation_id=row.correlation_id,
                type=row.type,
                content_type="application/json",
                delivery_mode=pika.DeliveryMode.Persistent,
            ),
        )

    def idle(self, seconds: float) -> None:
        """Wait while keeping the connection's heartbeats going."""
        self.connection.sleep(seconds)

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()


class QueueConsumer(threading.Thread):
    """Feeds `consumer` from its durable queue until stopped; reconnects when the broker drops."""

    def __init__(self, url: str, namespace: str, consumer: Consumer) -> None:
        super().__init__(name=f"amqp-{consumer.name}", daemon=True)
        self.url = url
        self.namespace = namespace
        self.consumer = consumer
        self.queue = queue_name(namespace, consumer.name)
        self._stopping = threading.Event()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self.join(timeout)

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._consume()
            except AMQPError as error:
                log.warning("%s: broker connection lost (%s); reconnecting", self.queue, error)
                self._stopping.wait(1.0)

    def _consume(self) -> None:
        connection = connect(self.url)
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            declare(channel, self.namespace)
            channel.basic_qos(prefetch_count=1)
            for method, properties, body in channel.consume(self.queue, inactivity_timeout=0.5):
                if self._stopping.is_set():
                    break
                if method is not None:
                    self._handle(channel, method, properties, body)
            channel.cancel()
        finally:
            if connection.is_open:
                connection.close()

    def _handle(self, channel: BlockingChannel, method: Any, properties: Any, body: bytes) -> None:
        headers = dict(properties.headers or {})
        attempt = int(headers.get(ATTEMPT_HEADER, 1))
        try:
            outcome = self.consumer.receive(body, properties.message_id, attempt)
        except Exception:
            log.exception("%s: could not handle message; it stays queued", self.queue)
            channel.basic_nack(method.delivery_tag, requeue=True)
            self._stopping.wait(1.0)
            return
        if outcome.status == "failed":
            headers[ATTEMPT_HEADER] = attempt + 1
            properties.headers = headers
            channel.basic_publish("", self.queue, body, properties)
        channel.basic_ack(method.delivery_tag)


def consuming(url: str | None, namespace: str, consumer: Consumer) -> Lifespan | None:
    """A service lifespan that feeds `consumer` from RabbitMQ while the service runs."""
    if not url:
        return None

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        queue_consumer = QueueConsumer(url, namespace, consumer)
        queue_consumer.start()
        yield
        queue_consumer.stop()

    return lifespan
