"""Comparing a database row with what an API or a test says it should be (by the one rule of `values`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import SeamError
from ..jsonpath import find_one
from ..values import values_equal

SEAM = "SQL"
_MISSING = object()


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

    def describe(self) -> str:
        """The mismatches as a failure lists them, one field a line."""
        lines = [
            f"  {m.field}: row has {m.actual!r}"
            + (f" (column {m.column})" if m.column != m.field else "")
            + f", expected {m.expected!r}"
            for m in self.mismatches
        ]
        count = len(self.mismatches)
        return f"row differs from the expected object in {count} field{'s' * (count != 1)}:\n" + "\n".join(lines)


def expected_object(expected: Any) -> dict[str, Any]:
    """What a row is compared with: a dict, or the JSON text of one."""
    if isinstance(expected, str):
        try:
            expected = json.loads(expected)
        except ValueError as error:
            raise SeamError(
                SEAM, f"expected a JSON object to compare the row with, got invalid JSON: {error}"
            ) from None
    if not isinstance(expected, dict):
        raise SeamError(SEAM, f"expected a JSON object to compare the row with, got {type(expected).__name__}")
    return expected


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
            raise SeamError(SEAM, f"mapping names column '{mapped}', but the row has only: {', '.join(row)}")
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
            raise SeamError(SEAM, f"mapping names field '{path}', which the expected object does not have")
        pairs.append((path, column_of(mapped), value))
    if not pairs:
        raise SeamError(
            SEAM,
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
