"""JSONPath over JSON-like data, with the short forms QA engineers write (`payload.order_id`, `items[0].id`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse

from .errors import SeamError

_MISSING = object()


@lru_cache(maxsize=512)
def compile_path(path: str) -> Any:
    """A parsed JSONPath; `$` is optional (`status`, `items[0].id`, `$.items[*].id`)."""
    text = path.strip()
    if not text.startswith("$"):
        text = "$." + text if not text.startswith("[") else "$" + text
    try:
        return parse(text)
    except (JsonPathLexerError, JsonPathParserError, Exception) as error:
        raise SeamError("JSONPath", f"'{path}' is not a valid JSONPath: {error}") from None


def find_all(data: Any, path: str) -> list[Any]:
    """Every value `path` selects in `data` (an empty list when none)."""
    return [match.value for match in compile_path(path).find(data)]


def find_one(data: Any, path: str, default: Any = _MISSING) -> Any:
    """The value `path` selects; several matches give a list; no match fails unless `default` is given."""
    values = find_all(data, path)
    if not values:
        if default is not _MISSING:
            return default
        raise SeamError("JSONPath", f"'{path}' matches nothing in {_preview(data)}")
    return values[0] if len(values) == 1 else values


def has_path(data: Any, path: str) -> bool:
    return bool(compile_path(path).find(data))


def _preview(data: Any, limit: int = 300) -> str:
    text = repr(data)
    return text if len(text) <= limit else text[:limit] + "…"
