"""The gateway's OpenAPI 3.1 document, written by hand to match what the services return.

Other engineers derive JSON Schemas and suites from it: change it with the code, never apart.
"""

from __future__ import annotations

from typing import Any

from orderflow.openapi_schemas import NOT_BLANK, ref, schemas

ERROR_DESCRIPTIONS = {
    "401": "Missing or unknown X-Api-Key (UNAUTHORIZED)",
    "403": "The key's role may not use this operation (FORBIDDEN)",
    "404": "No such route or resource (NOT_FOUND, ORDER_NOT_FOUND, SKU_NOT_FOUND)",
    "405": "Method not allowed on this route (METHOD_NOT_ALLOWED); see the Allow header",
    "409": (
        "The resource's state forbids the operation (ORDER_NOT_CANCELLABLE: the order is REJECTED or CANCELLED; "
        "ORDER_SETTLED: the order was sent to the ledger in a settlement batch, the error names it)"
    ),
    "413": "Request body larger than the gateway's limit (PAYLOAD_TOO_LARGE)",
    "422": "Invalid request (VALIDATION_ERROR, INVALID_JSON, INVALID_CURSOR, INVALID_DATE, INVALID_SKU), "
    "X-Correlation-Id included",
    "429": "Per-key rate limit exceeded (RATE_LIMITED); see Retry-After",
    "500": "Unexpected failure (INTERNAL_ERROR)",
    "502": "Upstream service unreachable (UPSTREAM_UNAVAILABLE) or its dependency failed",
    "503": "A service's own dependency is unavailable (DEPENDENCY_UNAVAILABLE)",
    "504": "Upstream service did not answer within the upstream timeout (UPSTREAM_TIMEOUT)",
}
NO_CONTROL = "^[^\\x00-\\x1f\\x7f]+$"
# 422 too: every operation refuses an X-Correlation-Id longer than its maxLength.
ALWAYS = ["401", "403", "405", "422", "429", "500", "502", "503", "504"]


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def ok(description: str, schema_name: str, extra_headers: dict[str, Any] | None = None) -> Any:
    return {
        "description": description,
        "headers": {**TRACE_HEADERS, **(extra_headers or {})},
        "content": json_content(ref(schema_name)),
    }


TRACE_HEADERS = {
    "X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"},
    "Server-Timing": {"$ref": "#/components/headers/Server-Timing"},
    "traceresponse": {"$ref": "#/components/headers/traceresponse"},
}


def operation(
    operation_id: str,
    summary: str,
    roles: str,
    responses: dict[str, Any],
    errors: list[str],
    parameters: list[Any] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "description": f"Roles: {roles}.",
        "parameters": [{"$ref": "#/components/parameters/CorrelationId"}, *(parameters or [])],
        "responses": {
            **responses,
            **{code: {"$ref": f"#/components/responses/E{code}"} for code in sorted(set(errors) | set(ALWAYS))},
        },
    }
    if body:
        result["requestBody"] = {"required": True, "content": json_content(ref(body))}
    return result


