"""Schema registry: files with $ref across them, every violation reported, clear failures for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from Seamline.engine.errors import SeamError
from Seamline.engine.schema.registry import SchemaRegistry

SCHEMAS = Path(__file__).resolve().parents[2] / "resources" / "schemas"

ORDER = {
    "id": "0b5e4c1a-4a7e-4f53-8a44-8c1f0f5f3b2a",
    "customer": "ada",
    "sku": "SKU-APPLE",
    "quantity": 2,
    "unit_price": "12.50",
    "amount": "25.00",
    "currency": "EUR",
    "status": "NEW",
    "reject_reason": None,
    "correlation_id": "c-1",
    "created_at": "2026-01-01T10:00:00Z",
    "updated_at": "2026-01-01T10:00:00Z",
}


@pytest.fixture
def registry() -> SchemaRegistry:
    schemas = SchemaRegistry()
    schemas.load_directory(SCHEMAS)
    return schemas


def write(directory: Path, name: str, content: object) -> None:
    (directory / name).write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")


def test_project_schemas_load_and_accept_a_real_order(registry):
    assert {"order.v1", "order.v2", "common", "error.v1", "envelope.v1"} <= set(registry.names)
    assert registry.validate(ORDER, "order.v1") == []
    assert registry.validate({"items": [ORDER], "next": None}, "order-page.v1") == []


def test_every_violation_is_listed_with_path_and_value(registry):
    order = {**ORDER, "quantity": 0, "amount": "25", "status": "SHIPPED"}
    del order["sku"]
    violations = [str(v) for v in registry.validate(order, "order.v1")]
    assert violations == [
        "$: 'sku' is a required property (value: " + json.dumps({k: v for k, v in order.items()})[:80] + "…)",
        "$.amount: '25' does not match '^-?[0-9]+\\\\.[0-9]{2}$' (value: \"25\")",
        "$.quantity: 0 is less than the minimum of 1 (value: 0)",
        "$.status: 'SHIPPED' is not one of ['NEW', 'RESERVED', 'REJECTED', 'CANCELLED'] (value: \"SHIPPED\")",
    ]


def test_relative_refs_resolve_between_files_without_ids(tmp_path):
    write(tmp_path, "money.json", {"$defs": {"amount": {"type": "string", "pattern": "^[0-9]+$"}}})
    write(tmp_path, "bill.json", {"type": "object", "properties": {"total": {"$ref": "money.json#/$defs/amount"}}})
    schemas = SchemaRegistry()
    assert schemas.load_directory(tmp_path) == ["bill", "money"]
    assert [v.path for v in schemas.validate({"total": "x1"}, "bill")] == ["$.total"]
    assert schemas.validate({"total": "12"}, str(tmp_path / "bill.json")) == []


def test_unknown_schema_name_lists_what_is_loaded(registry):
    with pytest.raises(SeamError) as raised:
        registry.validate({}, "orders")
    assert str(raised.value).startswith("Schema: no schema named 'orders' (loaded: common, envelope.v1, error.v1,")
    assert str(raised.value).endswith("load it with `Load Schemas`")


def test_malformed_schema_file_names_the_file(tmp_path):
    write(tmp_path, "broken.json", '{"type": "object",')
    with pytest.raises(SeamError, match=r"Schema: cannot load .*broken\.json: Expecting property name"):
        SchemaRegistry().load_directory(tmp_path)


def test_invalid_schema_names_the_rule_and_where(tmp_path):
    write(tmp_path, "bad.json", {"properties": {"n": {"type": "integr"}}})
    with pytest.raises(SeamError) as raised:
        SchemaRegistry().load_directory(tmp_path)
    assert str(raised.value).startswith("Schema: 'bad' is not a valid JSON Schema: 'integr' is not valid")
    assert str(raised.value).endswith("at $.properties.n.type")


def test_missing_directory_and_unresolvable_ref_are_clear(tmp_path):
    with pytest.raises(SeamError, match=r"schema directory .*nowhere does not exist"):
        SchemaRegistry().load_directory(tmp_path / "nowhere")
    write(tmp_path, "dangling.json", {"properties": {"x": {"$ref": "absent.json"}}})
    schemas = SchemaRegistry()
    schemas.load_directory(tmp_path)
    with pytest.raises(SeamError, match=r"Schema: a \$ref in schema 'dangling' cannot be resolved"):
        schemas.validate({"x": 1}, "dangling")
