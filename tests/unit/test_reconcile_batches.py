"""The diff's fast path (whole batches at C speed) gives exactly what the row-by-row path gives."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from decimal import Decimal
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from Seamline.engine.reconcile import batches, diff
from Seamline.engine.reconcile.batches import Batch, Blocks, one_key, surely_equal
from Seamline.engine.reconcile.canonical import key_text
from Seamline.engine.reconcile.diff import reconcile
from Seamline.engine.reconcile.options import build_options
from Seamline.engine.values import values_equal

NUMERIC_TEXTS = ["1.50", " 2 ", "2e0", "1_5", "-0", "0.1"]
TEXTS = ["1.5", "2", "NaN", "Infinity", "abc", "", "true", "null"]
VALUES = {
    # Decimal(0.1) is the float 0.1 exactly: == to it, but not equal by the rule (which reads floats by repr).
    "decimal": st.sampled_from([Decimal("1.5"), Decimal(2), Decimal(15), Decimal(0.1)]),  # noqa: RUF032 - on purpose
    "int": st.sampled_from([0, 1, 2, 15]),
    "float": st.sampled_from([1.5, 2.0, 0.1, -0.0]),
    "numeric text": st.sampled_from(NUMERIC_TEXTS),  # no NaN: a whole column of numbers, or no shortcut
    "text": st.sampled_from(TEXTS),
    "bool": st.booleans(),
    "mixed": st.sampled_from([Decimal("1.5"), "1.5", 2, None, True, "null", datetime(2026, 1, 1, tzinfo=timezone.utc)]),
}
PAIRINGS = [  # of column kinds, each way round: the shortcut's cases and their neighbours
    *(pair for first, second in [
        ("decimal", "numeric text"), ("int", "numeric text"), ("float", "numeric text"), ("decimal", "float"),
        ("int", "bool"), ("int", "float"), ("mixed", "numeric text"), ("text", "numeric text"), ("decimal", "int"),
    ] for pair in ((first, second), (second, first))),
    *((kind, kind) for kind in VALUES),
]  # fmt: skip
KEYS = {"int": st.integers(0, 15), "text": st.integers(0, 15).map(lambda n: f"{n:03d}")}


@st.composite
def sides(draw):
    """Two sides of rows whose columns each hold one kind of value (so the fast path applies), or a mix."""
    kinds = dict(zip(("left", "right"), draw(st.sampled_from(PAIRINGS)), strict=True))
    key_kinds = {side: draw(st.sampled_from(sorted(KEYS))) for side in ("left", "right")}
    return tuple(
        draw(
            st.lists(
                st.fixed_dictionaries(
                    {"id": KEYS[key_kinds[side]], "a": VALUES[kinds[side]], "b": st.sampled_from("xy")}
                ),
                max_size=40,
            )
        )
        for side in ("left", "right")
    )


def _row_by_row(left, right, options):
    """The diff with the fast path switched off: every batch read row by row, every pair by the rule."""
    with (
        mock.patch.object(batches.SideReader, "_fast_batch", lambda self, rows: None),
        mock.patch.object(diff, "surely_equal", lambda *args: None),
        mock.patch.object(diff, "STEP", 1),
    ):
        return reconcile(left, right, options)


def _comparable(result):
    found = result.to_dict()
    for kind in ("missing_left", "missing_right", "duplicates_left", "duplicates_right", "mismatches"):
        found[kind] = sorted(map(repr, found[kind]))
    return found


@settings(max_examples=300, deadline=None)
@given(data=sides(), step=st.sampled_from([3, 7, 16384]), aligned=st.booleans())
def test_the_fast_path_finds_exactly_what_the_row_by_row_path_finds(data, step, aligned):
    left, right = data
    if aligned:  # the right side's rows take the left side's keys in the left side's order
        right = [dict(row, id=partner["id"]) for row, partner in zip(right, left, strict=False)] + right[len(left) :]
    options = build_options("id", tolerance="b=0")
    with mock.patch.object(diff, "STEP", step):
        fast = reconcile(left, right, options)
    assert _comparable(fast) == _comparable(_row_by_row(left, right, options))


@settings(max_examples=300, deadline=None)
@given(data=sides())
def test_surely_equal_vouches_only_for_pairs_the_rule_finds_equal(data):
    left, right = data
    count = min(len(left), len(right))
    left_batch = Batch([0] * len(left), [0] * len(left), [(row["a"],) for row in left])
    right_batch = Batch([0] * len(right), [0] * len(right), [(row["a"],) for row in right])
    equal = surely_equal(left_batch, list(range(count)), right_batch, list(range(count)))
    if equal is not None:
        for index, vouched in enumerate(equal):
            if vouched:
                assert values_equal(left[index]["a"], right[index]["a"]), (left[index], right[index])


def test_numeric_text_matches_numbers_as_the_rule_reads_it():
    left = [{"id": n, "amount": Decimal(text)} for n, text in enumerate(["10.00", "1000", "5", "7"])]
    right = [{"id": str(n), "amount": text} for n, text in enumerate(["10.0", "1_000", " 5 ", "7e0"])]
    result = reconcile(left, right, build_options("id"))
    assert [(m.key, m.right) for m in result.mismatches] == [({"id": 1}, "1_000")]  # 1_000 is no number to the rule
    assert result.matched == 3


def test_a_one_field_key_is_its_key_text_and_an_int_when_that_is_an_integer():
    assert one_key(7) == one_key("007") == one_key(" 7 ") == one_key(Decimal("7.00")) == one_key(7.0) == 7
    assert one_key("+5") == one_key(5) and one_key("-0") == 0
    assert one_key("A-001") == "A-001" and one_key("1.5") == key_text("1.5") == "1.5"
    assert one_key(True) == 1  # as key_text reads booleans


def _blocks_of(rows, sizes, reverse=False):
    """`rows` (dicts of the same fields) as Blocks of tuples, cut at the sizes drawn, the fields in their
    order (or the reverse: the header's order is the source's)."""
    names = list(rows[0]) if rows else []
    names = names[::-1] if reverse else names
    tuples = [tuple(row[name] for name in names) for row in rows]
    blocks, start = [], 0
    for size in itertools.cycle(sizes):
        if start >= len(tuples):
            break
        blocks.append((names, tuples[start : start + size]))
        start += size
    return Blocks(blocks)


@settings(max_examples=200, deadline=None)
@given(data=sides(), sizes=st.lists(st.integers(1, 20), min_size=1, max_size=4), step=st.sampled_from([3, 16384]))
def test_blocks_of_tuples_find_exactly_what_rows_as_dicts_find(data, sizes, step):
    left, right = data
    options = build_options("id", tolerance="b=0")
    with mock.patch.object(diff, "STEP", step):
        as_blocks = reconcile(_blocks_of(left, sizes), _blocks_of(right, sizes, reverse=True), options)
        assert _comparable(as_blocks) == _comparable(reconcile(left, right, options))


NUMERIC_TEXTS_OF_A_DATABASE = ["1.50", "2", "2.00", "-0.00", "0", "NaN", "Infinity", "-Infinity", "15"]


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(st.tuples(st.integers(0, 15), st.sampled_from([*NUMERIC_TEXTS_OF_A_DATABASE, None])), max_size=30),
    other=st.sampled_from(sorted(VALUES)),
    right=st.data(),
)
def test_texts_with_a_loader_find_exactly_what_their_values_find(texts, other, right):
    """A database's NUMERIC streamed as text (Decimal its loader) against any other column: the same
    result as the Decimals themselves, the values in it the Decimals."""
    right_rows = right.draw(
        st.lists(
            st.fixed_dictionaries({"id": st.integers(0, 15), "a": VALUES[other] | st.sampled_from(TEXTS)}), max_size=30
        )
    )
    as_text = Blocks([(["id", "a"], [list(row) for row in texts], None, [None, Decimal])])
    typed = [{"id": key, "a": None if text is None else Decimal(text)} for key, text in texts]
    options = build_options("id")
    assert _comparable(reconcile(as_text, right_rows, options)) == _comparable(reconcile(typed, right_rows, options))
    as_text_right = Blocks([(["id", "a"], [list(row) for row in texts], None, [None, Decimal])])
    assert _comparable(reconcile(right_rows, as_text_right, options)) == _comparable(
        reconcile(right_rows, typed, options)
    )


@settings(max_examples=300, deadline=None)
@given(
    batches=st.lists(
        st.one_of(
            st.tuples(st.integers(-5, 40), st.integers(0, 12)).map(lambda run: list(range(run[0], run[0] + run[1]))),
            st.sets(st.integers(-(2**63), 2**63 - 1) | st.integers(-3, 40), max_size=8).map(list),
            st.sets(st.text(max_size=2) | st.integers(2**63, 2**64), max_size=4).map(list),
        ),
        max_size=8,
    ),
    asked=st.lists(st.integers(-8, 45) | st.text(max_size=2) | st.integers(2**63, 2**64), max_size=20),
)
def test_paired_keys_tell_which_keys_paired(batches, asked):
    """Runs of consecutive ints, other ints, texts and ints past 64 bits: each key added is found again,
    and a key never added is not (its fingerprint colliding aside, which these keys do not)."""
    paired, added = diff.PairedKeys(), set()
    for keys in batches:
        paired.add_all(keys)
        added |= set(keys)
    asked_keys = asked + list(added)
    assert paired.among(asked_keys) == {key for key in asked_keys if key in added}
