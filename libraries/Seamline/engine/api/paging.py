"""Paging through an API: which request comes next, when paging ends, and when it would loop."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import SeamError
from ..jsonpath import find_one

_MISSING = object()


class Pages:
    """The pages of one listing: `next_request` reads a page and says what to GET next (None: the end).

    ``items`` and ``next`` are JSONPaths in each page. A ``next`` that is a URL or starts with ``/`` is
    followed as it is; any other value is sent as the ``cursor_param`` query parameter. Paging ends when
    ``next`` is missing, null or empty; a cursor seen twice, or more than ``max_pages`` pages, fail.
    """

    def __init__(self, path: str, items: str, next: str, cursor_param: str, max_pages: int, query: Mapping[str, Any]):
        self.path, self.items_path, self.next_path = path, items, next
        self.cursor_param, self.max_pages = cursor_param, max_pages
        self.location, self.query = path, dict(query)
        self.items: list[Any] = []
        self.page = 0
        self._cursors: set[str] = set()

    def next_request(self, body: Any, shown: str) -> tuple[str, dict[str, Any]] | None:
        """Take the items of page `body` (`shown`: the body as a failure shows it); the next GET, or None."""
        self.page += 1
        page_items = _find(body, self.items_path)
        if not isinstance(page_items, list):
            found = "nothing" if page_items is _MISSING else repr(page_items)
            raise SeamError(
                "HTTP", f"page {self.page} of GET {self.path}: '{self.items_path}' is {found}, not a list: {shown}"
            )
        self.items.extend(page_items)
        cursor = _find(body, self.next_path)
        if cursor in (_MISSING, None, "", []):
            return None
        if str(cursor) in self._cursors:
            raise SeamError(
                "HTTP", f"page {self.page} of GET {self.path}: '{self.next_path}' repeats {cursor!r}; paging would loop"
            )
        if self.page >= self.max_pages:
            raise SeamError(
                "HTTP",
                f"GET {self.path} has more than {self.max_pages} pages (max_pages); {len(self.items)} items so far",
            )
        self._cursors.add(str(cursor))
        if str(cursor).startswith(("http://", "https://", "/")):
            self.location, self.query = str(cursor), {}
        else:
            self.query[self.cursor_param] = cursor
        return self.location, self.query


def _find(data: Any, json_path: str) -> Any:
    """The value at `json_path`, or _MISSING; an invalid JSONPath fails under the HTTP seam."""
    try:
        return find_one(data, json_path, default=_MISSING)
    except SeamError as error:
        raise SeamError("HTTP", error.detail) from None
