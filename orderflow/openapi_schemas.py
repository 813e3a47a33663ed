"""Schemas of the gateway's OpenAPI document: what every orderflow response looks like."""

from __future__ import annotations

from collections.abc import Sequence
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
# More than zero, at most 10 digits before the point and 2 after (the orders service refuses 0 and 0.00).
POSITIVE_PRICE = r"^([1-9][0-9]{0,9}(\.[0-9]{1,2})?|0\.([1-9][0-9]?|0[1-9]))$"
# The services refuse a customer or SKU of spaces only, or holding a NUL (which PostgreSQL cannot store).
NOT_BLANK = r"^[^\x00]*\S[^\x00]*$"
TIMESTAMP = {"type": "string", "format": "date-time"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def closed_object(
    properties: dict[str, Any], *, optional: Sequence[str] = (), description: str | None = None
) -> dict[str, Any]:
    """A JSON object with exactly `properties`, each required unless named in `optional`."""
    described = {"description": description} if description is not None else {}
    return {
        "type": "object",
        **described,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
        "properties": properties,
    }


def schemas() -> dict[str, Any]:
    amount_by_status = closed_object({"count": {"type": "integer", "minimum": 0}, "amount": DECIMAL})
    return {
        "Error": closed_object(
            {
                "error": closed_object(
                    {
                        "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
                        "message": {"type": "string"},
                        "correlation_id": {"type": "string"},
                        "upstream": {"type": "string", "enum": ["orders", "inventory", "reports"]},
                    },
                    optional=["upstream"],
                )
            }
        ),
        "NewOrder": closed_object(
            {
                "customer": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK},
                "sku": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": NOT_BLANK},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 1000000},
                "unit_price": {"type": "string", "pattern": POSITIVE_PRICE, "examples": ["12.50"]},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "EUR"},
            },
            optional=["currency"],
        ),
        "Order": closed_object(
            {
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
            }
        ),
        "OrderPage": closed_object(
            {
                "items": {"type": "array", "items": ref("Order"), "description": "newest first"},
                "next": {"type": ["string", "null"], "description": "cursor of the next page; null on the last"},
            }
        ),
        "StockItem": closed_object(
            {
                "sku": {"type": "string"},
                "available": {"type": "integer", "minimum": 0},
                "reserved": {"type": "integer", "minimum": 0},
            }
        ),
        "StockList": closed_object({"items": {"type": "array", "items": ref("StockItem")}}),
        "StockUpdate": closed_object({"available": {"type": "integer", "minimum": 0, "maximum": 2147483647}}),
        "DailyReport": closed_object(
            {
                "date": {"type": "string", "format": "date"},
                "sku": {"type": "string", "description": "the SKU the figures are limited to (sku=)"},
                "orders": closed_object(
                    {
                        "count": {"type": "integer", "minimum": 0},
                        "amount": DECIMAL,
                        "by_status": closed_object({status: amount_by_status for status in STATUSES}),
                    },
                    description="orders created on the date (UTC); amounts summed over currencies",
                ),
                "stock": {"type": "array", "items": ref("StockItem")},
                "postings": {
                    "description": "ledger batches posted on the date; null without a ledger",
                    "oneOf": [
                        {"type": "null"},
                        closed_object(
                            {
                                "batches": {"type": "integer", "minimum": 0},
                                "orders": {"type": "integer", "minimum": 0},
                                "total": DECIMAL,
                            }
                        ),
                    ],
                },
            },
            optional=["sku"],
        ),
        "ConsistencyReport": closed_object(
            {
                "consistent": {"type": "boolean"},
                "checked_at": TIMESTAMP,
                "disagreements": {
                    "type": "array",
                    "items": closed_object(
                        {
                            "order_id": {"type": "string"},
                            "kind": {"type": "string", "enum": DISAGREEMENT_KINDS},
                            "detail": {"type": "string"},
                        }
                    ),
                },
            }
        ),
        "Health": closed_object({"status": {"const": "ok"}, "service": {"const": "gateway"}}),
    }
