"""Secrets: unwrap Robot Framework `Secret` values only at the driver call, mask them everywhere else.

A `Masker` remembers every secret it has revealed (and the forms it travels in: URL-quoted,
base64 in a basic-auth header) and masks them in any text, plus anything that looks like a
credential by its name: known headers, JSON fields, URL passwords and query parameters.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

MASK = "***"

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-access-token",
    }
)

# A field is secret when its normalised name (lower case, "-" and " " as "_") contains one of these.
SECRET_FIELD_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "private_key",
    "credential",
)

# Secrets shorter than this are not searched for in free text: masking "a" everywhere helps nobody.
MIN_SECRET_LENGTH = 3

_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")
_FIELD_NAMES = "|".join(SECRET_FIELD_PARTS)
_QUERY_PARAM = re.compile(rf"(?P<key>[?&;]?[\w.\-]*(?:{_FIELD_NAMES})[\w.\-]*=)(?P<value>[^&#\s;]+)", re.IGNORECASE)
_HEADER_LINE = re.compile(
    r"(?P<key>\b(?:" + "|".join(re.escape(h) for h in SECRET_HEADERS) + r")\s*[:=]\s*)(?P<value>[^\r\n]+)",
    re.IGNORECASE,
)
_JSONISH_FIELD = re.compile(
    rf"(?P<key>[\"']?[\w\-]*(?:{_FIELD_NAMES})[\w\-]*[\"']?\s*[:=]\s*[\"'])(?P<value>[^\"']*)(?P<end>[\"'])",
    re.IGNORECASE,
)


def mask_url_passwords(text: str) -> str:
    """`text` with the password of every `scheme://user:password@` URL in it masked."""
    return _URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)


def is_secret(value: Any) -> bool:
    """True for a Robot Framework `Secret` (duck-typed: the engine does not import robot)."""
    return type(value).__name__ == "Secret" and hasattr(value, "value")


def is_secret_name(name: str) -> bool:
    """True when a header or field name says its value is a credential."""
    normalised = str(name).lower().replace("-", "_").replace(" ", "_")
    return normalised in SECRET_HEADERS or any(part in normalised for part in SECRET_FIELD_PARTS)


class Masker:
    """Reveals secrets for drivers and masks them in everything that is logged."""

    def __init__(self) -> None:
        self._known: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def register(self, *values: Any) -> None:
        """Remember secret strings (and their URL-quoted and base64 forms) so text masking finds them."""
        added = False
        for value in values:
            plain = value.value if is_secret(value) else value
            if not isinstance(plain, str) or len(plain) < MIN_SECRET_LENGTH:
                continue
            forms = {plain, quote(plain, safe=""), quote_plus(plain)}
            with self._lock:
                before = len(self._known)
                self._known.update(forms)
                added = added or len(self._known) != before
        if added:
            with self._lock:
                ordered = sorted(self._known, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def register_basic_auth(self, user: str, password: str) -> None:
        """A basic-auth header carries base64(user:password): mask that form too."""
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.register(password, token)

    def reveal(self, value: Any) -> Any:
        """The plain value of a `Secret` (remembered for masking); other values unchanged."""
        if is_secret(value):
            self.register(value.value)
            return value.value
        return value

    def reveal_deep(self, data: Any) -> Any:
        """A copy of `data` with every nested `Secret` revealed, for handing to a driver."""
        if is_secret(data):
            return self.reveal(data)
        if isinstance(data, Mapping):
            return {key: self.reveal_deep(item) for key, item in data.items()}
        if isinstance(data, (list, tuple)):
            return type(data)(self.reveal_deep(item) for item in data)
        return data

    def reveal_url(self, url: Any) -> str:
        """A URL with its password revealed; the password is remembered for masking."""
        plain = self.reveal(url)
        password = urlsplit(plain).password
        if password:
            self.register(password)
        return plain

    def text(self, text: Any) -> str:
        """`text` with known secrets, URL passwords, credential headers, fields and parameters masked."""
        if is_secret(text):
            return MASK
        masked = str(text)
        pattern = self._pattern
        if pattern is not None:
            masked = pattern.sub(MASK, masked)
        # Each pattern runs only when its tell-tale substring is there: most log lines have none.
        lowered = masked.lower()
        if "://" in masked and "@" in masked:
            masked = mask_url_passwords(masked)
        if any(header in lowered for header in SECRET_HEADERS):
            masked = _HEADER_LINE.sub(lambda m: f"{m['key']}{MASK}", masked)
        if any(part in lowered for part in SECRET_FIELD_PARTS):
            masked = _JSONISH_FIELD.sub(lambda m: f"{m['key']}{MASK}{m['end']}", masked)
            masked = _QUERY_PARAM.sub(lambda m: f"{m['key']}{MASK}", masked)
        return masked

    def url(self, url: Any) -> str:
        """A URL fit for a log: password and credential query parameters masked."""
        plain = url.value if is_secret(url) else str(url)
        parts = urlsplit(plain)
        if parts.password:
            netloc = f"{parts.username}:{MASK}@{parts.hostname}"
            if parts.port:
                netloc += f":{parts.port}"
            plain = urlunsplit(parts._replace(netloc=netloc))
        return self.text(plain)

    def headers(self, headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> dict[str, str]:
        """Headers fit for a log: credential headers masked, other values text-masked."""
        if headers is None:
            return {}
        items = headers.items() if isinstance(headers, Mapping) else headers
        return {
            str(name): MASK if is_secret_name(name) or is_secret(value) else self.text(value) for name, value in items
        }

    def data(self, data: Any) -> Any:
        """A copy of JSON-like data fit for a log: credential fields and known secrets masked."""
        if is_secret(data):
            return MASK
        if isinstance(data, Mapping):
            return {
                key: MASK if is_secret_name(key) and data[key] not in (None, "") else self.data(item)
                for key, item in data.items()
            }
        if isinstance(data, (list, tuple)):
            return [self.data(item) for item in data]
        if isinstance(data, str):
            return self.text(data)
        return data
