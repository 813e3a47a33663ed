"""A system's message envelope: which field carries the id, type, version, time, correlation id, payload.

The default is the envelope orderflow uses (``message_id``, ``type``, ``version``, ``occurred_at``,
``correlation_id``, ``payload``), checked against the JSON Schema shipped in ``Seamline/schemas/``.
A system with other names (``messageId``, ``eventType``, ``traceId``, ``data``) says so once, on
`Connect To Broker`; matching, correlation, publishing and envelope checks then use its names.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import SeamError
from ..schema.registry import SchemaRegistry, Violation

SEAM = "Messages"
DEFAULT_SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "envelope.v1.json"
# The roles of the shipped schema's properties, in its order: renaming a field renames its property.
DEFAULT_NAMES = {
    "id": "message_id",
    "type": "type",
    "version": "version",
    "occurred_at": "occurred_at",
    "correlation": "correlation_id",
    "payload": "payload",
}
OPTIONAL_ROLES = ("version", "occurred_at")


@dataclass(frozen=True)
class Envelope:
    """The field of each role (an optional role set to None is absent), and the envelope's JSON Schema.

    `schema` is a schema name, file path or dictionary for the registry, or None: the shipped default
    schema, with its properties renamed to this envelope's fields.
    """

    id: str = "message_id"
    type: str = "type"
    version: str | None = "version"
    occurred_at: str | None = "occurred_at"
    correlation: str = "correlation_id"
    payload: str = "payload"
    schema: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for role in ("id", "type", "correlation", "payload"):
            if not getattr(self, role):
                raise SeamError(SEAM, f"the envelope needs a field for the message {role}, got none")
        names = [name for name in self.names().values() if name]
        if len(set(names)) != len(names):
            raise SeamError(SEAM, f"two roles of the envelope share one field: {', '.join(names)}")

    def names(self) -> dict[str, str | None]:
        """Role -> field name, for every role (None when the envelope has no such field)."""
        return {item.name: getattr(self, item.name) for item in fields(self) if item.name != "schema"}

    def present(self) -> dict[str, str]:
        """Role -> field name of the fields this envelope has."""
        return {role: name for role, name in self.names().items() if name}

    def is_default(self) -> bool:
        return self.names() == DEFAULT_NAMES

    def new(
        self,
        message_type: str,
        payload: Any,
        correlation_id: str | None = None,
        message_id: str | None = None,
        version: int = 1,
    ) -> dict[str, Any]:
        """A new envelope in this system's field names: fresh message id and correlation id, time now (UTC)."""
        values = {
            "id": message_id or str(uuid.uuid4()),
            "type": message_type,
            "version": version,
            "occurred_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "correlation": correlation_id or str(uuid.uuid4()),
            "payload": payload,
        }
        return {name: values[role] for role, name in self.present().items()}

    def violations(self, message: Any, registry: SchemaRegistry, schema: Any = None) -> list[Violation]:
        """Every way `message` breaks `schema` (default: this envelope's schema) in document order."""
        chosen = self.schema if schema is None else schema
        if chosen is not None:
            return registry.validate(message, chosen)
        return _default_registry().validate(message, self._default_schema())

    def _default_schema(self) -> Any:
        if self.is_default():
            return str(DEFAULT_SCHEMA_FILE)
        return renamed_schema(_default_registry().resolve(str(DEFAULT_SCHEMA_FILE)).contents, self.names())


def renamed_schema(schema: Mapping[str, Any], names: Mapping[str, str | None]) -> dict[str, Any]:
    """The shipped envelope schema with each role's property renamed (or dropped when the role is absent)."""
    renamed = copy.deepcopy(dict(schema))
    renamed.pop("$id", None)
    properties = renamed["properties"]
    renamed["properties"] = {
        names[role]: properties[default] for role, default in DEFAULT_NAMES.items() if names.get(role)
    }
    renamed["required"] = [names[role] for role in DEFAULT_NAMES if names.get(role)]
    return renamed


@cache
def _default_registry() -> SchemaRegistry:
    # A registry of its own: the shipped schema must not shadow a user's schema of the same name.
    return SchemaRegistry()


def occurred_epoch(message: Mapping[str, Any], envelope: Envelope) -> float | None:
    """The envelope's time field as epoch seconds, or None when absent or unreadable."""
    value = message.get(envelope.occurred_at) if envelope.occurred_at else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
