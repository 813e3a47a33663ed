"""Database URLs, and the driver options their query strings carry.

`postgresql://user:pw@host:5432/db?sslmode=require&application_name=suite` passes `sslmode` and
`application_name` to libpq as its own options (any libpq connection keyword); `mysql://...?charset=latin1`
passes `charset` to PyMySQL (the options in `MYSQL_OPTIONS`, converted to the type PyMySQL expects).
An option the driver does not know is refused, listing those it does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import SeamError
from ..masking import MASK, is_secret_name, mask_url_passwords

SEAM = "SQL"
DIALECTS = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}
# Options the URL's own parts (or the keyword's password=) already give: one way to say each.
URL_PART_OPTIONS = frozenset({"user", "password", "dbname", "database"})


_QUERY_OPTION = re.compile(r"(?P<lead>[?&])(?P<name>[^=&#]+)=(?P<value>[^&#]*)")


def display_url(url: str) -> str:
    """`url` fit for a log: its password and the values of credential options (`sslpassword=`) masked."""
    return _QUERY_OPTION.sub(
        lambda m: f"{m['lead']}{m['name']}={MASK}" if is_secret_name(m["name"]) else m[0], mask_url_passwords(url)
    )


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed database URL; `display` is safe to log (password masked)."""

    dialect: str
    host: str
    port: int | None
    user: str | None
    password: str | None
    database: str
    options: dict[str, str]
    display: str


def parse_url(url: str) -> DatabaseUrl:
    """`sqlite:///relative.db`, `sqlite:////absolute.db`, `postgresql://user:pw@host:port/db`, `mysql://...`.

    A `+driver` suffix (`postgresql+psycopg://`, `mysql+pymysql://`) is accepted and ignored.
    """
    scheme, sep, rest = url.partition("://")
    dialect = DIALECTS.get(scheme.split("+", 1)[0].lower()) if sep else None
    display = display_url(url)
    if dialect is None:
        raise SeamError(
            SEAM,
            f"unsupported database URL '{display}': expected sqlite:///path, "
            "postgresql://user@host:port/db or mysql://user@host:port/db",
        )
    if dialect == "sqlite":
        path, _, query = (rest[1:] if rest.startswith("/") else rest).partition("?")
        if query:
            raise SeamError(SEAM, f"sqlite URLs take no options: {display}")
        return DatabaseUrl("sqlite", "", None, None, None, path or ":memory:", {}, url)
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise SeamError(SEAM, f"database URL '{display}' has an invalid port") from None
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    given_twice = sorted(URL_PART_OPTIONS.intersection(options))
    if given_twice:
        raise SeamError(
            SEAM,
            f"option {', '.join(given_twice)} in {display}: give it in the URL itself "
            "(scheme://user@host:port/database) or as password=",
        )
    return DatabaseUrl(
        dialect=dialect,
        host=parts.hostname or "127.0.0.1",
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=unquote(parts.path.lstrip("/")),
        options=options,
        display=display,
    )


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
        raise ValueError(f"'{text}' is not true or false")
    return value in {"1", "true", "yes", "on"}


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(f"'{text}' is not a number of seconds above 0")
    return value


def _count(text: str) -> int:
    if not text.strip().isdigit():
        raise ValueError(f"'{text}' is not a whole number")
    return int(text)


# PyMySQL's connect() arguments a URL may set, with the type each one takes.
MYSQL_OPTIONS: dict[str, Callable[[str], Any]] = {
    "bind_address": str,
    "charset": str,
    "collation": str,
    "connect_timeout": _seconds,
    "init_command": str,
    "local_infile": _flag,
    "max_allowed_packet": _count,
    "program_name": str,
    "read_timeout": _seconds,
    "sql_mode": str,
    "ssl_ca": str,
    "ssl_cert": str,
    "ssl_disabled": _flag,
    "ssl_key": str,
    "ssl_verify_cert": _flag,
    "ssl_verify_identity": _flag,
    "unix_socket": str,
    "write_timeout": _seconds,
}


def mysql_options(url: DatabaseUrl) -> dict[str, Any]:
    """The URL's options as PyMySQL's connect() arguments, each converted to its type."""
    refuse_unknown(url, MYSQL_OPTIONS)
    converted = {}
    for name, text in url.options.items():
        try:
            converted[name] = MYSQL_OPTIONS[name](text)
        except ValueError as error:
            raise SeamError(SEAM, f"option {name}={text} in {url.display}: {error}") from None
    return converted


def refuse_unknown(url: DatabaseUrl, supported: Collection[str]) -> None:
    """Fails naming every supported option when the URL carries one that is not."""
    unknown = sorted(set(url.options) - set(supported))
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise SeamError(
            SEAM,
            f"unknown option{plural} {', '.join(unknown)} in {url.display}; the {url.dialect} driver takes: "
            + ", ".join(sorted(set(supported) - URL_PART_OPTIONS)),
        )
