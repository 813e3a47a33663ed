"""Messages: capture, expect and publish messages; envelopes, correlation and dead letters (issue 7)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api.deco import keyword
from robot.api.types import Secret

from ..engine.database.sql import open_database
from ..engine.errors import SeamError
from ..engine.messaging.amqp import AmqpBroker
from ..engine.messaging.broker import (
    Broker,
    Capture,
    Message,
    correlation_flow,
    data_matches,
    describe_arrived,
    envelope_problems,
    new_envelope,
    topic_matches,
)
from ..engine.messaging.outbox import OutboxBroker, read_dead_letters
from ..engine.waiting import WaitTimedOut, poll
from .base import SeamKeywords

OPENER = "Connect To Broker"


class MessagingKeywords(SeamKeywords):
    """Messages between services: what arrives, in which envelope, with which correlation id.

    A broker connection is RabbitMQ (``amqp://user@host:port/vhost``) or a transactional-outbox
    table read through SQL (``outbox+sqlite:///orderflow.db#outbox``, ``outbox+postgresql://...``).
    The same keywords work on both, so one suite runs on either transport.
    """

    SEAM = "Messages"

    @property
    def brokers(self):
        return self.ctx.seam("messages", OPENER, close=lambda broker: broker.close())

    def _broker(self, alias: str | None) -> Broker:
        return self.brokers.get(alias or None)

    @keyword
    def connect_to_broker(
        self,
        url: Secret | str,
        alias: str = "default",
        password: Secret | str | None = None,
        timeout: timedelta | None = None,
    ) -> None:
        """Connects to a message broker as ``alias`` and makes it the current one.

        - ``amqp://user:pw@host:port/vhost`` — RabbitMQ (``%2F`` is the default vhost ``/``).
        - ``outbox+<database url>#<table>`` — a transactional-outbox table (``outbox`` by default)
          read through SQL: ``outbox+sqlite:///path/orderflow.db``, ``outbox+postgresql://user@host/db#outbox``.

        ``password`` (a ``Secret`` preferably) wins over one in the URL; both are masked in every log.
        Fails at once, naming the broker, when it is down, refuses the login or the table is missing.

        | `Connect To Broker` | amqp://guest@127.0.0.1:5672/%2F | password=${RABBIT_PASSWORD} |
        """
        plain_url = self.masker.reveal_url(url)
        plain_password = self.masker.reveal(password) if password not in (None, "") else None
        seconds = self.seconds(timeout)
        opener = OutboxBroker if plain_url.startswith("outbox+") else AmqpBroker
        if opener is AmqpBroker and not plain_url.startswith(("amqp://", "amqps://")):
            raise SeamError(
                "messages", f"'{self.masker.url(plain_url)}' is neither amqp://... nor outbox+<database url>#<table>"
            )
        with self.timeline.span(opener.system, "connect", self.masker.url(plain_url)) as span:
            broker = opener(plain_url, plain_password, seconds, self.timeline)
            span.target = broker.target
        self.brokers.add(alias, broker)
        self.info(f"Connected to {broker.target} as '{alias}'.")

    @keyword
    def disconnect_from_broker(self, alias: str | None = None) -> None:
        """Closes broker connection ``alias`` (the current one by default; none open is fine) and its captures.

        Fails, listing the open connections, when no connection has that alias.

        | `Disconnect From Broker` | rabbit |
        """
        self.brokers.close(alias)

    @keyword
    def start_capturing_messages(self, source: str = "", binding: str = "#", alias: str | None = None) -> None:
        """Starts recording the messages that reach ``source`` from now on: only later messages count.

        ``source`` is an exchange on RabbitMQ (a private, exclusive, auto-deleted queue is bound to it
        with ``binding``) or an outbox table (its current last position is remembered; empty means the
        table of the connection URL). ``binding`` is an AMQP topic pattern over the message type
        (``order.*``, ``stock.#``, ``#`` for all) on both transports.

        Starting a capture of the same source again on the same connection restarts it. The capture
        stops, and its queue is deleted, at the end of the current test (or suite, when started in a
        suite setup); `Wait For Message` and friends use the connection's latest capture.

        | `Start Capturing Messages` | orderflow | binding=stock.* |
        """
        broker = self._broker(alias)
        name = f"{source or '(default)'} {binding}"
        with self.timeline.span(broker.system, "capture", f"{broker.target} {source} {binding}"):
            broker.capture(name, source, binding)
        self.ctx.add_cleanup(f"stop capturing {source} {binding}", lambda: broker.stop_capture(name))
        self.info(f"Capturing messages from {source or broker.target} with binding '{binding}'.")

    @keyword
    def stop_capturing_messages(self, alias: str | None = None) -> list[Message]:
        """Stops the latest capture of connection ``alias`` (deleting its queue); returns what it captured.

        | ${all} = | `Stop Capturing Messages` |
        """
        broker = self._broker(alias)
        name, capture = broker.latest_capture()
        capture.fetch()
        broker.stop_capture(name)
        return list(capture.messages)

    def _capture(self, alias: str | None) -> Capture:
        return self._broker(alias).latest_capture()[1]

    @keyword
    def wait_for_message(
        self, type: str | None = None, timeout: timedelta = timedelta(seconds=5), alias: str | None = None, **match: Any
    ) -> Message:
        """Waits until a captured message has type ``type`` (a topic pattern) and every ``match``; returns it.

        ``match`` are JSONPath=value pairs over the envelope (``payload.order_id=${id}``,
        ``correlation_id=${cid}``, ``$..sku=SKU-APPLE``): a message matches when every path selects a
        value equal to the expected one. Values compare as strings after Robot's conversion: ``3``
        and ``${3}`` both match the JSON number 3, ``True`` matches JSON true, ``None`` matches null.

        The message is the envelope as a dictionary (``${msg}[payload][order_id]``). A body that
        is not a JSON envelope is captured too, as ``body`` (the raw text) and ``malformed=True``.
        The failure lists the messages that did arrive (the last 10).

        | ${msg} = | `Wait For Message` | order.created | payload.id=${order}[id] | timeout=10s |
        """
        capture = self._capture(alias)
        message = capture.wait_for(type or None, match, self.seconds(timeout))
        # One line per message: Robot already logs the whole envelope when it is assigned (${msg} = ...).
        self.info(f"Received {message.summary()}")
        return message

    @keyword
    def no_message_should_arrive(
        self, type: str | None = None, within: timedelta = timedelta(seconds=2), alias: str | None = None, **match: Any
    ) -> None:
        """Fails when a message with type ``type`` and every ``match`` is captured within ``within``.

        ``type`` and ``match`` work as in `Wait For Message`.
        Messages captured before this keyword ran count too: start a capture just before the step
        that must stay silent.

        | `No Message Should Arrive` | stock.reserved | payload.order_id=${id} | within=2s |
        """
        self._capture(alias).assert_none(type or None, match, self.seconds(within))

    @keyword
    def get_captured_messages(self, type: str | None = None, alias: str | None = None, **match: Any) -> list[Message]:
        """Returns the messages captured so far (without waiting) that have type ``type`` and every ``match``.

        | ${reserved} = | `Get Captured Messages` | stock.reserved | payload.order_id=${id} |
        | Length Should Be | ${reserved} | 1 |
        """
        capture = self._capture(alias)
        capture.fetch()
        found = capture.find(type or None, match)
        self.info(f"{len(found)} of {len(capture.messages)} captured messages match.")
        return found

    @keyword
    def message_should_match_envelope(
        self, message: dict[str, Any], schema: str | dict[str, Any] | None = None, version: int | None = None
    ) -> None:
        """Fails unless ``message`` has orderflow's envelope and, with ``schema``, a payload that matches it.

        The envelope: ``message_id``, ``type``, ``correlation_id`` and ``occurred_at`` (ISO-8601)
        strings, an integer ``version`` (equal to ``version`` when given), a JSON object ``payload``
        and nothing else. ``schema`` is a name in the schema registry (see `Load Schemas`), a JSON
        Schema dictionary or a schema file; the payload is checked against it and every violation is listed.

        | `Message Should Match Envelope` | ${msg} | schema=order.created.v1 | version=1 |
        """
        problems = envelope_problems(message, version)
        if schema and not problems:
            problems = [f"payload {error}" for error in self.ctx.schemas.validate(message["payload"], schema)]
        if problems:
            what = message.get("type") or "message"
            raise SeamError(
                "envelope", f"{what} {message.get('message_id')} does not match:\n- " + "\n- ".join(problems)
            )

    @keyword
    def messages_should_share_correlation_id(self, *messages: dict[str, Any]) -> str:
        """Fails unless every message carries the same, non-empty correlation id; returns it.

        | `Messages Should Share Correlation Id` | ${created} | ${reserved} |
        """
        if not messages:
            raise SeamError("correlation", "no messages given to compare")
        ids = [message.get("correlation_id") for message in messages]
        if not ids[0] or len(set(ids)) != 1:
            listing = "\n".join(
                f"  {message.get('type')} {message.get('message_id')}: correlation_id={cid!r}"
                for message, cid in zip(messages, ids, strict=True)
            )
            raise SeamError("correlation", f"expected {len(messages)} messages to share one correlation id:\n{listing}")
        return str(ids[0])

    @keyword
    def correlation_id_should_flow(
        self, correlation_id: str, *types: str, timeout: timedelta = timedelta(seconds=5), alias: str | None = None
    ) -> list[Message]:
        """Waits until a captured message of each of ``types`` carries ``correlation_id``; returns them in order.

        Checks the hops after an HTTP call: the call's id reached the outbox (``order.created``),
        the consumer and its follow-up message (``stock.reserved``). Without ``types`` one message
        with the id is enough. When an HTTP span on the timeline sent this id, it is named as the
        first hop. The failure says, per type, which correlation ids arrived instead.

        | `Correlation Id Should Flow` | ${order}[correlation_id] | order.created | stock.* |
        """
        wanted = list(types) or ["#"]
        capture = self._capture(alias)

        def hops() -> list[Message | None]:
            carrying = [message for message in capture.messages if message.correlation_id == correlation_id]
            return [next((m for m in carrying if topic_matches(kind, m.type)), None) for kind in wanted]

        if not capture.wait_for_all(lambda: all(hops()), self.seconds(timeout)):
            seen = correlation_flow(capture.messages, correlation_id, wanted)
            missing = "\n".join(
                f"  {kind}: "
                + (f"arrived with correlation ids {', '.join(seen[kind])}" if seen[kind] else "none arrived")
                for kind, hop in zip(wanted, hops(), strict=True)
                if hop is None
            )
            raise SeamError(
                "correlation",
                f"correlation id {correlation_id} did not reach every hop within {self.seconds(timeout):g}s; "
                f"missing:\n{missing}\n{describe_arrived(capture.messages)}",
            )
        found = [hop for hop in hops() if hop is not None]
        http = [span for span in self.timeline.select("http") if span.correlation_id == correlation_id]
        path = ([f"HTTP {http[0].operation} {http[0].target}"] if http else []) + [m.type for m in found]
        self.info(f"Correlation id {correlation_id} flowed: {' → '.join(path)}")
        return found

    @keyword
    def publish_message(
        self,
        destination: str,
        type: str,
        payload: dict[str, Any] | list[Any] | str,
        correlation_id: str | None = None,
        message_id: str | None = None,
        version: int = 1,
        alias: str | None = None,
    ) -> dict[str, Any]:
        """Publishes one message of ``type`` to ``destination``, as a service would; returns its envelope.

        ``destination`` is an exchange on RabbitMQ (routing key = ``type``; ``queue:<name>`` sends
        straight to a queue) or an outbox table (empty: the connection URL's table). A dictionary
        or list ``payload`` goes into a new envelope (fresh ``message_id`` unless given, to replay a
        duplicate). A string ``payload`` is sent as-is, unwrapped: on RabbitMQ it is the whole body,
        in an outbox the payload column, so a malformed message can be published on purpose.
        On RabbitMQ a message no queue would receive fails. ``Secret`` values in ``payload`` are
        revealed for sending only; logs show them masked.

        | ${sent} = | `Publish Message` | orderflow | order.created | ${order} | correlation_id=${cid} |
        | `Publish Message` | orderflow | order.created | not json at all |
        """
        broker = self._broker(alias)
        payload = self.masker.reveal_deep(payload)
        envelope = new_envelope(type, payload, correlation_id, message_id, version)
        raw_payload = payload if isinstance(payload, str) else None
        with self.timeline.span(broker.system, "publish", f"{destination} {type}", envelope["correlation_id"]) as span:
            span.bytes_sent = broker.publish(destination, envelope, raw_payload)
            span.attributes.update(message_id=envelope["message_id"], type=type)
        self.info(f"Published {type} {envelope['message_id']} to {destination or broker.target}.")
        self.debug(self.format_data(envelope if raw_payload is None else raw_payload))
        return envelope

    @keyword
    def get_dead_letters(self, source: Secret | str = "", **match: Any) -> list[dict[str, Any]]:
        """Returns the dead letters (oldest first) that match every ``match``, from orderflow's ``dead_letters`` table.

        ``source`` is a broker alias whose connection is an outbox (empty: the current one) or, for
        RabbitMQ, the SQL URL of orderflow's database (``${ORDERFLOW}[database]``). Each dead letter
        has ``id``, ``message_id``, ``consumer``, ``type``, ``envelope`` (parsed when it is JSON),
        ``error``, ``attempts`` and ``failed_at``.

        | ${dead} = | `Get Dead Letters` | consumer=inventory |
        """
        letters = [letter for letter in self._dead_letters(source) if data_matches(letter, match)]
        self.info(f"{len(letters)} dead letter(s).")
        return letters

    @keyword
    def dead_letters_should_be_empty(self, source: Secret | str = "", **match: Any) -> None:
        """Fails when there is a dead letter that matches every ``match`` (all of them without ``match``).

        | `Dead Letters Should Be Empty` | ${ORDERFLOW}[database] | consumer=inventory |
        """
        letters = [letter for letter in self._dead_letters(source) if data_matches(letter, match)]
        if letters:
            raise SeamError("dead letters", f"expected none, found {len(letters)}:\n{_describe_letters(letters)}")

    @keyword
    def wait_for_dead_letter(
        self, source: Secret | str = "", timeout: timedelta = timedelta(seconds=10), **match: Any
    ) -> dict[str, Any]:
        """Waits until a dead letter matches every ``match`` (e.g. ``message_id=${id}``); returns the first.

        | ${dead} = | `Wait For Dead Letter` | message_id=${sent}[message_id] | timeout=10s |
        """
        seconds = self.seconds(timeout)
        try:
            found = poll(
                lambda: [letter for letter in self._dead_letters(source) if data_matches(letter, match)],
                bool,
                timeout=seconds,
                interval=0.1,
            )
        except WaitTimedOut:
            wanted = ", ".join(f"{key}={value}" for key, value in match.items()) or "any"
            letters = self._dead_letters(source)
            seen = f"found only:\n{_describe_letters(letters)}" if letters else "there are none"
            raise SeamError(
                "dead letters", f"expected a dead letter with {wanted} within {seconds:g}s; {seen}"
            ) from None
        self.info(f"Dead letter: {_describe_letters(found[:1])}")
        return found[0]

    def _dead_letters(self, source: Secret | str) -> list[dict[str, Any]]:
        plain = self.masker.reveal_url(source) if source else ""
        if "://" in plain:
            db = open_database(plain, timeout=self.ctx.timeout)
            try:
                with self.timeline.span("sql", "dead letters", db.display_url):
                    return read_dead_letters(db, db.display_url)
            finally:
                db.close()
        broker = self._broker(plain or None)
        if not isinstance(broker, OutboxBroker):
            raise SeamError(
                "dead letters",
                f"{broker.target} is not an outbox: give the SQL URL of the consumers' database as source",
            )
        with self.timeline.span("sql", "dead letters", broker.target):
            return broker.dead_letters()


def _describe_letters(letters: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {letter['consumer']}: {letter['type']} message_id={letter['message_id']} "
        f"attempts={letter['attempts']} error={letter['error']}"
        for letter in letters[-10:]
    )
