"""Validation cost per call as the schema registry grows: Seamline's registry vs a reused jsonschema validator.

A schema with a `$ref` into a second file is validated with 2 schema files loaded and again with 3000
(a large contract repository); the per-call cost must not grow with the number of files. The floor is
a jsonschema validator built once over a referencing registry of just the two files, reused every call.
Engine level (no Robot): what is measured is the registry, not keyword dispatch.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from common import print_table, write_results
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from Seamline.engine.schema.registry import SchemaRegistry

CALLS = 1000
MANY = 3000
MONEY = {"$defs": {"amount": {"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$"}}}
ORDER = {
    "type": "object",
    "required": ["id", "amount"],
    "properties": {"id": {"type": "integer"}, "amount": {"$ref": "money.json#/$defs/amount"}},
}
DATA = {"id": 7, "amount": "12.50"}
# The same contract given inline (as a suite or another seam may pass it), reaching the files by `$id`.
INLINE = {"type": "object", "properties": {"amount": {"$ref": "https://example.com/money.json#/$defs/amount"}}}


def write_schemas(directory: Path, filler: int) -> None:
    money = {"$id": "https://example.com/money.json", **MONEY}
    (directory / "money.json").write_text(json.dumps(money), encoding="utf-8")
    (directory / "order.json").write_text(json.dumps(ORDER), encoding="utf-8")
    for number in range(filler):
        filler_schema = {"$id": f"https://example.com/filler/{number}.json", "type": "object"}
        (directory / f"filler-{number}.json").write_text(json.dumps(filler_schema), encoding="utf-8")


def per_call_ms(validate) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(CALLS):
            validate()
        best = min(best, time.perf_counter() - started)
    return best / CALLS * 1000


def seamline_ms(filler: int, schema: object) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        write_schemas(Path(tmp), filler)
        registry = SchemaRegistry()
        registry.load_directory(tmp)
        assert registry.validate(DATA, schema) == []
        return per_call_ms(lambda: registry.validate(DATA, schema))


def jsonschema_ms() -> float:
    base = "file:///contracts/"
    registry = Registry().with_resources(
        (base + name, DRAFT202012.create_resource(schema))
        for name, schema in (("money.json", MONEY), ("order.json", ORDER))
    )
    validator = Draft202012Validator(
        {"$id": base + "order.json", **ORDER}, registry=registry, format_checker=FormatChecker()
    )
    return per_call_ms(lambda: list(validator.iter_errors(DATA)))


def main() -> None:
    floor = jsonschema_ms()
    rows = [
        {"what": f"{how}, {filler + 2} files", "seamline_ms": seamline_ms(filler, schema), "jsonschema_ms": floor}
        for how, schema in (("by name", "order"), ("inline", INLINE))
        for filler in (0, MANY)
    ]
    for row in rows:
        row["ratio"] = row["seamline_ms"] / floor
    columns = [("what", "what", "<22s"), ("Seamline ms/call", "seamline_ms", ">17.3f")]
    columns += [("jsonschema ms/call", "jsonschema_ms", ">19.3f"), ("x floor", "ratio", ">8.2f")]
    print_table(rows, columns)
    write_results("schema", {"calls": CALLS, "rows": rows})


if __name__ == "__main__":
    main()
