"""Rows of a table by `column=value` criteria, the rows closest to a missing one, waits and table snapshots.

Criteria are bound parameters with quoted, validated column names: `{"id": 7, "status": "NEW"}`
becomes `WHERE "id" = ? AND "status" = ?`; a None value means `IS NULL`.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ..errors import SeamError
from ..values import values_equal
from ..waiting import WaitStopped, WaitTimedOut, poll
from .rows import matching_columns, row_matches
from .sql import Database, quote_identifier

SEAM = "SQL"
# Rows read to find those closest to a missing one, and the most a snapshot may hold.
CLOSEST_CANDIDATES = 500
SNAPSHOT_ROW_LIMIT = 100_000
# Rows a failure message lists (closest rows, unexpected rows, changes of each kind).
SHOWN_ROWS = 5
# Rows one attempt of a wait reads (those matching the identity part of the criteria), and the rows
# the server's own match may return for the comparison rule to check.
WAIT_ROWS = 100
MATCH_ROWS = 100


def where_clause(criteria: dict[str, Any], dialect: str, joiner: str = "AND") -> tuple[str, list[Any]]:
    """` WHERE ...` for `criteria` (all must hold; any, with joiner `OR`) and its parameters."""
    if not criteria:
        return "", []
    conditions, params = [], []
    for column, value in criteria.items():
        name = quote_identifier(column, dialect)
        if value is None:
            conditions.append(f"{name} IS NULL")
        else:
            conditions.append(f"{name} = ?")
            params.append(value)
    return f" WHERE {f' {joiner} '.join(conditions)}", params


def select_rows(
    db: Database, table: str, criteria: dict[str, Any], limit: int | None = None, timeout: float | None = None
) -> list[dict[str, Any]]:
    """Rows of `table` matching every criterion (at most `limit`)."""
    where, params = where_clause(criteria, db.dialect)
    sql = f"SELECT * FROM {quote_identifier(table, db.dialect)}{where}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return db.query(sql, params, timeout=timeout)


@dataclass
class MissingRow:
    """Why a row was not found: the failure message, and the rows that came closest (for the log)."""

    message: str
    closest: list[dict[str, Any]]


def missing_row(
    db: Database,
    table: str,
    criteria: dict[str, Any],
    within: str = "",
    candidates: list[dict[str, Any]] | None = None,
) -> MissingRow:
    """The failure for a row of `table` with `criteria` that is not there, naming the closest rows.

    `candidates` are the rows meeting any criterion, when a search already read them.
    """
    wanted = f"{within}no row of {table} has {criteria_text(criteria)}"
    if candidates is None:
        candidates = candidate_rows(db, table, criteria)
    closest = rank_closest(candidates, criteria, SHOWN_ROWS)
    if not closest:
        return MissingRow(f"{wanted}, nor any row with one of these values", [])
    lines = [f"  {row_text(row)}  (differs: {', '.join(differing_columns(row, criteria))})" for row in closest]
    return MissingRow(f"{wanted}. Closest rows:\n" + "\n".join(lines), closest)


def unexpected_rows(table: str, criteria: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """The failure for rows of `table` with `criteria` that should not be there (`rows`: up to SHOWN_ROWS + 1)."""
    shown = "\n".join(f"  {row_text(row)}" for row in rows[:SHOWN_ROWS])
    more = " (first shown)" if len(rows) > SHOWN_ROWS else ""
    return f"expected no row of {table} with {criteria_text(criteria)}, found{more}:\n{shown}"


class RowWaitStopped(Exception):
    """A row reached a terminal state while a wait was looking for another one."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RowWaitTimedOut(Exception):
    """No row matched within the wait's timeout; `missing` says what came closest."""

    def __init__(self, missing: MissingRow):
        super().__init__(missing.message)
        self.missing = missing


def wait_for_row(
    db: Database, table: str, criteria: dict[str, Any], fail_on: dict[str, Any] | str | None, timeout: float
) -> dict[str, Any]:
    """Polls `table` until a row has every `criteria`; stops at once when one reaches a `fail_on` state.

    Each attempt is one statement bounded by what is left of `timeout`, so a database that stops
    answering ends the wait on time. Raises `RowWaitStopped` or `RowWaitTimedOut`.
    """
    terminal = parse_fail_on(fail_on)
    terminal_columns = {column for state in terminal for column in state}
    identity = {column: value for column, value in criteria.items() if column not in terminal_columns}
    deadline = time.monotonic() + timeout

    def probe() -> list[dict[str, Any]]:
        # The rows equal to the identity by the one rule (not only by the server's `=`), each look bounded.
        remaining = max(deadline - time.monotonic(), 0.001)
        return find_rows(db, table, identity, limit=WAIT_ROWS, timeout=remaining).matches

    def found(rows: list[dict[str, Any]]) -> bool:
        return any(row_matches(row, criteria) for row in rows)

    def stopped(rows: list[dict[str, Any]]) -> bool:
        return any(row_matches(row, state) for row in rows for state in terminal)

    try:
        rows = poll(probe, found, timeout=timeout, fail_on=stopped if terminal else None)
    except WaitStopped as stop:
        row = next(row for row in stop.last for state in terminal if row_matches(row, state))
        raise RowWaitStopped(
            f"row of {table} reached a terminal state ({fail_on_text(terminal)}) after "
            f"{stop.elapsed:.1f}s while waiting for {criteria_text(criteria)}: {row_text(row)}"
        ) from None
    except WaitTimedOut:
        raise RowWaitTimedOut(missing_row(db, table, criteria, f"within {timeout:g}s ")) from None
    return next(row for row in rows if row_matches(row, criteria))


