"""Seamline beside RequestsLibrary and DatabaseLibrary: their calls join the test's timeline, unchanged.

`CompatListener` is a second library listener, registered when the ``instrument`` import argument names a
library. It looks at each keyword of an instrumented library as it starts (Robot's listener API v3
``start_library_keyword``, whose ``implementation.owner.instance`` is the library instance) and wraps what
that library will use before the keyword uses it:

- RequestsLibrary: each session it created gets a `TracedAdapter` on every mounted transport adapter (the
  public adapter interface of requests), so every request carries a correlation id and ``traceparent`` and
  is an ``http`` span filled as `Call Api` fills its own. Its sessionless keywords (``GET``, ``POST``...)
  send through a session requests makes and drops inside the call: their response becomes a span when the
  keyword ends, without trace headers.
- DatabaseLibrary: the DB-API connection of each of its aliases is replaced by a `TracedConnection`, whose
  cursors record every statement as an ``sql`` span.

Two private attributes are read, both pinned for the supported versions by tests/unit/test_compat_hooks.py:
RequestsLibrary's session cache (``_cache``, a Robot ``ConnectionCache``, 0.9.x) and DatabaseLibrary's
connections by alias (``connection_store._connections``, 2.x). Masking needs nothing here: the main listener
masks every message of the run, theirs included. Nothing imports either library.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .engine.api.instrument import trace_session
from .engine.api.spans import record_response
from .engine.context import SeamContext
from .engine.database.instrument import TracedConnection
from .keywords.base import SeamFailure

INSTRUMENTABLE = ("RequestsLibrary", "DatabaseLibrary")
# RequestsLibrary's keywords that send without a session of its own (RequestsKeywords).
SESSIONLESS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def instrumented_libraries(instrument: bool | str | Sequence[str]) -> tuple[str, ...]:
    """The libraries the ``instrument`` import argument names: all (True), none (False), or a list of names."""
    if instrument is True:
        return INSTRUMENTABLE
    if instrument is False or instrument is None:
        return ()
    names = instrument.split(",") if isinstance(instrument, str) else list(instrument)
    chosen = []
    for name in (str(name).strip() for name in names):
        known = next((library for library in INSTRUMENTABLE if library.lower() == name.lower()), None)
        if known is None and name:
            raise SeamFailure(
                f"instrument: Seamline instruments {' and '.join(INSTRUMENTABLE)}, not '{name}' "
                "(True for both, False for none)"
            )
        if known and known not in chosen:
            chosen.append(known)
    return tuple(chosen)


class CompatListener:
    """Robot's listener API v3: instruments RequestsLibrary and DatabaseLibrary as their keywords start."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, ctx: SeamContext, libraries: Sequence[str]):
        self.ctx = ctx
        hooks: dict[str, Callable[[Any, str], None]] = {
            "RequestsLibrary": self._before_requests,
            "DatabaseLibrary": self._before_database,
        }
        self._hooks = {name: hooks[name] for name in libraries}
        # Each library of the run, once looked at: its hook, or None for one Seamline leaves alone.
        self._owners: dict[Any, Callable[[Any, str], None] | None] = {}
        # The response a sessionless RequestsLibrary keyword found when it started (it replaces it when it sends).
        self._sessionless: tuple[Any, Any] | None = None

    def start_library_keyword(self, data: Any, implementation: Any, result: Any) -> None:
        owner = implementation.owner
        try:
            hook = self._owners[owner]
        except KeyError:
            hook = self._owners[owner] = self._hooks.get(_package_of(owner.instance))
        if hook is not None:
            hook(owner.instance, implementation.name)

    def end_library_keyword(self, data: Any, implementation: Any, result: Any) -> None:
        if self._sessionless is None:
            return
        instance, before = self._sessionless
        self._sessionless = None
        response = getattr(instance, "last_response", None)
        if response is not None and response is not before and hasattr(response, "request"):
            record_response(self.ctx.timeline, self.ctx.masker, response)

    def _before_requests(self, library: Any, keyword: str) -> None:
        for session in getattr(library, "_cache", ()):
            trace_session(session, self.ctx.timeline, self.ctx.masker)
        if keyword in SESSIONLESS:
            self._sessionless = (library, getattr(library, "last_response", None))

    def _before_database(self, library: Any, keyword: str) -> None:
        store = getattr(library, "connection_store", None)
        for alias, connection in getattr(store, "_connections", {}).items():
            if not isinstance(connection.client, TracedConnection):
                target = f"{connection.module_name} {alias}"
                connection.client = TracedConnection(connection.client, self.ctx.timeline, target, alias)


def _package_of(instance: Any) -> str:
    """The top-level package of a library instance's class: `RequestsLibrary` whatever name it was imported as."""
    return type(instance).__module__.partition(".")[0]
