"""Legacy systems over SSH and SFTP (issue 6)."""

from __future__ import annotations

from .base import SeamKeywords


class SshKeywords(SeamKeywords):
    """Legacy systems over SSH and SFTP (issue 6)."""
