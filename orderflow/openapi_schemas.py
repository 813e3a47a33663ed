"""Schemas of the gateway's OpenAPI document: what every orderflow response looks like."""

from __future__ import annotations

from typing import Any

STATUSES = ["NEW", "RESERVED", "REJECTED", "CANCELLED"]
DISAGREEMENT_KINDS = [
    "reservation_missing",
    "reservation_orphaned",
    "posting_missing",
    "amount_mismatch",
    "posted_not_reserved",
    "posted_unknown_order",
    "posted_twice",
]
DECIMAL = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["25.00"]}
TIMESTAMP = {"type": "string", "format": "date-time"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def schemas() -> dict[str, Any]:
    amount_by_status = {
        "type": "object",
        "required": ["count", "amount"],
        "additionalProperties": False,
        "properties": {"count": {"type": "integer", "minimum": 0}, "amount": DECIMAL},
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "additionalProperties": False,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "correlation_id"],
                    "additionalProperties": False,
                    "properties": {
                        "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
                        "message": {"type": "string"},
                        "correlation_id": {"type": "string"},
                        "upstream": {"type": "string", "enum": ["orders", "inventory", "reports"]},
                    },
                }
            },
        },
        "NewOrder": {
            "type": "object",
            "required": ["customer", "sku", "quantity", "unit_price"],
            "additionalProperties": False,
            "properties": {
                "customer": {"type": "string", "minLength": 1, "maxLength": 200},
                "sku": {"type": "string", "minLength": 1, "maxLength": 64},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 1000000},
                "unit_price": {"type": "string", "pattern": r"^\d{1,10}(\.\d{1,2})?$", "examples": ["12.50"]},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "EUR"},
            },
        },
        "Order": {
            "type": "object",
            "required": [
                "id",
                "customer",
                "sku",
                "quantity",
                "unit_price",
                "amount",
                "currency",
                "status",
                "reject_reason",
                "correlation_id",
                "created_at",
                "updated_at",
            ],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "customer": {"type": "string"},
                "sku": {"type": "string"},
                "quantity": {"type": "integer", "minimum": 1},
                "unit_price": DECIMAL,
                "amount": {**DECIMAL, "description": "quantity x unit_price"},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "status": {"type": "string", "enum": STATUSES},
                "reject_reason": {"type": ["string", "null"]},
                "correlation_id": {"type": "string"},
                "created_at": TIMESTAMP,
                "updated_at": TIMESTAMP,
            },
        },
        "OrderPage": {
            "type": "object",
            "required": ["items", "next"],
            "additionalProperties": False,
            "properties": {
                "items": {"type": "array", "items": ref("Order"), "description": "newest first"},
                "next": {"type": ["string", "null"], "description": "cursor of the next page; null on the last"},
            },
        },
        "StockItem": {
            "type": "object",
            "required": ["sku", "available", "reserved"],
            "additionalProperties": False,
            "properties": {
                "sku": {"type": "string"},
                "available": {"type": "integer", "minimum": 0},
                "reserved": {"type": "integer", "minimum": 0},
            },
        },
        "StockList": {
            "type": "object",
            "required": ["items"],
            "additionalProperties": False,
            "properties": {"items": {"type": "array", "items": ref("StockItem")}},
        },
        "StockUpdate": {
            "type": "object",
            "required": ["available"],
            "additionalProperties": False,
            "properties": {"available": {"type": "integer", "minimum": 0}},
        },
        "DailyReport": {
            "type": "object",
            "required": ["date", "orders", "stock", "postings"],
            "additionalProperties": False,
            "properties": {
                "date": {"type": "string", "format": "date"},
                "orders": {
                    "type": "object",
                    "description": "orders created on the date (UTC); amounts summed over currencies",
                    "required": ["count", "amount", "by_status"],
                    "additionalProperties": False,
                    "properties": {
                        "count": {"type": "integer", "minimum": 0},
                        "amount": DECIMAL,
                        "by_status": {
                            "type": "object",
                            "required": STATUSES,
                            "additionalProperties": False,
                            "properties": {status: amount_by_status for status in STATUSES},
                        },
                    },
                },
                "stock": {"type": "array", "items": ref("StockItem")},
                "postings": {
                    "description": "ledger batches posted on the date; null without a ledger",
                    "oneOf": [
                        {"type": "null"},
                        {
                            "type": "object",
                            "required": ["batches", "orders", "total"],
                            "additionalProperties": False,
                            "properties": {
                                "batches": {"type": "integer", "minimum": 0},
                                "orders": {"type": "integer", "minimum": 0},
                                "total": DECIMAL,
                            },
                        },
                    ],
                },
            },
        },
        "ConsistencyReport": {
            "type": "object",
            "required": ["consistent", "checked_at", "disagreements"],
            "additionalProperties": False,
            "properties": {
                "consistent": {"type": "boolean"},
                "checked_at": TIMESTAMP,
                "disagreements": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["order_id", "kind", "detail"],
                        "additionalProperties": False,
                        "properties": {
                            "order_id": {"type": "string"},
                            "kind": {"type": "string", "enum": DISAGREEMENT_KINDS},
                            "detail": {"type": "string"},
                        },
                    },
                },
            },
        },
        "Health": {
            "type": "object",
            "required": ["status", "service"],
            "additionalProperties": False,
            "properties": {"status": {"const": "ok"}, "service": {"const": "gateway"}},
        },
    }
