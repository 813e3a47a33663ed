"""orderflow exports OpenTelemetry to Seamline's receiver: one order's trace, from the gateway to the ledger."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import CLERK
from orderflow_harness import Process, api, place_order, start_up
from sqlalchemy import select

from orderflow.db import connect, orders
from Seamline.engine.timeline import Span, Timeline
from Seamline.engine.trace.otlp import OtlpReceiver
from Seamline.engine.trace.receiver import TraceJoin

DELAY = 0.05


@pytest.fixture(scope="module")
def traced() -> Iterator[tuple[OtlpReceiver, dict[str, Any]]]:
    receiver = OtlpReceiver()
    process: Process | None = None
    try:
        process = start_up(
            "--otlp-endpoint", receiver.endpoint, "--delay", f"orders={DELAY * 1000:g}ms",
            "--rate-limit", "1000/s", "--export-interval", "0.2s",
        )  # fmt: skip
        yield receiver, process.info or {}
    finally:
        if process is not None:
            process.stop()
        receiver.close()


def order_trace(endpoints: dict[str, Any], receiver: OtlpReceiver, *services: str) -> tuple[Span, list[Span]]:
    """Place an order as a test would (with a traceparent) and wait for its trace from `services`."""
    trace_id, span_id = os.urandom(16).hex(), os.urandom(8).hex()
    with api(endpoints["gateway"], CLERK) as clerk:
        clerk.headers["traceparent"] = f"00-{trace_id}-{span_id}-01"
        order = place_order(clerk, "SKU-APPLE", quantity=1)
    client = Span("http", "POST", "/api/orders", 0.0, 0.0, trace_id=trace_id, span_id=span_id)
    client.attributes["order"] = order["id"]
    timeline = Timeline()
    timeline.add(client)
    spans = TraceJoin(receiver).wait(timeline, timeout=20, services=services, quiet=0.3)
    return client, spans


def test_an_order_is_one_trace_from_the_gateway_through_the_outbox_and_inventory_to_the_ledger(traced):
    receiver, endpoints = traced
    client, spans = order_trace(endpoints, receiver, "gateway", "orders", "bus", "inventory", "reports")
    assert {span.trace_id for span in spans} == {client.trace_id}  # the test's traceparent was continued
    by_id = {span.span_id: span for span in spans}
    [gateway] = [span for span in spans if span.parent_id == client.span_id]
    assert (gateway.service, gateway.kind, gateway.operation, gateway.target) == (
        "gateway",
        "server",
        "POST",
        "/api/orders",
    )

    def under(parent: Span, **wanted: str) -> list[Span]:
        return [
            s for s in spans if s.parent_id == parent.span_id and all(getattr(s, k) == v for k, v in wanted.items())
        ]

    [forward] = under(gateway, kind="client", system="http")
    [orders] = under(forward, service="orders", kind="server")
    assert orders.target == "/orders"
    assert {s.target for s in under(orders, system="sql")} >= {"orders"}
    [publish] = under(orders, kind="producer")
    assert (publish.attributes["peer.service"], publish.target) == ("outbox", "order.created")
    assert [s.target for s in under(publish, system="sql")] == ["outbox"]
    [inventory] = [s for s in spans if s.service == "inventory" and s.kind == "server"]
    assert inventory.target == "/messages"
    # inventory's request came from the bus, which resumed the producer's trace from the outbox row
    bus_client = by_id[inventory.parent_id]
    assert (bus_client.service, by_id[bus_client.parent_id].parent_id) == ("bus", publish.span_id)
    assert {s.target for s in under(inventory, system="sql")} >= {"stock", "reservations"}
    ledger = {s.operation: s for s in spans if s.attributes.get("peer.service") == "ledger"}
    assert set(ledger) == {"put", "ledger post"}
    assert (ledger["put"].system, ledger["ledger post"].system) == ("sftp", "ssh")
    assert ledger["put"].target.startswith("/inbox/")


def test_the_delay_setting_shows_in_the_delayed_services_server_span(traced):
    receiver, endpoints = traced
    _client, spans = order_trace(endpoints, receiver, "gateway", "orders")
    [orders] = [s for s in spans if s.service == "orders" and s.kind == "server" and s.target == "/orders"]
    [forward] = [s for s in spans if s.span_id == orders.parent_id]
    assert orders.duration >= DELAY
    # Its synchronous children (SQL, the outbox write) overlap it; the settlement batch comes later.
    children = sum(max(0.0, min(s.end, orders.end) - s.start) for s in spans if s.parent_id == orders.span_id)
    assert orders.duration - children >= DELAY  # in the service's own time, not in its SQL
    assert forward.duration >= orders.duration


def test_a_request_not_sampled_runs_with_the_instrumentations_suppressed_in_every_service(traced):
    receiver, endpoints = traced
    trace_id = os.urandom(16).hex()
    with api(endpoints["gateway"], CLERK) as clerk:
        clerk.headers["traceparent"] = f"00-{trace_id}-{os.urandom(8).hex()}-00"
        order = place_order(clerk, "SKU-APPLE", quantity=1)
    engine = connect(endpoints["database"])
    try:
        with engine.connect() as conn:
            kept = conn.execute(select(orders.c.traceparent).where(orders.c.id == order["id"])).scalar_one()
    finally:
        engine.dispose()
    # Instrumented but unsampled, orders would keep its non-recording span's context ("00-<trace>-<span>-00"):
    # suppressed behind the gateway too, it had no span at all.
    assert kept is None
    assert receiver.spans_of([trace_id]) == []


UNTRACED_PROBE = """
from opentelemetry import trace
from sqlalchemy import create_engine, text
from orderflow import telemetry

