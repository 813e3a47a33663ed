"""Messages: capture, expect and publish messages; envelopes, correlation and dead letters."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from robot.api.deco import keyword
from robot.api.types import Secret

from ..engine.errors import SeamError
from ..engine.messaging.broker import (
    DEFAULT_ENVELOPE,
    Broker,
    Capture,
    Message,
    correlation_flow,
    data_matches,
    topic_matches,
)
from ..engine.messaging.envelope import SEAM, Envelope
from ..engine.messaging.transports import open_broker, read_dead_letters
from ..engine.values import values_equal
from ..engine.waiting import WaitTimedOut, poll
from .base import SeamKeywords

OPENER = "Connect To Broker"
# How many arrived messages a failure lists: enough to spot the near miss, short enough to read.
LISTED_MESSAGES = 10
# How much of a payload (or raw body) one summary line shows.
SUMMARY_CHARACTERS = 120
F = TypeVar("F", bound=Callable[..., Any])


def messages_keyword(method: F) -> F:
    """A keyword whose every failure starts ``Messages:``, also when the SQL or schema engine raised it."""

    @functools.wraps(method)
    def in_one_seam(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except SeamError as error:
            if error.seam == SEAM:
                raise
            raise SeamError(SEAM, error.detail) from None

    return keyword(in_one_seam)  # type: ignore[return-value]


class MessagingKeywords(SeamKeywords):
    """Messages between services: what arrives, in which envelope, with which correlation id.

    A broker connection is RabbitMQ (``amqp://user@host:port/vhost``) or a transactional-outbox
    table read through SQL (``outbox+sqlite:///orderflow.db#outbox``, ``outbox+postgresql://...``).
    The same keywords work on both, so one suite runs on either transport.
    """

    SEAM = SEAM

    @property
    def brokers(self):
        return self.ctx.seam(SEAM, OPENER, close=lambda broker: broker.close())

    def _broker(self, alias: str | None) -> Broker:
        return self.brokers.get(alias or None)

    @messages_keyword
    def connect_to_broker(
        self,
        url: Secret | str,
        alias: str = "default",
        password: Secret | str | None = None,
        timeout: timedelta | None = None,
        envelope: str | dict[str, Any] | None = None,
        id_field: str = "message_id",
        type_field: str = "type",
        version_field: str | None = "version",
        time_field: str | None = "occurred_at",
        correlation_field: str = "correlation_id",
        payload_field: str = "payload",
        position_column: str = "position",
    ) -> None:
        """Connects to a message broker as ``alias`` and makes it the current one.

        - ``amqp://user:pw@host:port/vhost`` — RabbitMQ (``%2F`` is the default vhost ``/``); needs
          the ``amqp`` extra: ``pip install 'robotframework-seamline[amqp]'``.
        - ``outbox+<database url>#<table>`` — a transactional-outbox table (``outbox`` by default)
          read through SQL: ``outbox+sqlite:///path/orderflow.db``, ``outbox+postgresql://user@host/db#events``.
          Each row is a message: a growing ``position_column`` and one column per envelope field.

        ``password`` (a ``Secret`` preferably) wins over one in the URL; both are masked in every log.
        ``timeout`` bounds connecting and every later call to the broker on this connection: a broker
        or network that stops answering fails the keyword at that deadline and drops the connection.
        Fails at once, naming the broker, when it is down, refuses the login or the table is missing.

        The envelope — the fields every message of the system carries — is orderflow's unless told
        otherwise: ``id_field``, ``type_field``, ``version_field``, ``time_field`` (an ISO-8601 time),
        ``correlation_field`` and ``payload_field`` name them (an empty ``version_field`` or
        ``time_field``: the envelope has none). Type filters, correlation keywords and
        `Publish Message` use these names. ``envelope`` is the JSON Schema `Message Should Match Envelope`
        checks (a schema name known from `Load Schemas`, a file path or a dictionary); by default
        the one shipped with Seamline, with its fields renamed as given here.

        | `Connect To Broker` | amqp://guest@127.0.0.1:5672/%2F | password=${RABBIT_PASSWORD} |
        | `Connect To Broker` | ${SHOP_URL} | id_field=messageId | type_field=eventType | correlation_field=traceId |
        """
        plain_url = self._reveal_broker_url(url)
        plain_password = self.masker.reveal(password) if password not in (None, "") else None
        fields = Envelope(
            id=id_field,
            type=type_field,
            version=version_field or None,
            occurred_at=time_field or None,
            correlation=correlation_field,
            payload=payload_field,
            schema=envelope or None,
        )
        shown = self.masker.url(plain_url)
        system = "outbox" if plain_url.startswith("outbox+") else "amqp"
        with self.timeline.span(system, "connect", shown) as span:
            broker = open_broker(
                plain_url, plain_password, self.seconds(timeout), self.timeline, fields, position_column, shown
            )
            span.target = broker.target
        self.brokers.add(alias, broker)
        self.info(f"Connected to {broker.target} as '{alias}'.")

    def _reveal_broker_url(self, url: Secret | str) -> str:
        """The plain URL; its password is remembered for masking unless it is the user name itself.

        RabbitMQ's ``guest:guest``: a password equal to the user name is no secret from anyone who
        reads the user name, and masking it would hide that user name in every later line of the run.
        """
        plain = self.masker.reveal(url)
        parts = urlsplit(plain)
        if parts.password and unquote(parts.password) != unquote(parts.username or ""):
            self.masker.register(parts.password, unquote(parts.password))
        return plain

    @messages_keyword
    def switch_broker(self, alias: str) -> None:
        """Makes broker connection ``alias`` the current one.

        | `Switch Broker` | rabbit |
        """
        broker = self.brokers.switch(alias)
        self.info(f"Current broker: {broker.target} ('{self.brokers.current_alias}').")

    @messages_keyword
    def disconnect_from_broker(self, alias: str | None = None) -> None:
        """Closes broker connection ``alias`` (the current one by default; none open is fine) and its captures.

        Fails, listing the open connections, when no connection has that alias.

        | `Disconnect From Broker` | rabbit |
        """
        self.brokers.close(alias)

    @messages_keyword
    def disconnect_from_all_brokers(self) -> None:
        """Closes every broker connection and its captures.

        | [Teardown] | `Disconnect From All Brokers` |
        """
        self.brokers.close_all()

    @messages_keyword
    def start_capturing_messages(
        self,
        source: str = "",
        binding: str = "#",
        alias: str | None = None,
        exchange_type: str = "topic",
        durable: bool = True,
    ) -> None:
        """Starts recording the messages that reach ``source`` from now on: only later messages count.

        ``source`` is an exchange on RabbitMQ (a private, exclusive, auto-deleted queue is bound to it
        with ``binding``) or an outbox table (its current last position is remembered; empty means the
        table of the connection URL). ``binding`` is an AMQP topic pattern over the message type
        (``order.*``, ``stock.#``, ``#`` for all) on both transports.

        An exchange that does not exist yet (a fresh broker, where the service declares it on its
        first publish) is declared, as ``exchange_type`` (``topic``, ``direct``, ``fanout``, ``headers``)
        and ``durable`` say, so that first message is captured too; the service's own declaration must
        agree with them (RabbitMQ refuses a different type or durability). It is left declared.

        Starting a capture of the same source again on the same connection restarts it. The capture
        stops, and its queue is deleted, at the end of the current test (or suite, when started in a
        suite setup), within the connection's timeout; `Wait For Message` and friends use the
        connection's latest capture.

        | `Start Capturing Messages` | orderflow | binding=stock.* |
        """
        broker = self._broker(alias)
        name = f"{source or '(default)'} {binding}"
        with self.timeline.span(broker.system, "capture", f"{broker.target} {source} {binding}"):
            broker.capture(name, source, binding, exchange_type, durable)
        self.ctx.add_cleanup(f"stop capturing {source} {binding}", lambda: broker.stop_capture(name))
        self.info(f"Capturing messages from {source or broker.target} with binding '{binding}'.")

    @messages_keyword
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

    @messages_keyword
    def wait_for_message(
        self,
        type: str | None = None,
        timeout: timedelta | None = None,
        alias: str | None = None,
        msg: str | None = None,
        **match: Any,
    ) -> Message:
        """Waits until a captured message has type ``type`` (a topic pattern) and every ``match``; returns it.

        ``match`` are JSONPath=value pairs over the envelope (``payload.order_id=${id}``,
        ``correlation_id=${cid}``, ``$..sku=SKU-APPLE``): a message matches when every path selects a
        value equal to the expected one, compared as every Seamline keyword compares values: numbers
        numerically (``12.50`` matches the JSON number 12.5), ``true``/``True`` JSON true, ``None``/``null``
        null, timestamps as instants, anything else as text.

        The message is the envelope as a dictionary (``${msg}[payload][order_id]``). A body that
        is not a JSON envelope is captured too, as ``body`` (the raw text) and ``malformed=True``.
        The failure (or ``msg``) lists the messages that did arrive (the last 10). On RabbitMQ a wait
        that found nothing checks the link before failing, so a frozen link says so.

        | ${msg} = | `Wait For Message` | order.created | payload.id=${order}[id] | timeout=10s |
        """
        capture = self._capture(alias)
        seconds = self.seconds(timeout)
        message = capture.wait_for(type or None, match, seconds)
        if message is None:
            self.fail(
                f"expected {_wanted(type, match)} from {capture.source} within {seconds:g}s; "
                f"{self._arrived(capture.messages)}",
                msg,
            )
        # One line per message: Robot already logs the whole envelope when it is assigned (${msg} = ...).
        self.info(f"Received {self._summary(message)}")
        return message

    @messages_keyword
    def no_message_should_arrive(
        self,
        type: str | None = None,
        within: timedelta | None = None,
        alias: str | None = None,
        msg: str | None = None,
        **match: Any,
    ) -> None:
        """Fails when a message with type ``type`` and every ``match`` is captured within ``within``.

        ``type`` and ``match`` work as in `Wait For Message`; ``within`` defaults to the library's
        timeout. Messages captured before this keyword ran count too: start a capture just before the
        step that must stay silent. On RabbitMQ silence counts only once the link is checked alive.

        | `No Message Should Arrive` | stock.reserved | payload.order_id=${id} | within=2s |
        """
        capture = self._capture(alias)
        seconds = self.seconds(within, "within")
        found = capture.arrivals_within(type or None, match, seconds)
        if found:
            listing = "\n".join(f"  {index}. {self._summary(message)}" for index, message in enumerate(found, 1))
            self.fail(
                f"expected no {_wanted(type, match)[2:]} from {capture.source} within {seconds:g}s, "
                f"but {len(found)} arrived:\n{listing}",
                msg,
            )

    @messages_keyword
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

    @messages_keyword
    def message_should_match_envelope(
        self,
        message: dict[str, Any],
        schema: str | dict[str, Any] | None = None,
        version: int | None = None,
        envelope: str | dict[str, Any] | None = None,
        alias: str | None = None,
        msg: str | None = None,
    ) -> None:
        """Fails unless ``message`` matches its envelope's JSON Schema and, with ``schema``, its payload that one.

        The envelope schema is ``envelope`` when given (a schema name known from `Load Schemas`, a file
        path or a dictionary), else the connection's (``envelope=`` of `Connect To Broker`), else the
        one shipped with Seamline: orderflow's ``message_id``, ``type``, ``version``, ``occurred_at``
        and ``correlation_id``, and a ``payload`` object. ``version`` checks the version field's value.
        ``schema`` (the same forms) checks the payload. Every violation is listed. A received message
        knows its connection's envelope; for another dictionary ``alias`` (the current connection by
        default) says which envelope it is in.

        | `Message Should Match Envelope` | ${msg} | schema=order.v1 | version=1 |
        | `Message Should Match Envelope` | ${msg} | envelope=${CURDIR}/schemas/shop-envelope.json |
        """
        fields = self._envelope_of(message, alias)
        if message.get("malformed") is True:
            problems = [f"the body is not a JSON envelope: {self.cut(str(message.get('body')), 200)!r}"]
        else:
            problems = [f"{v.path}: {v.message}" for v in fields.violations(message, self.ctx.schemas, envelope)]
            problems += self._version_problems(message, fields, version)
        if schema and not problems:
            payload = message.get(fields.payload)
            problems = [f"{fields.payload} {v.path}: {v.message}" for v in self.ctx.schemas.validate(payload, schema)]
        if problems:
            what = " ".join(
                str(part) for part in (message.get(fields.type) or "message", message.get(fields.id)) if part
            )
            self.fail(f"{what} does not match:\n- " + "\n- ".join(problems), msg)

    @staticmethod
    def _version_problems(message: dict[str, Any], fields: Envelope, version: int | None) -> list[str]:
        if version is None:
            return []
        if fields.version is None:
            return [f"version {version} expected, but this envelope has no version field"]
        actual = message.get(fields.version)
        return [] if values_equal(actual, version) else [f"'{fields.version}' should be {version}, got {actual!r}"]

    def _envelope_of(self, message: Any, alias: str | None) -> Envelope:
        if isinstance(message, Message):
            return message.envelope
        if alias or self.brokers.current is not None:
            return self._broker(alias).envelope
        return DEFAULT_ENVELOPE

    @messages_keyword
    def messages_should_share_correlation_id(
        self, *messages: dict[str, Any], alias: str | None = None, msg: str | None = None
    ) -> str:
        """Fails unless every message carries the same, non-empty correlation id; returns it.

        The correlation id is the envelope's correlation field (see `Connect To Broker`).

        | `Messages Should Share Correlation Id` | ${created} | ${reserved} |
        """
        if not messages:
            raise SeamError(SEAM, "no messages given to compare")
        envelopes = [self._envelope_of(message, alias) for message in messages]
        ids = [message.get(fields.correlation) for message, fields in zip(messages, envelopes, strict=True)]
        if not ids[0] or len(set(map(str, ids))) != 1:
            listing = "\n".join(
                f"  {message.get(fields.type)} {message.get(fields.id)}: {fields.correlation}={cid!r}"
                for message, fields, cid in zip(messages, envelopes, ids, strict=True)
            )
            self.fail(f"expected {len(messages)} messages to share one correlation id:\n{listing}", msg)
        return str(ids[0])

    @messages_keyword
    def correlation_id_should_flow(
        self,
        correlation_id: str,
        *types: str,
        timeout: timedelta | None = None,
        alias: str | None = None,
        msg: str | None = None,
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
        seconds = self.seconds(timeout)

        def hops() -> list[Message | None]:
            carrying = [message for message in capture.messages if values_equal(message.correlation_id, correlation_id)]
            return [next((m for m in carrying if topic_matches(kind, m.type)), None) for kind in wanted]

        if not capture.wait_for_all(lambda: all(hops()), seconds):
            seen = correlation_flow(capture.messages, correlation_id, wanted)
            missing = "\n".join(
                f"  {kind}: "
                + (f"arrived with correlation ids {', '.join(seen[kind])}" if seen[kind] else "none arrived")
                for kind, hop in zip(wanted, hops(), strict=True)
                if hop is None
            )
            self.fail(
                f"correlation id {correlation_id} did not reach every hop within {seconds:g}s; "
                f"missing:\n{missing}\n{self._arrived(capture.messages)}",
                msg,
            )
        found = [hop for hop in hops() if hop is not None]
        http = [span for span in self.timeline.select("http") if span.correlation_id == correlation_id]
        path = ([f"HTTP {http[0].operation} {http[0].target}"] if http else []) + [m.type for m in found]
        self.info(f"Correlation id {correlation_id} flowed: {' → '.join(path)}")
        return found

    @messages_keyword
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
        or list ``payload`` goes into a new envelope in the connection's field names (fresh message
        id unless given, to replay a duplicate). A string ``payload`` is sent as-is, unwrapped: on
        RabbitMQ it is the whole body, in an outbox the payload column, so a malformed message can
        be published on purpose. On RabbitMQ a message no queue would receive fails. ``Secret``
        values in ``payload`` are revealed for sending only; logs show them masked.

        | ${sent} = | `Publish Message` | orderflow | order.created | ${order} | correlation_id=${cid} |
        | `Publish Message` | orderflow | order.created | not json at all |
        """
        broker = self._broker(alias)
        payload = self.masker.reveal_deep(payload)
        envelope = broker.envelope.new(type, payload, correlation_id, message_id, version)
        raw_payload = payload if isinstance(payload, str) else None
        fields = broker.envelope
        with self.timeline.span(
            broker.system, "publish", f"{destination} {type}", envelope[fields.correlation]
        ) as span:
            span.bytes_sent = broker.publish(destination, envelope, raw_payload)
            span.attributes.update(message_id=envelope[fields.id], type=type)
        self.info(f"Published {type} {envelope[fields.id]} to {destination or broker.target}.")
        self.debug(self.format_data(envelope if raw_payload is None else raw_payload))
        return envelope

    @messages_keyword
    def get_dead_letters(self, source: Secret | str, alias: str | None = None, **match: Any) -> list[dict[str, Any]]:
        """Returns the dead letters in ``source`` (oldest first) that match every ``match``.

        ``source`` says where the system keeps messages it gave up on:

        - ``amqp:<queue>`` — a dead-letter queue on RabbitMQ connection ``alias`` (the current one by
          default); its messages are read and left in the queue. Each is a message as `Wait For Message`
          returns it.
        - ``sql:<table>`` — a table in the database of outbox connection ``alias``.
        - ``<sql url>#<table>`` — a table in another database (``sqlite:///app.db#dead_letters``).

        A table's rows come back as dictionaries in the order of the table's first column, text that
        holds a JSON object or list parsed. ``match`` are JSONPath=value pairs as in `Wait For Message`.

        | ${dead} = | `Get Dead Letters` | amqp:orders.dead | message_id=${sent}[message_id] |
        """
        letters = [letter for letter in self._dead_letters(source, alias) if data_matches(letter, match)]
        self.info(f"{len(letters)} dead letter(s).")
        return letters

    @messages_keyword
    def dead_letters_should_be_empty(
        self, source: Secret | str, alias: str | None = None, msg: str | None = None, **match: Any
    ) -> None:
        """Fails when ``source`` holds a dead letter that matches every ``match`` (any, without ``match``).

        ``source`` and ``match`` work as in `Get Dead Letters`.

        | `Dead Letters Should Be Empty` | sqlite:///app.db#dead_letters | consumer=inventory |
        """
        letters = [letter for letter in self._dead_letters(source, alias) if data_matches(letter, match)]
        if letters:
            self.fail(f"expected no dead letter{_with(match)}, found {len(letters)}:\n{self._letters(letters)}", msg)

    @messages_keyword
    def wait_for_dead_letter(
        self,
        source: Secret | str,
        timeout: timedelta | None = None,
        alias: str | None = None,
        msg: str | None = None,
        **match: Any,
    ) -> dict[str, Any]:
        """Waits until ``source`` holds a dead letter that matches every ``match``; returns the first.

        ``source`` and ``match`` work as in `Get Dead Letters`.

        | ${dead} = | `Wait For Dead Letter` | amqp:orders.dead | message_id=${sent}[message_id] | timeout=10s |
        """
        seconds = self.seconds(timeout)
        try:
            found = poll(
                lambda: [letter for letter in self._dead_letters(source, alias) if data_matches(letter, match)],
                bool,
                timeout=seconds,
                interval=0.1,
            )
        except WaitTimedOut:
            letters = self._dead_letters(source, alias)
            seen = f"found only:\n{self._letters(letters)}" if letters else "there are none"
            self.fail(f"expected a dead letter{_with(match)} within {seconds:g}s; {seen}", msg)
        self.info(f"Dead letter: {self._letters(found[:1])}")
        return found[0]

    def _dead_letters(self, source: Secret | str, alias: str | None) -> list[dict[str, Any]]:
        plain = str(self.masker.reveal_url(source))
        with self.timeline.span("messages", "dead letters", self.masker.url(plain)):
            _, letters = read_dead_letters(plain, lambda: self._broker(alias), self.ctx.timeout)
        return letters

    # Presentation: how messages read in a failure or a log line.
    def _summary(self, message: Message) -> str:
        """One line: type, ids and the start of the payload (or raw body)."""
        fields = message.envelope
        shown = message.body if message.malformed else json.dumps(message.payload, default=str, ensure_ascii=False)
        flag = " MALFORMED" if message.malformed else ""
        return (
            f"{message.type}{flag} {fields.id}={message.message_id} {fields.correlation}={message.correlation_id} "
            f"{self.cut(shown, SUMMARY_CHARACTERS)}"
        )

    def _arrived(self, messages: list[Message]) -> str:
        if not messages:
            return "no message arrived"
        shown = messages[-LISTED_MESSAGES:]
        skipped = f" (the last {len(shown)} shown)" if len(shown) < len(messages) else ""
        lines = "\n".join(f"  {index}. {self._summary(message)}" for index, message in enumerate(shown, 1))
        return f"{len(messages)} message(s) arrived{skipped}:\n{lines}"

    def _letters(self, letters: list[dict[str, Any]]) -> str:
        shown = letters[-LISTED_MESSAGES:]
        return "\n".join(f"  {index}. {self._letter(letter)}" for index, letter in enumerate(shown, 1))

    def _letter(self, letter: dict[str, Any]) -> str:
        if isinstance(letter, Message):
            reason = letter.properties.get("headers", {}).get("x-first-death-reason")
            return self._summary(letter) + (f" (dead-lettered: {reason})" if reason else "")
        text = " ".join(
            f"{column}={json.dumps(value, default=str) if isinstance(value, (dict, list)) else value}"
            for column, value in letter.items()
        )
        return self.cut(text, 2 * SUMMARY_CHARACTERS)


def _wanted(message_type: str | None, criteria: dict[str, Any]) -> str:
    wanted = [f"type={message_type}"] if message_type else []
    wanted += [f"{path}={value}" for path, value in criteria.items()]
    return "a message" + (f" with {', '.join(wanted)}" if wanted else "")


def _with(match: dict[str, Any]) -> str:
    return f" with {', '.join(f'{key}={value}' for key, value in match.items())}" if match else ""
