"""One orderflow deployment (SQLite, outbox transport) shared by a test module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).parent))

from orderflow_harness import Process, start_up

from orderflow.db import connect

CLERK, AUDITOR, ADMIN = "clerk-key-123", "auditor-key-123", "admin-key-123"


@dataclass
class Deployment:
    process: Process
    endpoints: dict[str, Any]
    engine: Engine

    @property
    def gateway(self) -> str:
        return str(self.endpoints["gateway"])

    @property
    def ledger_root(self) -> Path:
        return Path(self.endpoints["ledger"]["root"])


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    """`python -m orderflow up` on SQLite with a fast exporter, a short cancellation window and settle grace."""
    process = start_up(
        "--rate-limit", "1000/s", "--export-interval", "0.2s", "--settle-after", "0.5s", "--settle-grace", "10s"
    )  # fmt: skip
    endpoints = process.info or {}
    engine = connect(f"sqlite:///{endpoints['data_dir']}/orderflow.db")
    try:
        yield Deployment(process, endpoints, engine)
    finally:
        engine.dispose()
        process.stop()
