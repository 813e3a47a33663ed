"""The ledger's directory tree, as SFTP clients and exec commands see it (a chroot)."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

FOLDERS = ("inbox", "outbox", "errors", "archive")


class OutsideRoot(PermissionError):
    """A path that would leave the ledger root, for instance through a symlink."""


class LedgerRoot:
    """Clients see only the FOLDERS; the host key and ledger.db beside them stay private."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        for folder in FOLDERS:
            (self.directory / folder).mkdir(parents=True, exist_ok=True)

    @staticmethod
    def canonical(client_path: str) -> str:
        """Absolute client path; ``..`` stops at ``/``, as under chroot."""
        return posixpath.normpath(posixpath.join("/", client_path)).replace("//", "/")

    def resolve(self, client_path: str) -> Path:
        """The real path of `client_path`; raises OutsideRoot if it (or a symlink) leaves root."""
        relative = self.canonical(client_path).lstrip("/")
        real = Path(os.path.realpath(self.directory / relative))
        if not self.is_visible(real):
            raise OutsideRoot(f"{client_path}: outside the ledger folders")
        return real

    def is_visible(self, real: Path) -> bool:
        """True for the root itself and anything inside one of its FOLDERS."""
        if real == self.directory:
            return True
        return self.directory in real.parents and real.relative_to(self.directory).parts[0] in FOLDERS
