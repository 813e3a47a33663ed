"""The faults a proxy applies to the data of its connections, chunk by chunk and direction by direction.

A fault is what a test asked for (latency 300ms downstream); when a connection meets it, the fault
makes one `Effect` per direction it covers, which shapes each chunk into pieces: bytes due at a
monotonic time, or an action (close the connection, hold the data, answer the client). Randomness
(jitter, drops, toxicity) comes from a generator seeded by the fault's seed, the connection's serial
number and the direction, so the same traffic under the same seed meets the same faults.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Union

from .units import Direction, size_text, time_text


@dataclass(frozen=True)
class Close:
    """End the connection once the pieces before this one are sent."""


@dataclass(frozen=True)
class Hold:
    """Stop forwarding (the peer sees a hang) until `fault` is removed; then `rest` goes on its way."""

    fault: Fault
    rest: bytes


@dataclass(frozen=True)
class Answer:
    """Send `data` back to the client instead of forwarding a request; `close` ends the connection after."""

    data: bytes
    close: bool = False


Item = Union[bytes, Close, Hold, Answer]  # noqa: UP007 (a runtime alias: 3.10 needs Union)
Piece = tuple[float, Item]  # (monotonic time it is due, what)


@dataclass(eq=False)
class Fault:
    """One fault added to a proxy. Subclasses say what it does to a chunk (`effect`) and how it reads."""

    direction: Direction = Direction.DOWNSTREAM
    toxicity: float = 1.0
    seed: int = 0
    kind = "fault"
    applied: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def start(self, serial: int, way: Direction) -> Effect | None:
        """The fault's effect on one direction of connection `serial`, or None when it spares it."""
        if not self.direction.covers(way):
            return None
        rng = random.Random(f"{self.seed}:{serial}:{way.value}")
        if self.toxicity < 1 and rng.random() >= self.toxicity:
            return None
        return self.effect(rng)

    def effect(self, rng: random.Random) -> Effect:
        raise NotImplementedError

    def hit(self, times: int = 1) -> None:
        with self._lock:
            self.applied += times

    def describe(self) -> str:
        """What a log line says: ``latency 300ms downstream``, with toxicity when it is not 100%."""
        toxicity = f", toxicity {self.toxicity:.0%}" if self.toxicity < 1 else ""
        return f"{self.summary()} {self.direction.value}{toxicity}"

    def summary(self) -> str:
        return self.kind


class Effect:
    """A fault's state on one direction of one connection: turns pieces into pieces."""

    def __init__(self, fault: Fault, rng: random.Random):
        self.fault = fault
        self.rng = rng

    def shape(self, pieces: list[Piece]) -> list[Piece]:
        shaped: list[Piece] = []
        for due, item in pieces:
            if isinstance(item, bytes):
                shaped.extend(self.shape_bytes(due, item))
            else:
                shaped.append((due, item))
        return shaped

    def shape_bytes(self, due: float, data: bytes) -> list[Piece]:
        raise NotImplementedError


@dataclass(eq=False)
class Latency(Fault):
    delay: float = 0.0
    jitter: float = 0.0
    kind = "latency"

    def effect(self, rng: random.Random) -> Effect:
        return _Delaying(self, rng)

    def summary(self) -> str:
        jitter = f" ±{time_text(self.jitter)}" if self.jitter else ""
        return f"latency {time_text(self.delay)}{jitter}"


class _Delaying(Effect):
    fault: Latency

    def shape_bytes(self, due: float, data: bytes) -> list[Piece]:
        jitter = self.fault.jitter
        self.fault.hit()
        return [(due + max(0.0, self.fault.delay + (self.rng.uniform(-jitter, jitter) if jitter else 0.0)), data)]


@dataclass(eq=False)
class Bandwidth(Fault):
    rate: float = 1.0  # bytes per second
    kind = "bandwidth"

    def effect(self, rng: random.Random) -> Effect:
        return _Throttling(self, rng)

    def summary(self) -> str:
        return f"bandwidth {size_text(self.rate)}/s"


