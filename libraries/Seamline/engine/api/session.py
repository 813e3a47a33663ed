"""HTTP sessions for API seams: pooled `requests` sessions, auth from secrets, trace headers, clear errors."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies

from ..errors import SeamError
from ..masking import Masker, is_secret

CORRELATION_HEADER = "X-Correlation-Id"
_SERVER_TIMING_ENTRY = re.compile(r"\s*([^;,\s]+)([^,]*)")
_SERVER_TIMING_DUR = re.compile(r";\s*dur=([0-9.]+)")


@dataclass(frozen=True)
class ExpectedStatus:
    """Which status codes a call accepts: codes, classes (`4xx`) or any."""

    codes: frozenset[int]
    classes: frozenset[int]
    text: str

    @property
    def any(self) -> bool:
        return not self.codes and not self.classes

    def matches(self, status: int) -> bool:
        return self.any or status in self.codes or status // 100 in self.classes

    def __str__(self) -> str:
        return self.text

    @classmethod
    def parse(cls, spec: int | str | Sequence[int | str]) -> ExpectedStatus:
        if isinstance(spec, (list, tuple)):
            return _parse_status(tuple(str(item) for item in spec))
        return _parse_status((str(spec),))


@lru_cache(maxsize=256)
def _parse_status(items: tuple[str, ...]) -> ExpectedStatus:
    parts = [part.strip().lower() for item in items for part in re.split(r"[,|]", item) if part.strip()]
    if not parts:
        raise SeamError("HTTP", "expected_status is empty; give a code (200), a class (2xx), a list or 'any'")
    if "any" in parts:
        return ExpectedStatus(frozenset(), frozenset(), "any")
    codes, classes = set(), set()
    for part in parts:
        if re.fullmatch(r"[1-5]\d\d", part):
            codes.add(int(part))
        elif re.fullmatch(r"[1-5]xx", part):
            classes.add(int(part[0]))
        else:
            raise SeamError(
                "HTTP", f"expected_status '{part}' is not a code (200), a class (2xx), a list of those or 'any'"
            )
    return ExpectedStatus(frozenset(codes), frozenset(classes), " or ".join(parts))


def auth_headers(auth: Any, masker: Masker) -> dict[str, str]:
    """Headers for `auth`: a token (bearer), [basic, user, password], [bearer, token], [header, name, value]
    or {header: value}. Secrets are revealed here, at the driver, and remembered for masking."""
    if auth is None or auth == "":
        return {}
    if is_secret(auth) or isinstance(auth, str):
        return {"Authorization": f"Bearer {masker.reveal(auth)}"}
    if isinstance(auth, Mapping):
        return {str(name): str(masker.reveal(value)) for name, value in auth.items()}
    if isinstance(auth, (list, tuple)) and auth:
        scheme = str(auth[0]).strip().lower()
        values = [masker.reveal(value) for value in auth[1:]]
        if scheme == "bearer" and len(values) == 1:
            return {"Authorization": f"Bearer {values[0]}"}
        if scheme == "basic" and len(values) == 2:
            user, password = (str(value) for value in values)
            masker.register_basic_auth(user, password)
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        if scheme in ("header", "api-key", "apikey") and len(values) == 2:
            return {str(values[0]): str(values[1])}
    raise SeamError(
        "HTTP",
        "auth must be a token (bearer), [bearer, token], [basic, user, password], [header, name, value] "
        f"or a dictionary of headers; got a {type(auth).__name__} of {_shape(auth)}",
    )


def _shape(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return (
            f"{len(value)} items starting '{value[0]}'" if value and not is_secret(value[0]) else f"{len(value)} items"
        )
    return "unsupported type"


def new_trace_ids() -> tuple[str, str]:
    """A correlation id and a W3C traceparent (random trace and span ids, sampled)."""
    trace_id = os.urandom(16).hex()
    return trace_id, f"00-{trace_id}-{os.urandom(8).hex()}-01"


def server_timing(header: str | None) -> dict[str, float]:
    """`Server-Timing: gateway;dur=1.2, orders;dur=0.8` as {name: milliseconds} (entries without dur are 0)."""
    if not header:
        return {}
    timings = {}
    for name, params in _SERVER_TIMING_ENTRY.findall(header):
        duration = _SERVER_TIMING_DUR.search(params)
        timings[name] = float(duration.group(1)) if duration else 0.0
    return timings


def same_value(actual: Any, expected: Any) -> bool:
    """Equal, or equal as Robot writes it: `3`, `true`, `null` and `12.5` match the JSON values."""
    if actual == expected:
        return True
    if isinstance(expected, str) and not isinstance(actual, str):
        return expected in (json.dumps(actual), str(actual))
    return False


def json_body(text: str) -> Any:
    """A `json=` argument given as JSON text, parsed, with a clear failure when it is malformed."""
    try:
        return json.loads(text)
    except ValueError as error:
        raise SeamError("HTTP", f"json= {_clip(text)!r} is not valid JSON: {error}") from None


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def response_json(response: requests.Response) -> Any:
    """The response body as JSON, or a clear failure showing what came instead."""
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        preview = _clip(response.text)
        raise SeamError(
            "HTTP",
            f"response of {response.request.method} {response.url} ({response.status_code}, {kind}) "
            f"is not JSON: {preview or '<empty body>'}",
        ) from None


class ApiSession:
    """One pooled HTTP session with a base URL, default headers, auth and (connect, read) timeouts."""

    def __init__(
        self,
        base_url: str,
        masker: Masker,
        *,
        headers: Mapping[str, Any] | None = None,
        auth: Any = None,
        timeout: float = 10.0,
        connect_timeout: float | None = None,
        verify: bool | str = True,
        pool_size: int = 10,
    ):
        self.base_url = base_url.rstrip("/") + "/"
        self.masker = masker
        self.timeout = (connect_timeout if connect_timeout is not None else timeout, timeout)
        self.session = requests.Session()
        # The environment (proxies, CA bundle) is read once here: requests re-reads it, and ~/.netrc, on
        # every call otherwise, which costs more than the call itself on a local network.
        self.session.trust_env = False
        self.session.proxies.update(get_environ_proxies(self.base_url))
        if verify is True:
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        # Per request, not on the session: requests lets REQUESTS_CA_BUNDLE override a session's verify.
        self.verify = verify
        self.session.headers.update(masker.reveal_deep(dict(headers or {})))
        self.session.headers.update(auth_headers(auth, masker))

    def url_for(self, path: str) -> str:
        """`path` joined to the base URL; an absolute URL is used as it is."""
        if path.startswith(("http://", "https://")):
            return path
        return urljoin(self.base_url, path.lstrip("/"))

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> requests.Response:
        """Send one request; transport failures become a SeamError naming the call and the cause."""
        method = method.upper()
        url = self.url_for(path)
        call_headers = self.masker.reveal_deep(dict(headers)) if headers else {}
        if not any(name.lower() == CORRELATION_HEADER.lower() for name in call_headers):
            call_headers[CORRELATION_HEADER], call_headers["traceparent"] = new_trace_ids()
        elif not any(name.lower() == "traceparent" for name in call_headers):
            call_headers["traceparent"] = new_trace_ids()[1]
        timeouts = self.timeout if timeout is None else (min(self.timeout[0], timeout), timeout)
        try:
            return self.session.request(
                method,
                url,
                json=self.masker.reveal_deep(json) if json is not None else None,
                data=self.masker.reveal_deep(data) if data is not None else None,
                params=self.masker.reveal_deep(params) if params else None,
                headers=call_headers,
                timeout=timeouts,
                verify=self.verify,
                allow_redirects=True,
            )
        except requests.exceptions.RequestException as error:
            raise SeamError("HTTP", f"{method} {self.masker.url(url)} failed: {describe(error, timeouts)}") from None
        except (TypeError, ValueError, OSError) as error:
            raise SeamError("HTTP", f"{method} {self.masker.url(url)} could not be sent: {error}") from None

    def close(self) -> None:
        self.session.close()


def describe(error: requests.exceptions.RequestException, timeouts: tuple[float, float]) -> str:
    """What went wrong on the wire, in words a QA engineer can act on."""
    if isinstance(error, requests.exceptions.SSLError):
        return f"TLS error: {_root_cause(error)}"
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return f"could not connect within {timeouts[0]:g}s (connect timeout)"
    if isinstance(error, requests.exceptions.ReadTimeout):
        return f"no response within {timeouts[1]:g}s (read timeout)"
    if isinstance(error, requests.exceptions.ConnectionError):
        return f"cannot connect: {_root_cause(error)}"
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    return f"{type(error).__name__}: {_root_cause(error)}"


def _root_cause(error: BaseException) -> str:
    """The innermost reason, without urllib3's pool and object reprs."""
    text = str(error)
    for pattern in (r"\[SSL[^\]]*\][^()'\"]*", r"\[Errno -?\d+\][^()'\"]*", r"Read timed out[^()'\"]*"):
        found = re.search(pattern, text)
        if found:
            return found.group(0).strip().rstrip(".,)")
    return text
