"""Forwarding without copying on Linux: socket to pipe to socket with splice(2), the bytes never in Python.

A pump with no fault on its direction moves chunks this way (elsewhere, and where splice is refused, it
falls back to recv and sendall); when a fault arrives, what the pipe holds is read out and shaped.
"""

from __future__ import annotations

import contextlib
import errno
import os

CHUNK = 1024 * 1024
_F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ, named in the fcntl module from Python 3.10 on Linux only


class Splicer:
    """One pipe between a source socket and a target socket."""

    def __init__(self) -> None:
        self.read_end, self.write_end = os.pipe()
        with contextlib.suppress(OSError):  # a bigger pipe moves more per call; the default 64 KB works too
            import fcntl

            fcntl.fcntl(self.write_end, _F_SETPIPE_SZ, CHUNK)

    def take(self, source: int) -> int:
        """Wait for data on `source` and move up to a chunk of it into the pipe; 0 at its end."""
        return os.splice(source, self.write_end, CHUNK)

    def give(self, target: int, size: int) -> None:
        """Move `size` bytes from the pipe to `target` (blocking until the target takes them)."""
        while size:
            size -= os.splice(self.read_end, target, size)

    def read(self, size: int) -> bytes:
        """Take `size` bytes out of the pipe into Python (a fault has to see them)."""
        parts = []
        while size:
            part = os.read(self.read_end, size)
            parts.append(part)
            size -= len(part)
        return b"".join(parts)

    def close(self) -> None:
        os.close(self.read_end)
        os.close(self.write_end)


def open_splicer() -> Splicer | None:
    """A splicer where the system has splice(2), else None (the pump then copies)."""
    if not hasattr(os, "splice"):
        return None
    try:
        return Splicer()
    except OSError as error:  # out of descriptors: copying still works
        if error.errno in (errno.EMFILE, errno.ENFILE):
            return None
        raise
