"""Network faults between services: an embedded TCP proxy per link, with faults scoped to a test."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from robot.api.deco import keyword

from ..engine.connections import normalize_alias
from ..engine.errors import SeamError
from ..engine.faults import (
    Bandwidth,
    CloseAfter,
    Cut,
    Drop,
    Fault,
    FaultProxy,
    Hang,
    HttpDelay,
    HttpFailure,
    Latency,
    Reset,
    Slicing,
    address_of,
    direction_of,
    probability_of,
    rate_of,
    size_of,
)
from ..engine.faults.units import time_text
from .base import SeamKeywords


class FaultKeywords(SeamKeywords):
    """Fault proxies: put one on a link, slow, throttle, cut, reset or hang it, fail its HTTP requests."""

    SEAM = "Faults"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.proxies: dict[str, FaultProxy] = {}

    @keyword
    def start_fault_proxy(
        self, name: str, upstream: str, listen: str = "127.0.0.1:0", timeout: timedelta | None = None
    ) -> str:
        """Starts fault proxy ``name`` forwarding to ``upstream`` (``host:port``); returns its ``host:port``.

        ``listen`` is where it listens (port 0: any free port). Point the client (a service's configured
        upstream address) at the returned address. ``timeout`` bounds each connection to the upstream.
        The proxy stops at the end of the test that started it (a suite setup: the suite), or at
        `Stop Fault Proxy`.

        | ${address} = | `Start Fault Proxy` | inventory | upstream=127.0.0.1:8002 |
        """
        key = normalize_alias(name)
        if key in self.proxies:
            raise SeamError(self.SEAM, f"proxy '{name}' is already running on {self.proxies[key].listen_text}")
        proxy = FaultProxy(
            name,
            address_of(upstream, "upstream"),
            address_of(listen, "listen"),
            timeline=self.timeline,
            connect_timeout=self.seconds(timeout),
        )
        self.proxies[key] = proxy
        self.ctx.add_cleanup(f"stop fault proxy {name}", lambda: self._stop_if_running(proxy))
        self.info(f"Fault proxy '{name}' listens on {proxy.listen_text} and forwards to {proxy.upstream_text}.")
        return proxy.listen_text

    @keyword
    def stop_fault_proxy(self, name: str) -> None:
        """Stops fault proxy ``name``: its listener and every connection through it close at once.

        | `Stop Fault Proxy` | inventory |
        """
        proxy = self._proxy(name)
        self._log_events(proxy)
        active = proxy.faults
        proxy.stop()
        del self.proxies[normalize_alias(name)]
        left = f" with faults still on: {self._list(active)}" if active else ""
        self.info(f"Fault proxy '{proxy.name}' stopped{left}.")

    @keyword
    def stop_all_fault_proxies(self) -> None:
        """Stops every fault proxy started, e.g. in a teardown.

        | [Teardown] | `Stop All Fault Proxies` |
        """
        for proxy in list(self.proxies.values()):
            self.stop_fault_proxy(proxy.name)

    @keyword
    def add_latency(
        self,
        name: str,
        delay: timedelta,
        jitter: timedelta | str = "0s",
        direction: str = "downstream",
        toxicity: float = 1.0,
        for_: timedelta | None = None,
        seed: int | None = None,
    ) -> None:
        """Delays every chunk of data through proxy ``name`` by ``delay``, ± a random ``jitter``.

        ``direction`` is downstream (server to client, the default), upstream (client to server) or both.
        ``toxicity`` is the share of connections affected (0 to 1). With ``for`` the fault removes
        itself after that time; ``seed`` repeats the randomness of a run (the log shows the seed used).

        | `Add Latency` | inventory | 300ms | jitter=20ms | direction=both | for=10s |
        """
        jitter_seconds = self.duration(jitter, "jitter")
        self._add(
            name,
            Latency(delay=self._positive(delay, "delay"), jitter=jitter_seconds),
            direction,
            toxicity,
            for_,
            seed,
        )

    @keyword
    def limit_bandwidth(
        self,
        name: str,
        rate: str,
        direction: str = "downstream",
        toxicity: float = 1.0,
        for_: timedelta | None = None,
        seed: int | None = None,
    ) -> None:
        """Limits the data through proxy ``name`` to ``rate`` bytes per second (``50000``, ``100KB/s``, ``1MiB/s``).

        ``direction``, ``toxicity``, ``for`` and ``seed`` as in `Add Latency`.

        | `Limit Bandwidth` | reports | 100KB/s |
        """
        self._add(name, Bandwidth(rate=rate_of(rate)), direction, toxicity, for_, seed)

    @keyword
    def cut_connections(self, name: str, for_: timedelta | None = None) -> None:
        """Cuts the link: proxy ``name`` closes its connections and refuses new ones until `Restore Connections`.

        With ``for`` the link comes back by itself after that time.

        | `Cut Connections` | ledger | for=3s |
        """
        self._add(name, Cut(), "both", 1.0, for_, 0)

    @keyword
    def restore_connections(self, name: str) -> None:
        """Ends a cut of proxy ``name``: it accepts connections again, on the same address.

        | `Restore Connections` | ledger |
        """
        proxy = self._proxy(name)
        cuts = [fault for fault in proxy.faults if isinstance(fault, Cut)]
        if not cuts:
            self.info(f"Proxy '{proxy.name}' was not cut.")
        for fault in cuts:
            proxy.remove(fault)
        if cuts:
            self.info(f"Proxy '{proxy.name}': connections restored; listening on {proxy.listen_text}.")

    @keyword
    def reset_connections(self, name: str, direction: str = "both", for_: timedelta | None = None) -> None:
        """Resets (TCP RST) the connections open through proxy ``name``; with ``for``, new ones too for that time.

        ``direction`` names who sees the reset: downstream (the client), upstream (the server) or
        both (the default).

        | `Reset Connections` | database |
        | `Reset Connections` | database | direction=downstream | for=2s |
        """
        self._add(name, Reset(), direction, 1.0, for_, 0)

    @keyword
    def hang_connections(
        self,
        name: str,
        after: int | str = 0,
        direction: str = "downstream",
        toxicity: float = 1.0,
        for_: timedelta | None = None,
        seed: int | None = None,
    ) -> None:
        """Lets ``after`` bytes through proxy ``name`` (``0``, ``512``, ``4KB``), then forwards nothing: a timeout.

        Connections stay open and data waits in the proxy (the peer is held back by TCP) until the
        fault is removed (`Remove Faults`, ``for`` over), then it flows on. ``after`` counts on each
        connection from when it meets the fault. ``direction``, ``toxicity``, ``for`` and ``seed`` as in
        `Add Latency`.

        | `Hang Connections` | inventory |
        | `Hang Connections` | inventory | after=100 | for=5s |
        """
        self._add(name, Hang(after=size_of(after, "after")), direction, toxicity, for_, seed)

    @keyword
    def close_after_bytes(
        self,
        name: str,
        bytes: int | str,
        direction: str = "downstream",
        toxicity: float = 1.0,
        for_: timedelta | None = None,
        seed: int | None = None,
    ) -> None:
        """Closes each connection through proxy ``name`` once ``bytes`` (``1000``, ``64KB``) have passed.

        ``bytes`` count on each connection from when it meets the fault. ``direction``, ``toxicity``,
        ``for`` and ``seed`` as in `Add Latency`.

        | `Close After Bytes` | reports | 64KB |
        """
        self._add(name, CloseAfter(limit=size_of(bytes, "bytes")), direction, toxicity, for_, seed)

    @keyword
    def slice_data(
        self,
        name: str,
        size: int | str,
        delay: timedelta,
        direction: str = "downstream",
        toxicity: float = 1.0,
        for_: timedelta | None = None,
        seed: int | None = None,
    ) -> None:
        """Splits data through proxy ``name`` into pieces of ``size`` bytes sent ``delay`` apart.

        Finds clients that assume one read returns one message. ``direction``, ``toxicity``,
        ``for`` and ``seed`` as in `Add Latency`.

        | `Slice Data` | orders | 10 | 5ms |
        """
        pieces = size_of(size, "size")
        if pieces < 1:
            raise SeamError(self.SEAM, "size must be 1 byte or more, got 0")
        self._add(name, Slicing(size=pieces, delay=self.duration(delay, "delay")), direction, toxicity, for_, seed)

    @keyword
    def drop_data(
        self,
        name: str,
        probability: float | str,
        direction: str = "downstream",
        for_: timedelta | None = None,
        seed: int | None = None,
    ) -> None:
        """Drops each chunk of data through proxy ``name`` with ``probability`` (0 to 1): loss the stream notices.

        A dropped chunk is gone (TCP does not resend it), so the peer sees a gap: what a lossy link
        does to a protocol that cannot tell. ``direction``, ``for`` and ``seed`` as in `Add Latency`.

        | `Drop Data` | broker | 0.1 | seed=7 |
        """
        self._add(name, Drop(probability=probability_of(probability, "probability")), direction, 1.0, for_, seed)

    @keyword
    def fail_http_requests(
        self,
        name: str,
        status: int = 503,
        count: int | None = None,
        path: str = "",
        body: str = "",
        headers: dict[str, str] | None = None,
        for_: timedelta | None = None,
    ) -> None:
        """Answers HTTP requests through proxy ``name`` with ``status`` itself instead of forwarding them.

        ``count`` answers the next that many matching requests (every one when not given); ``path``
        is a glob on the request path (``/api/orders*``; every path when not given); ``body`` and
        ``headers`` (a dictionary) make the answer. Other requests, and non-HTTP data, pass unchanged.
        With ``for`` the fault removes itself after that time.

        | `Fail Http Requests` | gateway | status=503 | count=3 | path=/api/orders* | headers={"Retry-After": "1"} |
        """
        if not 100 <= status <= 599:
            raise SeamError(self.SEAM, f"status must be from 100 to 599, got {status}")
        failure = HttpFailure(
            status=status, count=self._count(count), path=path, body=body.encode("utf-8"), headers=dict(headers or {})
        )
        self._add(name, failure, "upstream", 1.0, for_, 0)

    @keyword
    def delay_http_requests(
        self, name: str, delay: timedelta, path: str = "", count: int | None = None, for_: timedelta | None = None
    ) -> None:
        """Holds each matching HTTP request through proxy ``name`` back by ``delay`` before forwarding it.

        ``path`` and ``count`` as in `Fail Http Requests`.

        | `Delay Http Requests` | gateway | 2s | path=/api/reports/* |
        """
        self._add(
            name,
            HttpDelay(delay=self._positive(delay, "delay"), path=path, count=self._count(count)),
            "upstream",
            1.0,
            for_,
            0,
        )

    @keyword
    def remove_faults(self, name: str) -> int:
        """Removes every fault of proxy ``name`` (a cut included: connections are accepted again); returns how many.

        | `Remove Faults` | inventory |
        """
        proxy = self._proxy(name)
        self._log_events(proxy)
        removed = proxy.remove_all()
        self.info(f"Proxy '{proxy.name}': removed {self._list(removed) if removed else 'no faults (none active)'}.")
        return len(removed)

    @keyword
    def get_proxy_stats(self, name: str) -> dict[str, Any]:
        """Returns what went through proxy ``name``: ``connections`` (``total``, ``open``), ``bytes_upstream``,
        ``bytes_downstream``, ``faults_applied`` (times, by kind) and ``active_faults``.

        ``faults_applied`` counts chunks for data faults, requests for HTTP faults and connections for
        ``cut`` and ``reset``.

        | ${stats} = | `Get Proxy Stats` | inventory |
        | Should Be Equal As Integers | ${stats}[faults_applied][http_fail] | 3 |
        """
        proxy = self._proxy(name)
        self._log_events(proxy)
        stats = proxy.stats()
        self.info(f"Proxy '{proxy.name}': {stats}")
        return stats

    def log_active_faults(self, passed: bool) -> None:
        """At the end of a test: which faults were on (a failure may be theirs), and what ended by itself."""
        for proxy in self.proxies.values():
            self._log_events(proxy)
        active = [
            f"proxy '{proxy.name}': {fault.describe()}" for proxy in self.proxies.values() for fault in proxy.faults
        ]
        if active:
            when = "passed" if passed else "failed"
            self.info(f"Faults on when the test {when}: {'; '.join(active)}.")

    # Helpers.
    def _add(
        self,
        name: str,
        fault: Fault,
        direction: str,
        toxicity: float | str,
        for_: timedelta | None,
        seed: int | None,
    ) -> None:
        proxy = self._proxy(name)
        self._log_events(proxy)
        fault.direction = direction_of(direction)
        fault.toxicity = probability_of(toxicity, "toxicity")
        fault.seed = random.SystemRandom().randrange(1, 1_000_000) if seed is None else seed
        seconds = None if for_ is None else self._positive(for_, "for")
        proxy.add(fault, seconds)
        lasting = f" for {time_text(seconds)}" if seconds is not None else ""
        seeded = f" (seed={fault.seed})" if seed is None and _random(fault) else ""
        self.info(f"Proxy '{proxy.name}': {fault.describe()}{lasting}{seeded}.")
        if isinstance(fault, Reset) and seconds is None:
            return  # done already: there is nothing left to remove
        self.ctx.add_cleanup(
            f"remove {fault.describe()} from proxy {proxy.name}", lambda: self._end_of_scope(proxy, fault)
        )

    def _end_of_scope(self, proxy: FaultProxy, fault: Fault) -> None:
        self._log_events(proxy)
        if not proxy.stopped and proxy.remove(fault):
            self.info(f"Proxy '{proxy.name}': {fault.describe()} was still on at the end; removed it.")

    def _stop_if_running(self, proxy: FaultProxy) -> None:
        if self.proxies.get(normalize_alias(proxy.name)) is proxy:
            self.stop_fault_proxy(proxy.name)

    def _log_events(self, proxy: FaultProxy) -> None:
        for event in proxy.take_events():
            self.info(f"Proxy '{proxy.name}': {event}.")

    def _proxy(self, name: str) -> FaultProxy:
        proxy = self.proxies.get(normalize_alias(name))
        if proxy is None:
            started = ", ".join(sorted(proxy.name for proxy in self.proxies.values())) or "none"
            raise SeamError(self.SEAM, f"no fault proxy '{name}' started (started: {started})")
        return proxy

    def _positive(self, value: timedelta | float | str, name: str) -> float:
        seconds = self.duration(value, name)
        if seconds <= 0:
            raise SeamError(self.SEAM, f"{name} must be more than 0 seconds, got {seconds:g}s")
        return seconds

    def _count(self, count: int | None) -> int | None:
        if count is not None and count < 1:
            raise SeamError(self.SEAM, f"count must be 1 or more, got {count}")
        return count

    @staticmethod
    def _list(faults: list[Fault]) -> str:
        return ", ".join(fault.describe() for fault in faults)


def _random(fault: Fault) -> bool:
    """Whether the fault draws random numbers (so its seed is worth logging)."""
    return fault.toxicity < 1 or (isinstance(fault, Latency) and fault.jitter > 0) or isinstance(fault, Drop)
