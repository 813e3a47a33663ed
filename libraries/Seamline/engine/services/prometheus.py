"""Resources of services Seamline did not start, read from their Prometheus ``/metrics`` endpoint.

The standard process collector's series (``process_cpu_seconds_total``, ``process_resident_memory_bytes``,
``process_open_fds``), parsed with prometheus-client's own parser (the ``metrics`` extra), give a test's
CPU seconds and resident memory the way a sampled local process does.
"""

from __future__ import annotations

import urllib.request
from typing import Any

from ..errors import SeamError

SERIES = {
    "process_cpu_seconds_total": "cpu",
    "process_resident_memory_bytes": "rss",
    "process_open_fds": "fds",
}


def scrape(url: str, timeout: float) -> dict[str, float]:
    """The process series of one endpoint as {cpu, rss, fds}; a SeamError names the endpoint that failed."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        raise SeamError(
            "Services", "scraping Prometheus needs prometheus-client: pip install 'robotframework-seamline[metrics]'"
        ) from None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            text = response.read(4_000_000).decode("utf-8", "replace")
    except (OSError, ValueError) as error:
        raise SeamError("Services", f"Prometheus endpoint {url} could not be read: {error}") from None
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in SERIES:
                values[SERIES[sample.name]] = values.get(SERIES[sample.name], 0.0) + float(sample.value)
    return values


def reading(service: str, before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    """A test's reading of a scraped service, in the shape sampled local processes have."""
    rss_mb = round(after.get("rss", 0.0) / 1_048_576, 1)
    return {
        "service": service,
        "cpu_seconds": round(after.get("cpu", 0.0) - before.get("cpu", 0.0), 3),
        "peak_rss_mb": max(rss_mb, round(before.get("rss", 0.0) / 1_048_576, 1)),
        "mean_rss_mb": rss_mb,
        "open_connections": None,  # a process collector counts file descriptors, not connections
        "open_fds": int(after.get("fds", 0)),
        "source": "prometheus",
    }
