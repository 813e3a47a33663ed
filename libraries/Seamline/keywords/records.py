"""Fixed-width and CSV batch records: read, write and check legacy batch files by layout."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from robot.api.deco import keyword

from ..engine.errors import SeamError
from ..engine.records import batch as engine
from ..engine.records.layouts import RECORD_TYPE_KEY, SEAM, Layout, find_layout
from ..engine.ssh import sftp
from ..engine.ssh.client import SshConnection
from .base import SeamKeywords
from .ssh import ssh_connections

LOGGED_RECORDS = 10


class RecordKeywords(SeamKeywords):
    """Fixed-width and CSV batch records, read and written by layout, locally or over SFTP."""

    SEAM = SEAM

    def __init__(self, ctx):
        super().__init__(ctx)
        self.layout_directory: Path | None = None

    @keyword
    def set_layout_directory(self, path: str | None) -> str | None:
        """Makes ``layout`` arguments that are names look in ``path`` first; returns the previous directory.

        A ``layout`` that is a path (it has a ``/``, ends in ``.yaml`` or ``.yml``, or names a file) is
        used as is.
        A name (``settlement``) is looked up as ``settlement.yaml`` or ``settlement.yml`` in ``path``,
        then in the directories given at import (``Library    Seamline    layouts=${CURDIR}/layouts``,
        one directory or a list). ``None`` unsets ``path``; the returned previous one restores it.

        | ${previous} = | `Set Layout Directory` | ${CURDIR}/layouts |
        | `Set Layout Directory` | ${previous} |
        """
        directory = Path(path) if path else None
        if directory is not None and not directory.is_dir():
            raise SeamError(SEAM, f"layout directory {path} does not exist")
        previous, self.layout_directory = self.layout_directory, directory
        self.info(f"Layouts are looked up in {directory} first." if directory else "No extra layout directory.")
        return str(previous) if previous else None

    @keyword
    def read_records(
        self,
        path: str,
        layout: str,
        remote: bool = False,
        alias: str | None = None,
        timeout: timedelta | None = None,
    ) -> list[dict[str, Any]]:
        """Reads the batch file ``path`` with ``layout`` and returns its records, a list of dictionaries.

        Each record has a ``record_type`` key (the layout's name for it: ``header``, ``detail``...) and its
        fields as typed values: text, integers, ``Decimal`` amounts and dates. Every line must fit the
        layout exactly; the first that does not fails with its line number, field and columns.

        ``layout`` is a layout name (see `Set Layout Directory`) or a path to a layout YAML file.
        With ``remote=True`` the file is read over SFTP on the current SSH connection (or ``alias``)
        opened with `Connect To Ssh`, within ``timeout``.

        | ${records} = | `Read Records` | ${BATCH} | settlement |
        | Should Be Equal As Numbers | ${records}[1][amount] | 12.50 |
        """
        resolved = self._layout(layout)
        data, source = self._read(path, remote, alias, timeout)
        records = engine.parse_records(data, resolved, source)
        self._log_records(f"Read {len(records)} records from {source} (layout {resolved.name})", records)
        return records

    @keyword
    def write_records(
        self,
        path: str,
        records: list[Mapping[str, Any]],
        layout: str,
        remote: bool = False,
        alias: str | None = None,
        timeout: timedelta | None = None,
    ) -> str:
        """Writes ``records`` to the batch file ``path`` in ``layout`` and returns ``path``.

        Records are dictionaries like those `Read Records` returns: ``record_type`` names the record type
        (it may be left out when the layout has only one), other keys are field names. Values may be typed
        or text (``12.50``, ``2026-11-24``). A record with an unknown type or field, or a value that does
        not fit its field (too long, too many decimals, not a number), fails naming the record and field.
        A file read with `Read Records` and written back is identical. ``remote=True`` writes over SFTP
        (atomically: readers never see half a file). ``Secret`` values are written plainly and masked in the log.

        | ${detail} = | Create Dictionary | record_type=detail | order_id=ord-1 | amount=12.50 | ... |
        | `Write Records` | ${TEMPDIR}/batch.dat | ${records} | settlement |
        """
        resolved = self._layout(layout)
        target = self._describe(path, remote, alias)
        reveal = self.masker.reveal
        plain = [
            {key: reveal(value) for key, value in record.items()} if isinstance(record, Mapping) else record
            for record in records
        ]
        data = engine.format_records(plain, resolved, target)
        self._write(path, data, remote, alias, timeout)
        self._log_records(
            f"Wrote {len(records)} records ({len(data)} bytes) to {target} (layout {resolved.name})", records
        )
        return path

    @keyword
    def batch_should_be_valid(
        self,
        path: str,
        layout: str,
        remote: bool = False,
        alias: str | None = None,
        timeout: timedelta | None = None,
        msg: str | None = None,
    ) -> list[dict[str, Any]]:
        """Fails unless the batch file ``path`` fits ``layout`` and its trailer agrees with its records.

        Checks every line (as `Read Records` does), that the first and last records are of the types the
        layout's ``batch`` names (a missing trailer fails), and each ``checks`` entry: counts
        (``count_of: detail``) and sums (``sum_of: detail.amount``). Returns the records.
        ``msg`` replaces the message of a batch that is not valid (not that of a missing file or layout).

        | ${records} = | `Batch Should Be Valid` | ${BATCH} | settlement |
        | `Batch Should Be Valid` | /archive/B-1.dat | settlement | remote=True | msg=The ledger archived a bad batch |
        """
        resolved = self._layout(layout)
        data, source = self._read(path, remote, alias, timeout)
        try:
            numbered = engine.parse_numbered(data, resolved, source)
            summary = engine.validate_batch(numbered, resolved, source)
        except SeamError as error:
            self.fail(error.detail, msg)
        checks = "; ".join(summary["checks"]) or "no trailer checks in the layout"
        records = [record for _, record in numbered]
        self._log_records(f"Batch {source} is valid (layout {resolved.name}): {checks}", records)
        return records

    @keyword
    def records_should_contain(
        self,
        records: list[Mapping[str, Any]],
        record_type: str | None = None,
        *,
        msg: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Fails unless a record of ``record_type`` has all the given ``fields``; returns the first that does.

        Values compare by meaning (see `Comparing values`): ``amount=12.5`` matches the amount ``12.50``,
        ``settled_on=2026-11-24`` matches that date, an empty value (``cancelled_on=``) matches an empty
        field. Without ``record_type`` any record matches. ``msg`` replaces the failure message.

        | ${detail} = | `Records Should Contain` | ${records} | detail | order_id=${order}[id] | currency=EUR |
        | `Records Should Contain` | ${records} | detail | amount=12.5 | msg=The 12.50 settlement is missing |
        """
        matches = engine.find_records(records, record_type, fields)
        if matches:
            self.info(f"Found {len(matches)} matching records; the first: {self.format_data(matches[0])}")
            return dict(matches[0])
        kind = f"{record_type} record" if record_type else "record"
        wanted = ", ".join(f"{key}={value}" for key, value in fields.items()) or "any fields"
        candidates = [r for r in records if record_type is None or r.get(RECORD_TYPE_KEY) == record_type]
        seen = "; ".join(f"{key}: {', '.join(str(r.get(key)) for r in candidates[:LOGGED_RECORDS])}" for key in fields)
        self.fail(
            f"no {kind} with {wanted} among {len(candidates)} {kind}s" + (f" ({seen})" if seen and candidates else ""),
            msg,
        )

    def _layout(self, layout: str) -> Layout:
        directories = [self.layout_directory] if self.layout_directory else []
        return find_layout(layout, list(dict.fromkeys([*directories, *self.ctx.layout_directories])))

    def _read(self, path: str, remote: bool, alias: str | None, timeout: timedelta | None) -> tuple[bytes, str]:
        source = self._describe(path, remote, alias)
        if remote:
            with self._as_records_failure():
                return sftp.read_remote_bytes(self._ssh(alias), path, self.seconds(timeout)), source
        try:
            return Path(path).read_bytes(), source
        except OSError as error:
            raise SeamError(SEAM, f"cannot read {path}: {error.strerror}") from None

    def _write(self, path: str, data: bytes, remote: bool, alias: str | None, timeout: timedelta | None) -> None:
        if remote:
            with self._as_records_failure():
                sftp.write_remote_bytes(self._ssh(alias), path, data, self.seconds(timeout))
            return
        try:
            Path(path).write_bytes(data)
        except OSError as error:
            raise SeamError(SEAM, f"cannot write {path}: {error.strerror}") from None

    def _describe(self, path: str, remote: bool, alias: str | None) -> str:
        return f"{path} on {self._ssh(alias).target}" if remote else path

    def _ssh(self, alias: str | None) -> SshConnection:
        with self._as_records_failure():
            return ssh_connections(self.ctx).get(alias)

    @contextmanager
    def _as_records_failure(self) -> Iterator[None]:
        """An SSH failure of `remote=True` under this class's one prefix (the text still names the host)."""
        try:
            yield
        except SeamError as error:
            raise SeamError(SEAM, error.detail) from None

    def _log_records(self, summary: str, records: Sequence[Mapping[str, Any]]) -> None:
        counts = Counter(str(record.get(RECORD_TYPE_KEY, "")) for record in records)
        by_type = ", ".join(f"{kind} {count}" for kind, count in counts.items())
        self.info(f"{summary}: {by_type or 'none'}.")
        shown = [dict(record) for record in records[:LOGGED_RECORDS]]
        self.info(
            self.html_table(shown, limit=LOGGED_RECORDS, title=f"First {len(shown)} of {len(records)} records"),
            html=True,
        )
