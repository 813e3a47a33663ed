"""The one comparison rule and the one text-cutting rule of every seam.

A test writes values as Robot passes them (mostly text); systems return typed values that drivers
disagree on (SQLite returns 12.5 for a NUMERIC(12,2), PostgreSQL Decimal('12.50'), JSON carries
"12.50"; MariaDB returns 1 for TRUE; SQLite keeps timestamps as text without a zone).
`values_equal` compares what the values mean:

- numbers (int, float, Decimal, and numeric text against a number) by decimal value:
  12.5 == Decimal("12.50") == "12.50" (but two texts compare as text: "007" is not "7");
- booleans with their Robot and JSON spellings (True, true, TRUE) and with 1/0; the words true and
  false also against 1/0 (SQLite and MariaDB return 1 for TRUE) and against each other in any case
  (a CSV field "true" is the test's True);
- null (None) with its Robot and JSON spellings "None" and "null";
- timestamps (datetime or ISO 8601 text) as instants, a value without a zone taken as UTC,
  equal when less than a millisecond apart (APIs often cut microseconds); dates as dates;
- JSON text with the dict or list it encodes; dicts and lists item by item with this same rule;
- bytes as their UTF-8 text; anything else as text.

A `Tolerance` widens the rule for numbers (an absolute and/or a relative difference allowed) and
timestamps (an absolute difference in seconds); reconciliation gives one per field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

TIMESTAMP_TOLERANCE = timedelta(milliseconds=1)
NULL_SPELLINGS = frozenset({"None", "null"})
_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_BOOLEAN_WORDS = frozenset({"true", "false"})
_NUMBER_TYPES = (int, float, Decimal)  # not bool: True is no number here


@dataclass(frozen=True)
class Tolerance:
    """How far apart two numbers may be and still be equal: `absolute` (12.50 vs 12.51 within 0.01) or
    `relative` (a fraction of the larger magnitude: 0.01 is 1%); either suffices. Timestamps may be
    `absolute` seconds apart."""

    absolute: Decimal = Decimal(0)
    relative: Decimal = Decimal(0)

    def numbers_close(self, left: Decimal, right: Decimal) -> bool:
        difference = abs(left - right)
        return difference <= self.absolute or difference <= self.relative * max(abs(left), abs(right))

    def seconds_close(self, difference: timedelta) -> bool:
        return abs(difference.total_seconds()) <= self.absolute


def values_equal(actual: Any, expected: Any, tolerance: Tolerance | None = None) -> bool:
    """True when `actual` (what a system returned) and `expected` (what a test wrote) mean the same value.

    `tolerance` allows numbers (and timestamps) that far apart; without it they must be equal.
    """
    kinds = type(actual), type(expected)
    if kinds[0] is kinds[1] and actual == expected:  # the same value of one type: equal by every rule
        return True
    if str in kinds and (kinds[0] in _NUMBER_TYPES or kinds[1] in _NUMBER_TYPES):  # a number and a text
        text = actual if kinds[0] is str else expected
        if _NUMBER.match(text):  # numeric text is no boolean word: compare as numbers, as below
            number = _as_decimal(expected if kinds[0] is str else actual)
            given = Decimal(text.strip())
            return number == given or (
                tolerance is not None and number is not None and tolerance.numbers_close(number, given)
            )
    if actual is None or expected is None:
        other = expected if actual is None else actual
        return other is None or (isinstance(other, str) and other.strip() in NULL_SPELLINGS)
    if isinstance(actual, bytes):
        actual = actual.decode("utf-8", "replace")
    if isinstance(expected, bytes):
        expected = expected.decode("utf-8", "replace")
    if _compare_as_booleans(actual, expected):
        left_bool, right_bool = _as_bool(actual), _as_bool(expected)
        return left_bool is not None and left_bool == right_bool
    if not (isinstance(actual, str) and isinstance(expected, str)):  # two texts: "007" is not "7"
        left_number, right_number = _as_decimal(actual), _as_decimal(expected)
        if left_number is not None and right_number is not None:
            return left_number == right_number or (
                tolerance is not None and tolerance.numbers_close(left_number, right_number)
            )
    if isinstance(actual, (datetime, date)) or isinstance(expected, (datetime, date)):
        return _instants_equal(actual, expected, tolerance)
    if isinstance(actual, (Mapping, list, tuple)) or isinstance(expected, (Mapping, list, tuple)):
        return _structures_equal(_as_json(actual), _as_json(expected))
    if (
        isinstance(actual, str)
        and isinstance(expected, str)
        and _TIMESTAMP.match(actual)
        and _TIMESTAMP.match(expected)
    ):
        return _instants_equal(actual, expected, tolerance)
    return bool(actual == expected) or str(actual) == str(expected)


def _structures_equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        return actual.keys() == expected.keys() and all(values_equal(actual[k], expected[k]) for k in actual)
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(actual) == len(expected) and all(values_equal(a, e) for a, e in zip(actual, expected, strict=True))
    return False


def _compare_as_booleans(actual: Any, expected: Any) -> bool:
    """One side is a bool; or a true/false word against another such word or a number (not other text)."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return True
    words = [isinstance(value, str) and value.strip().lower() in _BOOLEAN_WORDS for value in (actual, expected)]
    if not any(words):
        return False
    other = expected if words[0] else actual
    return all(words) or not isinstance(other, str)


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


def _instants_equal(actual: Any, expected: Any, tolerance: Tolerance | None = None) -> bool:
    left, right = _as_instant(actual), _as_instant(expected)
    if left is None or right is None:
        return False
    if isinstance(left, datetime) and isinstance(right, datetime):
        difference = left - right
        return abs(difference) < TIMESTAMP_TOLERANCE or (tolerance is not None and tolerance.seconds_close(difference))
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


def cut(text: str, limit: int, beyond: int = 0) -> str:
    """`text` cut to `limit` characters (no limit when 0 or less), saying how much was left out; `beyond`
    counts characters already left out after `text`, when it is the start of a longer text."""
    if limit <= 0 or (len(text) <= limit and not beyond):
        return text
    return f"{text[:limit]}… [{max(len(text) - limit, 0) + beyond} more characters]"
