"""The fields of a record layout: how one field's text maps to a typed value and back, strictly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_DIGITS = re.compile(r"[0-9]+")
_SIGNED_DIGITS = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


class FieldValueError(ValueError):
    """A value that does not fit its field; the reader or writer adds the file, line and field."""


@dataclass(frozen=True)
class FieldSpec:
    """One field: where it sits (fixed-width) or which column it is (CSV), and how its text maps to a value."""

    name: str
    type: str = "str"
    start: int = 0
    length: int = 0
    column: int = 0
    format: str | None = None
    scale: int | None = None
    padding: str = " "
    alignment: str = "left"
    signed: bool = False
    optional: bool = False

    @property
    def end(self) -> int:
        return self.start + self.length - 1

    @property
    def place(self) -> str:
        """Where the field is, for a failure message."""
        return f"columns {self.start}-{self.end}" if self.length else f"column {self.column}"

    def parse(self, text: str) -> Any:
        """The typed value of the field's text (padding removed); raises FieldValueError."""
        if self.type == "str":
            return text.rstrip(self.padding) if self.alignment == "left" else text.lstrip(self.padding)
        if self.optional and not text.strip():
            return None
        stripped = text.strip(" ")
        if self.type == "date":
            pattern = self.format or "%Y%m%d"
            try:
                return datetime.strptime(stripped, pattern).date()
            except ValueError:
                raise FieldValueError(f"expected a date like {pattern}, got '{text}'") from None
        if self.type == "decimal" and self.scale is None:
            if not _DECIMAL.fullmatch(stripped):
                raise FieldValueError(f"expected a decimal number, got '{text}'")
            return Decimal(stripped)
        if not (_SIGNED_DIGITS if self.signed else _DIGITS).fullmatch(stripped):
            raise FieldValueError(f"expected {'signed ' if self.signed else ''}digits, got '{text}'")
        number = int(stripped)
        return number if self.type == "int" else Decimal(number).scaleb(-(self.scale or 0))

    def format_value(self, value: Any) -> str:
        """The field's text for `value`, padded to its length (fixed-width); raises FieldValueError."""
        if self.type == "str":
            return self._pad("" if value is None else str(value), self.padding)
        if value is None or (self.optional and value == ""):
            if not self.optional:
                raise FieldValueError("expected a value, got none (the field is not optional)")
            return self._pad("", " ")
        return self._pad(self._text(value), self.padding)

    def _text(self, value: Any) -> str:
        if self.type == "date":
            return _to_date(value, self.format or "%Y%m%d").strftime(self.format or "%Y%m%d")
        if self.type == "decimal" and self.scale is None:
            return str(_to_decimal(value))
        number = _to_int(value) if self.type == "int" else _scaled(_to_decimal(value), self.scale or 0)
        if number < 0 and not self.signed:
            raise FieldValueError(f"expected a value of at least 0 (the field is unsigned), got {value}")
        return str(number)

    def _pad(self, text: str, padding: str) -> str:
        if not self.length:
            return text
        if len(text) > self.length:
            raise FieldValueError(f"'{text}' is {len(text)} characters, the field holds {self.length}")
        if self.alignment == "left":
            return text.ljust(self.length, padding)
        if text[:1] in "+-" and padding == "0":
            return text[0] + text[1:].rjust(self.length - 1, padding)
        return text.rjust(self.length, padding)


def _to_int(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, (float, Decimal)) and value != int(value)):
        raise FieldValueError(f"expected a whole number, got {value!r}")
    try:
        return int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise FieldValueError(f"expected a whole number, got {value!r}") from None


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise FieldValueError(f"expected a decimal number, got {value!r}")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise FieldValueError(f"expected a decimal number, got {value!r}") from None


def _scaled(value: Decimal, scale: int) -> int:
    scaled = value.scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise FieldValueError(f"{value} has more than {scale} decimals")
    return int(scaled)


def _to_date(value: Any, pattern: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, pattern).date()):
        try:
            return parse(text)
        except ValueError:
            continue
    raise FieldValueError(f"expected a date (ISO 8601 or {pattern}), got {value!r}")
