"""Batch files that break a record layout in one named way, to check that a legacy system rejects them.

A corrupt batch starts from valid records (the caller's, or a small batch made from the layout: a first
record, details, a last record whose trailer checks hold), written by the layout, then broken once:

- ``short_line``: the first detail record loses its last character (CSV: its last column);
- ``bad_trailer``: the first trailer check (a count or a sum) is one more than the records say;
- ``bad_encoding``: the first detail record is written in another encoding, with a non-ASCII letter;
- ``bad_number``: a numeric field of the first detail record holds letters;
- ``duplicate_key``: the first detail record appears twice (its key field repeats) and the trailer counts
  agree, so only a system that checks its keys notices.

Every kind but ``duplicate_key`` is checked to fail the layout's own reading, so the file really is corrupt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from datetime import date
from decimal import Decimal
from typing import Any

from ..errors import SeamError
from ..records.batch import format_records, parse_numbered, validate_batch
from ..records.fields import FieldSpec
from ..records.layouts import RECORD_TYPE_KEY, Layout, RecordSpec

SEAM = "Inputs"
KINDS = ("short_line", "bad_trailer", "bad_encoding", "bad_number", "duplicate_key")


def corrupt_batch(layout: Layout, kind: str, records: Sequence[Mapping[str, Any]] | None = None) -> bytes:
    """The bytes of a batch in `layout` broken the `kind` way (see the module's documentation)."""
    if kind not in KINDS:
        raise SeamError(SEAM, f"kind must be one of {', '.join(KINDS)}, got '{kind}'")
    valid = [dict(record) for record in records] if records else sample_records(layout)
    detail = _detail_index(valid, layout)
    if kind == "duplicate_key":
        return format_records(_with_trailer_checks([*valid[: detail + 1], *valid[detail:]], layout), layout, kind)
    if kind == "bad_trailer":
        data = format_records(_off_by_one(valid, layout), layout, kind)
    else:
        head, lines = _lines(format_records(valid, layout, kind), layout)
        lines[detail] = _BREAKERS[kind](lines[detail], valid[detail], layout)
        data = head + b"".join(lines)
    _must_not_read(data, layout, kind)
    return data


def sample_records(layout: Layout, details: int = 2) -> list[dict[str, Any]]:
    """A small valid batch of `layout`: its first record, `details` others, its last, the checks holding."""
    names = list(layout.records)
    body = [name for name in names if name not in (layout.first, layout.last)] or names[:1]
    order = [layout.first] if layout.first else []
    order += [body[0]] * details
    order += [layout.last] if layout.last else []
    records = [_sample(layout.records[name], number) for number, name in enumerate(order, 1)]
    return _with_trailer_checks(records, layout)


def _sample(spec: RecordSpec, number: int) -> dict[str, Any]:
    return {RECORD_TYPE_KEY: spec.name, **{field.name: _value(field, number) for field in spec.fields}}


def _value(field: FieldSpec, number: int) -> Any:
    if field.type == "date":
        return date(2026, 1, 1)
    if field.type == "int":
        return number
    if field.type == "decimal":
        return Decimal(number).scaleb(-(field.scale or 0)) if field.scale else Decimal(f"{number}.00")
    text = f"X{number}"
    return text[: field.length] if field.length else text


def _detail_index(records: list[dict[str, Any]], layout: Layout) -> int:
    for index, record in enumerate(records):
        if record.get(RECORD_TYPE_KEY) not in (layout.first, layout.last) or len(records) == 1:
            return index
    raise SeamError(SEAM, f"the records hold no record between the {layout.first} and the {layout.last} to corrupt")


def _with_trailer_checks(records: list[dict[str, Any]], layout: Layout) -> list[dict[str, Any]]:
    """The records with every trailer check's field set to what the other records make it."""
    records = deepcopy(records)
    for record in records:
        spec = layout.records.get(str(record.get(RECORD_TYPE_KEY)))
        for check in spec.checks if spec else ():
            record[check.field] = _checked_value(check.count_of, check.sum_of, records)
    return records


def _checked_value(count_of: tuple[str, ...], sum_of: tuple[str, str] | None, records: list[dict[str, Any]]) -> Any:
    if sum_of is not None:
        kind, name = sum_of
        values = [Decimal(str(r[name])) for r in records if r.get(RECORD_TYPE_KEY) == kind and r.get(name) is not None]
        return sum(values, Decimal(0))
    if count_of == ("*",):
        return len(records)
    return sum(1 for record in records if record.get(RECORD_TYPE_KEY) in count_of)


def _off_by_one(records: list[dict[str, Any]], layout: Layout) -> list[dict[str, Any]]:
    records = _with_trailer_checks(records, layout)
    for record in records:
        spec = layout.records.get(str(record.get(RECORD_TYPE_KEY)))
        if spec and spec.checks:
            record[spec.checks[0].field] += 1
            return records
    raise SeamError(SEAM, f"layout {layout.name} has no trailer check (count_of, sum_of) to break")


def _lines(data: bytes, layout: Layout) -> tuple[bytes, list[bytes]]:
    """The file's header row (CSV) and its records as bytes, each with its newline (fixed-width without
    newlines: cut by length)."""
    if layout.format == "fixed" and not layout.newline:
        size = layout.record_length or 1
        return b"", [data[index : index + size] for index in range(0, len(data), size)]
    newline = (layout.newline or "\n").encode(layout.encoding)
    parts = data.split(newline)
    lines = [part + newline for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    header = 1 if layout.format == "csv" and layout.header_row else 0
    return b"".join(lines[:header]), lines[header:]


def _short_line(line: bytes, _record: Mapping[str, Any], layout: Layout) -> bytes:
    newline = (layout.newline or "").encode(layout.encoding)
    ends = bool(newline) and line.endswith(newline)
    text = (line[: -len(newline)] if ends else line).decode(layout.encoding)
    text = text.rsplit(layout.delimiter, 1)[0] if layout.format == "csv" else text[:-1]
    return text.encode(layout.encoding) + (newline if ends else b"")


def _bad_encoding(line: bytes, record: Mapping[str, Any], layout: Layout) -> bytes:
    text = line.decode(layout.encoding)
    other = "utf-8" if layout.encoding.replace("_", "-").lower() not in ("utf-8", "utf8") else "latin-1"
    spec = layout.records[str(record[RECORD_TYPE_KEY])]
    field = next((f for f in spec.fields if f.type == "str" and f.length), None)
    if field is not None and layout.format == "fixed":
        text = text[: field.start - 1] + "é" + text[field.start :]
    else:
        text = text.replace(str(record.get(spec.fields[0].name, "")), "é", 1) if spec.fields else "é" + text
    return text.encode(other)


def _bad_number(line: bytes, record: Mapping[str, Any], layout: Layout) -> bytes:
    spec = layout.records[str(record[RECORD_TYPE_KEY])]
    field = next((f for f in spec.fields if f.type in ("int", "decimal")), None)
    if field is None:
        raise SeamError(SEAM, f"a {spec.name} record of layout {layout.name} has no numeric field to break")
    text = line.decode(layout.encoding)
    if layout.format == "fixed":
        letters = "NaN".ljust(field.length, "X")[: field.length]
        text = text[: field.start - 1] + letters + text[field.end :]
    else:
        text = text.replace(field.format_value(record.get(field.name)), "NaN", 1)
    return text.encode(layout.encoding)


_BREAKERS = {"short_line": _short_line, "bad_encoding": _bad_encoding, "bad_number": _bad_number}


def _must_not_read(data: bytes, layout: Layout, kind: str) -> None:
    try:
        validate_batch(parse_numbered(data, layout, kind), layout, kind)
    except SeamError:
        return
    raise SeamError(SEAM, f"a {kind} batch of layout {layout.name} still reads as valid; give other records")