def candidate_rows(
    db: Database, table: str, criteria: dict[str, Any], timeout: float | None = None
) -> list[dict[str, Any]]:
    """The rows meeting at least one criterion by the server's `=` (at most CLOSEST_CANDIDATES)."""
    if not criteria:
        return []
    where, params = where_clause(criteria, db.dialect, joiner="OR")
    sql = f"SELECT * FROM {quote_identifier(table, db.dialect)}{where} LIMIT {CLOSEST_CANDIDATES}"
    return db.query(sql, params, timeout=timeout)


def rank_closest(candidates: list[dict[str, Any]], criteria: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """The `count` candidates that meet the most criteria: what the test probably meant to find."""
    # Most criteria met first; among equals, those meeting the first criteria (usually the identity).
    ranked = sorted(
        (row for row in candidates if matching_columns(row, criteria)),
        key=lambda row: (matching_columns(row, criteria), [values_equal(row.get(c), v) for c, v in criteria.items()]),
        reverse=True,
    )
    return ranked[:count]


def closest_rows(db: Database, table: str, criteria: dict[str, Any], count: int = 5) -> list[dict[str, Any]]:
    """The rows that meet the most criteria (at least one): what the test probably meant to find."""
    return rank_closest(candidate_rows(db, table, criteria), criteria, count)


@dataclass
class RowSearch:
    """The rows equal to some criteria, and (when the server's `=` found none) those meeting any criterion."""

    matches: list[dict[str, Any]]
    candidates: list[dict[str, Any]] | None = None


def find_rows(
    db: Database, table: str, criteria: dict[str, Any], limit: int, timeout: float | None = None
) -> RowSearch:
    """Rows of `table` whose values equal every criterion by the one comparison rule (`values_equal`).

    The server narrows first (`WHERE column = ?`, all criteria), but its `=` differs from the rule both
    ways: MariaDB ignores case, a timestamp with a zone or JSON `true` against a number are equal by the
    rule and not by SQL. So its rows are checked by the rule, and when none holds, the rows meeting any
    criterion are (the ones a failure shows as the closest).
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    narrowed = select_rows(db, table, criteria, limit=MATCH_ROWS, timeout=timeout)
    matches = [row for row in narrowed if row_matches(row, criteria)]
    if matches or not criteria:
        return RowSearch(matches[:limit])
    remaining = None if deadline is None else max(deadline - time.monotonic(), 0.001)
    candidates = candidate_rows(db, table, criteria, timeout=remaining)
    return RowSearch([row for row in candidates if row_matches(row, criteria)][:limit], candidates)


def differing_columns(row: dict[str, Any], criteria: dict[str, Any]) -> list[str]:
    return [column for column, value in criteria.items() if not values_equal(row.get(column), value)]


@dataclass
class TableSnapshot:
    """The rows of a table (optionally only those matching `criteria`) by key, at one moment."""

    table: str
    key: tuple[str, ...]
    criteria: dict[str, Any]
    rows: dict[tuple[Any, ...], dict[str, Any]]
    alias: str | None = None

    def __str__(self) -> str:
        where = f" where {criteria_text(self.criteria)}" if self.criteria else ""
        return f"snapshot of {self.table}{where} ({len(self.rows)} rows, key {', '.join(self.key)})"


@dataclass
class RowUpdate:
    key: dict[str, Any]
    changes: dict[str, tuple[Any, Any]]
    row: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "changed": sorted(self.changes),
            "changes": {column: {"before": old, "after": new} for column, (old, new) in self.changes.items()},
            "row": self.row,
        }


@dataclass
class TableChanges:
    """What happened to a table since a snapshot."""

    table: str
    inserted: list[dict[str, Any]] = field(default_factory=list)
    updated: list[RowUpdate] = field(default_factory=list)
    deleted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.inserted or self.updated or self.deleted)

    def summary(self) -> str:
        return f"{len(self.inserted)} inserted, {len(self.updated)} updated, {len(self.deleted)} deleted"

    def describe(self) -> str:
        """The changes as a failure lists them: the first few of each kind."""
        lines = [f"  inserted: {row_text(row)}" for row in self.inserted[:SHOWN_ROWS]]
        lines += [
            f"  updated: {row_text(update.key)}: "
            + ", ".join(f"{column} {old!s} -> {new!s}" for column, (old, new) in update.changes.items())
            for update in self.updated[:SHOWN_ROWS]
        ]
        lines += [f"  deleted: {row_text(row)}" for row in self.deleted[:SHOWN_ROWS]]
        return f"{self.summary()}:\n" + "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for Robot: `${changes}[inserted]`, `${changes}[updated][0][changed]`..."""
        return {
            "table": self.table,
            "inserted": self.inserted,
            "updated": [update.to_dict() for update in self.updated],
            "deleted": self.deleted,
            "summary": self.summary(),
        }


def take_snapshot(
    db: Database, table: str, key: list[str], criteria: dict[str, Any], alias: str | None = None
) -> TableSnapshot:
    """Every row of `table` matching `criteria`, by `key` (one or more columns that identify a row)."""
    columns = db.columns(table)
    missing = [column for column in key if column not in columns]
    if missing:
        raise SeamError(SEAM, f"table {table} has no key column {', '.join(missing)} (columns: {', '.join(columns)})")
    rows = select_rows(db, table, criteria, limit=SNAPSHOT_ROW_LIMIT + 1)
    if len(rows) > SNAPSHOT_ROW_LIMIT:
        raise SeamError(SEAM, f"table {table} has over {SNAPSHOT_ROW_LIMIT} rows to snapshot; narrow it with criteria")
    return TableSnapshot(table, tuple(key), dict(criteria), _by_key(rows, tuple(key), table), alias)


def changes_since(db: Database, snapshot: TableSnapshot, ignore: Collection[str] = ()) -> TableChanges:
    """Rows inserted, updated (with the columns that changed) and deleted since `snapshot`.

    A row whose only changes are in `ignore` columns (bookkeeping such as `published_at`) counts as unchanged.
    """
    now = _by_key(select_rows(db, snapshot.table, snapshot.criteria), snapshot.key, snapshot.table)
    changes = TableChanges(snapshot.table)
    for row_key, row in now.items():
        before = snapshot.rows.get(row_key)
        if before is None:
            changes.inserted.append(row)
            continue
        changed = {
            column: (before.get(column), value)
            for column, value in row.items()
            if column not in ignore and not values_equal(value, before.get(column))
        }
        if changed:
            changes.updated.append(RowUpdate(dict(zip(snapshot.key, row_key, strict=True)), changed, row))
    changes.deleted = [row for row_key, row in snapshot.rows.items() if row_key not in now]
    return changes


def _by_key(rows: list[dict[str, Any]], key: tuple[str, ...], table: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        row_key = tuple(row[column] for column in key)
        if row_key in by_key:
            raise SeamError(
                SEAM, f"key ({', '.join(key)}) is not unique in {table}: {row_key} appears twice; give a unique key"
            )
        by_key[row_key] = row
    return by_key


def column_names(names: str | Collection[str]) -> list[str]:
    """Column names given as a list or as comma-separated text (`order_id,sku`)."""
    if isinstance(names, str):
        return [part.strip() for part in names.split(",") if part.strip()]
    return list(names)


def criteria_text(criteria: dict[str, Any]) -> str:
    """`id=7 and status=NEW`: criteria as a failure message shows them."""
    return " and ".join(f"{column}={value}" for column, value in criteria.items()) or "any values"


def row_text(row: dict[str, Any]) -> str:
    """`id=7, status=NEW, ...`: a row as a failure message shows it."""
    return ", ".join(f"{column}={value}" for column, value in row.items())


def parse_fail_on(fail_on: dict[str, Any] | str | None) -> list[dict[str, Any]]:
    """Terminal states, each a dict of columns that must all match: `status=A|B` gives two."""
    if not fail_on:
        return []
    if isinstance(fail_on, dict):
        return [dict(fail_on)]
    column, sep, values = fail_on.partition("=")
    if not sep or not column.strip():
        raise SeamError(SEAM, f"fail_on must look like column=value (or column=A|B), got '{fail_on}'")
    return [{column.strip(): value} for value in values.split("|")]


def fail_on_text(terminal: list[dict[str, Any]]) -> str:
    return " or ".join(criteria_text(state) for state in terminal)


def delete_statement(table: str, criteria: dict[str, Any], dialect: str) -> tuple[str, list[Any]]:
    """The DELETE of the rows matching `criteria` (at least one criterion: never a whole table)."""
    if not criteria:
        raise SeamError(SEAM, f"refusing to delete every row of {table}: give at least one column=value")
    where, params = where_clause(criteria, dialect)
    return f"DELETE FROM {quote_identifier(table, dialect)}{where}", params


def delete_rows(db: Database, table: str, criteria: dict[str, Any]) -> int:
    """Deletes the rows matching `criteria` (at least one criterion: never a whole table)."""
    return db.execute(*delete_statement(table, criteria, db.dialect))
