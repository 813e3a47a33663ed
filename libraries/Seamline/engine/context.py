"""What every seam shares during a run: masking, the timeline, timeouts, connections, cleanups, metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .connections import Connections
from .masking import Masker
from .schema.registry import SchemaRegistry
from .timeline import Span, Timeline
from .trace.receiver import TraceJoin

log = logging.getLogger(__name__)


def directories(given: str | Sequence[str] | None) -> tuple[Path, ...]:
    """An import argument naming one directory or several (``schemas=``, ``layouts=``), in search order."""
    names = [given] if isinstance(given, str) else list(given or ())
    return tuple(Path(name).expanduser() for name in names if name)


@dataclass
class Cleanup:
    """A registered action that runs at the end of the test (or suite) that registered it."""

    description: str
    action: Callable[[], Any]


@dataclass
class SeamContext:
    """The shared state of one Seamline library instance."""

    timeout: float = 10.0
    body_log_limit: int = 2000
    masker: Masker = field(default_factory=Masker)
    timeline: Timeline = field(default_factory=Timeline)
    connections: dict[str, Connections[Any]] = field(default_factory=dict)
    cleanups: list[list[Cleanup]] = field(default_factory=lambda: [[]])
    metrics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    finished_spans: list[tuple[str, list[Span]]] = field(default_factory=list)
    # JSON Schemas by name, shared by every seam: `ctx.schemas.validate(data, name)` lists violations.
    schemas: SchemaRegistry = field(default_factory=SchemaRegistry)
    # Where record layouts given by name are looked up (the `layouts` import argument), in order.
    layout_directories: tuple[Path, ...] = ()
    # Spans the systems under test export (`traces=` import argument, Start Trace Receiver); None: off.
    traces: TraceJoin | None = None

    def seam(self, name: str, opener_keyword: str, close: Callable[[Any], None] | None = None) -> Connections[Any]:
        """The connections of one seam, created on first use."""
        if name not in self.connections:
            self.connections[name] = Connections(name, opener_keyword, close)
        return self.connections[name]

    def add_cleanup(self, description: str, action: Callable[[], Any]) -> None:
        """Run `action` when the current test (or suite, outside a test) ends, pass or fail."""
        self.cleanups[-1].append(Cleanup(description, action))

    def enter_scope(self) -> None:
        self.cleanups.append([])

    def exit_scope(self) -> list[tuple[Cleanup, Exception]]:
        """Run the scope's cleanups, newest first; return those that failed instead of raising."""
        failures = []
        scope = self.cleanups.pop() if len(self.cleanups) > 1 else self.cleanups[0]
        while scope:
            cleanup = scope.pop()
            try:
                cleanup.action()
            except Exception as error:  # a cleanup must not hide the others
                failures.append((cleanup, error))
        return failures

    def add_metric(self, kind: str, values: dict[str, Any]) -> None:
        """Keep a measurement for the run's metrics file (resource usage, hop latency...)."""
        self.metrics.setdefault(kind, []).append(values)

    def close(self) -> None:
        if self.traces is not None:
            self.traces.source.close()
        for connections in self.connections.values():
            try:
                connections.close_all()
            except Exception as error:  # closing the rest matters more than one failed close
                log.warning("closing %s connections failed: %s", connections.seam, error)
