"""CSV files read by pyarrow's columnar reader (C++, its own threads), when pyarrow is installed.

An optional speed-up of `sources` (``pip install robotframework-seamline[fast]``): a file's records
come as columns of text, BLOCK rows at a time, exactly as Python's `csv` module reads them (the
header's names, every value a text, an empty line no record). A file pyarrow reads otherwise — a
record whose number of fields is not the header's, text that is no UTF-8 — is read by the `csv`
module from the record where pyarrow stopped (and so is a file with a carriage return in a value, which
pyarrow may read wrongly), so results never depend on the reader.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import Any

from ..arrowed import ArrowColumn
from .batches import Block

READ_BYTES = 1 << 18  # bytes pyarrow parses at a time (larger ones cost it more memory, and no time)


def csv_blocks(path: str, block: int, rest: Callable[[int], Iterator[Block]]) -> Iterator[Block]:
    """The records of the CSV file at `path` by column, `block` rows at a time; `rest(n)` gives the
    records after the first n, read by the `csv` module, where pyarrow cannot read the file as it does."""
    header = _header(path)
    if not header:  # no header, an empty line as header, or a name spanning lines: the csv module's own cases
        yield from rest(0)
        return
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    positions = [str(index) for index in range(len(header))]  # by place: a name may be given twice
    delivered = 0
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=positions, skip_rows=1, block_size=READ_BYTES),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(positions, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        pending: list[Any] = []  # record batches not handed over yet
        waiting = 0
        for batch in reader:
            pending.append(batch)
            waiting += batch.num_rows
            if _carriage_return_in(batch):
                break
            while waiting >= block:
                table = pa.Table.from_batches(pending)
                yield _block(header, table.slice(0, block))
                delivered += block
                rest_table = table.slice(block)
                pending, waiting = rest_table.to_batches(), rest_table.num_rows
        else:
            if waiting:
                yield _block(header, pa.Table.from_batches(pending))
            return
    except pa.ArrowInvalid:
        pass
    yield from rest(delivered)


def _carriage_return_in(batch: Any) -> bool:
    """Whether a value holds a carriage return: pyarrow may drop the line feed of a quoted CR LF that
    straddles two of its blocks (26.0), so such a file is left to the csv module from there."""
    for column in batch.columns:  # a search of the values' bytes (memchr), not a compute kernel per value
        data = column.buffers()[2]  # of a string column: validity, offsets, the values' UTF-8 bytes
        if data is not None and b"\r" in data.to_pybytes():
            return True
    return False


def _header(path: str) -> list[str] | None:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError):
        return None  # the csv module's reading says what is wrong
    if header is None or any("\n" in name or "\r" in name for name in header):
        return None
    return header


def _block(header: list[str], table: Any) -> Block:
    import pyarrow as pa
    import pyarrow.compute as pc

    def digits(at: int) -> ArrowColumn | None:
        column = table.column(at)
        if not pc.all(pc.ascii_is_decimal(column)).as_py():
            return None
        try:
            return ArrowColumn(pc.cast(column, pa.int64()))
        except pa.ArrowInvalid:  # more digits than an int64 holds: the engine reads them
            return None

    return Block(header, [], [ArrowColumn(column) for column in table.columns], texts=True, digits=digits)
