"""Messaging over a real RabbitMQ: capture, publish, malformed bodies, and every way it can go wrong."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker

from Seamline.engine.errors import SeamError
from Seamline.engine.messaging.amqp import AmqpBroker
from Seamline.engine.messaging.envelope import Envelope
from Seamline.engine.timeline import Timeline

new_envelope = Envelope().new


@pytest.fixture
def broker(rabbitmq_url: str) -> Iterator[AmqpBroker]:
    opened = AmqpBroker(rabbitmq_url, timeout=5, timeline=Timeline())
    yield opened
    opened.close()


@pytest.fixture
def exchange(broker: AmqpBroker) -> Iterator[str]:
    name = f"seamline.test.{uuid.uuid4().hex[:8]}"
    channel = broker.channel()
    channel.exchange_declare(name, "topic", auto_delete=True)
    yield name
    if broker.connection.is_open:
        broker.channel().exchange_delete(name)


def queue_exists(url: str, queue: str) -> bool:
    """Asked on a separate connection, as another client of the broker would see it."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        connection.channel().queue_declare(queue, passive=True)
        return True
    except ChannelClosedByBroker as error:
        # 405 RESOURCE_LOCKED: the queue exists, exclusive to the capture's connection.
        assert error.reply_code in (404, 405)
        return error.reply_code == 405
    finally:
        connection.close()


def test_a_published_envelope_is_captured_with_a_span(broker: AmqpBroker, exchange: str) -> None:
    capture = broker.capture("c", exchange, "order.*")
    broker.capture("all", exchange, "#")
    broker.publish(exchange, new_envelope("stock.reserved", {"order_id": "o-0"}))  # outside "c"'s binding
    sent = new_envelope("order.created", {"id": "o-1"}, correlation_id="cid-amqp")
    assert broker.publish(exchange, sent) > 0
    received = capture.wait_for("order.created", {"payload.id": "o-1"}, timeout=5)
    assert received is not None
    assert dict(received) == sent
    assert received.routing_key == "order.created"
    assert received.properties["message_id"] == sent["message_id"]
    assert [message.type for message in capture.messages] == ["order.created"]
    spans = broker.timeline.select("amqp", "receive") if broker.timeline else []
    assert [span.correlation_id for span in spans] == ["cid-amqp"]


def test_a_non_json_body_is_captured_as_malformed(broker: AmqpBroker, exchange: str) -> None:
    capture = broker.capture("c", exchange, "#")
    broker.publish(exchange, new_envelope("order.created", {}), raw_payload="not json at all")
    received = capture.wait_for(None, {"malformed": "True"}, timeout=5)
    assert received is not None
    assert received.malformed
    assert received["body"] == "not json at all"
    assert received.type == "order.created"


def test_publishing_straight_to_a_queue(broker: AmqpBroker, rabbitmq_url: str) -> None:
    queue = f"seamline.test.q.{uuid.uuid4().hex[:8]}"
    broker.channel().queue_declare(queue, auto_delete=False)
    try:
        broker.publish(f"queue:{queue}", new_envelope("order.created", {"id": "q"}))
        method, _, body = broker.channel().basic_get(queue, auto_ack=True)
        assert method is not None
        assert b'"id": "q"' in body
    finally:
        broker.channel().queue_delete(queue)


def test_a_message_that_never_arrives_is_none_once_the_link_is_checked(broker: AmqpBroker, exchange: str) -> None:
    capture = broker.capture("c", exchange, "#")
    broker.publish(exchange, new_envelope("order.created", {"id": "other"}))
    assert capture.wait_for("order.created", {"payload.id": "never"}, timeout=0.5) is None
    assert [message.payload for message in capture.messages] == [{"id": "other"}]


def test_arrivals_within_sees_a_late_one(broker: AmqpBroker, exchange: str) -> None:
    capture = broker.capture("c", exchange, "#")
    assert capture.arrivals_within("stock.reserved", {}, within=0.2) == []
    broker.publish(exchange, new_envelope("stock.reserved", {"order_id": "o"}))
    assert [message.type for message in capture.arrivals_within("stock.reserved", {}, within=5)] == ["stock.reserved"]


