"""The base of every keyword class: the shared context and logging that never leaks a secret."""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Any, NoReturn

from robot.api import Failure, logger
from robot.errors import RobotError
from robot.utils import timestr_to_secs

from ..engine.context import SeamContext
from ..engine.errors import SeamError


def seconds_of(value: timedelta | float | str) -> float:
    """A time in seconds: a timedelta, a number, or a Robot time string (ValueError for other text).

    Robot converts a time a test gives to timedelta; a documented default written as text
    (``interval="200ms"``, so libdoc shows it as a Robot time) arrives as it is.
    """
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, str):
        return timestr_to_secs(value)
    return float(value)


class SeamFailure(Failure, RobotError):
    """An expected failure: Robot shows its message and, being a RobotError, no Python traceback."""

    def __init__(self, message: str):
        Failure.__init__(self, message)
        RobotError.__init__(self, message)


class SeamKeywords:
    """Gives a keyword class the shared context (masking, timeline, connections, timeouts).

    `SEAM` names the boundary the class's keywords cross: it starts every failure message of the class
    and is the tag libdoc groups its keywords under.
    """

    SEAM = "Seamline"

    def __init__(self, ctx: SeamContext):
        self.ctx = ctx

    @property
    def masker(self):
        return self.ctx.masker

    @property
    def timeline(self):
        return self.ctx.timeline

    def seconds(self, timeout: timedelta | float | str | None, name: str = "timeout") -> float:
        """A keyword's timeout in seconds, the library default when none is given; zero or less fails."""
        if timeout is None:
            return self.ctx.timeout
        seconds = self.duration(timeout, name)
        if seconds <= 0:
            raise SeamError(self.SEAM, f"{name} must be more than 0 seconds, got {seconds:g}s")
        return seconds

    def duration(self, value: timedelta | float | str, name: str) -> float:
        """A time argument in seconds (see `seconds_of`); text that is no Robot time fails under the seam."""
        try:
            return seconds_of(value)
        except ValueError:
            raise SeamError(self.SEAM, f"{name} '{value}' is not a Robot time (10s, 1 min 30 s, 250ms)") from None

    def fail(self, message: str, msg: str | None = None) -> NoReturn:
        """Fail an assertion: `message` under the class's seam, or the user's own `msg` (as BuiltIn's msg=)."""
        raise SeamError(self.SEAM, message) if not msg else AssertionError(msg)

    # Logging: every message passes the masker, whatever its level.
    def info(self, message: Any, html: bool = False) -> None:
        logger.info(self._safe(message, html), html=html)

    def debug(self, message: Any, html: bool = False) -> None:
        logger.debug(self._safe(message, html), html=html)

    def trace(self, message: Any) -> None:
        logger.trace(self.masker.text(message))

    def warn(self, message: Any) -> None:
        logger.warn(self.masker.text(message))

    def _safe(self, message: Any, html: bool) -> str:
        # HTML built by Seamline escapes its values after masking; a second pass catches the rest.
        return self.masker.text(message)

    def cut(self, text: Any, limit: int | None = None) -> str:
        """Text masked and cut to the body log limit, saying how much was left out (cut first, then masked)."""
        return self.masker.preview(text, self.ctx.body_log_limit if limit is None else limit)

    def format_data(self, data: Any, limit: int | None = None) -> str:
        """JSON-like data masked, pretty-printed and cut for a log or failure message (cut first, then masked)."""
        return self.masker.data_preview(data, self.ctx.body_log_limit if limit is None else limit)

    def html_table(self, rows: list[dict[str, Any]], limit: int = 20, title: str = "") -> str:
        """A small HTML table of rows (masked), the first `limit` of them."""
        if not rows:
            return f"<p>{escape(title)}: no rows</p>" if title else "<p>no rows</p>"
        columns = list(dict.fromkeys(key for row in rows for key in row))
        head = "".join(f"<th>{escape(str(column))}</th>" for column in columns)
        masked = [self.masker.data(row) for row in rows[:limit]]
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(str(row.get(column, '')))}</td>" for column in columns) + "</tr>"
            for row in masked
        )
        more = f"<p>… {len(rows) - limit} more rows</p>" if len(rows) > limit else ""
        caption = f"<caption>{escape(title)}</caption>" if title else ""
        return f'<table border="1" style="border-collapse:collapse">{caption}<tr>{head}</tr>{body}</table>{more}'
