"""Settlement export: RESERVED orders go to the ledger in batches (runs inside `reports`).

Every interval: collect RESERVED orders not yet in `settlements`, upload them as one batch
(LedgerClient.export_batch), record them in `settlements`, then post the batch unless
auto-post is off (tests then post it themselves).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, insert, select

from orderflow import telemetry
from orderflow.db import orders, settlements, utcnow
from orderflow.ledger.client import LedgerClient, SettlementLine

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


class SettlementExporter(threading.Thread):
    def __init__(self, engine: Engine, ledger: LedgerTarget, interval: float, auto_post: bool) -> None:
        super().__init__(name="settlement-exporter", daemon=True)
        self.engine = engine
        self.ledger = ledger
        self.interval = interval
        self.auto_post = auto_post
        self._unposted: list[str] = []
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
        """Export (and post) one batch of unexported RESERVED orders; return its batch id."""
        joined = orders.outerjoin(settlements, settlements.c.order_id == orders.c.id)
        query = (
            select(orders)
            .select_from(joined)
            .where(orders.c.status == "RESERVED", settlements.c.order_id.is_(None))
            .order_by(orders.c.created_at, orders.c.id)
            .limit(BATCH_LIMIT)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows and not self._unposted:
            return None
        settled_on = utcnow().date()
        lines = [SettlementLine(row.id, row.customer, Decimal(row.amount), row.currency, settled_on) for row in rows]
        # The batch continues the trace of its first order and links the others' (a span has one parent).
        traces = [row.traceparent for row in rows]
        with (
            telemetry.continued(traces[0] if traces else None, "settlement batch", traces[1:], orders=len(rows)),
            self.ledger.client() as client,
        ):
            batch_id = None
            if lines:
                with telemetry.client_span("sftp put", "ledger", **{"network.protocol.name": "sftp"}) as span:
                    batch_id = client.export_batch(lines)
                    span.set_attribute("file.path", f"/inbox/{batch_id}.dat")
                exported_at = utcnow()
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(settlements),
                        [{"order_id": row.id, "batch_id": batch_id, "exported_at": exported_at} for row in rows],
                    )
                if self.auto_post:
                    self._unposted.append(batch_id)
            while self._unposted:
                post = {"network.protocol.name": "ssh", "rpc.method": "ledger post", "file.path": self._unposted[0]}
                with telemetry.client_span("ssh ledger post", "ledger", **post):
                    client.post(self._unposted[0])
                self._unposted.pop(0)
        return batch_id
