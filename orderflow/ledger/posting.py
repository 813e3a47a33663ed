"""``ledger post``: validate a batch from inbox/, post it once, acknowledge it, archive it."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import NoReturn

from orderflow.ledger.batch import BATCH_ID_PATTERN, BatchError, cents_to_amount, decode_batch
from orderflow.ledger.root import LedgerRoot
from orderflow.ledger.store import Posting, PostingConflict, PostingStore


class PostFailed(Exception):
    """``ledger post`` could not post; `exit_status` is what the exec channel reports."""

    def __init__(self, exit_status: int, message: str) -> None:
        super().__init__(message)
        self.exit_status = exit_status


NOT_POSTABLE = 1
REJECTED = 2


class Poster:
    def __init__(self, root: LedgerRoot, store: PostingStore, encoding: str) -> None:
        self.root = root
        self.store = store
        self.encoding = encoding
        # The database makes the posting atomic; this lock keeps the file moves of two
        # concurrent posts of one batch from crossing each other.
        self._lock = threading.Lock()

    def post(self, argument: str) -> dict[str, object]:
        """Post the batch named by `argument` (``inbox/B1.dat``, ``B1.dat`` or ``B1``)."""
        batch_id = _batch_id(argument)
        with self._lock:
            batch_file = self.root.resolve(f"/inbox/{batch_id}.dat")
            if not batch_file.is_file():
                posting = self.store.find(batch_id)
                if posting is None:
                    raise PostFailed(NOT_POSTABLE, f"ledger post: no batch {batch_id} in inbox/")
                return self._finish(posting, batch_file, posted_now=False)
            content = batch_file.read_bytes()
            try:
                batch = decode_batch(content, self.encoding)
                if batch.batch_id != batch_id:
                    raise BatchError(1, f"header batch_id {batch.batch_id} != file name {batch_id}")
                posting, posted_now = self.store.post(batch, hashlib.sha256(content).hexdigest())
            except (BatchError, PostingConflict) as error:
                self._reject(batch_id, batch_file, error)
            return self._finish(posting, batch_file, posted_now)

    def _finish(self, posting: Posting, batch_file: Path, posted_now: bool) -> dict[str, object]:
        # Also run for "already posted": repairs a post interrupted between commit and files.
        ack = self.root.resolve(f"/outbox/{posting.batch_id}.ack")
        if not ack.exists():
            _write_atomically(ack, json.dumps(self.store.acknowledgement(posting.batch_id)))
        if batch_file.exists():
            os.replace(batch_file, self.root.resolve(f"/archive/{batch_file.name}"))
        return {
            "batch_id": posting.batch_id,
            "status": "posted" if posted_now else "already posted",
            "records": posting.records,
            "total": str(cents_to_amount(posting.total_cents)),
        }

    def _reject(self, batch_id: str, batch_file: Path, error: Exception) -> NoReturn:
        line = error.line if isinstance(error, BatchError) else 0
        reason = error.reason if isinstance(error, BatchError) else str(error)
        report = f"batch {batch_id} rejected\nline {line}: {reason}\n"
        _write_atomically(self.root.resolve(f"/errors/{batch_id}.err"), report)
        os.replace(batch_file, self.root.resolve(f"/errors/{batch_file.name}"))
        raise PostFailed(REJECTED, f"ledger post: batch {batch_id} rejected: line {line}: {reason}")


def _batch_id(argument: str) -> str:
    name = LedgerRoot.canonical(argument)
    folder, _, file_name = name.rpartition("/")
    if folder not in ("", "/inbox"):
        raise PostFailed(NOT_POSTABLE, f"ledger post: {argument}: batches are posted from inbox/")
    if file_name.endswith(".part"):
        raise PostFailed(NOT_POSTABLE, f"ledger post: {argument}: upload not complete (.part)")
    batch_id = file_name.removesuffix(".dat")
    if not BATCH_ID_PATTERN.fullmatch(batch_id):
        raise PostFailed(NOT_POSTABLE, f"ledger post: {argument}: not a batch file name")
    return batch_id


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, partial.with_name(path.name))
