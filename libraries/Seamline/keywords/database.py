"""SQL databases: queries, rows, waits, snapshots and cleanup (issue 5)."""

from __future__ import annotations

from .base import SeamKeywords


class DatabaseKeywords(SeamKeywords):
    """SQL databases: queries, rows, waits, snapshots and cleanup (issue 5)."""
