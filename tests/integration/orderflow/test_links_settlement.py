"""The settlement exporter over a ledger link that fails half-way: every order posted once, none lost.

The ledger here is a stand-in that keeps batches like the real one (a batch id is posted once)
and fails where a test tells it to: before the step, or after it with the answer lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from orderflow.db import connect, create_schema, orders, settlements, utcnow
from orderflow.ledger.client import SettlementLine, new_batch_id
from orderflow.settlement import SettlementExporter


class LinkCut(ConnectionError):
    pass


class FlakyLedger:
    """inbox: uploaded batches; posted: batch id -> order ids; `failures`: (step, when) to fail next."""

    def __init__(self) -> None:
        self.inbox: dict[str, list[str]] = {}
        self.posted: dict[str, list[str]] = {}
        self.failures: list[tuple[str, str]] = []
        self.connections = 0

    def _fail(self, step: str, when: str) -> None:
        if self.failures and self.failures[0] == (step, when):
            self.failures.pop(0)
            raise LinkCut(f"link cut {when} {step}")

    # LedgerClient's surface, as the exporter uses it
    def __enter__(self) -> FlakyLedger:
        self.connections += 1
        self._fail("connect", "before")
        return self

    def __exit__(self, *_exc: Any) -> None:
        pass

    def export_batch(self, lines: Iterable[SettlementLine], batch_id: str | None = None) -> str:
        self._fail("upload", "before")
        batch_id = batch_id or new_batch_id()
        self.inbox[batch_id] = [line.order_id for line in lines]
        self._fail("upload", "after")
        return batch_id

    def post(self, batch_id: str) -> dict[str, str]:
        self._fail("post", "before")
        status = "already posted" if batch_id in self.posted else "posted"
        if status == "posted":
            self.posted[batch_id] = self.inbox.pop(batch_id)
        self._fail("post", "after")
        return {"batch_id": batch_id, "status": status}

    def acks(self) -> list[dict[str, Any]]:
        return [{"batch_id": batch_id, "order_ids": ids} for batch_id, ids in self.posted.items()]


class Target:
    """Stands in for LedgerTarget: every client() is the one flaky ledger."""

    def __init__(self, ledger: FlakyLedger) -> None:
        self.ledger = ledger

    def client(self) -> FlakyLedger:
        return self.ledger


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = connect(f"sqlite:///{tmp_path / 'orderflow.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def ledger() -> FlakyLedger:
    return FlakyLedger()


def reserve_orders(engine: Engine, count: int) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(count)]
    now = utcnow()
    with engine.begin() as conn:
        for order_id in ids:
            conn.execute(
                insert(orders).values(
                    id=order_id, customer="c", sku="SKU-APPLE", quantity=1, unit_price=Decimal("2.50"),
                    amount=Decimal("2.50"), currency="EUR", status="RESERVED", reject_reason=None,
                    correlation_id="corr", created_at=now, updated_at=now,
                )
            )  # fmt: skip
    return ids


def exporter(engine: Engine, ledger: FlakyLedger) -> SettlementExporter:
    return SettlementExporter(engine, Target(ledger), 0.01, auto_post=True)  # type: ignore[arg-type]


def run_until_quiet(export: SettlementExporter, passes: int = 8) -> list[str]:
    errors = []
    for _ in range(passes):
        try:
            export.export_once()
        except LinkCut as error:
            errors.append(str(error))
    return errors


def posted_order_ids(ledger: FlakyLedger) -> list[str]:
    return sorted(order_id for ids in ledger.posted.values() for order_id in ids)


@pytest.mark.parametrize(
    "failure",
    [("connect", "before"), ("upload", "before"), ("upload", "after"), ("post", "before"), ("post", "after")],
    ids=lambda failure: f"cut-{failure[1]}-{failure[0]}",
)
def test_a_cut_anywhere_is_retried_and_every_order_is_posted_exactly_once(
    engine: Engine, ledger: FlakyLedger, failure: tuple[str, str]
) -> None:
    first = reserve_orders(engine, 2)
    ledger.failures = [failure, failure]  # the link fails twice in a row at that step
    export = exporter(engine, ledger)

    errors = run_until_quiet(export)
    later = reserve_orders(engine, 1)
    errors += run_until_quiet(export)

    assert errors == [f"link cut {failure[1]} {failure[0]}"] * 2
    assert posted_order_ids(ledger) == sorted(first + later)
    assert ledger.inbox == {}  # no stray batch waits in the inbox
    with engine.connect() as conn:
        assert conn.execute(select(func.count(settlements.c.batch_id.distinct()))).scalar() == 2


def test_batches_recorded_but_never_acknowledged_are_sent_again_after_a_restart(
    engine: Engine, ledger: FlakyLedger
) -> None:
    ids = reserve_orders(engine, 2)
    ledger.failures = [("upload", "before")]
    with pytest.raises(LinkCut):
        exporter(engine, ledger).export_once()  # recorded, then the exporter "stops"

    restarted = exporter(engine, ledger)
    assert run_until_quiet(restarted) == []
    assert posted_order_ids(ledger) == sorted(ids)
