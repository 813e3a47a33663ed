"""Exec commands of the ledger: ``ledger post|balance`` and a few POSIX-like helpers.

Exit statuses: 0 success; 1 failure (missing file, usage, ``.part`` upload, unreadable
path); 2 batch rejected by ``ledger post`` (also: ``ls`` of a missing path, unparsable
command line, as in sh); 127 unknown command. Paths are inside the ledger root, as in SFTP.
"""

from __future__ import annotations

import json
import logging
import shlex
import threading
from collections.abc import Callable
from typing import Protocol

from orderflow.ledger.posting import Poster, PostFailed
from orderflow.ledger.root import LedgerRoot
from orderflow.ledger.store import PostingStore

UNKNOWN_COMMAND = 127
log = logging.getLogger("orderflow.ledger")


class Session(Protocol):
    """Where a command writes, and how it learns that the client went away."""

    def write(self, data: bytes) -> None: ...

    def write_error(self, text: str) -> None: ...

    def wait_closed(self, seconds: float) -> bool:
        """Wait up to `seconds`; True as soon as the client closed the channel."""
        ...


class CommandFailed(Exception):
    def __init__(self, exit_status: int, message: str) -> None:
        super().__init__(message)
        self.exit_status = exit_status


class Ledger:
    """Runs exec commands against one ledger root; safe to call from many threads."""

    def __init__(self, root: LedgerRoot, store: PostingStore, encoding: str) -> None:
        self.root = root
        self.store = store
        self.poster = Poster(root, store, encoding)
        self._running: dict[int, str] = {}
        self._running_lock = threading.Lock()
        self._commands: dict[str, Callable[[list[str], Session], None]] = {
            "ledger": self._ledger,
            "echo": self._echo,
            "cat": self._cat,
            "ls": self._ls,
            "sleep": self._sleep,
            "ps": self._ps,
        }

    def execute(self, command_line: str, session: Session) -> int:
        """Run `command_line`, writing to `session`; returns the exit status."""
        try:
            words = shlex.split(command_line)
        except ValueError as error:
            session.write_error(f"ledger: cannot parse command: {error}\n")
            return 2
        if not words or words[0] not in self._commands:
            session.write_error(f"ledger: {words[0] if words else ''}: command not found\n")
            return UNKNOWN_COMMAND
        key = threading.get_ident()
        with self._running_lock:
            self._running[key] = command_line
        try:
            self._commands[words[0]](words[1:], session)
            status = 0
        except (CommandFailed, PostFailed) as error:
            session.write_error(f"{error}\n")
            status = error.exit_status
        finally:
            with self._running_lock:
                del self._running[key]
        log.info("exit %d: %s", status, command_line)
        return status

    def _ledger(self, arguments: list[str], session: Session) -> None:
        match arguments:
            case ["post", batch]:
                result = self.poster.post(batch)
            case ["balance"]:
                result = self.store.balance()
            case _:
                raise CommandFailed(1, "usage: ledger post <inbox file or batch_id> | ledger balance")
        session.write(json.dumps(result).encode() + b"\n")

    def _echo(self, arguments: list[str], session: Session) -> None:
        session.write((" ".join(arguments) + "\n").encode())

    def _cat(self, arguments: list[str], session: Session) -> None:
        for name in arguments:
            try:
                session.write(self.root.resolve(name).read_bytes())
            except OSError as error:
                raise CommandFailed(1, f"cat: {name}: {error.strerror or error}") from None

    def _ls(self, arguments: list[str], session: Session) -> None:
        name = arguments[0] if arguments else "/"
        try:
            path = self.root.resolve(name)
            if not path.exists():
                raise FileNotFoundError(2, "No such file or directory")
            if path.is_dir():
                names = sorted(entry.name for entry in path.iterdir() if self.root.is_visible(entry))
            else:
                names = [name]
        except OSError as error:
            raise CommandFailed(2, f"ls: {name}: {error.strerror or error}") from None
        session.write("".join(f"{entry}\n" for entry in names).encode())

    def _sleep(self, arguments: list[str], session: Session) -> None:
        try:
            (seconds,) = (float(argument) for argument in arguments)
        except ValueError:
            raise CommandFailed(1, "usage: sleep <seconds>") from None
        # No process to kill: the sleep is a wait that ends when the client closes the channel.
        session.wait_closed(seconds)

    def _ps(self, arguments: list[str], session: Session) -> None:
        with self._running_lock:
            commands = sorted(self._running.values())
        session.write("".join(f"{command}\n" for command in commands).encode())
