"""Legacy systems over SSH and SFTP."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from robot.api.deco import keyword
from robot.api.types import Secret

from ..engine.connections import Connections
from ..engine.context import SeamContext
from ..engine.errors import SeamError
from ..engine.ssh import sftp
from ..engine.ssh.client import CommandResult, SshConnection, check_rc, connect
from .base import SeamKeywords


def ssh_connections(ctx: SeamContext) -> Connections[SshConnection]:
    """The SSH connections, shared by the SSH keywords and the records keywords' ``remote=True``."""
    return ctx.seam("SSH", "Connect To Ssh", close=SshConnection.close)


class SshKeywords(SeamKeywords):
    """Legacy systems over SSH and SFTP: commands with real timeouts, atomic uploads, waiting for files."""

    SEAM = "SSH"

    @property
    def connections(self) -> Connections[SshConnection]:
        return ssh_connections(self.ctx)

    def _connection(self, alias: str | None) -> SshConnection:
        return self.connections.get(alias or None)

    @keyword
    def connect_to_ssh(
        self,
        host: str,
        port: int = 22,
        user: str = "",
        password: Secret | str | None = None,
        key_file: str | None = None,
        passphrase: Secret | str | None = None,
        known_hosts: str | None = None,
        trust_unknown_host: bool = False,
        alias: str = "default",
        timeout: timedelta | None = None,
        host_key_fingerprint: str | None = None,
        posix_shell: bool | None = None,
    ) -> None:
        """Logs in to ``host`` over SSH with a password or a key file; the connection becomes the current one.

        The server's host key is checked against ``known_hosts`` (default ``~/.ssh/known_hosts`` and
        ``/etc/ssh/ssh_known_hosts``). An unknown key fails, showing its fingerprint, unless
        ``trust_unknown_host=True``: then the key is added to ``known_hosts`` and its fingerprint logged.
        A key that differs from the known one always fails, naming both fingerprints.
        ``host_key_fingerprint=SHA256:...`` pins the server's key instead of known_hosts.

        ``password`` and the key's ``passphrase`` should be ``Secret`` values. Without password
        and key file, the SSH agent's keys and unprotected ``~/.ssh/id_*`` keys are tried.
        ``timeout`` bounds connecting, the handshake and the login.

        ``posix_shell`` says whether the server runs commands in a POSIX shell (sh, bash, dash, ksh,
        zsh). Then `Run Remote Command` marks each command (it exports ``SEAMLINE_RUN_ID``) so that
        its timeout ends every process the command started, those that left its process group
        (``setsid``, daemons, subshells' children) too. By default OpenSSH servers are taken to have
        one and other servers not; give ``posix_shell=False`` for a server that runs commands itself
        (an appliance, a forced command, ``git-shell``): commands are then sent exactly as written and
        a timeout signals only the command's process group.

        | `Connect To Ssh` | ledger.example.com | user=settle | password=${LEDGER_PASSWORD} |
        | `Connect To Ssh` | 127.0.0.1 | 2222 | settle | key_file=${KEY} | passphrase=${PHRASE} | alias=ledger |
        """
        connection, host_key_note = connect(
            host,
            port,
            user,
            password=self.masker.reveal(password),
            key_file=key_file,
            passphrase=self.masker.reveal(passphrase),
            known_hosts=known_hosts,
            trust_unknown_host=trust_unknown_host,
            timeout=self.seconds(timeout),
            timeline=self.timeline,
            host_key_fingerprint=host_key_fingerprint,
            posix_shell=posix_shell,
        )
        self.connections.add(alias, connection)
        log = self.warn if "trusted on first use" in host_key_note else self.info
        shell = "commands run in a POSIX shell" if connection.posix_shell else "commands are sent as written"
        log(f"Logged in to {connection.target} as '{alias}'; {host_key_note}; {shell}.")

    @keyword
    def disconnect_from_ssh(self, alias: str | None = None) -> None:
        """Closes the current SSH connection (none open is fine), or the one named ``alias``.

        Fails, listing the open connections, when no connection has that alias.

        | `Disconnect From Ssh` | alias=ledger |
        """
        self.connections.close(alias)

    @keyword
    def disconnect_from_all_ssh(self) -> None:
        """Closes every SSH connection (the library also does at the end of the run).

        | [Teardown] | `Disconnect From All Ssh` |
        """
        self.connections.close_all()

    @keyword
    def switch_ssh(self, alias: str) -> None:
        """Makes the SSH connection ``alias`` the current one (aliases match ignoring case, spaces, underscores).

        | `Switch Ssh` | ledger |
        """
        self.connections.switch(alias)

    @keyword
    def run_remote_command(
        self,
        command: str,
        expected_rc: int | None = 0,
        timeout: timedelta | None = None,
        alias: str | None = None,
        msg: str | None = None,
    ) -> CommandResult:
        """Runs ``command`` on the SSH connection and returns its result: ``stdout``, ``stderr``, ``rc``.

        Fails when the return code is not ``expected_rc`` (``expected_rc=None`` accepts any), showing
        the command, the return code and the end of stderr. The command ends when its output does:
        a process it leaves running with the output still open (``(sleep 60 &)``) keeps it going.
        When ``timeout`` passes, the command is ended and the keyword fails: on a server with a POSIX
        shell (see `Connect To Ssh`) every process it started gets TERM, then KILL, also those that
        left its process group or session; elsewhere its process group does. Ending them takes at
        most 3 seconds more. Background processes of a command that finished are left alone
        (``nohup server >log 2>&1 &``).
        ``rc`` is -1 when the command ended without an exit status (killed by a signal).
        ``msg`` replaces the message of a wrong return code.

        | ${result} = | `Run Remote Command` | ledger post /inbox/batch-001.dat |
        | Should Contain | ${result.stdout} | POSTED |
        | ${result} = | `Run Remote Command` | test -e /inbox/lock | expected_rc=None |
        | `Run Remote Command` | ledger post /inbox/batch-001.dat | msg=The ledger refused the batch |
        """
        connection = self._connection(alias)
        result = connection.run(command, self.seconds(timeout))
        streams = "".join(
            f"\n{name}:\n{self.cut(text)}"
            for name, text in (("stdout", result.stdout), ("stderr", result.stderr))
            if text
        )
        self.info(f"Ran '{command}' on {connection.target}: rc {result.rc}.{streams}")
        try:
            check_rc(result, expected_rc, connection.target)
        except SeamError as error:
            self.fail(error.detail, msg)
        return result

    @keyword
    def upload_file(self, local: str, remote: str, alias: str | None = None, timeout: timedelta | None = None) -> str:
        """Uploads file ``local`` to ``remote`` (a path, or a directory ending in ``/``); returns the remote path.

        The file is written under a hidden temporary name in the target directory and renamed into
        place, so a reader never sees half a file.

        | `Upload File` | ${CURDIR}/batch-001.dat | /ledger/inbox/ |
        """
        connection = self._connection(alias)
        path = sftp.upload_file(connection, local, remote, self.seconds(timeout))
        self.info(f"Uploaded {local} to {connection.target}:{path} ({Path(local).stat().st_size} bytes).")
        return path

    @keyword
    def download_file(self, remote: str, local: str, alias: str | None = None, timeout: timedelta | None = None) -> str:
        """Downloads ``remote`` to ``local`` (a path, or an existing directory); returns the local path.

        | ${ack} = | `Download File` | /ledger/outbox/batch-001.ack | ${OUTPUT DIR} |
        """
        connection = self._connection(alias)
        path = sftp.download_file(connection, remote, local, self.seconds(timeout))
        self.info(f"Downloaded {connection.target}:{remote} to {path} ({path.stat().st_size} bytes).")
        return str(path)

    @keyword
    def read_remote_file(
        self, path: str, encoding: str = "UTF-8", alias: str | None = None, timeout: timedelta | None = None
    ) -> str:
        """Returns the content of remote file ``path`` decoded with ``encoding``.

        | ${text} = | `Read Remote File` | /ledger/outbox/batch-001.err |
        """
        data = sftp.read_remote_bytes(self._connection(alias), path, self.seconds(timeout))
        text = data.decode(encoding, errors="replace")
        self.debug(self.cut(text))
        return text

    @keyword
    def create_remote_file(
        self,
        path: str,
        content: str | bytes = "",
        encoding: str = "UTF-8",
        alias: str | None = None,
        timeout: timedelta | None = None,
    ) -> None:
        """Writes ``content`` to remote file ``path`` (atomically: temporary name, then rename).

        | `Create Remote File` | /ledger/inbox/broken.dat | not a batch |
        """
        data = content if isinstance(content, bytes) else content.encode(encoding)
        connection = self._connection(alias)
        sftp.write_remote_bytes(connection, path, data, self.seconds(timeout))
        self.info(f"Wrote {len(data)} bytes to {connection.target}:{path}.")

    @keyword
    def list_remote_files(
        self, directory: str, pattern: str | None = None, alias: str | None = None, timeout: timedelta | None = None
    ) -> list[str]:
        """Returns the names of the files in remote ``directory``, sorted; ``pattern`` is a glob (``*.dat``).

        | @{batches} = | `List Remote Files` | /ledger/inbox | pattern=batch-*.dat |
        """
        connection = self._connection(alias)
        names = sftp.list_files(connection, directory, pattern, self.seconds(timeout))
        self.info(f"{len(names)} files in {connection.target}:{directory}: {', '.join(names[:50]) or '(none)'}")
        return names

    @keyword
    def remote_file_should_exist(
        self,
        path_or_pattern: str,
        alias: str | None = None,
        timeout: timedelta | None = None,
        msg: str | None = None,
    ) -> str:
        """Fails unless remote ``path_or_pattern`` exists (a glob matches files); returns the first path found.

        ``msg`` replaces the failure message.

        | `Remote File Should Exist` | /ledger/outbox/batch-001.ack |
        | `Remote File Should Exist` | /ledger/outbox/*.ack | msg=The ledger acknowledged nothing |
        """
        connection = self._connection(alias)
        found = sftp.find(connection, path_or_pattern, self.seconds(timeout))
        if not found:
            self.fail(f"remote file '{path_or_pattern}' does not exist on {connection.target}", msg)
        return found[0]

    @keyword
    def remote_file_should_not_exist(
        self,
        path_or_pattern: str,
        alias: str | None = None,
        timeout: timedelta | None = None,
        msg: str | None = None,
    ) -> None:
        """Fails when remote ``path_or_pattern`` exists (or a glob matches a file); ``msg`` replaces the failure.

        | `Remote File Should Not Exist` | /ledger/outbox/*.err |
        """
        connection = self._connection(alias)
        found = sftp.find(connection, path_or_pattern, self.seconds(timeout))
        if found:
            self.fail(
                f"remote file '{path_or_pattern}' should not exist on {connection.target}: {', '.join(found)}", msg
            )

    @keyword
    def wait_until_remote_file_exists(
        self,
        path_or_pattern: str,
        timeout: timedelta | None = None,
        interval: timedelta | str = "200ms",
        alias: str | None = None,
        msg: str | None = None,
    ) -> str:
        """Waits until remote ``path_or_pattern`` exists (a glob matches a file); returns the first path found.

        ``timeout`` bounds the whole wait, each look included; ``msg`` replaces the failure message.

        | ${ack} = | `Wait Until Remote File Exists` | /ledger/outbox/batch-*.ack | timeout=20s |
        """
        connection = self._connection(alias)
        try:
            found = sftp.wait_until_exists(connection, path_or_pattern, self.seconds(timeout), self.seconds(interval))
        except SeamError as error:
            self.fail(error.detail, msg)
        self.info(f"Found {', '.join(found)} on {connection.target}.")
        return found[0]

    @keyword
    def remove_remote_file(
        self, path: str, missing_ok: bool = False, alias: str | None = None, timeout: timedelta | None = None
    ) -> None:
        """Removes remote file ``path``; fails when it does not exist unless ``missing_ok=True``.

        | `Remove Remote File` | /ledger/inbox/batch-001.dat |
        """
        connection = self._connection(alias)
        if sftp.remove(connection, path, self.seconds(timeout), missing_ok=missing_ok):
            self.info(f"Removed {connection.target}:{path}.")
