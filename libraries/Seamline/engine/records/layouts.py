"""Record layouts: how the lines of a fixed-width or CSV batch file map to typed fields.

A layout is a YAML file, named by its path or found by name in the layout directories a user
gives. Its structure is checked with a JSON Schema, then its meaning (fields inside the record, no
overlaps, checks naming real fields) by hand, so a broken layout fails once, when it is loaded, with
the place of the mistake. A file that is no layout at all (binary, not YAML, /etc/passwd) fails
saying what it is, never quoting its content: a layout path may be any file a test can name.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from ..errors import SeamError
from .fields import FieldSpec, FieldValueError

SEAM = "Records"
LAYOUT_SUFFIXES = (".yaml", ".yml")
# Real layouts are a few kilobytes; a bigger file is something else and is not read whole.
MAX_LAYOUT_BYTES = 1024 * 1024
# A value of the file this long or longer is described, not quoted, in a schema failure.
QUOTED_VALUE_LIMIT = 40
RECORD_TYPE_KEY = "record_type"
FIELD_TYPES = ("str", "int", "decimal", "date")

_FIELD_SCHEMA = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "start": {"type": "integer", "minimum": 1},
        "length": {"type": "integer", "minimum": 1},
        "type": {"enum": list(FIELD_TYPES)},
        "format": {"type": "string"},
        "scale": {"type": "integer", "minimum": 0},
        "padding": {"type": "string", "minLength": 1, "maxLength": 1},
        "alignment": {"enum": ["left", "right"]},
        "signed": {"type": "boolean"},
        "optional": {"type": "boolean"},
        "description": {"type": "string"},
    },
}
_CHECK_SCHEMA = {
    "type": "object",
    "required": ["field"],
    "additionalProperties": False,
    "minProperties": 2,
    "maxProperties": 2,
    "properties": {
        "field": {"type": "string"},
        "count_of": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "sum_of": {"type": "string", "pattern": r"^[^.]+\.[^.]+$"},
    },
}
LAYOUT_SCHEMA = {
    "type": "object",
    "required": ["name", "format", "records"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "format": {"enum": ["fixed", "csv"]},
        "encoding": {"type": "string"},
        "newline": {"enum": ["\n", "\r\n", ""]},
        "record_length": {"type": "integer", "minimum": 1},
        "record_type": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "start": {"type": "integer", "minimum": 1},
                "length": {"type": "integer", "minimum": 1},
                "column": {"type": "integer", "minimum": 1},
            },
        },
        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
        "quotechar": {"type": "string", "minLength": 1, "maxLength": 1},
        "header_row": {"type": "boolean"},
        "batch": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"first": {"type": "string"}, "last": {"type": "string"}},
        },
        "records": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "required": ["fields"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "minLength": 1},
                    "length": {"type": "integer", "minimum": 1},
                    "description": {"type": "string"},
                    "fields": {"type": "array", "minItems": 1, "items": _FIELD_SCHEMA},
                    "checks": {"type": "array", "items": _CHECK_SCHEMA},
                },
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(LAYOUT_SCHEMA)


@dataclass(frozen=True)
class Check:
    """A trailer check: `field` holds the count of records of some types, or the sum of a field."""

    field: str
    count_of: tuple[str, ...] = ()
    sum_of: tuple[str, str] | None = None

    def describe(self) -> str:
        if self.sum_of:
            return f"sum of {self.sum_of[0]}.{self.sum_of[1]}"
        return "count of " + ("all records" if self.count_of == ("*",) else " + ".join(self.count_of) + " records")


@dataclass(frozen=True)
class RecordSpec:
    """One record type: the code that marks it, its fields, its length and its checks."""

    name: str
    code: str | None
    fields: tuple[FieldSpec, ...]
    length: int = 0
    checks: tuple[Check, ...] = ()
    code_start: int = 0

    def field(self, name: str) -> FieldSpec:
        return next(spec for spec in self.fields if spec.name == name)

    @cached_property
    def field_names(self) -> frozenset[str]:
        return frozenset(spec.name for spec in self.fields)

    @cached_property
    def fillers(self) -> tuple[tuple[int, int], ...]:
        """The (start, end) column ranges no field covers (fixed-width): they must hold spaces."""
        covered = sorted((f.start, f.end) for f in self.fields)
        if self.code_start and self.code:
            covered = sorted([*covered, (self.code_start, self.code_start + len(self.code) - 1)])
        gaps, position = [], 1
        for start, end in covered:
            if start > position:
                gaps.append((position, start - 1))
            position = max(position, end + 1)
        if self.length >= position:
            gaps.append((position, self.length))
        return tuple(gaps)

    @cached_property
    def write_plan(self) -> tuple[str | FieldSpec, ...]:
        """The record in column order: constant text (code, blank fillers) and the fields to format."""
        pieces: list[tuple[int, str | FieldSpec]] = [(start, " " * (end - start + 1)) for start, end in self.fillers]
        if self.code and self.code_start:
            pieces.append((self.code_start, self.code))
        pieces += [(spec.start, spec) for spec in self.fields]
        return tuple(piece for _, piece in sorted(pieces, key=lambda item: item[0]))


@dataclass(frozen=True)
class Layout:
    """A whole batch file format."""

    name: str
    source: str
    format: str
    encoding: str
    newline: str
    records: dict[str, RecordSpec]
    record_length: int | None = None
    type_start: int = 0
    type_length: int = 0
    type_column: int = 0
    delimiter: str = ","
    quotechar: str = '"'
    header_row: bool = False
    first: str | None = None
    last: str | None = None
    by_code: dict[str, RecordSpec] = field(default_factory=dict)

    @property
    def single_type(self) -> RecordSpec | None:
        """The only record type when the layout has no record-type column."""
        return next(iter(self.records.values())) if not (self.type_length or self.type_column) else None

    def record(self, name: str) -> RecordSpec:
        try:
            return self.records[name]
        except KeyError:
            known = ", ".join(self.records)
            raise FieldValueError(f"unknown record type '{name}' (layout {self.name} has: {known})") from None


class LayoutError(SeamError):
    """A layout file that cannot describe any file: its own mistake, not the data's."""

    def __init__(self, source: str, message: str):
        super().__init__(SEAM, f"layout {source}: {message}")


