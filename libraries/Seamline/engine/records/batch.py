"""Batch records: bytes of a fixed-width or CSV file <-> typed dicts, strictly, and batch checks.

Every failure names the file, the line (or record, for files without newlines), the field and its
columns, what was expected and what was there: a QA engineer finds the bad byte without a hex editor.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..errors import SeamError
from ..values import values_equal
from .fields import FieldValueError
from .layouts import RECORD_TYPE_KEY, SEAM, Layout, RecordSpec

Numbered = list[tuple[str, dict[str, Any]]]
"""Records with where each came from (``line 3`` or ``record 3``), for messages."""


def decode(data: bytes, layout: Layout, source: str) -> str:
    try:
        return data.decode(layout.encoding)
    except UnicodeDecodeError as error:
        raise SeamError(
            SEAM,
            f"{source}: byte {error.start + 1} (0x{data[error.start]:02x}) is not valid {layout.encoding} "
            f"(layout {layout.name}); is the file in another encoding?",
        ) from None


def parse_records(data: bytes, layout: Layout, source: str) -> list[dict[str, Any]]:
    """The typed records of a file's bytes; SeamError at the first line that does not fit the layout."""
    return [record for _, record in parse_numbered(data, layout, source)]


def parse_numbered(data: bytes, layout: Layout, source: str) -> Numbered:
    text = decode(data, layout, source)
    if layout.format == "csv":
        return list(_parse_csv(text, layout, source))
    return [
        (label, _parse_fixed(line, layout, f"{source} {label}")) for label, line in _split_fixed(text, layout, source)
    ]


def _split_fixed(text: str, layout: Layout, source: str) -> Iterator[tuple[str, str]]:
    if not layout.newline:
        size = layout.record_length or 0
        if len(text) % size:
            raise SeamError(
                SEAM,
                f"{source}: {len(text)} characters is not a whole number of {size}-character records "
                f"(layout {layout.name} has no newlines; the last record has {len(text) % size} characters)",
            )
        for index in range(0, len(text), size):
            yield f"record {index // size + 1}", text[index : index + size]
        return
    lines = text.split(layout.newline)
    if lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, 1):
        yield f"line {number}", line


def _parse_fixed(line: str, layout: Layout, where: str) -> dict[str, Any]:
    spec = _fixed_type(line, layout, where)
    if len(line) != spec.length:
        hint = r" (it ends with \r: set newline: \"\r\n\" in the layout)" if line.endswith("\r") else ""
        raise SeamError(
            SEAM, f"{where}: expected {spec.length} characters for {_a(spec.name)} record, got {len(line)}{hint}"
        )
    record: dict[str, Any] = {RECORD_TYPE_KEY: spec.name}
    for field in spec.fields:
        try:
            record[field.name] = field.parse(line[field.start - 1 : field.end])
        except FieldValueError as error:
            raise SeamError(SEAM, f"{where}, field '{field.name}' ({field.place}): {error}") from None
    for start, end in spec.fillers:
        if line[start - 1 : end].strip(" "):
            raise SeamError(
                SEAM, f"{where} (columns {start}-{end}): expected blank filler, got '{line[start - 1 : end]}'"
            )
    return record


def _fixed_type(line: str, layout: Layout, where: str) -> RecordSpec:
    single = layout.single_type
    if single is not None:
        return single
    code = line[layout.type_start - 1 : layout.type_start - 1 + layout.type_length]
    spec = layout.by_code.get(code)
    if spec is None:
        end = layout.type_start + layout.type_length - 1
        raise SeamError(SEAM, f"{where} (columns {layout.type_start}-{end}): {_unknown_type(code, layout)}")
    return spec


def _unknown_type(code: str, layout: Layout) -> str:
    known = ", ".join(f"'{spec.code}' ({spec.name})" for spec in layout.records.values())
    return f"unknown record type '{code}', read as {layout.encoding}; layout {layout.name} knows {known}"


