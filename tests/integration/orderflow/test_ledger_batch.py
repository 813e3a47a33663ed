"""The ledger's fixed-width batch layout: the documented table, encoding and validation."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from orderflow.ledger import batch as layout
from orderflow.ledger.batch import Batch, BatchError, Detail, decode_batch, encode_batch

BATCH = Batch(
    "B20240501-1",
    date(2024, 5, 1),
    "orderflow",
    (
        Detail("o-1", "Café Zürich", 1250, "EUR", date(2024, 5, 1)),
        Detail("o-2", "A customer name longer than twenty", 99, "USD", date(2024, 5, 2)),
    ),
)
EXPECTED_RECORDS = [
    "HB20240501-1         20240501orderflow ".ljust(80),
    "Do-1" + " " * 33 + "Café Zürich         000000001250EUR20240501",
    "Do-2" + " " * 33 + "A customer name long000000000099USD20240502",
    "T00000002" + "00000000001349".ljust(71),
]


def documented_fields() -> dict[str, list[tuple[str, int, int]]]:
    """(field, start, width) rows of each record table in the batch module's docstring."""
    assert layout.__doc__ is not None
    tables: dict[str, list[tuple[str, int, int]]] = {}
    record = ""
    for line in layout.__doc__.splitlines():
        heading = re.match(r"(Header|Detail|Trailer) record", line)
        row = re.match(r"(\d+)\s+(\d+)\s+(\d+)\s+(\w+)", line)
        if heading:
            record = heading.group(1)
            tables[record] = []
        elif row:
            start, end, width, name = row.groups()
            assert int(end) == int(start) + int(width) - 1, line
            tables[record].append((name, int(start), int(width)))
    return tables


def test_docstring_tables_are_the_layout_the_code_uses() -> None:
    in_code = {
        "Header": layout.HEADER_FIELDS,
        "Detail": layout.DETAIL_FIELDS,
        "Trailer": layout.TRAILER_FIELDS,
    }
    documented = documented_fields()
    assert documented == {name: [tuple(field) for field in fields] for name, fields in in_code.items()}
    for fields in in_code.values():
        assert [field.start for field in fields] == [1] + [field.start + field.width for field in fields[:-1]]
        assert fields[-1].start + fields[-1].width - 1 == layout.RECORD_LENGTH


def test_latin1_batch_is_newline_terminated_80_character_records() -> None:
    content = encode_batch(BATCH)
    assert content.decode("latin-1").split("\n") == [*EXPECTED_RECORDS, ""]
    assert decode_batch(content) == Batch(
        BATCH.batch_id,
        BATCH.created,
        BATCH.source,
        (BATCH.details[0], Detail("o-2", "A customer name long", 99, "USD", date(2024, 5, 2))),
    )


def test_cp037_batch_is_80_byte_records_without_separator() -> None:
    content = encode_batch(BATCH, "cp037")
    assert content == "".join(EXPECTED_RECORDS).encode("cp037")
    assert decode_batch(content, "cp037").details[0].customer == "Café Zürich"


def test_text_the_encoding_lacks_or_that_breaks_records_is_replaced() -> None:
    detail = Detail("o-1", "Łódź\nWest", 1, "PLN", date(2024, 5, 1))
    content = encode_batch(Batch("B1", date(2024, 5, 1), "x", (detail,)))
    assert decode_batch(content).details[0].customer == "?ód? West"


def test_money_is_whole_cents() -> None:
    assert layout.amount_to_cents(Decimal("12.5")) == 1250
    assert layout.cents_to_amount(5) == Decimal("0.05")
    with pytest.raises(ValueError, match="fractions of a cent"):
        layout.amount_to_cents(Decimal("0.005"))


def replace_record(number: int, record: str) -> bytes:
    records = list(EXPECTED_RECORDS)
    records[number - 1] = record
    return "\n".join(records).encode("latin-1")


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (b"", 0, "empty file"),
        (replace_record(1, EXPECTED_RECORDS[1]), 1, "first record is not a header (H)"),
        (replace_record(4, EXPECTED_RECORDS[1]), 4, "last record is not a trailer (T)"),
        (replace_record(2, EXPECTED_RECORDS[1][:79]), 2, "record is 79 characters, not 80"),
        (replace_record(3, EXPECTED_RECORDS[1]), 3, "order_id o-1 appears twice"),
        (replace_record(2, EXPECTED_RECORDS[1][:69] + "eur20240501"), 2, "currency 'eur'"),
        (replace_record(2, EXPECTED_RECORDS[1][:72] + "20241301"), 2, "settled_on '20241301'"),
        (replace_record(1, EXPECTED_RECORDS[0][:79] + "X"), 1, "filler is not blank"),
        (replace_record(2, "X" + EXPECTED_RECORDS[1][1:]), 2, "record type 'X'"),
        (replace_record(4, "T0000000200000000001348".ljust(80)), 4, "amount total 1348 != 1349"),
    ],
)
def test_malformed_batches_name_the_record_and_reason(content: bytes, line: int, reason: str) -> None:
    with pytest.raises(BatchError, match=re.escape(reason)) as rejection:
        decode_batch(content)
    assert rejection.value.line == line


def test_cp037_file_must_be_whole_records() -> None:
    with pytest.raises(BatchError, match="not a multiple of 80-byte records"):
        decode_batch(encode_batch(BATCH, "cp037")[:-1], "cp037")