def find_layout(layout: str, directories: Sequence[Path]) -> Layout:
    """A layout by path, or by name (``settlement`` -> ``settlement.yaml``) in the first directory that has it."""
    candidate = Path(layout).expanduser()
    if candidate.suffix in LAYOUT_SUFFIXES or "/" in layout or candidate.is_file():
        return load_layout(candidate)
    for directory in directories:
        for suffix in LAYOUT_SUFFIXES:
            if (directory / f"{layout}{suffix}").is_file():
                return load_layout(directory / f"{layout}{suffix}")
    if not directories:
        raise SeamError(
            SEAM,
            f"no layout '{layout}': no layout directory is given; give the path of its YAML file, "
            "import the library with layouts=DIRECTORY or call `Set Layout Directory`",
        )
    searched = ", ".join(f"{d}" if d.is_dir() else f"{d} (missing)" for d in directories)
    known = sorted({p.stem for d in directories if d.is_dir() for p in d.iterdir() if p.suffix in LAYOUT_SUFFIXES})
    raise SeamError(SEAM, f"no layout '{layout}' in {searched} (layouts there: {', '.join(known) or 'none'})")


def load_layout(path: Path) -> Layout:
    """The layout in a YAML file, checked; cached until the file changes."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise LayoutError(str(path), "no such file") from None
    except OSError as error:
        raise LayoutError(str(path), f"cannot read it: {error.strerror}") from None
    if not path.is_file():
        raise LayoutError(str(path), "is not a regular file")
    if stat.st_size > MAX_LAYOUT_BYTES:
        raise LayoutError(str(path), f"is {stat.st_size} bytes, too big for a layout (at most {MAX_LAYOUT_BYTES})")
    return _load_cached(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load_cached(path: str, _mtime_ns: int, _size: int) -> Layout:
    return build_layout(_parse_yaml(path, _read_text(path)), path)


def _read_text(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise LayoutError(path, f"cannot read it: {error.strerror}") from None
    if b"\0" in data:
        raise LayoutError(path, "is a binary file, not a YAML layout")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LayoutError(path, f"is not UTF-8 text (byte {error.start + 1}), not a YAML layout") from None


def _parse_yaml(path: str, text: str) -> Any:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        # PyYAML's own message quotes the offending line: give only the problem and where it is.
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "cannot be parsed"
        raise LayoutError(path, f"is not valid YAML: {problem}{where}") from None
    if not isinstance(data, dict):
        raise LayoutError(
            path, f"is not a layout: expected a YAML mapping with name, format and records, got {_kind(data)}"
        )
    return data


def _kind(value: Any) -> str:
    """What a value of a file is, without quoting it."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, str):
        return f"a text of {len(value)} characters"
    return "nothing" if value is None else f"a {type(value).__name__}"


