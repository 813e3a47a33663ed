"""SSH and SFTP engine against orderflow's ledger (a paramiko server run as its own process)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import paramiko
import pytest

from orderflow.ledger.batch import Batch, Detail, encode_batch
from Seamline.engine.errors import SeamError
from Seamline.engine.ssh import sftp
from Seamline.engine.ssh.client import SshConnection, connect
from Seamline.engine.waiting import poll

PASSWORD = "ledger-test-pw-42"
TIMEOUT = 10


@dataclass
class Ledger:
    host: str
    port: int
    fingerprint: str


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    root = tmp_path_factory.mktemp("ledger")
    process = subprocess.Popen(
        [sys.executable, "-m", "orderflow.ledger", "--root", str(root), "--password", PASSWORD],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = poll(process.stdout.readline, lambda text: text.startswith("READY "), timeout=30, interval=0)
        ready = json.loads(line.removeprefix("READY "))
        yield Ledger(ready["host"], ready["port"], ready["host_key_fingerprint"])
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def connection(ledger: Ledger) -> Iterator[SshConnection]:
    opened, _ = connect(
        ledger.host, ledger.port, "settle", password=PASSWORD, host_key_fingerprint=ledger.fingerprint, timeout=TIMEOUT
    )
    yield opened
    opened.close()


def batch_bytes(batch_id: str) -> bytes:
    details = (Detail(f"o-{uuid.uuid4().hex[:8]}", "ledger-test", 1250, "EUR", date.today()),)
    return encode_batch(Batch(batch_id, date.today(), "tests", details), "latin-1")


def new_batch_id() -> str:
    return "T" + uuid.uuid4().hex[:12].upper()


def test_upload_post_acknowledge_and_repost(connection: SshConnection) -> None:
    batch_id = new_batch_id()
    sftp.write_remote_bytes(connection, f"/inbox/{batch_id}.dat", batch_bytes(batch_id), TIMEOUT)
    assert sftp.list_files(connection, "/inbox", f"{batch_id}*", 10) == [f"{batch_id}.dat"]
    posted = connection.run(f"ledger post {batch_id}", 10)
    assert (posted.rc, json.loads(posted.stdout)["status"]) == (0, "posted")
    assert sftp.wait_until_exists(connection, f"/outbox/{batch_id}.ack", timeout=10) == [f"/outbox/{batch_id}.ack"]
    ack = json.loads(sftp.read_remote_bytes(connection, f"/outbox/{batch_id}.ack", TIMEOUT))
    assert (ack["records"], ack["total"]) == (1, "12.50")
    again = connection.run(f"ledger post {batch_id}", 10)
    assert json.loads(again.stdout)["status"] == "already posted"


def test_rejected_batch_has_rc_2_and_an_error_file(connection: SshConnection) -> None:
    batch_id = new_batch_id()
    sftp.write_remote_bytes(connection, f"/inbox/{batch_id}.dat", b"not a batch\n", TIMEOUT)
    result = connection.run(f"ledger post {batch_id}", 10)
    assert result.rc == 2
    assert result.stderr == f"ledger post: batch {batch_id} rejected: line 1: record is 11 characters, not 80\n"
    assert sftp.read_remote_bytes(connection, f"/errors/{batch_id}.err", TIMEOUT).startswith(
        f"batch {batch_id} rejected".encode()
    )


def test_commands_reach_a_server_without_a_shell_as_written(connection: SshConnection) -> None:
    assert not connection.posix_shell  # a paramiko server, not OpenSSH: nothing is prepended
    assert connection.run("ps", TIMEOUT).stdout == "ps\n"


def test_command_timeout_ends_the_ledger_command(connection: SshConnection) -> None:
    with pytest.raises(SeamError) as raised:
        connection.run("sleep 30", 0.5)
    assert str(raised.value) == (
        f"SSH: command 'sleep 30' on {connection.target} did not finish within 0.5s; its process group was stopped "
        "(TERM, then KILL) and its channel closed. Output so far: (none)"
    )
    # The ledger ends a sleep when its channel closes: no command is left running.
    running = poll(lambda: connection.run("ps", 10).stdout, lambda out: "sleep" not in out, timeout=5)
    assert running == "ps\n"


def test_missing_file_and_wrong_password_fail_clearly(ledger: Ledger, connection: SshConnection) -> None:
    with pytest.raises(SeamError, match=r"^SSH: cannot get /outbox/NOPE\.ack on settle@127\.0\.0\.1:\d+: no such file"):
        sftp.read_remote_bytes(connection, "/outbox/NOPE.ack", TIMEOUT)
    with pytest.raises(SeamError, match=r"^SSH: login to settle@127\.0\.0\.1:\d+ with password failed: authentication"):
        connect(
            ledger.host,
            ledger.port,
            "settle",
            password="wrong",
            host_key_fingerprint=ledger.fingerprint,
            timeout=TIMEOUT,
        )


def test_changed_host_key_of_the_ledger_fails(ledger: Ledger, tmp_path: Path) -> None:
    impostor = paramiko.ECDSAKey.generate()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[{ledger.host}]:{ledger.port} {impostor.get_name()} {impostor.get_base64()}\n")
    with pytest.raises(SeamError) as raised:
        connect(
            ledger.host,
            ledger.port,
            "settle",
            password=PASSWORD,
            known_hosts=known_hosts,
            trust_unknown_host=True,
            timeout=TIMEOUT,
        )
    assert f"has CHANGED: known_hosts {known_hosts} has {impostor.get_name()} {impostor.fingerprint}" in str(
        raised.value
    )
    assert f"the server offered ssh-ed25519 {ledger.fingerprint}" in str(raised.value)
