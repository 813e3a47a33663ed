"""SSH: fast logins with verified host keys, and remote commands whose timeout really ends them.

Speed comes from the socket we create ourselves: TCP_NODELAY stops Nagle's algorithm from holding
small SSH packets back until the peer's delayed ACK (~40 ms per command with a default socket).
Command output is awaited with `select` on the channel, never with sleep loops.

Ending a command at its timeout: OpenSSH's `signal` request reaches the command's process group, but
a process that calls setsid, or a child left behind by a subshell that exited, is outside that group
and keeps running. On a server whose commands run in a POSIX shell, each command therefore starts by
exporting a unique `SEAMLINE_RUN_ID`; every process it starts inherits it (through fork, exec and
setsid), and at the timeout a second session finds them all by their environment in /proc and ends
them (TERM, then KILL) — the way Jenkins' ProcessTreeKiller finds a build's processes, without
cgroups or root.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import select
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
from paramiko.common import cMSG_CHANNEL_REQUEST

from ..errors import SeamError
from ..timeline import Timeline

DEFAULT_KNOWN_HOSTS = Path("~/.ssh/known_hosts")
SYSTEM_KNOWN_HOSTS = Path("/etc/ssh/ssh_known_hosts")
DEFAULT_KEY_FILES = ("~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa")
# Large windows let SFTP keep many requests in flight on a fast link.
WINDOW_SIZE = 2**27
MAX_PACKET_SIZE = 2**15
READ_CHUNK = 2**16
STDERR_TAIL = 1000
# paramiko's rc when the server sent no exit-status (OpenSSH sends exit-signal for a killed command).
NO_EXIT_STATUS = -1
# After a command's timeout: how long a TERM gets before KILL.
TERM_GRACE = 0.5
# How long stopping a timed-out command's processes may take, on top of its timeout.
STOP_TIMEOUT = 3.0
# Inherited by every process a command starts (setsid and double forks included): how the sweep finds them.
RUN_MARKER = "SEAMLINE_RUN_ID"
# Ends the processes whose environment holds the marker: TERM, up to TERM_GRACE for them to go, KILL the
# rest (in rounds: a dying parent may still fork). `m` is not exported, so the sweep never marks itself.
# Prints "<found> <left>", or "no-proc" where /proc cannot be searched (only the process group was signalled).
_SWEEP = """m='{marker}'
[ -r /proc/self/environ ] || {{ echo no-proc; exit 0; }}
marked() {{ grep -lasF "$m" /proc/[0-9]*/environ | sed -n 's,^/proc/\\([0-9]*\\)/environ$,\\1,p'; }}
p=$(marked); found=$(echo $p | wc -w)
[ -n "$p" ] && kill -TERM $p 2>/dev/null
i=0; while [ -n "$p" ] && [ $i -lt {grace_rounds} ]; do sleep 0.1; p=$(marked); i=$((i+1)); done
i=0; while [ -n "$p" ] && [ $i -lt 10 ]; do kill -KILL $p 2>/dev/null; sleep 0.05; p=$(marked); i=$((i+1)); done
echo "$found $(echo $p | wc -w)"
"""


@dataclass
class CommandResult:
    """What a remote command produced."""

    command: str
    stdout: str
    stderr: str
    rc: int

    def __str__(self) -> str:
        return f"rc={self.rc} stdout={self.stdout!r} stderr={self.stderr!r}"


class SshConnection:
    """One logged-in SSH connection; every command and transfer on it records a span on the timeline.

    `posix_shell`: the server runs commands in a POSIX shell, so each command is marked and a timeout
    ends every process it started; otherwise commands are sent as written and a timeout signals only
    the command's process group.
    """

    def __init__(
        self,
        transport: paramiko.Transport,
        host: str,
        port: int,
        user: str,
        timeline: Timeline | None,
        posix_shell: bool = False,
    ):
        self.transport = transport
        self.host = host
        self.port = port
        self.user = user
        self.timeline = timeline if timeline is not None else Timeline()
        self.posix_shell = posix_shell
        self._sftp: paramiko.SFTPClient | None = None

    @property
    def target(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"

    def sftp(self, timeout: float) -> paramiko.SFTPClient:
        """The connection's SFTP session (opened once); its requests fail after `timeout` seconds."""
        if self._sftp is None or self._sftp.sock.closed:
            self._check_alive()
            try:
                self._sftp = paramiko.SFTPClient.from_transport(
                    self.transport, window_size=WINDOW_SIZE, max_packet_size=MAX_PACKET_SIZE
                )
            except (paramiko.SSHException, OSError, EOFError) as error:
                raise SeamError("SSH", f"cannot open an SFTP session on {self.target}: {error}") from None
            if self._sftp is None:
                raise SeamError("SSH", f"{self.target} refused the SFTP subsystem")
        channel = self._sftp.get_channel()
        if channel is not None:
            channel.settimeout(timeout)
        return self._sftp

    def run(self, command: str, timeout: float) -> CommandResult:
        """Run `command`; past `timeout` seconds its processes are ended (TERM, then KILL) and it fails."""
        deadline = time.monotonic() + timeout
        with self.timeline.span("ssh", "exec", self.target) as span:
            span.attributes["command"] = command
            marker = f"{RUN_MARKER}={uuid.uuid4().hex}" if self.posix_shell else None
            result = self._exec(command, marker, deadline, timeout)
            span.bytes_sent = len(command)
            span.bytes_received = len(result.stdout) + len(result.stderr)
            span.attributes["rc"] = result.rc
            return result

    def close(self) -> None:
        if self._sftp is not None:
            self._sftp.close()
        self.transport.close()

    def _check_alive(self) -> None:
        if not self.transport.is_active():
            raise SeamError("SSH", f"the connection to {self.target} is closed; open it again")

    def _open_channel(self, timeout: float) -> paramiko.Channel:
        self._check_alive()
        try:
            return self.transport.open_session(timeout=timeout)
        except (paramiko.SSHException, OSError, EOFError) as error:
            raise SeamError("SSH", f"cannot open a session on {self.target}: {str(error).rstrip('.')}") from None

    def _exec(self, command: str, marker: str | None, deadline: float, timeout: float) -> CommandResult:
        channel = self._open_channel(timeout)
        try:
            # A plain assignment and export: the most portable POSIX shell syntax (old Bourne shells too).
            sent = f"{marker}; export {RUN_MARKER}; {command}" if marker else command
            _start(channel, sent, deadline, f"{self.target} did not start command '{command}'")
            stdout, stderr = bytearray(), bytearray()
            finished = _collect(channel, stdout, stderr, deadline)
            if finished and channel.status_event.wait(max(deadline - time.monotonic(), 0)):
                return CommandResult(command, _text(stdout), _text(stderr), channel.recv_exit_status())
            exited = channel.exit_status_ready()
            stopped = self._stop(channel, marker)
        finally:
            channel.close()
        output = _tail(_text(stdout) + _text(stderr))
        what = (
            f"exited (rc {channel.recv_exit_status()}) but a process it started still held its output open after "
            f"{_seconds(timeout)}"
            if exited
            else f"did not finish within {_seconds(timeout)}"
        )
        raise SeamError(
            "SSH", f"command '{command}' on {self.target} {what}; {stopped}. Output so far: {output or '(none)'}"
        )

    def _stop(self, channel: paramiko.Channel, marker: str | None) -> str:
        """End a timed-out command: signal its process group, sweep its marked processes; says what was done."""
        _signal(channel, self.transport, "TERM")
        if marker is None:
            channel.status_event.wait(TERM_GRACE)
            _signal(channel, self.transport, "KILL")
            return "its process group was stopped (TERM, then KILL) and its channel closed"
        swept = self._sweep(marker)
        _signal(channel, self.transport, "KILL")
        return swept

    def _sweep(self, marker: str) -> str:
        """Ends every process carrying `marker`, in a session of its own; says how that went."""
        deadline = time.monotonic() + STOP_TIMEOUT
        script = _SWEEP.format(marker=marker, grace_rounds=round(TERM_GRACE / 0.1))
        try:
            channel = self._open_channel(STOP_TIMEOUT)
        except SeamError as error:
            return f"its processes may still run: {error.detail}"
        try:
            _start(channel, script, deadline, "the server did not start the clean-up")
            stdout, stderr = bytearray(), bytearray()
            if not _collect(channel, stdout, stderr, deadline):
                return f"its processes may still run: stopping them did not finish within {_seconds(STOP_TIMEOUT)}"
        except SeamError as error:
            return f"its processes may still run: {error.detail}"
        finally:
            channel.close()
        report = _text(stdout).split()
        if report == ["no-proc"]:
            return "its process group was stopped (TERM, then KILL); the server has no /proc to find the others"
        if len(report) != 2 or not all(count.isdigit() for count in report):
            return f"its processes may still run: stopping them failed: {_tail(_text(stderr + stdout)) or 'no answer'}"
        found, left = (int(count) for count in report)
        if left:
            return f"{left} of the {found} processes it started are still running after TERM and KILL"
        return "it was stopped with every process it started (TERM, then KILL)"


