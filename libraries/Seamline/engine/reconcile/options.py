"""What a reconciliation compares: keys, fields, tolerances, normalisers and renamed fields.

Arguments arrive as Robot gives them: a list, or text with commas (``order_id,sku``), and
dictionaries or ``name=value`` text (``amount=0.01,total=1%``). Everything is checked before a row is
read, so a misspelt normaliser fails at once, naming the valid ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import SeamError
from ..values import Tolerance, _as_decimal, _as_instant, values_equal

SEAM = "Reconcile"
Normaliser = Callable[[Any], Any]


def names(given: str | Sequence[str] | None) -> list[str]:
    """``a,b`` or ``a, b`` or a list -> ['a', 'b'] (empty for None or '')."""
    if given is None:
        return []
    items = given.split(",") if isinstance(given, str) else [str(item) for item in given]
    return [item.strip() for item in items if item.strip()]


def pairs(given: str | Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    """``a=1,b=2`` or a dictionary -> {'a': '1', 'b': '2'}."""
    if not given:
        return {}
    if isinstance(given, Mapping):
        return {str(name).strip(): value for name, value in given.items()}
    found = {}
    for item in names(given):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SeamError(SEAM, f"{what} '{item}' is not name=value")
        found[name.strip()] = value.strip()
    return found


def tolerance_of(field_name: str, given: Any) -> Tolerance:
    """``0.01`` (absolute), ``1%`` (relative), or both as ``0.01|1%``."""
    absolute, relative = Decimal(0), Decimal(0)
    for part in str(given).split("|"):
        text = part.strip()
        try:
            if text.endswith("%"):
                relative = Decimal(text[:-1].strip()) / 100
            else:
                absolute = Decimal(text)
        except InvalidOperation:
            raise SeamError(
                SEAM, f"tolerance of {field_name} '{given}' is not a number (0.01), a percentage (1%) or both (0.01|1%)"
            ) from None
    if absolute < 0 or relative < 0:
        raise SeamError(SEAM, f"tolerance of {field_name} '{given}' is negative")
    return Tolerance(absolute, relative)


def _trim(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _case(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _decimals(places: int) -> Normaliser:
    quantum = Decimal(1).scaleb(-places)

    def rounded(value: Any) -> Any:
        number = _as_decimal(value) if not isinstance(value, bool) else None
        return value if number is None else number.quantize(quantum, ROUND_HALF_EVEN)

    return rounded


def _zone(zone: tzinfo) -> Normaliser:
    def in_zone(value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        instant = _as_instant(value) if isinstance(value, (str, datetime)) else None
        if not isinstance(instant, datetime):
            return value
        naive = value.tzinfo is None if isinstance(value, datetime) else _naive_text(value)
        local = instant.replace(tzinfo=zone) if naive else instant
        return local.astimezone(timezone.utc)

    return in_zone


def _naive_text(text: str) -> bool:
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed.tzinfo is None


NORMALISERS = "trim, case, decimals:<places>, timezone:<zone> (Europe/Paris, UTC, +02:00)"


def normaliser(field_name: str, spec: str) -> Normaliser:
    """One normaliser: ``trim``, ``case``, ``decimals:2``, ``timezone:Europe/Paris``."""
    name, _, argument = spec.strip().partition(":")
    name = name.strip().lower()
    if name == "trim":
        return _trim
    if name == "case":
        return _case
    if name == "decimals" and argument.strip().isdigit():
        return _decimals(int(argument))
    if name == "timezone" and argument.strip():
        return _zone(_tz(field_name, argument.strip()))
    raise SeamError(SEAM, f"normaliser '{spec}' of {field_name} is not one of: {NORMALISERS}")


def _tz(field_name: str, name: str) -> tzinfo:
    if name[:1] in "+-":
        try:
            return datetime.fromisoformat(f"2000-01-01T00:00:00{name}").tzinfo or timezone.utc
        except ValueError:
            pass
    else:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise SeamError(SEAM, f"time zone '{name}' of {field_name} is not a zone name (Europe/Paris) or offset (+02:00)")


def chain(steps: list[Normaliser]) -> Normaliser:
    if len(steps) == 1:
        return steps[0]

    def all_steps(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value

    return all_steps


@dataclass
class Options:
    """A parsed reconciliation: `key` and `fields` name the left side's fields (after `rename`)."""

    key: list[str]
    fields: list[str] | None = None  # None: the fields both sides' first rows have
    ignore: set[str] = field(default_factory=set)
    rename: dict[str, str] = field(default_factory=dict)  # a field's other name -> its name
    tolerance: dict[str, Tolerance] = field(default_factory=dict)
    normalise: dict[str, Normaliser] = field(default_factory=dict)  # "*" applies to every field
    name: str = "reconciliation"
    samples: int = 1000
    only: dict[str, Any] = field(default_factory=dict)  # rows of both sides with these field values

    def keeps(self, row: Mapping[str, Any]) -> bool:
        return all(name in row and values_equal(row[name], wanted) for name, wanted in self.only.items())

    def __post_init__(self) -> None:
        if not self.key:
            raise SeamError(SEAM, "key= names no field: give the field (or fields) that identify a row")

    def normaliser_of(self, field_name: str) -> Normaliser | None:
        steps = [step for step in (self.normalise.get("*"), self.normalise.get(field_name)) if step]
        return chain(steps) if steps else None

    def compared(self, left_first: Mapping[str, Any] | None, right_first: Mapping[str, Any] | None) -> list[str]:
        """The fields to compare: `fields`, else those both first rows have; never a key or an ignored one."""
        if self.fields is not None:
            chosen = self.fields
        elif left_first is None or right_first is None:
            chosen = []
        else:
            right_names = {self.rename.get(name, name) for name in right_first}
            chosen = [self.rename.get(name, name) for name in left_first if self.rename.get(name, name) in right_names]
        return [name for name in chosen if name not in self.key and name not in self.ignore]


def build_options(
    key: str | Sequence[str],
    fields: str | Sequence[str] | None = None,
    tolerance: str | Mapping[str, Any] | None = None,
    ignore: str | Sequence[str] | None = None,
    rename: str | Mapping[str, Any] | None = None,
    normalise: str | Mapping[str, Any] | None = None,
    name: str = "",
    only: str | Mapping[str, Any] | None = None,
) -> Options:
    """Options from keyword arguments; ``normalise`` maps a field (``*``: every field) to ``trim|case``..."""
    field_names = names(fields) if fields not in (None, "") else None
    normalisers = {
        field_name: chain([normaliser(field_name, step) for step in str(spec).split("|") if step.strip()])
        for field_name, spec in pairs(normalise, "normalise").items()
    }
    return Options(
        key=names(key),
        fields=field_names,
        ignore=set(names(ignore)),
        rename={str(other): str(own) for other, own in pairs(rename, "rename").items()},
        tolerance={
            field_name: tolerance_of(field_name, value) for field_name, value in pairs(tolerance, "tolerance").items()
        },
        normalise=normalisers,
        name=name or "reconciliation",
        only=pairs(only, "only"),
    )
