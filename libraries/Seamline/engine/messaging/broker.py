"""Messages at a seam: captures that record what arrives, matching and waiting.

Transports (RabbitMQ in `amqp.py`, a transactional-outbox table in `outbox.py`) only turn what they
receive into `Message`s; everything a test asserts about messages lives here, the same for both.
How a failure reads is the keyword layer's business: the engine returns what it found.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from ..errors import SeamError
from ..jsonpath import selector
from ..timeline import Timeline
from ..values import values_equal
from ..waiting import WaitTimedOut, poll
from .envelope import SEAM, Envelope, occurred_epoch

DEFAULT_ENVELOPE = Envelope()


class Message(dict[str, Any]):
    """A received message: the envelope as a dict (``${msg}[payload][order_id]``) plus how it travelled.

    A body that is not a JSON envelope is still captured, never dropped: the dict then holds what
    the transport knew (type, message id...), ``body`` (the raw text) and ``malformed: True``.
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        body: str,
        envelope: Envelope = DEFAULT_ENVELOPE,
        malformed: bool = False,
        source: str = "",
        routing_key: str = "",
        received_at: float | None = None,
        properties: Mapping[str, Any] | None = None,
    ):
        super().__init__(data)
        self.body = body
        self.envelope = envelope
        self.malformed = malformed
        self.source = source
        self.routing_key = routing_key
        self.received_at = time.time() if received_at is None else received_at
        self.properties = dict(properties or {})

    @property
    def type(self) -> str:
        return str(self.get(self.envelope.type) or self.routing_key)

    @property
    def message_id(self) -> str | None:
        return self.get(self.envelope.id)

    @property
    def correlation_id(self) -> str | None:
        return self.get(self.envelope.correlation)

    @property
    def payload(self) -> Any:
        return self.get(self.envelope.payload)


def parse_message(
    body: bytes | str, envelope: Envelope = DEFAULT_ENVELOPE, known: Mapping[str, Any] | None = None, **travel: Any
) -> Message:
    """A `Message` from a raw body: a JSON object with the envelope's type or payload field is an envelope.

    Anything else is malformed; `known` (role -> value: what the transport itself carried, e.g. AMQP
    properties) then says what it can about it.
    """
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and (envelope.type in data or envelope.payload in data):
        return Message(data, body=text, envelope=envelope, **travel)
    return malformed_message(text, envelope, known, **travel)


def malformed_message(
    text: str, envelope: Envelope = DEFAULT_ENVELOPE, known: Mapping[str, Any] | None = None, **travel: Any
) -> Message:
    """What could be read of a message that is not a JSON envelope: the transport's fields and the raw text."""
    names = envelope.present()
    fields = {names[role]: value for role, value in (known or {}).items() if role in names and value not in (None, "")}
    return Message({**fields, "body": text, "malformed": True}, body=text, envelope=envelope, malformed=True, **travel)


def topic_matches(pattern: str, routing_key: str) -> bool:
    """True when `routing_key` matches an AMQP topic `pattern` (``order.*``, ``#``, ``stock.#``)."""
    return _topic_words_match(tuple(pattern.split(".")), tuple(routing_key.split(".")))