def check_rc(result: CommandResult, expected_rc: int | None, target: str) -> None:
    """Fail unless the command ended with `expected_rc` (None accepts any)."""
    if expected_rc is None or result.rc == expected_rc:
        return
    stderr = _tail(result.stderr) or "(empty)"
    got = f"{result.rc}" if result.rc != NO_EXIT_STATUS else f"{result.rc} (no exit status: killed by a signal?)"
    raise SeamError(
        "SSH",
        f"command '{result.command}' on {target} expected rc {expected_rc}, got {got}; stderr: {stderr}",
    )


def connect(
    host: str,
    port: int = 22,
    user: str = "",
    password: str | None = None,
    key_file: str | os.PathLike[str] | None = None,
    passphrase: str | None = None,
    known_hosts: str | os.PathLike[str] | None = None,
    trust_unknown_host: bool = False,
    *,
    timeout: float,
    timeline: Timeline | None = None,
    host_key_fingerprint: str | None = None,
    posix_shell: bool | None = None,
) -> tuple[SshConnection, str]:
    """Log in; returns the connection and a note on the host key (trusted now, or verified).

    `host_key_fingerprint` (``SHA256:...``) pins the server's key instead of known_hosts.
    `posix_shell` None: OpenSSH servers are taken to run commands in a POSIX shell, others not.
    """
    user = user or _local_user()
    timeline = timeline if timeline is not None else Timeline()
    target = f"{user}@{host}:{port}"
    known = KnownHosts(known_hosts)
    with timeline.span("ssh", "connect", target) as span:
        sock = _open_socket(host, port, timeout)
        transport = paramiko.Transport(sock, default_window_size=WINDOW_SIZE, default_max_packet_size=MAX_PACKET_SIZE)
        try:
            transport.banner_timeout = transport.auth_timeout = transport.handshake_timeout = timeout
            known.prefer_known_key_types(transport, host, port)
            _handshake(transport, host, port, timeout)
            server_key = transport.get_remote_server_key()
            if host_key_fingerprint:
                host_key_note = _verify_fingerprint(server_key, host_key_fingerprint, f"{host}:{port}")
            else:
                host_key_note = known.verify(server_key, host, port, trust_unknown_host)
            _authenticate(transport, user, password, key_file, passphrase, target)
        except BaseException:
            transport.close()
            raise
        span.attributes["host_key"] = host_key_note
    if posix_shell is None:
        posix_shell = runs_a_posix_shell(transport.remote_version)
    return SshConnection(transport, host, port, user, timeline, posix_shell), host_key_note


