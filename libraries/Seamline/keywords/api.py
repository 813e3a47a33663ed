"""HTTP APIs: sessions, calls, JSON fields, polling and pagination (issue 4)."""

from __future__ import annotations

from .base import SeamKeywords


class ApiKeywords(SeamKeywords):
    """HTTP APIs: sessions, calls, JSON fields, polling and pagination (issue 4)."""
