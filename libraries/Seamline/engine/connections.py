"""Open connections of one kind, by alias; the last opened is the current one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from .errors import SeamError

C = TypeVar("C")


def normalize_alias(alias: str) -> str:
    """An alias as Robot's ConnectionCache matches it: case, spaces and underscores ignored."""
    return "".join(str(alias).split()).replace("_", "").lower()


class Connections(Generic[C]):
    """Aliases to connections of one seam (HTTP sessions, SQL connections, SSH clients, brokers)."""

    def __init__(self, seam: str, opener_keyword: str, close: Callable[[C], None] | None = None):
        self.seam = seam
        self.opener_keyword = opener_keyword
        self._close = close
        self._by_alias: dict[str, C] = {}
        self._names: dict[str, str] = {}  # normalised alias -> the alias as first written
        self.current: str | None = None

    def add(self, alias: str, connection: C) -> C:
        """Register `connection` as `alias` (closing what had that alias) and make it current."""
        if alias in self:
            self.close(alias)
        key = normalize_alias(alias)
        self._by_alias[key] = connection
        self._names[key] = alias
        self.current = key
        return connection

    def get(self, alias: str | None = None) -> C:
        name = normalize_alias(alias) if alias else self.current
        if name is None or name not in self._by_alias:
            wanted = f"'{alias}'" if alias else "open"
            raise SeamError(
                self.seam, f"no {wanted} connection ({self._open_aliases()}); open one with `{self.opener_keyword}`"
            )
        return self._by_alias[name]

    def switch(self, alias: str) -> C:
        connection = self.get(alias)
        self.current = normalize_alias(alias)
        return connection

    def close(self, alias: str | None = None) -> None:
        """Close `alias` (the current connection by default; nothing open is fine).

        An alias that is not open fails: a misspelt alias would otherwise leave the real connection open.
        """
        name = normalize_alias(alias) if alias else self.current
        if name is None:
            return
        if name not in self._by_alias:
            raise SeamError(self.seam, f"no '{alias}' connection to close ({self._open_aliases()})")
        connection = self._by_alias.pop(name)
        del self._names[name]
        if self.current == name:
            self.current = next(reversed(self._by_alias), None)
        if self._close is not None:
            self._close(connection)

    def close_all(self) -> None:
        for alias in list(self._by_alias):
            self.close(alias)

    def _open_aliases(self) -> str:
        return "open: " + (", ".join(sorted(self._names.values())) or "none")

    @property
    def current_alias(self) -> str | None:
        """The current connection's alias as it was written when opened."""
        return self._names.get(self.current) if self.current else None

    def __contains__(self, alias: str) -> bool:
        return normalize_alias(alias) in self._by_alias

    def __len__(self) -> int:
        return len(self._by_alias)
