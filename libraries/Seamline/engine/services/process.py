"""Local processes under test: start, wait until ready (HTTP, TCP or a log line), measure, stop."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from ..errors import SeamError
from ..values import cut
from ..waiting import WaitTimedOut, poll
from .sampling import network_connections

SEAM = "Services"
OUTPUT_LINES_KEPT = 5000
TAIL_LINES = 20
# A failure shows the last lines of output; one very long line must not flood the log.
TAIL_LIMIT = 2000
# A readiness probe gets at most PROBE_SECONDS, and never more than the wait has left (but at least MIN_...).
PROBE_SECONDS = 1.0
MIN_PROBE_SECONDS = 0.05


@dataclass(frozen=True)
class Readiness:
    """How to tell that a service is ready: `http://...`, `tcp://host:port` or `log:<regex>`."""

    kind: str
    target: str

    @classmethod
    def parse(cls, spec: str) -> Readiness:
        if spec.startswith(("http://", "https://")):
            return cls("http", spec)
        if spec.startswith("tcp://"):
            host, _, port = spec[len("tcp://") :].rpartition(":")
            if not host or not port.isdigit():
                raise SeamError(SEAM, f"ready '{spec}' must look like tcp://host:port")
            return cls("tcp", spec[len("tcp://") :])
        if spec.startswith("log:"):
            try:
                re.compile(spec[4:])
            except re.error as error:
                raise SeamError(SEAM, f"ready '{spec}' is not a valid regular expression: {error}") from None
            return cls("log", spec[4:])
        raise SeamError(SEAM, f"ready '{spec}' must start with http://, https://, tcp:// or log:")

    def __str__(self) -> str:
        return f"log line /{self.target}/" if self.kind == "log" else self.target


@dataclass
class ResourceUsage:
    """What a service (its whole process tree) has used so far."""

    name: str
    cpu_seconds: float
    peak_rss_bytes: int
    rss_bytes: int
    open_connections: int
    processes: int

    @property
    def peak_rss_mb(self) -> float:
        return round(self.peak_rss_bytes / 1_048_576, 1)

    def to_dict(self) -> dict[str, float | int | str]:
        return {
            "name": self.name,
            "cpu_seconds": round(self.cpu_seconds, 3),
            "peak_rss_bytes": self.peak_rss_bytes,
            "rss_bytes": self.rss_bytes,
            "open_connections": self.open_connections,
            "processes": self.processes,
        }


@dataclass
class Service:
    """A started process, its output and the readiness it reached."""

    name: str
    command: list[str]
    process: subprocess.Popen[str]
    readiness: Readiness
    output: deque[str] = field(default_factory=lambda: deque(maxlen=OUTPUT_LINES_KEPT))
    ready_line: str | None = None
    ready_groups: tuple[str | None, ...] = ()
    _lines_seen: threading.Condition = field(default_factory=threading.Condition)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    @property
    def ready_value(self) -> str:
        """The first group of the ready regex when it has one, else the ready line or target."""
        if self.ready_groups and self.ready_groups[0] is not None:
            return self.ready_groups[0]
        return self.ready_line or self.readiness.target

    def tail(self, lines: int = TAIL_LINES) -> str:
        kept = list(self.output)[-lines:]
        return cut("\n".join(kept), TAIL_LIMIT) if kept else "(no output)"

    def find(self, pattern: str) -> re.Match[str] | None:
        regex = re.compile(pattern)
        for line in list(self.output):
            match = regex.search(line)
            if match:
                return match
        return None

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lines_seen:
                self.output.append(line.rstrip("\n"))
                self._lines_seen.notify_all()


def resolve_command(command: str | Sequence[str]) -> list[str]:
    """Split a command line; a leading `python`/`python3` means the Python running Seamline."""
    parts = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
    if not parts:
        raise SeamError(SEAM, "command is empty")
    if parts[0] in ("python", "python3"):
        parts[0] = sys.executable
    return parts


class ServiceManager:
    """The services started by one library instance, by name."""

    def __init__(self) -> None:
        self.services: dict[str, Service] = {}

    def get(self, name: str) -> Service:
        if name not in self.services:
            known = ", ".join(sorted(self.services)) or "none"
            raise SeamError(SEAM, f"no service '{name}' started (started: {known})")
        return self.services[name]

    def start(
        self,
        name: str,
        command: str | Sequence[str],
        ready: str,
        timeout: float,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> Service:
        if name in self.services and self.services[name].running:
            raise SeamError(SEAM, f"'{name}' is already running (pid {self.services[name].pid}); stop it first")
        readiness = Readiness.parse(ready)
        argv = resolve_command(command)
        if cwd is not None and not Path(cwd).is_dir():
            raise SeamError(SEAM, f"'{name}': working directory '{cwd}' does not exist")
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **{k: str(v) for k, v in (env or {}).items()}}
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                env=full_env,
                cwd=cwd,
                start_new_session=True,
            )
        except OSError as error:
            raise SeamError(SEAM, f"'{name}': cannot start '{shlex.join(argv)}': {error.strerror or error}") from None
        service = Service(name, argv, process, readiness)
        threading.Thread(target=service._read_output, name=f"seamline-{name}-output", daemon=True).start()
        self.services[name] = service
        try:
            self._wait_ready(service, timeout)
        except SeamError:
            self._terminate(service, grace=1.0)
            raise
        return service

    def _wait_ready(self, service: Service, timeout: float) -> None:
        check = _READINESS_CHECKS[service.readiness.kind]
        deadline = time.monotonic() + timeout

        def probe() -> bool:
            if not service.running:
                service.process.wait()
                time.sleep(0.05)  # let the reader thread take the last lines
                raise SeamError(
                    SEAM,
                    f"'{service.name}' exited with code {service.process.returncode} before it was ready "
                    f"({service.readiness}). Last output:\n{service.tail()}",
                )
            # One probe never outlasts the wait: a peer that accepts and never answers gets the time left.
            return check(service, max(MIN_PROBE_SECONDS, min(PROBE_SECONDS, deadline - time.monotonic())))

        try:
            poll(probe, bool, timeout=timeout, interval=0.05)
        except WaitTimedOut:
            raise SeamError(
                SEAM,
                f"'{service.name}' not ready ({service.readiness}) within {timeout:g}s; stopped it. "
                f"Last output:\n{service.tail()}",
            ) from None

    def stop(self, name: str, grace: float = 5.0) -> int | None:
        """Stop a service (SIGTERM to its process group, SIGKILL after `grace`); return its exit code."""
        service = self.get(name)
        del self.services[name]
        return self._terminate(service, grace)

    def stop_all(self, grace: float = 5.0) -> None:
        for name in list(self.services):
            self.stop(name, grace)

    @staticmethod
    def _terminate(service: Service, grace: float) -> int | None:
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            if not service.running:
                break
            try:
                os.killpg(service.pid, sig)
            except ProcessLookupError:
                break
            try:
                service.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        return service.process.returncode

    def usage(self, name: str) -> ResourceUsage:
        service = self.get(name)
        try:
            root = psutil.Process(service.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            raise SeamError(SEAM, f"'{name}' is not running") from None
        cpu = peak = rss = 0.0
        alive = 0
        connections = network_connections(tree)
        for process in tree:
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    cpu += times.user + times.system
                    memory = process.memory_info()
                    rss += memory.rss
                    # VmHWM is read a moment after the RSS: a process still growing may already be above it.
                    peak += max(_peak_rss(process.pid) or 0, memory.rss)
                    alive += 1
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return ResourceUsage(name, cpu, int(peak), int(rss), sum(connections.values()), alive)


def _peak_rss(pid: int) -> int | None:
    """The high-water mark of resident memory (Linux VmHWM); None where the OS does not say."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _http_ready(service: Service, seconds: float) -> bool:
    try:
        with urllib.request.urlopen(service.readiness.target, timeout=seconds) as response:
            return bool(response.status < 500)
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (OSError, ValueError):
        return False


def _tcp_ready(service: Service, seconds: float) -> bool:
    host, _, port = service.readiness.target.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=seconds):
            return True
    except OSError:
        return False


def _log_ready(service: Service, seconds: float) -> bool:
    match = service.find(service.readiness.target)
    if match is None:
        with service._lines_seen:
            service._lines_seen.wait(timeout=min(seconds, MIN_PROBE_SECONDS))
        return False
    service.ready_line = match.string
    service.ready_groups = match.groups()
    return True


_READINESS_CHECKS = {"http": _http_ready, "tcp": _tcp_ready, "log": _log_ready}
