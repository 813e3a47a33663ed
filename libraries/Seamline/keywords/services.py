"""Service control: start local processes, wait until they are ready, measure and stop them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from robot.api.deco import keyword

from ..engine.errors import SeamError
from ..engine.services.process import ResourceUsage, Service, ServiceManager
from ..engine.services.prometheus import reading, scrape
from ..engine.services.sampling import ResourceSampler
from .base import SeamKeywords

# How long a stopping service may take to exit after SIGTERM before it is killed: a fixed default, not the
# library timeout, because it bounds a shutdown rather than a wait for the system under test.
GRACE = "5s"
EXPECTED_LIMIT = 200


class ServiceKeywords(SeamKeywords):
    """Local processes of the system under test: start, readiness, resource usage, stop."""

    SEAM = "Services"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.services = ServiceManager()
        self.sampler = ResourceSampler()
        self._scraped: dict[str, tuple[str, dict[str, float]]] = {}  # service -> (url, reading at test start)

    # Resources per test: the listener opens a window at each test's start and reads it at its end.
    def begin_resource_window(self, prometheus: dict[str, str] | str | None) -> None:
        """``prometheus``: the ``${SEAMLINE_PROMETHEUS}`` variable, ``{service: url}`` or ``service=url,...``."""
        if isinstance(prometheus, str):
            prometheus = dict(pair.strip().split("=", 1) for pair in prometheus.split(",") if "=" in pair)
        if self.sampler.services:
            self.sampler.begin()
        self._scraped = {}
        for service, url in (prometheus or {}).items():
            try:
                self._scraped[service] = (url, scrape(url, min(self.ctx.timeout, 2.0)))
            except SeamError as error:
                self.warn(str(error))

    def end_resource_window(self, test: str) -> None:
        readings = self.sampler.end() if self.sampler.services else []
        for service, (url, before) in self._scraped.items():
            try:
                readings.append(reading(service, before, scrape(url, min(self.ctx.timeout, 2.0))))
            except SeamError as error:
                self.warn(str(error))
        for usage in readings:
            self.ctx.add_metric("resource_usage", {**usage, "test": test})

    @keyword
    def start_service(
        self,
        name: str,
        command: str | list[str],
        ready: str,
        timeout: timedelta | None = None,
        env: dict[str, Any] | None = None,
        cwd: str | None = None,
    ) -> Service:
        """Starts ``command`` as service ``name`` and waits until it is ready.

        ``ready`` says how to tell:
        - ``http://host:port/path`` — a GET answers with a status below 500;
        - ``tcp://host:port`` — the port accepts a connection;
        - ``log:<regex>`` — a line of the service's output (stdout and stderr) matches.

        ``env`` adds environment variables; values may be ``Secret``s (revealed to the process only).
        A leading ``python`` in ``command`` means the Python that runs Robot Framework.
        Fails, with the last lines of the service's output, when the process exits before it is
        ready or is not ready within ``timeout`` (the library's default timeout when not given; the
        process is then stopped).

        The service lives until the test or suite that started it ends (a suite setup: the whole
        suite), or until `Stop Service`.

        Returns the service: ``${svc.pid}``, ``${svc.ready_value}`` (the first group of a
        ``log:`` regex, else the matched line or the ready target).

        | ${svc} =  | `Start Service` | api | python -m http.server 8000 | ready=http://127.0.0.1:8000/ |
        | ${svc} =  | `Start Service` | app | python -m orderflow up | ready=log:ORDERFLOW READY (.*) | timeout=60s |
        """
        service = self.services.start(name, command, ready, self.seconds(timeout), self.masker.reveal_deep(env), cwd)
        self.sampler.watch(name, service.pid)
        self.ctx.add_cleanup(f"stop service {name}", lambda: self._stop_if_still_running(service))
        self.info(f"Service '{name}' (pid {service.pid}) is ready: {service.readiness}.")
        self.debug(f"Command: {' '.join(service.command)}")
        return service

    @keyword
    def stop_service(self, name: str, grace: timedelta | str = GRACE) -> int | None:
        """Stops service ``name``: SIGTERM to its process group, SIGKILL after ``grace`` (5 seconds by default).

        Records the service's resource usage for the run's metrics first. Returns its exit code.

        | `Stop Service` | api |
        | `Stop Service` | slow-to-exit | grace=20s |
        """
        self._record_usage(name)
        self.sampler.forget(name)
        code = self.services.stop(name, self._grace(grace))
        self.info(f"Service '{name}' stopped (exit code {code}).")
        return code

    @keyword
    def stop_all_services(self, grace: timedelta | str = GRACE) -> None:
        """Stops every service this library started, newest first; ``grace`` as in `Stop Service`.

        | [Teardown] | `Stop All Services` |
        """
        for name in reversed(list(self.services.services)):
            self.stop_service(name, grace)

    @keyword
    def get_service_resource_usage(self, name: str) -> ResourceUsage:
        """Returns what service ``name`` (its whole process tree) has used so far.

        Attributes: ``cpu_seconds``, ``peak_rss_bytes``, ``peak_rss_mb``, ``rss_bytes``,
        ``open_connections``, ``processes``. The reading is also kept for the run's metrics.

        | ${usage} = | `Get Service Resource Usage` | api |
        | Should Be True | ${usage.peak_rss_mb} < 200 |
        """
        usage = self._record_usage(name)
        if usage is None:
            raise SeamError(self.SEAM, f"'{name}' is not running")
        self.info(
            f"Service '{name}': {usage.cpu_seconds:.2f} s CPU, peak RSS {usage.peak_rss_mb} MB, "
            f"{usage.open_connections} open connections, {usage.processes} processes."
        )
        return usage

    @keyword
    def service_log_should_contain(self, name: str, expected: str, regex: bool = False, msg: str | None = None) -> str:
        """Fails unless the output of service ``name`` contains ``expected``; returns the matching line.

        With ``regex=True`` ``expected`` is a regular expression searched in each line. The failure
        shows the last lines of output; ``msg`` replaces that message.

        | `Service Log Should Contain` | orders | order created |
        | `Service Log Should Contain` | orders | status=(NEW|RESERVED) | regex=True | msg=no order status |
        """
        service = self.services.get(name)
        pattern = expected if regex else re.escape(expected)
        try:
            match = service.find(pattern)
        except re.error as error:
            raise SeamError(self.SEAM, f"'{expected}' is not a valid regular expression: {error}") from None
        if match is None:
            kind = "line matching" if regex else "line containing"
            wanted = self.cut(expected, EXPECTED_LIMIT)
            self.fail(f"output of '{name}' has no {kind} '{wanted}'. Last output:\n{self.cut(service.tail())}", msg)
        return match.string

    def _stop_if_still_running(self, service: Service) -> None:
        if self.services.services.get(service.name) is service:
            self.stop_service(service.name)

    def _grace(self, grace: timedelta | str) -> float:
        seconds = self.duration(grace, "grace")
        if seconds < 0:
            raise SeamError(self.SEAM, f"grace must be 0 seconds or more, got {seconds:g}s")
        return seconds

    def _record_usage(self, name: str) -> ResourceUsage | None:
        service = self.services.get(name)
        if not service.running:
            return None
        usage = self.services.usage(name)
        self.ctx.add_metric("resource_usage", usage.to_dict())
        return usage
