"""orderflow.db.transaction: a unit of work the database ends as a deadlock victim is run again; nothing else is."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, exc, insert, select, text, update

from orderflow.db import connect, create_schema, create_scratch_database, drop_database, stock, transaction


@pytest.fixture(params=["postgres", "mariadb"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    url = create_scratch_database(request.getfixturevalue(f"{request.param}_url"))
    engine = connect(url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(insert(stock), [{"sku": sku, "available": 10, "reserved": 0} for sku in ("SKU-A", "SKU-B")])
    try:
        yield engine
    finally:
        engine.dispose()
        drop_database(url)


def reserve_both(
    first: str, second: str, both_hold_one: threading.Barrier, calls: list[str]
) -> Callable[[Connection], str]:
    """Reserve `first`, then (on the first call, once the other worker holds its row too) `second`."""

    def reserve(conn: Connection, sku: str) -> None:
        conn.execute(update(stock).where(stock.c.sku == sku).values(reserved=stock.c.reserved + 1))

    def work(conn: Connection) -> str:
        calls.append(first)
        reserve(conn, first)
        if calls.count(first) == 1:
            both_hold_one.wait(10)
        reserve(conn, second)
        return first

    return work


def test_the_deadlock_victim_is_run_again_and_both_units_commit(engine: Engine) -> None:
    both_hold_one, calls = threading.Barrier(2), []
    outcomes: dict[str, Any] = {}

    def run(first: str, second: str) -> None:
        try:
            outcomes[first] = transaction(engine, reserve_both(first, second, both_hold_one, calls))
        except exc.DBAPIError as error:
            outcomes[first] = error

    workers = [threading.Thread(target=run, args=pair) for pair in (("SKU-A", "SKU-B"), ("SKU-B", "SKU-A"))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert outcomes == {"SKU-A": "SKU-A", "SKU-B": "SKU-B"}
    assert sorted(calls) in (["SKU-A", "SKU-A", "SKU-B"], ["SKU-A", "SKU-B", "SKU-B"])  # the victim, twice
    with engine.connect() as conn:
        assert dict(conn.execute(select(stock.c.sku, stock.c.reserved)).all()) == {"SKU-A": 2, "SKU-B": 2}


def test_other_database_errors_are_not_run_again(engine: Engine) -> None:
    calls: list[int] = []

    def broken(conn: Connection) -> None:
        calls.append(1)
        conn.execute(text("SELECT no_such_column FROM stock"))

    with pytest.raises(exc.DBAPIError):
        transaction(engine, broken)
    assert calls == [1]
