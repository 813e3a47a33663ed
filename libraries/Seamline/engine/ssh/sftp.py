"""SFTP on an `SshConnection`: atomic uploads, prefetching downloads, listing and waiting for files.

Writers upload to a hidden temporary name in the target directory and rename it into place, so a
reader polling the directory never sees half a file.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import io
import os
import posixpath
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import paramiko

from ..errors import SeamError
from ..timeline import Span
from ..waiting import WaitTimedOut, poll
from .client import SshConnection

GLOB_CHARACTERS = frozenset("*?[")
# The last look of a wait still gets this long for its answer.
MIN_REQUEST_TIMEOUT = 0.1


def read_remote_bytes(connection: SshConnection, path: str, timeout: float) -> bytes:
    """The whole content of remote file `path` (for the records keywords: `Read Records ... remote=True`)."""
    buffer = io.BytesIO()
    with _operation(connection, "get", path, timeout) as (sftp, span):
        span.bytes_received = sftp.getfo(path, buffer, prefetch=True)
    return buffer.getvalue()


def write_remote_bytes(connection: SshConnection, path: str, data: bytes, timeout: float) -> None:
    """Write `data` to remote file `path` atomically (temporary name, then rename)."""
    _put_atomically(connection, io.BytesIO(data), len(data), path, timeout)


def upload_file(connection: SshConnection, local: str | os.PathLike[str], remote: str, timeout: float) -> str:
    """Upload `local` to `remote` (a file path, or a directory ending in '/'); returns the remote path."""
    source = Path(local)
    if not source.is_file():
        raise SeamError("SSH", f"local file {source} does not exist")
    if remote.endswith("/"):
        remote = remote + source.name
    with source.open("rb") as file:
        _put_atomically(connection, file, source.stat().st_size, remote, timeout)
    return remote


def download_file(connection: SshConnection, remote: str, local: str | os.PathLike[str], timeout: float) -> Path:
    """Download `remote` to `local` (a file path, or an existing directory); returns the local path."""
    target = Path(local)
    if target.is_dir():
        target = target / posixpath.basename(remote)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    try:
        with partial.open("wb") as file, _operation(connection, "get", remote, timeout) as (sftp, span):
            span.bytes_received = sftp.getfo(remote, file, prefetch=True)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def list_files(connection: SshConnection, directory: str, pattern: str | None, timeout: float) -> list[str]:
    """Names of the regular files in remote `directory` matching glob `pattern` (all when None), sorted."""
    with _operation(connection, "list", directory, timeout) as (sftp, _span):
        entries = sftp.listdir_attr(directory)
    names = [entry.filename for entry in entries if not _is_directory(entry)]
    return sorted(name for name in names if pattern is None or fnmatch.fnmatchcase(name, pattern))


def exists(connection: SshConnection, path: str, timeout: float) -> bool:
    try:
        with _operation(connection, "stat", path, timeout) as (sftp, _span):
            sftp.stat(path)
    except _Missing:
        return False
    return True


def find(connection: SshConnection, path_or_pattern: str, timeout: float) -> list[str]:
    """Remote paths that exist: `path_or_pattern` itself, or the files matching a glob in its last part."""
    directory, name = posixpath.split(path_or_pattern)
    if not GLOB_CHARACTERS.intersection(name):
        return [path_or_pattern] if exists(connection, path_or_pattern, timeout) else []
    try:
        names = list_files(connection, directory or ".", name, timeout)
    except _Missing:
        return []
    return [posixpath.join(directory, found) for found in names]


def wait_until_exists(
    connection: SshConnection, path_or_pattern: str, timeout: float, interval: float = 0.2
) -> list[str]:
    """Wait until `path_or_pattern` exists (or a file matches it); returns the matching paths.

    Each look is bounded by the time left, so a server that stops answering cannot stretch the wait.
    """
    deadline = time.monotonic() + timeout

    def look() -> list[str]:
        return find(connection, path_or_pattern, max(deadline - time.monotonic(), MIN_REQUEST_TIMEOUT))

    try:
        return poll(look, bool, timeout=timeout, interval=interval)
    except WaitTimedOut:
        raise SeamError(
            "SSH", f"no remote file matching '{path_or_pattern}' appeared on {connection.target} within {timeout:g}s"
        ) from None


def remove(connection: SshConnection, path: str, timeout: float, missing_ok: bool = False) -> bool:
    """Remove remote file `path`; returns False when it was already gone (and `missing_ok`)."""
    try:
        with _operation(connection, "remove", path, timeout) as (sftp, _span):
            sftp.remove(path)
    except _Missing:
        if missing_ok:
            return False
        raise SeamError("SSH", f"cannot remove {path} on {connection.target}: no such file") from None
    return True


def _put_atomically(connection: SshConnection, file: IO[bytes], size: int, remote: str, timeout: float) -> None:
    directory, name = posixpath.split(remote)
    partial = posixpath.join(directory, f".{name}.{uuid.uuid4().hex}.part")
    with _operation(connection, "put", remote, timeout) as (sftp, span):
        try:
            sftp.putfo(file, partial, file_size=size, confirm=True)
            _rename_over(sftp, partial, remote)
        except BaseException:
            _remove_quietly(sftp, partial)
            raise
        span.bytes_sent = size


def _rename_over(sftp: paramiko.SFTPClient, source: str, target: str) -> None:
    """POSIX rename replaces the target atomically; servers without it get remove + rename."""
    try:
        sftp.posix_rename(source, target)
    except OSError as error:
        if not _unsupported(error):
            raise
        _remove_quietly(sftp, target)
        sftp.rename(source, target)


def _unsupported(error: OSError) -> bool:
    return "unsupported" in str(error).lower() or "not supported" in str(error).lower()


def _remove_quietly(sftp: paramiko.SFTPClient, path: str) -> None:
    with contextlib.suppress(OSError):  # nothing to remove is the outcome we wanted
        sftp.remove(path)


def _is_directory(entry: paramiko.SFTPAttributes) -> bool:
    return entry.st_mode is not None and (entry.st_mode & 0o170000) == 0o040000


class _Missing(SeamError):
    """The remote path does not exist (callers that expect this catch it)."""


@contextmanager
def _operation(
    connection: SshConnection, operation: str, path: str, timeout: float
) -> Iterator[tuple[paramiko.SFTPClient, Span]]:
    """One SFTP operation: a span on the timeline, errors as SeamError."""
    with connection.timeline.span("sftp", operation, f"{connection.target}:{path}") as span:
        sftp = connection.sftp(timeout)
        with _errors(connection, operation, path, timeout):
            yield sftp, span


@contextmanager
def _errors(connection: SshConnection, operation: str, path: str, timeout: float) -> Iterator[None]:
    where = f"cannot {operation} {path} on {connection.target}"
    try:
        yield
    except TimeoutError:
        raise SeamError("SSH", f"{where}: no answer within {timeout:g}s") from None
    except FileNotFoundError:
        raise _Missing("SSH", f"{where}: no such file or directory") from None
    except PermissionError:
        raise SeamError("SSH", f"{where}: permission denied") from None
    except OSError as error:
        if error.errno == errno.ENOENT:
            raise _Missing("SSH", f"{where}: no such file or directory") from None
        raise SeamError("SSH", f"{where}: {error.strerror or error}") from None
    except (paramiko.SSHException, EOFError) as error:
        raise SeamError("SSH", f"{where}: {error}") from None
