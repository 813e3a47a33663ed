"""Start orderflow processes for tests and wait on them, every wait bounded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

REPO = Path(__file__).resolve().parents[3]
T = TypeVar("T")


class Process:
    """A child process whose stdout is read in the background until a READY line appears."""

    def __init__(self, argv: list[str], ready_prefix: str, env: dict[str, str] | None = None):
        self.ready_prefix = ready_prefix
        self.lines: list[str] = []
        self.info: dict[str, Any] | None = None
        self._ready = threading.Event()
        self.popen = subprocess.Popen(
            [sys.executable, *argv],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.stderr: list[str] = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line)
            if self.info is None and line.startswith(self.ready_prefix):
                self.info = json.loads(line[len(self.ready_prefix) :])
                self._ready.set()
        self._ready.set()

    def _read_stderr(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            self.stderr.append(line)

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        self._ready.wait(timeout)
        if self.info is None:
            self.stop()
            raise AssertionError(
                f"{self.popen.args!r} printed no {self.ready_prefix!r} line:\n"
                + "".join(self.lines[-20:] + self.stderr[-40:])
            )
        return self.info

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)
            raise AssertionError(f"{self.popen.args!r} ignored signal {sig}") from None


def start_service(service: str, *args: str, env: dict[str, str] | None = None) -> Process:
    process = Process(["-m", f"orderflow.{service}", *args], "READY ", env)
    process.wait_ready()
    return process


def start_up(*args: str, env: dict[str, str] | None = None) -> Process:
    process = Process(["-m", "orderflow", "up", *args], "ORDERFLOW READY ", env)
    process.wait_ready(90.0)
    return process


def wait_until(probe: Callable[[], T | None], timeout: float = 20.0, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last seen: {last!r}")


def api(base_url: str, key: str | None) -> httpx.Client:
    headers = {"x-api-key": key} if key else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=10.0)


def place_order(client: httpx.Client, sku: str, quantity: int = 2, **extra: Any) -> dict[str, Any]:
    body = {"customer": "Ann Example", "sku": sku, "quantity": quantity, "unit_price": "12.50"}
    response = client.post("/api/orders", json={**body, **extra})
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


def wait_for_status(client: httpx.Client, order_id: str, status: str, timeout: float = 20.0) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        order: dict[str, Any] = client.get(f"/api/orders/{order_id}").json()
        return order if order.get("status") == status else None

    return wait_until(probe, timeout, f"order {order_id} to become {status}")


def ledger_ack(ledger_root: Path, order_id: str) -> dict[str, Any] | None:
    """The acknowledgement file of the batch that posted `order_id` in the ledger under `ledger_root`, if any."""
    for ack_file in (ledger_root / "outbox").glob("*.ack"):
        ack: dict[str, Any] = json.loads(ack_file.read_text())
        if order_id in ack["order_ids"]:
            return ack
    return None
