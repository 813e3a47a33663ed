"""pyarrow's columnar CSV reader gives exactly the rows Python's csv module gives, or hands over to it."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from Seamline.engine.errors import SeamError
from Seamline.engine.reconcile import columnar, sources
from Seamline.engine.reconcile.batches import Blocks
from Seamline.engine.reconcile.diff import reconcile
from Seamline.engine.reconcile.options import build_options

pytest.importorskip("pyarrow")

# Fields that quote, double quotes, quote in the middle, hold delimiters and line ends, or are empty.
FIELDS = st.text(alphabet=["a", "7", " ", ",", '"', "\n", "\r", "é"], max_size=6)
FIELDS_WITHOUT_CR = st.text(alphabet=["a", "7", " ", ",", '"', "\n", "é"], max_size=6)
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def csv_bytes(draw) -> bytes:
    """A CSV text: mostly well-formed records of the header's width, some of another width, empty lines,
    quoting of every kind; sometimes a BOM, sometimes bytes that are no UTF-8."""
    width = draw(st.integers(1, 4))
    end = draw(LINE_ENDS)
    regular = draw(st.integers(0, 2)) > 0  # every record of the header's width (else some of another)
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        records = st.lists(FIELDS_WITHOUT_CR if regular else FIELDS, min_size=width, max_size=width)
        fields = draw(records if regular else records | st.lists(FIELDS, max_size=5))
        quoted = [
            f'"{field.replace(chr(34), chr(34) * 2)}"'
            if draw(st.booleans()) or (regular and _special(field))
            else field
            for field in fields
        ]
        lines.append(",".join(quoted))
    header = ",".join(f"c{index}" for index in range(width)) if regular or draw(st.booleans()) else draw(FIELDS)
    text = end.join([header, *lines]) + draw(st.sampled_from(["", end]))
    data = (draw(st.sampled_from(["", "\ufeff"])) + text).encode()
    return data + b"\xff" if draw(st.integers(0, 19)) == 0 else data


KEYS = [{"c0": 7}, {"c0": 77}, {"c0": "a"}, {"c0": 777}]


def _comparable(result) -> dict:
    found = result.to_dict()
    for kind in ("missing_left", "missing_right", "duplicates_left", "duplicates_right", "mismatches"):
        found[kind] = sorted(map(repr, found[kind]))
    return found


def _special(field: str) -> bool:
    return any(character in field for character in ',"\r\n')


def _python_rows(path: str) -> list[dict]:
    return [row for block in sources._read_blocks(path, "csv") for row in block.mappings()]


def _read(rows_of, path: str):
    try:
        return rows_of(path)
    except SeamError as error:
        return str(error)


@settings(max_examples=400, deadline=None)
@given(data=csv_bytes(), block=st.sampled_from([1, 3, 16384]), read_bytes=st.sampled_from([16, 64, 1 << 20]))
def test_pyarrow_reads_the_rows_the_csv_module_reads(data, block, read_bytes):
    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / "rows.csv")
        Path(path).write_bytes(data)

        def arrow_rows(path: str) -> list[dict]:
            blocks = columnar.csv_blocks(path, block, lambda skip: sources._read_blocks(path, "csv", skip))
            return [row for found in blocks for row in found.mappings()]

        with mock.patch.object(columnar, "READ_BYTES", read_bytes):
            assert _read(arrow_rows, path) == _read(_python_rows, path)
            header = data.decode("utf-8", "replace").lstrip("\ufeff").split("\n")[0].split("\r")[0]
            if header.startswith("c0") and not data.endswith(b"\xff"):  # the first field is a key: ints of digits
                blocks = Blocks(columnar.csv_blocks(path, block, lambda skip: sources._read_blocks(path, "csv", skip)))
                options = build_options("c0")
                assert _comparable(reconcile(KEYS, blocks, options)) == _comparable(
                    reconcile(KEYS, Blocks(sources._read_blocks(path, "csv")), options)
                )


def test_a_file_pyarrow_cannot_read_to_the_end_is_read_on_by_the_csv_module(tmp_path):
    path = tmp_path / "rows.csv"
    records = [f"{i},{i}.50" for i in range(10)] + ["10,10.50,surplus"] + [f"{i},{i}.50" for i in range(11, 20)]
    path.write_text("id,amount\n" + "\n".join(records) + "\n", encoding="utf-8")
    handed_over = []

    def rest(skip):
        handed_over.append(skip)
        return sources._read_blocks(str(path), "csv", skip)

    with mock.patch.object(columnar, "READ_BYTES", 32):
        blocks = list(columnar.csv_blocks(str(path), 3, rest))
    assert [row["id"] for block in blocks for row in block.mappings()] == [str(i) for i in range(20)]
    assert handed_over and handed_over[0] > 0  # pyarrow read the first records
    left = [{"id": i, "amount": Decimal(f"{i}.5")} for i in range(20)]
    result = reconcile(left, Blocks(blocks), build_options("id"))
    assert result.consistent and result.matched == 20


def test_a_file_that_is_no_utf8_fails_naming_it(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,name\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(SeamError, match=r"latin1\.csv is not UTF-8 text"):
        list(sources.local_blocks(str(path), "csv"))


def test_a_file_over_sftp_reads_as_a_local_one(tmp_path):
    data = '\ufeffid,name\r\n1,"Ada, Lovelace"\r\n2,Bo\r\n'.encode()
    path = tmp_path / "rows.csv"
    path.write_bytes(data)
    assert sources.bytes_rows(data, "csv", None, "remote.csv") == _python_rows(str(path))
    assert _python_rows(str(path))[0] == {"id": "1", "name": "Ada, Lovelace"}
    with pytest.raises(SeamError, match=r"remote\.csv is not UTF-8 text"):
        sources.bytes_rows(b"id\n\xff\n", "csv", None, "remote.csv")