def runs_a_posix_shell(server_version: str) -> bool:
    """OpenSSH runs an exec request in the user's login shell: a POSIX one, but cmd.exe on Windows."""
    return server_version.startswith("SSH-2.0-OpenSSH") and "Windows" not in server_version


class KnownHosts:
    """Host keys from a known_hosts file (default ~/.ssh/known_hosts, plus the system file)."""

    def __init__(self, path: str | os.PathLike[str] | None):
        self.path = Path(path or DEFAULT_KNOWN_HOSTS).expanduser()
        self.keys = paramiko.HostKeys()
        files = [self.path] if path else [SYSTEM_KNOWN_HOSTS, self.path]
        for file in files:
            if file.is_file():
                try:
                    self.keys.load(str(file))
                except (OSError, paramiko.SSHException, paramiko.hostkeys.InvalidHostKey) as error:
                    raise SeamError("SSH", f"cannot read known_hosts file {file}: {error}") from None

    @staticmethod
    def entry_name(host: str, port: int) -> str:
        return host if port == 22 else f"[{host}]:{port}"

    def prefer_known_key_types(self, transport: paramiko.Transport, host: str, port: int) -> None:
        """Ask the server first for a key type we know, so a host with several keys is not seen as changed."""
        known = self.keys.lookup(self.entry_name(host, port))
        if not known:
            return
        options = transport.get_security_options()
        known_types = [key_type for key_type in known if key_type in options.key_types]
        options.key_types = known_types + [key_type for key_type in options.key_types if key_type not in known_types]

    def verify(self, key: paramiko.PKey, host: str, port: int, trust_unknown: bool) -> str:
        name = self.entry_name(host, port)
        offered = f"{key.get_name()} {key.fingerprint}"
        known = self.keys.lookup(name)
        if known is not None and known.get(key.get_name()) == key:
            return f"host key of {name} verified: {offered}"
        if known:
            listed = ", ".join(f"{kind} {value.fingerprint}" for kind, value in known.items())
            raise SeamError(
                "SSH",
                f"host key of {name} has CHANGED: known_hosts {self.path} has {listed}, the server offered {offered}. "
                "Someone may be intercepting the connection; if the change is expected, update known_hosts",
            )
        if not trust_unknown:
            raise SeamError(
                "SSH",
                f"host key of {name} is unknown: {offered} is not in {self.path}; add it to known_hosts "
                "or pass trust_unknown_host=True",
            )
        self._remember(name, key)
        return f"host key of {name} trusted on first use: {offered} (added to {self.path})"

    def _remember(self, name: str, key: paramiko.PKey) -> None:
        self.keys.add(name, key.get_name(), key)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="ascii") as file:
                file.write(f"{name} {key.get_name()} {key.get_base64()}\n")
        except OSError as error:
            raise SeamError("SSH", f"cannot add the host key of {name} to {self.path}: {error}") from None


