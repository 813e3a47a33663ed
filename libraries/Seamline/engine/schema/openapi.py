"""OpenAPI documents: find the operation a request matched and check a response against it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import yaml
from jsonschema import FormatChecker, validators
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from ..errors import SeamError
from .registry import SEAM, Violation, read_document

SPEC_URI = "urn:seamline:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pointer: str  # JSON pointer of the operation in the document
    definition: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.template}"


def load_spec(source: str, timeout: float) -> OpenApiSpec:
    """An OpenAPI document from a file or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        try:
            response = requests.get(source, timeout=timeout)
            response.raise_for_status()
            text = response.text
            document = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
        except (requests.RequestException, ValueError, yaml.YAMLError) as error:
            raise SeamError(SEAM, f"cannot load the document from {source}: {error}") from None
    else:
        document = read_document(Path(source))
    return OpenApiSpec(document, source)


class OpenApiSpec:
    """One OpenAPI 3.x document."""

    def __init__(self, document: Any, source: str):
        if not isinstance(document, Mapping) or not str(document.get("openapi", "")).startswith("3."):
            raise SeamError(SEAM, f"{source} is not an OpenAPI 3 document (no 'openapi: 3.x' field)")
        self.document = dict(document)
        self.source = source
        self.registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(self.document))
        self._validators: dict[tuple[str, bool], Any] = {}

    @cached_property
    def _routes(self) -> list[tuple[re.Pattern[str], str]]:
        """Path templates as regexes, literal paths first so `/orders/search` beats `/orders/{id}`."""
        templates = sorted(self.document.get("paths", {}), key=lambda t: (t.count("{"), -len(t)))
        return [(re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(t)) + "/?$"), t) for t in templates]

    @cached_property
    def _base_paths(self) -> list[str]:
        paths = {urlsplit(server.get("url", "")).path.rstrip("/") for server in self.document.get("servers", [])}
        return [*sorted(paths - {""}, key=len, reverse=True), ""]

    def operation(self, method: str, url: str) -> Operation:
        path = urlsplit(url).path or "/"
        for base in self._base_paths:
            if not path.startswith(base):
                continue
            relative = path[len(base) :] or "/"
            for pattern, template in self._routes:
                if pattern.match(relative):
                    item = self.document["paths"][template]
                    if method.lower() not in item:
                        allowed = ", ".join(m.upper() for m in HTTP_METHODS if m in item)
                        raise SeamError(SEAM, f"{self.source} has no {method.upper()} {template} ({allowed} only)")
                    pointer = f"/paths/{_escape(template)}/{method.lower()}"
                    return Operation(method.lower(), template, pointer, item[method.lower()])
        raise SeamError(SEAM, f"{self.source} has no operation for {method.upper()} {path}")

    def check_response(
        self, method: str, url: str, status: int, content_type: str, body: bytes, formats: bool = True
    ) -> list[Violation]:
        """Every way the response breaks the documented operation (status, content type, body).

        `formats` asserts `format` in the body's schema instead of treating it as an annotation.
        """
        operation = self.operation(method, url)
        responses = operation.definition.get("responses", {})
        key = next(
            (k for k in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default") if k in responses), None
        )
        if key is None:
            documented = ", ".join(responses) or "none"
            return [
                Violation("status", f"{status} is not documented for {operation} (documented: {documented})", status)
            ]
        response = self._deref(responses[key])
        content = response.get("content") or {}
        media_type = content_type.split(";")[0].strip().lower()
        if not content:
            return (
                []
                if not body
                else [Violation("body", f"{operation} {key} documents no body", body.decode("utf-8", "replace"))]
            )
        declared = next((m for m in content if _media_matches(m, media_type)), None)
        if declared is None:
            return [Violation("content-type", f"'{media_type}' is not one of {', '.join(content)}", media_type)]
        if "json" not in declared or "schema" not in content[declared]:
            return []
        try:
            data = json.loads(body)
        except ValueError as error:
            return [Violation("body", f"is not JSON ({error})", body.decode("utf-8", "replace"))]
        pointer = f"{operation.pointer}/responses/{_escape(key)}/content/{_escape(declared)}/schema"
        if "$ref" in responses[key]:
            pointer = responses[key]["$ref"].lstrip("#") + f"/content/{_escape(declared)}/schema"
        validator = self._validator(pointer, formats)
        errors = sorted(validator.iter_errors(data), key=lambda error: [str(p) for p in error.absolute_path])
        return [Violation(error.json_path, error.message, error.instance) for error in errors]

    def _validator(self, pointer: str, formats: bool) -> Any:
        if (pointer, formats) not in self._validators:
            schema = {"$ref": f"{SPEC_URI}#{pointer}"}
            if str(self.document["openapi"]).startswith("3.0"):
                # 3.0 schemas are not JSON Schema (nullable, exclusiveMinimum as bool): use the OAS 3.0 dialect.
                from openapi_schema_validator import OAS30Validator

                validator_class: Any = OAS30Validator
            else:
                validator_class = validators.Draft202012Validator
            checker = FormatChecker() if formats else None
            self._validators[pointer, formats] = validator_class(schema, registry=self.registry, format_checker=checker)
        return self._validators[pointer, formats]

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = self.registry.resolver(SPEC_URI).lookup(node["$ref"]).contents
        return node


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _media_matches(declared: str, actual: str) -> bool:
    declared = declared.split(";")[0].strip().lower()
    if declared in ("*/*", actual):
        return True
    return declared.endswith("/*") and actual.startswith(declared[:-1])
