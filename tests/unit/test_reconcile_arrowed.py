"""Columns pyarrow holds (`ArrowColumn`: a CSV file's, a PostgreSQL COPY's) are their Python lists to
the diff: compared in pyarrow where it can, the diff finds exactly what it finds on the same rows as dicts."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_reconcile_batches import NUMERIC_TEXTS_OF_A_DATABASE, TEXTS, VALUES, _comparable, sides

from Seamline.engine import arrowed
from Seamline.engine.arrowed import ArrowColumn
from Seamline.engine.reconcile import diff
from Seamline.engine.reconcile.batches import Blocks
from Seamline.engine.reconcile.diff import reconcile
from Seamline.engine.reconcile.options import build_options

pa = pytest.importorskip("pyarrow")


def _column(values: list) -> list | ArrowColumn:
    """The values as pyarrow holds them when a source's would (one of the types the readers make, and
    None), else as a list."""
    kinds = set(map(type, values)) - {type(None)}
    if len(kinds) != 1 or not kinds <= {int, float, str, bool}:
        return list(values)
    try:
        return ArrowColumn(pa.array(values))
    except OverflowError:  # an int past 64 bits
        return list(values)


def _arrow_blocks(rows: list[dict], step: int, loaders: list | None = None) -> Blocks:
    """`rows` as blocks of `step` rows (the diff's own size: they reach it as they are), by column."""
    names = ["id", "a", "b"]
    blocks = []
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        blocks.append((names, [], [_column([row[name] for row in chunk]) for name in names], loaders))
    return Blocks(blocks)


def test_a_column_pyarrow_holds_is_its_list() -> None:
    values = [3, None, 1, 7]
    column = ArrowColumn(pa.array(values))
    assert len(column) == 4 and column[0] == 3 and column[1] is None and column[-1] == 7
    assert list(column) == values and column[1:3] == [None, 1] and None in column and 5 not in column
    assert column == values and values == column and column == ArrowColumn(pa.array(values))
    assert column != ArrowColumn(pa.array([3, None, 1, 8])) and column != ArrowColumn(pa.array(["3", None, "1", "7"]))
    with mock.patch.object(arrowed, "SINGLE_READS", 2):
        many = ArrowColumn(pa.chunked_array([["a", "b"], ["c"]]))
        assert [many[index] for index in range(3)] == ["a", "b", "c"] and many.values == ["a", "b", "c"]


def test_distinct_ints_are_told_apart_from_others() -> None:
    assert ArrowColumn(pa.array([4, 5, 6])).distinct_ints() == (4, 6)
    assert ArrowColumn(pa.array([9, 2, 5])).distinct_ints() == (2, 9)
    assert ArrowColumn(pa.array([1, 1, 3])).distinct_ints() is None
    assert ArrowColumn(pa.array([1, None, 3])).distinct_ints() is None
    assert ArrowColumn(pa.array(["1", "2"])).distinct_ints() is None


@pytest.mark.parametrize(
    ("mine", "theirs", "found"),
    [
        (["a", None, "", "b", None], ["a", None, None, "c", ""], [True, True, False, False, False]),
        ([1.5, float("nan"), -0.0], [1.5, float("nan"), 0.0], [True, False, True]),  # NaN is not == NaN
        ([True, False, None], [True, True, None], [True, False, True]),
        ([5, -3, None, 7, 7], ["5", "-3", None, "07", "7.0"], [True, True, True, False, False]),  # the rule decides
        (["5", ""], [5, None], [True, False]),
    ],
)
def test_same_is_python_s_equality_of_one_type(mine: list, theirs: list, found: list) -> None:
    assert arrowed.same(ArrowColumn(pa.array(mine)), ArrowColumn(pa.array(theirs))).to_pylist() == found
    assert arrowed.same(ArrowColumn(pa.array([1, 2])), ArrowColumn(pa.array([1.0, 2.0]))) is None  # two types


@settings(max_examples=400, deadline=None)
@given(data=sides(), step=st.sampled_from([3, 7]), aligned=st.booleans())
def test_columns_pyarrow_holds_find_exactly_what_rows_as_dicts_find(data, step, aligned):
    left, right = data
    if aligned:  # the right side's rows take the left side's keys in the left side's order
        right = [dict(row, id=partner["id"]) for row, partner in zip(right, left, strict=False)] + right[len(left) :]
    options = build_options("id", "a,b", tolerance="b=0")
    with mock.patch.object(diff, "STEP", step):
        by_column = reconcile(_arrow_blocks(left, step), _arrow_blocks(right, step), options)
        assert _comparable(by_column) == _comparable(reconcile(left, right, options))


@settings(max_examples=300, deadline=None)
@given(
    keys=st.lists(st.integers(0, 15), max_size=30),
    texts=st.data(),
    other=st.sampled_from(sorted(VALUES)),
    step=st.sampled_from([3, 7]),
)
def test_numeric_texts_pyarrow_holds_find_exactly_what_their_values_find(keys, texts, other, step):
    """A database's NUMERIC by COPY: its texts in pyarrow, Decimal their loader, against any column."""
    numeric = texts.draw(st.lists(st.sampled_from([*NUMERIC_TEXTS_OF_A_DATABASE, None]), min_size=len(keys)))
    rows = [{"id": key, "a": text, "b": "x"} for key, text in zip(keys, numeric, strict=False)]
    typed = [dict(row, a=None if row["a"] is None else Decimal(row["a"])) for row in rows]
    others = texts.draw(
        st.lists(
            st.fixed_dictionaries(
                {"id": st.sampled_from(keys or [0]), "a": VALUES[other] | st.sampled_from(TEXTS), "b": st.just("x")}
            ),
            max_size=30,
        )
    )
    options = build_options("id", "a,b")
    with mock.patch.object(diff, "STEP", step):
        as_text = _arrow_blocks(rows, step, [None, Decimal, None])
        assert _comparable(reconcile(as_text, _arrow_blocks(others, step), options)) == _comparable(
            reconcile(typed, others, options)
        )
        as_text = _arrow_blocks(rows, step, [None, Decimal, None])
        assert _comparable(reconcile(_arrow_blocks(others, step), as_text, options)) == _comparable(
            reconcile(others, typed, options)
        )
