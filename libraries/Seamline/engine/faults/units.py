"""The arguments fault keywords take as text: directions, byte counts, rates, probabilities, addresses."""

from __future__ import annotations

import enum
import re

from ..errors import SeamError

SEAM = "Faults"

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b|bytes?)?\s*$", re.IGNORECASE)
_MULTIPLIERS = {"": 1, "b": 1, "byte": 1, "bytes": 1, "k": 1000, "m": 1000**2, "g": 1000**3}


class Direction(enum.Enum):
    """Which way data flows through a proxy: upstream is client to server, downstream server to client."""

    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    BOTH = "both"

    def covers(self, way: Direction) -> bool:
        return self is Direction.BOTH or self is way


def direction_of(value: str | Direction) -> Direction:
    if isinstance(value, Direction):
        return value
    try:
        return Direction(str(value).strip().lower())
    except ValueError:
        raise SeamError(SEAM, f"direction '{value}' must be downstream, upstream or both") from None


def size_of(value: int | str, name: str) -> int:
    """A byte count: ``1500``, ``64KB``, ``1.5 MB``, ``2MiB`` (KB = 1000 bytes, KiB = 1024)."""
    if isinstance(value, int) and not isinstance(value, bool):
        count = value
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise SeamError(SEAM, f"{name} '{value}' is not a byte count (1500, 64KB, 1.5MB, 2MiB)")
        number, unit = float(match.group(1)), (match.group(2) or "").lower()
        if unit in _MULTIPLIERS:
            count = int(number * _MULTIPLIERS[unit])
        else:  # kb, kib, mb, mib, ...: the first letter gives the power, an i makes it binary
            power = "kmg".index(unit[0]) + 1
            count = int(number * ((1024 if "i" in unit else 1000) ** power))
    if count < 0:
        raise SeamError(SEAM, f"{name} must be 0 or more, got {count}")
    return count


def rate_of(value: int | float | str) -> float:
    """Bytes per second: ``50000``, ``100KB/s``, ``1 MB/s``, ``1MiB/s``; more than zero."""
    text = str(value).strip()
    if text.lower().endswith("/s"):
        text = text[:-2]
    try:
        rate = float(text)
    except ValueError:
        if not _SIZE.match(text):
            raise SeamError(SEAM, f"rate '{value}' is not bytes per second (50000, 100KB/s, 1MB/s)") from None
        rate = float(size_of(text, "rate"))
    if rate <= 0:
        raise SeamError(SEAM, f"rate must be more than 0 bytes/s, got {value}")
    return rate


def probability_of(value: float | str, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SeamError(SEAM, f"{name} '{value}' must be a number from 0 to 1") from None
    if not 0 <= number <= 1:
        raise SeamError(SEAM, f"{name} must be from 0 to 1, got {number:g}")
    return number


def address_of(value: str, name: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:80`` for IPv6) as a (host, port) pair."""
    text = str(value).strip()
    host, _, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SeamError(SEAM, f"{name} '{value}' must be host:port, e.g. 127.0.0.1:8080")
    return host, int(port)


def size_text(count: float) -> str:
    """A byte count for people: 512 B, 64 KB, 1.5 MB."""
    for unit, size in (("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count:.0f} B"


def time_text(seconds: float) -> str:
    """A duration as Robot writes it: 250ms, 1.5s."""
    return f"{seconds * 1000:g}ms" if seconds < 1 else f"{seconds:g}s"
