"""Span conditions of `Trace Should Contain`: select spans by what they are, then assert on each of them.

A condition is ``field<operator>value``. Equalities (``service=orders``, ``http.status_code=201``) select
spans; comparisons (``duration<50ms``, ``self>=2ms``, ``http.status_code!=500``, ``outcome!=ok``) must
hold for every selected span. Fields: ``duration`` and ``self`` (the span's self time, its duration minus
its children's) take times; ``service``, ``operation``, ``system``, ``kind``, ``outcome``, ``trace_id``
and ``target`` (found anywhere in the span's target) are the span's own; any other name is an attribute,
with or without an ``attributes.`` prefix. Equality uses the comparison rule of `values_equal`; ``<``,
``<=``, ``>`` and ``>=`` compare numbers by value and anything else as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import SeamError
from ..timeline import Span
from ..values import values_equal
from .hops import SpanTree

SEAM = "Timeline"
TIME_FIELDS = frozenset({"duration", "self"})
SPAN_FIELDS = frozenset({"service", "operation", "system", "kind", "outcome", "trace_id", "target"})
_CONDITION = re.compile(r"^\s*(?P<field>[^<>=!\s][^<>=!]*?)\s*(?P<operator><=|>=|!=|<|>|=)\s*(?P<value>.*?)\s*$")
_MISSING = object()


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any
    text: str

    @property
    def selects(self) -> bool:
        """An equality on anything but a time picks the spans the other conditions are checked on."""
        return self.operator == "=" and self.field not in TIME_FIELDS

    def holds(self, span: Span, tree: SpanTree) -> bool:
        actual = _value_of(span, self.field, tree)
        if actual is _MISSING:
            return False
        if self.field == "target" and self.operator in ("=", "!="):
            return (str(self.value) in str(actual)) == (self.operator == "=")
        if self.operator in ("=", "!="):
            return values_equal(actual, self.value) == (self.operator == "=")
        left, right = _ordered(actual), _ordered(self.value)
        if type(left) is not type(right):
            left, right = str(actual), str(self.value)
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[self.operator]


def parse_condition(text: str, seconds: Callable[[str], float]) -> Condition:
    """``duration<50ms`` as a Condition; `seconds` converts the value of a time field."""
    match = _CONDITION.match(text)
    if not match:
        raise SeamError(SEAM, f"condition '{text}' is not field<operator>value (duration<50ms, http.status_code=201)")
    field, operator, value = match.group("field"), match.group("operator"), match.group("value")
    return make_condition(field, operator, value, seconds, text)


def make_condition(field: str, operator: str, value: Any, seconds: Callable[[str], float], text: str) -> Condition:
    field = field.removeprefix("attributes.")
    if field in TIME_FIELDS:
        if operator in ("=", "!="):
            raise SeamError(SEAM, f"condition '{text}': compare {field} with <, <=, > or >= (a time is never exact)")
        try:
            value = seconds(str(value))
        except ValueError:
            raise SeamError(SEAM, f"condition '{text}': '{value}' is not a Robot time (50ms, 1.5s)") from None
    return Condition(field, operator, value, text)


def describe(span: Span, tree: SpanTree) -> str:
    """One line a failure shows for a span: who, what, how long and how it ended."""
    who = span.system if span.service == "test" else f"{span.service} {span.kind}"
    return (
        f"{who} {span.operation} {span.target} ({span.duration * 1000:.1f} ms, self "
        f"{tree.self_time(span) * 1000:.1f} ms, {span.outcome})"
    )


def _value_of(span: Span, field: str, tree: SpanTree) -> Any:
    if field == "duration":
        return span.duration
    if field == "self":
        return tree.self_time(span)
    if field in SPAN_FIELDS:
        return getattr(span, field)
    return span.attributes.get(field, _MISSING)


def _ordered(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return str(value)
