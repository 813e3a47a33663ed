"""Reconciliation: do two data sets (SQL, API, files, SFTP, messages) agree, and how fast is a difference seen."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn

from ..engine.database.sql import Database
from ..engine.errors import SeamError
from ..engine.reconcile import sources, tables
from ..engine.reconcile.batches import Blocks
from ..engine.reconcile.diff import Result, reconcile
from ..engine.reconcile.options import SEAM, Options, build_options, names
from ..engine.records.layouts import find_layout
from ..engine.ssh import sftp
from ..engine.waiting import WaitTimedOut, poll
from .api import ApiKeywords
from .base import SeamKeywords
from .messaging import MessagingKeywords
from .ssh import ssh_connections

T = TypeVar("T")
Rows = Iterator[Mapping[str, Any]] | Blocks
SHOWN_IN_FAILURE = 5

Data = list[Any] | str


class ReconcileKeywords(SeamKeywords):
    """Reconciliation of data sets across sources: SQL, APIs, files, SFTP and captured messages."""

    SEAM = SEAM

    @keyword
    def reconcile(
        self,
        left: Data,
        right: Data,
        key: str | list[str] = "id",
        fields: str | list[str] | None = None,
        tolerance: str | dict[str, Any] | None = None,
        ignore: str | list[str] | None = None,
        rename: str | dict[str, str] | None = None,
        normalise: str | dict[str, str] | None = None,
        name: str = "",
        only: str | dict[str, Any] | None = None,
        show: int = 20,
    ) -> dict[str, Any]:
        """Matches the rows of ``left`` and ``right`` by ``key`` and compares their ``fields``; returns the result.

        ``left`` and ``right`` are lists of dictionaries (from any keyword) or sources:

        | ``sql:<alias>:<query>`` | rows of a query on an SQL connection (`Connect To Sql`), read as they stream |
        | ``api:<alias>:<path>`` | every page of a listing (``$.items``, ``$.next``), as `Get All Pages` reads it |
        | ``file:<path>[:<layout>]`` | a CSV (header row), JSON lines or JSON file, or a record layout (YAML) |
        | ``sftp:<alias>:<path>:<layout>`` | remote files over SSH; a glob (``/archive/*.dat``) reads every match |
        | ``messages:<alias>:<type>`` | the payloads of the messages of ``type`` captured so far |

        The rows of ``sql:`` and of local CSV and JSON lines files are read 16,384 at a time, never all at
        once; with the ``fast`` extra (pyarrow), a local CSV file is read by pyarrow's columnar reader, and
        a PostgreSQL query by ``COPY (query) TO STDOUT`` parsed by it, to the same rows, whose columns are
        compared in pyarrow where the comparison rule allows.

        An empty alias (``sql::SELECT ...``) is the current connection of that seam. ``key`` names the
        field or fields (``order_id,sku``) that identify a row; key values of any type match by their
        canonical text (see `Reconciliation`). ``fields`` (default: the fields both sides have) are
        compared by the library's comparison rule, ``ignore`` ones left out. ``tolerance`` allows numbers
        (and timestamps, in seconds) that far apart: ``amount=0.01,total=1%``. ``normalise`` applies
        ``trim``, ``case``, ``decimals:2`` or ``timezone:Europe/Paris`` (a time without a zone is local
        there) to a field before comparing (``*`` for every field; ``customer=trim|case``). ``rename``
        gives fields their other names, on either side: ``total=amount`` reads a v2 ``total`` as ``amount``.
        ``only`` keeps the rows of both sides whose fields equal the values given (``customer=acme``): a
        slice of a shared system.

        The result is a dictionary: ``consistent``, ``left_rows``, ``right_rows``, ``matched``,
        ``mismatched_rows``, ``missing_left`` and ``missing_right`` (keys only the other side has),
        ``duplicates_left``/``duplicates_right`` (extra rows of a key), ``mismatches`` (``key``,
        ``field``, ``left``, ``right``), exact ``counts`` and a ``summary``; lists keep the first 1000.
        The log shows the summary and a table of the first ``show`` differences.

        | ${result} = | `Reconcile` | sql:orders:SELECT id, amount FROM orders | file:${CURDIR}/export.csv | key=id |
        """
        options = self._options(key, fields, tolerance, ignore, rename, normalise, name, only)
        result = self._reconcile(left, right, options)
        self._log(result, show)
        return result.to_dict()

    @keyword
    def data_should_be_consistent(
        self,
        left: Data,
        right: Data,
        key: str | list[str] = "id",
        fields: str | list[str] | None = None,
        tolerance: str | dict[str, Any] | None = None,
        ignore: str | list[str] | None = None,
        rename: str | dict[str, str] | None = None,
        normalise: str | dict[str, str] | None = None,
        name: str = "",
        only: str | dict[str, Any] | None = None,
        msg: str | None = None,
    ) -> dict[str, Any]:
        """Fails unless every row of ``left`` has one equal row in ``right`` and the other way round.

        Arguments as in `Reconcile`. The failure gives the counts and the first differences of each
        kind; ``msg`` replaces it. Returns the result.

        | `Data Should Be Consistent` | sql::SELECT id, amount FROM orders | api:clerk:/api/orders | fields=amount |
        """
        options = self._options(key, fields, tolerance, ignore, rename, normalise, name, only)
        result = self._reconcile(left, right, options)
        self._log(result, 20)
        if not result.consistent:
            self.fail(describe(result), msg)
        return result.to_dict()

    @keyword
    def wait_until_consistent(
        self,
        left: Data,
        right: Data,
        key: str | list[str] = "id",
        fields: str | list[str] | None = None,
        tolerance: str | dict[str, Any] | None = None,
        ignore: str | list[str] | None = None,
        rename: str | dict[str, str] | None = None,
        normalise: str | dict[str, str] | None = None,
        name: str = "",
        only: str | dict[str, Any] | None = None,
        timeout: timedelta | None = None,
        interval: timedelta | str = "500ms",
        msg: str | None = None,
    ) -> dict[str, Any]:
        """Reconciles ``left`` and ``right`` every ``interval`` until they agree; returns the result.

        Arguments as in `Reconcile`. ``timeout`` (the library default when not given) bounds the whole
        wait. The result's ``seconds`` is how long the sources took to agree; it is also kept in the
        run's metrics file (``consistency``). Fails with the last differences (``msg`` replaces them).

        | `Wait Until Consistent` | sql::SELECT id, status FROM orders | api:clerk:/api/orders | timeout=20s |
        """
        options = self._options(key, fields, tolerance, ignore, rename, normalise, name, only)
        seconds, pause = self.seconds(timeout), self.duration(interval, "interval")
        started = time.monotonic()
        try:
            result = poll(
                lambda: self._reconcile(left, right, options),
                lambda found: found.consistent,
                timeout=seconds,
                interval=pause,
            )
        except WaitTimedOut as timed_out:
            last = timed_out.last
            self.fail(f"not consistent within {seconds:g}s: {describe(last) if last else timed_out}", msg)
        waited = time.monotonic() - started
        self.ctx.add_metric(
            "consistency", {"name": options.name, "seconds": round(waited, 3), "rows": result.left_rows}
        )
        self.info(f"{result.summary()}; consistent after {waited:.2f}s.")
        return {**result.to_dict(), "seconds": waited}

    @keyword
    def measure_time_to_detect(
        self,
        action_keyword: str,
        left: Data,
        right: Data,
        key: str | list[str] = "id",
        fields: str | list[str] | None = None,
        tolerance: str | dict[str, Any] | None = None,
        ignore: str | list[str] | None = None,
        rename: str | dict[str, str] | None = None,
        normalise: str | dict[str, str] | None = None,
        name: str = "",
        only: str | dict[str, Any] | None = None,
        action_args: list[Any] | None = None,
        timeout: timedelta | None = None,
        interval: timedelta | str = "200ms",
    ) -> float:
        """Runs ``action_keyword`` (with ``action_args``), then reconciles until a difference shows; returns seconds.

        The sources must agree before the action (else there is nothing to detect). The time counts
        from the start of the action to the first reconciliation that reports a difference, polled every
        ``interval`` within ``timeout`` (the library default when not given). Every detection is kept in
        the run's metrics file (``detection``: name, action, seconds, what was found), from which the mean
        time to detect follows. Other arguments as in `Reconcile`.

        | ${s} = | `Measure Time To Detect` | Tamper With Ledger | sql::SELECT id, amount FROM orders | ${ledger_rows} |
        """
        options = self._options(key, fields, tolerance, ignore, rename, normalise, name, only)
        before = self._reconcile(left, right, options)
        if not before.consistent:
            raise SeamError(
                SEAM, f"the sources disagree before {action_keyword}, nothing to detect: {describe(before)}"
            )
        seconds, pause = self.seconds(timeout), self.duration(interval, "interval")
        started = time.monotonic()
        BuiltIn().run_keyword(action_keyword, *(action_args or ()))
        acted = time.monotonic() - started
        try:
            found = poll(
                lambda: self._reconcile(left, right, options),
                lambda result: not result.consistent,
                timeout=seconds,
                interval=pause,
            )
        except WaitTimedOut:
            raise SeamError(
                SEAM, f"{options.name}: no difference found within {seconds:g}s after {action_keyword}"
            ) from None
        detected = time.monotonic() - started
        self.ctx.add_metric(
            "detection",
            {
                "name": options.name,
                "action": action_keyword,
                "seconds": round(detected, 3),
                "action_seconds": round(acted, 3),
                "found": found.summary(),
            },
        )
        self.info(f"{found.summary()}; detected {detected:.2f}s after {action_keyword} started.")
        self._log(found, 10)
        return detected

    @keyword
    def reconcile_tables(
        self,
        left_alias: str,
        left_table: str,
        right_alias: str,
        right_table: str,
        key: str | list[str] = "id",
        columns: str | list[str] | None = None,
        where: str = "",
        tolerance: str | dict[str, Any] | None = None,
        ignore: str | list[str] | None = None,
        normalise: str | dict[str, str] | None = None,
        name: str = "",
        show: int = 20,
    ) -> dict[str, Any]:
        """Compares two large tables (or queries) on two SQL connections by checksums computed in each database.

        ``left_table`` and ``right_table`` are table names or ``SELECT`` statements; ``where`` (SQL, the
        same on both sides) narrows both. ``key`` names the key column(s); ``columns`` those compared
        (default: those both have). Each database hashes the canonical text of its rows per key segment
        (see `Reconciliation`); only segments whose checksums differ are cut further, and rows are read
        only from small differing segments, then compared by the comparison rule with ``tolerance`` and
        ``normalise`` as in `Reconcile`. Memory stays bounded whatever the tables' size. Works across
        SQLite, PostgreSQL and MariaDB in any pairing. Returns the result of `Reconcile`, plus
        ``statements`` and ``rows_read``.

        | ${result} = | `Reconcile Tables` | pg | orders | maria | orders | key=id | columns=status,amount |
        """
        options = self._options(key, None, tolerance, ignore, None, normalise, name or f"{left_table} vs {right_table}")
        sql = self.ctx.seam("SQL", "Connect To Sql", close=Database.close)
        left = tables.Side(sql.get(left_alias), left_table, where)
        right = tables.Side(sql.get(right_alias), right_table, where)
        with self.timeline.span(
            "sql", "reconcile tables", f"{left.database.display_url} vs {right.database.display_url}"
        ):
            result, stats = tables.reconcile_tables(left, right, options, names(columns) or None)
        self._log(result, show)
        self.info(f"{stats.statements} statements, {stats.rows_read} rows read.")
        return {**result.to_dict(), "statements": stats.statements, "rows_read": stats.rows_read}

    # Sources
    def _options(self, key, fields, tolerance, ignore, rename, normalise, name, only=None) -> Options:
        return build_options(key, fields, tolerance, ignore, rename, normalise, name, only)

    def _reconcile(self, left: Data, right: Data, options: Options) -> Result:
        # One connection cannot stream two results at once: the left is read first.
        first = self._rows_now(left) if _same_connection(left, right) else left

        def with_right(left_rows: Rows) -> Result:
            return self._with_rows(right, lambda right_rows: reconcile(left_rows, right_rows, options))

        return self._with_rows(first, with_right)

    def _rows_now(self, data: Data) -> Blocks:
        return self._with_rows(data, _read_now)

    def _with_rows(self, data: Data | Blocks, then: Callable[[Rows], T]) -> T:
        if isinstance(data, Blocks):
            return then(data)
        if not isinstance(data, str):
            rows: list[Mapping[str, Any]] = (
                [row for row in data if isinstance(row, Mapping)] if isinstance(data, Sequence) else []
            )
            if not isinstance(data, Sequence) or len(rows) != len(data):
                raise SeamError(
                    SEAM, f"a data set is a list of dictionaries or a source spec, got {self.cut(repr(data), 120)}"
                )
            return then(iter(rows))
        spec = sources.parse_spec(data)
        if spec.kind == "sql":
            database: Database = self.ctx.seam("SQL", "Connect To Sql", close=Database.close).get(spec.alias)
            with self.timeline.span("sql", "reconcile", database.display_url):
                return database.stream(spec.target, (), lambda blocks: then(Blocks(blocks)))
        if spec.kind == "api":
            return then(iter(ApiKeywords(self.ctx).get_all_pages(spec.target, alias=spec.alias)))
        if spec.kind == "messages":
            found = MessagingKeywords(self.ctx).get_captured_messages(spec.target, alias=spec.alias)
            payload = found[0].envelope.payload if found else "payload"
            return then(iter(sources.payload_rows(found, payload)))
        if spec.kind == "sftp":
            return then(iter(self._remote_rows(spec)))
        form = sources.file_format(spec.target, spec.layout)
        if form is None:
            data_bytes = self._local_bytes(spec.target)
            return then(iter(sources.bytes_rows(data_bytes, None, self._layout(spec.layout), spec.target)))
        return then(sources.local_blocks(spec.target, form))

    def _remote_rows(self, spec: sources.Spec) -> list[Mapping[str, Any]]:
        connection = ssh_connections(self.ctx).get(spec.alias)
        seconds = self.ctx.timeout
        assert spec.layout is not None
        form = sources.file_format(spec.target, spec.layout)
        layout = None if form else self._layout(spec.layout)
        rows: list[Mapping[str, Any]] = []
        for path in sorted(sftp.find(connection, spec.target, seconds)):
            data = sftp.read_remote_bytes(connection, path, seconds)
            rows += sources.bytes_rows(data, form, layout, f"{path} on {connection.target}")
        return rows

    def _layout(self, layout: str | None):
        return find_layout(layout or "", list(self.ctx.layout_directories))

    def _local_bytes(self, path: str) -> bytes:
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except OSError as error:
            raise SeamError(SEAM, f"cannot read {path}: {error.strerror}") from None

    def _log(self, result: Result, show: int) -> None:
        self.info(result.summary() + ".")
        differences = result.differences()
        if differences:
            self.info(self.html_table(differences, limit=show, title=f"{result.name}: differences"), html=True)


def _read_now(rows: Rows) -> Blocks:
    return Blocks(list(rows) if isinstance(rows, Blocks) else [(None, list(rows))])


def _same_connection(left: Data, right: Data) -> bool:
    if not (sources.is_spec(left) and sources.is_spec(right)):
        return False
    first, second = sources.parse_spec(str(left)), sources.parse_spec(str(right))
    return first.kind == second.kind == "sql" and first.alias == second.alias


def describe(result: Result) -> str:
    """The summary and the first differences of each kind, on a few lines."""
    lines = [result.summary()]
    for kind, label in (
        ("missing_right", "missing on the right"),
        ("missing_left", "missing on the left"),
        ("duplicates_left", "duplicated on the left"),
        ("duplicates_right", "duplicated on the right"),
    ):
        keys = getattr(result, kind)
        if keys:
            more = result.count(kind) - min(len(keys), SHOWN_IN_FAILURE)
            shown = "; ".join(_key(key) for key in keys[:SHOWN_IN_FAILURE]) + (f" (and {more} more)" if more else "")
            lines.append(f"{label}: {shown}")
    if result.mismatches:
        pairs = [f"{_key(m.key)} {m.field}: {m.left!s} != {m.right!s}" for m in result.mismatches[:SHOWN_IN_FAILURE]]
        more = result.count("mismatches") - len(pairs)
        lines.append("different: " + "; ".join(pairs) + (f" (and {more} more)" if more else ""))
    return "\n".join(lines)


def _key(key: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in key.items())
