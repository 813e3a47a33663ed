"""JSON Schema, OpenAPI and schema compatibility (issue 4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from robot.api.deco import keyword

from ..engine.api.session import json_body, response_json
from ..engine.errors import SeamError
from ..engine.schema.diff import BREAKING, SchemaChange, compare
from ..engine.schema.openapi import OpenApiSpec, load_spec
from ..engine.schema.registry import Violation, inline
from .base import SeamKeywords

MAX_LISTED = 50


class SchemaKeywords(SeamKeywords):
    """JSON Schema, OpenAPI and schema compatibility (issue 4)."""

    SEAM = "Contracts"

    def __init__(self, ctx):
        super().__init__(ctx)
        self._specs: dict[str, OpenApiSpec] = {}
        self._last_spec: OpenApiSpec | None = None

    @keyword
    def load_schemas(self, directory: str) -> list[str]:
        """Loads every JSON Schema (``*.json``, ``*.yaml``) under ``directory`` into the schema registry.

        A schema is then known by its file name without suffix (``order.v1``), its file name and
        its ``$id``; ``$ref`` between the files resolves (``"$ref": "money.json"``). Fails naming
        the file when one is not valid JSON/YAML or not a valid JSON Schema. Returns the names.

        | `Load Schemas` | ${CURDIR}/../resources/schemas |
        """
        names = self.ctx.schemas.load_directory(directory)
        self.info(f"Loaded {len(names)} schemas from {directory}: {', '.join(names)}.")
        return names

    @keyword
    def validate_json(self, data: Any, schema: Any) -> None:
        """Fails unless ``data`` is valid against ``schema``, listing EVERY violation.

        ``data`` is a response, JSON text, or data already parsed. ``schema`` is a name from
        `Load Schemas`, a schema dictionary, or the path of a schema file. Each violation shows
        its JSON path, the rule broken and the offending value.

        | `Validate Json` | ${response} | order.v1 |
        """
        violations = self.ctx.schemas.validate(self._data(data), schema)
        if violations:
            raise SeamError("Schema", self._listing(f"data does not match schema {_label(schema)}", violations))
        self.info(f"Data matches schema {_label(schema)}.")

    @keyword
    def response_should_match_openapi(self, response: requests.Response, spec: str | None = None) -> None:
        """Fails unless ``response`` matches the OpenAPI operation its request matched.

        Checks that the status is documented, the content type is declared and the body is
        valid against the response schema (every violation listed). ``spec`` is the document's
        file path or URL; it is loaded once and, when omitted, the last one used is reused.

        | `Response Should Match Openapi` | ${response} | spec=${GATEWAY_URL}/openapi.json |
        """
        if not isinstance(response, requests.Response):
            raise SeamError("OpenAPI", f"expected a response from `Call Api`, got {type(response).__name__}")
        document = self._spec(spec)
        request = response.request
        method = str(request.method)
        operation = document.operation(method, str(request.url))
        violations = document.check_response(
            method, str(request.url), response.status_code, response.headers.get("Content-Type", ""), response.content
        )
        where = f"{operation} -> {response.status_code}"
        if violations:
            raise SeamError("OpenAPI", self._listing(f"{where} does not match {document.source}", violations))
        self.info(f"{where} matches {document.source}.")

    @keyword
    def compare_schemas(self, old: Any, new: Any) -> list[dict[str, str]]:
        """Returns every difference from schema ``old`` to ``new``, each classified ``breaking`` or ``compatible``.

        Each item has ``path`` (where in the data), ``change`` and ``kind``. Breaking: a field
        removed, renamed or no longer required, a new required field, a type narrowed or changed,
        an enum value removed, a constraint tightened, additional properties forbidden.
        Compatible: a new optional field, a type widened, an enum value added, a constraint
        loosened. Schemas are names, dictionaries or file paths, as in `Validate Json`.

        | ${changes} = | `Compare Schemas` | order.v1 | order.v2 |
        """
        changes = self._compare(old, new)
        rows = [change.to_dict() for change in changes]
        if rows:
            self.info(self.html_table(rows, limit=MAX_LISTED, title=f"{_label(old)} -> {_label(new)}"), html=True)
        else:
            self.info(f"{_label(old)} and {_label(new)} do not differ.")
        return rows

    @keyword
    def schema_change_should_be_compatible(self, old: Any, new: Any) -> None:
        """Fails listing every breaking change from schema ``old`` to ``new`` (see `Compare Schemas`).

        | `Schema Change Should Be Compatible` | order.v1 | order.v2 |
        """
        changes = self._compare(old, new)
        breaking = [change for change in changes if change.kind == BREAKING]
        if breaking:
            lines = "\n".join(f"- {change.path}: {change.change}" for change in breaking)
            raise SeamError(
                "Schema", f"{_label(new)} breaks {_label(old)} ({_count(breaking, 'breaking change')}):\n{lines}"
            )
        self.info(f"{_label(new)} is compatible with {_label(old)} ({_count(changes, 'compatible change')}).")

    def _compare(self, old: Any, new: Any) -> list[SchemaChange]:
        registry = self.ctx.schemas
        old_schema, new_schema = registry.resolve(old), registry.resolve(new)
        return compare(old_schema, new_schema, registry.registry, registry.base_uri(old), registry.base_uri(new))

    def _spec(self, source: str | None) -> OpenApiSpec:
        if not source:
            if self._last_spec is None:
                raise SeamError("OpenAPI", "no OpenAPI document yet: give spec= (a file path or URL)")
            return self._last_spec
        if source not in self._specs:
            self._specs[source] = load_spec(source, self.ctx.timeout)
        self._last_spec = self._specs[source]
        return self._last_spec

    def _data(self, data: Any) -> Any:
        if isinstance(data, requests.Response):
            return response_json(data)
        if isinstance(data, str):
            return json_body(data)
        return data

    def _listing(self, headline: str, violations: list[Violation]) -> str:
        shown = "\n".join(f"- {self.masker.text(str(violation))}" for violation in violations[:MAX_LISTED])
        more = f"\n… {len(violations) - MAX_LISTED} more" if len(violations) > MAX_LISTED else ""
        return f"{headline} ({_count(violations, 'error')}):\n{shown}{more}"


def _label(schema: Any) -> str:
    return "(given inline)" if isinstance(inline(schema), Mapping) else f"'{schema}'"


def _count(items: list[Any], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
