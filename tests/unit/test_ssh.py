"""SSH engine without a network: host key decisions, return code checks, failure texts."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from Seamline.engine.errors import SeamError
from Seamline.engine.ssh.client import CommandResult, KnownHosts, check_rc, runs_a_posix_shell


@pytest.fixture(scope="module")
def server_key() -> paramiko.PKey:
    return paramiko.ECDSAKey.generate()


@pytest.fixture(scope="module")
def other_key() -> paramiko.PKey:
    return paramiko.ECDSAKey.generate()


def known_hosts_file(tmp_path: Path, name: str, key: paramiko.PKey) -> Path:
    path = tmp_path / "known_hosts"
    path.write_text(f"{name} {key.get_name()} {key.get_base64()}\n")
    return path


def test_entry_names_follow_openssh() -> None:
    assert KnownHosts.entry_name("ledger", 22) == "ledger"
    assert KnownHosts.entry_name("127.0.0.1", 2222) == "[127.0.0.1]:2222"


def test_known_key_is_verified(tmp_path: Path, server_key: paramiko.PKey) -> None:
    path = known_hosts_file(tmp_path, "[ledger]:2222", server_key)
    note = KnownHosts(path).verify(server_key, "ledger", 2222, trust_unknown=False)
    assert note == f"host key of [ledger]:2222 verified: {server_key.get_name()} {server_key.fingerprint}"


def test_hashed_known_hosts_entries_are_found(tmp_path: Path, server_key: paramiko.PKey) -> None:
    hashed = paramiko.HostKeys.hash_host("[ledger]:2222")
    path = known_hosts_file(tmp_path, hashed, server_key)
    assert "verified" in KnownHosts(path).verify(server_key, "ledger", 2222, trust_unknown=False)


def test_unknown_key_fails_with_its_fingerprint(tmp_path: Path, server_key: paramiko.PKey) -> None:
    path = tmp_path / "known_hosts"
    with pytest.raises(SeamError) as raised:
        KnownHosts(path).verify(server_key, "ledger", 22, trust_unknown=False)
    assert str(raised.value) == (
        f"SSH: host key of ledger is unknown: {server_key.get_name()} {server_key.fingerprint} is not in {path}; "
        "add it to known_hosts or pass trust_unknown_host=True"
    )
    assert not path.exists()


def test_trusted_unknown_key_is_appended_to_known_hosts(
    tmp_path: Path, server_key: paramiko.PKey, other_key: paramiko.PKey
) -> None:
    path = known_hosts_file(tmp_path, "elsewhere", other_key)
    note = KnownHosts(path).verify(server_key, "ledger", 22, trust_unknown=True)
    assert note == f"host key of ledger trusted on first use: {server_key.get_name()} {server_key.fingerprint} " + (
        f"(added to {path})"
    )
    lines = path.read_text().splitlines()
    assert lines[1] == f"ledger {server_key.get_name()} {server_key.get_base64()}"
    assert "verified" in KnownHosts(path).verify(server_key, "ledger", 22, trust_unknown=False)


def test_changed_key_fails_even_with_trust_naming_both_fingerprints(
    tmp_path: Path, server_key: paramiko.PKey, other_key: paramiko.PKey
) -> None:
    path = known_hosts_file(tmp_path, "ledger", other_key)
    with pytest.raises(SeamError) as raised:
        KnownHosts(path).verify(server_key, "ledger", 22, trust_unknown=True)
    assert str(raised.value) == (
        f"SSH: host key of ledger has CHANGED: known_hosts {path} has {other_key.get_name()} {other_key.fingerprint}, "
        f"the server offered {server_key.get_name()} {server_key.fingerprint}. Someone may be intercepting the "
        "connection; if the change is expected, update known_hosts"
    )
    assert path.read_text().count("\n") == 1


def test_a_known_host_offering_an_unlisted_key_type_counts_as_changed(
    tmp_path: Path, server_key: paramiko.PKey
) -> None:
    ed25519_blob = "AAAAC3NzaC1lZDI1NTE5AAAAIEo2m1lb3RBDfWmUq2XSe29c5gK0qd7bvQhT4hzYH3kQ"
    path = tmp_path / "known_hosts"
    path.write_text(f"ledger ssh-ed25519 {ed25519_blob}\n")
    with pytest.raises(SeamError, match="has CHANGED"):
        KnownHosts(path).verify(server_key, "ledger", 22, trust_unknown=True)


def test_unreadable_known_hosts_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "known_hosts").mkdir()
    KnownHosts(tmp_path / "known_hosts")  # a directory is not a file: treated as absent, like OpenSSH
    broken = tmp_path / "broken"
    broken.write_text("ledger ssh-ed25519 not-base64!!\n")
    with pytest.raises(SeamError, match=rf"^SSH: cannot read known_hosts file {broken}: "):
        KnownHosts(broken)


def test_check_rc_accepts_the_expected_rc_or_any() -> None:
    check_rc(CommandResult("true", "", "", 0), 0, "u@h:22")
    check_rc(CommandResult("false", "", "", 1), None, "u@h:22")


def test_check_rc_failure_shows_command_rc_and_the_tail_of_stderr() -> None:
    stderr = "x" * 5000 + "\nthe real reason\n"
    with pytest.raises(SeamError) as raised:
        check_rc(CommandResult("ledger post B1", "", stderr, 2), 0, "settle@ledger:2222")
    message = str(raised.value)
    assert message.startswith("SSH: command 'ledger post B1' on settle@ledger:2222 expected rc 0, got 2; stderr: …x")
    assert message.endswith("x\nthe real reason")
    assert len(message) < 1200


def test_check_rc_says_when_stderr_is_empty() -> None:
    with pytest.raises(SeamError, match=r"expected rc 0, got 1; stderr: \(empty\)$"):
        check_rc(CommandResult("false", "", "", 1), 0, "u@h:22")


@pytest.mark.parametrize(
    ("version", "posix"),
    [
        ("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", True),
        ("SSH-2.0-OpenSSH_8.0", True),
        ("SSH-2.0-OpenSSH_for_Windows_8.1", False),  # cmd.exe would refuse the marker
        ("SSH-2.0-paramiko_3.4.0", False),  # a server that runs commands itself (orderflow's ledger)
        ("SSH-2.0-dropbear_2022.83", False),
    ],
)
def test_only_openssh_outside_windows_is_taken_to_run_a_posix_shell(version: str, posix: bool) -> None:
    assert runs_a_posix_shell(version) is posix
