"""Record layouts: a broken layout fails when loaded, naming the place of the mistake."""

import copy
from pathlib import Path

import pytest

from Seamline.engine.errors import SeamError
from Seamline.engine.records.layouts import MAX_LAYOUT_BYTES, build_layout, find_layout, load_layout

LAYOUTS = Path(__file__).resolve().parents[2] / "resources" / "layouts"

GOOD = {
    "name": "mini",
    "format": "fixed",
    "record_type": {"start": 1, "length": 1},
    "records": {
        "detail": {"code": "D", "fields": [{"name": "id", "start": 2, "length": 4, "type": "int"}]},
        "trailer": {
            "code": "T",
            "fields": [{"name": "n", "start": 2, "length": 4, "type": "int"}],
            "checks": [{"field": "n", "count_of": "detail"}],
        },
    },
}


def changed(path: str, value):
    layout = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    target = layout
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is None:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return layout


@pytest.mark.parametrize("path", sorted(LAYOUTS.glob("*.yaml")), ids=lambda p: p.stem)
def test_orderflow_layouts_load(path):
    assert load_layout(path).name == path.stem


def test_computed_record_length_and_blank_fillers():
    layout = build_layout(changed("records.detail.length", 10), "mini.yaml")
    assert layout.records["detail"].length == 10 and layout.records["detail"].fillers == ((6, 10),)
    assert layout.records["trailer"].length == 5 and layout.records["trailer"].fillers == ()


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        (changed("format", "xml"), "mini.yaml: format: 'xml' is not one of ['fixed', 'csv']"),
        (changed("records.detail.fields.0.type", "float"), "records.detail.fields[0].type: 'float' is not one of"),
        (changed("records.detail.fields.0.start", None), "records.detail.fields[0] ('id'): a fixed-width field needs"),
        (
            changed("records.detail.fields.0.start", 1),
            "records.detail: field 'id' (columns 1-4) overlaps the record-type",
        ),
        (changed("records.detail.code", "DD"), "records.detail: code 'DD' is not 1 characters long"),
        (changed("records.detail.code", None), "records.detail: needs a 'code'"),
        (changed("records.detail.length", 3), "records.detail: field 'id' ends at 5, after the record (3)"),
        (changed("records.trailer.checks.0.count_of", "item"), "records.trailer: check counts unknown record type"),
        (
            changed("records.trailer.checks.0", {"field": "n", "sum_of": "detail.x"}),
            "check sums unknown field 'detail.x'",
        ),
        (changed("records.trailer.checks.0.field", "m"), "records.trailer: check on unknown field 'm'"),
        (changed("encoding", "ebcdic-9"), "unknown encoding 'ebcdic-9'"),
        (changed("record_type", None), "several record types need a 'record_type' column"),
        (changed("newline", ""), "records without newlines need 'record_length'"),
        (
            changed("record_length", 6)
            | {"records": GOOD["records"] | {"detail": GOOD["records"]["detail"] | {"length": 9}}},
            "records.detail: length 9 differs from record_length 6",
        ),
        (changed("records.detail.fields.0.name", "record_type"), "'record_type' is reserved"),
        (changed("batch", {"last": "footer"}), "batch names record type 'footer', which the layout does not define"),
    ],
)
def test_a_broken_layout_fails_naming_the_mistake(layout, message):
    with pytest.raises(SeamError) as failure:
        build_layout(layout, "mini.yaml")
    assert str(failure.value).startswith("Records: layout mini.yaml: ")
    assert message in str(failure.value)


def test_invalid_yaml_fails_naming_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(SeamError, match=r"layout .*bad.yaml: is not valid YAML"):
        load_layout(path)


def failure_of(path) -> str:
    with pytest.raises(SeamError) as failure:
        find_layout(str(path), [])
    return str(failure.value)


def test_a_binary_file_is_no_layout(tmp_path):
    path = tmp_path / "image.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert failure_of(path) == f"Records: layout {path}: is a binary file, not a YAML layout"


def test_a_file_in_another_encoding_is_no_layout(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("name: grüße\n".encode("latin-1"))
    assert failure_of(path) == f"Records: layout {path}: is not UTF-8 text (byte 9), not a YAML layout"


def test_a_text_file_that_is_no_layout_fails_without_its_content(tmp_path):
    # /etc/passwd's shape: YAML reads it as one long text. Its content must not reach the failure.
    path = tmp_path / "passwd"
    path.write_text("root:x:0:0:root:/root:/bin/bash\nsecret-user:x:1000:1000::/home/secret-user:/bin/sh\n")
    message = failure_of(path)
    assert message == (
        f"Records: layout {path}: is not a layout: expected a YAML mapping with name, format and records, "
        "got a text of 82 characters"
    )
    assert failure_of("/etc/passwd").endswith("characters") and "root" not in failure_of("/etc/passwd")


def test_yaml_errors_name_the_place_not_the_text(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: ok\ntoken: [hunter2-secret\n")
    message = failure_of(path)
    assert message.startswith(f"Records: layout {path}: is not valid YAML: ") and " at line 3, column 1" in message
    assert "hunter2" not in message


def test_schema_failures_describe_long_values_instead_of_quoting_them(tmp_path):
    path = tmp_path / "compose.yaml"
    path.write_text("name: {password: hunter2-secret}\nformat: csv\nrecords: {r: {fields: [{name: a}]}}\n")
    assert failure_of(path) == f"Records: layout {path}: name: a mapping is not of type 'string'"


def test_a_device_or_a_huge_file_is_not_read(tmp_path):
    assert failure_of("/dev/zero") == "Records: layout /dev/zero: is not a regular file"
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as file:
        file.truncate(MAX_LAYOUT_BYTES + 1)
    assert failure_of(huge) == (
        f"Records: layout {huge}: is {MAX_LAYOUT_BYTES + 1} bytes, too big for a layout (at most {MAX_LAYOUT_BYTES})"
    )


def test_a_missing_layout_path_says_so(tmp_path):
    assert failure_of(tmp_path / "none.yaml") == f"Records: layout {tmp_path / 'none.yaml'}: no such file"
