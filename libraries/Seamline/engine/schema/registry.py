"""JSON Schemas found on a search path, `$ref` across files and to remote URLs, EVERY violation reported.

A schema is found in this order: an explicit file path, then by name among the files loaded with
`load_directory`, the directories given at import, and the schemas shipped in the package. Drafts 4, 6,
7, 2019-09 and 2020-12 are honoured by a schema's `$schema`; `draft` picks one for schemas without it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import requests
import yaml
from jsonschema import (
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
    validators,
)
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from referencing import Registry, Resource, Specification
from referencing import jsonschema as specifications
from referencing.exceptions import Unresolvable

from ..errors import SeamError
from ..values import cut

SEAM = "Contracts"
SCHEMA_SUFFIXES = (".json", ".yaml", ".yml")
SHIPPED = Path(__file__).resolve().parents[2] / "schemas"
VALUE_PREVIEW = 80
TEXT_PREVIEW = 200
NAMES_LISTED = 30


@dataclass(frozen=True)
class Draft:
    """One JSON Schema draft: how to validate with it and how `$id`s and anchors are found in it."""

    name: str
    validator: type[Validator]
    specification: Specification[Any]
    id_key: str = "$id"


DRAFTS = {
    draft.name: draft
    for draft in (
        Draft("2020-12", Draft202012Validator, specifications.DRAFT202012),
        Draft("2019-09", Draft201909Validator, specifications.DRAFT201909),
        Draft("7", Draft7Validator, specifications.DRAFT7),
        Draft("6", Draft6Validator, specifications.DRAFT6),
        Draft("4", Draft4Validator, specifications.DRAFT4, id_key="id"),
    )
}
DEFAULT_DRAFT = DRAFTS["2020-12"]


def draft_named(name: str | int | None) -> Draft:
    """The draft called `name`: ``2020-12``, ``draft2020-12``, ``7``, ``draft-07``...; 2020-12 when None."""
    if name is None:
        return DEFAULT_DRAFT
    key = str(name).strip().lower().removeprefix("draft").lstrip("-").lstrip("0")
    if key not in DRAFTS:
        raise SeamError(SEAM, f"unknown JSON Schema draft '{name}' (known: {', '.join(DRAFTS)})")
    return DRAFTS[key]


def validator_class(draft: str | int | None) -> type[Validator]:
    """The jsonschema validator class of `draft` (see `draft_named`)."""
    return draft_named(draft).validator


@dataclass(frozen=True)
class Violation:
    """One way the data breaks the schema: where (JSON path), why, and the offending value."""

    path: str
    message: str
    value: Any

    def __str__(self) -> str:
        return f"{self.path}: {self.message} (value: {preview(self.value)})"


def preview(value: Any) -> str:
    return cut(json.dumps(value, ensure_ascii=False, default=str), VALUE_PREVIEW)


@dataclass(frozen=True)
class Entry:
    """A checked schema: its contents (an object or a boolean) and what its relative `$ref`s resolve against."""

    key: str  # unique: the file's URI, or the canonical text of a schema given inline
    contents: Any
    base_uri: str = ""


def read_document(path: Path) -> Any:
    """A JSON or YAML file's content, or a clear failure naming the file and the syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise SeamError(SEAM, f"cannot load {path}: {error}") from None


def parse_json(text: str | bytes, what: str) -> Any:
    """JSON text (or UTF-8 bytes) parsed; a failure names `what` it was and shows its start."""
    try:
        return json.loads(text)
    except ValueError as error:
        shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        raise SeamError(SEAM, f"{what} is not valid JSON: {error}: {cut(shown, TEXT_PREVIEW)!r}") from None


def inline(schema: Any) -> Any:
    """A schema given as JSON text (an object, `true` or `false`), parsed; anything else unchanged."""
    if isinstance(schema, str) and (schema.lstrip().startswith("{") or schema.strip() in ("true", "false")):
        return parse_json(schema, "the given schema")
    return schema


def check_schema(schema: Any, label: str, draft: Draft) -> None:
    """Fail when `schema` (called `label` in the message) is not a valid JSON Schema, naming where."""
    if not isinstance(schema, (Mapping, bool)):
        raise SeamError(SEAM, f"{label} is not a JSON Schema: expected an object or a boolean")
    try:
        validators.validator_for(schema, default=draft.validator).check_schema(schema)
    except SchemaError as error:
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise SeamError(SEAM, f"{label} is not a valid JSON Schema: {error.message} at {where}") from None