def _handshake(transport: paramiko.Transport, host: str, port: int, timeout: float) -> None:
    started = time.monotonic()
    try:
        transport.start_client(timeout=timeout)
    except (paramiko.SSHException, OSError, EOFError) as error:
        # paramiko's banner timeout (the same length) can fire before start_client's own: still a timeout.
        if time.monotonic() - started >= timeout * 0.9:
            raise SeamError("SSH", f"no SSH handshake with {host}:{port} within {_seconds(timeout)}") from None
        raise SeamError("SSH", f"SSH handshake with {host}:{port} failed: {error}") from None
    # start_client returns quietly when its timeout passes: the key exchange may not be done.
    if not transport.initial_kex_done:
        raise SeamError("SSH", f"no SSH handshake with {host}:{port} within {_seconds(timeout)}")


def _verify_fingerprint(key: paramiko.PKey, expected: str, server: str) -> str:
    wanted = expected if expected.startswith("SHA256:") else f"SHA256:{expected}"
    if key.fingerprint != wanted:
        raise SeamError(
            "SSH", f"host key of {server} is {key.get_name()} {key.fingerprint}, expected fingerprint {wanted}"
        )
    return f"host key of {server} matches the expected fingerprint {wanted}"


def _open_socket(host: str, port: int, timeout: float) -> socket.socket:
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        raise SeamError("SSH", f"cannot connect to {host}:{port}: no answer within {_seconds(timeout)}") from None
    except OSError as error:
        raise SeamError("SSH", f"cannot connect to {host}:{port}: {error.strerror or error}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _authenticate(
    transport: paramiko.Transport,
    user: str,
    password: str | None,
    key_file: str | os.PathLike[str] | None,
    passphrase: str | None,
    target: str,
) -> None:
    try:
        if key_file:
            transport.auth_publickey(user, _load_key(key_file, passphrase))
        elif password is not None:
            transport.auth_password(user, password, fallback=False)
        else:
            _auth_with_default_keys(transport, user, target)
    except paramiko.BadAuthenticationType as error:
        allowed = ", ".join(error.allowed_types)
        raise SeamError(
            "SSH", f"login to {target} failed: the server does not allow this method (allows {allowed})"
        ) from None
    except paramiko.AuthenticationException:
        method = f"key {key_file}" if key_file else "password" if password is not None else "default keys"
        raise SeamError("SSH", f"login to {target} with {method} failed: authentication rejected") from None
    except (paramiko.SSHException, OSError, EOFError) as error:
        raise SeamError("SSH", f"login to {target} failed: {error}") from None


