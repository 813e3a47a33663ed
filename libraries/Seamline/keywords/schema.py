"""JSON Schema, OpenAPI and schema compatibility (issue 4)."""

from __future__ import annotations

from .base import SeamKeywords


class SchemaKeywords(SeamKeywords):
    """JSON Schema, OpenAPI and schema compatibility (issue 4)."""