def _parse_csv(text: str, layout: Layout, source: str) -> Iterator[tuple[str, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter, quotechar=layout.quotechar)
    line = 1
    try:
        for row in reader:
            where, line = f"{source} line {line}", reader.line_num + 1
            if layout.header_row and reader.line_num == 1:
                _check_header(row, layout, where)
                continue
            yield where.removeprefix(f"{source} "), _parse_row(row, layout, where)
    except csv.Error as error:
        raise SeamError(SEAM, f"{source} line {reader.line_num}: not valid CSV: {error}") from None


def _check_header(row: list[str], layout: Layout, where: str) -> None:
    spec = next(iter(layout.records.values()))
    expected = [field.name for field in spec.fields]
    if row != expected:
        raise SeamError(SEAM, f"{where}: expected the header {','.join(expected)}, got {','.join(row)}")


def _parse_row(row: list[str], layout: Layout, where: str) -> dict[str, Any]:
    spec = layout.single_type
    if spec is None:
        code = row[layout.type_column - 1] if len(row) >= layout.type_column else ""
        spec = layout.by_code.get(code)
        if spec is None:
            raise SeamError(SEAM, f"{where} (column {layout.type_column}): {_unknown_type(code, layout)}")
    expected = len(spec.fields) + (1 if layout.type_column else 0)
    if len(row) != expected:
        raise SeamError(SEAM, f"{where}: expected {expected} columns for {_a(spec.name)} record, got {len(row)}")
    record: dict[str, Any] = {RECORD_TYPE_KEY: spec.name}
    for field in spec.fields:
        try:
            record[field.name] = field.parse(row[field.column - 1])
        except FieldValueError as error:
            raise SeamError(SEAM, f"{where}, field '{field.name}' ({field.place}): {error}") from None
    return record


def format_records(records: Iterable[Mapping[str, Any]], layout: Layout, target: str) -> bytes:
    """The bytes of a file holding `records`; SeamError names the first record or field that does not fit."""
    if layout.format == "csv":
        text = _format_csv(records, layout, target)
    else:
        text = "".join(
            _format_fixed(record, layout, f"{target} record {n}") + layout.newline
            for n, record in enumerate(records, 1)
        )
    try:
        return text.encode(layout.encoding)
    except UnicodeEncodeError as error:
        raise SeamError(
            SEAM,
            f"{target}: '{error.object[error.start : error.end]}' cannot be written as {layout.encoding} "
            f"(layout {layout.name})",
        ) from None


def _record_spec(record: Mapping[str, Any], layout: Layout, where: str) -> RecordSpec:
    if not isinstance(record, Mapping):
        raise SeamError(SEAM, f"{where}: expected a dictionary, got {type(record).__name__} {record!r}")
    single = layout.single_type
    name = record.get(RECORD_TYPE_KEY)
    if name is None and single is not None:
        spec = single
    else:
        try:
            spec = layout.record(str(name))
        except FieldValueError as error:
            raise SeamError(SEAM, f"{where}: {error}") from None
    unknown = [key for key in record if key != RECORD_TYPE_KEY and key not in spec.field_names]
    if unknown:
        fields = ", ".join(field.name for field in spec.fields)
        raise SeamError(SEAM, f"{where}: a {spec.name} record has no field '{unknown[0]}' (it has {fields})")
    return spec


def _format_fixed(record: Mapping[str, Any], layout: Layout, where: str) -> str:
    spec = _record_spec(record, layout, where)
    texts = []
    for piece in spec.write_plan:
        if isinstance(piece, str):
            texts.append(piece)
            continue
        try:
            texts.append(piece.format_value(record.get(piece.name)))
        except FieldValueError as error:
            raise SeamError(SEAM, f"{where}, field '{piece.name}' ({piece.place}): {error}") from None
    return "".join(texts)


def _format_csv(records: Iterable[Mapping[str, Any]], layout: Layout, target: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=layout.delimiter, quotechar=layout.quotechar, lineterminator=layout.newline or "\n"
    )
    if layout.header_row:
        writer.writerow([field.name for field in next(iter(layout.records.values())).fields])
    for number, record in enumerate(records, 1):
        where = f"{target} record {number}"
        spec = _record_spec(record, layout, where)
        row = []
        for field in spec.fields:
            try:
                row.append(field.format_value(record.get(field.name)))
            except FieldValueError as error:
                raise SeamError(SEAM, f"{where}, field '{field.name}' ({field.place}): {error}") from None
        if layout.type_column and spec.code is not None:
            row.insert(layout.type_column - 1, spec.code)
        writer.writerow(row)
    return buffer.getvalue()


def validate_batch(numbered: Numbered, layout: Layout, source: str) -> dict[str, Any]:
    """Checks order (first/last record types) and trailer counts and sums; returns what was checked."""
    if not numbered:
        raise SeamError(SEAM, f"{source}: has no records")
    types = [record[RECORD_TYPE_KEY] for _, record in numbered]
    for end, index, role in ((layout.first, 0, "first"), (layout.last, -1, "last")):
        if end is None:
            continue
        label, actual = numbered[index][0], types[index]
        if actual != end:
            missing = f"; is the {end} record missing?" if end not in types else ""
            raise SeamError(
                SEAM,
                f"{source}: expected the {role} record to be {_a(end)} record, "
                f"got {_a(actual)} record ({label}){missing}",
            )
        if types.count(end) > 1:
            other = next(
                label for label, record in numbered if record[RECORD_TYPE_KEY] == end and label != numbered[index][0]
            )
            raise SeamError(SEAM, f"{source}: expected one {end} record, got {types.count(end)} (another at {other})")
    checked = []
    for label, record in numbered:
        spec = layout.records[record[RECORD_TYPE_KEY]]
        for check in spec.checks:
            actual, what = _check_value(check.count_of, check.sum_of, numbered)
            stated = record[check.field]
            if stated != actual:
                raise SeamError(
                    SEAM,
                    f"{source} {label}, field '{check.field}' ({spec.field(check.field).place}): "
                    f"the {spec.name} says {stated}, but {what} is {actual}",
                )
            checked.append(f"{spec.name}.{check.field} = {check.describe()} = {actual}")
    return {"records": len(numbered), "by_type": dict(Counter(types)), "checks": checked}


def _check_value(count_of: tuple[str, ...], sum_of: tuple[str, str] | None, numbered: Numbered) -> tuple[Any, str]:
    if sum_of is not None:
        kind, name = sum_of
        values = [r[name] for _, r in numbered if r[RECORD_TYPE_KEY] == kind and r[name] is not None]
        return sum(values, Decimal(0) if values and isinstance(values[0], Decimal) else 0), f"the sum of {kind}.{name}"
    if count_of == ("*",):
        return len(numbered), "the number of records"
    count = sum(1 for _, r in numbered if r[RECORD_TYPE_KEY] in count_of)
    return count, f"the number of {' + '.join(count_of)} records"


def find_records(
    records: Sequence[Mapping[str, Any]], record_type: str | None, criteria: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """The records of `record_type` (any type when None) whose fields equal every criterion (values_equal).

    ``amount=12.5`` matches ``Decimal('12.50')``, ``created=2026-11-24`` matches that date.
    """
    candidates = [r for r in records if record_type is None or r.get(RECORD_TYPE_KEY) == record_type]
    return [
        r
        for r in candidates
        if all(key in r and values_equal(r[key], _criterion(wanted, r[key])) for key, wanted in criteria.items())
    ]


def _criterion(wanted: Any, value: Any) -> Any:
    """Robot writes an empty cell as "": against an empty field (read as None) it means None."""
    return None if value is None and wanted == "" else wanted


def _a(noun: str) -> str:
    """The noun with its indefinite article: messages read as sentences ("an order record")."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
