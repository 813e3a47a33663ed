"""Batch records: strict typed reading, exact round trips, batch checks, clear failures."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from Seamline.engine.errors import SeamError
from Seamline.engine.records.batch import (
    find_records,
    format_records,
    parse_numbered,
    parse_records,
    validate_batch,
)
from Seamline.engine.records.layouts import build_layout, find_layout

LAYOUTS = Path(__file__).resolve().parents[2] / "resources" / "layouts"


def settlement(name: str = "settlement"):
    return find_layout(name, [LAYOUTS])


def record(code: str, body: str) -> str:
    return (code + body).ljust(80)


HEADER = record("H", "B-1".ljust(20) + "20261124" + "orderflow")
DETAIL_1 = "D" + "ord-1".ljust(36) + "Alice".ljust(20) + "000000001250" + "EUR" + "20261124"
DETAIL_2 = "D" + "ord-2".ljust(36) + "Bob".ljust(20) + "000000000075" + "USD" + "20261123"
TRAILER = record("T", "00000002" + "00000000001325")
BATCH = "".join(line + "\n" for line in (HEADER, DETAIL_1, DETAIL_2, TRAILER)).encode("latin-1")


def replace(text: bytes, line: int, start: int, new: str) -> bytes:
    lines = text.decode("latin-1").split("\n")
    old = lines[line - 1]
    lines[line - 1] = old[: start - 1] + new + old[start - 1 + len(new) :]
    return "\n".join(lines).encode("latin-1")


def test_reads_typed_records_with_their_record_type():
    records = parse_records(BATCH, settlement(), "b.dat")
    assert records[0] == {
        "record_type": "header",
        "batch_id": "B-1",
        "created": date(2026, 11, 24),
        "source": "orderflow",
    }
    assert records[1]["amount"] == Decimal("12.50") and str(records[2]["amount"]) == "0.75"
    assert records[1]["settled_on"] == date(2026, 11, 24)
    assert records[3] == {"record_type": "trailer", "count": 2, "total": Decimal("13.25")}


@pytest.mark.parametrize("layout", ["settlement", "settlement-ebcdic"])
def test_write_after_read_gives_the_same_bytes(layout):
    data = BATCH if layout == "settlement" else BATCH.decode("latin-1").replace("\n", "").encode("cp037")
    records = parse_records(data, settlement(layout), "b.dat")
    assert format_records(records, settlement(layout), "copy.dat") == data


def test_writes_text_values_as_robot_passes_them():
    records = [
        {"record_type": "header", "batch_id": "B-1", "created": "2026-11-24", "source": "orderflow"},
        {"record_type": "detail", "order_id": "ord-1", "customer": "Alice", "amount": "12.50", "currency": "EUR"}
        | {"settled_on": "20261124"},
        {"record_type": "detail", "order_id": "ord-2", "customer": "Bob", "amount": "0.75", "currency": "USD"}
        | {"settled_on": date(2026, 11, 23)},
        {"record_type": "trailer", "count": "2", "total": Decimal("13.25")},
    ]
    assert format_records(records, settlement(), "b.dat") == BATCH


def test_reads_the_ledgers_own_files_in_both_encodings():
    ledger = pytest.importorskip("orderflow.ledger.batch")
    details = (ledger.Detail("ord-1", "Ålesund AS", 123456, "NOK", date(2026, 11, 24)),)
    batch = ledger.Batch("B-7", date(2026, 11, 24), "orderflow", details)
    for encoding, layout in (("latin-1", "settlement"), ("cp037", "settlement-ebcdic")):
        data = ledger.encode_batch(batch, encoding)
        numbered = parse_numbered(data, settlement(layout), "B-7.dat")
        assert numbered[1][1]["customer"] == "Ålesund AS" and numbered[1][1]["amount"] == Decimal("1234.56")
        assert validate_batch(numbered, settlement(layout), "B-7.dat")["by_type"] == {
            "header": 1,
            "detail": 1,
            "trailer": 1,
        }
        written = format_records([r for _, r in numbered], settlement(layout), "copy")
        assert ledger.decode_batch(written, encoding) == batch


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            replace(BATCH, 3, 58, "ABC"),
            "Records: b.dat line 3, field 'amount' (columns 58-69): expected digits, got 'ABC000000075'",
        ),
        (replace(BATCH, 2, 1, "X"), "Records: b.dat line 2 (columns 1-1): unknown record type 'X', read as latin-1; "),
        (BATCH.replace(b"orderflow", b"orderflow     "), "Records: b.dat line 1: expected 80 characters for a header"),
        (
            BATCH.replace(b"\n", b"\r\n"),
            "Records: b.dat line 1: expected 80 characters for a header record, got 81 (it ends with \\r",
        ),
        (replace(BATCH, 1, 22, "20261324"), "Records: b.dat line 1, field 'created' (columns 22-29): expected a date"),
        (replace(BATCH, 4, 30, "X"), "Records: b.dat line 4 (columns 24-80): expected blank filler, got '      X"),
    ],
    ids=["not-digits", "unknown-type", "wrong-length", "crlf", "bad-date", "filler"],
)
def test_a_line_that_does_not_fit_fails_naming_line_and_field(data, message):
    with pytest.raises(SeamError) as failure:
        parse_records(data, settlement(), "b.dat")
    assert str(failure.value).startswith(message)


def test_ebcdic_file_must_be_whole_records():
    data = BATCH.decode("latin-1").replace("\n", "").encode("cp037")
    with pytest.raises(SeamError, match=r"b.dat: 319 characters is not a whole number of 80-character records"):
        parse_records(data[:-1], settlement("settlement-ebcdic"), "b.dat")


def test_ascii_file_read_as_ebcdic_fails_on_the_record_type():
    with pytest.raises(SeamError, match=r"record 1 \(columns 1-1\): unknown record type '.', read as cp037"):
        parse_records(BATCH[:320], settlement("settlement-ebcdic"), "b.dat")


def test_undecodable_bytes_fail_naming_the_byte():
    layout = find_layout("orders-csv", [LAYOUTS])
    with pytest.raises(SeamError, match=r"o.csv: byte 3 \(0xff\) is not valid utf-8"):
        parse_records(b"or\xffder", layout, "o.csv")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (replace(BATCH, 4, 9, "3"), "b.dat line 4, field 'count' (columns 2-9): the trailer says 3, but the number of"),
        (
            replace(BATCH, 4, 23, "6"),
            "b.dat line 4, field 'total' (columns 10-23): the trailer says 13.26, but the sum of detail.amount is",
        ),
        (
            BATCH[: 3 * 81],
            "b.dat: expected the last record to be a trailer record, got a detail record (line 3); is the",
        ),
        (BATCH[81:], "b.dat: expected the first record to be a header record, got a detail record (line 1); is the"),
        (BATCH + TRAILER.encode() + b"\n", "b.dat: expected one trailer record, got 2 (another at line 4)"),
        (b"", "b.dat: has no records"),
    ],
    ids=["count", "total", "no-trailer", "no-header", "two-trailers", "empty"],
)
def test_batch_checks_fail_clearly(data, message):
    with pytest.raises(SeamError) as failure:
        validate_batch(parse_numbered(data, settlement(), "b.dat"), settlement(), "b.dat")
    assert str(failure.value).startswith("Records: " + message)


def test_valid_batch_reports_what_it_checked():
    summary = validate_batch(parse_numbered(BATCH, settlement(), "b.dat"), settlement(), "b.dat")
    assert summary["checks"] == [
        "trailer.count = count of detail records = 2",
        "trailer.total = sum of detail.amount = 13.25",
    ]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            {"record_type": "detail", "amount": "1.234"},
            "field 'amount' (columns 58-69): 1.234 has more than 2 decimals",
        ),
        ({"record_type": "detail", "amount": "-1"}, "field 'amount' (columns 58-69): expected a value of at least 0"),
        ({"record_type": "detail", "order_id": "x" * 37}, "field 'order_id' (columns 2-37): '" + "x" * 37 + "' is 37"),
        ({"record_type": "detail", "amount": "lots"}, "field 'amount' (columns 58-69): expected a decimal number"),
        ({"record_type": "detail", "amount": "1"}, "field 'settled_on' (columns 73-80): expected a value, got none"),
        ({"record_type": "footer"}, "unknown record type 'footer' (layout settlement has: header, detail, trailer)"),
        ({"record_type": "trailer", "cnt": 1}, "a trailer record has no field 'cnt' (it has count, total)"),
        ({"record_type": "trailer", "count": 1.5}, "field 'count' (columns 2-9): expected a whole number, got 1.5"),
    ],
)
def test_writing_a_record_that_does_not_fit_names_record_and_field(record, message):
    with pytest.raises(SeamError) as failure:
        format_records([HEADER_RECORD, record], settlement(), "out.dat")
    assert str(failure.value).startswith("Records: out.dat record 2") and message in str(failure.value)


HEADER_RECORD = {"record_type": "header", "batch_id": "B", "created": "2026-11-24", "source": ""}


def test_characters_the_encoding_lacks_fail_the_write():
    with pytest.raises(SeamError, match=r"out.dat: '€' cannot be written as latin-1"):
        format_records([HEADER_RECORD | {"source": "€"}], settlement(), "out.dat")


CSV = (
    b"order_id,customer,sku,quantity,unit_price,currency,created,cancelled_on\n"
    b'ord-1,"A, Ltd",SKU-APPLE,2,12.50,EUR,2026-11-24,\n'
)


def test_csv_round_trip_with_quoting_and_optional_values():
    layout = find_layout("orders-csv", [LAYOUTS])
    [order] = parse_records(CSV, layout, "o.csv")
    assert order["customer"] == "A, Ltd" and order["quantity"] == 2 and order["cancelled_on"] is None
    assert format_records([order], layout, "o.csv") == CSV


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (CSV.replace(b"quantity", b"qty"), "o.csv line 1: expected the header order_id,customer,sku,quantity,"),
        (CSV.replace(b",2,", b",two,"), "o.csv line 2, field 'quantity' (column 4): expected digits, got 'two'"),
        (CSV.replace(b",EUR", b""), "o.csv line 2: expected 8 columns for an order record, got 7"),
    ],
)
def test_csv_mismatch_fails_with_line_and_column(data, message):
    with pytest.raises(SeamError) as failure:
        parse_records(data, find_layout("orders-csv", [LAYOUTS]), "o.csv")
    assert str(failure.value).startswith("Records: " + message)


def test_csv_with_record_types_puts_the_type_in_its_column():
    layout = build_layout(
        {
            "name": "typed",
            "format": "csv",
            "record_type": {"column": 2},
            "batch": {"last": "total"},
            "records": {
                "item": {"code": "I", "fields": [{"name": "id"}, {"name": "cents", "type": "int"}]},
                "total": {
                    "code": "T",
                    "fields": [{"name": "n", "type": "int"}, {"name": "sum", "type": "int"}],
                    "checks": [{"field": "n", "count_of": "item"}, {"field": "sum", "sum_of": "item.cents"}],
                },
            },
        },
        "typed.yaml",
    )
    data = b'a,I,5\n"b,c",I,7\n2,T,12\n'
    numbered = parse_numbered(data, layout, "t.csv")
    assert [r for _, r in numbered][1] == {"record_type": "item", "id": "b,c", "cents": 7}
    assert validate_batch(numbered, layout, "t.csv")["records"] == 3
    assert format_records([r for _, r in numbered], layout, "t.csv") == data


def test_find_records_compares_text_criteria_as_the_record_values():
    records = parse_records(BATCH, settlement(), "b.dat")
    assert find_records(records, "detail", {"amount": "12.5", "settled_on": "2026-11-24"}) == [records[1]]
    assert find_records(records, None, {"count": "2"}) == [records[3]]
    assert find_records(records, "detail", {"order_id": "ord-9"}) == []
    assert find_records(records, "detail", {"amount": "not a number"}) == []
    assert find_records(records, "detail", {"colour": "red"}) == []


@pytest.mark.parametrize(
    ("criterion", "field", "matches"),
    [
        ("12.50", Decimal("12.5"), True),  # numbers by value, as engine.values says for every seam
        (12.5, Decimal("12.50"), True),
        ("007", 7, True),
        ("007", "7", False),  # two texts compare as text
        ("2026-11-24", date(2026, 11, 24), True),
        ("None", None, True),
        ("", None, True),  # an empty Robot cell against an empty field
        ("", "", True),
        ("", "x", False),
        ("x", None, False),
    ],
)
def test_find_records_uses_the_one_comparison_rule(criterion, field, matches):
    records = [{"record_type": "r", "f": field}]
    assert find_records(records, "r", {"f": criterion}) == (records if matches else [])


def test_layout_by_name_not_found_lists_what_is_there(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(SeamError) as failure:
        find_layout("setlement", [missing, LAYOUTS])
    assert str(failure.value) == (
        f"Records: no layout 'setlement' in {missing} (missing), {LAYOUTS} "
        "(layouts there: orders-csv, settlement, settlement-ebcdic)"
    )


def test_layout_by_name_without_directories_says_how_to_give_one():
    with pytest.raises(SeamError) as failure:
        find_layout("settlement", [])
    assert str(failure.value) == (
        "Records: no layout 'settlement': no layout directory is given; give the path of its YAML file, "
        "import the library with layouts=DIRECTORY or call `Set Layout Directory`"
    )


def test_layouts_are_found_in_the_first_directory_that_has_them(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for directory, name in ((first, "mine"), (second, "theirs")):
        directory.mkdir()
        (directory / "codes.yml").write_text(
            f"name: {name}\nformat: csv\nrecords:\n  code:\n    fields: [{{name: id}}]\n"
        )
    assert find_layout("codes", [first, second]).name == "mine"
    assert find_layout("codes", [second, first]).name == "theirs"
    assert find_layout(str(second / "codes.yml"), [first]).name == "theirs"
