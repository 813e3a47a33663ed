"""Settlement export: RESERVED orders go to the ledger in batches (runs inside `reports`).

Every interval: claim the RESERVED orders that have been reserved for at least `settle_after` and are
not yet in `settlements` (their rows there name the new batch, written in one transaction holding
the orders' row locks, so a concurrent cancel either comes first and the order is not claimed, or
comes second and is refused: see orderflow.orders), upload them as one batch
(LedgerClient.export_batch), then post the batch unless auto-post is off (tests then post it
themselves). A batch whose upload or posting failed is retried at the next interval. `settle_after`
is the window in which a reserved order can still be cancelled.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, exists, insert, select

from orderflow import telemetry
from orderflow.db import orders, settlements, utcnow
from orderflow.ledger.client import LedgerClient, SettlementLine, new_batch_id

BATCH_LIMIT = 500
log = logging.getLogger("orderflow.settlement")


@dataclass(frozen=True)
class LedgerTarget:
    host: str
    port: int
    user: str
    password: str
    fingerprint: str | None = None
    timeout: float = 10.0

    @classmethod
    def parse(cls, url: str, password: str, fingerprint: str | None) -> LedgerTarget:
        """From ``ssh://user[:password]@host:port``; `password` when the URL has none."""
        parts = urlsplit(url)
        if parts.scheme != "ssh" or not parts.hostname or not parts.port:
            raise ValueError(f"ledger URL must look like ssh://settle@127.0.0.1:2222, not {url!r}")
        return cls(
            host=parts.hostname,
            port=parts.port,
            user=unquote(parts.username or "settle"),
            password=unquote(parts.password) if parts.password else password,
            fingerprint=fingerprint or None,
        )

    def client(self) -> LedgerClient:
        return LedgerClient(
            self.host,
            self.port,
            self.user,
            self.password,
            timeout=self.timeout,
            host_key_fingerprint=self.fingerprint,
        )


@dataclass
class ClaimedBatch:
    """Orders recorded in `settlements` under `batch_id`, still to be uploaded (and posted) to the ledger."""

    batch_id: str
    lines: list[SettlementLine]
    traces: list[str | None] = field(default_factory=list)
    exported: bool = False


class SettlementExporter(threading.Thread):
    def __init__(
        self, engine: Engine, ledger: LedgerTarget, interval: float, auto_post: bool, settle_after: float = 0.0
    ) -> None:
        super().__init__(name="settlement-exporter", daemon=True)
        self.engine = engine
        self.ledger = ledger
        self.interval = interval
        self.auto_post = auto_post
        self.settle_after = timedelta(seconds=settle_after)
        self._pending: list[ClaimedBatch] = []
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.export_once()
            except Exception:
                log.exception("settlement export failed; retrying next interval")

    def stop(self) -> None:
        self._stopping.set()
        self.join(15.0)

    def export_once(self) -> str | None:
        """Claim, export (and post) one batch of unsettled RESERVED orders; return its batch id."""
        batch_id = self._claim()
        if not self._pending:
            return None
        with self.ledger.client() as client:
            while self._pending:
                self._settle(client, self._pending[0])
                self._pending.pop(0)
        return batch_id

    def _settle(self, client: LedgerClient, batch: ClaimedBatch) -> None:
        # The batch continues the trace of its first order and links the others' (a span has one parent).
        first, others = (batch.traces[0], batch.traces[1:]) if batch.traces else (None, [])
        with telemetry.continued(first, "settlement batch", others, orders=len(batch.lines)):
            if not batch.exported:
                with telemetry.client_span("sftp put", "ledger", **{"network.protocol.name": "sftp"}) as span:
                    client.export_batch(batch.lines, batch_id=batch.batch_id)
                    span.set_attribute("file.path", f"/inbox/{batch.batch_id}.dat")
                batch.exported = True
            if self.auto_post:
                post = {"network.protocol.name": "ssh", "rpc.method": "ledger post", "file.path": batch.batch_id}
                with telemetry.client_span("ssh ledger post", "ledger", **post):
                    client.post(batch.batch_id)

    def _claim(self) -> str | None:
        """Record a new batch of the orders due for settlement in `settlements`; return its id (None: none due)."""
        query = (
            select(orders)
            .where(
                orders.c.status == "RESERVED",
                orders.c.updated_at <= utcnow() - self.settle_after,
                ~exists().where(settlements.c.order_id == orders.c.id),
            )
            .order_by(orders.c.created_at, orders.c.id)
            .limit(BATCH_LIMIT)
            .with_for_update()
        )
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return None
            batch_id = new_batch_id()
            exported_at = utcnow()
            conn.execute(
                insert(settlements),
                [{"order_id": row.id, "batch_id": batch_id, "exported_at": exported_at} for row in rows],
            )
        settled_on = utcnow().date()
        lines = [SettlementLine(row.id, row.customer, Decimal(row.amount), row.currency, settled_on) for row in rows]
        self._pending.append(ClaimedBatch(batch_id, lines, [row.traceparent for row in rows]))
        return batch_id
