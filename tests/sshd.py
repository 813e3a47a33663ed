"""A real OpenSSH sshd for tests: Debian's /usr/sbin/sshd on a free loopback port, with its own config.

Each `start_sshd()` gets a private directory holding an sshd_config, an ed25519 host key, the test
user's keys (one plain, one passphrase-protected, one that is NOT authorized), a known_hosts file
with the right host key, and a `work` directory the test user owns. Nothing touches port 22 or the
system sshd service.

The test user is the system user `seamline-test` (created on first use, shell /bin/sh) whose
password is `TEST_PASSWORD`, set with chpasswd: a fixed value, so that harnesses started at the same
time by different test runs never fight over it. sshd only admits this user, and only on 127.0.0.1.
Creating the user and running sshd this way needs root (CI runs as root).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
TEST_USER = "seamline-test"
TEST_PASSWORD = "Seamline-sshd-canary-7Qx2"
PRIVSEP_DIR = Path("/run/sshd")

SSHD_CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {dir}/ssh_host_ed25519_key
PidFile {dir}/sshd.pid
AuthorizedKeysFile {dir}/authorized_keys
AllowUsers {user}
UsePAM no
StrictModes no
PermitRootLogin no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UseDNS no
MaxStartups 100:30:200
MaxSessions 100
LogLevel VERBOSE
Subsystem sftp internal-sftp
"""


class SshdError(RuntimeError):
    """The test sshd could not be started."""


@dataclass
class RunningSshd:
    """A running sshd and everything a test needs to log in to it."""

    host: str
    port: int
    user: str
    password: str
    key_file: Path
    protected_key_file: Path
    passphrase: str
    unauthorized_key_file: Path
    known_hosts: Path
    host_key_fingerprint: str
    work_dir: Path
    directory: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def address(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"

    def log(self) -> str:
        """What sshd has written so far (it logs to a file in its directory)."""
        return (self.directory / "sshd.log").read_text(errors="replace")

    def known_hosts_with_another_key(self) -> tuple[Path, str]:
        """A known_hosts file naming this server with a different key (a changed host key), and its fingerprint."""
        directory = Path(tempfile.mkdtemp(prefix="impostor-", dir=self.directory))
        key = directory / "impostor_key"
        _keygen(key, "")
        kind, blob = Path(f"{key}.pub").read_text().split()[:2]
        known_hosts = directory / "known_hosts"
        known_hosts.write_text(f"[{self.host}]:{self.port} {kind} {blob}\n")
        return known_hosts, _fingerprint(key)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> RunningSshd:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def ensure_test_user() -> pwd.struct_passwd:
    """The `seamline-test` user, created when missing, with the known password."""
    if os.geteuid() != 0:
        raise SshdError("the test sshd needs root (to run sshd and create the test user)")
    try:
        account = pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--create-home", "--shell", "/bin/sh", TEST_USER],
            check=True,
            capture_output=True,
            timeout=30,
        )
        account = pwd.getpwnam(TEST_USER)
    subprocess.run(["chpasswd"], input=f"{TEST_USER}:{TEST_PASSWORD}".encode(), check=True, timeout=30)
    return account


def start_sshd(timeout: float = 10.0, passphrase: str | None = None) -> RunningSshd:
    """Start sshd on a free loopback port and wait until it listens; the caller stops it.

    `passphrase` protects the second user key (random when None; a secrets canary sets its own).
    """
    if not os.path.exists(SSHD):
        raise SshdError("OpenSSH sshd is not installed (Debian: apt-get install openssh-server)")
    account = ensure_test_user()
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="seamline-sshd-"))
    # The user's keys and work directory are read by sshd as that user: the directory must be traversable.
    directory.chmod(0o755)
    try:
        return _start_in(directory, account, timeout, passphrase or "pp-" + secrets.token_hex(8))
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _start_in(directory: Path, account: pwd.struct_passwd, timeout: float, passphrase: str) -> RunningSshd:
    host_key = directory / "ssh_host_ed25519_key"
    _keygen(host_key, "")
    key_file, protected_key_file, unauthorized = (
        directory / "id_plain",
        directory / "id_protected",
        directory / "id_other",
    )
    _keygen(key_file, "")
    _keygen(protected_key_file, passphrase)
    _keygen(unauthorized, "")
    authorized = directory / "authorized_keys"
    authorized.write_text(Path(f"{key_file}.pub").read_text() + Path(f"{protected_key_file}.pub").read_text())
    authorized.chmod(0o644)
    work_dir = directory / "work"
    work_dir.mkdir()
    os.chown(work_dir, account.pw_uid, account.pw_gid)
    host_public = Path(f"{host_key}.pub").read_text().split()
    fingerprint = _fingerprint(host_key)

    last_error = ""
    for _attempt in range(3):  # a free port can be taken between our probe and sshd's bind: try another
        port = _free_port()
        config = directory / "sshd_config"
        config.write_text(SSHD_CONFIG.format(port=port, dir=directory, user=TEST_USER))
        log_file = directory / "sshd.log"
        process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config), "-E", str(log_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if _wait_listening(process, port, timeout):
            known_hosts = directory / "known_hosts"
            known_hosts.write_text(f"[127.0.0.1]:{port} {host_public[0]} {host_public[1]}\n")
            return RunningSshd(
                host="127.0.0.1",
                port=port,
                user=TEST_USER,
                password=TEST_PASSWORD,
                key_file=key_file,
                protected_key_file=protected_key_file,
                passphrase=passphrase,
                unauthorized_key_file=unauthorized,
                known_hosts=known_hosts,
                host_key_fingerprint=fingerprint,
                work_dir=work_dir,
                directory=directory,
                process=process,
            )
        if process.poll() is None:
            process.kill()
        process.wait(timeout=5)
        last_error = log_file.read_text(errors="replace") if log_file.exists() else ""
    raise SshdError(f"sshd did not start listening within {timeout:.0f}s:\n{last_error[-2000:]}")


def _keygen(path: Path, passphrase: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "seamline-test", "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    Path(f"{path}.pub").chmod(0o644)


def _fingerprint(key: Path) -> str:
    """The SHA256 fingerprint as OpenSSH prints it (`SHA256:...`)."""
    shown = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", f"{key}.pub"], check=True, capture_output=True, text=True, timeout=30
    )
    return shown.stdout.split()[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(process: subprocess.Popen[bytes], port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as connection:
                # Something answered: make sure it is our sshd (its banner), not another listener.
                connection.settimeout(2.0)
                if connection.recv(64).startswith(b"SSH-2.0-OpenSSH"):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False
