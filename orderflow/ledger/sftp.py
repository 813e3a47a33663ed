"""SFTP subsystem of the ledger: the ledger root as ``/``, no way out of it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import paramiko
from paramiko.sftp import SFTP_FAILURE, SFTP_OK, SFTP_PERMISSION_DENIED

from orderflow.ledger.root import LedgerRoot, OutsideRoot

_Result = TypeVar("_Result")


def _sftp_status(action: Callable[[], _Result]) -> _Result | int:
    """Run `action`, turning OS errors into the SFTP status codes paramiko sends back."""
    try:
        return action()
    except OutsideRoot:
        return SFTP_PERMISSION_DENIED
    except OSError as error:
        return paramiko.SFTPServer.convert_errno(error.errno) if error.errno else SFTP_FAILURE


def _sftp_done(action: Callable[[], object]) -> int:
    """SFTP_OK once `action` (which returns nothing useful) ran, else the error's status."""

    def run() -> int:
        action()
        return SFTP_OK

    return _sftp_status(run)


class LedgerSFTPHandle(paramiko.SFTPHandle):
    def __init__(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> None:
        super().__init__(flags)
        self.path = path
        descriptor = os.open(path, flags, getattr(attr, "st_mode", None) or 0o644)
        if flags & os.O_WRONLY:
            mode = "ab" if flags & os.O_APPEND else "wb"
        elif flags & os.O_RDWR:
            mode = "a+b" if flags & os.O_APPEND else "r+b"
        else:
            mode = "rb"
        # paramiko's SFTPHandle reads from .readfile, writes to .writefile and closes both.
        self.readfile = self.writefile = os.fdopen(descriptor, mode)

    def stat(self) -> paramiko.SFTPAttributes | int:
        return _sftp_status(lambda: paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno())))

    def chattr(self, attr: paramiko.SFTPAttributes) -> int:
        return _sftp_done(lambda: paramiko.SFTPServer.set_file_attr(self.path, attr))


class LedgerSFTPServer(paramiko.SFTPServerInterface):
    """Serves one ledger root; paramiko creates one per SFTP session."""

    def __init__(self, server: Any, root: LedgerRoot, *args: Any, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        self.root = root

    def _real(self, path: str) -> str:
        return str(self.root.resolve(path))

    def canonicalize(self, path: str) -> str:
        return self.root.canonical(path)

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        def listing() -> list[paramiko.SFTPAttributes]:
            with os.scandir(self._real(path)) as entries:
                return [
                    paramiko.SFTPAttributes.from_stat(entry.stat(), entry.name)
                    for entry in entries
                    if self.root.is_visible(Path(entry.path))
                ]

        return _sftp_status(listing)

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        return _sftp_status(lambda: paramiko.SFTPAttributes.from_stat(os.stat(self._real(path))))

    def lstat(self, path: str) -> paramiko.SFTPAttributes | int:
        # Symlinks are resolved (and confined) by the root, so there is no link to show.
        return self.stat(path)

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> paramiko.SFTPHandle | int:
        return _sftp_status(lambda: LedgerSFTPHandle(self._real(path), flags, attr))

    def remove(self, path: str) -> int:
        return _sftp_done(lambda: os.remove(self._real(path)))

    def rename(self, oldpath: str, newpath: str) -> int:
        # SFTP v3 rename, as OpenSSH does it: never overwrites an existing file.
        def renaming() -> int:
            if os.path.lexists(self._real(newpath)):
                return SFTP_FAILURE
            os.rename(self._real(oldpath), self._real(newpath))
            return SFTP_OK

        return _sftp_status(renaming)

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        return _sftp_done(lambda: os.replace(self._real(oldpath), self._real(newpath)))

    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return _sftp_done(lambda: os.mkdir(self._real(path)))

    def rmdir(self, path: str) -> int:
        return _sftp_done(lambda: os.rmdir(self._real(path)))

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return _sftp_done(lambda: paramiko.SFTPServer.set_file_attr(self._real(path), attr))
