"""Corrupt batches: each kind breaks a layout (checked by the layout's own reader), and generated messages."""

import textwrap

import pytest

from Seamline.engine.errors import SeamError
from Seamline.engine.inputs.batches import KINDS, corrupt_batch, sample_records
from Seamline.engine.records.batch import format_records, parse_numbered, validate_batch
from Seamline.engine.records.layouts import find_layout

FIXED = """
name: payments
format: fixed
encoding: utf-8
newline: "\\n"
record_type: {start: 1, length: 1}
batch: {first: header, last: trailer}
records:
  header:
    code: H
    fields: [{name: run, start: 2, length: 6, type: str}]
  detail:
    code: D
    fields:
      - {name: ref, start: 2, length: 8, type: str}
      - {name: cents, start: 10, length: 6, type: int}
  trailer:
    code: T
    fields: [{name: count, start: 2, length: 4, type: int}, {name: total, start: 6, length: 8, type: int}]
    checks: [{field: count, count_of: detail}, {field: total, sum_of: detail.cents}]
"""
CSV = """
name: refunds
format: csv
encoding: utf-8
header_row: true
records:
  refund:
    fields: [{name: ref, type: str}, {name: amount, type: decimal}]
"""


def layout(tmp_path, text, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text))
    return find_layout(str(path), [])


def reads(data, resolved):
    return validate_batch(parse_numbered(data, resolved, "batch"), resolved, "batch")


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind != "duplicate_key"])
def test_each_kind_breaks_the_fixed_layout(tmp_path, kind):
    resolved = layout(tmp_path, FIXED, "payments")
    reads(format_records(sample_records(resolved), resolved, "valid"), resolved)  # the starting batch is valid
    with pytest.raises(SeamError):
        reads(corrupt_batch(resolved, kind), resolved)


def test_a_duplicate_key_keeps_the_layout_and_its_trailer(tmp_path):
    resolved = layout(tmp_path, FIXED, "payments")
    data = corrupt_batch(resolved, "duplicate_key")
    summary = reads(data, resolved)
    assert summary["by_type"] == {"header": 1, "detail": 3, "trailer": 1}
    lines = data.decode().splitlines()
    assert lines[1] == lines[2]


@pytest.mark.parametrize("kind", ["short_line", "bad_number", "bad_encoding"])
def test_csv_batches_break_too(tmp_path, kind):
    resolved = layout(tmp_path, CSV, "refunds")
    with pytest.raises(SeamError):
        reads(corrupt_batch(resolved, kind), resolved)


def test_an_unknown_kind_fails_naming_the_kinds(tmp_path):
    resolved = layout(tmp_path, FIXED, "payments")
    with pytest.raises(SeamError, match="kind must be one of short_line, bad_trailer, bad_encoding, bad_number, "):
        corrupt_batch(resolved, "truncated")


def test_invalid_messages_break_the_schema_and_a_seed_repeats_them():
    from jsonschema import Draft202012Validator

    from Seamline.engine.inputs.messages import invalid_values

    schema = {
        "type": "object",
        "required": ["id", "quantity"],
        "additionalProperties": False,
        "properties": {"id": {"type": "string", "minLength": 1}, "quantity": {"type": "integer", "minimum": 1}},
    }
    validator = Draft202012Validator(schema)

    def violations(value):
        return list(validator.iter_errors(value))

    values = invalid_values(schema, 8, 5, violations, objects_only=True)
    assert len(values) == 8 and all(violations(value) for value in values)
    assert all(isinstance(value, (dict, list)) for value in values)
    assert any(isinstance(value, dict) and set(value) <= {"id", "quantity"} for value in values)  # one part broken
    assert invalid_values(schema, 8, 5, violations, objects_only=True) == values
