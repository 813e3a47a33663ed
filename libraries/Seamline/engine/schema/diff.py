"""Schema drift: every difference between two JSON Schemas, classified `breaking` or `compatible`.

A change is breaking when data or code written for the old schema can fail with the new one:
a consumer loses a field it read (removed, renamed, no longer required), or a producer's data
becomes invalid (type narrowed, new required field, enum value removed, constraint tightened).
Annotations (title, description, examples) are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from ..errors import SeamError
from .registry import SEAM, preview

BREAKING = "breaking"
COMPATIBLE = "compatible"
ROOT_URI = "urn:seamline:compared"

# keyword: True when a larger value is stricter (minimum), False when a smaller one is (maximum).
_LIMITS = {
    "minimum": True,
    "exclusiveMinimum": True,
    "minLength": True,
    "minItems": True,
    "minProperties": True,
    "maximum": False,
    "exclusiveMaximum": False,
    "maxLength": False,
    "maxItems": False,
    "maxProperties": False,
}


@dataclass(frozen=True)
class SchemaChange:
    path: str
    change: str
    kind: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.path}: {self.change} ({self.kind})"


class _Side:
    """One schema and the resolver its `$ref`s go through."""

    def __init__(self, schema: dict[str, Any] | bool, registry: Registry | None, base_uri: str):
        root_uri = (schema.get("$id") if isinstance(schema, dict) else None) or base_uri or ROOT_URI
        registry = (registry or Registry()).with_resource(
            root_uri, Resource.from_contents(schema, default_specification=DRAFT202012)
        )
        self.resolver = registry.resolver(root_uri)

    def deref(self, node: Any, resolver: Any = None) -> tuple[dict[str, Any], Any]:
        """`node` with `$ref`s followed and `allOf` merged, and the resolver for what lies inside."""
        resolver = resolver or self.resolver
        if not isinstance(node, dict):
            return ({} if node is True else {"not": {}}), resolver
        for _ in range(32):
            if "$ref" not in node:
                break
            try:
                resolved = resolver.lookup(node["$ref"])
            except Unresolvable as error:
                raise SeamError(SEAM, f"cannot resolve $ref '{node['$ref']}': {error}") from None
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            node, resolver = {**resolved.contents, **siblings}, resolved.resolver
        if "allOf" in node:
            merged = {key: value for key, value in node.items() if key != "allOf"}
            for part in node["allOf"]:
                part, _ = self.deref(part, resolver)
                merged["properties"] = {**part.get("properties", {}), **merged.get("properties", {})}
                merged["required"] = sorted({*part.get("required", []), *merged.get("required", [])})
                for key, value in part.items():
                    merged.setdefault(key, value)
            node = merged
        return node, resolver


def compare(
    old: dict[str, Any] | bool,
    new: dict[str, Any] | bool,
    registry: Registry | None = None,
    old_uri: str = "",
    new_uri: str = "",
) -> list[SchemaChange]:
    """Every difference from `old` to `new`, by path in the data (`$.payload.amount`)."""
    old_side, new_side = _Side(old, registry, old_uri), _Side(new, registry, new_uri)
    return list(_Walk(old_side, new_side).node("$", old, new, None, None, depth=0))


class _Walk:
    def __init__(self, old: _Side, new: _Side):
        self.old = old
        self.new = new

    def node(self, path: str, old: Any, new: Any, old_res: Any, new_res: Any, depth: int) -> Iterator[SchemaChange]:
        if depth > 40:  # a recursive schema: deep enough to have compared every distinct level
            return
        old, old_res = self.old.deref(old, old_res)
        new, new_res = self.new.deref(new, new_res)
        yield from _types(path, old, new)
        yield from _enums(path, old, new)
        yield from _limits(path, old, new)
        yield from _alternatives(path, old, new)
        yield from self._properties(path, old, new, old_res, new_res, depth)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            yield from self.node(f"{path}[*]", old["items"], new["items"], old_res, new_res, depth + 1)

    def _properties(
        self, path: str, old: dict[str, Any], new: dict[str, Any], old_res: Any, new_res: Any, depth: int
    ) -> Iterator[SchemaChange]:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        removed = [name for name in old_props if name not in new_props]
        added = [name for name in new_props if name not in old_props]
        renamed: dict[str, str] = {}
        for name in removed:
            twin = next((n for n in added if n not in renamed.values() and new_props[n] == old_props[name]), None)
            if twin is not None:
                renamed[name] = twin
        for name in removed:
            if name in renamed:
                yield SchemaChange(_join(path, name), f"field renamed to '{renamed[name]}'", BREAKING)
            else:
                yield SchemaChange(_join(path, name), "field removed", BREAKING)
        for name in added:
            if name in renamed.values():
                continue
            if name in new_required:
                yield SchemaChange(_join(path, name), "new required field", BREAKING)
            else:
                yield SchemaChange(_join(path, name), "new optional field", COMPATIBLE)
        for name in old_props:
            if name not in new_props:
                continue
            if name in new_required and name not in old_required:
                yield SchemaChange(_join(path, name), "field became required", BREAKING)
            elif name in old_required and name not in new_required:
                yield SchemaChange(_join(path, name), "field no longer required: readers may not get it", BREAKING)
            yield from self.node(_join(path, name), old_props[name], new_props[name], old_res, new_res, depth + 1)
        old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if old_extra is not False and new_extra is False:
            yield SchemaChange(path, "additional properties no longer allowed", BREAKING)
        elif old_extra is False and new_extra is not False:
            yield SchemaChange(path, "additional properties now allowed", COMPATIBLE)


def _types(path: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[SchemaChange]:
    old_types, new_types = _type_set(old), _type_set(new)
    if old_types == new_types:
        return
    shown_old, shown_new = _show_types(old_types), _show_types(new_types)
    if new_types is None:
        yield SchemaChange(path, f"type widened from {shown_old} to any", COMPATIBLE)
    elif old_types is None or not all(_accepts(new_types, t) for t in old_types):
        lost = old_types is None or any(_accepts(new_types, t) for t in old_types)
        verb = "narrowed" if lost and new_types else "changed"
        yield SchemaChange(path, f"type {verb} from {shown_old} to {shown_new}", BREAKING)
    else:
        yield SchemaChange(path, f"type widened from {shown_old} to {shown_new}", COMPATIBLE)


def _type_set(schema: dict[str, Any]) -> frozenset[str] | None:
    declared = schema.get("type")
    if declared is None:
        return None
    types = {declared} if isinstance(declared, str) else set(declared)
    if schema.get("nullable") is True:
        types.add("null")
    return frozenset(types)


def _accepts(types: frozenset[str], kind: str) -> bool:
    return kind in types or (kind == "integer" and "number" in types)


def _show_types(types: frozenset[str] | None) -> str:
    if types is None:
        return "any"
    return sorted(types)[0] if len(types) == 1 else "[" + ", ".join(sorted(types)) + "]"


def _enums(path: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[SchemaChange]:
    if old.get("const", ...) != new.get("const", ...):
        yield SchemaChange(
            path, f"const changed from {preview(old.get('const'))} to {preview(new.get('const'))}", BREAKING
        )
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if old_enum == new_enum:
        return
    if old_enum is None:
        yield SchemaChange(path, f"now restricted to enum {preview(new_enum)}", BREAKING)
        return
    if new_enum is None:
        yield SchemaChange(path, "enum restriction removed", COMPATIBLE)
        return
    yield from _removed_and_added(
        path, "enum value", old_enum, new_enum, lambda values: ", ".join(map(preview, values))
    )


def _limits(path: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[SchemaChange]:
    for keyword, larger_is_stricter in _LIMITS.items():
        before, after = old.get(keyword), new.get(keyword)
        if before == after or isinstance(before, bool) or isinstance(after, bool):
            continue
        if before is None:
            yield SchemaChange(path, f"{keyword} {after} added", BREAKING)
        elif after is None:
            yield SchemaChange(path, f"{keyword} {before} removed", COMPATIBLE)
        else:
            stricter = after > before if larger_is_stricter else after < before
            yield SchemaChange(
                path, f"{keyword} changed from {before} to {after}", BREAKING if stricter else COMPATIBLE
            )
    for keyword in ("pattern", "format"):
        before, after = old.get(keyword), new.get(keyword)
        if before == after:
            continue
        if after is None:
            yield SchemaChange(path, f"{keyword} {preview(before)} removed", COMPATIBLE)
        else:
            what = "added" if before is None else f"changed from {preview(before)}"
            yield SchemaChange(path, f"{keyword} {preview(after)} {what}", BREAKING)


def _alternatives(path: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[SchemaChange]:
    for keyword in ("anyOf", "oneOf"):
        before, after = old.get(keyword) or [], new.get(keyword) or []
        yield from _removed_and_added(path, f"{keyword} alternative", before, after, preview)


def _removed_and_added(
    path: str, what: str, before: list[Any], after: list[Any], show: Callable[[list[Any]], str]
) -> Iterator[SchemaChange]:
    """A value no longer accepted breaks old clients; a newly accepted one does not."""
    removed = [value for value in before if value not in after]
    added = [value for value in after if value not in before]
    if removed:
        yield SchemaChange(path, f"{what} removed: {show(removed)}", BREAKING)
    if added:
        yield SchemaChange(path, f"{what} added: {show(added)}", COMPATIBLE)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if name.isidentifier() else f"{path}['{name}']"
