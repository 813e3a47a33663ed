"""Messages at a seam: the envelope, captures that record what arrives, matching and waiting.

Transports (RabbitMQ in `amqp.py`, a transactional-outbox table in `outbox.py`) only turn what they
receive into `Message`s; everything a test asserts about messages lives here, the same for both.
"""

from __future__ import annotations

import json
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from ..errors import SeamError
from ..jsonpath import selector
from ..timeline import Timeline
from ..waiting import WaitTimedOut, poll

ENVELOPE_FIELDS = ("message_id", "type", "version", "occurred_at", "correlation_id", "payload")
# How many arrived messages a failure lists: enough to spot the near miss, short enough to read.
LISTED_MESSAGES = 10


class Message(dict[str, Any]):
    """A received message: the envelope as a dict (``${msg}[payload][order_id]``) plus how it travelled.

    A body that is not a JSON envelope is still captured, never dropped: the dict then holds what
    the transport knew (type, message_id...), ``body`` (the raw text) and ``malformed: True``.
    """

    def __init__(
        self,
        envelope: Mapping[str, Any],
        *,
        body: str,
        malformed: bool = False,
        source: str = "",
        routing_key: str = "",
        received_at: float | None = None,
        properties: Mapping[str, Any] | None = None,
    ):
        super().__init__(envelope)
        self.body = body
        self.malformed = malformed
        self.source = source
        self.routing_key = routing_key
        self.received_at = time.time() if received_at is None else received_at
        self.properties = dict(properties or {})

    @property
    def type(self) -> str:
        return str(self.get("type") or self.routing_key)

    @property
    def message_id(self) -> str | None:
        return self.get("message_id")

    @property
    def correlation_id(self) -> str | None:
        return self.get("correlation_id")

    def summary(self) -> str:
        """One line for a failure message: type, ids and the start of the payload (or raw body)."""
        shown = self.body if self.malformed else json.dumps(self.get("payload"), default=str)
        if len(shown) > 120:
            shown = shown[:120] + "…"
        flag = " MALFORMED" if self.malformed else ""
        return f"{self.type}{flag} message_id={self.message_id} correlation_id={self.correlation_id} {shown}"


def parse_message(body: bytes | str, known: Mapping[str, Any] | None = None, **travel: Any) -> Message:
    """A `Message` from a raw body: a JSON object with a ``type`` or ``payload`` is an envelope.

    Anything else is malformed; `known` (the transport's own fields, e.g. AMQP properties) then
    says what it can about it.
    """
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and ("type" in data or "payload" in data):
        return Message(data, body=text, **travel)
    return malformed_message(text, known, **travel)


def malformed_message(text: str, known: Mapping[str, Any] | None = None, **travel: Any) -> Message:
    """What could be read of a message that is not a JSON envelope: the transport's fields and the raw text."""
    fields = {key: value for key, value in (known or {}).items() if key in ENVELOPE_FIELDS and value not in (None, "")}
    return Message({**fields, "body": text, "malformed": True}, body=text, malformed=True, **travel)


def new_envelope(
    message_type: str,
    payload: Any,
    correlation_id: str | None = None,
    message_id: str | None = None,
    version: int = 1,
) -> dict[str, Any]:
    """An envelope as orderflow writes one: fresh message id, occurred_at now (UTC)."""
    return {
        "message_id": message_id or str(uuid.uuid4()),
        "type": message_type,
        "version": version,
        "occurred_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "correlation_id": correlation_id or str(uuid.uuid4()),
        "payload": payload,
    }


