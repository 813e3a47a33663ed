"""Secrets: unwrap Robot Framework `Secret` values only at the driver call, mask them everywhere else.

A `Masker` remembers every secret it has revealed (and the forms it travels in: URL-quoted,
base64 in a basic-auth header) and masks them in any text, plus anything that looks like a
credential by its name: known headers, JSON fields, URL passwords and query parameters, and the
header and field names a suite adds (`Masker.add_names`, the library's ``secret_names=``).

The masker runs on every message of a run, other libraries' included, so its cost is linear in the
length of the text: no pattern here has nested or ambiguous quantifiers. Known secrets are one
pattern of literals (`literals_pattern`, a trie). The name rules start a key only where a run of
name characters starts and take the whole run, then look for the separator (``=``, ``:``) and the
value; the URL rule starts at ``://``. No character is scanned as part of more than one key or value.

Long texts are cut before they are masked (`Masker.preview`, `Masker.data_preview`): only what
will be shown is masked, plus a margin, so that a secret the cut splits is masked whole.

A password is a secret whatever its value. When it equals the user name (``amqp://guest:guest@``)
the user name is masked too, since showing it would show the password. A password made of letters
only (a word such as ``guest``) is masked where it stands as a word but not inside a longer word
(``guesthouse``, ``Guests``), so that such a password leaves the rest of the log readable.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from .literals import literals_pattern
from .values import cut

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

# What a cut text is masked beyond its cut (at least; more when a known secret is longer): a secret,
# URL password or credential value that the cut splits lies whole inside this margin and is masked.
CUT_MARGIN = 1024

# From "://": a user, ":", a password, "@". Neither part can hold "/", so no scan passes the next URL.
_URL_USERINFO = re.compile(r"://(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")
# A key where a run of name characters starts (the look-behind rejects every other start at once),
# taking the whole run (what a look-ahead matched is never given back, so a run that is no key is not
# retried one character shorter at a time), then a separator and the value's opening quote:
# `"password": "`, `token='`, and in JSON held in a JSON string `\\"password\\": \\"`.
_QUOTED_FIELD = re.compile(
    r"(?<![\w\-])(?=(?P<key>[\w\-]+))(?P=key)(?:\\*[\"'])?\s*[:=]\s*(?P<escapes>\\*)(?P<quote>[\"'])"
)
# A query parameter's key, the same way: `token=`.
_QUERY_KEY = re.compile(r"(?<![\w.\-])(?=(?P<key>[\w.\-]+))(?P=key)=")
_QUERY_VALUE = re.compile(r"[^&#\s;]+")
_SECRET_PART = re.compile("|".join(SECRET_FIELD_PARTS))


def _normalised(name: str) -> str:
    return name.lower().replace("-", "_").replace(" ", "_")


def _header_line_pattern(names: Iterable[str]) -> re.Pattern[str]:
    # "x-custom-auth" also matches "X_Custom_Auth:" and "x custom auth =": names are compared normalised.
    spelled = ("[-_ ]".join(map(re.escape, re.split(r"[-_ ]", name))) for name in sorted(names, key=len, reverse=True))
    return re.compile(r"(?P<key>\b(?:" + "|".join(spelled) + r")\s*[:=]\s*)(?P<value>[^\r\n]+)", re.IGNORECASE)


_HEADER_LINE = _header_line_pattern(SECRET_HEADERS)


def mask_url_passwords(text: str) -> str:
    """`text` with the password of every `scheme://user:password@` URL in it masked."""
    if "://" not in text:
        return text
    return _URL_USERINFO.sub(lambda m: f"://{m['user']}:{MASK}@", text)


def is_secret(value: Any) -> bool:
    """True for a Robot Framework `Secret` (duck-typed: the engine does not import robot)."""
    return type(value).__name__ == "Secret" and hasattr(value, "value")


def is_secret_name(name: str) -> bool:
    """True when a header or field name says its value is a credential (by the built-in names)."""
    return _known_name(str(name))[1]


# The same few names come again and again (every key of every JSON body): each is looked at once.
@functools.lru_cache(maxsize=4096)
def _known_name(name: str) -> tuple[str, bool]:
    """The name normalised, and whether the built-in names call it a credential."""
    normalised = _normalised(name)
    return normalised, normalised in _NORMALISED_HEADERS or _SECRET_PART.search(normalised) is not None


_NORMALISED_HEADERS = frozenset(map(_normalised, SECRET_HEADERS))


def _word_edges(secret: str) -> str:
    """What must hold where `secret` ends: nothing, or for a word ("guest") that no letter touches it.

    The look-behind comes after the literal so that every branch still starts with a literal, which lets
    the regex engine skip ahead by first character."""
    if not secret.isalpha():
        return ""
    return rf"(?<![^\W\d_]{re.escape(secret)})(?![^\W\d_])"


def _closing_quote(text: str, start: int, quote: str, escapes: int) -> int:
    """Where the value that opened at `start` with `quote` (after `escapes` backslashes) ends: at the same
    quote after as many backslashes; one after more is a quote inside the value. The end of `text` if none."""
    position = text.find(quote, start)
    while position != -1:
        backslashes = 0
        while position - backslashes > start and text[position - backslashes - 1] == "\\":
            backslashes += 1
        if backslashes == escapes:
            return position - escapes
        position = text.find(quote, position + 1)
    return len(text)


class Masker:
    """Reveals secrets for drivers and masks them in everything that is logged."""

    def __init__(self) -> None:
        self._known: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        self._longest = 0
        self._names: frozenset[str] = frozenset()
        self._header_line = _HEADER_LINE

    def add_names(self, names: str | Iterable[str]) -> None:
        """Mask the values of these header and field names too: a list, or names separated by commas.

        A name is matched whole, as the built-in header names are (``session_ref`` masks ``Session-Ref``,
        not ``session_reference``); case, "-", "_" and " " do not matter."""
        listed = names.split(",") if isinstance(names, str) else names
        added = {_normalised(name.strip()) for name in listed if name.strip()}
        with self._lock:
            self._names = self._names | added
            self._header_line = _header_line_pattern(SECRET_HEADERS | self._names)

    def is_secret_name(self, name: Any) -> bool:
        """True when a header or field name says its value is a credential: built-in or added names."""
        normalised, built_in = _known_name(str(name))
        return built_in or normalised in self._names

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
                self._pattern = literals_pattern(self._known, _word_edges)
                self._longest = max(map(len, self._known))

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
        # Each rule runs only when its tell-tale is there: most log lines have none.
        if "://" in masked and "@" in masked:
            masked = mask_url_passwords(masked)
        normalised = _normalised(masked)
        named = any(name in normalised for name in self._names)
        if named or any(header in normalised for header in _NORMALISED_HEADERS):
            masked = self._header_line.sub(lambda m: f"{m['key']}{MASK}", masked)
        if named or any(part in normalised for part in SECRET_FIELD_PARTS):
            if ("'" in masked or '"' in masked) and (":" in masked or "=" in masked):
                masked = self._mask_quoted_fields(masked)
            if "=" in masked:
                masked = self._mask_query_parameters(masked)
        return masked

    def _mask_quoted_fields(self, text: str) -> str:
        """`"password": "…"`, `token='…'`: the quoted value of a credential field, to its closing quote (or the
        end of the text, as in a body cut in the middle of one)."""
        pieces: list[str] = []
        done = 0
        found = _QUOTED_FIELD.search(text)
        while found:
            if not self.is_secret_name(found["key"]):
                found = _QUOTED_FIELD.search(text, found.end())
                continue
            value_end = _closing_quote(text, found.end(), found["quote"], len(found["escapes"]))
            pieces += (text[done : found.end()], MASK)
            done = value_end
            found = _QUOTED_FIELD.search(text, value_end + 1) if value_end < len(text) else None
        return "".join(pieces) + text[done:] if pieces else text

    def _mask_query_parameters(self, text: str) -> str:
        """`token=…`: the value of a credential parameter, to the next `&`, `#`, `;` or white space."""
        pieces: list[str] = []
        done = 0
        found = _QUERY_KEY.search(text)
        while found:
            value = _QUERY_VALUE.match(text, found.end())
            if value and self.is_secret_name(found["key"]):
                pieces += (text[done : found.end()], MASK)
                done = value.end()
                found = _QUERY_KEY.search(text, done)
            else:
                found = _QUERY_KEY.search(text, found.end())
        return "".join(pieces) + text[done:] if pieces else text

    def preview(self, text: Any, limit: int) -> str:
        """`text` masked and cut to `limit` characters (no limit when 0 or less), saying how much was left out.

        Cut first: only the first `limit` characters and a margin are masked, so a 1 MB body costs what its
        first kilobytes cost. A secret or credential value that the cut splits lies whole in the margin and
        is masked whole; the margin itself is never shown.
        """
        if is_secret(text):
            return MASK
        plain = str(text)
        if limit <= 0 or len(plain) <= limit:
            return self.text(plain)
        start, whole = self._masked_start(plain, limit)
        return cut(start, limit) if whole else cut(start, limit, beyond=len(plain) - len(start))

    def _masked_start(self, plain: str, length: int) -> tuple[str, bool]:
        """The masked start of `plain`, `length` characters of it or more, and whether it is all of it.

        Masked through `length` plus two margins, of which the masked text's last margin is dropped: it may end
        in the start of a secret that the cut split. The other margin makes up for masks shortening what they
        replace; when they shortened it by more, a window twice as long is masked."""
        margin = max(CUT_MARGIN, self._longest)
        window = length + 2 * margin
        while len(plain) > window:
            masked = self.text(plain[:window])
            start = masked[: len(masked) - margin]
            if len(start) >= length:
                return start, False
            window *= 2
        return self.text(plain), True

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
            str(name): MASK if self.is_secret_name(name) or is_secret(value) else self.text(value)
            for name, value in items
        }

    def data(self, data: Any) -> Any:
        """A copy of JSON-like data fit for a log: credential fields and known secrets masked."""
        return _DataWalk(self, math.inf).masked(data)

    def data_preview(self, data: Any, limit: int) -> str:
        """JSON-like data masked, pretty-printed and cut to `limit` characters (no limit when 0 or less).

        Cut first: only as much of `data` as can be shown, and a margin, is walked and masked (strings cut,
        lists and mappings shortened). What was left out is counted in compact JSON of the original."""
        walk = _DataWalk(self, limit + max(CUT_MARGIN, self._longest) if limit > 0 else math.inf)
        text = _pretty(walk.masked(data))
        if not walk.cut_short:
            return cut(text, limit)
        total = len(json.dumps(data, ensure_ascii=False, default=str))
        return cut(text, limit, beyond=max(0, total - len(text)))


def _pretty(data: Any) -> str:
    try:
        return json.dumps(data, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # keys JSON cannot hold, a circular structure: Python's own repr then
        return str(data)


class _DataWalk:
    """One masked copy of JSON-like data, of about `budget` characters of JSON at most: what comes after is
    left out (`cut_short`), so that a huge body is masked only as far as it is shown.

    Every kept piece spends at most the characters it takes in JSON, so a copy that was cut short still
    renders to `budget` characters or more, all of them those the whole data starts with."""

    def __init__(self, masker: Masker, budget: float):
        self.masker = masker
        self.left = budget
        self.cut_short = False

    def masked(self, data: Any) -> Any:
        if is_secret(data):
            self.left -= len(MASK) + 2
            return MASK
        if isinstance(data, Mapping):
            return self._mapping(data)
        if isinstance(data, (list, tuple)):
            return self._sequence(data)
        if isinstance(data, str):
            return self._string(data)
        self.left -= len(str(data))
        return data

    def _mapping(self, data: Mapping[Any, Any]) -> dict[Any, Any]:
        copy = {}
        for key, item in data.items():
            if self.left <= 0:
                self.cut_short = True
                break
            self.left -= len(str(key)) + 4  # its quotes, a colon and a space
            if self.masker.is_secret_name(key) and item not in (None, ""):
                self.left -= len(MASK) + 2
                copy[key] = MASK
            else:
                copy[key] = self.masked(item)
        return copy

    def _sequence(self, data: list[Any] | tuple[Any, ...]) -> list[Any]:
        copy = []
        for item in data:
            if self.left <= 0:
                self.cut_short = True
                break
            self.left -= 2  # a comma and a space (or a line break)
            copy.append(self.masked(item))
        return copy

    def _string(self, data: str) -> str:
        if len(data) <= self.left:
            masked = self.masker.text(data)
        else:
            start, whole = self.masker._masked_start(data, int(self.left))
            masked = start if whole else start + "…"
            self.cut_short = self.cut_short or not whole
        self.left -= len(masked) + 2
        return masked
