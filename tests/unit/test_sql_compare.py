"""Type-aware comparison of database rows with API objects, and table snapshots on in-memory SQLite."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from Seamline.engine.database.rows import compare_row
from Seamline.engine.database.sql import open_database
from Seamline.engine.database.tables import changes_since, closest_rows, delete_rows, select_rows, take_snapshot
from Seamline.engine.errors import SeamError
from Seamline.engine.values import values_equal


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (12.5, "12.50"),
        (Decimal("12.50"), 12.5),
        (Decimal("12.50"), "12.5"),
        (7, "7"),
        (1, True),
        (0, False),
        (True, "true"),
        (datetime(2024, 5, 1, 10, 0, 0, 123456), "2024-05-01T12:00:00.123+02:00"),
        ("2024-05-01 10:00:00.000000", "2024-05-01T10:00:00Z"),
        (datetime(2024, 5, 1, 10, tzinfo=timezone.utc), "2024-05-01T10:00:00.0004Z"),
        (date(2024, 5, 1), "2024-05-01"),
        ('{"a": [1, 2]}', {"a": [1, 2]}),
        (b"abc", "abc"),
        (None, None),
    ],
)
def test_values_equal_by_meaning(actual, expected):
    assert values_equal(actual, expected)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (12.5, "12.49"),
        ("007", "7"),
        (None, ""),
        (0, None),
        (2, True),
        (datetime(2024, 5, 1, 10, tzinfo=timezone.utc), "2024-05-01T10:00:00.002Z"),
        (datetime(2024, 5, 1, 10), "2024-05-01"),
        ("NEW", "new"),
        ('{"a": 1}', {"a": 2}),
    ],
)
def test_values_that_differ_are_not_equal(actual, expected):
    assert not values_equal(actual, expected)


def test_compare_row_maps_fields_skips_and_reports_each_mismatch():
    row = {"id": "o-1", "amount": Decimal("25.00"), "status": "NEW", "currency": "EUR"}
    api = {"order_id": "o-1", "amount": "24.00", "Status": "NEW", "links": {"self": "/x"}, "payment": {"cur": "USD"}}
    result = compare_row(row, api, {"order_id": "id", "links": "", "payment.cur": "currency"})
    assert result.matched == ["order_id", "Status"]
    assert [(m.field, m.column, m.actual, m.expected) for m in result.mismatches] == [
        ("amount", "amount", Decimal("25.00"), "24.00"),
        ("payment.cur", "currency", "EUR", "USD"),
    ]
    assert result.not_compared == ["payment"]


def test_compare_row_mapping_to_a_missing_column_fails():
    with pytest.raises(SeamError, match="mapping names column 'nope', but the row has only: id"):
        compare_row({"id": 1}, {"x": 1}, {"x": "nope"})


@pytest.fixture
def db():
    database = open_database("sqlite:///:memory:")
    database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, status TEXT)")
    database.execute("INSERT INTO t VALUES (1, 'a', 'NEW'), (2, 'b', 'NEW'), (3, 'c', 'PAID')")
    yield database
    database.close()


def test_select_rows_treats_none_as_null(db):
    db.execute("INSERT INTO t VALUES (4, NULL, 'NEW')")
    assert select_rows(db, "t", {"name": None}) == [{"id": 4, "name": None, "status": "NEW"}]


def test_closest_rows_rank_by_criteria_met_then_by_the_first_criterion(db):
    rows = closest_rows(db, "t", {"id": 3, "status": "NEW"})
    assert [row["id"] for row in rows] == [3, 1, 2]


def test_snapshot_changes_name_inserted_updated_and_deleted_rows(db):
    before = take_snapshot(db, "t", ["id"], {})
    db.execute("INSERT INTO t VALUES (9, 'z', 'NEW')")
    db.execute("UPDATE t SET status = 'PAID' WHERE id = 1")
    db.execute("DELETE FROM t WHERE id = 2")
    changes = changes_since(db, before)
    assert [row["id"] for row in changes.inserted] == [9]
    assert [(u.key, u.changes) for u in changes.updated] == [({"id": 1}, {"status": ("NEW", "PAID")})]
    assert [row["id"] for row in changes.deleted] == [2]
    assert changes.summary() == "1 inserted, 1 updated, 1 deleted"


def test_snapshot_with_criteria_sees_a_row_leaving_them_as_deleted(db):
    before = take_snapshot(db, "t", ["id"], {"status": "NEW"})
    db.execute("UPDATE t SET status = 'PAID' WHERE id = 1")
    assert [row["id"] for row in changes_since(db, before).deleted] == [1]


def test_snapshot_key_must_exist(db):
    with pytest.raises(SeamError, match=r"table t has no key column sku \(columns: id, name, status\)"):
        take_snapshot(db, "t", ["sku"], {})


def test_delete_rows_never_empties_a_table(db):
    with pytest.raises(SeamError, match="refusing to delete every row of t"):
        delete_rows(db, "t", {})
    assert delete_rows(db, "t", {"status": "NEW"}) == 2
