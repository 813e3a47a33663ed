"""Settlement batch files: the ledger's fixed-width record layout.

A batch is one header record, zero or more detail records and one trailer record. Every
record is exactly 80 characters. Columns are 1-based and inclusive; text fields are
left-aligned and padded with spaces, numeric fields are right-aligned and zero-padded,
dates are ``YYYYMMDD``, amounts are whole cents (minor units, two decimals, no sign).

Header record (``H``)

=====  =====  =====  ==========  ======================================
Start  End    Width  Field       Content
=====  =====  =====  ==========  ======================================
1      1      1      record      ``H``
2      21     20     batch_id    text; letters, digits, ``-`` and ``_``
22     29     8      created     date YYYYMMDD
30     39     10     source      text (longer values are cut)
40     80     41     filler      spaces
=====  =====  =====  ==========  ======================================

Detail record (``D``), one per settled order

=====  =====  =====  ==========  ======================================
Start  End    Width  Field       Content
=====  =====  =====  ==========  ======================================
1      1      1      record      ``D``
2      37     36     order_id    text, not blank
38     57     20     customer    text (longer values are cut)
58     69     12     amount      cents, zero-padded digits
70     72     3      currency    three letters A-Z (ISO 4217)
73     80     8      settled_on  date YYYYMMDD
=====  =====  =====  ==========  ======================================

Trailer record (``T``)

=====  =====  =====  ==========  ======================================
Start  End    Width  Field       Content
=====  =====  =====  ==========  ======================================
1      1      1      record      ``T``
2      9      8      count       number of detail records, zero-padded
10     23     14     total       sum of all detail amounts in cents
24     80     57     filler      spaces
=====  =====  =====  ==========  ======================================

Encodings:

- ``latin-1`` (default): each record is followed by ``\\n`` (the last one may omit it);
  no ``\\r``, no blank lines.
- ``cp037`` (EBCDIC): fixed-length 80-byte records with NO line separator, so the file
  size is a multiple of 80.

The trailer total is the sum over all currencies. Files are named ``<batch_id>.dat``;
uploaders write ``<batch_id>.dat.part`` and rename it when complete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

RECORD_LENGTH = 80
ENCODINGS = ("latin-1", "cp037")
BATCH_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,20}")
_CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")


class Field(NamedTuple):
    name: str
    start: int  # 1-based, as in the module docstring
    width: int

    @property
    def slice(self) -> slice:
        return slice(self.start - 1, self.start - 1 + self.width)


HEADER_FIELDS = (
    Field("record", 1, 1),
    Field("batch_id", 2, 20),
    Field("created", 22, 8),
    Field("source", 30, 10),
    Field("filler", 40, 41),
)
DETAIL_FIELDS = (
    Field("record", 1, 1),
    Field("order_id", 2, 36),
    Field("customer", 38, 20),
    Field("amount", 58, 12),
    Field("currency", 70, 3),
    Field("settled_on", 73, 8),
)
TRAILER_FIELDS = (
    Field("record", 1, 1),
    Field("count", 2, 8),
    Field("total", 10, 14),
    Field("filler", 24, 57),
)


def amount_to_cents(amount: Decimal) -> int:
    """Whole cents of `amount`; refuses fractions of a cent rather than rounding money."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"amount {amount} has fractions of a cent")
    return int(cents)


