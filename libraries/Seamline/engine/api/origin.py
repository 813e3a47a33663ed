"""Credentials stay with their origin: a session's credentials go only to its scheme, host and port.

A session's credentials are the headers of its `auth` and every session header that is a credential by
its name (Authorization, Cookie, X-Api-Key, ...) or was given as a `Secret`. They are added to a request
only when its URL has the session's origin, or one the user trusted (`trusted_hosts=`); a redirect to any
other origin is sent without them, nor with any credential header given to the call. Seamline drops them
and says so (through `notify`) rather than failing: the next page or the redirect target may well be
public, and when it is not, its 401 comes with the note that explains it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping
from urllib.parse import urlsplit

from ..errors import SeamError
from ..masking import Masker, is_secret_name

DEFAULT_PORTS = {"http": 80, "https": 443}
# Set by requests from the proxy URL, for the proxy: not a credential of the origin.
_PROXY_HEADER = "proxy-authorization"

Origin = tuple[str, str, int | None]


def origin_of(url: str, default_scheme: str = "") -> Origin | None:
    """(scheme, host, port) of `url`, the port filled in from the scheme; None when it has no host."""
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
        scheme = (parts.scheme or default_scheme).lower()
        host = (parts.hostname or "").lower()
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number
        return None
    return (scheme, host, port) if host else None


def origin_text(origin: Origin | None) -> str:
    if origin is None:
        return "an address without a host"
    scheme, host, port = origin
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


class CredentialGuard:
    """Which origins may receive a session's credentials, and which headers are credentials."""

    def __init__(
        self,
        base_url: str,
        masker: Masker,
        trusted_hosts: Iterable[str] = (),
        notify: Callable[[str], None] | None = None,
    ):
        self.base_url = base_url
        self.masker = masker
        self.notify = notify or (lambda message: None)
        self.origin = origin_of(base_url)
        if self.origin is None:
            raise SeamError("HTTP", f"base URL {masker.url(base_url)!r} has no host")
        self.trusted = {self.origin}
        for entry in trusted_hosts:
            trusted = origin_of(entry.strip(), default_scheme=self.origin[0])
            if trusted is None:
                raise SeamError("HTTP", f"trusted_hosts entry {entry!r} is not a host, host:port or scheme://host:port")
            self.trusted.add(trusted)
        self.credential_names: set[str] = set()

    def allows(self, url: str) -> bool:
        """True when `url` may receive the session's credentials (its origin is the session's or trusted)."""
        # Under the base URL (which ends with "/") the origin is the session's: no URL parsing per call.
        return url.startswith(self.base_url) or origin_of(url) in self.trusted

    def is_credential(self, name: str, value: str) -> bool:
        lowered = name.lower()
        if lowered == _PROXY_HEADER:
            return False
        return lowered in self.credential_names or is_secret_name(name) or self.masker.text(value) != value

    def withhold(self, headers: MutableMapping[str, str], url: str, came_from: str) -> None:
        """Remove every credential header from a redirected request to `url`, unless its origin is trusted."""
        if self.allows(url):
            return
        withheld = [name for name, value in headers.items() if self.is_credential(name, value)]
        for name in withheld:
            del headers[name]
        if withheld:
            self.note(withheld, url, f"redirect from {self.masker.url(came_from)}")

    def note(self, names: Iterable[str], url: str, what: str) -> None:
        self.notify(
            f"{what}: {', '.join(sorted(names))} not sent to {origin_text(origin_of(url))}, "
            f"which is not the session's origin {origin_text(self.origin)} "
            "(name it in trusted_hosts= of Connect To Api to send them there)."
        )