def occurred_epoch(message: Mapping[str, Any]) -> float | None:
    """The envelope's occurred_at as epoch seconds, or None when absent or unreadable."""
    value = message.get("occurred_at")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


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

    Values compare as text. A wait re-checks every captured message on each look, so plain dotted
    paths (``payload.order_id``) are dictionary lookups; other paths go through JSONPath.
    """

    def __init__(self, message_type: str | None, pairs: Mapping[str, Any]):
        self.message_type = message_type or None
        self.checks = [(selector(path), _as_text(expected)) for path, expected in pairs.items()]

    def __call__(self, data: Any) -> bool:
        if self.message_type and not topic_matches(self.message_type, str(getattr(data, "type", ""))):
            return False
        return all(any(_as_text(value) == expected for value in select(data)) for select, expected in self.checks)


def matches(message: Message, message_type: str | None, pairs: Mapping[str, Any]) -> bool:
    """True when `message` has a type matching the topic pattern and every JSONPath=value pair."""
    return Criteria(message_type, pairs)(message)


def data_matches(data: Any, pairs: Mapping[str, Any]) -> bool:
    """True when every JSONPath in `pairs` selects a value equal, as text, to the expected one."""
    return Criteria(None, pairs)(data)


def _as_text(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def describe_wanted(message_type: str | None, criteria: Mapping[str, Any]) -> str:
    wanted = [f"type={message_type}"] if message_type else []
    wanted += [f"{path}={value}" for path, value in criteria.items()]
    return "a message" + (f" with {', '.join(wanted)}" if wanted else "")


def describe_arrived(messages: list[Message]) -> str:
    if not messages:
        return "no message arrived"
    shown = messages[-LISTED_MESSAGES:]
    skipped = f" (the last {len(shown)} shown)" if len(shown) < len(messages) else ""
    lines = "\n".join(f"  {index}. {message.summary()}" for index, message in enumerate(shown, 1))
    return f"{len(messages)} message(s) arrived{skipped}:\n{lines}"


class Capture(ABC):
    """Records messages from one source, from the moment it starts; each one is a span on the timeline."""

    system = "messages"
    # Seconds between fetches while waiting; 0 when `fetch` itself blocks until something arrives.
    poll_interval = 0.0

    def __init__(self, source: str, binding: str, timeline: Timeline | None = None):
        self.source = source
        self.binding = binding or "#"
        self.timeline = timeline
        self.messages: list[Message] = []

    @abstractmethod
    def _receive(self, wait: float) -> list[Message]:
        """Messages that arrived since the last call, waiting up to `wait` seconds for the first one."""

    @abstractmethod
    def close(self) -> None:
        """Stop capturing and remove what the capture created (queues)."""

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
        sent = occurred_epoch(message)
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

    def wait_for(self, message_type: str | None, criteria: Mapping[str, Any], timeout: float) -> Message:
        """The first captured message that matches; fails listing what did arrive."""
        self.fetch()
        found = self._wait(lambda: self.find(message_type, criteria), timeout)
        if found:
            return found[0]
        raise SeamError(
            self.system,
            f"expected {describe_wanted(message_type, criteria)} from {self.source} within {timeout:g}s; "
            f"{describe_arrived(self.messages)}",
        )

    def assert_none(self, message_type: str | None, criteria: Mapping[str, Any], within: float) -> None:
        """Fails as soon as a matching message is captured (or had been) within `within` seconds."""
        self.fetch()
        found = self._wait(lambda: self.find(message_type, criteria), within)
        if found:
            raise SeamError(
                self.system,
                f"expected no {describe_wanted(message_type, criteria)[2:]} from {self.source} "
                f"within {within:g}s, but {len(found)} arrived:\n"
                + "\n".join(f"  {index}. {message.summary()}" for index, message in enumerate(found, 1)),
            )

    def wait_for_all(self, wanted: Callable[[], bool], timeout: float) -> bool:
        """Fetch until `wanted()` holds or `timeout` passes; returns whether it held."""
        self.fetch()
        return bool(self._wait(lambda: [True] if wanted() else [], timeout))

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


def envelope_problems(message: Mapping[str, Any], version: int | None = None) -> list[str]:
    """What is wrong with a message's envelope: missing fields, wrong types, another version."""
    if message.get("malformed") is True:
        return [f"the body is not a JSON envelope: {str(message.get('body'))[:200]!r}"]
    problems = [f"'{name}' is missing" for name in ENVELOPE_FIELDS if name not in message]
    for name in ("message_id", "type", "correlation_id", "occurred_at"):
        if name in message and not (isinstance(message[name], str) and message[name]):
            problems.append(f"'{name}' should be a non-empty string, got {message[name]!r}")
    if "occurred_at" in message and isinstance(message["occurred_at"], str) and occurred_epoch(message) is None:
        problems.append(f"'occurred_at' should be an ISO-8601 timestamp, got {message['occurred_at']!r}")
    if "version" in message and (not isinstance(message["version"], int) or isinstance(message["version"], bool)):
        problems.append(f"'version' should be an integer, got {message['version']!r}")
    elif version is not None and message.get("version") != version:
        problems.append(f"'version' should be {version}, got {message.get('version')!r}")
    if "payload" in message and not isinstance(message["payload"], dict):
        problems.append(f"'payload' should be a JSON object, got {type(message['payload']).__name__}")
    extra = sorted(set(message) - set(ENVELOPE_FIELDS))
    if extra:
        problems.append(f"unexpected field(s) {', '.join(repr(name) for name in extra)}")
    return problems


class Broker(ABC):
    """A message transport Seamline can capture from and publish to."""

    system = "messages"

    def __init__(self, target: str, timeline: Timeline | None = None):
        self.target = target  # masked, for messages and spans
        self.timeline = timeline
        self.captures: dict[str, Capture] = {}

    @abstractmethod
    def start_capture(self, source: str, binding: str) -> Capture:
        """A new capture of `source` that records messages from now on."""

    @abstractmethod
    def publish(self, destination: str, envelope: Mapping[str, Any], raw_payload: str | None = None) -> int:
        """Send one message; `raw_payload` replaces the payload as-is (a malformed message); returns bytes sent."""

    @abstractmethod
    def _disconnect(self) -> None: ...

    def capture(self, name: str, source: str, binding: str) -> Capture:
        """Start capture `name` (replacing one of the same name)."""
        self.stop_capture(name)
        capture = self.start_capture(source, binding)
        self.captures[name] = capture
        return capture

    def latest_capture(self) -> tuple[str, Capture]:
        """The name and capture most recently started on this connection."""
        if not self.captures:
            raise SeamError(
                self.system, f"no capture started on {self.target}; start one with `Start Capturing Messages`"
            )
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
