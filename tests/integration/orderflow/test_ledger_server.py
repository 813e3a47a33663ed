"""The ledger as a real process: SSH logins, SFTP export, posting, rejection, exec commands."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from orderflow.ledger.batch import decode_batch
from orderflow.ledger.client import LedgerClient, LedgerError, SettlementLine

REPOSITORY = Path(__file__).resolve().parents[3]
PASSWORD = "settle-pw-123"
FOLDERS = ["archive", "errors", "inbox", "outbox"]


@dataclass
class RunningLedger:
    process: subprocess.Popen[str]
    root: Path
    host: str
    port: int
    fingerprint: str

    def client(self, **options: object) -> LedgerClient:
        options = {"password": PASSWORD, "host_key_fingerprint": self.fingerprint, **options}
        return LedgerClient(self.host, self.port, "settle", timeout=10.0, **options)  # type: ignore[arg-type]


def start_ledger(root: Path, *options: str) -> RunningLedger:
    root.mkdir(parents=True, exist_ok=True)
    log = (root.parent / f"{root.name}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "orderflow.ledger", "--root", str(root), *options],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "ORDERFLOW_LEDGER_PASSWORD": PASSWORD},
    )
    log.close()
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], 30)
    line = process.stdout.readline() if readable else ""
    if not line.startswith("READY "):
        stop_ledger(process)
        pytest.fail(f"ledger did not report READY: {line!r}")
    ready = json.loads(line.removeprefix("READY "))
    assert ready["service"] == "ledger"
    return RunningLedger(process, root, ready["host"], ready["port"], ready["host_key_fingerprint"])


def stop_ledger(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLedger]:
    running = start_ledger(tmp_path_factory.mktemp("ledger") / "root")
    yield running
    stop_ledger(running.process)


@pytest.fixture
def client(ledger: RunningLedger) -> Iterator[LedgerClient]:
    with ledger.client() as connected:
        yield connected


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.05)


def settlement(order_id: str, amount: str, currency: str = "EUR", customer: str = "ACME") -> SettlementLine:
    return SettlementLine(order_id, customer, Decimal(amount), currency, date(2024, 5, 1))


def write_ssh_key(path: Path) -> str:
    """Writes an Ed25519 private key (OpenSSH format) to `path`; returns its public line."""
    key = Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return public.decode() + " test@seamline\n"


def test_password_login_runs_commands(client: LedgerClient) -> None:
    assert client.execute("echo 'settle up' now") == (0, "settle up now\n", "")


def test_wrong_password_is_refused(ledger: RunningLedger) -> None:
    with pytest.raises(paramiko.AuthenticationException):
        ledger.client(password="not-the-password")


def test_unexpected_host_key_is_refused(ledger: RunningLedger) -> None:
    with pytest.raises(paramiko.SSHException, match="expected SHA256:someone-else"):
        ledger.client(host_key_fingerprint="SHA256:someone-else")


def test_public_key_login(tmp_path: Path) -> None:
    authorized = tmp_path / "authorized_keys"
    authorized.write_text(write_ssh_key(tmp_path / "id_settle"))
    write_ssh_key(tmp_path / "id_stranger")
    running = start_ledger(tmp_path / "root", "--authorized-keys", str(authorized))
    try:
        with running.client(password=None, key_file=str(tmp_path / "id_settle")) as keyed:
            assert keyed.execute("echo keyed") == (0, "keyed\n", "")
        with pytest.raises(paramiko.AuthenticationException):
            running.client(password=None, key_file=str(tmp_path / "id_stranger"))
    finally:
        stop_ledger(running.process)


def test_export_appears_in_inbox_only_after_rename(client: LedgerClient, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox_before_rename: list[str] = []
    post_before_rename: list[tuple[int, str, str]] = []
    rename = client.sftp.posix_rename

    def observing_rename(old: str, new: str) -> None:
        inbox_before_rename.extend(client.sftp.listdir("/inbox"))
        post_before_rename.append(client.execute(f"ledger post inbox/{Path(old).name}"))
        rename(old, new)

    monkeypatch.setattr(client.sftp, "posix_rename", observing_rename)
    batch_id = client.export_batch([settlement("o-rename-1", "10.00")], batch_id="RENAME1")

    assert batch_id == "RENAME1"
    assert "RENAME1.dat.part" in inbox_before_rename
    assert "RENAME1.dat" not in inbox_before_rename
    ((status, _, stderr),) = post_before_rename
    assert status == 1 and "upload not complete (.part)" in stderr
    inbox = client.sftp.listdir("/inbox")
    assert "RENAME1.dat" in inbox
    assert not [name for name in inbox if name.endswith(".part")]


def test_post_acknowledges_archives_and_updates_balance(client: LedgerClient) -> None:
    before = client.balance()
    batch_id = client.export_batch([settlement("o-post-1", "12.50"), settlement("o-post-2", "7.25", currency="USD")])

    result = client.post(batch_id)

    assert result == {
        "batch_id": batch_id,
        "status": "posted",
        "records": 2,
        "total": Decimal("19.75"),
    }
    (ack,) = [ack for ack in client.acks() if ack["batch_id"] == batch_id]
    assert ack["order_ids"] == ["o-post-1", "o-post-2"]
    assert (ack["records"], ack["total"]) == (2, Decimal("19.75"))
    assert f"{batch_id}.dat" in client.sftp.listdir("/archive")
    assert f"{batch_id}.dat" not in client.sftp.listdir("/inbox")
    after = client.balance()
    assert after["batches"] == before["batches"] + 1
    assert after["records"] == before["records"] + 2
    amounts_before = before["amounts"]
    assert after["amounts"]["EUR"] - amounts_before.get("EUR", Decimal(0)) == Decimal("12.50")
    assert after["amounts"]["USD"] - amounts_before.get("USD", Decimal(0)) == Decimal("7.25")


def test_posting_twice_posts_once(client: LedgerClient) -> None:
    lines = [settlement("o-twice-1", "3.00")]
    batch_id = client.export_batch(lines)
    assert client.post(batch_id)["status"] == "posted"
    balance = client.balance()

    again = client.post(batch_id)
    client.export_batch(lines, batch_id=batch_id)  # the same batch uploaded a second time
    reuploaded = client.post(batch_id)

    assert again == {**reuploaded, "status": "already posted", "records": 1, "total": Decimal("3.00")}
    assert client.balance() == balance
    assert [ack["batch_id"] for ack in client.acks()].count(batch_id) == 1


def test_reused_batch_id_with_other_content_is_rejected(client: LedgerClient) -> None:
    batch_id = client.export_batch([settlement("o-reuse-1", "1.00")])
    client.post(batch_id)
    balance = client.balance()
    client.export_batch([settlement("o-reuse-2", "2.00")], batch_id=batch_id)

    with pytest.raises(LedgerError, match="already posted with different content") as failure:
        client.post(batch_id)

    assert failure.value.exit_status == 2
    assert client.balance() == balance


def _corrupt_trailer_count(records: list[str]) -> None:
    records[-1] = "T00000003" + records[-1][9:]


def _corrupt_trailer_total(records: list[str]) -> None:
    records[-1] = "T00000002" + "00000000000001" + records[-1][23:]


def _malformed_amount(records: list[str]) -> None:
    records[2] = records[2][:57] + "00000000O100" + records[2][69:]


@pytest.mark.parametrize(
    ("corrupt", "line", "reason"),
    [
        (_corrupt_trailer_count, 4, "trailer record count 3 != 2 detail records"),
        (_corrupt_trailer_total, 4, "trailer amount total 1 != 1500 sum of details"),
        (_malformed_amount, 3, "amount '00000000O100' is not zero-padded digits"),
    ],
    ids=["trailer-count", "trailer-total", "malformed-detail"],
)
def test_corrupt_batch_is_rejected_and_nothing_posted(
    client: LedgerClient,
    corrupt: Callable[[list[str]], None],
    line: int,
    reason: str,
) -> None:
    batch_id = client.export_batch([settlement("o-bad-1", "5.00"), settlement("o-bad-2", "10.00")])
    records = client.sftp.open(f"/inbox/{batch_id}.dat").read().decode("latin-1").splitlines()
    corrupt(records)
    with client.sftp.open(f"/inbox/{batch_id}.dat", "w") as batch_file:
        batch_file.write("\n".join(records).encode("latin-1") + b"\n")
    balance = client.balance()

    status, _, stderr = client.execute(f"ledger post {batch_id}")

    assert status == 2
    assert f"line {line}: {reason}" in stderr
    with client.sftp.open(f"/errors/{batch_id}.err") as error_file:
        assert f"line {line}: {reason}" in error_file.read().decode()
    assert client.balance() == balance
    assert batch_id not in [ack["batch_id"] for ack in client.acks()]
    assert f"{batch_id}.dat" in client.sftp.listdir("/errors")


def test_ebcdic_batch_round_trip(tmp_path: Path) -> None:
    running = start_ledger(tmp_path / "root", "--encoding", "cp037")
    lines = [settlement("o-ebcdic-1", "99.99", customer="Café Zürich"), settlement("o-2", "0.01")]
    try:
        with running.client(encoding="cp037") as ebcdic:
            batch_id = ebcdic.export_batch(lines)
            with ebcdic.sftp.open(f"/inbox/{batch_id}.dat") as batch_file:
                raw = batch_file.read()
            assert ebcdic.post(batch_id)["total"] == Decimal("100.00")
            assert ebcdic.balance()["amounts"] == {"EUR": Decimal("100.00")}
            (ack,) = ebcdic.acks()
            assert ack["order_ids"] == ["o-ebcdic-1", "o-2"]
    finally:
        stop_ledger(running.process)
    assert len(raw) == 4 * 80 and b"\n" not in raw and b"\x25" not in raw
    assert raw[:1] == "H".encode("cp037")
    batch = decode_batch(raw, "cp037")
    assert [detail.customer for detail in batch.details] == ["Café Zürich", "ACME"]


def test_sftp_cannot_escape_the_root(ledger: RunningLedger, client: LedgerClient) -> None:
    secret = ledger.root.parent / "secret.txt"
    secret.write_text("outside")
    (ledger.root / "inbox" / "link.dat").symlink_to(secret)
    sftp = client.sftp

    assert sorted(sftp.listdir("../..")) == sorted(sftp.listdir("/")) == FOLDERS
    assert sftp.normalize("/inbox/../../..") == "/"
    for path in ["../secret.txt", "/inbox/link.dat", "/host_key", "/ledger.db"]:
        with pytest.raises(OSError):
            sftp.open(path).read()
    with pytest.raises(OSError):
        sftp.open("../../escape.txt", "w").write(b"x")
    assert not (ledger.root.parent / "escape.txt").exists()
    assert not (ledger.root.parent.parent / "escape.txt").exists()
    assert client.execute("cat ../secret.txt")[0] == 1
    assert client.execute("cat host_key")[0] == 1


def test_sleep_stops_when_the_client_closes_the_channel(client: LedgerClient) -> None:
    def running_commands() -> list[str]:
        return client.run("ps").splitlines()

    channel = client.ssh.get_transport().open_session(timeout=10)  # type: ignore[union-attr]
    channel.exec_command("sleep 30")
    wait_until(lambda: "sleep 30" in running_commands())

    channel.close()

    wait_until(lambda: "sleep 30" not in running_commands())


def read_until(channel: paramiko.Channel, marker: bytes) -> bytes:
    received = b""
    while marker not in received:
        chunk = channel.recv(1024)  # the channel timeout bounds each wait
        if not chunk:
            pytest.fail(f"channel closed before {marker!r}; got {received!r}")
        received += chunk
    return received


def test_interactive_shell_runs_commands(client: LedgerClient) -> None:
    shell = client.ssh.invoke_shell()
    shell.settimeout(10)
    assert read_until(shell, b"ledger$ ") == b"ledger$ "

    shell.sendall(b"echo from the shell\r")

    assert read_until(shell, b"ledger$ ") == b"echo from the shell\r\nfrom the shell\r\nledger$ "
    shell.sendall(b"exit\r")
    assert shell.status_event.wait(10), "no exit status after exit"
    assert shell.recv_exit_status() == 0


def test_unknown_command_exits_127(client: LedgerClient) -> None:
    status, _, stderr = client.execute("rm -rf /")
    assert status == 127
    assert "rm: command not found" in stderr


def test_concurrent_posts_of_one_batch_post_it_once(ledger: RunningLedger, client: LedgerClient) -> None:
    batch_id = client.export_batch([settlement("o-race-1", "4.00")])
    statuses: list[str] = []

    def post() -> None:
        with ledger.client() as own:
            statuses.append(own.post(batch_id)["status"])

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == ["already posted"] * 3 + ["posted"]


def test_sigterm_stops_the_server(tmp_path: Path) -> None:
    running = start_ledger(tmp_path / "root")
    with running.client() as connected:
        assert connected.execute("echo up")[0] == 0
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=10) == 0
    with pytest.raises(OSError):
        socket.create_connection((running.host, running.port), timeout=5).close()
