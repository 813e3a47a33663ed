"""How commands talk to an SSH channel: exec sessions, and the interactive shell.

The shell exists for clients that open one to log in (SSHLibrary's ``Login`` does): it
echoes what is typed when a pty was requested, runs each line as an exec command would,
and prints the prompt ``ledger$ ``. ``exit`` or closing the channel ends it.
"""

from __future__ import annotations

import logging
import re

import paramiko

from orderflow.ledger.commands import Ledger

log = logging.getLogger("orderflow.ledger")
PROMPT = b"ledger$ "
_LINE_END = re.compile(rb"\r\n|\r|\n")


class ChannelSession:
    """A command's view of its channel; writes after the client left are dropped."""

    def __init__(self, channel: paramiko.Channel, terminal: bool = False) -> None:
        self.channel = channel
        # A terminal (pty) wants CR LF, and has one stream: errors go to the same screen.
        self.terminal = terminal

    def write(self, data: bytes) -> None:
        if self.terminal:
            data = re.sub(rb"\r?\n", b"\r\n", data)
        try:
            self.channel.sendall(data)
        except OSError:
            log.info("client left before reading all output")

    def write_error(self, text: str) -> None:
        if self.terminal:
            self.write(text.encode())
            return
        try:
            self.channel.sendall_stderr(text.encode())
        except OSError:
            log.info("client left before reading all errors")

    def wait_closed(self, seconds: float) -> bool:
        # paramiko sets status_event when the channel (or its transport) closes.
        return self.channel.status_event.wait(max(seconds, 0.0))


def run_shell(ledger: Ledger, channel: paramiko.Channel, terminal: bool) -> int:
    """Serve an interactive shell until ``exit`` or the client goes; returns the exit status."""
    session = ChannelSession(channel, terminal)
    session.write(PROMPT)
    pending = b""
    while True:
        try:
            received = channel.recv(4096)
        except OSError:
            return 0
        if not received:
            return 0
        if terminal:
            session.write(_LINE_END.sub(b"\n", received))
        *lines, pending = _LINE_END.split(pending + received)
        for line in lines:
            command_line = line.decode("utf-8", errors="replace").strip()
            if command_line == "exit":
                return 0
            if command_line:
                ledger.execute(command_line, session)
            session.write(PROMPT)
