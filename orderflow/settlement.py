"""Settlement export: RESERVED orders go to the ledger in batches (runs inside `reports`).

Every interval: claim the RESERVED orders due for settlement (reserved at least `settle_after` ago, not
yet in `settlements`) as one new batch, then upload it (LedgerClient.export_batch) and post it unless
auto-post is off (tests then post it themselves). A batch that failed on the way is sent again under its
own id: never twice posted. Claiming locks the orders' rows, as cancelling does: whichever commits first
wins, so an order is either cancelled or settled, never both (a settled order's cancel is refused).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
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
    def parse(cls, url: str, password: str, fingerprint: str | None, timeout: float = 10.0) -> LedgerTarget:
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
            timeout=timeout,
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


class SettlementExporter(threading.Thread):
    """Every interval: record a new batch, then upload and post every batch not done yet.

    A batch is recorded in `settlements` (its orders and its id) before anything reaches the
    ledger, so a link that fails half-way costs nothing: the same batch, same id and same
    orders, is uploaded again and posted again until the ledger has it; the ledger posts a
    batch id once ("already posted" after that). Batches recorded but not acknowledged when
    the exporter starts (it stopped half-way) are sent again the same way.
    """

    def __init__(
        self, engine: Engine, ledger: LedgerTarget, interval: float, auto_post: bool, settle_after: float = 0.0
    ) -> None:
        super().__init__(name="settlement-exporter", daemon=True)
        self.engine = engine
        self.ledger = ledger
        self.interval = interval
        self.auto_post = auto_post
        self.settle_after = timedelta(seconds=settle_after)
        self._queue: list[tuple[str, bool]] = []  # (batch id, uploaded yet), oldest first
        self._recovered = False
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                with telemetry.untraced():
                    self.export_once()
            except Exception:
                log.exception("settlement export failed; retrying next interval")

    def stop(self) -> None:
        self._stopping.set()
        self.join(15.0)

    def export_once(self) -> str | None:
        """Record one batch of unexported RESERVED orders, send what is due; return the new batch id."""
        if not self._recovered:
            self._recover()
        batch_id = self._record_batch()
        if self._queue:
            with self.ledger.client() as client:
                while self._queue:
                    self._send(client, *self._queue[0])
                    self._queue.pop(0)
        return batch_id

    def _send(self, client: LedgerClient, batch_id: str, uploaded: bool) -> None:
        lines, traces = self._lines(batch_id)
        # The batch continues the trace of its first order and links the others' (a span has one parent).
        first, others = (traces[0], traces[1:]) if traces else (None, [])
        with telemetry.continued(first, "settlement batch", others, orders=len(lines)):
            if not uploaded:
                with telemetry.client_span("sftp put", "ledger", **{"network.protocol.name": "sftp"}) as span:
                    client.export_batch(lines, batch_id)
                    span.set_attribute("file.path", f"/inbox/{batch_id}.dat")
                self._queue[0] = (batch_id, True)
            if self.auto_post:
                post = {"network.protocol.name": "ssh", "rpc.method": "ledger post", "file.path": batch_id}
                with telemetry.client_span("ssh ledger post", "ledger", **post):
                    client.post(batch_id)

    def _record_batch(self) -> str | None:
        query = (
            select(orders.c.id)
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
            order_ids = conn.execute(query).scalars().all()
            if not order_ids:
                return None
            batch_id, exported_at = new_batch_id(), utcnow()
            rows = [{"order_id": oid, "batch_id": batch_id, "exported_at": exported_at} for oid in order_ids]
            conn.execute(insert(settlements), rows)
        self._queue.append((batch_id, False))
        return batch_id

    def _lines(self, batch_id: str) -> tuple[list[SettlementLine], list[str | None]]:
        """A recorded batch's lines, and the trace context of each of its orders."""
        query = (
            select(orders, settlements.c.exported_at)
            .join(settlements, settlements.c.order_id == orders.c.id)
            .where(settlements.c.batch_id == batch_id)
            .order_by(orders.c.created_at, orders.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        lines = [
            SettlementLine(row.id, row.customer, Decimal(row.amount), row.currency, row.exported_at.date())
            for row in rows
        ]
        return lines, [row.traceparent for row in rows]

    def _recover(self) -> None:
        with self.engine.connect() as conn:
            recorded = conn.execute(select(settlements.c.batch_id).distinct()).scalars().all()
        if recorded:
            with self.ledger.client() as client:
                acknowledged = {ack["batch_id"] for ack in client.acks()}
            self._queue += [(batch_id, False) for batch_id in sorted(recorded) if batch_id not in acknowledged]
        self._recovered = True
