"""orderflow's configurable links (`up --ports/--link`) and what the gateway does when a link fails.

One deployment sends gateway>inventory and reports>inventory to a scripted upstream: it answers
what a test queues (a status, a delay, a slow drip), else like inventory's GET /stock.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from orderflow_harness import Process, api, start_up, wait_until

from orderflow.links import (
    EPHEMERAL_RANGE,
    FIXED_LOWEST,
    LinkError,
    address,
    free_ports,
    parse_links,
    parse_ports,
    redirect,
)

ADMIN = "admin-key-123"
UPSTREAM_TIMEOUT = 1.0


class Scripted(BaseHTTPRequestHandler):
    """Pops one behaviour per request: ("status", code), ("sleep", s) or ("drip", s per byte)."""

    script: deque[tuple[str, float]] = deque()
    seen: list[tuple[str, str]] = []

    def do_GET(self) -> None:
        Scripted.seen.append((self.command, self.path))
        kind, value = Scripted.script.popleft() if Scripted.script else ("status", 200)
        body = json.dumps({"items": [], "sku": "SKU-STUB", "available": 1, "reserved": 0}).encode()
        if kind == "sleep":
            time.sleep(value)
        status = int(value) if kind == "status" else 200
        if status >= 400:
            body = json.dumps({"error": {"code": "STUB_DOWN", "message": f"stub answered {status}"}}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if kind != "drip":
            self.wfile.write(body)
            return
        for index in range(len(body)):
            self.wfile.write(body[index : index + 1])
            self.wfile.flush()
            time.sleep(value)

    do_POST = do_PUT = do_GET

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def deployment() -> Iterator[tuple[Process, str]]:
    stub = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    stub.daemon_threads = True
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    address = f"127.0.0.1:{stub.server_address[1]}"
    inventory_port, ledger_port = free_ports(2)
    up = start_up(
        "--ports", f"inventory={inventory_port},ledger={ledger_port}",
        "--link", f"gateway>inventory={address}",
        "--link", f"reports>inventory={address}",
        "--upstream-timeout", f"{UPSTREAM_TIMEOUT}s",
        "--rate-limit", "1000/s",
    )  # fmt: skip
    try:
        yield up, address
    finally:
        up.stop()
        stub.shutdown()
        stub.server_close()


@pytest.fixture(autouse=True)
def fresh_script() -> None:
    Scripted.script.clear()
    Scripted.seen.clear()


def test_fixed_ports_are_free_and_below_the_ephemeral_range_that_port_0_and_connections_draw_from() -> None:
    lowest_ephemeral = int(EPHEMERAL_RANGE.read_text().split()[0])
    ports = free_ports(6)
    assert len(set(ports)) == 6 and all(FIXED_LOWEST <= port < lowest_ephemeral for port in ports), ports
    for port in ports:
        with socket.create_server(("127.0.0.1", port)):
            pass  # each one free to listen on


def test_links_and_ports_are_parsed_and_wrong_ones_named() -> None:
    assert parse_ports("orders=7101, ledger=7105") == {"orders": 7101, "ledger": 7105}
    assert parse_links(["*>broker=127.0.0.1:1", "gateway>orders=h:2"]) == {
        "orders>broker": "127.0.0.1:1",
        "inventory>broker": "127.0.0.1:1",
        "bus>broker": "127.0.0.1:1",
        "gateway>orders": "h:2",
    }
    with pytest.raises(LinkError, match="no link gateway>ledger; links are gateway>orders, bus>orders"):
        parse_links(["gateway>ledger=127.0.0.1:1"])
    with pytest.raises(LinkError, match="expected CALLER>TARGET=host:port"):
        parse_links(["gateway>orders=http://127.0.0.1:1"])
    with pytest.raises(LinkError, match="SERVICE one of gateway, orders"):
        parse_ports("web=80")
    assert redirect("postgresql://u:pw@db:5432/x?a=1", "127.0.0.1:7") == "postgresql://u:pw@127.0.0.1:7/x?a=1"
    assert address("mysql+pymysql://root@127.0.0.1/test") == "127.0.0.1:3306"
    assert address("amqp://guest:guest@broker:5673/%2F") == "broker:5673"
    with pytest.raises(LinkError, match="names no network address"):
        address("sqlite:////tmp/orderflow.db")


def test_fixed_ports_are_used_and_links_go_where_they_are_sent(deployment: tuple[Process, str]) -> None:
    up, address = deployment
    endpoints = up.info or {}
    assert endpoints["links"] == {"gateway>inventory": address, "reports>inventory": address}
    with api(endpoints["gateway"], ADMIN) as admin:
        via_gateway = admin.get("/api/inventory/SKU-APPLE")
        via_reports = admin.get("/api/reports/daily")
    assert via_gateway.json()["sku"] == "SKU-STUB"  # the real inventory has no SKU-STUB
    assert via_reports.status_code == 200
    assert Scripted.seen == [("GET", "/stock/SKU-APPLE"), ("GET", "/stock")]
    assert httpx.get(f"{endpoints['inventory']}/stock/SKU-APPLE").json()["sku"] == "SKU-APPLE"


def test_a_get_answered_503_three_times_is_retried_and_succeeds(deployment: tuple[Process, str]) -> None:
    Scripted.script.extend([("status", 503)] * 3)
    with api((deployment[0].info or {})["gateway"], ADMIN) as admin:
        response = admin.get("/api/inventory/SKU-APPLE")
    assert response.status_code == 200
    assert len(Scripted.seen) == 4


def test_a_get_failing_on_every_attempt_is_reported_with_its_attempts(deployment: tuple[Process, str]) -> None:
    Scripted.script.extend([("status", 503)] * 4)
    with api((deployment[0].info or {})["gateway"], ADMIN) as admin:
        response = admin.get("/api/inventory/SKU-APPLE", headers={"x-correlation-id": "c-503"})
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "STUB_DOWN",
            "message": "stub answered 503 (after 4 attempts)",
            "correlation_id": "c-503",
            "upstream": "inventory",
        }
    }


def test_a_write_is_never_retried(deployment: tuple[Process, str]) -> None:
    Scripted.script.append(("status", 503))
    with api((deployment[0].info or {})["gateway"], ADMIN) as admin:
        response = admin.put("/api/inventory/SKU-STUB", json={"available": 3})
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "stub answered 503"
    assert Scripted.seen == [("PUT", "/stock/SKU-STUB")]


@pytest.mark.parametrize("behaviour", [("sleep", 3.0), ("drip", 0.05)], ids=["silent", "dripping"])
def test_a_slow_upstream_is_a_504_within_the_upstream_timeout(
    deployment: tuple[Process, str], behaviour: tuple[str, float]
) -> None:
    Scripted.script.append(behaviour)
    with api((deployment[0].info or {})["gateway"], ADMIN) as admin:
        started = time.monotonic()
        response = admin.get("/api/inventory/SKU-APPLE")
        elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.json()["error"]["message"] == f"inventory did not answer within {UPSTREAM_TIMEOUT:g}s"
    assert elapsed < UPSTREAM_TIMEOUT + 2.0  # the deadline holds, with a generous margin
    assert len(Scripted.seen) == 1  # the budget is spent: no retry


def test_a_database_link_on_sqlite_is_refused_with_the_reason() -> None:
    up = Process(["-m", "orderflow", "up", "--link", "*>database=127.0.0.1:1"], "ORDERFLOW READY ")
    assert up.popen.wait(30) == 1
    refusal = "a >database link needs a PostgreSQL or MariaDB --db: SQLite has no network link"
    wait_until(lambda: refusal in "".join(up.stderr), 5, "up's refusal")