class _Throttling(Effect):
    """Each slice leaves when the link would have carried it: the rate holds over any stretch of time."""

    fault: Bandwidth

    def __init__(self, fault: Fault, rng: random.Random):
        super().__init__(fault, rng)
        self.free_at = 0.0

    def shape_bytes(self, due: float, data: bytes) -> list[Piece]:
        rate = self.fault.rate
        step = max(1, int(rate / 50))  # 20 ms of the rate per slice: smooth, yet few wake-ups
        pieces: list[Piece] = []
        for start in range(0, len(data), step):
            part = data[start : start + step]
            self.free_at = max(due, self.free_at) + len(part) / rate
            pieces.append((self.free_at, part))
        self.fault.hit()
        return pieces


@dataclass(eq=False)
class Slicing(Fault):
    size: int = 1
    delay: float = 0.0
    kind = "slice"

    def effect(self, rng: random.Random) -> Effect:
        return _Slicing(self, rng)

    def summary(self) -> str:
        return f"slice into {size_text(self.size)} every {time_text(self.delay)}"


class _Slicing(Effect):
    fault: Slicing

    def shape_bytes(self, due: float, data: bytes) -> list[Piece]:
        size, delay = self.fault.size, self.fault.delay
        self.fault.hit()
        return [
            (due + number * delay, data[start : start + size]) for number, start in enumerate(range(0, len(data), size))
        ]


@dataclass(eq=False)
class Drop(Fault):
    probability: float = 0.0
    kind = "drop"

    def effect(self, rng: random.Random) -> Effect:
        return _Dropping(self, rng)

    def summary(self) -> str:
        return f"drop {self.probability:.0%} of chunks"


class _Dropping(Effect):
    fault: Drop

    def shape_bytes(self, due: float, data: bytes) -> list[Piece]:
        if self.rng.random() < self.fault.probability:
            self.fault.hit()
            return []
        return [(due, data)]


class _Counting(Effect):
    """Lets the first `limit` bytes through, then hands the rest to `beyond`."""

    def __init__(self, fault: Fault, rng: random.Random, limit: int):
        super().__init__(fault, rng)
        self.left = limit

    def shape_bytes(self, due: float, data: bytes) -> list[Piece]:
        if len(data) <= self.left:
            self.left -= len(data)
            return [(due, data)]
        passed, rest, self.left = data[: self.left], data[self.left :], 0
        self.fault.hit()
        return [(due, passed), (due, self.beyond(rest))] if passed else [(due, self.beyond(rest))]

    def beyond(self, rest: bytes) -> Item:
        raise NotImplementedError


@dataclass(eq=False)
class CloseAfter(Fault):
    limit: int = 0
    kind = "close_after"

    def effect(self, rng: random.Random) -> Effect:
        return _Closing(self, rng, self.limit)

    def summary(self) -> str:
        return f"close after {size_text(self.limit)}"


class _Closing(_Counting):
    def beyond(self, rest: bytes) -> Item:
        return Close()


@dataclass(eq=False)
class Hang(Fault):
    after: int = 0
    kind = "hang"

    def effect(self, rng: random.Random) -> Effect:
        return _Hanging(self, rng, self.after)

    def summary(self) -> str:
        return f"hang after {size_text(self.after)}" if self.after else "hang"


class _Hanging(_Counting):
    def beyond(self, rest: bytes) -> Item:
        return Hold(self.fault, rest)


@dataclass(eq=False)
class Reset(Fault):
    """Connections meeting it are reset (RST) on the legs its direction names: downstream is the client's."""

    kind = "reset"

    def summary(self) -> str:
        return "reset"


@dataclass(eq=False)
class Cut(Fault):
    """The proxy refuses connections and has closed those it had."""

    kind = "cut"

    def describe(self) -> str:
        return "cut (connections refused)"