telemetry.setup("probe")
engine = create_engine("sqlite://")
telemetry.instrument_engine(engine)
with engine.connect() as conn, trace.get_tracer("probe").start_as_current_span("request", kind=trace.SpanKind.SERVER):
    conn.execute(text("SELECT 'traced'"))
    kept = telemetry.current_traceparent()
    with telemetry.untraced():
        conn.execute(text("SELECT 'untraced'"))
        with telemetry.continued(kept, "resumed"):
            conn.execute(text("SELECT 'resumed'"))
trace.get_tracer_provider().shutdown()
print(kept.split("-")[1])
"""


def test_untraced_work_records_no_statement_but_what_it_continues() -> None:
    receiver = OtlpReceiver()
    try:
        environment = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
        command = [sys.executable, "-c", UNTRACED_PROBE]
        probe = subprocess.run(command, env=environment, check=True, timeout=60, capture_output=True, text=True)
        spans = receiver.spans_of([probe.stdout.strip()])
    finally:
        receiver.close()
    by_name = {span.attributes["span.name"]: span for span in spans}
    statements = sorted(span.attributes.get("db.statement") for span in spans if span.system == "sql")
    assert statements == ["SELECT 'resumed'", "SELECT 'traced'"]  # the background poll's statement: no span
    [resumed_sql] = [span for span in spans if span.attributes.get("db.statement") == "SELECT 'resumed'"]
    assert resumed_sql.parent_id == by_name["resumed"].span_id
    assert by_name["resumed"].parent_id == by_name["request"].span_id


def test_over_rabbitmq_the_message_headers_carry_the_trace_from_the_bus_to_inventory(rabbitmq_url: str) -> None:
    receiver = OtlpReceiver()
    namespace = f"seamline-traces-{os.urandom(4).hex()}"
    process = start_up(
        "--otlp-endpoint", receiver.endpoint, "--broker", rabbitmq_url, "--broker-namespace", namespace,
        "--drop-broker-namespace", "--export-interval", "0.2s",
    )  # fmt: skip
    try:
        client, spans = order_trace(process.info or {}, receiver, "gateway", "orders", "bus", "inventory")
    finally:
        process.stop()
        receiver.close()
    assert {span.trace_id for span in spans} == {client.trace_id}
    by_id = {span.span_id: span for span in spans}
    [received] = [s for s in spans if s.service == "inventory" and s.kind == "consumer"]
    sent = by_id[received.parent_id]  # the bus's publish (pika's instrumentation), resuming the outbox row's trace
    assert (received.system, sent.system, sent.service, sent.kind) == ("amqp", "amqp", "bus", "producer")
    assert {s.target for s in spans if s.parent_id == received.span_id and s.system == "sql"} >= {"stock"}