class SchemaRegistry:
    """Schemas by name (file name without suffix, file name, or `$id`), resolving `$ref` between them."""

    def __init__(self, directories: Sequence[str | Path] = (), timeout: float = 10.0) -> None:
        self.directories = [Path(directory) for directory in directories]
        self.timeout = timeout  # for each remote `$ref` retrieved
        self._entries: dict[str, Entry] = {}
        self._names: set[str] = set()
        self._resources: dict[str, Resource[Any]] = {}
        self._retrieved: dict[str, Any] = {}
        # Built once per draft and crawled: an uncrawled registry re-crawls every resource at each lookup.
        self._registries: dict[str, Registry[Any]] = {}
        self._validators: dict[tuple[str, str, bool], Validator] = {}
        self._inline: dict[tuple[str, str], Entry] = {}
        self._search_path_loaded = False

    @property
    def names(self) -> list[str]:
        self._load_search_path()
        return sorted(self._names)

    @property
    def registry(self) -> Registry[Any]:
        """Every loaded schema by URI (2020-12 for files without `$schema`), remote `$ref`s retrieved."""
        return self._registry(DEFAULT_DRAFT)

    def load_directory(self, directory: str | Path, draft: str | None = None) -> list[str]:
        """Load every schema file under `directory` (recursively); returns the names loaded.

        Every file is read and checked before any is registered, so a directory with one broken file
        adds nothing. A file loaded later replaces an earlier one of the same name.
        """
        self._load_search_path()
        return self._load(Path(directory), draft_named(draft))

    def get(self, name: str) -> Any:
        """The schema called `name` (file stem, file name or `$id`)."""
        return self._named(name).contents

    def resolve(self, schema: Any, draft: str | None = None) -> Entry:
        """A schema given as a boolean, a dictionary or JSON text, a file path, or a name."""
        schema = inline(schema)
        if isinstance(schema, (Mapping, bool)):
            return self._inline_entry(schema, draft_named(draft))
        text = str(schema)
        self._load_search_path()
        path = Path(text)
        if path.is_file():
            return self._entries.get(path.resolve().as_uri()) or self._load_file(path, draft_named(draft))
        if text not in self._entries and (path.suffix in SCHEMA_SUFFIXES or "/" in text or "\\" in text):
            raise SeamError(SEAM, f"schema file {text} does not exist")
        return self._named(text)

    def validate(self, data: Any, schema: Any, draft: str | None = None, formats: bool = True) -> list[Violation]:
        """Every violation of `schema` (see `resolve`) by `data`, in document order.

        `draft` applies to schemas without `$schema` (2020-12 when None); `formats` asserts `format`
        (date-time, email, uuid...) instead of treating it as an annotation.
        """
        entry = self.resolve(schema, draft)
        validator = self._validator(entry, draft_named(draft), formats)
        try:
            errors = sorted(validator.iter_errors(data), key=lambda error: [str(p) for p in error.absolute_path])
        except Unresolvable as error:
            raise SeamError(SEAM, f"a $ref in schema {label(schema)} cannot be resolved: {_reason(error)}") from None
        return [Violation(error.json_path, error.message, error.instance) for error in errors]

    def _load_search_path(self) -> None:
        # Lowest priority first: a later load replaces an earlier one, so the first import directory wins.
        if self._search_path_loaded:
            return
        if _schema_files(SHIPPED):
            self._load(SHIPPED, DEFAULT_DRAFT)
        for directory in reversed(self.directories):
            if not directory.is_dir():
                raise SeamError(SEAM, f"schema directory {directory} (schemas= at import) does not exist")
            self._load(directory, DEFAULT_DRAFT)
        self._search_path_loaded = True

    def _load(self, root: Path, draft: Draft) -> list[str]:
        if not root.is_dir():
            raise SeamError(SEAM, f"schema directory {root} does not exist")
        files = _schema_files(root)
        if not files:
            raise SeamError(SEAM, f"no schema files (*.json, *.yaml) in {root}")
        documents = {path.relative_to(root).as_posix(): (path, read_document(path)) for path in files}
        for relative, (_path, document) in documents.items():
            check_schema(document, f"'{_stem(relative)}'", draft)
        for relative, (path, document) in documents.items():
            self._add(document, path, draft, names=(_stem(relative), relative))
            self._names.add(_stem(relative))
        return [_stem(relative) for relative in documents]

    def _load_file(self, path: Path, draft: Draft) -> Entry:
        document = read_document(path)
        check_schema(document, f"'{path}'", draft)
        return self._add(document, path, draft, names=())

    def _add(self, contents: Any, path: Path, draft: Draft, names: Sequence[str]) -> Entry:
        file_uri = path.resolve().as_uri()
        own_id = contents.get(draft.id_key) if isinstance(contents, Mapping) else None
        base_uri = urljoin(file_uri, own_id) if isinstance(own_id, str) else file_uri
        entry = Entry(file_uri, contents, base_uri)
        resource = Resource.from_contents(contents, default_specification=draft.specification)
        # Plain names are URIs too, so a schema without a base can say {"$ref": "money.json"}.
        for uri in {*names, file_uri, base_uri}:
            self._entries[uri] = entry
            self._resources[uri] = resource
        self._registries.clear()
        self._validators.clear()
        return entry

    def _named(self, name: str) -> Entry:
        self._load_search_path()
        try:
            return self._entries[name]
        except KeyError:
            names = sorted(self._names)
            known = ", ".join(names[:NAMES_LISTED]) or "none"
            more = f" and {len(names) - NAMES_LISTED} more" if len(names) > NAMES_LISTED else ""
            raise SeamError(
                SEAM,
                f"no schema named '{name}' (known: {known}{more}); give a file path, load its directory "
                "with `Load Schemas` or import Seamline with schemas=DIRECTORY",
            ) from None

    def _inline_entry(self, schema: Mapping[str, Any] | bool, draft: Draft) -> Entry:
        contents = schema if isinstance(schema, bool) else dict(schema)
        key = json.dumps(contents, sort_keys=True, default=str)
        if (key, draft.name) not in self._inline:
            check_schema(contents, "the given schema", draft)
            self._inline[key, draft.name] = Entry(key, contents)
        return self._inline[key, draft.name]

    def _registry(self, draft: Draft) -> Registry[Any]:
        if draft.name not in self._registries:
            retrieve = partial(self._retrieve, draft)
            # referencing declares the field `_retrieve` with the init alias `retrieve`, which mypy misses.
            registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
            self._registries[draft.name] = registry.with_resources(self._resources.items()).crawl()
        return self._registries[draft.name]

    def _retrieve(self, draft: Draft, uri: str) -> Resource[Any]:
        """A `$ref` to a schema not loaded: fetched over http(s) (or read from a file URI), once."""
        if uri not in self._retrieved:
            scheme = urlsplit(uri).scheme
            if scheme in ("http", "https"):
                response = requests.get(uri, timeout=self.timeout)
                response.raise_for_status()
                self._retrieved[uri] = parse_json(response.content, f"the schema at {uri}")
            elif scheme == "file":
                self._retrieved[uri] = read_document(Path(unquote(urlsplit(uri).path)))
            else:
                raise ValueError("only http(s) and file URIs are retrieved")
        return Resource.from_contents(self._retrieved[uri], default_specification=draft.specification)

    def _validator(self, entry: Entry, draft: Draft, formats: bool) -> Validator:
        key = (entry.key, draft.name, formats)
        if key not in self._validators:
            contents = entry.contents
            if isinstance(contents, Mapping) and entry.base_uri and draft.id_key not in contents:
                # Relative $refs resolve against the file the schema came from.
                contents = {draft.id_key: entry.base_uri, **contents}
            cls = validators.validator_for(contents, default=draft.validator)
            checker = cls.FORMAT_CHECKER if formats else None
            self._validators[key] = cls(contents, registry=self._registry(draft), format_checker=checker)
        return self._validators[key]


def label(schema: Any) -> str:
    """How a failure names a schema: by the name or path given, or as given inline."""
    return "(given inline)" if isinstance(inline(schema), (Mapping, bool)) else f"'{schema}'"


def _reason(error: Exception) -> str:
    """What went wrong resolving a `$ref`, down to the cause (a timeout, a 404, a missing file)."""
    cause: BaseException = error
    while cause.__cause__ is not None:
        cause = cause.__cause__
    if cause is error:
        return str(error)
    return f"{error}: {cause.detail if isinstance(cause, SeamError) else cause}"


def _schema_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.suffix in SCHEMA_SUFFIXES and path.is_file())


def _stem(relative: str) -> str:
    return relative.rsplit(".", 1)[0]
