"""The ledger's SSH server: password or public-key login, exec commands and SFTP."""

from __future__ import annotations

import base64
import hmac
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    MSG_CHANNEL_REQUEST,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)

from orderflow.ledger.commands import Ledger
from orderflow.ledger.sftp import LedgerSFTPServer
from orderflow.ledger.shell import ChannelSession, run_shell

log = logging.getLogger("orderflow.ledger")


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    authorized_keys: tuple[bytes, ...] = field(default=())  # public key blobs


def read_authorized_keys(path: Path) -> tuple[bytes, ...]:
    """Key blobs of an OpenSSH authorized_keys file (``type base64 [comment]``, no options)."""
    blobs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.lstrip().startswith("#"):
            blobs.append(base64.b64decode(parts[1]))
    return tuple(blobs)


def load_or_create_host_key(path: Path) -> paramiko.PKey:
    """The host key in `path`; a new Ed25519 key is written there first if there is none."""
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        path.touch(mode=0o600)
        path.write_bytes(pem)
    return paramiko.PKey.from_path(path)


class LedgerInterface(paramiko.ServerInterface):
    """Authentication and channel policy for one connection."""

    def __init__(self, credentials: Credentials, ledger: Ledger) -> None:
        self.credentials = credentials
        self.ledger = ledger
        # Exec commands and shells wait here until paramiko has answered the channel request.
        self._pending: dict[int, Callable[[], int]] = {}
        self._terminals: set[int] = set()

    def get_allowed_auths(self, username: str) -> str:
        return "password,publickey"

    def check_auth_password(self, username: str, password: str) -> int:
        if username == self.credentials.user and hmac.compare_digest(
            password.encode(), self.credentials.password.encode()
        ):
            return AUTH_SUCCESSFUL
        return AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if username == self.credentials.user and key.asbytes() in self.credentials.authorized_keys:
            return AUTH_SUCCESSFUL
        return AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(
        self,
        channel: paramiko.Channel,
        term: bytes,
        width: int,
        height: int,
        pixelwidth: int,
        pixelheight: int,
        modes: bytes,
    ) -> bool:
        self._terminals.add(channel.get_id())
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        terminal = channel.get_id() in self._terminals
        self._pending[channel.get_id()] = lambda: run_shell(self.ledger, channel, terminal)
        return True

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        command_line = command.decode("utf-8", errors="replace")
        terminal = channel.get_id() in self._terminals
        self._pending[channel.get_id()] = lambda: self.ledger.execute(command_line, ChannelSession(channel, terminal))
        return True

    def start_pending_command(self, channel: paramiko.Channel) -> None:
        command = self._pending.pop(channel.get_id(), None)
        if command is not None:
            threading.Thread(target=_run, args=(channel, command), name="ledger-command", daemon=True).start()


def _run(channel: paramiko.Channel, command: Callable[[], int]) -> None:
    try:
        status = command()
    except Exception:
        log.exception("command failed on channel %d", channel.get_id())
        ChannelSession(channel).write_error("ledger: internal error\n")
        status = 1
    try:
        channel.send_exit_status(status)
        channel.close()
    except (OSError, EOFError, paramiko.SSHException):
        log.info("client left before the exit status on channel %d", channel.get_id())


def _handle_request_then_start_command(channel: paramiko.Channel, message: paramiko.Message) -> None:
    # paramiko answers an exec request only after check_channel_exec_request returns. A command
    # started from there could close the channel before that answer, and paramiko clients then
    # fail with "Channel closed". So the command starts here, once the answer is sent.
    paramiko.Channel._handle_request(channel, message)  # type: ignore[attr-defined]
    interface = getattr(channel.get_transport(), "server_object", None)
    if isinstance(interface, LedgerInterface):
        interface.start_pending_command(channel)


class LedgerTransport(paramiko.Transport):
    _channel_handler_table = {
        **paramiko.Transport._channel_handler_table,  # type: ignore[attr-defined]
        MSG_CHANNEL_REQUEST: _handle_request_then_start_command,
    }


class LedgerServer:
    """Listens on `host`:`port` (0: any free port) and serves each connection in its threads."""

    def __init__(self, ledger: Ledger, credentials: Credentials, host_key: paramiko.PKey, host: str, port: int) -> None:
        self.ledger = ledger
        self.credentials = credentials
        self.host_key = host_key
        self.listener = socket.create_server((host, port))
        self.listener.settimeout(0.25)  # how often serve_forever looks at the stop flag
        self.address: tuple[str, int] = self.listener.getsockname()[:2]
        self._stop = threading.Event()
        self._transports: set[paramiko.Transport] = set()
        self._transports_lock = threading.Lock()

    def serve_forever(self) -> None:
        with self.listener:
            while not self._stop.is_set():
                try:
                    connection, peer = self.listener.accept()
                except TimeoutError:
                    continue
                threading.Thread(target=self._serve_connection, args=(connection, peer), daemon=True).start()
        with self._transports_lock:
            for transport in self._transports:
                transport.close()

    def stop(self) -> None:
        self._stop.set()

    def _serve_connection(self, connection: socket.socket, peer: tuple[str, int]) -> None:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = LedgerTransport(connection)
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler("sftp", paramiko.SFTPServer, LedgerSFTPServer, self.ledger.root)
        try:
            transport.start_server(server=LedgerInterface(self.credentials, self.ledger))
        except (paramiko.SSHException, EOFError, OSError) as error:
            log.info("connection from %s:%d failed: %s", *peer, error)
            transport.close()
            return
        with self._transports_lock:
            self._transports = {known for known in self._transports if known.is_active()}
            self._transports.add(transport)