@lru_cache(maxsize=1024)
def _topic_words_match(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    # AMQP topic rules: "*" is exactly one word, "#" is zero or more words.
    if not pattern:
        return not words
    if pattern[0] == "#":
        return _topic_words_match(pattern[1:], words) or (bool(words) and _topic_words_match(pattern, words[1:]))
    if not words:
        return False
    return pattern[0] in ("*", words[0]) and _topic_words_match(pattern[1:], words[1:])


class Criteria:
    """A type pattern and JSONPath=value pairs, compiled once and checked against many messages.

    Values compare by `values_equal` (``"12.50"`` matches 12.5, ``true`` JSON true). A wait re-checks
    every captured message on each look, so plain dotted paths (``payload.order_id``) are dictionary
    lookups; other paths go through JSONPath.
    """

    def __init__(self, message_type: str | None, pairs: Mapping[str, Any]):
        self.message_type = message_type or None
        try:
            self.checks = [(selector(path), expected) for path, expected in pairs.items()]
        except SeamError as error:
            raise SeamError(SEAM, error.detail) from None

    def __call__(self, data: Any) -> bool:
        if self.message_type and not topic_matches(self.message_type, str(getattr(data, "type", ""))):
            return False
        return all(any(values_equal(value, expected) for value in select(data)) for select, expected in self.checks)


def data_matches(data: Any, pairs: Mapping[str, Any]) -> bool:
    """True when every JSONPath in `pairs` selects a value equal (`values_equal`) to the expected one."""
    return Criteria(None, pairs)(data)


class Capture(ABC):
    """Records messages from one source, from the moment it starts; each one is a span on the timeline."""

    system = "messages"
    # Seconds between fetches while waiting; 0 when `fetch` itself blocks until something arrives.
    poll_interval = 0.0

    def __init__(self, source: str, binding: str, envelope: Envelope, timeline: Timeline | None = None):
        self.source = source
        self.binding = binding or "#"
        self.envelope = envelope
        self.timeline = timeline
        self.messages: list[Message] = []

    @abstractmethod
    def _receive(self, wait: float) -> list[Message]:
        """Messages that arrived since the last call, waiting up to `wait` seconds for the first one."""

    @abstractmethod
    def close(self) -> None:
        """Stop capturing and remove what the capture created (queues)."""

    @abstractmethod
    def check_link(self) -> None:
        """Fail when the transport cannot vouch that nothing more arrived (a dead or frozen link)."""

    def fetch(self, wait: float = 0.0) -> list[Message]:
        """Take in what has arrived (recording a span per message); returns the new messages."""
        arrived = self._receive(wait)
        for message in arrived:
            self._record(message)
        self.messages.extend(arrived)
        return arrived

    def _record(self, message: Message) -> None:
        if self.timeline is None:
            return
        sent = occurred_epoch(message, message.envelope)
        start = sent if sent is not None and sent <= message.received_at else message.received_at
        self.timeline.record(
            self.system,
            "receive",
            f"{self.source} {message.type}",
            start,
            message.received_at - start,
            bytes_received=len(message.body.encode()),
            outcome="malformed" if message.malformed else "ok",
            correlation_id=message.correlation_id,
            attributes={"message_id": message.message_id, "type": message.type},
        )

    def find(self, message_type: str | None, criteria: Mapping[str, Any]) -> list[Message]:
        wanted = Criteria(message_type, criteria)
        return [message for message in self.messages if wanted(message)]

    def wait_for(self, message_type: str | None, criteria: Mapping[str, Any], timeout: float) -> Message | None:
        """The first captured message that matches within `timeout`, or None (the link checked alive)."""
        self.fetch()
        found = self._wait(lambda: self.find(message_type, criteria), timeout)
        if not found:
            self.check_link()
        return found[0] if found else None

    def arrivals_within(self, message_type: str | None, criteria: Mapping[str, Any], within: float) -> list[Message]:
        """Matching messages captured (now or before) within `within` seconds; empty only on a live link."""
        self.fetch()
        found = self._wait(lambda: self.find(message_type, criteria), within)
        if not found:
            self.check_link()
        return found

    def wait_for_all(self, wanted: Callable[[], bool], timeout: float) -> bool:
        """Fetch until `wanted()` holds or `timeout` passes; returns whether it held."""
        self.fetch()
        held = bool(self._wait(lambda: [True] if wanted() else [], timeout))
        if not held:
            self.check_link()
        return held

    def _wait(self, probe: Callable[[], list[Any]], timeout: float) -> list[Any]:
        def fetch_and_probe() -> list[Any]:
            found = probe()
            if not found:
                self.fetch(min(0.1, max(deadline - time.monotonic(), 0.0)))
                found = probe()
            return found

        deadline = time.monotonic() + timeout
        try:
            return poll(fetch_and_probe, bool, timeout=timeout, interval=self.poll_interval)
        except WaitTimedOut:
            return []


def correlation_flow(messages: list[Message], correlation_id: str, types: list[str]) -> dict[str, list[str]]:
    """For each wanted type: the correlation ids its captured messages carry (to show where the chain broke)."""
    seen: dict[str, list[str]] = {message_type: [] for message_type in types}
    for message in messages:
        for message_type in types:
            if topic_matches(message_type, message.type):
                seen[message_type].append(str(message.correlation_id))
    return seen


class Broker(ABC):
    """A message transport Seamline can capture from and publish to, in one system's envelope."""

    system = "messages"

    def __init__(self, target: str, envelope: Envelope, timeline: Timeline | None = None):
        self.target = target  # masked, for messages and spans
        self.envelope = envelope
        self.timeline = timeline
        self.captures: dict[str, Capture] = {}

    @abstractmethod
    def start_capture(self, source: str, binding: str, exchange_type: str = "topic", durable: bool = True) -> Capture:
        """A new capture of `source` that records messages from now on."""

    @abstractmethod
    def publish(self, destination: str, envelope: Mapping[str, Any], raw_payload: str | None = None) -> int:
        """Send one message; `raw_payload` replaces the payload as-is (a malformed message); returns bytes sent."""

    @abstractmethod
    def _disconnect(self) -> None: ...

    def capture(
        self, name: str, source: str, binding: str, exchange_type: str = "topic", durable: bool = True
    ) -> Capture:
        """Start capture `name` (replacing one of the same name)."""
        self.stop_capture(name)
        capture = self.start_capture(source, binding, exchange_type, durable)
        self.captures[name] = capture
        return capture

    def latest_capture(self) -> tuple[str, Capture]:
        """The name and capture most recently started on this connection."""
        if not self.captures:
            raise SeamError(SEAM, f"no capture started on {self.target}; start one with `Start Capturing Messages`")
        return next(reversed(self.captures.items()))

    def stop_capture(self, name: str) -> None:
        capture = self.captures.pop(name, None)
        if capture is not None:
            capture.close()

    def close(self) -> None:
        try:
            for name in list(self.captures):
                self.stop_capture(name)
        finally:
            self._disconnect()
