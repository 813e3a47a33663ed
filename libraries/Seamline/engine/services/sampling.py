"""Resources per service, per test: each process of a service is sampled while a test runs.

A service's processes are named, not summed: ``python -m orderflow up`` with children
``python -m orderflow.gateway`` and ``python -m orderflow.orders`` reads as ``orderflow``,
``orderflow/gateway`` and ``orderflow/orders``. A test's reading of a process is the CPU it used during
the test, its peak and mean resident memory and its most open network connections, sampled every ``interval``.

Connections are counted from each process's open sockets (`network_connections`): psutil's reading walks
the kernel's whole TCP table per process, ~10 ms a process at every sample here — it was most of a suite
run's CPU in the Robot process.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

INTERVAL = 0.5


@dataclass
class _Window:
    """What one process did since the test began."""

    cpu_at_start: float
    cpu: float = 0.0
    peak_rss: int = 0
    rss_total: int = 0
    samples: int = 0
    connections: int = 0

    def add(self, cpu: float, rss: int, connections: int) -> None:
        self.cpu = cpu
        self.peak_rss = max(self.peak_rss, rss)
        self.rss_total += rss
        self.samples += 1
        self.connections = max(self.connections, connections)


@dataclass
class ResourceSampler:
    """Samples the processes of every watched service in one background thread."""

    interval: float = INTERVAL
    services: dict[str, int] = field(default_factory=dict)  # service name -> root pid
    _windows: dict[str, _Window] = field(default_factory=dict)  # process name -> window
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def watch(self, service: str, pid: int) -> None:
        with self._lock:
            self.services[service] = pid
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="seamline-resources", daemon=True)
            self._thread.start()

    def forget(self, service: str) -> None:
        with self._lock:
            self.services.pop(service, None)
            if not self.services:
                self._stop.set()

    def begin(self) -> None:
        """A test starts: every window opens now."""
        with self._lock:
            self._windows = {}
        self.sample()

    def end(self) -> list[dict[str, Any]]:
        """A test ends: each process's reading over the test, named ``service`` or ``service/child``."""
        self.sample()
        with self._lock:
            windows, self._windows = self._windows, {}
        return [
            {
                "service": name,
                "cpu_seconds": round(window.cpu - window.cpu_at_start, 3),
                "peak_rss_mb": round(window.peak_rss / 1_048_576, 1),
                "mean_rss_mb": round(window.rss_total / window.samples / 1_048_576, 1) if window.samples else 0.0,
                "open_connections": window.connections,
            }
            for name, window in sorted(windows.items())
        ]

    def sample(self) -> None:
        with self._lock:
            services = dict(self.services)
        named = [pair for service, pid in services.items() for pair in _named_processes(service, pid)]
        connections = network_connections(process for _, process in named)
        for name, process in named:
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    cpu = times.user + times.system
                    rss = process.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            with self._lock:
                window = self._windows.setdefault(name, _Window(cpu_at_start=cpu))
                window.add(cpu, rss, connections[process.pid])

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()


def network_connections(processes: Iterable[psutil.Process]) -> Counter[int]:
    """Open network connections (listening sockets included; Unix sockets not) per pid of `processes`.

    On Linux: the sockets among a process's open files, less the Unix and netlink sockets the kernel lists
    in ``/proc/net/unix`` and ``/proc/net/netlink``. psutil's ``net_connections`` reads ``/proc/net/tcp*``
    instead, for which the kernel walks its whole socket table (~5 ms a read here, however few sockets
    there are); elsewhere it is used.
    """
    pids = {process.pid for process in processes}
    local = _local_socket_inodes()
    if local is None:
        return _connections_by_psutil(pids)
    counts: Counter[int] = Counter()
    for pid in pids:
        counts[pid] = sum(1 for inode in _socket_inodes(pid) if inode not in local)
    return counts


def _local_socket_inodes() -> set[str] | None:
    """The inodes of the Unix and netlink sockets the kernel lists (cheap to read, unlike /proc/net/tcp)."""
    inodes: set[str] = set()
    try:
        for table, column in (("/proc/net/unix", 6), ("/proc/net/netlink", 9)):
            with open(table, encoding="ascii", errors="replace") as lines:
                next(lines, None)  # the header
                inodes.update(fields[column] for fields in map(str.split, lines) if len(fields) > column)
    except OSError:
        return None
    return inodes


def _socket_inodes(pid: int) -> list[str]:
    folder = f"/proc/{pid}/fd"
    inodes = []
    try:
        for fd in os.listdir(folder):
            try:
                target = os.readlink(f"{folder}/{fd}")
            except OSError:  # closed meanwhile
                continue
            if target.startswith("socket:["):
                inodes.append(target[8:-1])
    except OSError:  # gone, or not ours
        return []
    return inodes


def _connections_by_psutil(pids: set[int]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for pid in pids:
        try:
            counts[pid] = len(psutil.Process(pid).net_connections(kind="inet"))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return counts


def _named_processes(service: str, pid: int) -> list[tuple[str, psutil.Process]]:
    try:
        root = psutil.Process(pid)
        children = root.children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    named = [(service, root)]
    seen: dict[str, int] = {}
    for child in children:
        role = process_role(child)
        seen[role] = seen.get(role, 0) + 1
        named.append((f"{service}/{role}" + (f"#{seen[role]}" if seen[role] > 1 else ""), child))
    return named


def process_role(process: psutil.Process) -> str:
    """A child's name: the module of ``python -m x.y`` (``y``), the script of ``python app.py``, the program."""
    try:
        command = process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return str(process.pid)
    if "-m" in command[:-1]:
        return command[command.index("-m") + 1].rsplit(".", 1)[-1]
    if command and Path(command[0]).name.startswith("python") and len(command) > 1:
        return Path(command[1]).stem
    return Path(command[0]).name if command else str(process.pid)
