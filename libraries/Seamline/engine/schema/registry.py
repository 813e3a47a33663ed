"""A registry of JSON Schemas loaded from files, with `$ref` across files, that reports EVERY violation."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import FormatChecker, validators
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from ..errors import SeamError

SCHEMA_SUFFIXES = (".json", ".yaml", ".yml")
VALUE_PREVIEW = 80


@dataclass(frozen=True)
class Violation:
    """One way the data breaks the schema: where (JSON path), why, and the offending value."""

    path: str
    message: str
    value: Any

    def __str__(self) -> str:
        return f"{self.path}: {self.message} (value: {preview(self.value)})"


def preview(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= VALUE_PREVIEW else text[:VALUE_PREVIEW] + "…"


def read_document(path: Path) -> Any:
    """A JSON or YAML file's content, or a clear failure naming the file and the syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise SeamError("Schema", f"cannot load {path}: {error}") from None


class SchemaRegistry:
    """Schemas by name (file name without suffix, file name, or `$id`), resolving `$ref` between them."""

    def __init__(self) -> None:
        self._by_name: dict[str, dict[str, Any]] = {}
        self._base_uris: dict[str, str] = {}
        self.registry: Registry = Registry()
        self._validators: dict[str, Any] = {}

    @property
    def names(self) -> list[str]:
        return sorted(name for name in self._by_name if not name.endswith(SCHEMA_SUFFIXES) and ":" not in name)

    def load_directory(self, directory: str | Path) -> list[str]:
        """Load every schema file under `directory` (recursively); returns the names loaded."""
        root = Path(directory)
        if not root.is_dir():
            raise SeamError("Schema", f"schema directory {root} does not exist")
        files = sorted(path for path in root.rglob("*") if path.suffix in SCHEMA_SUFFIXES and path.is_file())
        if not files:
            raise SeamError("Schema", f"no schema files (*.json, *.yaml) in {root}")
        loaded = [self.add(path.relative_to(root).as_posix(), read_document(path), source=str(path)) for path in files]
        for name in loaded:
            self.check(name)
        return loaded

    def add(self, file_name: str, schema: Any, source: str | None = None) -> str:
        """Register `schema` under its file name (e.g. `order.v1.json`), its stem and its `$id`."""
        if not isinstance(schema, Mapping):
            raise SeamError("Schema", f"{source or file_name} is not a JSON Schema: expected an object")
        schema = dict(schema)
        name = file_name.rsplit(".", 1)[0] if file_name.endswith(SCHEMA_SUFFIXES) else file_name
        resource = Resource.from_contents(schema, default_specification=DRAFT202012)
        file_uri = Path(source).resolve().as_uri() if source else file_name
        own_id = schema.get("$id") if isinstance(schema.get("$id"), str) else None
        uris = {file_name, file_uri, *([own_id] if own_id else [])}
        self.registry = self.registry.with_resources((uri, resource) for uri in uris)
        for key in (name, *uris):
            self._by_name[key] = schema
            self._base_uris[key] = own_id or file_uri
        self._validators.clear()
        return name

    def check(self, name: str) -> None:
        """Fail when schema `name` is not a valid JSON Schema, naming where."""
        check_schema(self.get(name), f"'{name}'")

    def get(self, name: str) -> dict[str, Any]:
        """The schema called `name` (file stem, file name or `$id`)."""
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self.names) or "none"
            raise SeamError(
                "Schema", f"no schema named '{name}' (loaded: {known}); load it with `Load Schemas`"
            ) from None

    def resolve(self, schema: Any) -> dict[str, Any]:
        """A schema given by name, as a dictionary or JSON text, or as a path to a file."""
        schema = inline(schema)
        if isinstance(schema, Mapping):
            check_schema(schema, "the given schema")
            return dict(schema)
        text = str(schema)
        if text in self._by_name:
            return self._by_name[text]
        path = Path(text)
        if path.suffix in SCHEMA_SUFFIXES and path.is_file():
            self.add(path.name, read_document(path), source=str(path))
            self.check(path.name)
            self._by_name[text], self._base_uris[text] = self._by_name[path.name], self._base_uris[path.name]
            return self._by_name[text]
        return self.get(text)

    def base_uri(self, schema: Any) -> str:
        """The URI relative `$ref`s in schema `schema` (a name or path) resolve against."""
        return "" if isinstance(schema, Mapping) else self._base_uris.get(str(schema), "")

    def validate(self, data: Any, schema: Any) -> list[Violation]:
        """Every violation of `schema` (a name, dictionary or file path) by `data`, in document order."""
        schema = inline(schema)
        resolved = self.resolve(schema)
        validator = self._validator(resolved, schema)
        try:
            errors = sorted(validator.iter_errors(data), key=lambda error: [str(p) for p in error.absolute_path])
            return [Violation(error.json_path, error.message, error.instance) for error in errors]
        except (Unresolvable, NoSuchResource) as error:
            raise SeamError("Schema", f"a $ref in schema {_label(schema)} cannot be resolved: {error}") from None

    def _validator(self, schema: dict[str, Any], given: Any) -> Any:
        key = None if isinstance(given, Mapping) else str(given)
        if key is not None and key in self._validators:
            return self._validators[key]
        validator_class = validators.validator_for(schema, default=validators.Draft202012Validator)
        base_uri = self._base_uris.get(key or "")
        if base_uri and "$id" not in schema:
            # Relative $refs resolve against the file the schema came from.
            schema = {"$id": base_uri, **schema}
        validator = validator_class(schema, registry=self.registry, format_checker=FormatChecker())
        if key is not None:
            self._validators[key] = validator
        return validator


def check_schema(schema: Mapping[str, Any], label: str) -> None:
    """Fail when `schema` (called `label` in the message) is not a valid JSON Schema, naming where."""
    validator_class = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        validator_class.check_schema(schema)
    except SchemaError as error:
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise SeamError("Schema", f"{label} is not a valid JSON Schema: {error.message} at {where}") from None


def inline(schema: Any) -> Any:
    """A schema given as JSON text, parsed; anything else unchanged."""
    if isinstance(schema, str) and schema.lstrip().startswith("{"):
        try:
            return json.loads(schema)
        except ValueError as error:
            raise SeamError("Schema", f"the given schema is not valid JSON: {error}") from None
    return schema


def _label(schema: Any) -> str:
    return "given as a dictionary" if isinstance(schema, Mapping) else f"'{schema}'"
