"""Traces: what a span costs Seamline, how fast the OTLP receiver takes spans in, and what tracing adds to a journey.

Three parts, each beside what users would use otherwise, in the same run:
- cost per span recorded: a client span (`Timeline.span`, what every Call Api records) against a span of the
  OpenTelemetry SDK in the test process (recording only, no exporter); a received span (decoding an OTLP
  protobuf export into timeline spans and joining them to a test) against protobuf's own parsing of the same
  export (the floor: no timeline span built);
- OTLP receiving throughput: the OpenTelemetry SDK's OTLP/HTTP exporter sending batches of 512 spans to
  Seamline's receiver against the same exporter sending to a bare stdlib server that reads the body and
  answers 200 without decoding (the floor: HTTP alone);
- a journey (orders placed through the gateway, each read back every 10 ms until inventory reserved it:
  gateway, orders, SQL, outbox, bus, inventory and back) through `robot`, timed as Robot times the test and
  until the next test starts (the end of the test, its spans joined and its waterfall drawn, counted too),
  rounds alternated, three ways:
  ``on``, orderflow exporting its spans to Seamline's receiver and the listener joining them at the end of
  the test; ``collector``, orderflow exporting the same spans to a bare OTLP sink in another process (a
  deployment's collector) and Seamline receiving none (``--variable TRACES:off``); ``off``, orderflow not
  instrumented at all. ``on`` against ``collector`` is what Seamline's tracing adds to a journey of a system
  that exports traces (goal: at most 3%); ``collector`` against ``off`` is what instrumenting orderflow with
  the OpenTelemetry Python SDK costs it;
- what the maintained instrumentations add to one call in the process they instrument (a Starlette request
  called as ASGI, a SQLAlchemy statement on SQLite, an httpx call to a local server), spans recorded with
  orderflow's sampler and dropped at the end, against the same call uninstrumented; and what one export post of
  6 spans costs an exporting service (the SDK's OTLP/HTTP exporter with requests' default session, which
  reads the proxy variables and ``.netrc`` at every post, against orderflow's direct session);
- what the journey costs orderflow in CPU per order (every process of ``orderflow up``, its idle polling
  taken off), tracing on and off, rounds alternated, with the spans it exported per order: the part of
  tracing that a loaded machine turns into latency. The orders go as in the journey (each read back every
  10 ms until reserved) with the trace headers Seamline sends (a poll's first read traced, its repeats not).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench_masking import best_seconds
from common import ROOT, passed_tests, print_table, run_robot, write_results
from opentelemetry import propagate
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from orderflow.telemetry import EXPORT_DELAY_MS, direct_session, sampler
from Seamline.engine.api.session import add_trace_headers, new_trace_ids
from Seamline.engine.timeline import Span, Timeline
from Seamline.engine.trace.otlp import OtlpReceiver, decode
from Seamline.engine.trace.receiver import TraceJoin

BATCH = 512
BATCHES = 40
JOURNEY_ORDERS = 30
JOURNEY_ROUNDS = 8
CPU_ORDERS = 40
CPU_ROUNDS = 4
FINAL = ("RESERVED", "REJECTED")
JOURNEY = """
*** Settings ***
Resource    {root}/resources/orders.resource
Suite Setup    Start Journey Platform
Suite Teardown    Stop Orderflow

*** Variables ***
${{COLLECTOR}}    ${{EMPTY}}

*** Test Cases ***
Journey
    FOR    ${{i}}    IN RANGE    {orders}
        ${{order}} =    Place Order For    Ann Example    1    SKU-APPLE
        Wait Until Api Returns    GET    /api/orders/${{order}}[id]    $.status    RESERVED
        ...    interval=10ms    alias=clerk
    END

Next Test
    No Operation

*** Keywords ***
Start Journey Platform
    IF    $COLLECTOR
        Start Orderflow    --otlp-endpoint    ${{COLLECTOR}}
    ELSE
        Start Orderflow
    END
    Connect To Gateway As    clerk
