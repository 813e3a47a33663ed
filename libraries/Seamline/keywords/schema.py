"""Contracts: JSON Schema validation, OpenAPI responses and schema compatibility."""

from __future__ import annotations

from typing import Any

import requests
from robot.api.deco import keyword

from ..engine.errors import SeamError
from ..engine.schema.diff import BREAKING, SchemaChange, compare
from ..engine.schema.openapi import OpenApiSpec, load_spec
from ..engine.schema.registry import SEAM, Violation, label, parse_json
from .base import SeamKeywords

MAX_LISTED = 50


class SchemaKeywords(SeamKeywords):
    """Contracts: JSON Schema validation, OpenAPI responses and schema compatibility."""

    SEAM = SEAM

    def __init__(self, ctx):
        super().__init__(ctx)
        self._specs: dict[str, OpenApiSpec] = {}
        self._last_spec: OpenApiSpec | None = None

    @keyword
    def load_schemas(self, directory: str, draft: str | None = None) -> list[str]:
        """Loads every JSON Schema (``*.json``, ``*.yaml``) under ``directory`` into the schema registry.

        A schema is then known by its file name without suffix (``order.v1``), its file name and
        its ``$id``; ``$ref`` between the files resolves (``"$ref": "money.json"``). Fails naming
        the file when one is not valid JSON/YAML or not a valid JSON Schema; then none of the
        directory's files is loaded. A file loaded later replaces an earlier one of the same name.
        ``draft`` (``2020-12`` when not given) is the draft of the files that have no ``$schema``.
        Returns the names.

        Directories given at import (``Library    Seamline    schemas=${CURDIR}/schemas``) need no
        `Load Schemas`: see `Validate Json` for where a schema is looked for.

        | `Load Schemas` | ${CURDIR}/../resources/schemas |
        | `Load Schemas` | ${CURDIR}/legacy-contracts | draft=7 |
        """
        names = self.ctx.schemas.load_directory(directory, draft)
        self.info(f"Loaded {len(names)} schemas from {directory}: {', '.join(names)}.")
        return names

    @keyword
    def validate_json(
        self,
        data: Any,
        schema: Any,
        draft: str | None = None,
        formats: bool = True,
        parse: bool = False,
        msg: str | None = None,
    ) -> None:
        """Fails unless ``data`` is valid against ``schema``, listing EVERY violation.

        ``data`` is a response of `Call Api` or bytes (both parsed as JSON), or a value: a
        dictionary, list, number, string... A string is validated as the string it is (``"1"`` is
        a string, not the integer 1) unless ``parse=True`` says it is JSON text to parse.

        ``schema`` is looked for in this order: the path of a schema file; a name (file name
        without suffix such as ``order.v1``, file name, or ``$id``) among the schemas loaded with
        `Load Schemas`, then in the directories given at import (``Library    Seamline
        schemas=${CURDIR}/schemas``), then among the schemas shipped with Seamline. It may also be
        given inline: a dictionary, JSON text, or a boolean schema (``${True}`` accepts anything,
        ``${False}`` nothing). ``$ref`` to an http(s) URL is retrieved (within the library timeout).

        The schema's ``$schema`` picks its draft (4, 6, 7, 2019-09 or 2020-12); ``draft`` is the
        draft of a schema without one (``2020-12`` when not given; ``7`` or ``draft-07`` also work).

        ``formats`` (default ``True``) asserts ``format``: a ``date-time``, ``email``, ``uuid`` or
        ``ipv4`` that is malformed is a violation, as a tester checking a contract expects.
        ``formats=False`` treats ``format`` as the annotation JSON Schema 2020-12 makes it by
        default (the official test suite's behaviour).

        Each violation shows its JSON path, the rule broken and the offending value. ``msg``
        replaces the failure message.

        | `Validate Json` | ${response} | order.v1 |
        | `Validate Json` | ${body} | ${CURDIR}/schemas/order.json | parse=True | msg=The order breaks its contract |
        """
        violations = self.ctx.schemas.validate(self._data(data, parse), schema, draft=draft, formats=formats)
        if violations:
            hint = ""
            if isinstance(data, str) and not parse and data.lstrip().startswith(("{", "[")):
                hint = "\n(the data is a string; give parse=True to validate it as JSON text)"
            self.fail(self._listing(f"data does not match schema {label(schema)}", violations) + hint, msg)
        self.info(f"Data matches schema {label(schema)}.")

    @keyword
    def response_should_match_openapi(
        self, response: requests.Response, spec: str | None = None, formats: bool = True, msg: str | None = None
    ) -> None:
        """Fails unless ``response`` matches the OpenAPI operation its request matched.

        Checks that the status is documented, the content type is declared and the body is
        valid against the response schema (every violation listed). ``spec`` is the document's
        file path or URL; it is loaded once and, when omitted, the last one used is reused.
        ``formats`` asserts ``format`` in the body's schema, as in `Validate Json`. ``msg`` replaces
        the failure message when the response does not match.

        | `Response Should Match Openapi` | ${response} | spec=${GATEWAY_URL}/openapi.json |
        """
        if not isinstance(response, requests.Response):
            raise SeamError(SEAM, f"expected a response from `Call Api`, got {type(response).__name__}")
        document = self._spec(spec)
        request = response.request
        method = str(request.method)
        operation = document.operation(method, str(request.url))
        violations = document.check_response(
            method,
            str(request.url),
            response.status_code,
            response.headers.get("Content-Type", ""),
            response.content,
            formats=formats,
        )
        where = f"{operation} -> {response.status_code}"
        if violations:
            self.fail(self._listing(f"{where} does not match {document.source}", violations), msg)
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
            self.info(self.html_table(rows, limit=MAX_LISTED, title=f"{label(old)} -> {label(new)}"), html=True)
        else:
            self.info(f"{label(old)} and {label(new)} do not differ.")
        return rows

    @keyword
    def schema_change_should_be_compatible(self, old: Any, new: Any, msg: str | None = None) -> None:
        """Fails listing every breaking change from schema ``old`` to ``new`` (see `Compare Schemas`).

        ``msg`` replaces the failure message.

        | `Schema Change Should Be Compatible` | order.v1 | order.v2 |
        """
        changes = self._compare(old, new)
        breaking = [change for change in changes if change.kind == BREAKING]
        if breaking:
            lines = "\n".join(f"- {change.path}: {change.change}" for change in breaking)
            self.fail(f"{label(new)} breaks {label(old)} ({_count(breaking, 'breaking change')}):\n{lines}", msg)
        self.info(f"{label(new)} is compatible with {label(old)} ({_count(changes, 'compatible change')}).")

    def _compare(self, old: Any, new: Any) -> list[SchemaChange]:
        registry = self.ctx.schemas
        old_schema, new_schema = registry.resolve(old), registry.resolve(new)
        return compare(
            old_schema.contents, new_schema.contents, registry.registry, old_schema.base_uri, new_schema.base_uri
        )

    def _spec(self, source: str | None) -> OpenApiSpec:
        if not source:
            if self._last_spec is None:
                raise SeamError(SEAM, "no OpenAPI document yet: give spec= (a file path or URL)")
            return self._last_spec
        if source not in self._specs:
            self._specs[source] = load_spec(source, self.ctx.timeout)
        self._last_spec = self._specs[source]
        return self._last_spec

    def _data(self, data: Any, parse: bool) -> Any:
        """Responses and bytes are JSON text; a string is only when the test says so (``parse=True``)."""
        if isinstance(data, requests.Response):
            request = data.request
            return parse_json(data.content, f"the response of {request.method} {data.url} ({data.status_code})")
        if isinstance(data, bytes) or (parse and isinstance(data, str)):
            return parse_json(data, "the data")
        return data

    def _listing(self, headline: str, violations: list[Violation]) -> str:
        shown = "\n".join(f"- {self.masker.text(str(violation))}" for violation in violations[:MAX_LISTED])
        more = f"\n… {len(violations) - MAX_LISTED} more" if len(violations) > MAX_LISTED else ""
        return f"{headline} ({_count(violations, 'error')}):\n{shown}{more}"


def _count(items: list[Any], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
