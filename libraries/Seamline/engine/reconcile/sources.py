"""Where a data set comes from: a source spec (``sql:<alias>:<query>``...) and rows read from files.

A spec is ``<kind>:<alias>:<what>`` (``file:`` has no alias): the alias may be empty for the current
connection of that seam (``sql::SELECT ...``). Everything after the last separator a kind takes is
its own (a query or a path may hold ``:``). Files are read as they stream: CSV (a header row), JSON
lines, JSON (a list of objects, or one object: one row), or a record layout (YAML, fixed-width or
CSV; of a batch with a header and a trailer, its other records). With pyarrow installed, a local CSV
file is read by its columnar reader (`columnar`), to the same rows.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import arrowed
from ..errors import SeamError
from ..records.batch import parse_records
from ..records.layouts import RECORD_TYPE_KEY, Layout
from . import columnar
from .batches import Block, Blocks
from .options import SEAM

KINDS = {"sql": 3, "api": 3, "file": 2, "sftp": 4, "messages": 3}
FORMATS = ("csv", "jsonl", "json")
BLOCK = 16384  # rows read from a file at a time
_BY_SUFFIX = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}


@dataclass(frozen=True)
class Spec:
    kind: str
    alias: str | None
    target: str  # the query, path or message type
    layout: str | None = None

    def describe(self) -> str:
        where = f" on {self.alias}" if self.alias else ""
        return f"{self.kind} {self.target}{where}"


def is_spec(value: Any) -> bool:
    return isinstance(value, str) and value.split(":", 1)[0] in KINDS and ":" in value


def parse_spec(text: str) -> Spec:
    """``sql:orders:SELECT ...``, ``api:auditor:/api/orders``, ``file:/tmp/a.csv[:layout]``,
    ``sftp:ledger:/archive/*.dat:settlement``, ``messages:bus:order.created``."""
    kind = text.split(":", 1)[0]
    if kind not in KINDS:
        raise SeamError(SEAM, f"'{text}' is no source: give rows, or sql:, api:, file:, sftp: or messages:")
    if kind == "file":
        rest = text[len("file:") :]
        path, layout = _path_and_layout(rest)
        return Spec("file", None, path, layout)
    parts = text.split(":", 2)
    if len(parts) < 3 or not parts[2]:
        raise SeamError(SEAM, f"source '{text}' should be {kind}:<alias>:<{_what(kind)}>")
    alias = parts[1] or None
    if kind == "sftp":
        path, _, layout = parts[2].rpartition(":")
        if not path or not layout:
            raise SeamError(
                SEAM, f"source '{text}' should be sftp:<alias>:<path>:<layout> (csv, jsonl, json or a layout)"
            )
        return Spec("sftp", alias, path, layout)
    return Spec(kind, alias, parts[2])


def _what(kind: str) -> str:
    return {"sql": "query", "api": "path", "messages": "type"}.get(kind, "path")


def _path_and_layout(rest: str) -> tuple[str, str | None]:
    path, sep, layout = rest.rpartition(":")
    if sep and path and "/" not in layout:
        return path, layout
    return rest, None


def file_format(path: str, layout: str | None) -> str | None:
    """csv, jsonl or json for a built-in format (given, or by the file's suffix); None for a record layout."""
    if layout is None:
        suffix = Path(path).suffix.lower()
        if suffix not in _BY_SUFFIX:
            raise SeamError(
                SEAM, f"cannot tell the format of {path}: add :csv, :jsonl, :json or a record layout (file:{path}:csv)"
            )
        return _BY_SUFFIX[suffix]
    return layout.lower() if layout.lower() in FORMATS else None


def local_blocks(path: str, form: str) -> Blocks:
    """The rows of a local file in a built-in format, read as they stream, a block at a time."""
    return Blocks(_local_blocks(path, form))


def _local_blocks(path: str, form: str) -> Iterator[Block]:
    if form == "csv" and arrowed.available():
        return columnar.csv_blocks(path, BLOCK, lambda records: _read_blocks(path, form, records))
    return _read_blocks(path, form)


def _read_blocks(path: str, form: str, skip: int = 0) -> Iterator[Block]:
    try:
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed when the rows are read
    except OSError as error:
        raise SeamError(SEAM, f"cannot read {path}: {error.strerror}") from None
    with handle:
        try:
            yield from text_blocks(handle, form, path, skip)
        except UnicodeDecodeError as error:
            raise SeamError(SEAM, _not_utf8(path, error)) from None


def text_blocks(handle: io.TextIOBase | Any, form: str, source: str, skip: int = 0) -> Iterator[Block]:
    """The rows of a text in a built-in format, BLOCK at a time (after the first `skip`): a CSV file's
    records under its header (no mapping made per row), JSON rows as mappings."""
    if form == "csv":
        lines = csv.reader(handle)
        header = next(lines, None)
        rows: Iterator[Any] = filter(None, lines)  # an empty line is no record
    else:
        header, rows = None, _json_rows(handle, form, source)
    rows = itertools.islice(rows, skip, None)
    while block := list(itertools.islice(rows, BLOCK)):
        yield Block(header, block, texts=form == "csv")


def _json_rows(handle: io.TextIOBase | Any, form: str, source: str) -> Iterator[dict[str, Any]]:
    if form == "jsonl":
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield _object(_json(line, f"{source} line {number}"), f"{source} line {number}")
    else:
        data = _json(handle.read(), source)
        items = data if isinstance(data, list) else [data]
        for number, item in enumerate(items, 1):
            yield _object(item, f"{source} item {number}")


def bytes_rows(data: bytes, form: str | None, layout: Layout | None, source: str) -> list[Mapping[str, Any]]:
    """The rows of a whole file's bytes (read over SFTP, or with a record layout)."""
    if form is not None:
        try:
            text = data.decode("utf-8-sig")  # as a local file is read: a BOM is no part of the first name
        except UnicodeDecodeError as error:
            raise SeamError(SEAM, _not_utf8(source, error)) from None
        blocks = text_blocks(io.StringIO(text, newline=""), form, source)
        return [row for block in blocks for row in block.mappings()]
    assert layout is not None
    records = parse_records(data, layout, source)
    if len(layout.records) == 1:
        return [_without_type(record) for record in records]
    framing = {layout.first, layout.last} - {None}
    return [_without_type(record) for record in records if record.get(RECORD_TYPE_KEY) not in framing]


def _not_utf8(source: str, error: UnicodeDecodeError) -> str:
    return f"{source} is not UTF-8 text: {error.reason} at byte {error.start}"


def _without_type(record: dict[str, Any]) -> dict[str, Any]:
    record.pop(RECORD_TYPE_KEY, None)
    return record


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise SeamError(SEAM, f"{where} is not JSON: {error}") from None


def _object(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise SeamError(SEAM, f"{where} is {type(item).__name__}, not an object with fields")
    return dict(item)


def payload_rows(messages: Sequence[Mapping[str, Any]], payload_field: str) -> list[dict[str, Any]]:
    """The payloads of captured messages, one row each (a payload that is no object: ``{"payload": it}``)."""
    rows = []
    for message in messages:
        payload = message.get(payload_field)
        rows.append(dict(payload) if isinstance(payload, Mapping) else {payload_field: payload})
    return rows
