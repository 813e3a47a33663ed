"""Start all of orderflow: ledger, inventory, orders, reports, bus and gateway.

Each service is its own process on 127.0.0.1 (free ports unless --gateway-port is given).
When every one has printed its READY line, `up` prints one line

    ORDERFLOW READY {"gateway": url, "orders": url, "inventory": url, "reports": url,
                     "bus": url, "ledger": {"host", "port", "user", "root", "host_key_fingerprint"},
                     "database": url (password masked), "broker": url or null, "data_dir": dir}

and runs until Ctrl-C or SIGTERM, then stops every child. If a child dies, `up` stops the
rest and exits non-zero, showing that child's last output.

Database: an SQLite file in the data dir by default; --db postgresql://... or mysql://...
for a server; add --fresh-db to run in a new orderflow_<random> database dropped on exit.
Transport: the SQL outbox by default; --broker amqp://... for RabbitMQ.
Tracing: --otlp-endpoint URL makes every service export OpenTelemetry spans there (orderflow.telemetry);
--delay orders=50ms,inventory=10ms holds each request of the named services that long (latency tests).
The data dir (ledger files, SQLite) is a new temporary directory removed on exit, unless
--data-dir names one. Example:

    python -m orderflow up --db postgresql://postgres@127.0.0.1:5432/test --fresh-db

Links (see orderflow.links): --ports SERVICE=PORT,... fixes where services listen (gateway,
orders, inventory, reports, bus, ledger; --gateway-port still works), and --link
CALLER>TARGET=host:port (repeatable) sends one upstream link elsewhere, e.g. through a fault
proxy started beforehand on the target's fixed port:

    python -m orderflow up --ports inventory=7102 --link 'gateway>inventory=127.0.0.1:7202'

The links: gateway>orders|inventory|reports, bus>orders|inventory (outbox deliveries),
reports>inventory, settlement>ledger (the exporter and the reports' postings), SERVICE>database
for orders, inventory, reports and bus (a PostgreSQL/MariaDB --db; SQLite has no network link),
SERVICE>broker for orders, inventory and bus (with --broker); ``*>TARGET`` means every caller.
`up` itself reaches the database directly (schema, --fresh-db). The READY line adds "links".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from orderflow.amqp import DEFAULT_NAMESPACE, remove_namespace
from orderflow.config import Flags, duration, mapping
from orderflow.db import connect, create_schema, create_scratch_database, drop_database, masked
from orderflow.links import LINKS, LinkError, parse_links, parse_ports, redirect

LEDGER_USER = "settle"
DEFAULT_LEDGER_PASSWORD = "settle-pw-123"


class StartFailed(Exception):
    pass


class Stopped(Exception):
    """SIGTERM or SIGINT arrived."""


class Child:
    """One service process; its output is kept (last lines) and echoed to our stderr."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.tail: deque[str] = deque(maxlen=40)
        self.ready_info: dict[str, Any] | None = None
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"orderflow.{name}", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
            errors="replace",
        )
        threading.Thread(target=self._read, name=f"read-{name}", daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if self.ready_info is None and line.startswith("READY "):
                self.ready_info = json.loads(line[len("READY ") :])
                self._ready.set()
                continue
            self.tail.append(line.rstrip("\n"))
            sys.stderr.write(f"[{self.name}] {line}")
        self._ready.set()  # end of output: wake a waiter, which sees the exit

    def wait_ready(self, deadline: float) -> dict[str, Any]:
        self._ready.wait(max(0.0, deadline - time.monotonic()))
        if self.ready_info is None:
            state = "exited" if self.process.poll() is not None else "did not become ready"
            raise StartFailed(f"{self.name} {state}:\n" + self.output())
        return self.ready_info

    def output(self) -> str:
        return "\n".join(self.tail) or "(no output)"

    def stop(self, deadline: float) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def masked_broker(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def delays(text: str) -> str:
    """``orders=50ms,inventory=10ms``, checked here (each service reads it from ORDERFLOW_DELAY)."""
    for value in mapping(text).values():
        duration(value)
    return text


def parse_arguments(argv: Sequence[str] | None) -> Any:
    flags = Flags("python -m orderflow up", __doc__ or "")
    flags.parser.formatter_class = argparse.RawDescriptionHelpFormatter
    flags.add("--db", help="database URL; default: SQLite file in the data dir")
    flags.switch("--fresh-db", help="create a new orderflow_<random> database on --db's server")
    flags.add("--broker", help="amqp:// URL: RabbitMQ transport instead of the SQL outbox")
    flags.add("--broker-namespace", default=DEFAULT_NAMESPACE, help="exchange / queue prefix")
    flags.switch("--drop-broker-namespace", help="delete the namespace's queues and exchange on exit")
    flags.add("--data-dir", help="directory for ledger files and SQLite; default: temporary")
    flags.add("--gateway-port", type=int, default=0, help="gateway port (0: any free port)")
    flags.add("--ports", default="", help="fixed ports SERVICE=PORT,... (others: any free port)")
    flags.parser.add_argument(
        "--link", action="append", default=[], help="CALLER>TARGET=host:port: send one upstream link elsewhere"
    )
    flags.add("--upstream-retries", default="3", help="gateway's retries of a failed idempotent request")
    flags.add("--delivery-timeout", default="5s", help="bus's timeout per outbox delivery")
    flags.add("--ledger-timeout", default="10s", help="settlement's timeout per ledger operation")
    flags.switch("--no-auto-post", help="export settlement batches but do not post them")
    flags.add("--upstream-timeout", default="5s", help="gateway's timeout per upstream call")
    flags.add("--rate-limit", default="20/s", help="gateway's requests per API key")
    flags.add("--max-body", default="64KiB", help="gateway's largest request body")
    flags.add("--settle-grace", default="30s", help="time a RESERVED order has to be posted")
    flags.add("--export-interval", default="1s", help="settlement export period")
    flags.add("--settle-after", default="2s", help="time a RESERVED order can still be cancelled")
    flags.add("--start-timeout", type=duration, default=60.0, help="wait for READY lines")
    flags.add(
        "--otlp-endpoint", help="OTLP/HTTP endpoint every service exports its spans to (OTEL_EXPORTER_OTLP_ENDPOINT)"
    )
    flags.add("--delay", type=delays, default="", help="artificial delay per service: orders=50ms,inventory=10ms")
    return flags.parse(argv)


def check_links(links: dict[str, str], db: str, broker: str | None) -> None:
    """Refuse links that lead nowhere: a database link to SQLite, a broker link without --broker."""
    if db.startswith("sqlite") and any(link.endswith(">database") for link in links):
        raise StartFailed("a >database link needs a PostgreSQL or MariaDB --db: SQLite has no network link")
    if not broker and any(link.endswith(">broker") for link in links):
        raise StartFailed("a >broker link needs --broker (the SQL outbox has no broker link)")


class Deployment:
    def __init__(self, args: Any) -> None:
        self.args = args
        self.children: list[Child] = []
        self.temp_dir = args.data_dir is None
        self.data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="orderflow-")).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.scratch_db: str | None = None
        self.env = {
            **os.environ,
            "ORDERFLOW_PARENT_PID": str(os.getpid()),
            "PYTHONUNBUFFERED": "1",
        }
        if args.otlp_endpoint:
            self.env["OTEL_EXPORTER_OTLP_ENDPOINT"] = args.otlp_endpoint
        if args.delay:
            self.env["ORDERFLOW_DELAY"] = args.delay

    def start(self) -> dict[str, Any]:
        args = self.args
        try:
            ports, links = parse_ports(args.ports), parse_links(args.link)
        except LinkError as error:
            raise StartFailed(str(error)) from error
        check_links(links, args.db or "sqlite", args.broker)
        db = args.db or f"sqlite:///{self.data_dir / 'orderflow.db'}"
        if args.fresh_db:
            if not args.db:
                raise StartFailed("--fresh-db needs --db naming a PostgreSQL or MariaDB server")
            db = self.scratch_db = create_scratch_database(args.db)
        engine = connect(db)
        try:
            create_schema(engine)
        finally:
            engine.dispose()
        deadline = time.monotonic() + args.start_timeout
        ledger_root = self.data_dir / "ledger"
        ledger_root.mkdir(exist_ok=True)

        def backends(service: str) -> list[str]:
            """--db (and --broker) as `service` reaches them."""
            found = ["--db", redirect(db, links.get(f"{service}>database"))]
            if args.broker and f"{service}>broker" in LINKS:
                broker = redirect(args.broker, links.get(f"{service}>broker"))
                found += ["--broker", broker, "--broker-namespace", args.broker_namespace]
            return found

        def port(service: str) -> list[str]:
            return ["--port", str(ports.get(service, 0))]

        ledger = self._spawn("ledger", ["--root", str(ledger_root), "--user", LEDGER_USER, *port("ledger")])
        inventory = self._spawn("inventory", [*backends("inventory"), *port("inventory")])
        orders = self._spawn("orders", [*backends("orders"), *port("orders")])
        ledger_info = ledger.wait_ready(deadline)
        inventory_url = inventory.wait_ready(deadline)["url"]
        orders_url = orders.wait_ready(deadline)["url"]
        ledger_url = f"ssh://{LEDGER_USER}@{ledger_info['host']}:{ledger_info['port']}"
        reports = self._spawn(
            "reports",
            [
                *backends("reports"),
                "--inventory", redirect(inventory_url, links.get("reports>inventory")),
                "--ledger", redirect(ledger_url, links.get("settlement>ledger")),
                "--ledger-fingerprint", str(ledger_info.get("host_key_fingerprint") or ""),
                "--ledger-timeout", args.ledger_timeout,
                "--settle-grace", args.settle_grace,
                "--export-interval", args.export_interval,
                "--settle-after", args.settle_after,
                *(["--no-auto-post"] if args.no_auto_post else []),
                *port("reports"),
            ],
        )  # fmt: skip
        subscribers = ",".join(
            f"{name}={redirect(url, links.get(f'bus>{name}'))}"
            for name, url in (("inventory", inventory_url), ("orders", orders_url))
        )
        delivery = ["--subscribers", subscribers, "--delivery-timeout", args.delivery_timeout]
        bus = self._spawn("bus", [*backends("bus"), *([] if args.broker else delivery), *port("bus")])
        reports_url = reports.wait_ready(deadline)["url"]
        gateway = self._spawn(
            "gateway",
            [
                "--orders", redirect(orders_url, links.get("gateway>orders")),
                "--inventory", redirect(inventory_url, links.get("gateway>inventory")),
                "--reports", redirect(reports_url, links.get("gateway>reports")),
                "--upstream-timeout", args.upstream_timeout,
                "--upstream-retries", args.upstream_retries,
                "--rate-limit", args.rate_limit,
                "--max-body", args.max_body,
                "--port", str(args.gateway_port or ports.get("gateway", 0)),
            ],
        )  # fmt: skip
        return {
            "gateway": gateway.wait_ready(deadline)["url"],
            "orders": orders_url,
            "inventory": inventory_url,
            "reports": reports_url,
            "bus": bus.wait_ready(deadline)["url"],
            "ledger": {
                "host": ledger_info["host"],
                "port": ledger_info["port"],
                "user": LEDGER_USER,
                "root": str(ledger_root),
                "host_key_fingerprint": ledger_info.get("host_key_fingerprint"),
            },
            "database": masked(db),
            "broker": masked_broker(args.broker),
            "data_dir": str(self.data_dir),
            "links": links,
        }

    def _spawn(self, name: str, argv: list[str]) -> Child:
        child = Child(name, argv, self.env)
        self.children.append(child)
        return child

    def watch(self) -> Child:
        """Block until a child exits; return it."""
        while True:
            for child in self.children:
                if child.process.poll() is not None:
                    return child
            time.sleep(0.2)

    def stop(self) -> None:
        deadline = time.monotonic() + 8.0
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.terminate()
        for child in reversed(self.children):
            child.stop(deadline)
        if self.scratch_db:
            drop_database(self.scratch_db)
        if self.args.broker and self.args.drop_broker_namespace:
            try:
                remove_namespace(self.args.broker, self.args.broker_namespace)
            except Exception as error:  # stopping must finish even when the broker is gone
                print(f"orderflow: could not remove broker namespace: {error}", file=sys.stderr)
        if self.temp_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def _raise_stopped(signum: int, _frame: FrameType | None) -> None:
    raise Stopped(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    signal.signal(signal.SIGTERM, _raise_stopped)
    signal.signal(signal.SIGINT, _raise_stopped)
    deployment = Deployment(args)
    try:
        endpoints = deployment.start()
        print("ORDERFLOW READY " + json.dumps(endpoints), flush=True)
        died = deployment.watch()
        print(
            f"orderflow: {died.name} exited with {died.process.returncode}; stopping the rest.\n"
            f"Last output of {died.name}:\n{died.output()}",
            file=sys.stderr,
        )
        return 1
    except StartFailed as error:
        print(f"orderflow: could not start: {error}", file=sys.stderr)
        return 1
    except Stopped:
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        deployment.stop()
