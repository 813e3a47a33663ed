"""The ledger's postings, kept in SQLite so that a batch is posted entirely or not at all."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from orderflow.ledger.batch import Batch, cents_to_amount

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    batch_id    TEXT PRIMARY KEY,
    created     TEXT NOT NULL,
    source      TEXT NOT NULL,
    records     INTEGER NOT NULL,
    total_cents INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    posted_at   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS postings (
    batch_id     TEXT NOT NULL REFERENCES batches (batch_id),
    line         INTEGER NOT NULL,
    order_id     TEXT NOT NULL,
    customer     TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    settled_on   TEXT NOT NULL,
    PRIMARY KEY (batch_id, line)
);
"""


class PostingConflict(Exception):
    """The batch id was posted before with different content."""


@dataclass(frozen=True)
class Posting:
    batch_id: str
    records: int
    total_cents: int
    posted_at: str
    sha256: str


class PostingStore:
    """Postings in `path` (sqlite3); a fresh connection per call keeps threads independent."""

    def __init__(self, path: Path) -> None:
        self.path = path
        connection = sqlite3.connect(path, timeout=10.0)
        try:
            connection.executescript(_SCHEMA)
        finally:
            connection.close()

    def post(self, batch: Batch, sha256: str) -> tuple[Posting, bool]:
        """Post `batch` once; returns the posting and whether this call posted it."""
        with self._transaction() as connection:
            existing = self._find(connection, batch.batch_id)
            if existing is not None:
                if existing.sha256 != sha256:
                    raise PostingConflict(f"batch {batch.batch_id} was already posted with different content")
                return existing, False
            posted_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            connection.execute(
                "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    batch.batch_id,
                    batch.created.isoformat(),
                    batch.source,
                    len(batch.details),
                    batch.total_cents,
                    sha256,
                    posted_at,
                ),
            )
            connection.executemany(
                "INSERT INTO postings VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        batch.batch_id,
                        line,
                        detail.order_id,
                        detail.customer,
                        detail.amount_cents,
                        detail.currency,
                        detail.settled_on.isoformat(),
                    )
                    for line, detail in enumerate(batch.details, 2)
                ],
            )
            posting = Posting(batch.batch_id, len(batch.details), batch.total_cents, posted_at, sha256)
            return posting, True

    def find(self, batch_id: str) -> Posting | None:
        with self._transaction() as connection:
            return self._find(connection, batch_id)

    def acknowledgement(self, batch_id: str) -> dict[str, object]:
        """The content of the batch's acknowledgement file (see orderflow.ledger docs)."""
        with self._transaction() as connection:
            posting = self._find(connection, batch_id)
            if posting is None:
                raise KeyError(batch_id)
            rows = connection.execute(
                "SELECT order_id, amount_cents, currency FROM postings WHERE batch_id = ? ORDER BY line",
                (batch_id,),
            ).fetchall()
        by_currency: dict[str, int] = {}
        for _, cents, currency in rows:
            by_currency[currency] = by_currency.get(currency, 0) + cents
        return {
            "batch_id": posting.batch_id,
            "status": "posted",
            "records": posting.records,
            "total": str(cents_to_amount(posting.total_cents)),
            "totals_by_currency": {
                currency: str(cents_to_amount(cents)) for currency, cents in sorted(by_currency.items())
            },
            "order_ids": [order_id for order_id, _, _ in rows],
            "posted_at": posting.posted_at,
        }

    def balance(self) -> dict[str, object]:
        with self._transaction() as connection:
            batches, records = connection.execute("SELECT COUNT(*), COALESCE(SUM(records), 0) FROM batches").fetchone()
            amounts = connection.execute(
                "SELECT currency, SUM(amount_cents) FROM postings GROUP BY currency ORDER BY currency"
            ).fetchall()
        return {
            "batches": batches,
            "records": records,
            "amounts": {currency: str(cents_to_amount(cents)) for currency, cents in amounts},
        }

    @staticmethod
    def _find(connection: sqlite3.Connection, batch_id: str) -> Posting | None:
        row = connection.execute(
            "SELECT batch_id, records, total_cents, posted_at, sha256 FROM batches WHERE batch_id = ?",
            (batch_id,),
        ).fetchone()
        return None if row is None else Posting(*row)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            # IMMEDIATE takes the write lock up front: two posts of one batch cannot interleave.
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()
