"""Type-aware equality between a database value and what an API or a test says it should be.

Drivers disagree on types (SQLite returns 12.5 for a NUMERIC(12,2), PostgreSQL Decimal('12.50'),
JSON carries "12.50"; MariaDB returns 1 for TRUE; SQLite keeps timestamps as text without a zone).
`values_equal` compares what the values mean:

- numbers (int, float, Decimal, and numeric text against a number) by decimal value:
  12.5 == Decimal("12.50") == "12.50" (but two texts compare as text: "007" is not "7");
- booleans with 1/0 and "true"/"false";
- timestamps (datetime or ISO 8601 text) as instants, a value without a zone taken as UTC,
  equal when less than a millisecond apart (APIs often cut microseconds);
- JSON text with the dict or list it encodes; bytes with their UTF-8 text;
- anything else with ==; None only equals None.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import SeamError
from .jsonpath import find_one

TIMESTAMP_TOLERANCE = timedelta(milliseconds=1)
_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_MISSING = object()


def values_equal(actual: Any, expected: Any) -> bool:
    """True when `actual` and `expected` mean the same value (see the module docstring)."""
    if actual is None or expected is None:
        return actual is None and expected is None
    if isinstance(actual, bytes):
        actual = actual.decode("utf-8", "replace")
    if isinstance(expected, bytes):
        expected = expected.decode("utf-8", "replace")
    if isinstance(actual, bool) or isinstance(expected, bool):
        left_bool, right_bool = _as_bool(actual), _as_bool(expected)
        return left_bool is not None and left_bool == right_bool
    if not (isinstance(actual, str) and isinstance(expected, str)):  # two texts: "007" is not "7"
        left_number, right_number = _as_decimal(actual), _as_decimal(expected)
        if left_number is not None and right_number is not None:
            return left_number == right_number
    if isinstance(actual, (datetime, date)) or isinstance(expected, (datetime, date)):
        return _instants_equal(actual, expected)
    if isinstance(actual, (dict, list)) or isinstance(expected, (dict, list)):
        return _as_json(actual) == _as_json(expected)
    if (
        isinstance(actual, str)
        and isinstance(expected, str)
        and _TIMESTAMP.match(actual)
        and _TIMESTAMP.match(expected)
    ):
        return _instants_equal(actual, expected)
    return bool(actual == expected) or str(actual) == str(expected)


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return None


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str) and _NUMBER.match(value):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _as_instant(value: Any) -> datetime | date | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if _DATE.match(text):
                return date.fromisoformat(text)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


def _instants_equal(actual: Any, expected: Any) -> bool:
    left, right = _as_instant(actual), _as_instant(expected)
    if left is None or right is None:
        return False
    if isinstance(left, datetime) and isinstance(right, datetime):
        return abs(left - right) < TIMESTAMP_TOLERANCE
    if isinstance(left, datetime) or isinstance(right, datetime):
        return False  # a date against a timestamp: the timestamp carries more than the date says
    return left == right


def _as_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@dataclass
class Mismatch:
    field: str
    column: str
    expected: Any
    actual: Any


@dataclass
class RowComparison:
    """What `compare_row` compared: the fields that agree, those that do not and those left out."""

    matched: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def compare_row(row: dict[str, Any], expected: dict[str, Any], mapping: dict[str, str] | None = None) -> RowComparison:
    """Compare `row` (a database row) with `expected` (e.g. an API's JSON object).

    `mapping` maps a field of `expected` (a name or a JSONPath such as `payment.amount`) to the
    row's column; fields it does not name are compared with the column of the same name (case
    ignored) when there is one, and listed in `not_compared` otherwise. A mapped field whose value
    is empty (`""`) is left out on purpose.
    """
    mapping = dict(mapping or {})
    columns = {name.lower(): name for name in row}
    comparison = RowComparison()
    pairs: list[tuple[str, str, Any]] = []

    def column_of(mapped: str) -> str:
        if mapped.lower() not in columns:
            raise SeamError("SQL", f"mapping names column '{mapped}', but the row has only: {', '.join(row)}")
        return columns[mapped.lower()]

    for name, value in expected.items():
        if name in mapping:
            if mapping[name]:
                pairs.append((name, column_of(mapping[name]), value))
        elif name.lower() in columns:
            pairs.append((name, columns[name.lower()], value))
        else:
            comparison.not_compared.append(name)
    for path, mapped in mapping.items():
        if path in expected or not mapped:
            continue
        value = find_one(expected, path, default=_MISSING)
        if value is _MISSING:
            raise SeamError("SQL", f"mapping names field '{path}', which the expected object does not have")
        pairs.append((path, column_of(mapped), value))
    if not pairs:
        raise SeamError(
            "SQL",
            f"no field of the expected object ({', '.join(expected) or 'none'}) names a column of the row "
            f"({', '.join(row)}); give a mapping",
        )
    for name, column, value in pairs:
        if values_equal(row[column], value):
            comparison.matched.append(name)
        else:
            comparison.mismatches.append(Mismatch(name, column, value, row[column]))
    return comparison


def row_matches(row: dict[str, Any], criteria: dict[str, Any]) -> bool:
    """True when every `column=value` of `criteria` holds for `row` (type-aware; missing column: False)."""
    return all(column in row and values_equal(row[column], value) for column, value in criteria.items())


def matching_columns(row: dict[str, Any], criteria: dict[str, Any]) -> int:
    """How many of `criteria` hold for `row`: how close the row is to the one wanted."""
    return sum(1 for column, value in criteria.items() if column in row and values_equal(row[column], value))
