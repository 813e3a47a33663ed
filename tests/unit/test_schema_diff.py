"""Schema drift: each kind of change classified breaking or compatible, through $refs."""

from __future__ import annotations

from pathlib import Path

from Seamline.engine.schema.diff import compare
from Seamline.engine.schema.registry import SchemaRegistry

SCHEMAS = Path(__file__).resolve().parents[2] / "resources" / "schemas"


def changes(old, new):
    return [(c.path, c.change, c.kind) for c in compare(old, new)]


def obj(required=(), **properties):
    return {"type": "object", "required": list(required), "properties": properties}


def test_identical_schemas_and_annotations_do_not_differ():
    schema = obj(["a"], a={"type": "string", "description": "x"})
    assert changes(schema, obj(["a"], a={"type": "string", "description": "y", "title": "A"})) == []


def test_fields_removed_renamed_and_added():
    old = obj(["a", "b"], a={"type": "string"}, b={"type": "integer"})
    new = obj(["a2", "c"], a2={"type": "string"}, c={"type": "boolean"}, d={"type": "string"})
    assert changes(old, new) == [
        ("$.a", "field renamed to 'a2'", "breaking"),
        ("$.b", "field removed", "breaking"),
        ("$.c", "new required field", "breaking"),
        ("$.d", "new optional field", "compatible"),
    ]


def test_required_changes():
    assert changes(obj([], a={}), obj(["a"], a={})) == [("$.a", "field became required", "breaking")]
    assert changes(obj(["a"], a={}), obj([], a={}))[0][2] == "breaking"


def test_types_narrowed_changed_and_widened():
    assert changes({"type": ["string", "number"]}, {"type": "string"}) == [
        ("$", "type narrowed from [number, string] to string", "breaking")
    ]
    assert changes({"type": "string"}, {"type": "integer"}) == [
        ("$", "type changed from string to integer", "breaking")
    ]
    assert changes({"type": "integer"}, {"type": "number"}) == [
        ("$", "type widened from integer to number", "compatible")
    ]
    assert changes({"type": "string"}, {"type": ["string", "null"]})[0][2] == "compatible"


def test_enum_values_removed_and_added():
    assert changes({"enum": ["A", "B"]}, {"enum": ["A", "C"]}) == [
        ("$", 'enum value removed: "B"', "breaking"),
        ("$", 'enum value added: "C"', "compatible"),
    ]


def test_constraints_tightened_or_loosened():
    assert changes({"maxLength": 10}, {"maxLength": 5}) == [("$", "maxLength changed from 10 to 5", "breaking")]
    assert changes({"minimum": 1}, {"minimum": 0}) == [("$", "minimum changed from 1 to 0", "compatible")]
    assert changes({}, {"pattern": "^x"}) == [("$", 'pattern "^x" added', "breaking")]
    assert changes({"additionalProperties": True}, {"additionalProperties": False}) == [
        ("$", "additional properties no longer allowed", "breaking")
    ]


def test_nested_arrays_and_local_refs_are_followed():
    old = {"$defs": {"n": {"type": "integer"}}, **obj(items={"type": "array", "items": obj(q={"$ref": "#/$defs/n"})})}
    new = {"$defs": {"n": {"type": "string"}}, **obj(items={"type": "array", "items": obj(q={"$ref": "#/$defs/n"})})}
    assert changes(old, new) == [("$.items[*].q", "type changed from integer to string", "breaking")]


def test_project_order_v2_has_one_compatible_and_one_breaking_change():
    registry = SchemaRegistry()
    registry.load_directory(SCHEMAS)
    old, new = registry.resolve("order.v1"), registry.resolve("order.v2")
    found = compare(old.contents, new.contents, registry.registry, old.base_uri, new.base_uri)
    assert [(c.path, c.change, c.kind) for c in found] == [
        ("$.customer", "field renamed to 'customer_id'", "breaking"),
        ("$.channel", "new optional field", "compatible"),
    ]
