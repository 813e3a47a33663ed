"""RabbitMQ through pika: captures on private auto-deleted queues, publishing with confirms.

Everything pika does runs on the caller's thread (pika's BlockingConnection is not thread-safe): a
capture's queue buffers messages at the broker until `fetch` drains it with
`process_data_events(time_limit=...)`, so nothing is lost between `Start Capturing Messages` and
`Wait For Message`.

pika's blocking calls wait for the broker's answer without a time limit, and on a partition (the peer
neither answers nor closes) nothing ends them: not the socket timeout (connect only), not heartbeats
(checked every negotiated timeout + 5 s, and they would drop a connection idle between keywords).
So every call runs under a `Deadline` (engine/deadlines) that, at the connection's deadline, shuts the socket down: the
blocked pika loop wakes on end-of-file, the call fails, the connection is discarded.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.adapters.utils.connection_workflow import AMQPConnectorException
from pika.exceptions import (
    AMQPChannelError,
    AMQPConnectionError,
    AMQPError,
    ChannelClosed,
    ProbableAccessDeniedError,
    ProbableAuthenticationError,
    UnroutableError,
)

from ..deadlines import Deadline, shut_down
from ..errors import SeamError
from ..timeline import Timeline
from .broker import Broker, Capture, Message, parse_message
from .envelope import SEAM, Envelope

T = TypeVar("T")
# How long a dead-letter queue is read at most, in messages: a test looks at a handful.
DEAD_LETTERS_READ = 1000


class AmqpBroker(Broker):
    """One connection to a RabbitMQ virtual host; captures and publishes share it."""

    system = "amqp"

    def __init__(
        self,
        url: str,
        password: str | None = None,
        timeout: float = 10.0,
        timeline: Timeline | None = None,
        envelope: Envelope | None = None,
    ):
        parts = urlsplit(url)
        super().__init__(
            f"amqp://{parts.hostname}:{parts.port or 5672}{parts.path or '/'}", envelope or Envelope(), timeline
        )
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
        # Partitions are the watchdog's business instead.
        parameters.heartbeat = 0
        self.user = parameters.credentials.username
        self.connection = self._connect(parameters)
        self.deadline = Deadline(self._abandon)
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
        except (AMQPConnectionError, AMQPConnectorException) as error:
            raise SeamError(
                SEAM,
                f"cannot connect to {self.target} within {self.timeout:g}s: {_connect_reason(error)} "
                "(is the broker running?)",
            ) from None

    def _abandon(self) -> None:
        """The watchdog's move: end the connection under pika's feet (it sees end-of-file and gives up)."""
        sock = getattr(getattr(getattr(self.connection, "_impl", None), "_transport", None), "_sock", None)
        if isinstance(sock, socket.socket):
            shut_down(sock)

    def call(self, what: str, action: Callable[[], T], seconds: float | None = None) -> T:
        """Run one blocking pika `action` within `seconds` (the connection's timeout by default).

        A deadline that passes discards the connection: the failure says so and names `what` was done.
        Broker refusals (channel errors) are left to the caller, who knows what they mean.
        """
        if self.deadline.expired or not self.connection.is_open:
            raise SeamError(SEAM, f"{what} on {self.target}: the connection is closed; connect again")
        budget = self.timeout if seconds is None else seconds
        try:
            with self.deadline.bounding(budget):
                return action()
        except AMQPChannelError:
            raise
        except AMQPError as error:
            if self.deadline.expired:
                raise SeamError(
                    SEAM,
                    f"{what} on {self.target}: no answer within {budget:g}s (the broker or the network stopped "
                    "answering); the connection is dropped, connect again",
                ) from None
            raise SeamError(SEAM, f"{what} on {self.target}: the connection is lost: {error!r}") from None

    def start_capture(
        self, source: str, binding: str, exchange_type: str = "topic", durable: bool = True
    ) -> AmqpCapture:
        if not source:
            raise SeamError(SEAM, f"give the exchange to capture from on {self.target}")
        return AmqpCapture(self, source, binding or "#", exchange_type, durable)

    def publish(self, destination: str, envelope: Mapping[str, Any], raw_payload: str | None = None) -> int:
        """Publish to exchange `destination` (routing key = type), or to a queue as ``queue:<name>``.

        The body is the envelope as JSON, or `raw_payload` as-is (the whole body: a malformed message);
        the AMQP properties carry the envelope's ids either way, as orderflow's relay sets them.
        Mandatory and confirmed: a message no queue would receive is a failure, not a silent loss.
        """
        fields = self.envelope
        message_type = str(envelope[fields.type])
        exchange, routing_key = ("", destination[6:]) if destination.startswith("queue:") else (destination, "")
        routing_key = routing_key or message_type
        body = json.dumps(envelope) if raw_payload is None else raw_payload
        properties = pika.BasicProperties(
            content_type="application/json",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=envelope.get(fields.id),
            correlation_id=envelope.get(fields.correlation),
            type=message_type,
            timestamp=int(time.time()),
        )
        where = f"queue '{routing_key}'" if not exchange else f"exchange '{exchange}' (routing key '{routing_key}')"
        what = f"publishing to {where}"
        try:
            channel = self._publishing_channel()
            self.call(
                what, lambda: channel.basic_publish(exchange, routing_key, body.encode(), properties, mandatory=True)
            )
        except UnroutableError:
            raise SeamError(
                SEAM, f"no queue receives {message_type} published to {where} on {self.target}: nobody is bound to it"
            ) from None
        except ChannelClosed as error:
            self._publisher = None
            raise SeamError(SEAM, f"{what} on {self.target} failed: {_broker_reason(error)}") from None
        return len(body.encode())

    def _publishing_channel(self) -> BlockingChannel:
        if self._publisher is None or not self._publisher.is_open:
            channel = self.channel("opening a channel")
            self.call("turning on publisher confirms", channel.confirm_delivery)
            self._publisher = channel
        return self._publisher

    def channel(self, what: str = "opening a channel") -> BlockingChannel:
        return self.call(what, self.connection.channel)

    def process_events(self, wait: float) -> None:
        # The time limit ends the wait; the watchdog only covers flushing what pika still has to send.
        self.call(
            "receiving messages", lambda: self.connection.process_data_events(time_limit=wait), wait + self.timeout
        )

    def peek_queue(self, queue: str, limit: int = DEAD_LETTERS_READ) -> list[Message]:
        """The messages waiting in `queue`, oldest first, left there (read unacknowledged, then requeued)."""
        what = f"reading queue '{queue}'"
        channel = self.channel(what)
        messages = []
        try:
            for _ in range(limit):
                method, properties, body = self.call(what, lambda: channel.basic_get(queue, auto_ack=False))
                if method is None:
                    break
                messages.append(_received(self.envelope, body, method, properties, f"queue:{queue}"))
        except ChannelClosed as error:
            raise SeamError(SEAM, f"cannot read queue '{queue}' on {self.target}: {_broker_reason(error)}") from None
        finally:
            if channel.is_open:  # closing the channel hands every unacknowledged message back to the queue
                self.call(f"closing the channel that read queue '{queue}'", channel.close)
        return messages

    def _disconnect(self) -> None:
        if self.connection.is_open and not self.deadline.expired:
            self.call("disconnecting", self.connection.close)


class AmqpCapture(Capture):
    """A private, exclusive, auto-deleted queue bound to an exchange; deleted again on close.

    An exchange that does not exist yet (a fresh broker where the service declares it on its first
    publish) is declared, `exchange_type` (topic by default) and `durable` as services declare theirs,
    so that first message is captured too. It stays declared after the capture.
    """

    system = "amqp"

    def __init__(self, broker: AmqpBroker, exchange: str, binding: str, exchange_type: str, durable: bool):
        super().__init__(exchange, binding, broker.envelope, broker.timeline)
        self.broker = broker
        self.queue = f"seamline.capture.{uuid.uuid4().hex[:12]}"
        self._inbox: list[Message] = []
        what = f"capturing from exchange '{exchange}'"
        try:
            self.channel = self._channel_with_exchange(exchange, exchange_type, durable)
            broker.call(what, lambda: self.channel.queue_declare(self.queue, exclusive=True, auto_delete=True))
            broker.call(what, lambda: self.channel.queue_bind(self.queue, exchange, routing_key=self.binding))
            broker.call(what, lambda: self.channel.basic_consume(self.queue, self._on_message, auto_ack=True))
        except AMQPChannelError as error:
            raise SeamError(
                SEAM, f"cannot capture from exchange '{exchange}' on {broker.target}: {_broker_reason(error)}"
            ) from None

    def _channel_with_exchange(self, exchange: str, exchange_type: str, durable: bool) -> BlockingChannel:
        what = f"capturing from exchange '{exchange}'"
        channel = self.broker.channel(what)
        try:
            self.broker.call(what, lambda: channel.exchange_declare(exchange, passive=True))
            return channel
        except ChannelClosed as error:
            if error.reply_code != 404:
                raise
        # The broker closed that channel on NOT_FOUND: declare on a new one.
        channel = self.broker.channel(what)
        self.broker.call(what, lambda: channel.exchange_declare(exchange, exchange_type, durable=durable))
        return channel

    def _on_message(self, channel: Any, method: Any, properties: pika.BasicProperties, body: bytes) -> None:
        self._inbox.append(_received(self.envelope, body, method, properties, self.source))

    def _receive(self, wait: float) -> list[Message]:
        self.broker.process_events(wait)
        arrived, self._inbox = self._inbox, []
        return arrived

    def check_link(self) -> None:
        """One round trip on the capture's channel (is its queue still there?) within the connection's timeout."""
        try:
            self.broker.call(
                f"checking the capture of exchange '{self.source}'",
                lambda: self.channel.queue_declare(self.queue, passive=True),
            )
        except AMQPChannelError as error:
            raise SeamError(
                SEAM,
                f"the capture of exchange '{self.source}' on {self.broker.target} is gone: {_broker_reason(error)}",
            ) from None

    def close(self) -> None:
        if not self.channel.is_open or self.broker.deadline.expired:
            return
        what = f"deleting capture queue '{self.queue}'"
        try:
            self.broker.call(what, lambda: self.channel.queue_delete(self.queue))
        finally:
            if self.channel.is_open:
                self.broker.call(what, self.channel.close)


def _received(envelope: Envelope, body: bytes, method: Any, properties: pika.BasicProperties, source: str) -> Message:
    known = {"type": properties.type or method.routing_key, "id": properties.message_id}
    known["correlation"] = properties.correlation_id
    return parse_message(
        body,
        envelope,
        known,
        source=source,
        routing_key=method.routing_key,
        properties={name: value for name, value in vars(properties).items() if value is not None},
    )


def _connect_reason(error: Exception) -> str:
    """What went wrong underneath pika's connection workflow wrappers (``[Errno 111] Connection refused``)."""
    if isinstance(error, AMQPConnectorException) and "Timeout" in type(error).__name__:
        return "no answer to the AMQP handshake"
    cause: BaseException = error.args[0] if error.args and isinstance(error.args[0], BaseException) else error
    cause = getattr(cause, "exception", cause)
    return str(cause) or repr(cause)


def _broker_reason(error: AMQPError) -> str:
    """The broker's own words (``NOT_FOUND - no exchange 'x' in vhost '/'``) rather than pika's repr."""
    reply = getattr(error, "reply_text", None)
    return str(reply) if reply else repr(error)
