"""Client of the ledger: export settlement batches over SFTP, post them, read acks and balance.

Host key policy: pass `host_key_fingerprint` (the ``SHA256:...`` value the server prints in
its READY line) and the client refuses any other server key. Without it the client accepts
whatever key the server shows, which is only fit for the local demo.

One client is one SSH connection; it is not meant to be shared between threads.
"""

from __future__ import annotations

import io
import json
import posixpath
import socket
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import TypedDict
from uuid import uuid4

import paramiko

from orderflow.ledger.batch import Batch, Detail, amount_to_cents, encode_batch


@dataclass(frozen=True)
class SettlementLine:
    order_id: str
    customer: str
    amount: Decimal
    currency: str
    settled_on: date


def new_batch_id() -> str:
    """A settlement batch id: ``S<YYYYMMDD><11 hex digits>``."""
    return f"S{date.today():%Y%m%d}{uuid4().hex[:11].upper()}"


class PostResult(TypedDict):
    batch_id: str
    status: str  # "posted" or "already posted"
    records: int
    total: Decimal


class Ack(TypedDict):
    batch_id: str
    order_ids: list[str]
    records: int
    total: Decimal
    posted_at: str  # ISO 8601, UTC


class Balance(TypedDict):
    batches: int
    records: int
    amounts: dict[str, Decimal]  # per currency


class LedgerError(Exception):
    """A ledger command ended with a non-zero exit status."""

    def __init__(self, command: str, exit_status: int, stderr: str) -> None:
        super().__init__(f"ledger command {command!r} failed with exit {exit_status}: {stderr}")
        self.command = command
        self.exit_status = exit_status
        self.stderr = stderr


class _ExpectFingerprint(paramiko.MissingHostKeyPolicy):
    def __init__(self, fingerprint: str | None) -> None:
        self.fingerprint = fingerprint

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        if self.fingerprint is not None and key.fingerprint != self.fingerprint:
            raise paramiko.SSHException(
                f"ledger at {hostname} shows host key {key.fingerprint}, expected {self.fingerprint}"
            )


class LedgerClient:
    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str | None = None,
        key_file: str | None = None,
        timeout: float = 10.0,
        encoding: str = "latin-1",
        host_key_fingerprint: str | None = None,
        source: str = "orderflow",
    ) -> None:
        self.timeout = timeout
        self.encoding = encoding
        self.source = source
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._ssh = paramiko.SSHClient()
        self._ssh.set_missing_host_key_policy(_ExpectFingerprint(host_key_fingerprint))
        try:
            self._ssh.connect(
                host,
                port,
                username=user,
                password=password,
                key_filename=key_file,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                channel_timeout=timeout,
                allow_agent=False,
                look_for_keys=False,
                sock=sock,
            )
        except BaseException:
            self._ssh.close()
            sock.close()
            raise
        self._sftp: paramiko.SFTPClient | None = None

    def __enter__(self) -> LedgerClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._sftp is not None:
            self._sftp.close()
        self._ssh.close()

    @property
    def ssh(self) -> paramiko.SSHClient:
        """The SSH connection itself, for channels this class has no method for."""
        return self._ssh

    @property
    def sftp(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            self._sftp = self._ssh.open_sftp()
            channel = self._sftp.get_channel()
            if channel is not None:
                channel.settimeout(self.timeout)
        return self._sftp

    def export_batch(self, lines: Iterable[SettlementLine], batch_id: str | None = None) -> str:
        """Upload a batch of `lines` as inbox/<batch_id>.dat; returns the batch id.

        The file is written as ``.part`` and renamed when complete, so the ledger never sees
        half a batch. The default batch id is a `new_batch_id`.
        """
        today = date.today()
        batch_id = batch_id or new_batch_id()
        details = tuple(
            Detail(
                line.order_id,
                line.customer,
                amount_to_cents(line.amount),
                line.currency,
                line.settled_on,
            )
            for line in lines
        )
        content = encode_batch(Batch(batch_id, today, self.source, details), self.encoding)
        final = f"/inbox/{batch_id}.dat"
        partial = final + ".part"
        self.sftp.putfo(io.BytesIO(content), partial, file_size=len(content))
        try:
            self.sftp.posix_rename(partial, final)
        except BaseException:
            self.sftp.remove(partial)
            raise
        return batch_id

    def post(self, batch_id: str) -> PostResult:
        """Post the batch once; raises LedgerError (exit 2) if the ledger rejects it."""
        result = json.loads(self.run(f"ledger post {batch_id}"))
        return PostResult(
            batch_id=result["batch_id"],
            status=result["status"],
            records=int(result["records"]),
            total=Decimal(result["total"]),
        )

    def acks(self) -> list[Ack]:
        """Acknowledgements in outbox/, oldest first: batch_id, order_ids, records, total, posted_at."""
        acks = []
        for entry in self.sftp.listdir_attr("/outbox"):
            if not entry.filename.endswith(".ack") or not stat.S_ISREG(entry.st_mode or 0):
                continue
            with self.sftp.open(posixpath.join("/outbox", entry.filename)) as ack_file:
                ack = json.loads(ack_file.read().decode("utf-8"))
            acks.append(
                Ack(
                    batch_id=ack["batch_id"],
                    order_ids=list(ack["order_ids"]),
                    records=int(ack["records"]),
                    total=Decimal(ack["total"]),
                    posted_at=ack["posted_at"],
                )
            )
        return sorted(acks, key=lambda ack: (ack["posted_at"], ack["batch_id"]))

    def balance(self) -> Balance:
        """Totals of all postings: batches, records and amount per currency."""
        balance = json.loads(self.run("ledger balance"))
        return Balance(
            batches=int(balance["batches"]),
            records=int(balance["records"]),
            amounts={currency: Decimal(amount) for currency, amount in balance["amounts"].items()},
        )

    def run(self, command: str) -> str:
        """Stdout of `command`; raises LedgerError with its stderr if it exits non-zero."""
        exit_status, stdout, stderr = self.execute(command)
        if exit_status != 0:
            raise LedgerError(command, exit_status, stderr.strip())
        return stdout

    def execute(self, command: str) -> tuple[int, str, str]:
        """Run `command` on the ledger: exit status, stdout, stderr (UTF-8 text)."""
        _, stdout, stderr = self._ssh.exec_command(command, timeout=self.timeout)
        out = stdout.read()
        err = stderr.read()
        channel = stdout.channel
        if not channel.status_event.wait(self.timeout):
            raise TimeoutError(f"ledger command {command!r}: no exit status in {self.timeout} s")
        return channel.recv_exit_status(), out.decode(errors="replace"), err.decode(errors="replace")
