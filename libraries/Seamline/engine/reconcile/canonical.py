"""The canonical text of a value: how keys match across sources, and what a table checksum hashes.

Drivers and formats return one value in several shapes (5, Decimal("5.00"), "5"; a timestamp as a
datetime with or without a zone, or as ISO text). Keys are matched by one text per value, and every
database computes the same text for a table checksum (see `tables`):

- NULL: ``\\N``;
- booleans: ``1`` and ``0``;
- numbers: plain decimal text without trailing zeros (``12.5`` for 12.50, ``3`` for 3.00, never ``1E+2``);
- timestamps: UTC, ``YYYY-MM-DDTHH:MM:SS.mmm`` (milliseconds, cut); a value without a zone is UTC;
- dates: ``YYYY-MM-DD``; bytes: lower-case hex;
- text: as it is (in a key, text that is a number or a timestamp in ISO 8601 gets that text: ``"007"``
  matches 7; a table checksum keeps a text column's text as stored).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

NULL_TEXT = "\\N"
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def number_text(value: int | float | Decimal) -> str:
    """12.50 -> '12.5', 3.00 -> '3', 100 -> '100', 1e-7 -> '0.0000001'."""
    if type(value) is int:
        return str(value)
    text = format(Decimal(repr(value)) if isinstance(value, float) else value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def timestamp_text(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}"


def canonical_text(value: Any) -> str:
    """The canonical text of a typed value (text stays as it is)."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return NULL_TEXT
    if kind is bool:
        return "1" if value else "0"
    if isinstance(value, (int, float, Decimal)):
        return number_text(value)
    if isinstance(value, datetime):
        return timestamp_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def key_text(value: Any) -> str:
    """The canonical text of a key part: text that reads as a number or an ISO timestamp is taken as one."""
    if type(value) is str:
        text = value.strip()
        if text.isdigit() and text.isascii():
            return text.lstrip("0") or "0"
        if _NUMBER.match(text):
            return number_text(Decimal(text))
        if _TIMESTAMP.match(text):
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return value
            return timestamp_text(parsed)
        return value
    return canonical_text(value)