def _load_key(key_file: str | os.PathLike[str], passphrase: str | None) -> paramiko.PKey:
    path = Path(key_file).expanduser()
    if not path.is_file():
        raise SeamError("SSH", f"key file {path} does not exist")
    try:
        # The stubs say str, but paramiko hands the password to cryptography, which needs bytes.
        return paramiko.PKey.from_path(path, password=passphrase.encode() if passphrase else None)  # type: ignore[arg-type]
    except (paramiko.PasswordRequiredException, TypeError):
        # cryptography raises TypeError for an encrypted key loaded without a passphrase
        raise SeamError("SSH", f"key file {path} is protected: give its passphrase") from None
    except (paramiko.SSHException, ValueError, OSError):
        raise SeamError("SSH", f"cannot load key file {path}: wrong passphrase, or not a private key") from None


def _auth_with_default_keys(transport: paramiko.Transport, user: str, target: str) -> None:
    """No password nor key given: try the SSH agent's keys, then unprotected default key files."""
    keys: list[Any] = list(paramiko.Agent().get_keys())
    for candidate in DEFAULT_KEY_FILES:
        path = Path(candidate).expanduser()
        if path.is_file():
            try:
                keys.append(paramiko.PKey.from_path(path))
            except (paramiko.SSHException, ValueError, OSError):
                continue  # a protected or unreadable default key is simply not a candidate
    for key in keys:
        try:
            transport.auth_publickey(user, key)
            return
        except paramiko.AuthenticationException:
            continue
    raise SeamError("SSH", f"login to {target} failed: no password or key_file given and no default key was accepted")


def _collect(channel: paramiko.Channel, stdout: bytearray, stderr: bytearray, deadline: float) -> bool:
    """Read both streams until the remote end closes them; False when the deadline passes first."""
    while True:
        while channel.recv_ready():
            stdout += channel.recv(READ_CHUNK)
        while channel.recv_stderr_ready():
            stderr += channel.recv_stderr(READ_CHUNK)
        if channel.eof_received or channel.closed:
            stdout += _drain(channel.recv)
            stderr += _drain(channel.recv_stderr)
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        select.select([channel], [], [], remaining)


def _drain(read: Any) -> bytes:
    chunks = []
    while chunk := read(READ_CHUNK):
        chunks.append(chunk)
    return b"".join(chunks)


def _start(channel: paramiko.Channel, command: str, deadline: float, failure: str) -> None:
    """Send the exec request; paramiko awaits the server's answer without a timeout: close on our deadline."""
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), channel.close)
    watchdog.start()
    try:
        channel.exec_command(command)
    except (paramiko.SSHException, OSError, EOFError) as error:
        raise SeamError("SSH", f"{failure}: {error}") from None
    finally:
        watchdog.cancel()


def _signal(channel: paramiko.Channel, transport: paramiko.Transport, signal_name: str) -> None:
    """OpenSSH delivers a `signal` request to the command's whole process group (killpg)."""
    if channel.closed or channel.exit_status_ready() or not transport.is_active():
        return
    message = paramiko.Message()
    message.add_byte(cMSG_CHANNEL_REQUEST)
    message.add_int(channel.remote_chanid)
    message.add_string("signal")
    message.add_boolean(False)
    message.add_string(signal_name)
    # paramiko has no public call for a channel "signal" request (RFC 4254 6.9).
    with contextlib.suppress(paramiko.SSHException, OSError, EOFError):  # a gone channel needs no signal
        transport._send_user_message(message)  # type: ignore[attr-defined]


def _text(data: bytes | bytearray) -> str:
    return bytes(data).decode("utf-8", errors="replace")


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= STDERR_TAIL else "…" + text[-STDERR_TAIL:]


def _seconds(timeout: float) -> str:
    return f"{timeout:g}s"


def _local_user() -> str:
    return getpass.getuser()
