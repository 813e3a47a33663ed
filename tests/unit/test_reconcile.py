"""The reconciliation engine: every row accounted for once, keys of any type, tolerances, normalisers."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from Seamline.engine.errors import SeamError
from Seamline.engine.reconcile.canonical import canonical_text, key_text
from Seamline.engine.reconcile.diff import MISSING, reconcile
from Seamline.engine.reconcile.options import build_options
from Seamline.engine.values import Tolerance, values_equal

ids = st.integers(0, 12) | st.integers(0, 12).map(lambda n: f"k{n}")  # ints, and texts that stay texts
rows_strategy = st.lists(
    st.fixed_dictionaries({"id": ids, "amount": st.sampled_from([Decimal("1.50"), "1.5", 2, None])}),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(left=rows_strategy, right=rows_strategy)
def test_every_row_is_accounted_for_exactly_once(left, right):
    result = reconcile(left, right, build_options("id", fields="amount"))
    counts = result.to_dict()["counts"]
    paired = result.matched + result.mismatched_rows
    assert result.left_rows == len(left) == paired + counts["missing_right"] + counts["duplicates_left"]
    assert result.right_rows == len(right) == paired + counts["missing_left"] + counts["duplicates_right"]
    # By key: the rows of each side without a partner are exactly the multiset difference.
    left_keys, right_keys = Counter(row["id"] for row in left), Counter(row["id"] for row in right)
    only_left = Counter(k["id"] for k in result.missing_right + result.duplicates_left)
    only_right = Counter(k["id"] for k in result.missing_left + result.duplicates_right)
    assert only_left == left_keys - right_keys
    assert only_right == right_keys - left_keys
    # An extra row of a key that paired is a duplicate; of a key only one side has, the first is missing.
    assert counts["missing_right"] == len(left_keys.keys() - right_keys.keys())
    assert counts["missing_left"] == len(right_keys.keys() - left_keys.keys())
    assert result.consistent == (left_keys == right_keys and result.mismatched_rows == 0)


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy, seed=st.randoms())
def test_the_same_rows_in_any_order_agree(rows, seed):
    unique = list({row["id"]: row for row in rows}.values())
    shuffled = unique[:]
    seed.shuffle(shuffled)
    result = reconcile(unique, shuffled, build_options("id"))
    assert result.consistent and result.matched == len(unique)


def test_mismatches_name_the_key_field_and_both_values():
    left = [{"order_id": "A", "sku": "X", "amount": Decimal("12.50"), "status": "NEW"}]
    right = [{"order_id": "A", "sku": "X", "amount": "12.60", "status": "NEW"}]
    result = reconcile(left, right, build_options("order_id,sku"))
    assert [m.to_dict() for m in result.mismatches] == [
        {"key": {"order_id": "A", "sku": "X"}, "field": "amount", "left": Decimal("12.50"), "right": "12.60"}
    ]
    assert result.summary() == (
        "reconciliation: 1 left rows, 1 right rows by order_id, sku: 0 matched, 1 with different fields"
    )


def test_keys_of_any_type_match_by_their_canonical_text():
    when = datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
    left = [{"id": 5, "at": when, "v": 1}, {"id": Decimal("7.00"), "at": when, "v": 1}]
    right = [
        {"id": "7", "at": "2026-11-24T11:00:00+01:00", "v": "1"},
        {"id": "5", "at": "2026-11-24T10:00:00Z", "v": 1},
    ]
    assert reconcile(left, right, build_options(["id", "at"])).consistent


def test_missing_and_duplicated_rows_are_told_apart():
    left = [{"id": 1}, {"id": 2}, {"id": 3}]
    right = [{"id": 1}, {"id": 1}, {"id": 3}, {"id": 4}]
    result = reconcile(left, right, build_options("id"))
    assert (result.missing_right, result.missing_left, result.duplicates_right) == (
        [{"id": 2}],
        [{"id": 4}],
        [{"id": 1}],
    )
    assert result.matched == 2 and not result.consistent


def test_tolerances_normalisers_and_renames():
    left = [
        {"id": 1, "amount": Decimal("100.00"), "fee": Decimal("1.00"), "name": " Ann ", "at": "2026-11-24T10:00:00"}
    ]
    right = [{"id": 1, "total": "100.9", "fee": 1.004, "name": "ANN", "at": "2026-11-24T11:00:00+01:00"}]
    strict = reconcile(left, right, build_options("id", fields="amount,fee,name,at", rename="total=amount"))
    assert [m.field for m in strict.mismatches] == ["amount", "fee", "name"]
    loose = reconcile(
        left,
        right,
        build_options(
            "id",
            fields="amount,fee,name,at",
            rename={"total": "amount"},
            tolerance="amount=1%,fee=0.01",
            normalise={"name": "trim|case", "at": "timezone:UTC"},
        ),
    )
    assert loose.consistent, loose.mismatches


def test_a_renamed_field_without_rename_is_reported_missing():
    result = reconcile([{"id": 1, "amount": 5}], [{"id": 1, "total": 5}], build_options("id", fields="amount"))
    assert [m.to_dict() for m in result.mismatches] == [
        {"key": {"id": 1}, "field": "amount", "left": 5, "right": MISSING}
    ]


def test_time_zone_normaliser_reads_local_times():
    left = [{"id": 1, "at": "2026-07-01 12:00:00"}]  # Paris local time, no zone written
    right = [{"id": 1, "at": "2026-07-01T10:00:00Z"}]
    assert not reconcile(left, right, build_options("id")).consistent
    assert reconcile(left, right, build_options("id", normalise="at=timezone:Europe/Paris")).consistent


def test_default_fields_are_those_both_sides_have_minus_ignored():
    left = [{"id": 1, "a": 1, "b": 2, "only_left": 3}]
    right = [{"id": 1, "a": 1, "b": 9, "only_right": 4}]
    assert reconcile(left, right, build_options("id")).fields == ["a", "b"]
    assert reconcile(left, right, build_options("id", ignore="b")).consistent


def test_samples_are_bounded_but_counts_exact():
    options = build_options("id")
    options.samples = 3
    result = reconcile([{"id": i} for i in range(10)], [], options)
    assert len(result.missing_right) == 3 and result.to_dict()["counts"]["missing_right"] == 10


def test_bad_arguments_fail_naming_what_is_valid():
    with pytest.raises(SeamError, match=r"normaliser 'upper' of name is not one of: trim, case"):
        build_options("id", normalise="name=upper")
    with pytest.raises(SeamError, match="tolerance of amount 'lots' is not a number"):
        build_options("id", tolerance="amount=lots")
    with pytest.raises(SeamError, match="key= names no field"):
        build_options("")
    with pytest.raises(SeamError, match=r"a row has no key field 'id' \(its fields: x\)"):
        reconcile([{"x": 1}], [], build_options("id"))


def test_canonical_text_is_one_text_per_value():
    assert [canonical_text(v) for v in (Decimal("12.50"), Decimal("3.00"), 100, 1.5, True, None, b"\x01")] == [
        "12.5", "3", "100", "1.5", "1", "\\N", "01"
    ]  # fmt: skip
    assert canonical_text(datetime(2026, 1, 1, 11, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))) == (
        "2026-01-01T10:00:00.123"
    )
    assert key_text("007") == "7" and key_text("2026-01-01 10:00:00Z") == "2026-01-01T10:00:00.000"


def test_tolerance_lives_in_the_one_rule():
    assert values_equal(Decimal("10.00"), "10.05", Tolerance(absolute=Decimal("0.05")))
    assert not values_equal(Decimal("10.00"), "10.06", Tolerance(absolute=Decimal("0.05")))
    assert values_equal(200, "202", Tolerance(relative=Decimal("0.01")))
    assert values_equal("2026-01-01T10:00:00Z", "2026-01-01T10:00:02Z", Tolerance(absolute=Decimal(2)))
    assert not values_equal("007", "7", Tolerance(absolute=Decimal(1)))  # two texts stay texts


def test_only_keeps_the_rows_of_both_sides_with_the_values_given():
    left = [{"id": 1, "shop": "a"}, {"id": 2, "shop": "b"}]
    right = [{"id": 1, "shop": "a"}, {"id": 3, "shop": "b"}]
    result = reconcile(left, right, build_options("id", only="shop=a"))
    assert result.consistent and (result.left_rows, result.right_rows) == (1, 1)


def test_file_rows_stream_in_blocks_and_keep_every_row(tmp_path):
    from Seamline.engine.reconcile.sources import BLOCK, local_blocks

    def rows(path):
        return [row for block in local_blocks(str(path), "csv") for row in block.mappings()]

    path = tmp_path / "rows.csv"
    path.write_text("id,amount\n" + "".join(f"{i},{i}.50\n" for i in range(BLOCK * 2 + 3)) + "\n", encoding="utf-8")
    found = rows(path)
    assert (
        len(found) == BLOCK * 2 + 3
        and found[0] == {"id": "0", "amount": "0.50"}
        and found[-1]["id"] == str(BLOCK * 2 + 2)
    )
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    assert rows(tmp_path / "empty.csv") == []
    with pytest.raises(SeamError, match="cannot read"):
        rows(tmp_path / "absent.csv")


def test_results_of_other_keys_add_up_and_keep_samples_within_bounds():
    options = build_options("id")
    options.samples = 3
    total = reconcile([{"id": 1, "a": 1}], [{"id": 1, "a": 2}, {"id": 9}], options)
    total.absorb(reconcile([{"id": i, "a": 1} for i in range(10, 15)], [{"id": 10, "a": 1}], options))
    counts = total.to_dict()["counts"]
    assert (total.left_rows, total.right_rows, total.matched, total.mismatched_rows) == (6, 3, 1, 1)
    assert counts["missing_right"] == 4 and len(total.missing_right) == 3 and counts["missing_left"] == 1
