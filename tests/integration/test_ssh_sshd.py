"""SSH and SFTP engine against a real OpenSSH sshd (tests/sshd.py), bad input included."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile import Forwarder
from servers import absence_reason, required
from sshd import RunningSshd, start_sshd

from Seamline.engine.errors import SeamError
from Seamline.engine.ssh import sftp
from Seamline.engine.ssh.client import STOP_TIMEOUT, SshConnection, check_rc, connect
from Seamline.engine.timeline import Timeline

TIMEOUT = 10


@pytest.fixture(scope="module")
def server() -> Iterator[RunningSshd]:
    reason = absence_reason("sshd")
    if reason is not None:
        if required("sshd"):
            pytest.fail(f"{reason}, and SEAMLINE_REQUIRE requires it")
        pytest.skip(reason)
    with start_sshd() as running:
        yield running


def login(server: RunningSshd, port: int | None = None, **options: Any) -> SshConnection:
    """A password login to the test sshd (or `port` in front of it), its host key checked against its known_hosts,
    unless `options` differ."""
    given = {"password": server.password, "known_hosts": server.known_hosts, "timeout": TIMEOUT} | options
    opened, _ = connect(server.host, port or server.port, server.user, **given)
    return opened


@pytest.fixture
def connection(server: RunningSshd) -> Iterator[SshConnection]:
    opened = login(server)
    yield opened
    opened.close()


@pytest.fixture
def remote_dir(server: RunningSshd, connection: SshConnection) -> Iterator[str]:
    directory = f"{server.work_dir}/{uuid.uuid4().hex}"
    connection.run(f"mkdir {directory}", 10)
    yield directory
    connection.run(f"rm -rf {directory}", 10)


def test_password_login_runs_commands_with_stdout_stderr_and_rc(connection: SshConnection) -> None:
    result = connection.run("echo out; echo err >&2; exit 3", 10)
    assert (result.stdout, result.stderr, result.rc) == ("out\n", "err\n", 3)
    assert connection.run("whoami", 10).stdout.strip() == "seamline-test"


def test_key_logins_with_and_without_passphrase(server: RunningSshd) -> None:
    for key_file, passphrase in ((server.key_file, None), (server.protected_key_file, server.passphrase)):
        opened, note = connect(
            server.host,
            server.port,
            server.user,
            key_file=key_file,
            passphrase=passphrase,
            known_hosts=server.known_hosts,
            timeout=TIMEOUT,
        )
        try:
            assert opened.run("echo hi", 10).stdout == "hi\n"
            assert server.host_key_fingerprint in note
        finally:
            opened.close()


def test_every_command_and_transfer_records_a_span(server: RunningSshd, remote_dir: str) -> None:
    timeline = Timeline()
    opened = login(server, timeline=timeline)
    try:
        opened.run("echo hi", 10)
        sftp.write_remote_bytes(opened, f"{remote_dir}/a.txt", b"12345", TIMEOUT)
    finally:
        opened.close()
    assert [(span.system, span.operation) for span in timeline.spans] == [
        ("ssh", "connect"),
        ("ssh", "exec"),
        ("sftp", "put"),
    ]
    assert timeline.spans[2].bytes_sent == 5
    assert timeline.spans[1].attributes == {"command": "echo hi", "rc": 0}


def test_large_output_is_read_completely(connection: SshConnection) -> None:
    result = connection.run("head -c 3000000 /dev/zero | tr '\\0' x; head -c 100000 /dev/zero | tr '\\0' y >&2", 30)
    assert result.stdout == "x" * 3_000_000
    assert result.stderr == "y" * 100_000


def test_check_rc_names_command_rc_and_stderr_tail(connection: SshConnection) -> None:
    result = connection.run("echo first >&2; echo 'no such ledger' >&2; exit 4", 10)
    with pytest.raises(SeamError) as raised:
        check_rc(result, 0, connection.target)
    assert str(raised.value) == (
        f"SSH: command 'echo first >&2; echo 'no such ledger' >&2; exit 4' on {connection.target} "
        "expected rc 0, got 4; stderr: first\nno such ledger"
    )
    check_rc(result, None, connection.target)


def test_a_command_killed_by_a_signal_has_rc_minus_one(connection: SshConnection) -> None:
    result = connection.run("echo before; kill -9 $$", 10)
    assert (result.stdout, result.rc) == ("before\n", -1)
    with pytest.raises(SeamError, match=r"expected rc 0, got -1 \(no exit status: killed by a signal\?\); stderr"):
        check_rc(result, 0, connection.target)


STOPPED = "it was stopped with every process it started (TERM, then KILL)"


def unique_seconds() -> str:
    """A sleep length no other test uses (digits: sleep takes a number), to find its processes by."""
    return f"47{uuid.uuid4().int % 10**6:06d}"


def survivors(connection: SshConnection, seconds: str) -> str:
    # `[4]7...` matches the sleep but not this pgrep's own command line.
    found = connection.run(f"pgrep -a -u seamline-test -f 'sleep [{seconds[0]}]{seconds[1:]}'", TIMEOUT)
    assert found.rc in (0, 1), found
    return found.stdout


LATE = "did not finish within 2s"
HELD = "exited (rc 0) but a process it started still held its output open after 2s"


@pytest.mark.parametrize(
    ("command", "what", "output"),
    [
        ("echo started; sleep {seconds} & sleep {seconds}; echo never", LATE, "started"),  # the process group
        ("setsid sleep {seconds}", LATE, "(none)"),  # a session of its own: outside the group OpenSSH signals
        ("nohup setsid sh -c 'sleep {seconds}' >/dev/null 2>&1 & sleep {seconds}", LATE, "(none)"),
        ("trap '' TERM; sleep {seconds}", LATE, "(none)"),  # ignores TERM: needs the KILL
        ("(sleep {seconds} &); echo done", HELD, "done"),  # the subshell is gone, its child holds the output
    ],
    ids=["process-group", "setsid", "nohup-setsid-daemon", "ignores-term", "subshell-orphan"],
)
def test_a_timeout_ends_every_process_the_command_started(
    connection: SshConnection, command: str, what: str, output: str
) -> None:
    seconds = unique_seconds()
    command = command.format(seconds=seconds)
    started = time.monotonic()
    with pytest.raises(SeamError) as raised:
        connection.run(command, 2)
    assert time.monotonic() - started < 2 + STOP_TIMEOUT  # the timeout, plus at most the stopping's own deadline
    assert (
        str(raised.value)
        == f"SSH: command '{command}' on {connection.target} {what}; {STOPPED}. Output so far: {output}"
    )
    assert survivors(connection, seconds) == ""
    assert connection.run("echo still usable", TIMEOUT).stdout == "still usable\n"


def test_a_background_process_of_a_finished_command_is_left_alone(connection: SshConnection) -> None:
    seconds = unique_seconds()
    assert connection.run(f"sleep {seconds} >/dev/null 2>&1 & echo started", TIMEOUT).stdout == "started\n"
    try:
        assert f"sleep {seconds}" in survivors(connection, seconds)
    finally:
        connection.run(f"pkill -u seamline-test -f 'sleep [{seconds[0]}]{seconds[1:]}'", TIMEOUT)


def test_commands_are_marked_only_on_a_posix_shell(server: RunningSshd, connection: SshConnection) -> None:
    assert connection.posix_shell  # detected: OpenSSH runs commands in the user's login shell (/bin/sh)
    marker = connection.run("echo $SEAMLINE_RUN_ID; sh -c 'echo $SEAMLINE_RUN_ID'", TIMEOUT).stdout.split()
    assert len(marker) == 2 and marker[0] == marker[1] and re.fullmatch("[0-9a-f]{32}", marker[0])
    assert connection.run("echo $SEAMLINE_RUN_ID", TIMEOUT).stdout != marker[0] + "\n"  # one per command
    plain = login(server, posix_shell=False)
    try:
        assert plain.run("echo [$SEAMLINE_RUN_ID]", TIMEOUT).stdout == "[]\n"
        seconds = unique_seconds()
        with pytest.raises(SeamError) as raised:
            plain.run(f"sleep {seconds}", 1)
        assert str(raised.value) == (
            f"SSH: command 'sleep {seconds}' on {plain.target} did not finish within 1s; its process group was "
            "stopped (TERM, then KILL) and its channel closed. Output so far: (none)"
        )
        assert survivors(connection, seconds) == ""
    finally:
        plain.close()


def test_wrong_password_fails_clearly(server: RunningSshd) -> None:
    with pytest.raises(SeamError, match=r"^SSH: login to seamline-test@127\.0\.0\.1:\d+ with password failed: auth"):
        login(server, password="wrong")


def test_unauthorized_key_and_wrong_passphrase_fail_clearly(server: RunningSshd) -> None:
    # A key file is tried instead of the password login() would give otherwise.
    with pytest.raises(SeamError, match=r"with key .*/id_other failed: authentication rejected$"):
        login(server, key_file=server.unauthorized_key_file)
    with pytest.raises(SeamError, match=r"id_protected: wrong passphrase, or not a private key$"):
        login(server, key_file=server.protected_key_file, passphrase="wrong")
    with pytest.raises(SeamError, match=r"id_protected is protected: give its passphrase$"):
        login(server, key_file=server.protected_key_file)


def test_unknown_host_key_fails_with_fingerprint_unless_trusted(server: RunningSshd, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    with pytest.raises(SeamError) as raised:
        connect(
            server.host, server.port, server.user, password=server.password, known_hosts=known_hosts, timeout=TIMEOUT
        )
    assert str(raised.value) == (
        f"SSH: host key of [127.0.0.1]:{server.port} is unknown: ssh-ed25519 {server.host_key_fingerprint} "
        f"is not in {known_hosts}; add it to known_hosts or pass trust_unknown_host=True"
    )
    opened, note = connect(
        server.host,
        server.port,
        server.user,
        password=server.password,
        known_hosts=known_hosts,
        trust_unknown_host=True,
        timeout=TIMEOUT,
    )
    opened.close()
    assert "trusted on first use" in note and server.host_key_fingerprint in note
    assert known_hosts.read_text().split() == server.known_hosts.read_text().split()
    opened, note = connect(
        server.host, server.port, server.user, password=server.password, known_hosts=known_hosts, timeout=TIMEOUT
    )
    opened.close()
    assert note.startswith(f"host key of [127.0.0.1]:{server.port} verified")


def test_changed_host_key_fails_even_when_trust_is_given(server: RunningSshd) -> None:
    impostor_known_hosts, impostor_fingerprint = server.known_hosts_with_another_key()
    with pytest.raises(SeamError) as raised:
        connect(
            server.host,
            server.port,
            server.user,
            password=server.password,
            known_hosts=impostor_known_hosts,
            trust_unknown_host=True,
            timeout=TIMEOUT,
        )
    assert str(raised.value) == (
        f"SSH: host key of [127.0.0.1]:{server.port} has CHANGED: known_hosts {impostor_known_hosts} has "
        f"ssh-ed25519 {impostor_fingerprint}, the server offered ssh-ed25519 {server.host_key_fingerprint}. "
        "Someone may be intercepting the connection; if the change is expected, update known_hosts"
    )


def test_pinned_fingerprint(server: RunningSshd) -> None:
    opened = login(server, known_hosts=None, host_key_fingerprint=server.host_key_fingerprint)
    opened.close()
    with pytest.raises(SeamError, match=r"expected fingerprint SHA256:AAAA$"):
        connect(
            server.host,
            server.port,
            server.user,
            password=server.password,
            host_key_fingerprint="SHA256:AAAA",
            timeout=TIMEOUT,
        )


def test_host_down_fails_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SeamError, match=rf"^SSH: cannot connect to 127\.0\.0\.1:{port}: Connection refused$"):
        connect("127.0.0.1", port, "nobody", password="x", timeout=5)


def test_silent_server_times_out_in_the_handshake() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with pytest.raises(SeamError, match=rf"^SSH: no SSH handshake with 127\.0\.0\.1:{port} within 0\.5s"):
            connect("127.0.0.1", port, "nobody", password="x", timeout=0.5)


def test_upload_download_list_find_remove(connection: SshConnection, remote_dir: str, tmp_path: Path) -> None:
    local = tmp_path / "batch-001.dat"
    local.write_bytes(b"H" * 80 + b"\n" + bytes(range(256)) * 100)
    assert sftp.upload_file(connection, local, f"{remote_dir}/", 10) == f"{remote_dir}/batch-001.dat"
    sftp.upload_file(connection, local, f"{remote_dir}/batch-002.dat", 10)
    sftp.write_remote_bytes(connection, f"{remote_dir}/notes.txt", b"n", TIMEOUT)
    assert sftp.list_files(connection, remote_dir, None, 10) == ["batch-001.dat", "batch-002.dat", "notes.txt"]
    assert sftp.list_files(connection, remote_dir, "batch-*.dat", 10) == ["batch-001.dat", "batch-002.dat"]
    assert sftp.find(connection, f"{remote_dir}/*.txt", 10) == [f"{remote_dir}/notes.txt"]
    assert sftp.find(connection, f"{remote_dir}/*.csv", 10) == []
    downloaded = sftp.download_file(connection, f"{remote_dir}/batch-001.dat", tmp_path / "copy", 10)
    assert downloaded.read_bytes() == local.read_bytes()
    assert sftp.read_remote_bytes(connection, f"{remote_dir}/batch-002.dat", TIMEOUT) == local.read_bytes()
    assert sftp.remove(connection, f"{remote_dir}/notes.txt", 10)
    assert not sftp.exists(connection, f"{remote_dir}/notes.txt", 10)
    assert not sftp.remove(connection, f"{remote_dir}/notes.txt", 10, missing_ok=True)


def test_upload_replaces_atomically_and_leaves_no_temporary_file(
    connection: SshConnection, remote_dir: str, tmp_path: Path
) -> None:
    sftp.write_remote_bytes(connection, f"{remote_dir}/b.dat", b"old", TIMEOUT)
    sftp.write_remote_bytes(connection, f"{remote_dir}/b.dat", b"new content", TIMEOUT)
    assert connection.run(f"ls -A {remote_dir}", 10).stdout == "b.dat\n"
    assert sftp.read_remote_bytes(connection, f"{remote_dir}/b.dat", TIMEOUT) == b"new content"


def test_missing_remote_file_fails_clearly(connection: SshConnection, remote_dir: str, tmp_path: Path) -> None:
    missing = f"{remote_dir}/missing.dat"
    expected = f"SSH: cannot get {missing} on {connection.target}: no such file or directory"
    with pytest.raises(SeamError) as raised:
        sftp.read_remote_bytes(connection, missing, TIMEOUT)
    assert str(raised.value) == expected
    with pytest.raises(SeamError) as raised:
        sftp.download_file(connection, missing, tmp_path / "local.dat", 10)
    assert str(raised.value) == expected
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(SeamError, match=re.escape(f"SSH: cannot remove {missing} on {connection.target}: no such")):
        sftp.remove(connection, missing, 10)
    with pytest.raises(SeamError, match=re.escape(f"SSH: cannot put {remote_dir}/nodir/x on")):
        sftp.write_remote_bytes(connection, f"{remote_dir}/nodir/x", b"x", TIMEOUT)


def test_wait_until_exists_sees_a_file_written_later_and_times_out_otherwise(
    connection: SshConnection, remote_dir: str
) -> None:
    connection.run(f"(sleep 0.3; echo x > {remote_dir}/late.ack) >/dev/null 2>&1 &", 10)
    assert sftp.wait_until_exists(connection, f"{remote_dir}/*.ack", timeout=10) == [f"{remote_dir}/late.ack"]
    with pytest.raises(SeamError) as raised:
        sftp.wait_until_exists(connection, f"{remote_dir}/never.ack", timeout=0.5)
    assert str(raised.value) == (
        f"SSH: no remote file matching '{remote_dir}/never.ack' appeared on {connection.target} within 0.5s"
    )


def test_closed_connection_says_so(server: RunningSshd) -> None:
    opened = login(server)
    opened.close()
    with pytest.raises(SeamError, match=r"the connection to seamline-test@127\.0\.0\.1:\d+ is closed; open it again"):
        opened.run("echo hi", 10)


def test_harness_sshd_is_debian_openssh(server: RunningSshd) -> None:
    assert shutil.which("sshd") or Path("/usr/sbin/sshd").exists()
    assert "Server listening on 127.0.0.1 port" in server.log()


def test_a_timeout_on_a_frozen_link_ends_within_its_deadline(server: RunningSshd) -> None:
    with Forwarder(server.host, server.port) as link:
        opened = login(server, link.port, known_hosts=None, host_key_fingerprint=server.host_key_fingerprint)
        # A partition once the command runs: its output and the clean-up session both go nowhere.
        partition = threading.Timer(0.5, link.freeze)
        try:
            started = time.monotonic()
            partition.start()
            with pytest.raises(SeamError) as raised:
                opened.run("echo started; sleep 30", 1.5)
            assert time.monotonic() - started < 1.5 + STOP_TIMEOUT + 2
        finally:
            partition.join()
            link.thaw()
            opened.close()
    assert str(raised.value) == (
        f"SSH: command 'echo started; sleep 30' on {opened.target} did not finish within 1.5s; its processes may "
        f"still run: cannot open a session on {opened.target}: Timeout opening channel. Output so far: started"
    )
