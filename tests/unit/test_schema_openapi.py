"""OpenAPI checks: operation matching, documented status, content type and every body violation."""

from __future__ import annotations

import json

import pytest

from Seamline.engine.errors import SeamError
from Seamline.engine.schema.openapi import OpenApiSpec

SPEC = {
    "openapi": "3.1.0",
    "servers": [{"url": "/api"}],
    "paths": {
        "/orders/{id}": {
            "get": {
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
                    "4XX": {"$ref": "#/components/responses/Error"},
                }
            }
        },
        "/orders/search": {"get": {"responses": {"204": {"description": "nothing"}}}},
    },
    "components": {
        "schemas": {
            "Order": {
                "type": "object",
                "required": ["id", "quantity"],
                "properties": {"id": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1}},
            }
        },
        "responses": {
            "Error": {
                "description": "error",
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object"}}}
                    }
                },
            }
        },
    },
}


def check(status, body, content_type="application/json", path="/api/orders/7", spec=SPEC):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return [
        str(v)
        for v in OpenApiSpec(spec, "spec.json").check_response("GET", f"http://h{path}", status, content_type, raw)
    ]


def test_matching_response_has_no_violations():
    assert check(200, {"id": "7", "quantity": 1}) == []
    assert check(404, {"error": {}}, "application/json; charset=utf-8") == []


def test_every_body_violation_is_listed():
    assert check(200, {"quantity": 0}) == [
        "$: 'id' is a required property (value: {\"quantity\": 0})",
        "$.quantity: 0 is less than the minimum of 1 (value: 0)",
    ]


def test_undocumented_status_wrong_content_type_and_non_json_body():
    assert check(500, {}) == ["status: 500 is not documented for GET /orders/{id} (documented: 200, 4XX) (value: 500)"]
    assert check(200, b"<p>", "text/html") == [
        "content-type: 'text/html' is not one of application/json (value: \"text/html\")"
    ]
    assert check(200, b"{oops", "application/json")[0].startswith("body: is not JSON (Expecting property name")


def test_literal_paths_win_over_templates_and_unknown_paths_fail():
    assert OpenApiSpec(SPEC, "s").operation("GET", "http://h/api/orders/search").template == "/orders/search"
    with pytest.raises(SeamError, match=r"Contracts: spec.json has no operation for GET /api/nothing"):
        check(200, {}, path="/api/nothing")
    with pytest.raises(SeamError, match=r"Contracts: s has no POST /orders/\{id\} \(GET only\)"):
        OpenApiSpec(SPEC, "s").operation("POST", "http://h/api/orders/1")


def test_openapi_30_nullable_is_understood():
    spec = json.loads(json.dumps(SPEC).replace('"3.1.0"', '"3.0.3"'))
    spec["components"]["schemas"]["Order"]["properties"]["id"] = {"type": "string", "nullable": True}
    assert check(200, {"id": None, "quantity": 1}, spec=spec) == []


def test_a_document_that_is_not_openapi_is_refused():
    with pytest.raises(SeamError, match=r"Contracts: x.json is not an OpenAPI 3 document"):
        OpenApiSpec({"swagger": "2.0"}, "x.json")


def test_formats_in_the_body_schema_are_asserted_unless_switched_off():
    spec = json.loads(json.dumps(SPEC))
    spec["components"]["schemas"]["Order"]["properties"]["id"]["format"] = "uuid"
    document = OpenApiSpec(spec, "spec.json")
    body = json.dumps({"id": "7", "quantity": 1}).encode()
    found = document.check_response("GET", "http://h/api/orders/7", 200, "application/json", body)
    assert [str(v) for v in found] == ["$.id: '7' is not a 'uuid' (value: \"7\")"]
    assert document.check_response("GET", "http://h/api/orders/7", 200, "application/json", body, formats=False) == []