def _schema_problem(error: Any) -> str:
    """jsonschema's message, with a long or nested value of the file described instead of quoted."""
    shown = repr(error.instance)
    if isinstance(error.instance, (dict, list)) or len(shown) > QUOTED_VALUE_LIMIT:
        return str(error.message).replace(shown, _kind(error.instance))
    return str(error.message)


def build_layout(data: Any, source: str) -> Layout:
    """A layout from its parsed YAML; LayoutError names the first mistake and where it is."""
    error = next(iter(sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        raise LayoutError(source, f"{where or 'top level'}: {_schema_problem(error)}")
    fmt = data["format"]
    selector = data.get("record_type") or {}
    newline = data.get("newline", "" if data.get("record_length") and fmt == "fixed" else "\n")
    encoding = data.get("encoding", "utf-8")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise LayoutError(source, f"unknown encoding '{encoding}'") from None
    records = {name: _record_spec(source, fmt, name, spec, data, selector) for name, spec in data["records"].items()}
    layout = Layout(
        name=data["name"],
        source=source,
        format=fmt,
        encoding=encoding,
        newline=newline,
        records=records,
        record_length=data.get("record_length"),
        type_start=selector.get("start", 0),
        type_length=selector.get("length", 0),
        type_column=selector.get("column", 0),
        delimiter=data.get("delimiter", ","),
        quotechar=data.get("quotechar", '"'),
        header_row=data.get("header_row", False),
        first=(data.get("batch") or {}).get("first"),
        last=(data.get("batch") or {}).get("last"),
        by_code={spec.code: spec for spec in records.values() if spec.code is not None},
    )
    _check_layout(layout)
    return layout


def _record_spec(
    source: str, fmt: str, name: str, spec: dict[str, Any], data: dict[str, Any], selector: dict[str, Any]
) -> RecordSpec:
    fields = []
    type_column = selector.get("column", 0)
    for index, raw in enumerate(spec["fields"]):
        where = f"records.{name}.fields[{index}] ('{raw['name']}')"
        if raw["name"] == RECORD_TYPE_KEY:
            raise LayoutError(source, f"{where}: '{RECORD_TYPE_KEY}' is reserved for the record type's name")
        kind = raw.get("type", "str")
        numeric = kind in ("int", "decimal")
        scale = raw.get("scale", 2 if raw.get("format") == "cents" else None)
        if fmt == "fixed" and ("start" not in raw or "length" not in raw):
            raise LayoutError(source, f"{where}: a fixed-width field needs 'start' and 'length'")
        column = index + 1 + (1 if type_column and index + 1 >= type_column else 0)
        fields.append(
            FieldSpec(
                name=raw["name"],
                type=kind,
                start=raw.get("start", 0) if fmt == "fixed" else 0,
                length=raw.get("length", 0) if fmt == "fixed" else 0,
                column=column,
                format=raw.get("format") if kind == "date" else None,
                scale=scale if kind == "decimal" else None,
                padding=raw.get("padding", "0" if numeric else " "),
                alignment=raw.get("alignment", "right" if numeric else "left"),
                signed=raw.get("signed", False),
                optional=raw.get("optional", False),
            )
        )
    computed = max((f.end for f in fields), default=0)
    type_end = selector.get("start", 1) + selector.get("length", 0) - 1
    length = spec.get("length") or data.get("record_length") or max(computed, type_end)
    checks = tuple(
        Check(
            field=check["field"],
            count_of=tuple(
                [check["count_of"]] if isinstance(check.get("count_of"), str) else check.get("count_of", ())
            ),
            sum_of=tuple(check["sum_of"].split(".", 1)) if "sum_of" in check else None,  # type: ignore[arg-type]
        )
        for check in spec.get("checks", ())
    )
    code_start = selector.get("start", 0) if fmt == "fixed" else 0
    return RecordSpec(name, spec.get("code"), tuple(fields), length if fmt == "fixed" else 0, checks, code_start)


def _check_layout(layout: Layout) -> None:
    """Meaning the schema cannot express: positions, codes, overlaps, checks that name real fields."""
    src = layout.source
    typed = layout.type_length or layout.type_column
    if layout.format == "fixed" and layout.type_column:
        raise LayoutError(src, "record_type: a fixed-width layout marks record types with 'start' and 'length'")
    if layout.format == "csv" and (layout.type_start or layout.type_length or layout.record_length):
        raise LayoutError(src, "a CSV layout marks record types with record_type 'column' and has no record_length")
    if layout.format == "fixed" and bool(layout.type_start) != bool(layout.type_length):
        raise LayoutError(src, "record_type needs both 'start' and 'length'")
    if layout.newline == "" and not layout.record_length:
        raise LayoutError(src, "records without newlines need 'record_length'")
    if layout.header_row and typed:
        raise LayoutError(src, "header_row is for CSV files with one record type")
    if not typed and len(layout.records) > 1:
        raise LayoutError(src, "several record types need a 'record_type' column to tell them apart")
    for record in layout.records.values():
        _check_record(layout, record)
    for end in (layout.first, layout.last):
        if end is not None and end not in layout.records:
            raise LayoutError(src, f"batch names record type '{end}', which the layout does not define")


def _check_record(layout: Layout, record: RecordSpec) -> None:
    src, where = layout.source, f"records.{record.name}"
    typed = layout.type_length or layout.type_column
    if typed and record.code is None:
        raise LayoutError(src, f"{where}: needs a 'code' (the value of its record-type column)")
    if layout.type_length and record.code is not None and len(record.code) != layout.type_length:
        raise LayoutError(src, f"{where}: code '{record.code}' is not {layout.type_length} characters long")
    if layout.record_length and record.length != layout.record_length:
        raise LayoutError(src, f"{where}: length {record.length} differs from record_length {layout.record_length}")
    names = [f.name for f in record.fields]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise LayoutError(src, f"{where}: field '{duplicate}' is defined twice")
    if layout.format == "fixed":
        taken = []
        if layout.type_length:
            taken.append((layout.type_start, layout.type_start + layout.type_length - 1, "the record-type column"))
        for spec in record.fields:
            if spec.end > record.length:
                raise LayoutError(
                    src, f"{where}: field '{spec.name}' ends at {spec.end}, after the record ({record.length})"
                )
            for start, end, other in taken:
                if spec.start <= end and start <= spec.end:
                    raise LayoutError(src, f"{where}: field '{spec.name}' ({spec.place}) overlaps {other}")
            taken.append((spec.start, spec.end, f"field '{spec.name}'"))
    for check in record.checks:
        if check.field not in names:
            raise LayoutError(src, f"{where}: check on unknown field '{check.field}'")
        for kind in check.count_of:
            if kind != "*" and kind not in layout.records:
                raise LayoutError(src, f"{where}: check counts unknown record type '{kind}'")
        if check.sum_of:
            kind, name = check.sum_of
            if kind not in layout.records or name not in [f.name for f in layout.records[kind].fields]:
                raise LayoutError(src, f"{where}: check sums unknown field '{kind}.{name}'")
