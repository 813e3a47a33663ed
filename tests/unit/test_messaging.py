"""Messaging engine without a broker: envelopes, matching, topic patterns, captures, waiting, optional pika."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from Seamline.engine.context import SeamContext
from Seamline.engine.errors import SeamError
from Seamline.engine.messaging.broker import (
    Capture,
    Message,
    correlation_flow,
    data_matches,
    parse_message,
    topic_matches,
)
from Seamline.engine.messaging.envelope import Envelope, occurred_epoch
from Seamline.engine.messaging.outbox import iso_utc, row_message, split_outbox_url
from Seamline.engine.messaging.transports import open_broker
from Seamline.engine.schema.registry import SchemaRegistry
from Seamline.engine.timeline import Timeline
from Seamline.keywords.messaging import MessagingKeywords

SHOP = Envelope(id="messageId", type="eventType", version=None, occurred_at=None, correlation="traceId", payload="data")


class ListCapture(Capture):
    """A capture fed by the test: `pending` batches arrive one per fetch."""

    def __init__(self, *batches: list[Message], timeline: Timeline | None = None):
        super().__init__("test-source", "#", Envelope(), timeline)
        self.pending = list(batches)
        self.closed = False
        self.link_checks = 0

    def _receive(self, wait: float) -> list[Message]:
        return self.pending.pop(0) if self.pending else []

    def check_link(self) -> None:
        self.link_checks += 1

    def close(self) -> None:
        self.closed = True


def message(message_type: str = "order.created", **payload: object) -> Message:
    envelope = Envelope().new(message_type, payload, correlation_id="cid-1")
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
    envelope = Envelope().new("order.created", {"id": "o-1"}, correlation_id="c-9")
    received = parse_message(json.dumps(envelope).encode(), routing_key="order.created")
    assert dict(received) == envelope
    assert received.type == "order.created"
    assert received.correlation_id == "c-9"
    assert not received.malformed
    assert json.loads(received.body) == envelope


def test_a_foreign_envelope_is_read_in_its_own_field_names() -> None:
    event = {"messageId": "m-7", "eventType": "order.placed", "traceId": "t-7", "data": {"orderNo": 7}}
    received = parse_message(json.dumps(event), SHOP)
    assert (received.type, received.message_id, received.correlation_id, received.payload) == (
        "order.placed",
        "m-7",
        "t-7",
        {"orderNo": 7},
    )
    assert parse_message(json.dumps({"type": "x", "payload": {}}), SHOP).malformed


def test_a_non_json_body_is_captured_as_malformed_with_what_the_transport_knew() -> None:
    received = parse_message(b"not json{", known={"type": "order.created", "id": "m-1", "other": "x"})
    assert received.malformed
    assert received == {"type": "order.created", "message_id": "m-1", "body": "not json{", "malformed": True}
    foreign = parse_message(b"junk", SHOP, {"type": "order.placed", "id": "m-2", "correlation": "t-2"})
    assert foreign == {
        "eventType": "order.placed",
        "messageId": "m-2",
        "traceId": "t-2",
        "body": "junk",
        "malformed": True,
    }


def test_a_json_body_that_is_not_an_envelope_is_malformed() -> None:
    assert parse_message('["a list"]').malformed
    assert parse_message('{"no": "envelope"}').malformed


def test_criteria_compare_values_as_every_seam_does() -> None:
    received = message(id="o-1", quantity=3, total=12.5, urgent=True, note=None, code="007")
    pairs = {"payload.id": "o-1", "payload.quantity": "3", "payload.total": "12.50", "correlation_id": "cid-1"}
    assert data_matches(received, pairs)
    assert data_matches(received, {"payload.urgent": "true", "payload.note": "null", "payload.total": 12.5})
    assert not data_matches(received, {"payload.code": "7"})  # two texts compare as text
    assert not data_matches(received, {"payload.total": "12.51"})
    assert not data_matches(received, {"payload.missing": "x"})
    assert data_matches({"items": [{"id": 1}, {"id": 2}]}, {"items[*].id": "2"})


def test_an_invalid_jsonpath_fails_under_the_messages_prefix() -> None:
    with pytest.raises(SeamError, match=r"^Messages: '\$\[' is not a valid JSONPath"):
        data_matches({}, {"$[": "x"})


def test_new_envelopes_use_the_configured_fields() -> None:
    envelope = Envelope().new("stock.reserved", {"order_id": "o"})
    assert list(envelope) == ["message_id", "type", "version", "occurred_at", "correlation_id", "payload"]
    assert envelope["occurred_at"].endswith("Z")
    assert abs(occurred_epoch(envelope, Envelope()) - datetime.now(timezone.utc).timestamp()) < 60  # type: ignore[operator]
    event = SHOP.new("order.placed", {"orderNo": 1}, correlation_id="t-1", message_id="m-1")
    assert event == {"messageId": "m-1", "eventType": "order.placed", "traceId": "t-1", "data": {"orderNo": 1}}


def test_an_envelope_needs_distinct_fields_for_id_type_correlation_and_payload() -> None:
    with pytest.raises(SeamError, match=r"^Messages: the envelope needs a field for the message id, got none$"):
        Envelope(id="")
    with pytest.raises(SeamError, match=r"^Messages: two roles of the envelope share one field"):
        Envelope(id="payload")


def test_the_shipped_schema_checks_the_default_envelope() -> None:
    registry = SchemaRegistry()
    assert Envelope().violations(Envelope().new("order.created", {}), registry) == []
    broken = {"message_id": "", "type": "x", "version": "1", "occurred_at": "yesterday", "payload": []}
    assert [f"{v.path}: {v.message}" for v in Envelope().violations(broken, registry)] == [
        "$: 'correlation_id' is a required property",
        "$.message_id: '' should be non-empty",
        "$.occurred_at: 'yesterday' is not a 'date-time'",
        "$.payload: [] is not of type 'object'",
        r"$.type: 'x' does not match '^[a-z]+(\\.[a-z_]+)+$'",
        "$.version: '1' is not of type 'integer'",
    ]


def test_the_shipped_schema_follows_renamed_fields() -> None:
    registry = SchemaRegistry()
    assert SHOP.violations(SHOP.new("order.placed", {}), registry) == []
    problems = [
        f"{v.path}: {v.message}" for v in SHOP.violations({"messageId": "m", "eventType": "a.b", "data": 1}, registry)
    ]
    assert problems == ["$: 'traceId' is a required property", "$.data: 1 is not of type 'object'"]


def test_a_user_schema_replaces_the_shipped_one() -> None:
    registry = SchemaRegistry()
    own = Envelope(schema={"type": "object", "required": ["x"]})
    assert [v.message for v in own.violations({"message_id": "m"}, registry)] == ["'x' is a required property"]
    assert own.violations({"x": 1}, registry) == []


def test_wait_for_returns_the_first_match_and_records_spans() -> None:
    timeline = Timeline()
    wanted = message(id="o-2")
    capture = ListCapture([message(id="o-1")], [wanted], timeline=timeline)
    assert capture.wait_for("order.created", {"payload.id": "o-2"}, timeout=2) is wanted
    assert capture.link_checks == 0
    spans = timeline.select("messages", "receive")
    assert [span.correlation_id for span in spans] == ["cid-1", "cid-1"]
    assert spans[0].target == "test-source order.created"


def test_a_wait_that_finds_nothing_checks_the_link() -> None:
    capture = ListCapture([message(id="o-1")])
    assert capture.wait_for("order.created", {"payload.id": "o-9"}, timeout=0.2) is None
    assert capture.link_checks == 1
    assert [m.payload for m in capture.messages] == [{"id": "o-1"}]


def test_arrivals_within_sees_a_late_match_and_checks_the_link_on_silence() -> None:
    quiet = ListCapture([message("stock.rejected")])
    assert quiet.arrivals_within("stock.reserved", {}, within=0.1) == []
    assert quiet.link_checks == 1
    late = message("stock.reserved", order_id="o-1")
    assert ListCapture([], [late]).arrivals_within("stock.reserved", {"payload.order_id": "o-1"}, within=1) == [late]


def test_correlation_flow_lists_the_ids_each_type_carried() -> None:
    created = message("order.created")
    other = parse_message(json.dumps(Envelope().new("stock.reserved", {}, correlation_id="cid-2")))
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


def test_an_outbox_row_in_other_column_names() -> None:
    row = {"seq": 3, "messageId": "m-3", "eventType": "order.placed", "traceId": "t-3", "data": '{"orderNo": 3}'}
    received = row_message(row, "events", SHOP, "seq")
    assert received == {"messageId": "m-3", "eventType": "order.placed", "traceId": "t-3", "data": {"orderNo": 3}}
    assert received.correlation_id == "t-3"


def test_a_missing_pika_fails_with_the_line_that_installs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pika", None)  # `import pika` raises ModuleNotFoundError
    monkeypatch.delitem(sys.modules, "Seamline.engine.messaging.amqp", raising=False)
    with pytest.raises(SeamError) as failure:
        open_broker("amqp://guest@127.0.0.1:5672/%2F", None, 1.0, None, Envelope())
    assert str(failure.value) == (
        "Messages: RabbitMQ (amqp://) needs pika, which is not installed: pip install 'robotframework-seamline[amqp]'"
    )


def test_the_library_imports_without_pika() -> None:
    script = (
        "import sys; sys.modules['pika'] = None\n"
        "import Seamline\n"
        "Seamline.Seamline()\n"
        "assert 'Seamline.engine.messaging.amqp' not in sys.modules\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr


def test_a_broker_url_of_another_kind_is_refused() -> None:
    with pytest.raises(SeamError, match=r"^Messages: 'http://x/' is neither amqp://\.\.\. nor outbox\+"):
        open_broker("http://x/", None, 1.0, None, Envelope())


def test_a_password_that_is_the_user_name_is_not_masked_everywhere() -> None:
    keywords = MessagingKeywords(SeamContext())
    keywords._reveal_broker_url("amqp://guest:guest@127.0.0.1:5672/%2F")
    assert keywords.masker.text("user guest logged in") == "user guest logged in"
    keywords._reveal_broker_url("amqp://app:pa%24sword-7@127.0.0.1:5672/%2F")
    assert keywords.masker.text("pa$sword-7 and pa%24sword-7") == "*** and ***"
