"""Fixed-width and CSV batch records (issue 6)."""

from __future__ import annotations

from .base import SeamKeywords


class RecordKeywords(SeamKeywords):
    """Fixed-width and CSV batch records (issue 6)."""
