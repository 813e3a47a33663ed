"""Where orderflow's services listen and how they reach each other: fixed ports and link overrides.

A link is ``CALLER>TARGET``, one of :data:`LINKS`. By default every caller reaches its target
where the target listens (or, for the database and the broker, at the address of --db / --broker).
An override sends one link elsewhere, typically to a fault proxy in front of the target:

    --ports inventory=7102,ledger=7105
    --link gateway>inventory=127.0.0.1:7202 --link bus>inventory=127.0.0.1:7202
    --link '*>database=127.0.0.1:7203'     (every service's database link)

The proxy needs its upstream before orderflow starts, and orderflow needs the proxy's address:
fix the target's port with --ports (pick free ones with :func:`free_ports`), start the proxy on
that upstream (it connects per new connection, so the port need not listen yet), then start
orderflow with the link pointing at the proxy.
"""

from __future__ import annotations

import random
import re
import socket
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SERVICES = ("gateway", "orders", "inventory", "reports", "bus", "ledger")
# target -> the callers that hold a link to it
CALLERS = {
    "orders": ("gateway", "bus"),
    "inventory": ("gateway", "bus", "reports"),
    "reports": ("gateway",),
    "ledger": ("settlement",),
    "database": ("orders", "inventory", "reports", "bus"),
    "broker": ("orders", "inventory", "bus"),
}
LINKS = tuple(f"{caller}>{target}" for target, callers in CALLERS.items() for caller in callers)
_ADDRESS = re.compile(r"^[A-Za-z0-9.\-]+:\d{1,5}$")


class LinkError(ValueError):
    pass


def parse_ports(text: str) -> dict[str, int]:
    """``orders=7101,ledger=7105`` -> {"orders": 7101, "ledger": 7105}; unknown services are an error."""
    ports: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        service, _, port = item.partition("=")
        if service not in SERVICES or not port.isdigit() or not 0 <= int(port) < 65536:
            raise LinkError(f"--ports {item!r}: expected SERVICE=PORT, SERVICE one of {', '.join(SERVICES)}")
        ports[service] = int(port)
    return ports


def parse_links(items: Iterable[str]) -> dict[str, str]:
    """``CALLER>TARGET=host:port`` items -> {link: address}; ``*`` as CALLER means every caller of TARGET."""
    links: dict[str, str] = {}
    for item in items:
        name, _, address = item.partition("=")
        caller, _, target = name.strip().partition(">")
        if not _ADDRESS.match(address.strip()):
            raise LinkError(f"--link {item!r}: expected CALLER>TARGET=host:port")
        callers = CALLERS.get(target, ()) if caller == "*" else (caller,)
        names = [f"{one}>{target}" for one in callers]
        unknown = [link for link in names if link not in LINKS]
        if not names or unknown:
            raise LinkError(f"--link {item!r}: no link {name.strip()}; links are {', '.join(LINKS)}")
        links.update(dict.fromkeys(names, address.strip()))
    return links


def redirect(url: str, address: str | None) -> str:
    """`url` sent to ``host:port`` `address` instead, its scheme, credentials, path and query kept."""
    if not address:
        return url
    parts = urlsplit(url)
    user, at, _ = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user}{at}{address}"))


DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "mysql": 3306, "mariadb": 3306, "amqp": 5672, "ssh": 22}


def address(url: str) -> str:
    """The ``host:port`` a database, broker or service URL reaches (the scheme's port when it names none)."""
    parts = urlsplit(url)
    scheme = parts.scheme.partition("+")[0]
    port = parts.port or DEFAULT_PORTS.get(scheme)
    if not parts.hostname or not port:
        raise LinkError(f"{url!r} names no network address (host and port)")
    return f"{parts.hostname}:{port}"


# Fixed ports are drawn below the kernel's ephemeral range, which port 0 and every outgoing connection take
# from: a port picked there and released until its service binds it can be handed to another process meanwhile.
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
FIXED_LOWEST = 10000


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports free on 127.0.0.1 right now (for --ports), outside the ephemeral range."""
    ports: list[int] = []
    for port in _candidates():
        if len(ports) == count:
            break
        if port not in ports and _bindable(port):
            ports.append(port)
    return ports if len(ports) == count else _kernel_ports(count)


def _candidates() -> list[int]:
    try:
        lowest_ephemeral = int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []  # not Linux: the kernel's own picks
    return random.sample(range(FIXED_LOWEST, lowest_ephemeral), max(0, min(200, lowest_ephemeral - FIXED_LOWEST)))


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _kernel_ports(count: int) -> list[int]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
