"""Publish-to-receive latency through Robot Framework, 1000 messages, on RabbitMQ and on a SQL outbox:

- Seamline `Wait For Message` on a capture started with `Start Capturing Messages`;
- a raw consumer in a bare Python keyword (the floor): pika on a private queue, or a SELECT loop on the
  outbox table with the same 20 ms poll interval as Seamline's outbox capture.

No Robot Framework library captures messages today (the AMQP ones on PyPI are unmaintained since
2017-2020 and publish only), so the raw consumer is the only comparison. Every message is published
by the same bare keyword (pika without confirms, or one INSERT), then waited for by its number; the
latency runs from just before the publish until the wait keyword has returned, so both tools pay
Robot's per-keyword cost. Each tool runs in its own `robot` process. Writes
benchmarks/results/messaging.json and prints a table. Runs alone: .venv/bin/python benchmarks/bench_messaging.py
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import tempfile
import uuid
from contextlib import closing
from pathlib import Path

import pika
from common import print_table, reachable, run_robot, write_results

MESSAGES = 1000
RABBITMQ_URL = os.environ.get("SEAMLINE_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
OUTBOX_DDL = (
    "CREATE TABLE outbox (position INTEGER PRIMARY KEY AUTOINCREMENT, message_id VARCHAR(36) UNIQUE, "
    "type VARCHAR(64), version INTEGER, occurred_at TIMESTAMP, correlation_id VARCHAR(64), payload TEXT, "
    "published_at TIMESTAMP)"
)

BENCH_LIBRARY = '''
import json
import sqlite3
import time
import uuid
from datetime import datetime, timezone

import pika


class BenchMessages:
    """Publishes numbered messages, times them, and is the floor: a raw consumer in a bare keyword."""

    ROBOT_LIBRARY_SCOPE = "GLOBAL"

    def __init__(self, transport, target, exchange=""):
        self.transport, self.target, self.exchange = transport, target, exchange
        self.latencies = []
        self.inbox = []
        if transport == "amqp":
            self.publisher = pika.BlockingConnection(pika.URLParameters(target)).channel()
        else:
            self.db = sqlite3.connect(target, isolation_level=None, timeout=10)

    def publish_numbered(self, number):
        started = time.perf_counter()
        now = datetime.now(timezone.utc)
        envelope = {"message_id": str(uuid.uuid4()), "type": "bench.message", "version": 1,
                    "occurred_at": now.isoformat().replace("+00:00", "Z"), "correlation_id": "bench",
                    "payload": {"n": int(number)}}
        if self.transport == "amqp":
            self.publisher.basic_publish(self.exchange, "bench.message", json.dumps(envelope).encode())
        else:
            self.db.execute(
                "INSERT INTO outbox (message_id, type, version, occurred_at, correlation_id, payload) "
                "VALUES (?, ?, 1, ?, 'bench', ?)",
                (envelope["message_id"], "bench.message", now.replace(tzinfo=None).isoformat(sep=" "),
                 json.dumps(envelope["payload"])),
            )
        return started

    def record_latency(self, started):
        self.latencies.append(time.perf_counter() - started)

    def save_latencies(self, path):
        with open(path, "w") as file:
            json.dump(self.latencies, file)

    def start_bare_consumer(self):
        if self.transport == "amqp":
            self.consumer = pika.BlockingConnection(pika.URLParameters(self.target))
            channel = self.consumer.channel()
            queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            channel.queue_bind(queue, self.exchange, routing_key="bench.#")
            channel.basic_consume(queue, lambda ch, method, props, body: self.inbox.append(body), auto_ack=True)
        else:
            self.reader = sqlite3.connect(self.target, isolation_level=None, timeout=10)
            self.position = self.reader.execute("SELECT COALESCE(MAX(position), 0) FROM outbox").fetchone()[0]

    def bare_wait(self, number, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for body in self.inbox:
                if json.loads(body)["payload"]["n"] == int(number):
                    return body
            if self.transport == "amqp":
                self.consumer.process_data_events(time_limit=0.1)
                continue
            rows = self.reader.execute(
                "SELECT position, payload FROM outbox WHERE position > ? ORDER BY position", (self.position,)
            ).fetchall()
            if rows:
                self.position = rows[-1][0]
                self.inbox.extend('{"payload": %s}' % payload for _, payload in rows)
            else:
                time.sleep(0.02)
        raise AssertionError(f"message {number} did not arrive within {timeout}s")
'''


def suite(tool: str, transport: str, target: str, exchange: str, latencies: Path) -> str:
    bench = f"Library    BenchMessages.py    {transport}    {target}    {exchange}"
    if tool == "Seamline Wait For Message":
        broker_url = target if transport == "amqp" else f"outbox+sqlite:///{target}#outbox"
        source = exchange if transport == "amqp" else "${EMPTY}"
        setup = [
            "Library    Seamline",
            bench,
            f"Suite Setup    Run Keywords    Connect To Broker    {broker_url}    AND",
            f"...    Start Capturing Messages    {source}    binding=bench.#",
        ]
        wait = "Wait For Message    bench.message    payload.n=${n}"
    else:
        setup = [bench, "Suite Setup    Start Bare Consumer"]
        wait = "Bare Wait    ${n}"
    lines = [
        "*** Settings ***",
        *setup,
        "",
        "*** Test Cases ***",
        "Publish And Wait",
        f"    FOR    ${{n}}    IN RANGE    {MESSAGES}",
        "        ${started} =    Publish Numbered    ${n}",
        f"        {wait}",
        "        Record Latency    ${started}",
        "    END",
        f"    Save Latencies    {latencies}",
    ]
    return "\n".join(lines) + "\n"


def run_tool(workdir: Path, tool: str, transport: str, target: str, exchange: str) -> list[float]:
    name = f"{transport}-{tool.split()[0].lower()}"
    latencies = workdir / f"{name}.json"
    robot_file = workdir / f"{name}.robot"
    robot_file.write_text(suite(tool, transport, target, exchange, latencies), encoding="utf-8")
    run_robot(f"{tool} on {transport}", robot_file, output=None)
    if not latencies.exists():
        raise RuntimeError(f"{tool} on {transport} saved no latencies")
    return [seconds * 1000 for seconds in json.loads(latencies.read_text())]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    tools = ["Seamline Wait For Message", "raw consumer in a bare keyword"]
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="bench-msg-") as tmp:
        workdir = Path(tmp)
        (workdir / "BenchMessages.py").write_text(BENCH_LIBRARY, encoding="utf-8")
        outbox = workdir / "outbox.db"
        with closing(sqlite3.connect(outbox)) as db:
            db.execute("PRAGMA journal_mode=WAL")  # as orderflow runs its SQLite database
            db.execute(OUTBOX_DDL)
        targets = [("outbox (SQLite)", "outbox", str(outbox), "")]
        exchange = f"seamline.bench.{uuid.uuid4().hex[:8]}"
        admin = None
        if reachable(5672):
            admin = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
            admin.channel().exchange_declare(exchange, "topic", auto_delete=False)
            targets.append(("RabbitMQ", "amqp", RABBITMQ_URL, exchange))
        else:
            notes.append("RabbitMQ not reachable at 127.0.0.1:5672: outbox only")
        try:
            for label, transport, target, exchange_name in targets:
                measured = {tool: run_tool(workdir, tool, transport, target, exchange_name) for tool in tools}
                floor = statistics.median(measured[tools[-1]])
                for tool in tools:
                    median = statistics.median(measured[tool])
                    rows.append(
                        {
                            "tool": tool,
                            "transport": label,
                            "per_op_ms": round(median, 3),
                            "p99_ms": round(percentile(measured[tool], 0.99), 3),
                            "ratio_to_floor": round(median / floor, 3),
                            "messages": len(measured[tool]),
                        }
                    )
        finally:
            if admin is not None:
                admin.channel().exchange_delete(exchange)
                admin.close()
    notes.append(
        "per_op_ms is the median publish-to-wait-returned latency, p99_ms its 99th percentile, over "
        f"{MESSAGES} messages published one at a time by the same bare keyword; both tools pay Robot's "
        "per-keyword cost; the raw outbox consumer polls every 20 ms like Seamline's outbox capture"
    )
    result = {"benchmark": "messaging", "rows": rows, "notes": notes}
    write_results("messaging", result)
    print_table(
        rows,
        [
            ("transport", "transport", "<16"),
            ("tool", "tool", "<32"),
            ("median ms", "per_op_ms", ">10.3f"),
            ("p99 ms", "p99_ms", ">8.3f"),
            ("x floor", "ratio_to_floor", ">8.3f"),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
