"""`python -m orderflow up`: starts everything, and leaves nothing behind when it stops."""

from __future__ import annotations

import signal
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
from orderflow_harness import start_up, wait_until


def listening_ports(endpoints: dict[str, Any]) -> list[int]:
    urls = [endpoints[name] for name in ("gateway", "orders", "inventory", "reports", "bus")]
    return [int(urlsplit(url).port or 0) for url in urls] + [int(endpoints["ledger"]["port"])]


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_sigterm_stops_every_process_and_frees_every_port() -> None:
    up = start_up()
    endpoints = up.info or {}
    children = psutil.Process(up.popen.pid).children(recursive=True)
    ports = listening_ports(endpoints)
    assert len(children) == 6
    assert all(accepts(port) for port in ports)

    assert up.stop(signal.SIGTERM) == 0
    wait_until(lambda: all(gone(child.pid) for child in children), 10, "children to exit")
    assert [port for port in ports if accepts(port)] == []
    assert not Path(endpoints["data_dir"]).exists()


def test_a_dying_child_stops_the_rest_and_up_fails_with_its_output() -> None:
    up = start_up()
    children = psutil.Process(up.popen.pid).children(recursive=True)
    orders = next(child for child in children if "orderflow.orders" in child.cmdline())
    orders.kill()

    assert up.popen.wait(20) != 0
    wait_until(lambda: all(gone(child.pid) for child in children), 10, "children to exit")
    stderr = wait_until(lambda: "".join(up.stderr) if "Last output" in "".join(up.stderr) else None, 5, "up's report")
    assert "orders exited with -9; stopping the rest." in stderr
    assert "Last output of orders:" in stderr
