"""RabbitMQ through pika: captures on private auto-deleted queues, publishing with confirms.

Everything runs on the caller's thread (pika's BlockingConnection is not thread-safe): a capture's
queue buffers messages at the broker until `fetch` drains it with `process_data_events(time_limit=...)`,
so nothing is lost between `Start Capturing Messages` and `Wait For Message`, and no call blocks
without a time limit.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import (
    AMQPChannelError,
    AMQPConnectionError,
    AMQPError,
    ChannelClosed,
    ProbableAccessDeniedError,
    ProbableAuthenticationError,
    UnroutableError,
)

from ..errors import SeamError
from ..timeline import Timeline
from .broker import Broker, Capture, Message, parse_message

SEAM = "AMQP"

# pika logs every failed connection attempt at ERROR with a traceback; Seamline reports each one
# as a single readable failure, so pika's own account would only repeat it as noise in log.html.
logging.getLogger("pika").setLevel(logging.CRITICAL)


class AmqpBroker(Broker):
    """One connection to a RabbitMQ virtual host; captures and publishes share it."""

    system = "amqp"

    def __init__(self, url: str, password: str | None = None, timeout: float = 10.0, timeline: Timeline | None = None):
        parts = urlsplit(url)
        super().__init__(f"amqp://{parts.hostname}:{parts.port or 5672}{parts.path or '/'}", timeline)
        self.timeout = timeout
        # pika cannot parse a user without a password, so credentials are taken out of the URL here.
        user = unquote(parts.username) if parts.username else "guest"
        if password is None:
            password = unquote(parts.password) if parts.password is not None else ("" if parts.username else "guest")
        parameters = pika.URLParameters(urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])))
        parameters.credentials = pika.PlainCredentials(user, password)
        parameters.connection_attempts = 1
        parameters.socket_timeout = timeout
        parameters.stack_timeout = timeout
        parameters.blocked_connection_timeout = timeout
        # The connection is only serviced while a keyword runs; heartbeats would drop it in an idle test.
        parameters.heartbeat = 0
        self.user = parameters.credentials.username
        self.connection = self._connect(parameters)
        self._publisher: BlockingChannel | None = None

    def _connect(self, parameters: pika.URLParameters) -> pika.BlockingConnection:
        try:
            return pika.BlockingConnection(parameters)
        except ProbableAuthenticationError:
            raise SeamError(
                SEAM, f"{self.target} refused the login of user '{self.user}': wrong user name or password"
            ) from None
        except ProbableAccessDeniedError as error:
            raise SeamError(SEAM, f"{self.target} denied access to the virtual host: {error.args[0]}") from None
        except AMQPConnectionError as error:
            raise SeamError(
                SEAM,
                f"cannot connect to {self.target} within {self.timeout:g}s: {_connect_reason(error)} "
                "(is the broker running?)",
            ) from None

    def start_capture(self, source: str, binding: str) -> AmqpCapture:
        return AmqpCapture(self, source, binding or "#")

    def publish(self, destination: str, envelope: Mapping[str, Any], raw_payload: str | None = None) -> int:
        """Publish to exchange `destination` (routing key = type), or to a queue as ``queue:<name>``.

        The body is the envelope as JSON, or `raw_payload` as-is (the whole body: a malformed message);
        the AMQP properties carry the envelope's ids either way, as orderflow's relay sets them.
        Mandatory and confirmed: a message no queue would receive is a failure, not a silent loss.
        """
        message_type = str(envelope["type"])
        exchange, routing_key = ("", destination[6:]) if destination.startswith("queue:") else (destination, "")
        routing_key = routing_key or message_type
        body = json.dumps(envelope) if raw_payload is None else raw_payload
        properties = pika.BasicProperties(
            content_type="application/json",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=envelope.get("message_id"),
            correlation_id=envelope.get("correlation_id"),
            type=message_type,
            timestamp=int(time.time()),
        )
        where = f"queue '{routing_key}'" if not exchange else f"exchange '{exchange}' (routing key '{routing_key}')"
        channel = self._publishing_channel()
        try:
            channel.basic_publish(exchange, routing_key, body.encode(), properties, mandatory=True)
        except UnroutableError:
            raise SeamError(
                SEAM, f"no queue receives {message_type} published to {where} on {self.target}: nobody is bound to it"
            ) from None
        except ChannelClosed as error:
            self._publisher = None
            raise SeamError(SEAM, f"publishing to {where} on {self.target} failed: {_broker_reason(error)}") from None
        except AMQPError as error:
            raise SeamError(SEAM, f"publishing to {where} on {self.target} failed: {error!r}") from None
        return len(body.encode())

    def _publishing_channel(self) -> BlockingChannel:
        if self._publisher is None or not self._publisher.is_open:
            self._publisher = self.channel()
            self._publisher.confirm_delivery()
        return self._publisher

    def channel(self) -> BlockingChannel:
        try:
            return self.connection.channel()
        except AMQPError as error:
            raise SeamError(SEAM, f"the connection to {self.target} is lost: {error!r}") from None

    def process_events(self, wait: float) -> None:
        try:
            self.connection.process_data_events(time_limit=wait)
        except AMQPError as error:
            raise SeamError(SEAM, f"the connection to {self.target} is lost: {error!r}") from None

    def _disconnect(self) -> None:
        if self.connection.is_open:
            self.connection.close()


class AmqpCapture(Capture):
    """A private, exclusive, auto-deleted queue bound to an exchange; deleted again on close."""

    system = "amqp"

    def __init__(self, broker: AmqpBroker, exchange: str, binding: str):
        super().__init__(exchange, binding, broker.timeline)
        self.broker = broker
        self.queue = f"seamline.capture.{uuid.uuid4().hex[:12]}"
        self._inbox: list[Message] = []
        self.channel = broker.channel()
        try:
            self.channel.exchange_declare(exchange, passive=True)
            self.channel.queue_declare(self.queue, exclusive=True, auto_delete=True)
            self.channel.queue_bind(self.queue, exchange, routing_key=self.binding)
            self.channel.basic_consume(self.queue, self._on_message, auto_ack=True)
        except AMQPChannelError as error:
            raise SeamError(
                SEAM, f"cannot capture from exchange '{exchange}' on {broker.target}: {_broker_reason(error)}"
            ) from None

    def _on_message(self, channel: Any, method: Any, properties: pika.BasicProperties, body: bytes) -> None:
        known = {"type": properties.type or method.routing_key, "message_id": properties.message_id}
        known["correlation_id"] = properties.correlation_id
        self._inbox.append(
            parse_message(
                body,
                known,
                source=self.source,
                routing_key=method.routing_key,
                properties={name: value for name, value in vars(properties).items() if value is not None},
            )
        )

    def _receive(self, wait: float) -> list[Message]:
        self.broker.process_events(wait)
        arrived, self._inbox = self._inbox, []
        return arrived

    def close(self) -> None:
        if not self.channel.is_open:
            return
        try:
            self.channel.queue_delete(self.queue)
        finally:
            self.channel.close()


def _connect_reason(error: AMQPConnectionError) -> str:
    """What went wrong underneath pika's connection workflow wrappers (``[Errno 111] Connection refused``)."""
    cause: BaseException = error.args[0] if error.args and isinstance(error.args[0], BaseException) else error
    cause = getattr(cause, "exception", cause)
    return str(cause) or repr(cause)


def _broker_reason(error: AMQPError) -> str:
    """The broker's own words (``NOT_FOUND - no exchange 'x' in vhost '/'``) rather than pika's repr."""
    reply = getattr(error, "reply_text", None)
    return str(reply) if reply else repr(error)
