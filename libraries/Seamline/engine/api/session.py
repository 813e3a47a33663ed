"""HTTP sessions for API seams: pooled `requests` sessions, auth from secrets kept to their origin, trace headers,
a deadline per whole call, clear errors."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from os import PathLike
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
from requests.utils import get_environ_proxies
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from ..errors import SeamError
from ..masking import Masker, is_secret, is_secret_name
from ..values import cut
from .deadline import CallDeadline, DeadlineAdapter, bounded
from .origin import CredentialGuard

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


def new_trace_ids(sampled: bool = True) -> tuple[str, str]:
    """A correlation id and a W3C traceparent (random trace and span ids; flags ``01`` sampled, ``00`` not)."""
    trace_id = os.urandom(16).hex()
    return trace_id, f"00-{trace_id}-{os.urandom(8).hex()}-{'01' if sampled else '00'}"


def add_trace_headers(headers: MutableMapping[str, str], sampled: bool = True) -> None:
    """Give `headers` an ``X-Correlation-Id`` and a W3C ``traceparent`` unless they have them (any case).

    A new correlation id is the trace id of the traceparent sent with it (given or new), so one id finds the
    call in the system's logs and in its traces; a correlation id given alone gets a traceparent of its own.
    A new traceparent is sampled unless `sampled` is False (see `ApiSession.send`: a repeated call).
    """
    names = {name.lower(): name for name in headers}
    given = names.get("traceparent")
    if given is None:
        trace_id, headers["traceparent"] = new_trace_ids(sampled)
    else:
        trace_id = trace_ids_of(headers[given])[0] or new_trace_ids()[0]
    if CORRELATION_HEADER.lower() not in names:
        headers[CORRELATION_HEADER] = trace_id


def is_sampled(traceparent: str | None) -> bool:
    """Whether a W3C ``traceparent`` asks for its trace to be recorded (its flags' sampled bit); a missing or
    malformed one says nothing against it."""
    parts = (traceparent or "").split("-")
    try:
        return len(parts) != 4 or bool(int(parts[3][:2], 16) & 1)
    except ValueError:
        return True


def trace_ids_of(traceparent: str | None) -> tuple[str | None, str | None]:
    """The trace id and span id of a W3C ``traceparent`` (``00-<trace>-<span>-<flags>``); Nones if malformed."""
    parts = (traceparent or "").split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and len(parts[2]) == 16:
        return parts[1], parts[2]
    return None, None


def server_timing(header: str | None) -> dict[str, float]:
    """`Server-Timing: gateway;dur=1.2, orders;dur=0.8` as {name: milliseconds} (entries without dur are 0)."""
    if not header:
        return {}
    timings = {}
    for name, params in _SERVER_TIMING_ENTRY.findall(header):
        duration = _SERVER_TIMING_DUR.search(params)
        timings[name] = float(duration.group(1)) if duration else 0.0
    return timings


def json_body(text: str) -> Any:
    """A `json=` argument given as JSON text, parsed, with a clear failure when it is malformed."""
    try:
        return json.loads(text)
    except ValueError as error:
        raise SeamError("HTTP", f"json= {cut(text, 200)!r} is not valid JSON: {error}") from None


def response_json(response: requests.Response, masker: Masker | None = None) -> Any:
    """The response body as JSON, or a clear failure showing (masked, cut) what came instead."""
    try:
        return response.json()
    except ValueError:
        masker = masker or Masker()
        kind = response.headers.get("Content-Type", "no content type")
        preview = cut(masker.text(response.text), 200)
        raise SeamError(
            "HTTP",
            f"response of {response.request.method} {masker.url(response.url)} ({response.status_code}, {kind}) "
            f"is not JSON: {preview or '<empty body>'}",
        ) from None


class _GuardedSession(requests.Session):
    """A requests session whose redirects to other origins carry no credentials (requests drops only
    Authorization, and only when the host changes)."""

    guard: CredentialGuard

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        self.guard.withhold(prepared_request.headers, str(prepared_request.url), str(response.url))


class ApiSession:
    """One pooled HTTP session with a base URL, default headers, credentials kept to their origin, and a
    deadline for each whole call."""

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
        trusted_hosts: Sequence[str] = (),
        notify: Callable[[str], None] | None = None,
    ):
        self.base_url = base_url.rstrip("/") + "/"
        self.masker = masker
        self.timeout = timeout
        self.connect_timeout = connect_timeout if connect_timeout is not None else timeout
        self.guard = CredentialGuard(self.base_url, masker, trusted_hosts, notify)
        self.session = _GuardedSession()
        self.session.guard = self.guard
        # The environment (proxies, CA bundle) is read once here: requests re-reads it, and ~/.netrc, on
        # every call otherwise, which costs more than the call itself on a local network.
        self.session.trust_env = False
        self.session.proxies.update(get_environ_proxies(self.base_url))
        if verify is True:
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        adapter = DeadlineAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        # Per request, not on the session: requests lets REQUESTS_CA_BUNDLE override a session's verify.
        self.verify = verify
        # Credentials are not session headers: send() adds them only for the session's origin.
        self.credentials: dict[str, str] = {}
        for name, value in (headers or {}).items():
            plain = str(masker.reveal(value))
            if is_secret(value) or is_secret_name(name):
                self.credentials[str(name)] = plain
            else:
                self.session.headers[str(name)] = plain
        self.credentials.update(auth_headers(auth, masker))
        self.guard.credential_names = {name.lower() for name in self.credentials}

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
        params: Any = None,
        headers: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        sampled: bool = True,
    ) -> requests.Response:
        """Send one request and read its whole body within `timeout` (the session's by default).

        Transport failures and a passed deadline become a SeamError naming the call and the cause.
        `sampled` False sends an unsampled ``traceparent`` (flags ``00``, unless `headers` has one): the
        rule for a call that repeats one already traced (a poll's later attempts), whose trace the system
        need not record again, while its trace context still propagates.
        """
        method = method.upper()
        url = self.url_for(path)
        call_headers = self._headers_for(method, url, headers, sampled)
        seconds = self.timeout if timeout is None else timeout
        deadline = CallDeadline(seconds)
        response = None
        try:
            with bounded(deadline), upload(files, self.masker) if files else _NO_FILES as parts:
                response = self.session.request(
                    method,
                    url,
                    json=self.masker.reveal_deep(json) if json is not None else None,
                    data=self.masker.reveal_deep(data) if data is not None else None,
                    params=self.masker.reveal_deep(params) if params else None,
                    files=parts,
                    headers=call_headers,
                    timeout=(min(self.connect_timeout, seconds), seconds),
                    verify=self.verify,
                    allow_redirects=True,
                    stream=True,  # the body is read here, under the deadline, to tell a late body from no answer
                )
                response.content  # noqa: B018 - reads the whole body now
        except (requests.exceptions.RequestException, TypeError, ValueError, OSError) as error:
            if response is not None:
                response.close()  # never back into the pool: its socket may be shut down, its body half read
            raise SeamError(
                "HTTP", f"{method} {self.masker.url(url)} {self._failure(error, response, deadline)}"
            ) from None
        return response

    def _headers_for(
        self, method: str, url: str, headers: Mapping[str, Any] | None, sampled: bool = True
    ) -> dict[str, str]:
        """The call's headers: the session's credentials when `url` may have them, trace headers, the call's own."""
        call_headers = dict(self.credentials)
        if self.credentials and not self.guard.allows(url):
            call_headers = {}
            self.guard.note(self.credentials, url, f"{method} {self.masker.url(url)}")
        if headers:
            call_headers.update(self.masker.reveal_deep(dict(headers)))
        add_trace_headers(call_headers, sampled)
        return call_headers

    def _failure(self, error: Exception, response: requests.Response | None, deadline: CallDeadline) -> str:
        connecting = isinstance(error, requests.exceptions.ConnectTimeout)
        if not connecting and (deadline.expired or _timed_out(error)):
            return f"failed: {self._late(response, deadline)}"
        if isinstance(error, requests.exceptions.RequestException):
            return f"failed: {describe(error, min(self.connect_timeout, deadline.seconds))}"
        return f"could not be sent: {error}"

    def _late(self, response: requests.Response | None, deadline: CallDeadline) -> str:
        """What the call got before its deadline passed."""
        if response is None:
            return f"no response within {_seconds(deadline.seconds)} (timeout)"
        expected = response.headers.get("Content-Length")
        received = f"{response.raw.tell()} of {expected}" if expected else f"{response.raw.tell()}"
        return (
            f"{response.status_code} {response.reason} came, but not its whole body within "
            f"{_seconds(deadline.seconds)} (timeout; {received} bytes received)"
        )

    def close(self) -> None:
        self.session.close()


def _seconds(seconds: float) -> str:
    """A deadline as a QA engineer reads it: `2s`, `0.25s` (a wait's last attempt gets 2.99996 s: `3s`)."""
    return f"{round(seconds, 2):g}s"


def _timed_out(error: BaseException) -> bool:
    """A read that waited the whole deadline (requests wraps urllib3's ReadTimeoutError when streaming)."""
    return isinstance(error, requests.exceptions.ReadTimeout) or (
        isinstance(error, requests.exceptions.ConnectionError)
        and bool(error.args)
        and isinstance(error.args[0], ReadTimeoutError)
    )


_NO_FILES = nullcontext(None)


@contextmanager
def upload(files: Mapping[str, Any], masker: Masker) -> Iterator[dict[str, Any]]:
    """`files=` as requests takes it, from name -> path, bytes or [filename, content, content type];
    files opened here are closed when the call ends."""
    with ExitStack() as opened:
        parts: dict[str, Any] = {}
        for name, spec in files.items():
            spec = masker.reveal_deep(spec)
            if isinstance(spec, (str, PathLike)):
                path = Path(spec)
                if not path.is_file():
                    raise SeamError("HTTP", f"files= '{name}': {path} is not a file")
                parts[name] = (path.name, opened.enter_context(path.open("rb")))
            elif isinstance(spec, (list, tuple)) and 2 <= len(spec) <= 4:
                parts[name] = tuple(spec)
            elif isinstance(spec, bytes):
                parts[name] = (name, spec)
            else:
                raise SeamError(
                    "HTTP",
                    f"files= '{name}' must be a file path, bytes or [filename, content, content type]; "
                    f"got a value of type {type(spec).__name__}",
                )
        yield parts


def describe(error: requests.exceptions.RequestException, connect_timeout: float) -> str:
    """What went wrong on the wire, in words a QA engineer can act on."""
    if isinstance(error, requests.exceptions.SSLError):
        return f"TLS error: {_root_cause(error)}"
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return f"could not connect within {_seconds(connect_timeout)} (connect timeout)"
    lost = _lost_connection(error)
    if lost:
        return lost
    if isinstance(error, requests.exceptions.ConnectionError):
        return f"cannot connect: {_root_cause(error)}"
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    return f"{type(error).__name__}: {_root_cause(error)}"


def _lost_connection(error: requests.exceptions.RequestException) -> str | None:
    """A connection that was made and then lost (reset, closed) before the whole response came."""
    protocol = error.args[0] if error.args and isinstance(error.args[0], ProtocolError) else None
    if protocol is None:
        return None
    cause = next((arg for arg in protocol.args if isinstance(arg, BaseException)), None)
    reason = str(cause) if cause is not None else str(protocol)
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return f"the connection broke while the body was read: {reason}"
    return f"the connection was lost before a response came: {reason}"


def _root_cause(error: BaseException) -> str:
    """The innermost reason, without urllib3's pool and object reprs."""
    text = str(error)
    for pattern in (r"\[SSL[^\]]*\][^()'\"]*", r"\[Errno -?\d+\][^()'\"]*"):
        found = re.search(pattern, text)
        if found:
            return found.group(0).strip().rstrip(".,)")
    return text