def test_capture_queues_are_removed_when_captures_stop(rabbitmq_url: str, exchange: str, broker: AmqpBroker) -> None:
    first = broker.capture("first", exchange, "#")
    second = broker.capture("second", exchange, "order.*")
    assert queue_exists(rabbitmq_url, first.queue)
    broker.stop_capture("first")
    assert not queue_exists(rabbitmq_url, first.queue)
    broker.close()
    assert not queue_exists(rabbitmq_url, second.queue)


def test_capturing_an_exchange_that_does_not_exist_yet_declares_it(broker: AmqpBroker, rabbitmq_url: str) -> None:
    name = f"seamline.test.fresh.{uuid.uuid4().hex[:8]}"
    try:
        capture = broker.capture("c", name, "order.*", "topic", True)
        # The service declares it as services do (durable topic) on its first publish, then publishes.
        service = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
        channel = service.channel()
        channel.exchange_declare(name, "topic", durable=True)
        channel.basic_publish(
            name, "order.created", json.dumps(new_envelope("order.created", {"id": "first"})).encode()
        )
        with pytest.raises(ChannelClosedByBroker, match="inequivalent arg 'type'"):
            service.channel().exchange_declare(name, "fanout", durable=True)
        service.close()
        assert capture.wait_for("order.created", {"payload.id": "first"}, timeout=5) is not None
    finally:
        broker.channel().exchange_delete(name)


def test_publishing_to_an_unknown_exchange_fails_and_the_next_publish_works(broker: AmqpBroker, exchange: str) -> None:
    with pytest.raises(SeamError, match="NOT_FOUND - no exchange 'no-such-exchange-here'"):
        broker.publish("no-such-exchange-here", new_envelope("order.created", {}))
    capture = broker.capture("c", exchange, "#")
    broker.publish(exchange, new_envelope("order.created", {"id": "after"}))
    assert capture.wait_for("order.created", {"payload.id": "after"}, timeout=5) is not None


def test_a_message_no_queue_receives_fails(broker: AmqpBroker, exchange: str) -> None:
    with pytest.raises(SeamError) as failure:
        broker.publish(exchange, new_envelope("nobody.listens", {}))
    assert str(failure.value) == (
        f"Messages: no queue receives nobody.listens published to exchange '{exchange}' "
        f"(routing key 'nobody.listens') on {broker.target}: nobody is bound to it"
    )


def test_wrong_credentials_fail_without_showing_the_password(rabbitmq_url: str) -> None:
    with pytest.raises(SeamError) as failure:
        AmqpBroker(rabbitmq_url, password="wrong-pw-987", timeout=5)
    parts = urlsplit(rabbitmq_url)
    assert str(failure.value) == (
        f"Messages: amqp://{parts.hostname}:{parts.port}{parts.path} refused the login of user "
        f"'{parts.username}': wrong user name or password"
    )
    assert "wrong-pw-987" not in str(failure.value)


def test_a_broker_that_is_down_fails_at_once(rabbitmq_url: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on: bound, then released
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    parts = urlsplit(rabbitmq_url)
    down = urlunsplit(parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{port}"))
    with pytest.raises(SeamError) as failure:
        AmqpBroker(down, timeout=2)
    text = str(failure.value)
    assert text.startswith(f"Messages: cannot connect to amqp://127.0.0.1:{port}{parts.path} within 2s: ")
    assert text.endswith("(is the broker running?)")
    assert "Connection refused" in text


def test_a_dead_letter_queue_is_read_and_left_in_place(broker: AmqpBroker, rabbitmq_url: str) -> None:
    queue = f"seamline.test.dead.{uuid.uuid4().hex[:8]}"
    broker.channel().queue_declare(queue)
    try:
        sent = [new_envelope("order.created", {"n": n}) for n in range(3)]
        for envelope in sent:
            broker.publish(f"queue:{queue}", envelope)
        assert [dict(message) for message in broker.peek_queue(queue)] == sent
        assert [message.payload for message in broker.peek_queue(queue)] == [{"n": 0}, {"n": 1}, {"n": 2}]
    finally:
        broker.channel().queue_delete(queue)
