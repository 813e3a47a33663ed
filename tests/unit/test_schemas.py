"""Schema registry: files with $ref across them, every violation reported, clear failures for bad input;
boolean schemas, remote $refs, drafts, formats, the search path, and a registry a broken file cannot spoil."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hostile import SilentServer

from Seamline.engine.errors import SeamError
from Seamline.engine.schema import registry as registry_module
from Seamline.engine.schema.registry import SchemaRegistry, draft_named

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


@pytest.fixture(autouse=True)
def no_shipped_schemas(tmp_path_factory, monkeypatch):
    """Tests see only the schemas they load: the package's own directory is an empty one."""
    monkeypatch.setattr(registry_module, "SHIPPED", tmp_path_factory.mktemp("shipped"))


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def schema_server(tmp_path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on loopback serving the files of a fresh directory: (its URL, the directory)."""
    root = tmp_path / "served"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def write(directory: Path, name: str, content: object) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def paths(violations) -> list[str]:
    return [violation.path for violation in violations]


def test_project_schemas_load_and_accept_a_real_order(registry):
    assert {"order.v1", "order.v2", "common", "error.v1", "envelope.v1"} <= set(registry.names)
    assert registry.validate(ORDER, "order.v1") == []
    assert registry.validate({"items": [ORDER], "next": None}, "order-page.v1") == []


def test_every_violation_is_listed_with_path_and_value_cut_by_the_one_rule(registry):
    order = {**ORDER, "quantity": 0, "amount": "25", "status": "SHIPPED"}
    del order["sku"]
    violations = [str(v) for v in registry.validate(order, "order.v1")]
    whole = json.dumps(order)
    assert violations == [
        f"$: 'sku' is a required property (value: {whole[:80]}… [{len(whole) - 80} more characters])",
        "$.amount: '25' does not match '^-?[0-9]+\\\\.[0-9]{2}$' (value: \"25\")",
        "$.quantity: 0 is less than the minimum of 1 (value: 0)",
        "$.status: 'SHIPPED' is not one of ['NEW', 'RESERVED', 'REJECTED', 'CANCELLED'] (value: \"SHIPPED\")",
    ]


def test_relative_refs_resolve_between_files_without_ids(tmp_path):
    write(tmp_path, "money.json", {"$defs": {"amount": {"type": "string", "pattern": "^[0-9]+$"}}})
    write(tmp_path, "bill.json", {"type": "object", "properties": {"total": {"$ref": "money.json#/$defs/amount"}}})
    schemas = SchemaRegistry()
    assert schemas.load_directory(tmp_path) == ["bill", "money"]
    assert paths(schemas.validate({"total": "x1"}, "bill")) == ["$.total"]
    assert schemas.validate({"total": "12"}, str(tmp_path / "bill.json")) == []


def test_boolean_schemas_are_schemas(tmp_path):
    schemas = SchemaRegistry()
    assert schemas.validate({"anything": [1]}, True) == []
    assert schemas.validate(None, "true") == []
    assert [v.message for v in schemas.validate(1, False)] == ["False schema does not allow 1"]
    # jsonschema gives a `false` subschema's error no path, so only the verdict is checked here.
    violations = schemas.validate({"a": 1, "b": 2}, {"properties": {"a": True, "b": False}})
    assert [v.message for v in violations] == ["False schema does not allow 2"]
    write(tmp_path, "nothing.json", "false")
    schemas.load_directory(tmp_path)
    assert paths(schemas.validate("x", "nothing")) == ["$"]


def test_remote_refs_are_retrieved_over_http(schema_server):
    url, served = schema_server
    write(served, "money.json", {"$defs": {"amount": {"type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$"}}})
    schema = {"properties": {"total": {"$ref": f"{url}/money.json#/$defs/amount"}}}
    schemas = SchemaRegistry()
    assert schemas.validate({"total": "12.50"}, schema) == []
    assert [str(v) for v in schemas.validate({"total": "12.5"}, schema)] == [
        "$.total: '12.5' does not match '^[0-9]+\\\\.[0-9]{2}$' (value: \"12.5\")"
    ]


def test_a_remote_ref_that_cannot_be_retrieved_says_why(schema_server):
    url, _served = schema_server
    with pytest.raises(SeamError) as raised:
        SchemaRegistry().validate(1, {"$ref": f"{url}/absent.json"})
    assert str(raised.value).startswith(
        f"Contracts: a $ref in schema (given inline) cannot be resolved: Unresolvable: {url}/absent.json: "
        f"404 Client Error: File not found for url: {url}/absent.json"
    )


def test_a_remote_ref_to_a_server_that_never_answers_ends_at_the_timeout():
    with SilentServer() as silent:
        schemas = SchemaRegistry(timeout=1.0)
        started = time.monotonic()
        with pytest.raises(SeamError, match=r"cannot be resolved: .*Read timed out"):
            schemas.validate(1, {"$ref": f"{silent.url}/schema.json"})
        assert time.monotonic() - started < 1.0 + 3


@pytest.mark.parametrize(
    ("schema", "draft"),
    [
        ({"$schema": "http://json-schema.org/draft-07/schema#", "dependencies": {"a": ["b"]}}, None),
        ({"dependencies": {"a": ["b"]}}, "7"),
        ({"dependencies": {"a": ["b"]}}, "draft-07"),
    ],
)
def test_draft_07_is_honoured_by_its_schema_keyword_or_by_draft(schema, draft):
    # `dependencies` is a draft-07 keyword that 2020-12 ignores (it split it into dependentRequired/Schemas).
    schemas = SchemaRegistry()
    assert [v.message for v in schemas.validate({"a": 1}, schema, draft=draft)] == ["'b' is a dependency of 'a'"]
    assert schemas.validate({"a": 1}, {"dependencies": {"a": ["b"]}}) == []


def test_draft_04_and_2019_09_are_honoured():
    schemas = SchemaRegistry()
    draft4 = {"$schema": "http://json-schema.org/draft-04/schema#", "maximum": 5, "exclusiveMaximum": True}
    assert [v.message for v in schemas.validate(5, draft4)] == ["5 is greater than or equal to the maximum of 5"]
    # 2019-09 has no prefixItems: an array-form `items` checks positions.
    assert paths(schemas.validate(["x"], {"items": [{"type": "integer"}]}, draft="2019-09")) == ["$[0]"]


def test_an_unknown_draft_lists_the_known_ones():
    with pytest.raises(SeamError) as raised:
        draft_named("2021")
    assert str(raised.value) == "Contracts: unknown JSON Schema draft '2021' (known: 2020-12, 2019-09, 7, 6, 4)"


def test_formats_are_asserted_unless_switched_off():
    schemas = SchemaRegistry()
    schema = {"properties": {"at": {"type": "string", "format": "date-time"}}}
    assert [str(v) for v in schemas.validate({"at": "yesterday"}, schema)] == [
        "$.at: 'yesterday' is not a 'date-time' (value: \"yesterday\")"
    ]
    assert schemas.validate({"at": "yesterday"}, schema, formats=False) == []
    assert schemas.validate({"at": "2026-01-01T10:00:00Z"}, schema) == []


def test_a_string_is_validated_as_the_string_it_is():
    assert [v.message for v in SchemaRegistry().validate("1", {"type": "integer"})] == ["'1' is not of type 'integer'"]


def test_unknown_schema_name_lists_what_is_known(registry):
    with pytest.raises(SeamError) as raised:
        registry.validate({}, "orders")
    assert str(raised.value).startswith("Contracts: no schema named 'orders' (known: common, envelope.v1, error.v1,")
    assert str(raised.value).endswith(
        "); give a file path, load its directory with `Load Schemas` or import Seamline with schemas=DIRECTORY"
    )


def test_a_long_list_of_known_names_is_cut(tmp_path):
    for number in range(40):
        write(tmp_path, f"s{number:02}.json", {"type": "object"})
    schemas = SchemaRegistry()
    schemas.load_directory(tmp_path)
    with pytest.raises(SeamError, match=r"\(known: s00, s01, .*, s29 and 10 more\)"):
        schemas.get("s99")


def test_a_schema_path_that_does_not_exist_says_so(tmp_path):
    with pytest.raises(SeamError) as raised:
        SchemaRegistry().validate({}, str(tmp_path / "order.json"))
    assert str(raised.value) == f"Contracts: schema file {tmp_path / 'order.json'} does not exist"
    with pytest.raises(SeamError, match=r"^Contracts: schema file order\.json does not exist$"):
        SchemaRegistry().validate({}, "order.json")


def test_malformed_schema_file_names_the_file(tmp_path):
    write(tmp_path, "broken.json", '{"type": "object",')
    with pytest.raises(SeamError, match=r"Contracts: cannot load .*broken\.json: Expecting property name"):
        SchemaRegistry().load_directory(tmp_path)


def test_invalid_schema_names_the_rule_and_where(tmp_path):
    write(tmp_path, "bad.json", {"properties": {"n": {"type": "integr"}}})
    with pytest.raises(SeamError) as raised:
        SchemaRegistry().load_directory(tmp_path)
    assert str(raised.value).startswith("Contracts: 'bad' is not a valid JSON Schema: 'integr' is not valid")
    assert str(raised.value).endswith("at $.properties.n.type")


def test_a_file_that_fails_its_own_check_leaves_nothing_behind(tmp_path):
    good, bad = tmp_path / "good", tmp_path / "bad"
    write(good, "money.json", {"$defs": {"amount": {"$anchor": "amount", "type": "string"}}})
    write(good, "bill.json", {"properties": {"total": {"$ref": "money.json#amount"}}})
    write(bad, "fine.json", {"type": "object"})
    write(bad, "broken.json", {"properties": ["total"], "$defs": 3})
    schemas = SchemaRegistry()
    schemas.load_directory(good)
    with pytest.raises(SeamError, match="'broken' is not a valid JSON Schema"):
        schemas.load_directory(bad)
    # An anchor lookup crawls every registered resource: a broken one there raised AttributeError.
    assert paths(schemas.validate({"total": 1}, "bill")) == ["$.total"]
    assert "fine" not in schemas.names and "broken" not in schemas.names


def test_missing_directory_and_unresolvable_ref_are_clear(tmp_path):
    with pytest.raises(SeamError, match=r"schema directory .*nowhere does not exist"):
        SchemaRegistry().load_directory(tmp_path / "nowhere")
    write(tmp_path, "dangling.json", {"properties": {"x": {"$ref": "absent.json"}}})
    schemas = SchemaRegistry()
    schemas.load_directory(tmp_path)
    with pytest.raises(SeamError) as raised:
        schemas.validate({"x": 1}, "dangling")
    assert str(raised.value).startswith(
        f"Contracts: a $ref in schema 'dangling' cannot be resolved: Unresolvable: absent.json: "
        f"cannot load {tmp_path / 'absent.json'}: [Errno 2] No such file or directory"
    )


def test_search_path_explicit_path_then_import_directories_then_shipped(tmp_path, monkeypatch):
    first, second, shipped = tmp_path / "first", tmp_path / "second", tmp_path / "shipped"
    write(first, "order.json", {"const": "first"})
    write(second, "order.json", {"const": "second"})
    write(second, "item.json", {"const": "second"})
    write(shipped, "item.json", {"const": "shipped"})
    write(shipped, "envelope.json", {"const": "shipped"})
    monkeypatch.setattr(registry_module, "SHIPPED", shipped)
    schemas = SchemaRegistry([first, second])
    assert schemas.validate("first", "order") == []
    assert schemas.validate("second", "item") == []
    assert schemas.validate("shipped", "envelope") == []
    assert schemas.validate("second", str(second / "order.json")) == []
    monkeypatch.chdir(second)
    assert schemas.validate("second", "order.json") == [], "a relative path to a file beats a name"
    assert schemas.names == ["envelope", "item", "order"]


def test_load_schemas_wins_over_the_import_directories(tmp_path):
    imported, loaded = tmp_path / "imported", tmp_path / "loaded"
    write(imported, "order.json", {"const": "imported"})
    write(loaded, "order.json", {"const": "loaded"})
    schemas = SchemaRegistry([imported])
    schemas.load_directory(loaded)
    assert schemas.validate("loaded", "order") == []


def test_an_import_directory_that_does_not_exist_says_so(tmp_path):
    with pytest.raises(SeamError) as raised:
        SchemaRegistry([tmp_path / "contracts"]).validate({}, "order")
    missing = tmp_path / "contracts"
    assert str(raised.value) == f"Contracts: schema directory {missing} (schemas= at import) does not exist"
