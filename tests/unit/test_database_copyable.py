"""Which statements PostgreSQL's COPY reads as they are (the others are read as rows)."""

from __future__ import annotations

import pytest

from Seamline.engine.database.copied import copyable


@pytest.mark.parametrize(
    ("sql", "body"),
    [
        ("SELECT id FROM orders", "SELECT id FROM orders"),
        ("select id from orders ;\n ; ", "select id from orders"),
        (
            "  -- the orders\nSELECT id FROM orders -- all of them",
            "  -- the orders\nSELECT id FROM orders -- all of them",
        ),
        (
            "/* the orders */ WITH o AS (SELECT 1) SELECT * FROM o",
            "/* the orders */ WITH o AS (SELECT 1) SELECT * FROM o",
        ),
        ("(SELECT 1) UNION (SELECT 2)", "(SELECT 1) UNION (SELECT 2)"),
        ("VALUES (1, 'a')", "VALUES (1, 'a')"),
        ("TABLE orders", "TABLE orders"),
    ],
)
def test_a_query_is_copied_as_it_is(sql: str, body: str) -> None:
    assert copyable(sql) == body


@pytest.mark.parametrize(
    "sql",
    [
        "SHOW TimeZone",
        "EXPLAIN SELECT 1",
        "SELECT 1; SELECT 2",
        "SELECT 1; -- and a comment after",
        "SELECT ';' AS semicolon",  # maybe copyable, but not told apart from two statements: read as rows
        "WITH gone AS (DELETE FROM orders RETURNING id) SELECT * FROM gone",
        "SELECT * INTO copy_of_orders FROM orders",
        "SELECT * FROM orders FOR UPDATE",
        "INSERT INTO orders VALUES (1) RETURNING id",
        "FETCH 10 FROM c",
        "-- SELECT\nSHOW TimeZone",
    ],
)
def test_another_statement_is_read_as_rows(sql: str) -> None:
    assert copyable(sql) is None