"""


def sdk_spans(count: int, trace_id: str) -> list[ReadableSpan]:
    """`count` finished SDK spans of one trace (a server span and SQL children), as an exporter gets them."""
    kept = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "orders"}))
    provider.add_span_processor(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("bench")
    parent = propagate.extract({"traceparent": f"00-{trace_id}-{'1' * 16}-01"})
    with tracer.start_as_current_span("POST /orders", context=parent, attributes={"http.method": "POST"}):
        for _ in range(count - 1):
            with tracer.start_as_current_span("INSERT", attributes={"db.system": "sqlite", "db.statement": "INSERT"}):
                pass
    return list(kept.get_finished_spans())


def encoded(spans: list[ReadableSpan]) -> bytes:
    return bytes(encode_spans(spans).SerializeToString())


def span_costs() -> list[dict[str, object]]:
    timeline = Timeline()

    def client_span() -> None:
        with timeline.span("http", "GET", "http://127.0.0.1/api/orders"):
            pass

    def clear_now_and_then() -> None:
        client_span()
        if len(timeline) > 10_000:
            timeline.clear()

    tracer = TracerProvider().get_tracer("bench")

    def sdk_span() -> None:
        with tracer.start_as_current_span("GET /api/orders"):
            pass

    trace_id = os.urandom(16).hex()
    body = encoded(sdk_spans(BATCH, trace_id))

    def received() -> None:
        test = Timeline()
        test.add(Span("http", "POST", "/api/orders", 0.0, 0.1, trace_id=trace_id, span_id="1" * 16))
        TraceJoin(_Fixed(decode(body))).join(test)

    def parsed() -> None:
        ExportTraceServiceRequest().ParseFromString(body)

    return [
        {"what": "client span (Timeline.span)", "us_per_span": best_seconds(clear_now_and_then, 20_000) * 1e6},
        {"what": "OpenTelemetry SDK span in the test", "us_per_span": best_seconds(sdk_span, 20_000) * 1e6},
        {"what": "received span (decode + join)", "us_per_span": best_seconds(received, 20) * 1e6 / BATCH},
        {"what": "protobuf parse only (floor)", "us_per_span": best_seconds(parsed, 20) * 1e6 / BATCH},
    ]


class _Dropped(SpanExporter):
    def export(self, spans: object) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _asgi_requests(app: Any, count: int) -> Callable[[], object]:
    """`count` GET requests with a sampled traceparent, calling `app` as a server would (no network)."""
    headers = [(b"host", b"127.0.0.1"), (b"accept", b"*/*"), (b"x-api-key", b"clerk-key-123")]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/orders/1", "raw_path": b"/orders/1", "query_string": b"", "root_path": "",
             "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000)}  # fmt: skip

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: object) -> None:
        pass

    async def requests() -> None:
        for _ in range(count):
            traced = [*headers, (b"traceparent", new_trace_ids()[1].encode())]
            await app({**scope, "headers": traced}, receive, send)

    loop = asyncio.new_event_loop()
    return lambda: loop.run_until_complete(requests())


def instrumentation_costs() -> list[dict[str, object]]:
    """Per call: an uninstrumented call against the same call through orderflow's instrumentation (its sampler;
    spans dropped when they end, so no export is counted)."""
    import httpx
    import sqlalchemy
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    provider = TracerProvider(sampler=sampler())
    provider.add_span_processor(SimpleSpanProcessor(_Dropped()))
    server_span = provider.get_tracer("bench").start_as_current_span

    async def order(_request: object) -> JSONResponse:
        return JSONResponse({"id": 1, "status": "RESERVED"})

    def app(instrumented: bool) -> Starlette:
        made = Starlette(routes=[Route("/orders/{id}", order)])
        if instrumented:
            StarletteInstrumentor.instrument_app(made, tracer_provider=provider)
        return made

    table = sqlalchemy.Table("t", sqlalchemy.MetaData(), sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True))

    def statements(instrumented: bool, count: int) -> Callable[[], object]:
        engine = sqlalchemy.create_engine("sqlite://")
        if instrumented:
            SQLAlchemyInstrumentor().instrument(
                engine=engine, tracer_provider=provider, enable_commenter=False, skip_dep_check=True
            )
        table.metadata.create_all(engine)
        query = sqlalchemy.select(table).where(table.c.id == 1)

        def run() -> None:
            with engine.connect() as conn, server_span("request", kind=SpanKind.SERVER):
                for _ in range(count):
                    conn.execute(query).all()

        return run

    def calls(client: httpx.Client, count: int) -> Callable[[], object]:
        def run() -> None:
            with server_span("request", kind=SpanKind.SERVER):
                for _ in range(count):
                    client.post("/v1/traces", content=b"")

        return run

    rows = []
    with _sink() as sink, httpx.Client(base_url=sink) as bare, httpx.Client(base_url=sink) as traced:
        HTTPXClientInstrumentor.instrument_client(traced, tracer_provider=provider)
        measured = [
            ("ASGI request (Starlette)", _asgi_requests(app(False), 100), _asgi_requests(app(True), 100), 100),
            ("SQL statement (SQLAlchemy, SQLite)", statements(False, 100), statements(True, 100), 100),
            ("HTTP call (httpx, loopback)", calls(bare, 50), calls(traced, 50), 50),
        ]
        for what, plain, instrumented, count in measured:
            bare_us, traced_us = (best_seconds(call, 10) * 1e6 / count for call in (plain, instrumented))
            rows.append({"what": what, "bare_us": bare_us, "traced_us": traced_us, "added_us": traced_us - bare_us})
    return rows


def export_costs() -> list[dict[str, object]]:
    """CPU per export post of 6 spans (a request's worth) from an exporting service to a bare OTLP endpoint."""
    import requests

    spans = sdk_spans(6, os.urandom(16).hex())
    with _sink() as sink:
        default = OTLPSpanExporter(endpoint=f"{sink}/v1/traces", session=requests.Session())
        direct = OTLPSpanExporter(endpoint=f"{sink}/v1/traces", session=direct_session())
        posts = [
            ("SDK exporter, requests' default session", lambda: default.export(spans)),
            ("SDK exporter, orderflow's direct session", lambda: direct.export(spans)),
            ("encoding alone (floor of a post)", lambda: encoded(spans)),
        ]
        return [{"what": what, "us_per_post": best_seconds(post, 50, repeat=20) * 1e6} for what, post in posts]


class _Fixed:
    description = "spans decoded in the benchmark"
    poll_interval = 0.05

    def __init__(self, spans: list[Span]):
        self.spans = spans

    def spans_of(self, trace_ids: object, timeout: float) -> list[Span]:
        return self.spans

    def forget(self, trace_ids: object) -> None:
        pass

    def close(self) -> None:
        pass


class _Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def _sink() -> Iterator[str]:
    """A bare OTLP endpoint in this process that reads each export and answers 200: a collector's stand-in."""
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{sink.server_address[1]}"
    finally:
        sink.shutdown()
        sink.server_close()


def spans_per_second(endpoint: str, batches: list[list[ReadableSpan]]) -> float:
    exporter = OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")
    started = time.perf_counter()
    for batch in batches:
        exporter.export(batch)
    elapsed = time.perf_counter() - started
    exporter.shutdown()
    return sum(len(batch) for batch in batches) / elapsed


def throughput() -> list[dict[str, object]]:
    batches = [sdk_spans(BATCH, os.urandom(16).hex()) for _ in range(BATCHES)]
    receiver = OtlpReceiver()
    try:
        with _sink() as sink:
            ours = max(spans_per_second(receiver.endpoint, batches) for _ in range(3))
            floor = max(spans_per_second(sink, batches) for _ in range(3))
        assert receiver.store.received == 3 * BATCH * BATCHES, receiver.store.received
    finally:
        receiver.close()
    return [
        {"what": "Seamline OTLP receiver (decodes, keeps)", "spans_per_s": ours, "ratio": ours / floor},
        {"what": "stdlib server reading the body (floor)", "spans_per_s": floor, "ratio": 1.0},
    ]


def journey_seconds(output: Path) -> tuple[float, float]:
    """The journey test's own elapsed seconds, and from its start to the next test's: the end of the test (the
    listener joining its spans and drawing its waterfall) counted too."""
    journey, after = passed_tests(output)
    return journey.elapsed_time.total_seconds(), (after.start_time - journey.start_time).total_seconds()


JOURNEY_MODES = {
    "on": ("--variable", "TRACES:on"),
    "collector": ("--variable", "TRACES:off", "--variable", "COLLECTOR:{collector}"),
    "off": ("--variable", "TRACES:off"),
}


def journeys() -> list[dict[str, object]]:
    os.environ["ORDERFLOW_RATE_LIMIT"] = "1000/s"  # `up` reads it: the journey reads orders back every 10 ms
    with tempfile.TemporaryDirectory() as scratch, _sink() as collector:
        suite = Path(scratch, "journey.robot")
        suite.write_text(JOURNEY.format(root=ROOT, orders=JOURNEY_ORDERS), encoding="utf-8")
        times: dict[str, list[tuple[float, float]]] = {mode: [] for mode in JOURNEY_MODES}
        for round_number in range(JOURNEY_ROUNDS):
            modes = list(JOURNEY_MODES)
            for mode in modes[round_number % len(modes) :] + modes[: round_number % len(modes)]:
                output = Path(scratch, f"{mode}-{round_number}.xml")
                options = [option.format(collector=collector) for option in JOURNEY_MODES[mode]]
                run_robot(f"journey, tracing {mode}", suite, *options, output=output)
                times[mode].append(journey_seconds(output))
    own = {mode: statistics.median(seconds for seconds, _ in timed) for mode, timed in times.items()}
    ended = {mode: statistics.median(seconds for _, seconds in timed) for mode, timed in times.items()}
    return [
        {"tracing": mode, "orders": JOURNEY_ORDERS, "median_s": own[mode],
         "ms_per_order": own[mode] / JOURNEY_ORDERS * 1000, "vs_collector": own[mode] / own["collector"],
         "vs_off": own[mode] / own["off"], "with_end_s": ended[mode],
         "with_end_vs_collector": ended[mode] / ended["collector"], "with_end_vs_off": ended[mode] / ended["off"]}
        for mode in JOURNEY_MODES
    ]  # fmt: skip


def orderflow_cpu(busy: float, traced: bool) -> tuple[float, float]:
    """CPU milliseconds per order of every orderflow process (idle polling taken off), tracing on or off, and the
    spans orderflow exported per order. The orders go as in the journey: each placed, then read back every 10 ms
    until reserved, with the trace headers `Call Api` and `Wait Until Api Returns` send (the first read traced,
    its repeats unsampled)."""
    import json
    import subprocess

    import httpx
    import psutil

    receiver = OtlpReceiver()
    command = [sys.executable, "-m", "orderflow", "up", "--rate-limit", "1000/s"]
    up = subprocess.Popen(
        command + (["--otlp-endpoint", receiver.endpoint] if traced else []),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip

    def cpu_seconds() -> float:
        total = 0.0
        for process in [psutil.Process(up.pid), *psutil.Process(up.pid).children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def traced_headers(sampled: bool) -> dict[str, str]:
        headers: dict[str, str] = {}
        add_trace_headers(headers, sampled)
        return headers

    try:
        assert up.stdout is not None
        line = next(line for line in up.stdout if line.startswith("ORDERFLOW READY "))
        gateway = json.loads(line.removeprefix("ORDERFLOW READY "))["gateway"]
        with httpx.Client(base_url=gateway, headers={"x-api-key": "clerk-key-123"}, timeout=10) as clerk:
            time.sleep(busy)
            idle_before = cpu_seconds()
            time.sleep(busy)
            idle_rate = (cpu_seconds() - idle_before) / busy
            started, before = time.monotonic(), cpu_seconds()
            order = {"customer": "Ann Example", "sku": "SKU-APPLE", "quantity": 1, "unit_price": "1.00"}
            for _ in range(CPU_ORDERS):
                placed = clerk.post("/api/orders", json=order, headers=traced_headers(True)).json()
                path, reads = f"/api/orders/{placed['id']}", 0
                while clerk.get(path, headers=traced_headers(reads == 0)).json()["status"] not in (
                    "RESERVED",
                    "REJECTED",
                ):
                    reads += 1
                    time.sleep(0.01)
            used = cpu_seconds() - before - idle_rate * (time.monotonic() - started)
        time.sleep(4 * EXPORT_DELAY_MS / 1000)  # the last batches reach the receiver
    finally:
        up.terminate()
        up.wait(20)
        receiver.close()
    return used / CPU_ORDERS * 1000, receiver.store.received / CPU_ORDERS


def cpu_rows() -> list[dict[str, object]]:
    """Rounds alternated (on, off, off, on...), the median of each."""
    rounds: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for round_number in range(CPU_ROUNDS):
        for traced in (True, False) if round_number % 2 == 0 else (False, True):
            rounds[traced].append(orderflow_cpu(2.0, traced))
    on, off = (statistics.median(cpu for cpu, _ in rounds[traced]) for traced in (True, False))
    spans = statistics.median(spans for _, spans in rounds[True])
    return [
        {"tracing": "on", "cpu_ms_per_order": on, "vs_off": on / off, "spans_per_order": spans},
        {"tracing": "off", "cpu_ms_per_order": off, "vs_off": 1.0, "spans_per_order": 0.0},
    ]


def main() -> int:
    costs = span_costs()
    print_table(costs, [("span", "what", "<40s"), ("us/span", "us_per_span", ">9.2f")])
    received = throughput()
    print_table(received, [("receiver", "what", "<42s"), ("spans/s", "spans_per_s", ">10.0f"), ("x", "ratio", ">6.2f")])
    added = instrumentation_costs()
    print_table(
        added,
        [("call", "what", "<36s"), ("bare us", "bare_us", ">9.1f"), ("traced us", "traced_us", ">10.1f"),
         ("added us", "added_us", ">9.1f")],
    )  # fmt: skip
    exports = export_costs()
    print_table(exports, [("export post of 6 spans", "what", "<42s"), ("us/post", "us_per_post", ">9.0f")])
    journey = journeys()
    print_table(
        journey,
        [("tracing", "tracing", "<10s"), ("median s", "median_s", ">9.3f"), ("ms/order", "ms_per_order", ">9.1f"),
         ("vs collector", "vs_collector", ">13.3f"), ("vs off", "vs_off", ">7.3f"),
         ("with end s", "with_end_s", ">11.3f"), ("vs collector", "with_end_vs_collector", ">13.3f"),
         ("vs off", "with_end_vs_off", ">7.3f")],
    )  # fmt: skip
    on, collector = (next(row for row in journey if row["tracing"] == mode) for mode in ("on", "collector"))
    print(
        f"Seamline's tracing adds {(on['vs_collector'] - 1) * 100:+.1f}% to the journey (goal: at most +3%), "  # type: ignore[operator]
        f"{(on['with_end_vs_collector'] - 1) * 100:+.1f}% with the end of the test; instrumenting orderflow adds "  # type: ignore[operator]
        f"{(collector['vs_off'] - 1) * 100:+.1f}% to it"  # type: ignore[operator]
    )
    cpu = cpu_rows()
    print_table(
        cpu,
        [("tracing", "tracing", "<8s"), ("CPU ms/order", "cpu_ms_per_order", ">13.1f"), ("vs off", "vs_off", ">7.3f"),
         ("spans/order", "spans_per_order", ">12.1f")],
    )  # fmt: skip
    load = " ".join(f"{average:.1f}" for average in os.getloadavg())
    print(f"load average (1, 5, 15 min) at the end: {load}")
    results = {
        "span_costs": costs, "receiver_throughput": received, "instrumentation_per_call": added,
        "export_per_post": exports, "journey": journey, "orderflow_cpu": cpu,
    }  # fmt: skip
    write_results("traces", results | {"machine": f"2 cores shared with other work, load average {load}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
