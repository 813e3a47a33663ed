"""Messaging engine without a broker: envelopes, matching, topic patterns, captures and waiting."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from Seamline.engine.errors import SeamError
from Seamline.engine.messaging.broker import (
    Capture,
    Message,
    correlation_flow,
    data_matches,
    envelope_problems,
    matches,
    new_envelope,
    occurred_epoch,
    parse_message,
    topic_matches,
)
from Seamline.engine.messaging.outbox import iso_utc, row_message, split_outbox_url
from Seamline.engine.timeline import Timeline


class ListCapture(Capture):
    """A capture fed by the test: `pending` batches arrive one per fetch."""

    def __init__(self, *batches: list[Message], timeline: Timeline | None = None):
        super().__init__("test-source", "#", timeline)
        self.pending = list(batches)
        self.closed = False

    def _receive(self, wait: float) -> list[Message]:
        return self.pending.pop(0) if self.pending else []

    def close(self) -> None:
        self.closed = True


def message(message_type: str = "order.created", **payload: object) -> Message:
    envelope = new_envelope(message_type, payload, correlation_id="cid-1")
    return parse_message(json.dumps(envelope))


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("#", "order.created", True),
        ("order.*", "order.created", True),
        ("order.*", "order.created.v2", False),
        ("order.#", "order", True),
        ("order.#", "order.created.v2", True),
        ("#.created", "order.created", True),
        ("#.created", "created", True),
        ("*.created", "stock.reserved", False),
        ("stock.rejected", "stock.rejected", True),
        ("stock.rejected", "stock.reserved", False),
        ("*", "order.created", False),
    ],
)
def test_topic_patterns_follow_amqp_rules(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


def test_a_json_envelope_is_parsed_and_keeps_its_body() -> None:
    envelope = new_envelope("order.created", {"id": "o-1"}, correlation_id="c-9")
    received = parse_message(json.dumps(envelope).encode(), routing_key="order.created")
    assert dict(received) == envelope
    assert received.type == "order.created"
    assert received.correlation_id == "c-9"
    assert not received.malformed
    assert json.loads(received.body) == envelope


def test_a_non_json_body_is_captured_as_malformed_with_what_the_transport_knew() -> None:
    received = parse_message(b"not json{", {"type": "order.created", "message_id": "m-1", "other": "x"})
    assert received.malformed
    assert received == {"type": "order.created", "message_id": "m-1", "body": "not json{", "malformed": True}
    assert "MALFORMED" in received.summary()


def test_a_json_body_that_is_not_an_envelope_is_malformed() -> None:
    assert parse_message('["a list"]').malformed
    assert parse_message('{"no": "envelope"}').malformed


def test_matching_compares_jsonpath_values_as_text() -> None:
    received = message(id="o-1", quantity=3, urgent=True, note=None)
    assert matches(received, "order.*", {"payload.id": "o-1", "payload.quantity": "3", "correlation_id": "cid-1"})
    assert matches(received, None, {"payload.quantity": 3, "payload.urgent": "True", "payload.note": "None"})
    assert not matches(received, "stock.*", {})
    assert not matches(received, None, {"payload.id": "o-2"})
    assert not matches(received, None, {"payload.missing": "x"})
    assert data_matches({"items": [{"id": 1}, {"id": 2}]}, {"items[*].id": "2"})


def test_new_envelope_has_every_field_in_utc() -> None:
    envelope = new_envelope("stock.reserved", {"order_id": "o"})
    assert envelope_problems(envelope, version=1) == []
    assert envelope["occurred_at"].endswith("Z")
    assert abs(occurred_epoch(envelope) - datetime.now(timezone.utc).timestamp()) < 60  # type: ignore[operator]


def test_envelope_problems_name_each_fault() -> None:
    broken = {"message_id": "", "type": "x", "version": "1", "occurred_at": "yesterday", "payload": [], "extra": 1}
    problems = envelope_problems(broken)
    assert problems == [
        "'correlation_id' is missing",
        "'message_id' should be a non-empty string, got ''",
        "'occurred_at' should be an ISO-8601 timestamp, got 'yesterday'",
        "'version' should be an integer, got '1'",
        "'payload' should be a JSON object, got list",
        "unexpected field(s) 'extra'",
    ]
    assert envelope_problems(new_envelope("x", {}, version=2), version=1) == ["'version' should be 1, got 2"]
    assert envelope_problems(parse_message("junk"))[0].startswith("the body is not a JSON envelope")


def test_wait_for_returns_the_first_match_and_records_spans() -> None:
    timeline = Timeline()
    wanted = message(id="o-2")
    capture = ListCapture([message(id="o-1")], [wanted], timeline=timeline)
    assert capture.wait_for("order.created", {"payload.id": "o-2"}, timeout=2) is wanted
    spans = timeline.select("messages", "receive")
    assert [span.correlation_id for span in spans] == ["cid-1", "cid-1"]
    assert spans[0].target == "test-source order.created"


def test_wait_for_fails_listing_what_arrived() -> None:
    capture = ListCapture([message(id="o-1"), parse_message("junk", {"type": "order.created"})])
    with pytest.raises(SeamError) as failure:
        capture.wait_for("order.created", {"payload.id": "o-9"}, timeout=0.2)
    text = str(failure.value)
    assert text.startswith(
        "messages: expected a message with type=order.created, payload.id=o-9 from test-source within 0.2s; "
        "2 message(s) arrived:\n  1. order.created message_id="
    )
    assert '{"id": "o-1"}' in text
    assert "2. order.created MALFORMED message_id=None correlation_id=None junk" in text


def test_wait_for_says_when_nothing_arrived() -> None:
    with pytest.raises(SeamError, match=r"within 0\.1s; no message arrived$"):
        ListCapture().wait_for(None, {}, timeout=0.1)


def test_assert_none_passes_on_silence_and_fails_on_a_match() -> None:
    ListCapture([message("stock.rejected")]).assert_none("stock.reserved", {}, within=0.1)
    capture = ListCapture([], [message("stock.reserved", order_id="o-1")])
    with pytest.raises(
        SeamError,
        match=r"expected no message with type=stock.reserved, payload.order_id=o-1 from test-source within 1s, "
        r"but 1 arrived",
    ):
        capture.assert_none("stock.reserved", {"payload.order_id": "o-1"}, within=1)


def test_correlation_flow_lists_the_ids_each_type_carried() -> None:
    created = message("order.created")
    other = parse_message(json.dumps(new_envelope("stock.reserved", {}, correlation_id="cid-2")))
    assert correlation_flow([created, other], "cid-1", ["order.*", "stock.*", "x.y"]) == {
        "order.*": ["cid-1"],
        "stock.*": ["cid-2"],
        "x.y": [],
    }


def test_outbox_urls_split_into_database_and_table() -> None:
    assert split_outbox_url("outbox+sqlite:///tmp/o.db#events") == ("sqlite:///tmp/o.db", "events")
    assert split_outbox_url("outbox+postgresql://u@h/db") == ("postgresql://u@h/db", "outbox")
    with pytest.raises(SeamError, match="is not an outbox URL"):
        split_outbox_url("sqlite:///tmp/o.db")


def test_an_outbox_row_becomes_the_envelope_it_stands_for() -> None:
    row = {
        "position": 7,
        "message_id": "m-1",
        "type": "order.created",
        "version": 1,
        "occurred_at": "2026-01-02 03:04:05.123456",
        "correlation_id": "c-1",
        "payload": '{"id": "o-1"}',
    }
    received = row_message(row, "outbox")
    assert received == {
        "message_id": "m-1",
        "type": "order.created",
        "version": 1,
        "occurred_at": "2026-01-02T03:04:05.123456Z",
        "correlation_id": "c-1",
        "payload": {"id": "o-1"},
    }
    junk = row_message({**row, "payload": "junk{"}, "outbox")
    assert junk.malformed
    assert junk["body"] == "junk{"
    assert junk.message_id == "m-1"


def test_timestamps_of_every_database_read_as_utc_iso() -> None:
    aware = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert iso_utc(aware) == "2026-01-02T03:04:05Z"
    assert iso_utc(aware.replace(tzinfo=None)) == "2026-01-02T03:04:05Z"
    assert iso_utc("2026-01-02T03:04:05+00:00") == "2026-01-02T03:04:05Z"
