"""The real servers tests may use, and the rule for their absence.

A test whose server is absent skips with the reason, unless `SEAMLINE_REQUIRE` names that
server (CI: `SEAMLINE_REQUIRE=postgres,mariadb,rabbitmq,sshd`), then it fails.
Addresses can be overridden with SEAMLINE_<NAME>_URL.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from urllib.parse import urlsplit

DEFAULT_URLS = {
    "postgres": "postgresql://postgres@127.0.0.1:5432/test",
    "mariadb": "mysql://root@127.0.0.1:3306/test",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/%2F",
}


def required(name: str) -> bool:
    wanted = {part.strip().lower() for part in os.environ.get("SEAMLINE_REQUIRE", "").split(",")}
    return name.lower() in wanted


def server_url(name: str) -> str:
    return os.environ.get(f"SEAMLINE_{name.upper()}_URL", DEFAULT_URLS[name])


def tcp_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def absence_reason(name: str) -> str | None:
    """None when the server can be used, else why not."""
    if name == "chromium":
        found = shutil.which("chromium") or shutil.which("chromium-browser")
        return None if found else "Chromium is not installed (Debian: apt-get install chromium)"
    if name == "sshd":
        if not (shutil.which("sshd") or os.path.exists("/usr/sbin/sshd")):
            return "OpenSSH sshd is not installed (Debian: apt-get install openssh-server)"
        # The harness (tests/sshd.py) creates its test user and runs its own sshd: that takes root.
        return None if os.geteuid() == 0 else "the test sshd needs root (it creates its test user)"
    parts = urlsplit(server_url(name))
    if tcp_reachable(parts.hostname or "127.0.0.1", parts.port or 0):
        return None
    return f"{name} is not reachable at {parts.hostname}:{parts.port}"


def main(argv: list[str]) -> int:
    """`python tests/servers.py check NAME`: exit 0 when usable; else say why, exit 1 (skip) or 2 (required)."""
    if len(argv) != 3 or argv[1] != "check":
        print("usage: servers.py check NAME", file=sys.stderr)
        return 2
    reason = absence_reason(argv[2])
    if reason is None:
        return 0
    if required(argv[2]):
        print(f"{reason}, and SEAMLINE_REQUIRE requires it", file=sys.stderr)
        return 2
    print(f"skipped: {reason}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
