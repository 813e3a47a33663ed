"""Messages: capture, expect, publish, envelopes and dead letters (issue 7)."""

from __future__ import annotations

from .base import SeamKeywords


class MessagingKeywords(SeamKeywords):
    """Messages: capture, expect, publish, envelopes and dead letters (issue 7)."""
