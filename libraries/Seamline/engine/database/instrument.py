"""Timeline spans for a DB-API connection that Seamline did not open (DatabaseLibrary's).

`TracedConnection` stands in for the connection: its cursors record every ``execute``, ``executemany``
and ``callproc`` as an ``sql`` span (statement, rows, duration, alias), the way Seamline's own SQL keywords
record theirs (`spans.statement_span`); a span's rows and duration grow as its result is fetched. Anything
else (commit, rollback, autocommit, close, driver-specific attributes) goes to the connection unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from ..timeline import Span, Timeline
from .spans import statement_span


class TracedConnection:
    """A DB-API connection whose cursors put their statements on the timeline."""

    __slots__ = ("_alias", "_connection", "_target", "_timeline")

    def __init__(self, connection: Any, timeline: Timeline, target: str, alias: str):
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_timeline", timeline)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_alias", alias)

    def cursor(self, *args: Any, **kwargs: Any) -> TracedCursor:
        return TracedCursor(self._connection.cursor(*args, **kwargs), self._timeline, self._target, self._alias)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._connection, name, value)  # `connection.autocommit = True` reaches the driver

    def __enter__(self) -> TracedConnection:
        self._connection.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._connection.__exit__(*exc)


class TracedCursor:
    """A DB-API cursor that records each statement it runs as a span."""

    __slots__ = ("_alias", "_clock", "_cursor", "_span", "_target", "_timeline")

    def __init__(self, cursor: Any, timeline: Timeline, target: str, alias: str):
        object.__setattr__(self, "_cursor", cursor)
        object.__setattr__(self, "_timeline", timeline)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_alias", alias)
        object.__setattr__(self, "_span", None)
        object.__setattr__(self, "_clock", 0.0)

    def execute(self, operation: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(operation, lambda: self._cursor.execute(operation, *args, **kwargs))

    def executemany(self, operation: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(operation, lambda: self._cursor.executemany(operation, *args, **kwargs))

    def callproc(self, name: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(f"CALL {name}", lambda: self._cursor.callproc(name, *args, **kwargs))

    def fetchall(self) -> Any:
        rows = self._cursor.fetchall()
        self._fetched(len(rows) if rows is not None else 0)
        return rows

    def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        rows = self._cursor.fetchmany(*args, **kwargs)
        self._fetched(len(rows) if rows is not None else 0)
        return rows

    def fetchone(self) -> Any:
        row = self._cursor.fetchone()
        self._fetched(0 if row is None else 1)
        return row

    def __iter__(self) -> Iterator[Any]:
        for row in self._cursor:
            self._fetched(1)
            yield row

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._cursor, name, value)  # `cursor.arraysize = 100` reaches the driver

    def __enter__(self) -> TracedCursor:
        self._cursor.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._cursor.__exit__(*exc)

    def _run(self, statement: Any, action: Callable[[], Any]) -> Any:
        started, clock = time.time(), time.perf_counter()
        outcome = "ok"
        try:
            result = action()
        except BaseException as error:
            outcome = f"error: {type(error).__name__}"
            raise
        finally:
            reads = outcome == "ok" and self._cursor.description is not None
            changed = None if reads or outcome != "ok" else _count(self._cursor)
            span = statement_span(
                self._timeline,
                "query" if reads else "execute",
                self._target,
                " ".join(str(statement).split()),
                started,
                time.perf_counter() - clock,
                outcome,
                0 if reads else changed,
                alias=self._alias,
            )
            object.__setattr__(self, "_span", span if reads else None)
            object.__setattr__(self, "_clock", clock)
        return self if result is self._cursor else result  # sqlite3 returns the cursor: chained fetches stay traced

    def _fetched(self, count: int) -> None:
        span: Span | None = self._span
        if span is not None:
            span.duration = time.perf_counter() - self._clock
            span.attributes["rows"] += count


def _count(cursor: Any) -> int | None:
    """The rows a statement changed, when the driver knows (DB-API's rowcount is -1 when it does not)."""
    count = getattr(cursor, "rowcount", -1)
    return count if isinstance(count, int) and count >= 0 else None