def cents_to_amount(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


class BatchError(ValueError):
    """A batch file that cannot be posted; `line` is the 1-based record number (0: whole file)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Detail:
    order_id: str
    customer: str
    amount_cents: int
    currency: str
    settled_on: date


@dataclass(frozen=True)
class Batch:
    batch_id: str
    created: date
    source: str
    details: tuple[Detail, ...]

    @property
    def total_cents(self) -> int:
        return sum(detail.amount_cents for detail in self.details)


def encode_batch(batch: Batch, encoding: str = "latin-1") -> bytes:
    """The file content of `batch`; characters the encoding lacks become ``?``."""
    _check_encoding(encoding)
    records = [_header_record(batch)]
    records += [_detail_record(detail) for detail in batch.details]
    records.append(_trailer_record(batch))
    if encoding == "cp037":
        return "".join(records).encode("cp037", errors="replace")
    return "".join(record + "\n" for record in records).encode(encoding, errors="replace")


def decode_batch(data: bytes, encoding: str = "latin-1") -> Batch:
    """Parse and validate a batch file; raises BatchError naming the first bad record."""
    _check_encoding(encoding)
    records = _split_records(data, encoding)
    if not records:
        raise BatchError(0, "empty file")
    header = _parse_header(records[0])
    if records[-1][:1] != "T":
        raise BatchError(len(records), "last record is not a trailer (T)")
    details = [_parse_detail(number, record) for number, record in enumerate(records[1:-1], 2)]
    _check_unique_orders(details)
    count, total = _parse_trailer(len(records), records[-1])
    if count != len(details):
        raise BatchError(len(records), f"trailer record count {count} != {len(details)} detail records")
    batch = Batch(header[0], header[1], header[2], tuple(details))
    if total != batch.total_cents:
        raise BatchError(len(records), f"trailer amount total {total} != {batch.total_cents} sum of details")
    return batch


def _check_encoding(encoding: str) -> None:
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, not {encoding!r}")


def _header_record(batch: Batch) -> str:
    if not BATCH_ID_PATTERN.fullmatch(batch.batch_id):
        raise ValueError(f"batch_id must match {BATCH_ID_PATTERN.pattern}: {batch.batch_id!r}")
    return f"H{batch.batch_id:<20}{batch.created:%Y%m%d}{_text(batch.source, 10)}".ljust(80)


def _detail_record(detail: Detail) -> str:
    if not detail.order_id.strip() or len(detail.order_id) > 36:
        raise ValueError(f"order_id must be 1-36 characters: {detail.order_id!r}")
    if not _CURRENCY_PATTERN.fullmatch(detail.currency):
        raise ValueError(f"currency must be three letters A-Z: {detail.currency!r}")
    if not 0 <= detail.amount_cents < 10**12:
        raise ValueError(f"amount must be 0..999999999999 cents: {detail.amount_cents}")
    return (
        f"D{_text(detail.order_id, 36)}{_text(detail.customer, 20)}"
        f"{detail.amount_cents:012d}{detail.currency}{detail.settled_on:%Y%m%d}"
    )


def _trailer_record(batch: Batch) -> str:
    return f"T{len(batch.details):08d}{batch.total_cents:014d}".ljust(80)


def _text(value: str, width: int) -> str:
    # A control character (a newline above all) would break the record structure.
    printable = "".join(char if char.isprintable() else " " for char in value)
    return printable[:width].ljust(width)


def _split_records(data: bytes, encoding: str) -> list[str]:
    text = data.decode(encoding)
    if encoding == "cp037":
        if len(text) % RECORD_LENGTH:
            raise BatchError(
                len(text) // RECORD_LENGTH + 1,
                f"file size {len(text)} is not a multiple of {RECORD_LENGTH}-byte records",
            )
        return [text[at : at + RECORD_LENGTH] for at in range(0, len(text), RECORD_LENGTH)]
    records = text.split("\n")
    if records and records[-1] == "":
        records.pop()
    for number, record in enumerate(records, 1):
        if len(record) != RECORD_LENGTH:
            raise BatchError(number, f"record is {len(record)} characters, not {RECORD_LENGTH}")
    return records


def _fields(record: str, fields: tuple[Field, ...]) -> dict[str, str]:
    return {field.name: record[field.slice] for field in fields}


def _parse_header(record: str) -> tuple[str, date, str]:
    values = _fields(record, HEADER_FIELDS)
    if values["record"] != "H":
        raise BatchError(1, "first record is not a header (H)")
    batch_id = values["batch_id"].rstrip(" ")
    if not BATCH_ID_PATTERN.fullmatch(batch_id):
        raise BatchError(1, f"batch_id {values['batch_id']!r} is not 1-20 of [A-Za-z0-9_-]")
    _check_filler(1, values["filler"])
    return batch_id, _date(1, "created", values["created"]), values["source"].rstrip(" ")


def _parse_detail(number: int, record: str) -> Detail:
    values = _fields(record, DETAIL_FIELDS)
    if values["record"] != "D":
        raise BatchError(number, f"record type {values['record']!r} where a detail (D) belongs")
    order_id = values["order_id"].rstrip(" ")
    if not order_id:
        raise BatchError(number, "order_id is blank")
    if not _CURRENCY_PATTERN.fullmatch(values["currency"]):
        raise BatchError(number, f"currency {values['currency']!r} is not three letters A-Z")
    return Detail(
        order_id=order_id,
        customer=values["customer"].rstrip(" "),
        amount_cents=_digits(number, "amount", values["amount"]),
        currency=values["currency"],
        settled_on=_date(number, "settled_on", values["settled_on"]),
    )


def _parse_trailer(number: int, record: str) -> tuple[int, int]:
    values = _fields(record, TRAILER_FIELDS)
    _check_filler(number, values["filler"])
    return _digits(number, "count", values["count"]), _digits(number, "total", values["total"])


def _check_unique_orders(details: list[Detail]) -> None:
    seen: set[str] = set()
    for number, detail in enumerate(details, 2):
        if detail.order_id in seen:
            raise BatchError(number, f"order_id {detail.order_id} appears twice")
        seen.add(detail.order_id)


def _check_filler(number: int, filler: str) -> None:
    if filler.strip(" "):
        raise BatchError(number, f"filler is not blank: {filler.strip()!r}")


def _digits(number: int, name: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise BatchError(number, f"{name} {value!r} is not zero-padded digits")
    return int(value)


def _date(number: int, name: str, value: str) -> date:
    if not (value.isascii() and value.isdigit()):
        raise BatchError(number, f"{name} {value!r} is not a date YYYYMMDD")
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise BatchError(number, f"{name} {value!r} is not a date YYYYMMDD") from None