def path_param(name: str, description: str, limits: dict[str, Any] | None = None) -> dict[str, Any]:
    schema = {"type": "string", **(limits or {})}
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def paths() -> dict[str, Any]:
    order_id = path_param("id", "order id (UUID)")
    sku = path_param(
        "sku", "stock keeping unit, e.g. SKU-APPLE", {"minLength": 1, "maxLength": 64, "pattern": NO_CONTROL}
    )
    read_orders, write_orders = "clerk, auditor, admin", "clerk, admin"
    return {
        "/api/orders": {
            "post": operation(
                "createOrder",
                "Place an order (status NEW; inventory then reserves or rejects)",
                write_orders,
                {"201": ok("The order as stored", "Order", {"Location": {"schema": {"type": "string"}}})},
                ["413", "422"],
                body="NewOrder",
            ),
            "get": operation(
                "listOrders",
                "Orders, newest first, one page at a time",
                read_orders,
                {"200": ok("One page", "OrderPage")},
                ["422"],
                parameters=[
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "`next` of the previous page",
                    },
                ],
            ),
        },
        "/api/orders/{id}": {
            "get": operation(
                "getOrder",
                "One order",
                read_orders,
                {"200": ok("The order", "Order")},
                ["404"],
                parameters=[order_id],
            )
        },
        "/api/orders/{id}/cancel": {
            "post": operation(
                "cancelOrder",
                "Cancel a NEW or RESERVED order not yet settled (reserved stock is released)",
                write_orders,
                {"200": ok("The cancelled order", "Order")},
                ["404", "409"],
                parameters=[order_id],
            )
        },
        "/api/inventory": {
            "get": operation(
                "listStock",
                "Stock of every SKU",
                "clerk, auditor, admin",
                {"200": ok("All stock items, by SKU", "StockList")},
                [],
            )
        },
        "/api/inventory/{sku}": {
            "get": operation(
                "getStock",
                "Stock of one SKU",
                "clerk, auditor, admin",
                {"200": ok("The stock item", "StockItem")},
                ["404"],
                parameters=[sku],
            ),
            "put": operation(
                "setStock",
                "Set the available quantity of a SKU (creates it when new)",
                "admin",
                {"200": ok("Updated", "StockItem"), "201": ok("Created", "StockItem")},
                ["413", "422"],
                parameters=[sku],
                body="StockUpdate",
            ),
        },
        "/api/reports/daily": {
            "get": operation(
                "dailyReport",
                "Orders per status, stock, and ledger postings of one day",
                "auditor, admin",
                {"200": ok("The day's figures", "DailyReport")},
                ["422"],
                parameters=[
                    {
                        "name": "date",
                        "in": "query",
                        "schema": {"type": "string", "format": "date"},
                        "description": "YYYY-MM-DD (UTC); default today",
                    },
                    {
                        "name": "sku",
                        "in": "query",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": NOT_BLANK},
                        "description": "only this SKU's orders, stock and postings (their orders' amounts)",
                    },
                ],
            )
        },
        "/api/reports/consistency": {
            "get": operation(
                "consistencyReport",
                "Disagreements between orders, reservations and ledger postings",
                "auditor, admin",
                {"200": ok("Result of the comparison", "ConsistencyReport")},
                [],
            )
        },
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Liveness of the gateway",
                "security": [],
                "responses": {"200": {"description": "Up", "content": json_content(ref("Health"))}},
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {"description": "OpenAPI 3.1 document", "content": json_content({"type": "object"})}
                },
            }
        },
    }


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "orderflow gateway",
            "version": "1.0.0",
            "description": (
                "The public API of orderflow, Seamline's reference platform. Every failure uses the "
                "Error envelope. Send X-Correlation-Id to have it kept (else one is created) and a "
                "W3C traceparent to join a trace (each hop gets a new span id)."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"ApiKey": []}],
        "paths": paths(),
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}},
            "schemas": schemas(),
            "parameters": {
                "CorrelationId": {
                    "name": "X-Correlation-Id",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 64},
                    "description": "Kept and passed to every service; created when absent",
                }
            },
            "headers": {
                "X-Correlation-Id": {"schema": {"type": "string"}, "description": "The request's correlation id"},
                "Server-Timing": {
                    "schema": {"type": "string"},
                    "description": "gateway;dur=<own ms>, <service>;dur=<ms inside the service>",
                },
                "traceresponse": {
                    "schema": {"type": "string"},
                    "description": "W3C trace context of the gateway's span: 00-<trace-id>-<span-id>-<flags>",
                },
                "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"},
            },
            "responses": {
                f"E{code}": {
                    "description": description,
                    "headers": {
                        **TRACE_HEADERS,
                        **({"Retry-After": {"$ref": "#/components/headers/Retry-After"}} if code == "429" else {}),
                    },
                    "content": json_content(ref("Error")),
                }
                for code, description in ERROR_DESCRIPTIONS.items()
            },
        },
    }
