"""JSONPath over JSON-like data, with the short forms QA engineers write (`payload.order_id`, `items[0].id`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse

from .errors import SeamError
from .values import cut

_MISSING = object()
# `status`, `payload.order_id`: plain key walks, far cheaper than a JSONPath match on a hot path.
_PLAIN_PATH = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")


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


@lru_cache(maxsize=512)
def selector(path: str) -> Callable[[Any], list[Any]]:
    """A function giving the values `path` selects in some data (an invalid path fails here, once)."""
    if not _PLAIN_PATH.match(path):
        compiled = compile_path(path)
        return lambda data: [match.value for match in compiled.find(data)]
    keys = path.split(".")

    def walk(data: Any) -> list[Any]:
        for key in keys:
            if not isinstance(data, Mapping) or key not in data:
                return []
            data = data[key]
        return [data]

    return walk


def find_all(data: Any, path: str) -> list[Any]:
    """Every value `path` selects in `data` (an empty list when none)."""
    return selector(path)(data)


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
    return cut(repr(data), limit)
